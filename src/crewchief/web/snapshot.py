"""The runs awaiting review, read lightly and ranked once per change of the database.

The queue page is asked for far more often than the store changes, and ranking ten thousand runs
costs more than rendering a page of them. So the ranked rows are kept until the database changes:
on SQLite, `PRAGMA data_version` on a connection of our own that never writes changes whenever any
other connection (the runner, the CLI, this server's own decisions) commits, which is exactly when
the cache may be stale. On other databases nothing is cached. The rows are plain slotted objects
read with one column query, not ORM instances (a third of the cost).
"""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import String, select, type_coerce

from crewchief.review.queue import rank
from crewchief.store import RunState, Store
from crewchief.store.models import RunRow

T = TypeVar("T")


class QueueRun(NamedTuple):
    """The columns the queue shows and ranks by (the names of `RunRow`'s attributes); a tuple,
    because ten thousand of them are built on every change of the store."""

    id: int
    task_id: str
    agent: str
    attempt: int
    group_key: str | None
    verdict: str | None
    risk: int | None
    priority: int
    cost_usd: float | None
    created_at: dt.datetime


class Row(NamedTuple):
    position: int
    first_in_group: bool
    group: str
    run: QueueRun


_COLUMNS: tuple[Any, ...] = (
    RunRow.id,
    RunRow.task_id,
    RunRow.agent,
    RunRow.attempt,
    RunRow.group_key,
    RunRow.verdict,
    RunRow.risk,
    RunRow.priority,
    RunRow.cost_usd,
)


def load_awaiting(store: Store) -> list[QueueRun]:
    """One column query. On SQLite the timestamp is read as text and parsed by `fromisoformat`
    (C), not by SQLAlchemy's per-row regular expression: that alone is a third of the time."""
    state = RunRow.state == RunState.AWAITING_REVIEW.value
    if store.engine.dialect.name != "sqlite":
        with store.session() as s:
            rows = s.execute(select(*_COLUMNS, RunRow.created_at).where(state))
            return [QueueRun._make((*row[:-1], _aware(row[-1]))) for row in rows]
    parse = dt.datetime.fromisoformat
    with store.session() as s:
        rows = s.execute(select(*_COLUMNS, type_coerce(RunRow.created_at, String)).where(state))
        return [QueueRun._make((*row[:-1], _aware(parse(row[-1])))) for row in rows]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def ranked(runs: list[QueueRun]) -> list[Row]:
    """Rows in review order, by `crewchief.review.queue.rank` (it reads only these attributes)."""
    rows: list[Row] = []
    for position, group in enumerate(rank(cast(list[RunRow], runs)), 1):
        for index, run in enumerate(group.runs):
            rows.append(Row(position, index == 0, group.key, cast(QueueRun, run)))
    return rows


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Build many small acyclic objects without the cyclic collector walking the whole heap each
    time the allocation count trips it (that walk cost more than the ranking itself)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ChangeCache:
    """One computed value per database version (SQLite); recomputed on every call elsewhere."""

    def __init__(self, store: Store) -> None:
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._values: dict[str, tuple[int, object]] = {}
        url = store.engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._watch = sqlite3.connect(str(url.database), check_same_thread=False)

    def _version(self) -> int | None:
        if self._watch is None:
            return None
        with self._lock:
            row = self._watch.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def get(self, key: str, compute: Callable[[], T]) -> T:
        version = self._version()
        if version is not None:
            with self._lock:
                hit = self._values.get(key)
            if hit is not None and hit[0] == version:
                return cast(T, hit[1])
        value = compute()
        if version is not None:
            with self._lock:
                self._values[key] = (version, value)
        return value

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
