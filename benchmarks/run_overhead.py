"""What does crewchief add to a run, and does a batch of runs leak anything?

Per-run orchestration overhead: an instant agent (one shell command that appends a line to a file)
run through `execute_run` (claim, worktree, sandbox, transcript, commit with trailers, static gate,
report in the store, cleanup) on a real mid-size repository (Flask's sdist committed into a temp
repo), against the bare minimum the same run needs without crewchief: `git worktree add`, the same
edit, `git add -A` + `git commit`, `git worktree remove`. Target: ratio at most 2x.

Batch: N queued runs (default 200) worked by two threads (`--parallel 2`) that claim runs with the
store's compare-and-set; afterwards no run worktree may remain, no child process may be alive, and
this process's open file descriptors must be back to their count before the batch.

Usage: .venv/bin/python benchmarks/run_overhead.py [--samples 15] [--runs 200] [--parallel 2]
       [--sandbox auto|required|off] [--profile]
Always exits 0 (a benchmark, not a test) and prints PASS or FAIL per target.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bigrepo import GIT_ENV, build_repo, count_python, fetch_sdist

from crewchief import git, proc
from crewchief.runs.execute import RunOptions, execute_run
from crewchief.spec.task import parse_task
from crewchief.store import RunState, Store, open_store
from crewchief.store.db import TransitionError
from crewchief.workspace import sandbox

PROJECT, VERSION = "flask", "3.0.3"
TARGET_RATIO = 2.0
TASK = """---
id: bench
title: Benchmark run
agent: instant
budget: {minutes: 5}
---
Append a line to BENCH.txt.
"""
POLICY = """[agents.instant]
type = "command"
command = ["sh", "-c", "echo run >> BENCH.txt"]
"""


def setup_repo(parent: Path) -> Path:
    repo = build_repo(fetch_sdist(PROJECT, VERSION), parent)
    (repo / "crewchief.toml").write_text(POLICY)
    (repo / ".crewchief" / "tasks").mkdir(parents=True)
    (repo / ".crewchief" / "tasks" / "bench.md").write_text(TASK)
    git.run(repo, "add", "-A", env=GIT_ENV)
    git.run(repo, "commit", "-q", "-m", "crewchief setup", env=GIT_ENV)
    return repo


def bare_run(repo: Path, index: int) -> float:
    """The same work with plain git: worktree, edit, commit on a branch, remove the worktree."""
    start = time.perf_counter()
    path = repo.parent / f"bare-{index}"
    git.run(repo, "worktree", "add", "-q", "-b", f"bare/{index}", str(path), "HEAD", env=GIT_ENV)
    with open(path / "BENCH.txt", "a") as fh:
        fh.write("run\n")
    git.run(path, "add", "-A", env=GIT_ENV)
    git.run(path, "commit", "-q", "--no-verify", "-m", "bare run", env=GIT_ENV)
    git.run(repo, "worktree", "remove", "--force", str(path), env=GIT_ENV)
    return time.perf_counter() - start


def crewchief_run(store: Store, repo: Path, options: RunOptions) -> float:
    run_id = store.queue_run("bench", "instant")
    start = time.perf_counter()
    state = execute_run(store, repo, run_id, options=options)
    elapsed = time.perf_counter() - start
    if state != RunState.AWAITING_REVIEW:
        raise SystemExit(f"run {run_id} ended {state}: {store.run(run_id).reason}")
    return elapsed


def open_fds() -> dict[str, str]:
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
    return found


def run_worktrees(repo: Path) -> list[str]:
    out = git.run(repo, "worktree", "list", "--porcelain").text()
    return [line for line in out.splitlines() if line.startswith("worktree ")][1:]


def batch(
    store: Store, repo: Path, runs: int, parallel: int, options: RunOptions
) -> dict[str, float]:
    for _ in range(runs):
        store.queue_run("bench", "instant")
    errors: list[str] = []

    def worker() -> None:
        while True:
            queued = store.runs([RunState.QUEUED])
            if not queued:
                return
            for run in queued:
                try:
                    state = execute_run(store, repo, run.id, options=options)
                except TransitionError:
                    continue
                if state != RunState.AWAITING_REVIEW:
                    errors.append(f"run {run.id}: {state} {store.run(run.id).reason}")
                break

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        print("errors:", *errors[:5], sep="\n  ")
    return {"elapsed": elapsed, "errors": float(len(errors))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--sandbox", default="auto", choices=("auto", "required", "off"))
    parser.add_argument("--profile", action="store_true", help="profile the crewchief runs")
    args = parser.parse_args()
    options = RunOptions(sandbox=args.sandbox, static_gate=True)
    found = sandbox.probe()
    with tempfile.TemporaryDirectory(prefix="crewchief-bench-") as tmp:
        repo = setup_repo(Path(tmp))
        lines = count_python(repo)
        store = open_store(repo)
        store.upsert_task(
            "bench", "Benchmark run", 3, parse_task(TASK.encode(), "bench.md").model_dump()
        )
        # Warm up both paths once (imports, the gate's caches, the sandbox probe).
        bare_run(repo, -1)
        crewchief_run(store, repo, options)
        bare, ours = [], []
        profiler = cProfile.Profile() if args.profile else None
        for i in range(args.samples):
            bare.append(bare_run(repo, i))
            if profiler:
                profiler.enable()
            ours.append(crewchief_run(store, repo, options))
            if profiler:
                profiler.disable()
        bare_s, ours_s = statistics.median(bare), statistics.median(ours)
        ratio = ours_s / bare_s

        # A short batch first, so the store's connection pool has one connection per worker
        # before counting descriptors (a pooled connection is reuse, not a leak).
        batch(store, repo, args.parallel * 2, args.parallel, options)
        fds_before = open_fds()
        trees_before = run_worktrees(repo)
        result = batch(store, repo, args.runs, args.parallel, options)
        time.sleep(0.2)
        leaked_children = proc.descendants(os.getpid())
        fds_after = open_fds()
        trees_after = run_worktrees(repo)
        store.close()

    print(f"repository: {PROJECT} {VERSION} sdist, {lines.files} Python files, {lines.lines} lines")
    print(
        f"sandbox: {sandbox.describe(found.available and args.sandbox != 'off', args.sandbox, True)}"
    )
    print()
    print(f"{'measure':<46}{'value':>14}  target")
    print(f"{'bare git worktree add + commit (median)':<46}{bare_s * 1000:>12.1f}ms")
    print(f"{'crewchief execute_run (median)':<46}{ours_s * 1000:>12.1f}ms")
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    print(f"{'ratio':<46}{ratio:>13.2f}x  <= {TARGET_RATIO:g}x {verdict}")
    per_run = result["elapsed"] / args.runs
    print(
        f"{f'{args.runs} runs at --parallel {args.parallel}':<46}{result['elapsed']:>13.1f}s  ({per_run * 1000:.0f}ms/run)"
    )
    print(
        f"{'runs not awaiting review':<46}{int(result['errors']):>14}  0 {'PASS' if not result['errors'] else 'FAIL'}"
    )
    leaks = [
        ("leaked run worktrees", len(trees_after) - len(trees_before)),
        ("leaked child processes", len(leaked_children)),
        ("leaked file descriptors", len(fds_after) - len(fds_before)),
    ]
    for label, value in leaks:
        print(f"{label:<46}{value:>14}  0 {'PASS' if value <= 0 else 'FAIL'}")
    new_fds = sorted(set(fds_after.values()) - set(fds_before.values()))
    if new_fds:
        print("  new descriptors:", *new_fds, sep="\n    ")
    if profiler:
        print()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
