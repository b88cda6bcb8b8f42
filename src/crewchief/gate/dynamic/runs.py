"""The test runs the dynamic checks share within one gate, and across gates on the same base.

The base suite's results are cached by the base tree id (plus command, setup, variables and the
project's interpreter), so a batch of changes on one base runs the base suite once. The head suite
runs once per gate, measured by the project's coverage.py (with the base's coverage settings,
`coverage_config`) when it has one, and feeds both `tests` and `coverage`.
"""

from __future__ import annotations

from pathlib import Path

from crewchief import git
from crewchief.gate.check import CheckContext, GateSession
from crewchief.gate.dynamic.coverage_config import base_coverage_env
from crewchief.gate.dynamic.suite import SuiteRequest, SuiteResult, run_suite
from crewchief.spec.task import TASK_DIR
from crewchief.workspace.checkouts import PreparedTree

CACHE_VERSION = "3"  # 3: runs ignore committed bytecode; results say if evidence is inconsistent


class NoTestCommand(Exception):
    """The policy has no [tests] command: the dynamic checks have nothing to run."""


def session(ctx: CheckContext) -> GateSession:
    if ctx.session is None:
        raise RuntimeError("dynamic check run without a gate session")
    return ctx.session


def test_command(ctx: CheckContext) -> str:
    command = ctx.policy.tests.command
    if not command:
        raise NoTestCommand
    return command


def tree_id(repo: Path, rev: str) -> str:
    return git.run(repo, "rev-parse", f"{rev}^{{tree}}").text().strip()


def prepared(ctx: CheckContext, side: str) -> PreparedTree:
    """One worktree per side per gate ("base" or "head"), prepared once, shared by the checks."""
    ws = session(ctx)
    rev = ws.base if side == "base" else ws.head
    result: PreparedTree = ws.once(
        f"prepared:{side}", lambda: ws.checkouts.checkout(rev, label=side)
    )
    return result


def task_replaced_files(ctx: CheckContext) -> frozenset[str]:
    """Repository files the task's own folder ships a new version of (at the base, where the agent
    cannot edit it). The task's version is the spec for the tests in them: the acceptance check
    runs those, and a test whose old version fails at head was changed by the spec, not broken."""
    if ctx.task is None:
        return frozenset()
    ws = session(ctx)
    listing = git.ls_tree(ws.checkouts.repo, ws.base)
    prefix = f"{TASK_DIR}/{ctx.task.id}/"
    shipped = {path[len(prefix) :] for _, _, path in listing if path.startswith(prefix)}
    return frozenset(shipped & {path for _, _, path in listing})


def superseded(ctx: CheckContext, test: str) -> bool:
    """Whether the task says its objective changes this test (`supersedes`)."""
    return ctx.task is not None and ctx.task.supersedes_test(test)


def environment_key(ctx: CheckContext) -> str:
    """What, besides the tree and the command, decides a cached suite result: the interpreter the
    tests run with, the setup commands and the variables set for them."""
    tests = ctx.policy.tests
    python = session(ctx).checkouts.project_python().describe()
    return repr((python, tests.setup, sorted(tests.env.items())))


def base_suite(ctx: CheckContext) -> SuiteResult:
    ws = session(ctx)
    command = test_command(ctx)
    key = (
        "tests",
        CACHE_VERSION,
        "base-suite",
        tree_id(ws.checkouts.repo, ws.base),
        command,
        environment_key(ctx),
    )

    def compute() -> SuiteResult:
        def run() -> dict[str, object]:
            env = prepared(ctx, "base")
            request = SuiteRequest(command, timeout=ctx.policy.tests.timeout_s, label="tests-base")
            return run_suite(ws.checkouts, env, request).to_json()

        cached = ctx.cache.get(key)
        if cached is not None:
            return SuiteResult.from_json(cached)
        fresh = run()
        result = SuiteResult.from_json(fresh)
        if not result.timed_out:  # a timeout may be the machine's fault; try again next time
            ctx.cache.put(key, fresh)
        return result

    result: SuiteResult = ws.once("base-suite", compute)
    return result


def head_suite(ctx: CheckContext) -> SuiteResult:
    ws = session(ctx)
    command = test_command(ctx)

    def compute() -> SuiteResult:
        env = prepared(ctx, "head")
        request = SuiteRequest(
            command,
            coverage=True,
            timeout=ctx.policy.tests.timeout_s,
            label="tests-head",
            env=base_coverage_env(ctx),
        )
        return run_suite(ws.checkouts, env, request)

    result: SuiteResult = ws.once("head-suite", compute)
    return result
