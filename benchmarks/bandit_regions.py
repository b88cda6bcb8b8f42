"""Does bandit's pruned read (`gate/checks/security/regions.py`) report what a whole read reports?

It replays a repository's history: for each commit that changes Python files, the security check
runs on (parent, commit) twice, once with bandit reading only what the change can have changed and
once reading whole files, and the two lists of findings are compared. It prints a table: commits
compared, commits whose findings differ (each one listed), findings, and the check's time each way.

Usage: .venv/bin/python benchmarks/bandit_regions.py [--repo PATH] [--commits N]
The default repository is this checkout. It always exits 0 (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from crewchief import git
from crewchief.gate.analysis import pysource
from crewchief.gate.cache import NullCache
from crewchief.gate.change import FileChange
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security import regions
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.engine import load_base_policy
from crewchief.gate.reader import read_change

Row = tuple[str, str, int | None, str]


def _read_whole(file: FileChange, *, new: bool) -> None:
    return None


@contextmanager
def whole_files() -> Iterator[None]:
    saved = regions.prune_for
    regions.prune_for = _read_whole
    try:
        yield
    finally:
        regions.prune_for = saved


def timed_findings(ctx: CheckContext) -> tuple[list[Row], float]:
    pysource.forget_parsed()  # each read parses for itself, as a cold gate does
    start = time.perf_counter()
    found = CHECK.run(ctx)
    elapsed = time.perf_counter() - start
    return sorted((f.rule, f.path or "", f.line, f.message) for f in found), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--commits", type=int, default=150)
    args = parser.parse_args()
    repo: Path = args.repo.resolve()
    revs = git.run(repo, "rev-list", "--no-merges", "-n", str(args.commits), "HEAD").text().split()
    policy, _ = load_base_policy(repo, revs[0])
    compared = findings = 0
    whole_s = pruned_s = 0.0
    differing: list[tuple[str, set[Row]]] = []
    for rev in revs:
        if not git.run(repo, "rev-list", "--parents", "-n", "1", rev).text().split()[1:]:
            continue  # the root commit has no parent to compare with
        change = read_change(repo, f"{rev}^", rev)
        if not any(f.path.endswith(".py") for f in change.files):
            continue
        ctx = CheckContext(change, policy, None, NullCache(), None)
        pruned, seconds = timed_findings(ctx)
        pruned_s += seconds
        with whole_files():
            whole, seconds = timed_findings(ctx)
        whole_s += seconds
        compared += 1
        findings += len(whole)
        if pruned != whole:
            differing.append((rev[:12], set(pruned) ^ set(whole)))
    console = Console(width=110, highlight=False)
    table = Table(title=f"security check, pruned vs whole bandit reads, on {repo.name}'s history")
    for column in ("commits compared", "differing", "findings", "whole s", "pruned s", "ratio"):
        table.add_column(column, justify="right")
    ratio = f"{whole_s / pruned_s:.2f}x" if pruned_s else "n/a"
    table.add_row(
        str(compared),
        str(len(differing)),
        str(findings),
        f"{whole_s:.1f}",
        f"{pruned_s:.1f}",
        ratio,
    )
    console.print(table)
    for rev, rows in differing:
        console.print(f"[red]differs[/red] at {rev}: {sorted(rows)}", markup=True)


if __name__ == "__main__":
    main()
