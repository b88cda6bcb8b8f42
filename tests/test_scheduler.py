"""The scheduler's ordering, dependencies, parallelism, backoff and overlap warnings, on a real store
and real repo; `execute` is a small function that drives each run through the state machine."""

from __future__ import annotations

import datetime as dt
import threading
import time

from crewchief.runs.scheduler import Scheduler, deadline_from, queue_tasks
from crewchief.spec.task import Task
from crewchief.store import RunState, open_store


def test_priority_order_and_parallel_limit(repo) -> None:
    store = open_store(repo.path)
    tasks: dict[str, object] = {
        t.id: t
        for t in (
            Task(id="low", title="l", priority=5),
            Task(id="high", title="h", priority=0),
            Task(id="mid", title="m", priority=2),
        )
    }
    queue_tasks(store, ["low", "high", "mid"], ["a"], base_ref="main", tasks=tasks)
    order: list[str] = []
    active = []
    peak = [0]
    lock = threading.Lock()

    def execute(run_id: int) -> None:
        store.transition(run_id, RunState.PREPARING, expect=[RunState.QUEUED])
        with lock:
            order.append(store.run(run_id).task_id)
            active.append(run_id)
            peak[0] = max(peak[0], len(active))
        time.sleep(0.2)
        store.transition(run_id, RunState.FAILED, "test end")
        with lock:
            active.remove(run_id)

    Scheduler(store, repo.path, execute, parallel=2, poll_s=0.01).run()
    # The two most urgent start first (in either order: two workers race), the least urgent last.
    assert set(order[:2]) == {"high", "mid"} and order[2] == "low"
    assert peak[0] == 2


def test_dependencies_wait_for_a_merged_run(repo) -> None:
    store = open_store(repo.path)
    tasks: dict[str, object] = {
        "base": Task(id="base", title="b"),
        "next": Task(id="next", title="n", depends_on=["base"], priority=0),
    }
    queue_tasks(store, ["next", "base"], ["a"], base_ref="main", tasks=tasks)
    seen: list[str] = []

    def execute(run_id: int) -> None:
        run = store.run(run_id)
        seen.append(run.task_id)
        store.transition(run_id, RunState.PREPARING)
        store.transition(run_id, RunState.FAILED, "not merged")

    batch = Scheduler(store, repo.path, execute, poll_s=0.01).run()
    assert seen == ["base"]
    assert any("waiting for base to be merged" in why for why in batch.waiting.values())
    # Once base has a merged run, next may start.
    run_id = store.queue_run("base", "a")
    for state in (
        RunState.PREPARING,
        RunState.RUNNING,
        RunState.VALIDATING,
        RunState.AWAITING_REVIEW,
        RunState.APPROVED,
        RunState.MERGED,
    ):
        store.transition(run_id, state)
    Scheduler(store, repo.path, execute, poll_s=0.01).run()
    assert seen == ["base", "next"]


def test_backoff_is_respected_then_retried(repo) -> None:
    store = open_store(repo.path)
    queue_tasks(store, ["t"], ["a"], base_ref="main", tasks={"t": Task(id="t", title="t")})
    attempts: list[float] = []

    def execute(run_id: int) -> None:
        attempts.append(time.monotonic())
        store.transition(run_id, RunState.PREPARING)
        if len(attempts) == 1:
            later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.5)
            store.transition(
                run_id, RunState.QUEUED, "rate limited: retry later", not_before=later, retries=1
            )
        else:
            store.transition(run_id, RunState.FAILED, "done")

    Scheduler(store, repo.path, execute, poll_s=0.02).run()
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 0.45


def test_best_of_n_groups_and_overlap_warning(repo) -> None:
    store = open_store(repo.path)
    tasks: dict[str, object] = {"one": Task(id="one", title="1"), "two": Task(id="two", title="2")}
    ids = queue_tasks(store, ["one"], ["a", "b"], base_ref="main", tasks=tasks)
    assert len({store.run(i).group_key for i in ids}) == 1 and store.run(ids[0]).group_key
    ids += queue_tasks(store, ["two"], ["a"], base_ref="main", tasks=tasks)
    base = repo.git("rev-parse", "HEAD")

    def execute(run_id: int) -> None:
        run = store.run(run_id)
        repo.git("checkout", "-q", "-b", f"r{run_id}", base)
        (repo.path / "shared.py").write_text(f"x = {run_id}\n")
        repo.git("add", "-A")
        repo.git("commit", "-q", "-m", "x")
        head = repo.git("rev-parse", "HEAD")
        store.transition(run_id, RunState.PREPARING)
        store.transition(run_id, RunState.FAILED, "end", base_commit=base, head_commit=head)
        assert run.task_id

    batch = Scheduler(store, repo.path, execute, poll_s=0.01).run()
    overlap = [w for w in batch.warnings if "both change shared.py" in w]
    # one/a and one/b are best-of-N (expected to overlap); two/a overlaps each of them.
    assert len(overlap) == 2


def test_deadline_parsing() -> None:
    now = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.UTC)
    assert deadline_from("07:00", now) == dt.datetime(2026, 1, 2, 7, 0, tzinfo=dt.UTC)
    assert deadline_from("23:30", now) == dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
    assert deadline_from(None) is None


def test_past_deadline_starts_nothing(repo) -> None:
    store = open_store(repo.path)
    queue_tasks(store, ["t"], ["a"], base_ref="main", tasks={"t": Task(id="t", title="t")})
    past = dt.datetime.now().astimezone() - dt.timedelta(seconds=1)
    started: list[int] = []
    Scheduler(store, repo.path, started.append, deadline=past, poll_s=0.01).run()
    assert started == []
