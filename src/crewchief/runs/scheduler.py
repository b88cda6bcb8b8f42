"""Works the run queue: priorities, dependencies, parallelism, a deadline, retries with backoff.

The store is the queue. Each worker claims a run by moving it queued -> preparing with a
compare-and-set, so two `crewchief run` processes never take the same run. A task that depends on
others waits until each of them has a merged run; a run whose agent failed transiently is put back
with a backoff (`not_before`) and retried a bounded number of times. After the deadline no new run
starts; runs in flight finish within their own budgets.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from crewchief import git
from crewchief.runs.execute import TRANSIENT
from crewchief.store import RunState, Store
from crewchief.store.models import RunRow

Execute = Callable[[int], object]
"""Runs one claimed-or-queued run to an end state (the runner's execute_run, bound)."""


def deadline_from(until: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """`07:00` means the next 07:00 local time (tomorrow if it has passed today)."""
    if not until:
        return None
    try:
        hour, minute = (int(part) for part in until.split(":", 1))
        wanted = dt.time(hour, minute)
    except ValueError:
        from crewchief.errors import UserError

        raise UserError(f"--until {until!r}: use HH:MM, for example 07:00") from None
    now = now or dt.datetime.now().astimezone()
    target = now.replace(hour=wanted.hour, minute=wanted.minute, second=0, microsecond=0)
    if target <= now:
        target += dt.timedelta(days=1)
    return target


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class Batch:
    """What one `crewchief run` invocation is working on, for the live view and the summary."""

    run_ids: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    waiting: dict[int, str] = field(default_factory=dict)


class Scheduler:
    def __init__(
        self,
        store: Store,
        repo: Path,
        execute: Execute,
        *,
        parallel: int = 1,
        deadline: dt.datetime | None = None,
        poll_s: float = 0.2,
        on_change: Callable[[Batch], None] | None = None,
        max_retries: int = 3,
        retry_base_s: float = 30.0,
    ) -> None:
        if parallel < 1:
            from crewchief.errors import UserError

            raise UserError("--parallel must be at least 1")
        self.store = store
        self.repo = repo
        self.execute = execute
        self.parallel = parallel
        self.deadline = deadline
        self.poll_s = poll_s
        self.batch = Batch()
        self.on_change = on_change
        self.max_retries = max_retries
        self.retry_base_s = retry_base_s
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def _merged_tasks(self) -> set[str]:
        return {r.task_id for r in self.store.runs([RunState.MERGED])}

    def _task_deps(self, task_id: str) -> list[str]:
        row = self.store.task(task_id)
        deps = (row.spec or {}).get("depends_on", []) if row else []
        return [str(d) for d in deps] if isinstance(deps, list) else []

    def eligible(self, now: dt.datetime) -> list[RunRow]:
        """Queued runs that may start now, most urgent first."""
        merged = self._merged_tasks()
        ready: list[RunRow] = []
        for run in self.store.runs([RunState.QUEUED]):
            not_before = _aware(run.not_before)
            if not_before and not_before > now:
                self.batch.waiting[run.id] = f"backing off until {not_before:%H:%M:%S}"
                continue
            missing = [d for d in self._task_deps(run.task_id) if d not in merged]
            if missing:
                self.batch.waiting[run.id] = f"waiting for {', '.join(missing)} to be merged"
                continue
            self.batch.waiting.pop(run.id, None)
            ready.append(run)
        ready.sort(key=lambda r: (r.priority, r.id))
        return ready

    def _past_deadline(self) -> bool:
        return self.deadline is not None and dt.datetime.now().astimezone() >= self.deadline

    def run(self) -> Batch:
        """Work until the queue has nothing that can start and nothing in flight, or the deadline."""
        in_flight: dict[int, Future[object]] = {}
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="run") as pool:
            while not self._stop.is_set():
                for run_id, future in list(in_flight.items()):
                    if future.done():
                        del in_flight[run_id]
                        self._after(run_id, future)
                now = dt.datetime.now(dt.UTC)
                started = False
                if not self._past_deadline():
                    for run in self.eligible(now):
                        if len(in_flight) >= self.parallel:
                            break
                        if run.id in in_flight:
                            continue
                        self.batch.run_ids.add(run.id)
                        in_flight[run.id] = pool.submit(self.execute, run.id)
                        started = True
                if self.on_change:
                    self.on_change(self.batch)
                if not in_flight and not started:
                    backoff = [
                        r
                        for r in self.store.runs([RunState.QUEUED])
                        if (nb := _aware(r.not_before)) is not None and nb > now
                    ]
                    if not backoff or self._past_deadline():
                        break
                time.sleep(self.poll_s)
            for run_id, future in in_flight.items():
                future.result()
                self._after(run_id, future)
        if self.on_change:
            self.on_change(self.batch)
        return self.batch

    def _after(self, run_id: int, future: Future[object]) -> None:
        error = future.exception()
        if error is not None:
            self.batch.warnings.append(f"run {run_id}: {type(error).__name__}: {error}")
        self._retry_if_transient(run_id)
        self._check_overlap(run_id)

    def _retry_if_transient(self, run_id: int) -> None:
        """A rate limit or network failure is the world's fault, not the agent's: queue the same
        attempt again after an exponential backoff, a bounded number of times."""
        run = self.store.run(run_id)
        if run.state != RunState.FAILED.value or not (run.reason or "").startswith(TRANSIENT):
            return
        if run.retries >= self.max_retries:
            self.batch.warnings.append(
                f"run {run_id}: gave up after {run.retries} retries ({run.reason})"
            )
            return
        delay = self.retry_base_s * (2**run.retries)
        retry = self.store.queue_run(
            run.task_id,
            run.agent,
            base_ref=run.base_ref,
            attempt=run.attempt,
            feedback=run.feedback,
            group_key=run.group_key,
            priority=run.priority,
            message=f"retry {run.retries + 1} of run {run_id} in {delay:g}s: {run.reason}",
        )
        self.store.update_run(
            retry,
            retries=run.retries + 1,
            not_before=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay),
        )
        self.batch.run_ids.add(retry)

    def _check_overlap(self, run_id: int) -> None:
        """Warn when parallel runs of this batch changed the same files: their merges will conflict."""
        run = self.store.run(run_id)
        mine = changed_files(self.repo, run)
        if not mine:
            return
        for other_id in sorted(self.batch.run_ids - {run_id}):
            other = self.store.run(other_id)
            if (
                other.task_id == run.task_id
                and other.group_key
                and other.group_key == run.group_key
            ):
                continue  # best-of-N candidates are meant to overlap
            shared = sorted(mine & changed_files(self.repo, other))
            if shared:
                message = (
                    f"runs {min(run_id, other_id)} and {max(run_id, other_id)} both change "
                    f"{', '.join(shared[:5])}{' …' if len(shared) > 5 else ''}"
                )
                if message not in self.batch.warnings:
                    self.batch.warnings.append(message)


def changed_files(repo: Path, run: RunRow) -> set[str]:
    if not (run.base_commit and run.head_commit):
        return set()
    out = git.run(repo, "diff", "--name-only", "-z", run.base_commit, run.head_commit, check=False)
    return {git.decode_path(p) for p in out.stdout.split(b"\0") if p}


def queue_tasks(
    store: Store,
    task_ids: Iterable[str],
    agents: list[str],
    *,
    base_ref: str,
    tasks: dict[str, object],
) -> list[int]:
    """Queue one run per task and agent; several agents on one task form a best-of-N group."""
    from crewchief.spec.task import Task

    queued: list[int] = []
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    for task_id in task_ids:
        task = tasks[task_id]
        assert isinstance(task, Task)
        store.upsert_task(task.id, task.title, task.priority, task.model_dump(mode="json"))
        group = f"{task.id}@{stamp}" if len(agents) > 1 else None
        attempt = store.next_attempt(
            task.id
        )  # best-of-N candidates are one attempt, several agents
        for agent in agents:
            queued.append(
                store.queue_run(
                    task.id,
                    agent,
                    base_ref=task.base or base_ref,
                    attempt=attempt,
                    priority=task.priority,
                    group_key=group,
                    message=f"queued for agent {agent}",
                )
            )
    return queued
