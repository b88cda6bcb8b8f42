"""The morning brief: what happened overnight, in the order a reviewer works through it.

Sections, each a list of runs:
- **ready**: awaiting review with a `pass` verdict, lowest risk first: the quick approvals, safest
  at the top, so a reviewer can clear them while the coffee is hot.
- **review**: awaiting review with any other verdict (`review`, `block`, or not gated), riskiest
  first (not gated counts as riskiest: nothing vouches for it): where attention is worth most.
- **gave_up**: `needs_human`, `failed`, `timed_out`, with a one-line reason, in the order they
  were queued.
- **running**: queued, preparing, running or validating now, whenever they were queued.

The window: a run belongs to it when it was queued, started or ended at or after `since`.
`spent` sums what the window's runs (and the ones still running) recorded: dollars, tokens, and
agent minutes (start to end, the gate included; a run still going counts until now). Runs awaiting
review from before the window are not listed but counted (`older_awaiting`): the queue has them.

`collect` reads the store once; the renderers are pure functions of a `Brief`. Agent-written text
(task ids and titles, agent names, reasons) is escaped by each renderer for its medium.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from rich.console import Console
from rich.markup import escape

from crewchief.errors import UserError
from crewchief.store import RunState, Store
from crewchief.textsafe import markdown_inline, visible

BRIEF_SCHEMA = "crewchief.brief/v1"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
DEFAULT_SINCE = "18:00"
GAVE_UP = frozenset({RunState.FAILED.value, RunState.TIMED_OUT.value, "needs_human"})
"""`needs_human` is in the published run states though no runner sets it yet."""
RUNNING = (RunState.QUEUED, RunState.PREPARING, RunState.RUNNING, RunState.VALIDATING)
REASON_CHARS = 160
_DURATION = re.compile(r"^(\d+)([mhdw])$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}


class _Run(Protocol):
    """The fields of a store run the brief reads."""

    id: int
    task_id: str
    agent: str
    attempt: int
    state: str
    verdict: str | None
    risk: int | None
    reason: str | None
    cost_usd: float | None
    tokens_in: int | None
    tokens_out: int | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class BriefRun:
    id: int
    task: str
    title: str | None
    agent: str
    attempt: int
    state: str
    verdict: str | None
    risk: int | None
    reason: str | None
    """One line, cut to `REASON_CHARS`, for runs that gave up; as recorded, not yet escaped."""
    cost_usd: float | None
    tokens: int | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class Spent:
    usd: float
    tokens: int
    agent_minutes: float
    runs: int


@dataclass(frozen=True)
class Brief:
    since: dt.datetime
    generated_at: dt.datetime
    ready: tuple[BriefRun, ...]
    review: tuple[BriefRun, ...]
    gave_up: tuple[BriefRun, ...]
    running: tuple[BriefRun, ...]
    spent: Spent
    older_awaiting: int


# --since ------------------------------------------------------------------------------------
def parse_since(value: str, now: dt.datetime) -> dt.datetime:
    """`--since`: `HH:MM` (its most recent past occurrence, local time), a duration back from
    now (`90m`, `12h`, `2d`, `1w`), or an ISO date or timestamp (local time unless it has an
    offset). `now` must be aware; the result is aware. A time to come is refused: the brief
    looks back."""
    text = value.strip()
    local_now = now.astimezone()
    if clock := _CLOCK.match(text):
        hour, minute = int(clock[1]), int(clock[2])
        if hour > 23 or minute > 59:
            raise _bad_since(value)
        at = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return at - dt.timedelta(days=1) if at > local_now else at
    if span := _DURATION.match(text):
        return now - dt.timedelta(minutes=int(span[1]) * _UNIT_MINUTES[span[2]])
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _bad_since(value) from None
    at = at if at.tzinfo else at.replace(tzinfo=local_now.tzinfo)
    if at > now:
        raise UserError(f"--since '{visible(value, 80)}' is in the future: the brief looks back")
    return at


def _bad_since(value: str) -> UserError:
    return UserError(
        f"--since '{visible(value, 80)}' is not a time: give HH:MM (18:00), a duration "
        "(90m, 12h, 2d) or an ISO timestamp (2026-12-05T18:00)"
    )


# collecting ---------------------------------------------------------------------------------
def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def one_line(text: str | None, limit: int = REASON_CHARS) -> str | None:
    """The first non-blank line of `text`, cut to `limit` characters (an ellipsis says so)."""
    if not text:
        return None
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if not line:
        return None
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _brief_run(run: _Run, titles: dict[str, str]) -> BriefRun:
    tokens = None
    if run.tokens_in is not None or run.tokens_out is not None:
        tokens = (run.tokens_in or 0) + (run.tokens_out or 0)
    reason = None
    if run.state in GAVE_UP:
        reason = one_line(run.reason) or f"{run.state}, no reason recorded"
    return BriefRun(
        id=run.id,
        task=run.task_id,
        title=titles.get(run.task_id),
        agent=run.agent,
        attempt=run.attempt,
        state=run.state,
        verdict=run.verdict,
        risk=run.risk,
        reason=reason,
        cost_usd=run.cost_usd,
        tokens=tokens,
        started_at=_aware(run.started_at) if run.started_at else None,
        ended_at=_aware(run.ended_at) if run.ended_at else None,
    )


def _spent(runs: Iterable[BriefRun], now: dt.datetime) -> Spent:
    usd, tokens, minutes, count = 0.0, 0, 0.0, 0
    for run in runs:
        count += 1
        usd += run.cost_usd or 0.0
        tokens += run.tokens or 0
        if run.started_at is not None:
            minutes += max(0.0, ((run.ended_at or now) - run.started_at).total_seconds() / 60)
    return Spent(round(usd, 4), tokens, round(minutes, 1), count)


def _risk_down(run: BriefRun) -> tuple[int, int]:
    return (-(run.risk if run.risk is not None else 101), run.id)


def collect(store: Store, since: dt.datetime, now: dt.datetime) -> Brief:
    """The brief for the window from `since` to `now`, from the store."""
    windowed = store.runs_since(since)
    running_rows = store.runs(list(RUNNING))
    window_ids = {run.id for run in windowed}
    older = sum(1 for r in store.runs([RunState.AWAITING_REVIEW]) if r.id not in window_ids)
    rows = {run.id: run for run in [*windowed, *running_rows]}
    titles = store.task_titles(sorted({run.task_id for run in rows.values()}))
    runs = {run_id: _brief_run(run, titles) for run_id, run in rows.items()}
    windowed_runs = [runs[run.id] for run in windowed]
    awaiting = [r for r in windowed_runs if r.state == RunState.AWAITING_REVIEW.value]
    return Brief(
        since=since,
        generated_at=now,
        ready=tuple(
            sorted((r for r in awaiting if r.verdict == "pass"), key=lambda r: (r.risk or 0, r.id))
        ),
        review=tuple(sorted((r for r in awaiting if r.verdict != "pass"), key=_risk_down)),
        gave_up=tuple(r for r in windowed_runs if r.state in GAVE_UP),
        running=tuple(runs[run.id] for run in running_rows),
        spent=_spent(runs.values(), now),
        older_awaiting=older,
    )


# JSON ---------------------------------------------------------------------------------------
def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def run_json(run: BriefRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "task": run.task,
        "title": run.title,
        "agent": run.agent,
        "attempt": run.attempt,
        "state": run.state,
        "verdict": run.verdict,
        "risk": run.risk,
        "reason": run.reason,
        "cost_usd": run.cost_usd,
        "tokens": run.tokens,
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
    }


def brief_document(brief: Brief) -> dict[str, Any]:
    """`crewchief.brief/v1`, as `crewchief brief --format json` prints it."""
    return {
        "schema": BRIEF_SCHEMA,
        "since": brief.since.isoformat(),
        "generated_at": brief.generated_at.isoformat(),
        "ready": [run_json(r) for r in brief.ready],
        "review": [run_json(r) for r in brief.review],
        "gave_up": [run_json(r) for r in brief.gave_up],
        "running": [run_json(r) for r in brief.running],
        "spent": {
            "usd": brief.spent.usd,
            "tokens": brief.spent.tokens,
            "agent_minutes": brief.spent.agent_minutes,
            "runs": brief.spent.runs,
        },
        "older_awaiting": brief.older_awaiting,
    }


# shared wording -----------------------------------------------------------------------------
SECTIONS = (
    ("ready", "Ready to approve", "passed the gate; lowest risk first"),
    ("review", "Needs a look", "the gate wants a human; riskiest first"),
    ("gave_up", "Gave up", "failed, timed out or needs a human"),
    ("running", "Still running", "queued or in progress"),
)


def _when(value: dt.datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _spent_line(spent: Spent) -> str:
    return (
        f"${spent.usd:.2f} · {spent.tokens:,} tokens · {spent.agent_minutes:g} agent minutes "
        f"· {spent.runs} runs"
    )


def _detail(section: str, run: BriefRun) -> str:
    """The plain (unescaped) last column: risk for the queue sections, the reason or state."""
    if section in ("ready", "review"):
        risk = "-" if run.risk is None else str(run.risk)
        return f"{run.verdict or 'not gated'}, risk {risk}"
    if section == "gave_up":
        return f"{run.state}: {run.reason}"
    return run.state


# text ---------------------------------------------------------------------------------------
def render_text(brief: Brief, console: Console) -> None:
    """The brief for a terminal, a run a line (a gave-up run's reason on the next): every
    agent-written string made visible, then markup-escaped."""
    console.print(f"[bold]Morning brief[/] since {_when(brief.since)}")
    for key, title, hint in SECTIONS:
        runs: tuple[BriefRun, ...] = getattr(brief, key)
        console.print(f"\n[bold]{title}[/] ({len(runs)}) [dim]{hint}[/]")
        if not runs:
            console.print("  [dim]none[/]")
        for run in runs:
            task = visible(run.task, 80) + (f" · {visible(run.title, 80)}" if run.title else "")
            agent = visible(run.agent, 60)
            if key == "gave_up":
                console.print(f"  #{run.id} {escape(task)} · {escape(agent)} · try {run.attempt}")
                console.print(f"      [red]{escape(visible(_detail(key, run), 300))}[/]")
            else:
                console.print(
                    f"  #{run.id} {escape(task)} · {escape(agent)} · try {run.attempt} · "
                    f"{escape(_detail(key, run))}"
                )
    console.print(f"\n[bold]Spent[/] {_spent_line(brief.spent)}")
    if brief.older_awaiting:
        console.print(
            f"[dim]{brief.older_awaiting} older runs still await review: 'crewchief review'[/]"
        )


# Markdown -----------------------------------------------------------------------------------
def render_markdown(brief: Brief) -> str:
    """The brief as Markdown (a chat message, a wiki page): agent text renders as exactly that
    text, no links, images, HTML or table breaks of the agent's making."""
    out = [f"# Morning brief since {_when(brief.since)}", ""]
    for key, title, hint in SECTIONS:
        runs: tuple[BriefRun, ...] = getattr(brief, key)
        out += [f"## {title} ({len(runs)})", "", f"_{hint}_", ""]
        if not runs:
            out += ["none", ""]
            continue
        out += ["| run | task | agent | try | detail |", "| --- | --- | --- | --- | --- |"]
        for run in runs:
            task = markdown_inline(run.task, 80)
            if run.title:
                task += f" {markdown_inline(run.title, 80)}"
            out.append(
                f"| {run.id} | {task} | {markdown_inline(run.agent, 60)} | {run.attempt} "
                f"| {markdown_inline(_detail(key, run), 300)} |"
            )
        out.append("")
    out += [f"**Spent:** {markdown_inline(_spent_line(brief.spent))}", ""]
    if brief.older_awaiting:
        out += [f"{brief.older_awaiting} older runs still await review.", ""]
    return "\n".join(out)


# HTML ---------------------------------------------------------------------------------------
def brief_view(brief: Brief, limit: int | None = None) -> dict[str, Any]:
    """What the HTML template shows: agent text made visible (controls escaped as text); the
    template's autoescape escapes the HTML. `limit` cuts each section to that many runs (the home
    page, where a big night must not push the queue out of sight) and says how many more."""
    sections = []
    for key, title, hint in SECTIONS:
        every: tuple[BriefRun, ...] = getattr(brief, key)
        runs = every[:limit] if limit is not None else every
        rows = [
            {
                "id": run.id,
                "task": visible(run.task, 80),
                "title": visible(run.title, 80) if run.title else "",
                "agent": visible(run.agent, 60),
                "attempt": run.attempt,
                "verdict": run.verdict or "none",
                "detail": visible(_detail(key, run), 300),
            }
            for run in runs
        ]
        sections.append(
            {
                "key": key,
                "title": title,
                "hint": hint,
                "total": len(every),
                "runs": rows,
                "more": len(every) - len(rows),
            }
        )
    return {
        "since": _when(brief.since),
        "sections": sections,
        "spent": _spent_line(brief.spent),
        "older_awaiting": brief.older_awaiting,
    }


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(brief: Brief) -> str:
    """A standalone HTML page (to mail or save), the same sections the web UI's home page shows."""
    return templates().get_template("brief_page.html").render(brief=brief_view(brief), links=False)
