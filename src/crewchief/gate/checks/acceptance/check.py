"""The task's objective, made executable, judged by tests the agent could not edit.

Each acceptance entry (a pytest node id or a command) must fail at base and pass at head
(fail-to-pass), and the rest of the suite must keep passing (pass-to-pass). Both run with the test
files reset to the base version plus the task's own trusted tests, which live at the base under
`.crewchief/tasks/<task id>/` mirroring the repository layout (`.crewchief/tasks/fix-x/tests/test_x.py`
becomes `tests/test_x.py`). So an agent cannot satisfy acceptance by editing the tests that judge it.
An entry that already passes at base is a weak spec and is reported as such.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import replace
from pathlib import Path
from typing import ClassVar, Literal

from crewchief import git
from crewchief.gate.analysis.pyfiles import python_changes
from crewchief.gate.change import Change, match_any
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.checks.acceptance.special_case import suspects, test_literals, test_sources
from crewchief.gate.dynamic.runs import base_suite, session, tree_id
from crewchief.gate.dynamic.suite import (
    BROKEN,
    PASSING,
    SuiteRequest,
    SuiteResult,
    is_pytest,
    run_suite,
)
from crewchief.gate.findings import Finding, Severity, fingerprint
from crewchief.gate.reader import read_files_at
from crewchief.spec.task import TASK_DIR
from crewchief.workspace.checkouts import PreparedTree, split_command

NAME = "acceptance"
CACHE_VERSION = "2"


def _finding(rule: str, severity: Severity, message: str, entry: str, *, blocking: bool) -> Finding:
    return Finding(
        NAME, rule, severity, message, blocking=blocking, fingerprint=fingerprint(rule, entry)
    )


def trusted_test_overlay(
    ctx: CheckContext,
) -> tuple[dict[str, bytes | None], dict[str, bytes | None]]:
    """Files that make the acceptance run trustworthy: test files the change touched, reset to the
    base (deleted when the change added them), and the task's own tests from the base. Returns
    (the whole overlay for head, the task's files alone for base)."""
    ws = session(ctx)
    change: Change = ctx.change
    globs = ctx.policy.tests.paths
    restore: list[str] = []
    overlay: dict[str, bytes | None] = {}
    for file in change.files:
        for side in (file.old, file.new):
            if side is not None and match_any(side.path, globs):
                if file.old is not None and side.path == file.old.path:
                    restore.append(side.path)
                else:
                    overlay[side.path] = None
    if restore:
        overlay.update(read_files_at(ws.checkouts.repo, ws.base, restore))
    assert ctx.task is not None
    prefix = f"{TASK_DIR}/{ctx.task.id}/"
    wanted = {
        oid: path[len(prefix) :]
        for mode, oid, path in git.ls_tree(ws.checkouts.repo, ws.base)
        if path.startswith(prefix) and mode in ("100644", "100755")
    }
    blobs = git.read_objects(ws.checkouts.repo, wanted)
    task_files: dict[str, bytes | None] = {rel: blobs.get(oid) for oid, rel in wanted.items()}
    overlay.update(task_files)
    return overlay, task_files


_VALUE_OPTIONS = frozenset(
    {
        "-k",
        "-m",
        "-p",
        "-c",
        "-o",
        "-W",
        "-n",
        "--rootdir",
        "--deselect",
        "--ignore",
        "--ignore-glob",
        "--confcutdir",
        "--basetemp",
        "--maxfail",
        "--tb",
        "-r",
        "--durations",
        "--junitxml",
        "--log-level",
        "--import-mode",
        "--override-ini",
        "--cov",
        "--cov-report",
        "--dist",
        "--numprocesses",
    }
)


def is_node_entry(entry: str) -> bool:
    return not any(ch.isspace() for ch in entry.strip())


def pytest_base_command(ctx: CheckContext) -> str:
    """The policy's pytest command without its positional paths, so that only the acceptance
    entries' own tests run (a policy that names `tests/test_x.py` must not drag the whole file in)."""
    command = ctx.policy.tests.command
    if not command or not is_pytest(split_command(command)):
        return "python -m pytest"
    argv = split_command(command)
    head = argv[:1] if Path(argv[0]).name in ("pytest", "py.test") else argv[:3]
    kept: list[str] = []
    rest = argv[len(head) :]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg.startswith("-"):
            kept.append(arg)
            if arg in _VALUE_OPTIONS and i + 1 < len(rest):
                kept.append(rest[i + 1])
                i += 1
        i += 1
    return shlex.join([*head, *kept])


def outcomes_of(entry: str, result: SuiteResult) -> dict[str, str]:
    """The outcomes of the tests an entry names (a file, a class or a test, parametrised or not)."""
    return {
        k: v
        for k, v in result.outcomes.items()
        if k == entry or k.startswith((entry + "::", entry + "["))
    }


def node_state(entry: str, result: SuiteResult) -> str:
    """passed | failed | missing | timeout for one node-id entry inside a (batched) pytest run."""
    if result.timed_out:
        return "timeout"
    mine = outcomes_of(entry, result)
    if not mine:
        return "missing"
    if any(v in BROKEN for v in mine.values()):
        return "failed"
    if any(v in PASSING for v in mine.values()):
        return "passed"
    return "failed"  # every selected test skipped: nothing was shown to work


def command_state(result: SuiteResult) -> str:
    if result.timed_out:
        return "timeout"
    if not result.is_pytest:
        return "passed" if result.exit_code == 0 else "failed"
    if result.exit_code in (4, 5) or (not result.outcomes and result.exit_code != 0):
        return "missing"
    if (
        result.exit_code == 0
        and any(v in PASSING for v in result.outcomes.values())
        and not any(v in BROKEN for v in result.outcomes.values())
    ):
        return "passed"
    return "failed"


class AcceptanceCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "2"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"

    def run(self, ctx: CheckContext) -> list[Finding]:
        if ctx.task is None:
            raise CheckSkipped("no task given (--task ID)")
        entries = ctx.task.acceptance
        if not entries:
            return [
                _finding(
                    "no-acceptance",
                    Severity.MEDIUM,
                    f"task '{ctx.task.id}' has no acceptance checks: its objective is not "
                    "executable, so nothing proves the change does what was asked",
                    "",
                    blocking=False,
                )
            ]
        ws = session(ctx)
        overlay, task_only = trusted_test_overlay(ctx)

        def base_env() -> PreparedTree:
            env: PreparedTree = ws.once(
                "accept-base",
                lambda: ws.checkouts.checkout(ws.base, task_only, label="accept-base"),
            )
            return env

        head_env: PreparedTree = ws.once(
            "accept-head", lambda: ws.checkouts.checkout(ws.head, overlay, label="accept-head")
        )
        digest = hashlib.sha256(
            repr(sorted((k, v) for k, v in task_only.items())).encode()
        ).hexdigest()[:16]
        base_tree = tree_id(ws.checkouts.repo, ws.base)
        timeout = ctx.policy.tests.timeout_s
        findings: list[Finding] = []

        def at_base(request: SuiteRequest, key_part: str) -> SuiteResult:
            key = (
                NAME,
                CACHE_VERSION,
                base_tree,
                digest,
                key_part,
                request.command,
                repr(ctx.policy.tests.setup),
            )
            cached = ctx.cache.get(key)
            if cached is not None:
                return SuiteResult.from_json(cached)
            result = run_suite(ws.checkouts, base_env(), request)
            if not result.timed_out:
                ctx.cache.put(key, result.to_json())
            return result

        nodes = [e for e in entries if is_node_entry(e)]
        if nodes:
            command = pytest_base_command(ctx)
            batch = SuiteRequest(command, extra_args=nodes, timeout=timeout, label="accept-nodes")
            before = at_base(replace(batch, label="accept-base-nodes"), "\0".join(nodes))
            after = run_suite(ws.checkouts, head_env, replace(batch, label="accept-head-nodes"))
            if after.exit_code == 4 and len(nodes) > 1:
                # pytest stops at a node id it cannot find; judge each entry on its own run.
                per = {
                    e: run_suite(
                        ws.checkouts,
                        head_env,
                        SuiteRequest(
                            command, extra_args=[e], timeout=timeout, label="accept-head-node"
                        ),
                    )
                    for e in nodes
                }
            else:
                per = dict.fromkeys(nodes, after)
            ws.add_evidence(NAME, before.log)
            for entry in nodes:
                result = per[entry]
                ws.add_evidence(NAME, result.log)
                findings.extend(
                    self._judge(entry, node_state(entry, before), node_state(entry, result), result)
                )
        for index, entry in enumerate(e for e in entries if not is_node_entry(e)):
            request = SuiteRequest(entry, timeout=timeout, label=f"accept-command-{index}")
            before = at_base(replace(request, label=f"accept-base-command-{index}"), entry)
            after = run_suite(
                ws.checkouts, head_env, replace(request, label=f"accept-head-command-{index}")
            )
            ws.add_evidence(NAME, before.log)
            ws.add_evidence(NAME, after.log)
            findings.extend(self._judge(entry, command_state(before), command_state(after), after))
        findings.extend(self._pass_to_pass(ctx, head_env))
        findings.extend(self._special_cases(ctx, head_env, nodes))
        return findings

    @staticmethod
    def _special_cases(
        ctx: CheckContext, head_env: PreparedTree, nodes: list[str]
    ) -> list[Finding]:
        if not nodes:
            return []
        literals = test_literals(test_sources(head_env.tree.path, nodes))
        code = [
            f
            for f in python_changes(ctx.change.files)
            if not match_any(f.path, ctx.policy.tests.paths)
        ]
        return [
            _finding(
                "special-cases-test-input",
                Severity.HIGH,
                f"added code compares against {s.value}, a literal of the acceptance tests: it may "
                "recognise the test's input instead of fixing the general case",
                f"{s.path}:{s.value}",
                blocking=False,
            ).at(path=s.path, line=s.line)
            for s in suspects(code, literals)
        ]

    @staticmethod
    def _judge(entry: str, before: str, after: str, result: SuiteResult) -> list[Finding]:
        found: list[Finding] = []
        if after == "passed" and before == "passed":
            found.append(
                _finding(
                    "weak-acceptance",
                    Severity.MEDIUM,
                    f"acceptance '{entry}' already passes at base: it does not test "
                    "the objective (weak spec)",
                    entry,
                    blocking=False,
                )
            )
        elif after == "missing":
            found.append(
                _finding(
                    "acceptance-not-found",
                    Severity.HIGH,
                    f"acceptance '{entry}' found no test to run at head (with the "
                    f"base's tests); see {result.log}",
                    entry,
                    blocking=True,
                )
            )
        elif after == "timeout":
            found.append(
                _finding(
                    "acceptance-timeout",
                    Severity.HIGH,
                    f"acceptance '{entry}' timed out at head; see {result.log}",
                    entry,
                    blocking=True,
                )
            )
        elif after == "failed":
            found.append(
                _finding(
                    "acceptance-failed",
                    Severity.HIGH,
                    f"acceptance '{entry}' fails at head, run against the base's "
                    f"tests and the task's own; see {result.log}",
                    entry,
                    blocking=True,
                )
            )
        if before == "missing" and after == "passed":
            found.append(
                _finding(
                    "acceptance-missing-at-base",
                    Severity.LOW,
                    f"acceptance '{entry}' has no test at base; it passes at head",
                    entry,
                    blocking=False,
                )
            )
        return found

    @staticmethod
    def _pass_to_pass(ctx: CheckContext, head_env: PreparedTree) -> list[Finding]:
        ws = session(ctx)
        if not ctx.policy.tests.command:
            return []
        base = base_suite(ctx)
        if base.crashed or not base.is_pytest:
            return []
        request = SuiteRequest(
            ctx.policy.tests.command, timeout=ctx.policy.tests.timeout_s, label="accept-head-suite"
        )
        head = ws.once("accept-head-suite", lambda: run_suite(ws.checkouts, head_env, request))
        ws.add_evidence(NAME, head.log)
        if head.crashed:
            return [
                _finding(
                    "pass-to-pass-error",
                    Severity.HIGH,
                    f"the suite could not run at head with the base's tests; see {head.log}",
                    "",
                    blocking=True,
                )
            ]
        found = []
        for test, before in base.outcomes.items():
            after = head.outcomes.get(test)
            if before in PASSING and after in BROKEN:
                found.append(
                    _finding(
                        "pass-to-pass-broken",
                        Severity.HIGH,
                        f"{test} passes at base and {after} at head when run with the "
                        "base's tests: the change broke behaviour the tests pin down",
                        test,
                        blocking=True,
                    ).at(path=test.split("::")[0])
                )
        return found


CHECK = AcceptanceCheck()
