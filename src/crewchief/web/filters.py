"""Jinja filters for agent text, money, times; every one returns plain text for autoescape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from crewchief.textsafe import visible, visible_lines


def show(value: object, limit: int = 2000) -> str:
    """Agent-written text made visible (escapes as text), then escaped by the template."""
    return "" if value is None else visible(str(value), limit)


def lines(value: object, limit: int = 5000) -> str:
    """Multi-line text a person or an agent wrote (an objective, a commit message, feedback) as
    its lines: newlines and tabs stay, so the page shows paragraphs instead of `\\x0a`; every other
    control character is escaped as in `show`. Autoescape still escapes the HTML; show it in an
    element with `white-space: pre-wrap`."""
    return "" if value is None else visible_lines(str(value), limit)


def money(value: float | None) -> str:
    return "-" if value is None else f"${value:.2f}"


def when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.strftime("%Y-%m-%d %H:%M UTC")


def duration(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return "-"
    seconds = int((end - start).total_seconds())
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def query(params: Mapping[str, str]) -> str:
    """`?a=1&b=x` with every value percent-encoded (names from agents included)."""
    return "?" + urlencode(params) if params else "?"


FILTERS: dict[str, Callable[..., Any]] = {
    "show": show,
    "lines": lines,
    "money": money,
    "when": when,
}
GLOBALS: dict[str, Any] = {"duration": duration, "query": query}
