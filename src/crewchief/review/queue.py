"""The review queue: runs awaiting review, riskiest and most important first, best-of-N together.

Order: groups (the runs of one task started together on several agents) by their highest risk,
then task priority (0 most urgent), then age (older first); within a group the best candidate
first (pass before review before block, then lower risk). Risk leads because the queue exists to
spend a reviewer's attention where a mistake would cost most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crewchief.store.db import run_to_json
from crewchief.store.models import RunRow

_VERDICT_ORDER = {"pass": 0, "review": 1, "block": 2, None: 3}


@dataclass(frozen=True)
class QueueGroup:
    key: str
    runs: tuple[RunRow, ...]

    @property
    def risk(self) -> int:
        return max((r.risk or 0) for r in self.runs)

    @property
    def priority(self) -> int:
        return min(r.priority for r in self.runs)

    @property
    def created_at(self) -> dt.datetime:
        return min(r.created_at for r in self.runs)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def rank(runs: Iterable[RunRow]) -> list[QueueGroup]:
    groups: dict[str, list[RunRow]] = {}
    for run in runs:
        groups.setdefault(run.group_key or f"run-{run.id}", []).append(run)
    ranked = [
        QueueGroup(
            key,
            tuple(
                sorted(members, key=lambda r: (_VERDICT_ORDER.get(r.verdict, 3), r.risk or 0, r.id))
            ),
        )
        for key, members in groups.items()
    ]
    ranked.sort(key=lambda g: (-g.risk, g.priority, _aware(g.created_at), g.key))
    return ranked


def ordered_runs(runs: Iterable[RunRow]) -> list[RunRow]:
    return [run for group in rank(runs) for run in group.runs]


REVIEW_SCHEMA = "crewchief.review/v1"


def review_document(runs: Iterable[RunRow]) -> dict[str, Any]:
    """`crewchief.review/v1`: the ranked queue as `crewchief review --format json` prints it and
    the web UI serves it, built here once so the two can never disagree. Each run is its
    `crewchief.status/v1` object plus its group's position, the group key and the task priority."""
    queue = [
        {**run_to_json(run), "position": position, "group": group.key, "priority": run.priority}
        for position, group in enumerate(rank(runs), 1)
        for run in group.runs
    ]
    return {"schema": REVIEW_SCHEMA, "queue": queue}
