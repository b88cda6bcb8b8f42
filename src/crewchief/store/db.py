"""Opening the store and the operations every other part uses.

One `Store` per process. SQLite runs in WAL mode with a busy timeout, so `crewchief run`, `serve` and
`status` can share it; every state change is a compare-and-set on the run's current state plus an
event row, in one transaction, so a crash never leaves a transition half-recorded.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from crewchief import statepaths
from crewchief.errors import UserError
from crewchief.store.models import (
    DecisionRow,
    EventRow,
    FindingRow,
    ReportRow,
    RunRow,
    TaskRow,
    utcnow,
)
from crewchief.store.states import SUPERSEDABLE, RunState, can_transition

DB_ENV = "CREWCHIEF_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"


class TransitionError(UserError):
    """A state change the state machine does not allow, or that lost a race."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def default_url(repo_root: Path) -> str:
    url = os.environ.get(DB_ENV)
    if url:
        return url
    path = statepaths.state_db(repo_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    _exclude_from_git(repo_root, "/.crewchief/state.db*")
    return f"sqlite:///{path}"


def _exclude_from_git(repo_root: Path, pattern: str) -> None:
    """Keep local state out of commits (an agent's `git add -A` included) without touching tracked
    files: a line in the repository's own `.git/info/exclude`."""
    git_dir = repo_root / ".git"
    if git_dir.is_file():  # a linked worktree: the common dir holds info/exclude
        return
    exclude = git_dir / "info" / "exclude"
    if not git_dir.is_dir():
        return
    try:
        current = exclude.read_text("utf-8") if exclude.exists() else ""
        if pattern not in current.splitlines():
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with open(exclude, "a", encoding="utf-8") as fh:
                fh.write(("" if current.endswith("\n") or not current else "\n") + pattern + "\n")
    except OSError:
        pass


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.migrate()

    def migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # tasks -----------------------------------------------------------------
    def upsert_task(self, task_id: str, title: str, priority: int, spec: dict[str, Any]) -> None:
        with self.session() as s:
            row = s.get(TaskRow, task_id)
            if row is None:
                s.add(TaskRow(id=task_id, title=title, priority=priority, spec=spec))
            else:
                row.title, row.priority, row.spec, row.updated_at = title, priority, spec, utcnow()

    def task(self, task_id: str) -> TaskRow | None:
        with self.session() as s:
            return s.get(TaskRow, task_id)

    # runs ------------------------------------------------------------------
    def queue_run(
        self,
        task_id: str,
        agent: str,
        *,
        base_ref: str | None = None,
        attempt: int | None = None,
        feedback: str | None = None,
        group_key: str | None = None,
        priority: int = 3,
        message: str = "queued",
    ) -> int:
        with self.session() as s:
            if attempt is None:
                last = s.scalars(
                    select(RunRow.attempt)
                    .where(RunRow.task_id == task_id)
                    .order_by(RunRow.attempt.desc())
                    .limit(1)
                ).first()
                attempt = (last or 0) + 1
            run = RunRow(
                task_id=task_id,
                agent=agent,
                attempt=attempt,
                base_ref=base_ref,
                feedback=feedback,
                group_key=group_key,
                priority=priority,
                state=RunState.QUEUED.value,
                retries=0,
            )
            s.add(run)
            s.flush()
            s.add(
                EventRow(
                    run_id=run.id, from_state=None, to_state=RunState.QUEUED.value, message=message
                )
            )
            return run.id

    def next_attempt(self, task_id: str) -> int:
        with self.session() as s:
            last = s.scalars(
                select(RunRow.attempt)
                .where(RunRow.task_id == task_id)
                .order_by(RunRow.attempt.desc())
                .limit(1)
            ).first()
            return (last or 0) + 1

    def transition(
        self,
        run_id: int,
        new: RunState,
        message: str | None = None,
        *,
        expect: Sequence[RunState] | None = None,
        **fields: Any,
    ) -> RunRow:
        """Move a run to `new` if the state machine allows it from its current state (and that
        state is in `expect`, when given); record the event; update `fields` in the same commit."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise TransitionError(f"no run {run_id}")
            old = RunState(run.state)
            if expect is not None and old not in expect:
                raise TransitionError(
                    f"run {run_id} is {old.value}, not {'/'.join(e.value for e in expect)}"
                )
            if old != new and not can_transition(old, new):
                raise TransitionError(f"run {run_id} cannot go from {old.value} to {new.value}")
            if not _compare_and_set(s, run, old, new, message, fields):
                raise TransitionError(f"run {run_id} changed state concurrently")
            s.flush()
            s.refresh(run)
            return run

    def merge_run(self, run_id: int, message: str, **fields: Any) -> list[int]:
        """Move an approved run to `merged` and, in the same transaction, the task's other
        candidates for the same target (queued or awaiting review) to `superseded`, each with its
        event; returns their ids. A candidate that moved on meanwhile (claimed by a runner) is
        left alone: the runner supersedes it when it finishes validating (`merged_since`)."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise TransitionError(f"no run {run_id}")
            if run.state != RunState.APPROVED.value or not _compare_and_set(
                s, run, RunState.APPROVED, RunState.MERGED, message, fields
            ):
                raise TransitionError(f"run {run_id} is {run.state}, not approved")
            candidates = s.scalars(
                select(RunRow)
                .where(
                    RunRow.task_id == run.task_id,
                    RunRow.id != run_id,
                    RunRow.base_ref == run.base_ref,
                    RunRow.state.in_([st.value for st in SUPERSEDABLE]),
                )
                .order_by(RunRow.id)
            ).all()
            reason = superseded_reason(run_id, run.base_ref)
            superseded = []
            for other in candidates:
                old = RunState(other.state)
                moved = {"reason": reason, "worktree": None}
                if _compare_and_set(s, other, old, RunState.SUPERSEDED, reason, moved):
                    superseded.append(other.id)
            return superseded

    def superseded_by(self, run_id: int) -> list[int]:
        """The runs that left the queue as `superseded` because run `run_id` was merged."""
        run = self.run(run_id)
        with self.session() as s:
            return list(
                s.scalars(
                    select(RunRow.id)
                    .where(
                        RunRow.task_id == run.task_id,
                        RunRow.state == RunState.SUPERSEDED.value,
                        RunRow.reason == superseded_reason(run_id, run.base_ref),
                    )
                    .order_by(RunRow.id)
                )
            )

    def merged_since(self, run_id: int) -> int | None:
        """The id of a run of the same task merged on the same target after run `run_id` was
        queued, if any: the change this run works on is already decided."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None or run.base_ref is None:
                return None
            return s.scalars(
                select(RunRow.id)
                .where(
                    RunRow.task_id == run.task_id,
                    RunRow.id != run_id,
                    RunRow.base_ref == run.base_ref,
                    RunRow.state == RunState.MERGED.value,
                    RunRow.ended_at >= run.created_at,
                )
                .order_by(RunRow.id)
                .limit(1)
            ).first()

    def update_run(self, run_id: int, **fields: Any) -> None:
        with self.session() as s:
            s.execute(update(RunRow).where(RunRow.id == run_id).values(**fields))

    def run(self, run_id: int) -> RunRow:
        with self.session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise UserError(f"no run {run_id}: see 'crewchief status' for run ids")
            return row

    def runs(self, states: Sequence[RunState] | None = None) -> list[RunRow]:
        with self.session() as s:
            query = select(RunRow).order_by(RunRow.id)
            if states:
                query = query.where(RunRow.state.in_([st.value for st in states]))
            return list(s.scalars(query))

    def runs_since(self, since: dt.datetime) -> list[RunRow]:
        """Runs queued, started or ended at or after `since` (the morning brief's window), in id
        order. SQLite keeps times as naive UTC text, so there `since` is compared as naive UTC
        (an aware value would be written with its own offset's wall time)."""
        at = since.astimezone(dt.UTC) if since.tzinfo else since.replace(tzinfo=dt.UTC)
        if self.engine.dialect.name == "sqlite":
            at = at.replace(tzinfo=None)
        with self.session() as s:
            query = (
                select(RunRow)
                .where(or_(RunRow.created_at >= at, RunRow.started_at >= at, RunRow.ended_at >= at))
                .order_by(RunRow.id)
            )
            return list(s.scalars(query))

    def task_titles(self, task_ids: Sequence[str]) -> dict[str, str]:
        """Each task's title, by id (one query for a listing, not one per run)."""
        if not task_ids:
            return {}
        with self.session() as s:
            query = select(TaskRow.id, TaskRow.title).where(TaskRow.id.in_(task_ids))
            return {row.id: row.title for row in s.execute(query)}

    def events(self, run_id: int) -> list[EventRow]:
        with self.session() as s:
            return list(
                s.scalars(select(EventRow).where(EventRow.run_id == run_id).order_by(EventRow.id))
            )

    # reports and decisions ---------------------------------------------------
    def save_report(self, run_id: int, report: dict[str, Any]) -> int:
        with self.session() as s:
            row = ReportRow(
                run_id=run_id, verdict=report["verdict"], risk=int(report["risk"]), body=report
            )
            s.add(row)
            s.flush()
            for f in report.get("findings", []):
                s.add(
                    FindingRow(
                        report_id=row.id,
                        check=f["check"],
                        rule=f["rule"],
                        severity=f["severity"],
                        path=f.get("path"),
                        line=f.get("line"),
                        message=f["message"],
                        blocking=bool(f["blocking"]),
                        cwe=f.get("cwe"),
                    )
                )
            s.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(verdict=report["verdict"], risk=int(report["risk"]))
            )
            return row.id

    def latest_report(self, run_id: int) -> dict[str, Any] | None:
        with self.session() as s:
            row = s.scalars(
                select(ReportRow)
                .where(ReportRow.run_id == run_id)
                .order_by(ReportRow.id.desc())
                .limit(1)
            ).first()
            return dict(row.body) if row else None

    def reject_run(
        self, run_id: int, who: str, feedback: str, *, message: str, retry: dict[str, Any] | None
    ) -> int | None:
        """Reject a run awaiting review, queue its next attempt (`retry`: the new run's fields)
        and record the decision, all in one transaction: the audit record and the retry exist
        together or not at all."""
        with self.session() as s:
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.state == RunState.AWAITING_REVIEW.value)
                .values(state=RunState.REJECTED.value, ended_at=utcnow())
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise TransitionError(f"run {run_id} is no longer awaiting review")
            s.add(
                EventRow(
                    run_id=run_id,
                    from_state=RunState.AWAITING_REVIEW.value,
                    to_state=RunState.REJECTED.value,
                    message=message,
                )
            )
            next_id: int | None = None
            if retry is not None:
                nxt = RunRow(state=RunState.QUEUED.value, retries=0, **retry)
                s.add(nxt)
                s.flush()
                next_id = nxt.id
                s.add(
                    EventRow(
                        run_id=next_id,
                        from_state=None,
                        to_state=RunState.QUEUED.value,
                        message=f"retry of run {run_id} with reviewer feedback",
                    )
                )
            s.add(
                DecisionRow(
                    run_id=run_id, kind="reject", who=who, feedback=feedback, next_run_id=next_id
                )
            )
            return next_id

    def record_decision(
        self,
        run_id: int,
        kind: str,
        who: str,
        *,
        feedback: str | None = None,
        merge_commit: str | None = None,
        next_run_id: int | None = None,
    ) -> int:
        with self.session() as s:
            row = DecisionRow(
                run_id=run_id,
                kind=kind,
                who=who,
                feedback=feedback,
                merge_commit=merge_commit,
                next_run_id=next_run_id,
            )
            s.add(row)
            s.flush()
            return row.id

    def decisions(self, run_id: int | None = None) -> list[DecisionRow]:
        with self.session() as s:
            query = select(DecisionRow).order_by(DecisionRow.id)
            if run_id is not None:
                query = query.where(DecisionRow.run_id == run_id)
            return list(s.scalars(query))

    def task_feedback(self, task_id: str, before_attempt: int) -> list[tuple[DecisionRow, RunRow]]:
        """Every rejection with feedback on a run of `task_id` with an attempt number below
        `before_attempt`, whichever agent ran it, oldest attempt first: what a later attempt of
        the task must be told, wherever the feedback was given."""
        with self.session() as s:
            rows = s.execute(
                select(DecisionRow, RunRow)
                .join(RunRow, DecisionRow.run_id == RunRow.id)
                .where(
                    RunRow.task_id == task_id,
                    RunRow.attempt < before_attempt,
                    DecisionRow.kind == "reject",
                    DecisionRow.feedback.is_not(None),
                )
                .order_by(RunRow.attempt, DecisionRow.id)
            )
            return [(decision, run) for decision, run in rows]


def superseded_reason(merged_run_id: int, target: str | None) -> str:
    """The reason a superseded run carries (one wording, so `superseded_by` can find them)."""
    return f"superseded: run {merged_run_id} of this task was merged on {target}"


def _compare_and_set(
    s: Session,
    run: RunRow,
    old: RunState,
    new: RunState,
    message: str | None,
    fields: dict[str, Any],
) -> bool:
    """Set `run`'s state to `new` only if it is still `old`, with `fields` and an event, inside
    session `s`; False (and nothing written) when another writer changed it first."""
    values: dict[str, Any] = {"state": new.value, **fields}
    if new == RunState.RUNNING and run.started_at is None:
        values.setdefault("started_at", utcnow())
    if new.is_final or new == RunState.AWAITING_REVIEW:
        values.setdefault("ended_at", utcnow())
    result = s.execute(
        update(RunRow).where(RunRow.id == run.id, RunRow.state == old.value).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    s.add(EventRow(run_id=run.id, from_state=old.value, to_state=new.value, message=message))
    return True


def run_to_json(run: RunRow) -> dict[str, Any]:
    """A run as in `crewchief.status/v1` and `crewchief.review/v1`."""

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    tokens = None
    if run.tokens_in is not None or run.tokens_out is not None:
        tokens = {"input": run.tokens_in or 0, "output": run.tokens_out or 0}
    return {
        "id": run.id,
        "task": run.task_id,
        "agent": run.agent,
        "attempt": run.attempt,
        "state": run.state,
        "branch": run.branch,
        "verdict": run.verdict,
        "risk": run.risk,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "tokens": tokens,
        "cost_usd": run.cost_usd,
        "model": run.model,
        "reason": run.reason,
        "group": run.group_key,
    }


def open_store(repo_root: Path, url: str | None = None) -> Store:
    return Store(url or default_url(repo_root))
