"""The queue page's data: every awaiting run ranked, then filtered, sorted and cut to one page.

Ranking always sees every run awaiting review (a group's position depends on all of its members);
only the rows rendered are limited, so ten thousand runs cost one query and one sort (kept until the
store changes, see `snapshot`), not ten thousand rows of HTML.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crewchief.web.snapshot import QueueRun, Row, ranked

PAGE_SIZE = 200
VERDICTS = ("pass", "review", "block", "none")


def _aware(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


SORTS: dict[str, Callable[[Row], Any]] = {
    "rank": lambda row: row.position,
    "id": lambda row: row.run.id,
    "task": lambda row: (row.run.task_id, row.run.attempt, row.run.id),
    "agent": lambda row: (row.run.agent, row.run.id),
    "verdict": lambda row: ({"pass": 0, "review": 1, "block": 2}.get(row.run.verdict or "", 3),),
    "risk": lambda row: (row.run.risk or 0, row.run.id),
    "priority": lambda row: (row.run.priority, row.run.id),
    "cost": lambda row: (row.run.cost_usd or 0.0, row.run.id),
    "age": lambda row: (_aware(row.run.created_at), row.run.id),
}


@dataclass(frozen=True)
class Query:
    verdict: str = ""
    agent: str = ""
    task: str = ""
    sort: str = "rank"
    desc: bool = False
    page: int = 1

    def params(self, **changes: Any) -> dict[str, str]:
        """Query-string parameters for a link that changes some of these (defaults left out)."""
        values = {
            "verdict": self.verdict,
            "agent": self.agent,
            "task": self.task,
            "sort": self.sort,
            "desc": "1" if self.desc else "",
            "page": str(self.page),
        }
        values.update(
            {k: ("1" if v is True else "" if v is False else str(v)) for k, v in changes.items()}
        )
        defaults = {"sort": "rank", "page": "1"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}


@dataclass(frozen=True)
class Snapshot:
    """Everything about the whole queue that does not depend on the request."""

    rows: list[Row]
    groups: int
    by_verdict: dict[str, int]
    agents: list[str]
    tasks: list[str]


def snapshot(runs: list[QueueRun]) -> Snapshot:
    rows = ranked(runs)
    verdicts = Counter(row.run.verdict or "none" for row in rows)
    return Snapshot(
        rows=rows,
        groups=sum(1 for row in rows if row.first_in_group),
        by_verdict={v: verdicts.get(v, 0) for v in VERDICTS},
        agents=sorted({row.run.agent for row in rows}),
        tasks=sorted({row.run.task_id for row in rows}),
    )


@dataclass(frozen=True)
class QueuePage:
    rows: list[Row]
    total: int
    """Runs awaiting review."""
    matching: int
    """Runs that pass the filters."""
    whole: Snapshot
    page: int
    pages: int


def queue_page(whole: Snapshot, query: Query, page_size: int = PAGE_SIZE) -> QueuePage:
    matching = whole.rows
    if query.verdict or query.agent or query.task:
        matching = [
            row
            for row in matching
            if (not query.verdict or (row.run.verdict or "none") == query.verdict)
            and (not query.agent or row.run.agent == query.agent)
            and (not query.task or row.run.task_id == query.task)
        ]
    if query.sort in SORTS and (query.sort != "rank" or query.desc):
        matching = sorted(matching, key=SORTS[query.sort], reverse=query.desc)
    pages = max(1, -(-len(matching) // page_size))
    page = min(max(1, query.page), pages)
    return QueuePage(
        rows=matching[(page - 1) * page_size : page * page_size],
        total=len(whole.rows),
        matching=len(matching),
        whole=whole,
        page=page,
        pages=pages,
    )
