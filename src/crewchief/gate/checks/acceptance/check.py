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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Literal

from crewchief import git
from crewchief.gate.analysis.pyfiles import python_changes
from crewchief.gate.change import FileChange, match_any
from crewchief.gate.check import CheckContext, CheckSkipped, GateSession
from crewchief.gate.checks.acceptance import hidden
from crewchief.gate.checks.acceptance.special_case import suspects, test_literals, test_sources
from crewchief.gate.dynamic.config import StartFailure, same_start_failure, start_failure
from crewchief.gate.dynamic.evidence import RULE_ID as EVIDENCE
from crewchief.gate.dynamic.evidence import evidence_rule
from crewchief.gate.dynamic.oracle import OracleRun, collection_failed, oracle_overlay
from crewchief.gate.dynamic.runs import (
    base_suite,
    environment_key,
    session,
    superseded,
    tree_id,
)
from crewchief.gate.dynamic.suite import (
    BROKEN,
    PASSING,
    SuiteRequest,
    SuiteResult,
    run_suite,
)
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.spec.task import TASK_DIR
from crewchief.workspace.checkouts import PreparedTree, split_command
from crewchief.workspace.pytest_command import is_pytest

NAME = "acceptance"
CACHE_VERSION = "4"  # 4: runs ignore committed bytecode; results say if evidence is inconsistent


def _rule(rule: str, severity: Severity, summary: str, remedy: str, blocking: bool = False) -> Rule:
    return Rule(NAME, rule, severity, summary, remedy, blocking=blocking)


RULES = RuleTable(
    NAME,
    _rule(
        "no-acceptance",
        Severity.MEDIUM,
        "the task has no acceptance checks: nothing proves the change does what was asked",
        "add acceptance entries (pytest node ids or commands) to the task",
    ),
    _rule(
        "weak-acceptance",
        Severity.MEDIUM,
        "an acceptance entry already passes at base: it does not test the objective",
        "make the entry a test that fails before the change",
    ),
    _rule(
        "acceptance-not-found",
        Severity.HIGH,
        "an acceptance entry found no test to run at head (with the base's tests)",
        "keep the test the entry names; acceptance tests come from the base and the task folder",
        blocking=True,
    ),
    _rule(
        "acceptance-timeout",
        Severity.HIGH,
        "an acceptance entry timed out at head",
        "find what hangs, or raise [tests] timeout_s",
        blocking=True,
    ),
    _rule(
        "acceptance-failed",
        Severity.HIGH,
        "an acceptance entry fails at head, run against the base's tests and the task's own",
        "fix the code until the task's acceptance passes",
        blocking=True,
    ),
    _rule(
        "acceptance-missing-at-base",
        Severity.LOW,
        "an acceptance entry has no test at base and passes at head",
        "commit the acceptance test with the task, before the change",
    ),
    _rule(
        "test-config-broken",
        Severity.MEDIUM,
        "the acceptance runs fail to start at base and at head the same way: a configuration "
        "problem, not the change's",
        "fix the test environment ([tests] python, setup, command) so the base's tests run",
    ),
    _rule(
        "pass-to-pass-error",
        Severity.HIGH,
        "the suite could not run at head with the base's tests",
        "run the base's tests against the change and fix what stops them",
        blocking=True,
    ),
    _rule(
        "pass-to-pass-broken",
        Severity.HIGH,
        "a test passing at base fails at head when run with the base's tests",
        "fix the change; editing the test does not count",
        blocking=True,
    ),
    _rule(
        "special-cases-test-input",
        Severity.HIGH,
        "added code compares against, looks for or looks up a literal of the acceptance tests",
        "fix the general case instead of recognising the test's input",
    ),
    evidence_rule(NAME),
)


def _finding(rule: str, message: str, entry: str) -> Finding:
    return RULES[rule].finding(message, fingerprint=fingerprint(rule, entry))


def trusted_test_overlay(
    ctx: CheckContext,
) -> tuple[dict[str, bytes | None], dict[str, bytes | None]]:
    """Files that make the acceptance run trustworthy: the base's oracle (test files, helpers and
    pytest settings the change touched, reset to the base; see `oracle`), and the task's own tests
    from the base. Returns (the whole overlay for head, the task's files alone for base)."""
    ws = session(ctx)
    overlay = oracle_overlay(ctx)
    assert ctx.task is not None
    prefix = f"{TASK_DIR}/{ctx.task.id}/"
    wanted = {
        oid: path[len(prefix) :]
        for mode, oid, path in git.ls_tree(ws.checkouts.repo, ws.base)
        if path.startswith(prefix)
        and mode in ("100644", "100755")
        and not path.startswith(hidden.repo_prefix(ctx.task.id))
    }
    blobs = git.read_objects(ws.checkouts.repo, wanted)
    task_files: dict[str, bytes | None] = {rel: blobs.get(oid) for oid, rel in wanted.items()}
    task_files.update(hidden_tests(ctx).files)
    overlay.update(task_files)
    return overlay, task_files


def hidden_tests(ctx: CheckContext) -> hidden.HiddenTests:
    """The task's hidden tests (in the repository at base and in the policy's hidden folder),
    read once per gate; none without a session (a static look has no repository to read)."""
    if ctx.session is None:
        return hidden.HiddenTests()
    ws = session(ctx)
    assert ctx.task is not None
    task_id, hidden_dir = ctx.task.id, ctx.policy.tests.hidden_dir
    found: hidden.HiddenTests = ws.once(
        "accept-hidden", lambda: hidden.load(ws.checkouts.repo, ws.base, task_id, hidden_dir)
    )
    return found


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
    if result.inconsistent:
        return "failed"  # forged-looking evidence never counts as passing
    mine = outcomes_of(entry, result)
    if not mine:
        return "failed" if collection_failed(entry, result) else "missing"
    if any(v in BROKEN for v in mine.values()):
        return "failed"
    if any(v in PASSING for v in mine.values()):
        return "passed"
    return "failed"  # every selected test skipped: nothing was shown to work


def command_state(result: SuiteResult) -> str:
    if result.timed_out:
        return "timeout"
    if result.inconsistent:
        return "failed"  # forged-looking evidence never counts as passing
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


@dataclass
class _Runs:
    """The acceptance runs of one gate: base runs cached across gates by the base tree, the task's
    files and the environment; head runs in a worktree with the trusted tests laid over it."""

    ctx: CheckContext
    task_only: dict[str, bytes | None]
    head_env: PreparedTree
    secret: hidden.HiddenTests = field(default_factory=hidden.HiddenTests)
    """Entries naming these are judged under a name that says nothing about them."""
    config: list[Finding] = field(default_factory=list)
    """At most one fix-the-configuration finding, however many entries met the same failure."""

    @property
    def ws(self) -> GateSession:
        return session(self.ctx)

    def _base_env(self) -> PreparedTree:
        ws = self.ws
        env: PreparedTree = ws.once(
            "accept-base",
            lambda: ws.checkouts.checkout(ws.base, self.task_only, label="accept-base"),
        )
        return env

    def at_base(self, request: SuiteRequest, key_part: str) -> SuiteResult:
        ws = self.ws
        digest = hashlib.sha256(repr(sorted(self.task_only.items())).encode()).hexdigest()[:16]
        key = (
            NAME,
            CACHE_VERSION,
            tree_id(ws.checkouts.repo, ws.base),
            digest,
            key_part,
            request.command,
            environment_key(self.ctx),
        )
        cached = self.ctx.cache.get(key)
        if cached is not None:
            return SuiteResult.from_json(cached)
        result = run_suite(ws.checkouts, self._base_env(), request)
        if not result.timed_out:
            self.ctx.cache.put(key, result.to_json())
        return result

    def at_head(self, request: SuiteRequest) -> SuiteResult:
        return run_suite(self.ws.checkouts, self.head_env, request)

    def same_failure(self, before: SuiteResult, after: SuiteResult) -> bool:
        """Base and head failed to start the same way, and the environment is to blame: one
        config finding, no verdict on entries."""
        failure = same_start_failure(before, after)
        if failure is None or not self.environment_at_fault(failure):
            return False
        if not self.config:
            message = failure.message(after.python, "the acceptance tests")
            self.config.append(_finding("test-config-broken", message, ""))
        return True

    def environment_at_fault(self, failure: StartFailure) -> bool:
        """Whether a start failure shared by base and head is the configuration's, not the
        entries'. Acceptance tests are meant to fail at base, often at import (they use what the
        fix adds), so failing the same way at head is the change not doing its job, unless the
        environment cannot run tests at all: a missing module that is not the project's own, or
        a base suite that cannot start either."""
        if failure.module:
            return not project_module(self.head_env.tree.path, failure.module)
        if not self.ctx.policy.tests.command:
            return True  # no suite to tell a broken environment from failing entries
        return start_failure(base_suite(self.ctx)) is not None

    def nodes(self, nodes: list[str]) -> list[Finding]:
        """The node-id entries, batched into one pytest run per side."""
        command = pytest_base_command(self.ctx)
        timeout = self.ctx.policy.tests.timeout_s
        batch = SuiteRequest(command, extra_args=nodes, timeout=timeout, label="accept-nodes")
        before = self.at_base(replace(batch, label="accept-base-nodes"), "\0".join(nodes))
        after = self.at_head(replace(batch, label="accept-head-nodes"))
        self.ws.add_evidence(NAME, before.log)
        self.ws.add_evidence(NAME, after.log)
        if self.same_failure(before, after):
            return []
        if after.exit_code == 4 and len(nodes) > 1:
            # pytest stops at a node id it cannot find; judge each entry on its own run.
            label = "accept-head-node"
            per = {e: self.at_head(replace(batch, extra_args=[e], label=label)) for e in nodes}
        else:
            per = dict.fromkeys(nodes, after)
        found: list[Finding] = []
        for entry in nodes:
            result = per[entry]
            self.ws.add_evidence(NAME, result.log)
            name = self.hidden_name(entry, nodes)
            found += judge(
                entry, node_state(entry, before), node_state(entry, result), result, name
            )
        return found

    def hidden_name(self, entry: str, nodes: list[str]) -> str | None:
        """For an entry naming a hidden test: what its findings call it, and a contentless key."""
        if not self.secret.covers(entry):
            return None
        return hidden.finding_label(nodes.index(entry))

    def commands(self, commands: list[str]) -> list[Finding]:
        found: list[Finding] = []
        for index, entry in enumerate(commands):
            request = SuiteRequest(entry, timeout=self.ctx.policy.tests.timeout_s)
            before = self.at_base(replace(request, label=f"accept-base-command-{index}"), entry)
            after = self.at_head(replace(request, label=f"accept-head-command-{index}"))
            self.ws.add_evidence(NAME, before.log)
            self.ws.add_evidence(NAME, after.log)
            if not self.same_failure(before, after):
                found += judge(entry, command_state(before), command_state(after), after)
        return found


def project_module(tree: Path, module: str) -> bool:
    """Whether `module`'s top-level package is the project's own (a package or module at the
    root, under src/, or one folder down), rather than a dependency."""
    top = module.split(".", 1)[0]
    for folder in (tree, tree / "src"):
        if (folder / top).is_dir() or (folder / f"{top}.py").is_file():
            return True
    return any(tree.glob(f"*/{top}/__init__.py"))


def evidence_finding(entry: str, result: SuiteResult) -> list[Finding]:
    """The run's outcomes disagree with pytest's own verdict: say so, beside the entry's result."""
    if not result.inconsistent:
        return []
    message = f"acceptance '{entry}': {result.inconsistent}; see {result.log}"
    return [_finding(EVIDENCE, message, entry)]


def judge(
    entry: str, before: str, after: str, result: SuiteResult, hidden_key: str | None = None
) -> list[Finding]:
    """The findings of one entry. A hidden entry (`hidden_key` set) is named only as "a hidden
    acceptance test" and fingerprinted by its key: findings go back to the agent on a retry, and
    must not tell it which test, or what the test feeds the code."""
    if hidden_key is not None:
        found = judge(hidden_key, before, after, result)
        public = f"acceptance '{hidden_key}'"
        return [replace(f, message=f.message.replace(public, hidden.NAME)) for f in found]
    found = evidence_finding(entry, result)
    if after == "passed" and before == "passed":
        message = f"acceptance '{entry}' already passes at base: it does not test the objective (weak spec)"
        found.append(_finding("weak-acceptance", message, entry))
    elif after == "missing":
        message = (
            f"acceptance '{entry}' found no test to run at head (with the base's tests); "
            f"see {result.log}"
        )
        found.append(_finding("acceptance-not-found", message, entry))
    elif after == "timeout":
        message = f"acceptance '{entry}' timed out at head; see {result.log}"
        found.append(_finding("acceptance-timeout", message, entry))
    elif after == "failed":
        how = (
            " (its test module could not be collected)" if collection_failed(entry, result) else ""
        )
        message = (
            f"acceptance '{entry}' fails at head{how}, run against the base's tests and the "
            f"task's own; see {result.log}"
        )
        found.append(_finding("acceptance-failed", message, entry))
    if before == "missing" and after == "passed":
        message = f"acceptance '{entry}' has no test at base; it passes at head"
        found.append(_finding("acceptance-missing-at-base", message, entry))
    return found


def _non_test_code(ctx: CheckContext) -> list[FileChange]:
    return [
        f for f in python_changes(ctx.change.files) if not match_any(f.path, ctx.policy.tests.paths)
    ]


def _head_tree(ctx: CheckContext, overlay: dict[str, bytes | None]) -> PreparedTree:
    """The head checked out once per gate with the trusted tests laid over it."""
    ws = session(ctx)
    tree: PreparedTree = ws.once(
        "accept-head", lambda: ws.checkouts.checkout(ws.head, overlay, label="accept-head")
    )
    return tree


class AcceptanceCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "4"
    kind: ClassVar[Literal["static", "dynamic"]] = "dynamic"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        if ctx.task is None:
            raise CheckSkipped("no task given (--task ID)")
        secret = hidden_tests(ctx)
        # Every hidden test runs, listed or not: the task file is shown to the agent.
        entries = [
            *ctx.task.acceptance,
            *(e for e in secret.entries() if e not in ctx.task.acceptance),
        ]
        if not entries and ctx.task.acceptance_existing:
            return self._existing_suite(ctx)
        if not entries:
            message = (
                f"task '{ctx.task.id}' has no acceptance checks: its objective is not "
                "executable, so nothing proves the change does what was asked"
            )
            return [_finding("no-acceptance", message, "")]
        overlay, task_only = trusted_test_overlay(ctx)
        head_env = _head_tree(ctx, overlay)
        runs = _Runs(ctx, task_only, head_env, secret)
        nodes = [e for e in entries if is_node_entry(e)]
        findings = runs.nodes(nodes) if nodes else []
        findings += runs.commands([e for e in entries if not is_node_entry(e)])
        if runs.config:
            return runs.config
        findings.extend(self._pass_to_pass(ctx, head_env))
        # Hidden tests' literals stay out of findings an agent may be shown on a retry.
        shown = [e for e in nodes if not secret.covers(e)]
        findings.extend(self._special_cases(ctx, head_env, shown))
        return findings

    def _existing_suite(self, ctx: CheckContext) -> list[Finding]:
        """`acceptance: existing` (a refactor, docs): nothing new to prove, so the acceptance is
        the base's suite, run against the change with the test files reset to the base."""
        if not ctx.policy.tests.command:
            message = (
                f"task '{ctx.task.id if ctx.task else ''}' says acceptance: existing, but the "
                "policy has no [tests] command to run the existing suite with"
            )
            return [_finding("no-acceptance", message, "")]
        overlay, _ = trusted_test_overlay(ctx)
        head_env = _head_tree(ctx, overlay)
        return self._pass_to_pass(ctx, head_env)

    @staticmethod
    def _special_cases(
        ctx: CheckContext, head_env: PreparedTree, nodes: list[str]
    ) -> list[Finding]:
        if not nodes:
            return []
        literals = test_literals(test_sources(head_env.tree.path, nodes))
        return [
            _finding(
                "special-cases-test-input",
                f"added code {s.how} {s.value}, a literal of the acceptance tests: it "
                "may recognise the test's input instead of fixing the general case",
                f"{s.path}:{s.value}",
            ).at(path=s.path, line=s.line)
            for s in suspects(_non_test_code(ctx), literals)
        ]

    @staticmethod
    def _pass_to_pass(ctx: CheckContext, head_env: PreparedTree) -> list[Finding]:
        ws = session(ctx)
        if not ctx.policy.tests.command:
            return []
        base = base_suite(ctx)
        if base.crashed or not base.is_pytest:
            return []
        # The task's own acceptance tests are in this tree and may not import at head (a no-op
        # change): pytest goes on past collection errors, and a base test whose module no longer
        # collects still counts as broken below.
        request = SuiteRequest(
            ctx.policy.tests.command,
            timeout=ctx.policy.tests.timeout_s,
            label="accept-head-suite",
            env={"PYTEST_ADDOPTS": "--continue-on-collection-errors"},
        )
        head = ws.once("accept-head-suite", lambda: run_suite(ws.checkouts, head_env, request))
        ws.add_evidence(NAME, head.log)
        shipped = tuple(trusted_test_overlay(ctx)[1])
        ws.once("base-oracle", lambda: OracleRun(base, head, (), head_env, shipped))
        if head.crashed:
            message = f"the suite could not run at head with the base's tests; see {head.log}"
            return [_finding("pass-to-pass-error", message, "")]
        found = evidence_finding("pass-to-pass", head)
        for test, before in base.outcomes.items():
            after = head.outcomes.get(test) or ("error" if collection_failed(test, head) else None)
            if before in PASSING and after in BROKEN and not superseded(ctx, test):
                message = (
                    f"{test} passes at base and {after} at head when run with the base's "
                    "tests: the change broke behaviour the tests pin down"
                )
                found.append(
                    _finding("pass-to-pass-broken", message, test).at(path=test.split("::")[0])
                )
        return found


CHECK = AcceptanceCheck()
