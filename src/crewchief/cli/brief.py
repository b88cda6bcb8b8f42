"""`crewchief brief`: the morning brief (see `crewchief.review.brief` for what goes where)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from crewchief.cli.common import repo_root, worktree_policy
from crewchief.cli.notifying import print_delivery
from crewchief.errors import ExitCode, UserError
from crewchief.notify import send_brief
from crewchief.review import brief as briefing
from crewchief.spec.policy import NotifyPolicy
from crewchief.store import open_store


class BriefFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def _send(brief: briefing.Brief, policy: NotifyPolicy) -> None:
    """`--notify`: what a batch's end sends, sent now, so a lead can test the setup."""
    console = Console(highlight=False)
    deliveries = send_brief(brief, policy, "crewchief brief")
    for delivery in deliveries:
        print_delivery(console, delivery)
    if not all(d.ok for d in deliveries):
        raise typer.Exit(int(ExitCode.BLOCKED))


def brief_command(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: here)."),
    since: str = typer.Option(
        briefing.DEFAULT_SINCE,
        "--since",
        help="Start of the window: HH:MM (its latest past occurrence, local time), a duration "
        "back from now (90m, 12h, 2d) or an ISO timestamp. Default 18:00.",
    ),
    fmt: BriefFormat = typer.Option(BriefFormat.text, "--format", help="Output format."),
    notify: bool = typer.Option(
        False,
        "--notify",
        help="Send the brief now through the policy's [notify] webhook and mail (as a batch's end "
        "would) instead of printing it; a line per channel. Exit 1 when one failed, 2 when "
        "[notify] names none.",
    ),
) -> None:
    """What happened overnight: ready to approve, needs a look, gave up, spent, still running."""
    now = dt.datetime.now(dt.UTC)
    start = briefing.parse_since(since, now)  # a bad value is exit 2 before the store opens
    root = repo_root(repo)
    policy = worktree_policy(root).notify if notify else None
    if policy is not None and not policy.configured:
        raise UserError(
            "--notify: crewchief.toml has no [notify] webhook, webhook_env or email; add one "
            "(docs/reference/policy.md)"
        )
    store = open_store(root)
    brief = briefing.collect(store, start, now)
    if policy is not None:
        _send(brief, policy)
        return
    if fmt == BriefFormat.json:
        document = briefing.brief_document(brief)
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")
    elif fmt == BriefFormat.markdown:
        sys.stdout.write(briefing.render_markdown(brief))
    elif fmt == BriefFormat.html:
        sys.stdout.write(briefing.render_html(brief))
    else:
        briefing.render_text(brief, Console(highlight=False))
