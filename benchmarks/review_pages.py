"""How fast does the review UI answer with a big store and a big change?

Targets (issue 5), server time, median: the queue page with 10,000 runs awaiting review in at most
150 ms; the page of a run whose diff has 5,000 lines in at most 500 ms. Server time is the ASGI
request measured in-process (httpx's ASGI transport: routing, store queries, ranking, git diff,
highlighting, template rendering), without a socket or a browser.

The store is a real SQLite store with 10,000 runs over 40 tasks and 6 agents (risk, verdicts,
priorities, costs and best-of-N groups spread across them); the big run is a real commit that
rewrites 2,500 lines of a Python module (2,500 removed + 2,500 added) with 40 findings on its lines.

Usage: .venv/bin/python benchmarks/review_pages.py [--runs N] [--repeat N] [--keep]
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from crewchief.store import RunState, open_store
from crewchief.store.models import RunRow, TaskRow
from crewchief.web.app import create_app
from crewchief.web.diffview import DiffCache

QUEUE_TARGET_S = 0.150
RUN_TARGET_S = 0.500
DIFF_LINES = 5000


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return subprocess.run(
        ("git", "-C", str(repo), *args), env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def module(version: str, lines: int) -> str:
    body = [f'"""Generated module, {version}."""', "", "import math", ""]
    for i in range((lines - 4) // 4):
        body += [
            f"def f_{i}(x, y={i}):",
            f"    return math.sqrt(x * {i} + y) + len('{version}-{i}')",
            "",
            "",
        ]
    return "\n".join(body[:lines]) + "\n"


def build_repo(root: Path) -> tuple[Path, str, str]:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "big.py").write_text(module("base", DIFF_LINES // 2))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "crewchief/big/1")
    (repo / "big.py").write_text(module("head", DIFF_LINES // 2))
    git(repo, "commit", "-q", "-am", "agent: rewrite big.py")
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    return repo, base, head


def fill_store(repo: Path, base: str, head: str, runs: int) -> int:
    store = open_store(repo)
    rng = random.Random(5)
    agents = ["claude", "codex", "aider", "gemini", "opencode", "mini"]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with store.session() as s:
        for t in range(40):
            s.add(TaskRow(id=f"task-{t}", title=f"Task {t}", priority=t % 5, spec={}))
        s.add(TaskRow(id="big", title="Rewrite big.py", priority=1, spec={}))
        s.flush()
        for i in range(runs):
            group = f"g-{i // 3}" if i % 10 < 3 else None
            s.add(
                RunRow(
                    task_id=f"task-{i % 40}",
                    agent=agents[i % len(agents)],
                    attempt=1 + i % 3,
                    group_key=group,
                    state=RunState.AWAITING_REVIEW.value,
                    priority=rng.randint(0, 5),
                    branch=f"crewchief/task-{i % 40}/{i}",
                    base_ref="main",
                    verdict=rng.choice(["pass", "review", "review", "block"]),
                    risk=rng.randint(0, 100),
                    cost_usd=round(rng.uniform(0.01, 3.0), 2),
                    tokens_in=rng.randint(1000, 90000),
                    tokens_out=rng.randint(100, 9000),
                    model="model-x",
                    created_at=start + dt.timedelta(minutes=i),
                    started_at=start + dt.timedelta(minutes=i),
                    ended_at=start + dt.timedelta(minutes=i + 7),
                )
            )
    big = store.queue_run("big", "claude", base_ref="main", priority=1)
    store.transition(big, RunState.PREPARING)
    store.transition(big, RunState.RUNNING, branch="crewchief/big/1", base_commit=base)
    store.transition(big, RunState.VALIDATING, head_commit=head, cost_usd=1.25)
    findings = [
        {
            "check": "quality",
            "rule": "long-function",
            "severity": "low",
            "path": "big.py",
            "line": 5 + 50 * n,
            "message": f"finding {n} on a changed line",
            "blocking": False,
        }
        for n in range(40)
    ]
    checks = [
        {"name": "quality", "status": "warned", "duration_s": 0.2, "findings": findings},
        {"name": "security", "status": "passed", "duration_s": 0.1, "findings": []},
    ]
    report = {
        "schema": "crewchief.gate/v1",
        "base": base,
        "head": head,
        "verdict": "review",
        "risk": 30,
        "stats": {
            "files_changed": 1,
            "lines_added": DIFF_LINES // 2,
            "lines_removed": DIFF_LINES // 2,
        },
        "checks": checks,
        "findings": findings,
    }
    store.save_report(big, report)
    store.transition(big, RunState.AWAITING_REVIEW)
    store.close()
    return big


async def measure(
    app: Any, url: str, repeat: int, before: Callable[[], None] | None = None
) -> tuple[list[float], int, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        first = await client.get(url)  # warm caches (lexers, templates, SQLAlchemy statements)
        first.raise_for_status()
        samples = []
        for _ in range(repeat):
            if before is not None:
                before()  # outside the timed part
            began = time.perf_counter()
            response = await client.get(url)
            samples.append(time.perf_counter() - began)
            response.raise_for_status()
    return samples, len(first.content), first.status_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary repository.")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="crewchief-bench-web-"))
    try:
        repo, base, head = build_repo(root)
        began = time.perf_counter()
        big = fill_store(repo, base, head, args.runs)
        print(
            f"store: {args.runs + 1} runs awaiting review ({time.perf_counter() - began:.1f} s to build)"
        )
        app = create_app(repo, regate=None)
        ctx = app.state.ctx
        other = open_store(repo)  # another connection, as `crewchief run` would be
        bump = iter(range(10**9))

        def store_changed() -> None:
            other.update_run(1, retries=next(bump) + 1)

        def diff_forgotten() -> None:
            ctx.diffs = DiffCache()

        cases: list[tuple[str, str, float | None, Callable[[], None] | None]] = [
            (f"queue page, {args.runs + 1} runs", "/", QUEUE_TARGET_S, None),
            (
                f"queue page, {args.runs + 1} runs, store changed before each",
                "/",
                QUEUE_TARGET_S,
                store_changed,
            ),
            (
                "queue, filtered by agent and sorted by cost",
                "/?agent=codex&sort=cost&desc=1",
                None,
                None,
            ),
            ("queue JSON (/api/queue, all runs)", "/api/queue", None, None),
            (
                f"run page, {DIFF_LINES}-line diff, first view",
                f"/runs/{big}",
                RUN_TARGET_S,
                diff_forgotten,
            ),
            (f"run page, {DIFF_LINES}-line diff, again", f"/runs/{big}", RUN_TARGET_S, None),
            (
                f"run page, {DIFF_LINES}-line diff, side by side",
                f"/runs/{big}?view=split",
                None,
                None,
            ),
        ]
        rows = []
        failed = False
        for label, url, target, before in cases:
            samples, size, _ = asyncio.run(measure(app, url, args.repeat, before))
            median = statistics.median(samples)
            verdict = "-" if target is None else ("PASS" if median <= target else "FAIL")
            failed |= verdict == "FAIL"
            rows.append((label, median, min(samples), max(samples), size, target, verdict))
        other.close()
        print()
        print("| page | median ms | min ms | max ms | bytes | target ms | result |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for label, median, low, high, size, target, verdict in rows:
            shown = f"{target * 1000:.0f}" if target else "-"
            print(
                f"| {label} | {median * 1000:.1f} | {low * 1000:.1f} | {high * 1000:.1f} | "
                f"{size:,} | {shown} | {verdict} |"
            )
        print(f"\n{args.repeat} requests each, after one warm-up; Python {sys.version.split()[0]}")
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
