"""The brief as each channel carries it: a Slack-compatible body, the brief's own JSON, a mail.

Agent-written text (task ids and titles, agent names, reasons) is untrusted. In Slack's mrkdwn,
`<...>` is a link or a mention (`<!channel>` pings everyone) and `&` starts an entity, so those
three are escaped as Slack documents; control characters are made visible first. A mail's subject
carries counts only, never agent text, so no header can be forged; its HTML part is the brief's
own autoescaped page.
"""

from __future__ import annotations

import io
import socket
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from rich.console import Console

from crewchief.review.brief import (  # the brief's own wording, shared with its renderers
    SECTIONS,
    Brief,
    BriefRun,
    _detail,
    _spent_line,
    brief_document,
    render_html,
    render_text,
)
from crewchief.textsafe import visible

SECTION_RUNS = 10
"""Runs listed per section in a chat message; the rest are counted. Slack allows 3,000 characters
in a section block and 50 blocks in a message, so a big night still fits."""


def slack_escape(text: str, limit: int = 300) -> str:
    """Untrusted text as Slack mrkdwn that shows exactly that text: no mention, link or entity."""
    shown = visible(text, limit)
    return shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def counts(brief: Brief) -> str:
    """`3 ready, 1 to review, 2 gave up, 1 running`: numbers only, safe in any header."""
    return (
        f"{len(brief.ready)} ready, {len(brief.review)} to review, "
        f"{len(brief.gave_up)} gave up, {len(brief.running)} running"
    )


def _slack_line(key: str, run: BriefRun) -> str:
    task = slack_escape(run.task, 80)
    if run.title:
        task += f" · {slack_escape(run.title, 80)}"
    detail = slack_escape(_detail(key, run), 300)
    return f"• #{run.id} {task} · {slack_escape(run.agent, 60)} · try {run.attempt} · {detail}"


def slack_body(brief: Brief, headline: str) -> dict[str, Any]:
    """`{"text", "blocks"}` for a Slack incoming webhook: `text` is the notification's fallback,
    the blocks hold a section per part of the brief. `headline` is crewchief's own words."""
    summary = f"{headline}: {counts(brief)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
    ]
    for key, title, _hint in SECTIONS:
        runs: tuple[BriefRun, ...] = getattr(brief, key)
        if not runs:
            continue
        lines = [f"*{title}* ({len(runs)})"]
        lines += [_slack_line(key, run) for run in runs[:SECTION_RUNS]]
        if len(runs) > SECTION_RUNS:
            lines.append(f"… and {len(runs) - SECTION_RUNS} more: `crewchief brief`")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    context = f"Spent {_spent_line(brief.spent)}"
    if brief.older_awaiting:
        context += f" · {brief.older_awaiting} older runs await review"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": summary, "blocks": blocks}


def json_body(brief: Brief) -> dict[str, Any]:
    """The brief's `crewchief.brief/v1` document, as `crewchief brief --format json` prints it."""
    return brief_document(brief)


def plain_text(brief: Brief) -> str:
    """The terminal rendering without colour: the mail's text part."""
    out = io.StringIO()
    render_text(brief, Console(file=out, width=100, color_system=None, highlight=False))
    return out.getvalue()


def mail(brief: Brief, headline: str, sender: str | None, to: list[str]) -> EmailMessage:
    """A multipart/alternative mail: the text rendering, then the brief's HTML page."""
    message = EmailMessage()
    message["Subject"] = f"{headline}: {counts(brief)}"
    message["From"] = sender or f"crewchief@{socket.getfqdn()}"
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="crewchief")
    message.set_content(plain_text(brief))
    message.add_alternative(render_html(brief), subtype="html")
    return message
