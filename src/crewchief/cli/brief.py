"""`crewchief brief`: the morning brief (see `crewchief.review.brief` for what goes where)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from crewchief.cli.common import repo_root
from crewchief.review import brief as briefing
from crewchief.store import open_store


class BriefFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def brief_command(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: here)."),
    since: str = typer.Option(
        briefing.DEFAULT_SINCE,
        "--since",
        help="Start of the window: HH:MM (its latest past occurrence, local time), a duration "
        "back from now (90m, 12h, 2d) or an ISO timestamp. Default 18:00.",
    ),
    fmt: BriefFormat = typer.Option(BriefFormat.text, "--format", help="Output format."),
) -> None:
    """What happened overnight: ready to approve, needs a look, gave up, spent, still running."""
    now = dt.datetime.now(dt.UTC)
    start = briefing.parse_since(since, now)  # a bad value is exit 2 before the store opens
    store = open_store(repo_root(repo))
    brief = briefing.collect(store, start, now)
    if fmt == BriefFormat.json:
        document = briefing.brief_document(brief)
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")
    elif fmt == BriefFormat.markdown:
        sys.stdout.write(briefing.render_markdown(brief))
    elif fmt == BriefFormat.html:
        sys.stdout.write(briefing.render_html(brief))
    else:
        briefing.render_text(brief, Console(highlight=False))
