"""`task lint`: prompt precision made mechanical.

A task is a prompt for an agent that will not ask questions. Each rule here names something the
spec leaves open that an agent will fill in on its own, and says how to close it.
"""

from __future__ import annotations

import ast
import re
import shlex
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from crewchief.errors import UserError
from crewchief.gate.checks.acceptance import hidden
from crewchief.spec.globs import match_glob
from crewchief.spec.policy import Policy
from crewchief.spec.task import TASK_DIR, Task
from crewchief.tasks.catalog import Catalog
from crewchief.tasks.lint_layers import architecture_warnings

_OUTCOME = re.compile(
    r"`[^`]+`|\b(returns?|raises?|must|should|never|exit(s| code)?|fails?|passes|prints?|"
    r"equals?|outputs?|rejects?|accepts?|status|error|responds?)\b|==|->|\d",
    re.IGNORECASE,
)
_BUG_FIX = re.compile(
    r"\b(fix(es|ed|ing)?|bugs?|regressions?|broken|crash(es|ed)?|wrong|incorrect)\b", re.IGNORECASE
)
PRESETS = {"claude-code", "codex", "aider", "gemini", "opencode", "mini-swe-agent", "command"}


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    task: str
    rule: str
    level: Level
    message: str
    suggestion: str

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "rule": self.rule,
            "level": self.level.value,
            "message": self.message,
            "suggestion": self.suggestion,
        }


def _test_exists(roots: Sequence[Path], node: str) -> str | None:
    """None when the pytest node id names an existing test in one of `roots` (the repository,
    then the task's own folder that mirrors it), else why not."""
    parts = node.split("::")
    path = next((r / parts[0] for r in roots if (r / parts[0]).is_file()), None)
    if path is None:
        return f"file {parts[0]} does not exist"
    if len(parts) == 1:
        return None
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return f"{parts[0]} does not parse"
    scope: list[ast.stmt] = tree.body
    for name in parts[1:]:
        bare = name.split("[", 1)[0]
        found = next(
            (
                n
                for n in scope
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == bare
            ),
            None,
        )
        if found is None:
            return f"no test '{bare}' in {parts[0]}"
        scope = found.body if isinstance(found, ast.ClassDef) else []
    return None


def _acceptance_problem(roots: Sequence[Path], entry: str) -> str | None:
    text = entry.strip()
    if not any(ch.isspace() for ch in text):
        return _test_exists(roots, text)
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        return f"cannot parse the command: {exc}"
    program = argv[0]
    if "/" not in program and shutil.which(program) is None:
        return f"program '{program}' is not on PATH"
    for arg in argv[1:]:
        if "::" in arg and not arg.startswith("-"):
            problem = _test_exists(roots, arg)
            if problem:
                return problem
    return None


def _cycles(tasks: dict[str, Task]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in tasks[node].depends_on:
            if dep not in tasks:
                continue
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(tasks):
        if node not in state:
            visit(node)
    return cycles


Add = Callable[[str, Level, str, str], None]


def _check_acceptance(
    task: Task, root: Path, add: Add, secret: hidden.HiddenTests | None = None
) -> None:
    secret = secret or hidden.HiddenTests()
    if task.acceptance_existing:
        return  # no new behaviour: the current suite keeping passing is the proof
    if not task.acceptance and not secret.entries():
        add(
            "no-acceptance",
            Level.ERROR,
            "no acceptance checks: nothing proves the task is done",
            "add acceptance: pytest node ids or commands that fail now and must pass when done "
            "(or 'acceptance: existing' for a refactor or docs: the current suite must keep passing)",
        )
    roots = (root, root / TASK_DIR / task.id)
    for entry in task.acceptance:
        if secret.covers(entry):
            continue  # said by _check_hidden
        problem = _acceptance_problem(roots, entry)
        if problem:
            add(
                "acceptance-not-found",
                Level.ERROR,
                f"acceptance '{entry}': {problem}",
                "point at a test that exists at the base, or ship it under "
                f"{TASK_DIR}/{task.id}/ (mirroring the repo) so the agent cannot edit it",
            )


def _check_hidden(task: Task, secret: hidden.HiddenTests, add: Add) -> None:
    """Hidden acceptance: where it is, whether the visible task names it, and whether a bug fix
    has any (a bug fix's visible test is the one input an agent is most tempted to special-case)."""
    for entry in task.acceptance:
        if secret.covers(entry):
            add(
                "hidden-test-listed",
                Level.WARNING,
                f"acceptance '{entry}' names a hidden test: the task file is in the agent's "
                "worktree, so the name is not hidden",
                "drop the entry: every hidden test runs without being listed",
            )
    if secret.in_repo:
        add(
            "hidden-in-repository",
            Level.WARNING,
            f"hidden tests in {hidden.repo_prefix(task.id)} are removed from the agent's "
            "worktree, but an agent can still read them through git",
            f"move them to [tests] hidden_dir (outside the repository), as <hidden_dir>/{task.id}/",
        )
    text = f"{task.title}\n{task.objective}"
    if not secret.entries() and not task.acceptance_existing and _BUG_FIX.search(text):
        add(
            "bug-fix-without-hidden-tests",
            Level.WARNING,
            "this looks like a bug fix, and it has no hidden acceptance tests: an agent that sees "
            "the only failing example can special-case it",
            f"add a hidden test (a property test with Hypothesis is best) under [tests] "
            f"hidden_dir/{task.id}/, mirroring the repository",
        )


def _hidden_of(task: Task, root: Path, policy: Policy, add: Add) -> hidden.HiddenTests:
    try:
        return hidden.load_checkout(root, task.id, policy.tests.hidden_dir)
    except UserError as exc:
        add("hidden-folder", Level.ERROR, str(exc), "fix the hidden tests' folder")
        return hidden.HiddenTests()


def _check_scope(task: Task, root: Path, tracked: list[str], add: Add) -> None:
    if not task.scope:
        add(
            "no-scope",
            Level.WARNING,
            "no scope: the agent may touch any file the policy allows",
            "add scope: globs of the files this change needs, e.g. [src/pkg/module.py, tests/test_module.py]",
        )
    for glob in task.scope:
        if any(match_glob(f, glob) for f in tracked):
            continue
        wildcard = any(ch in glob for ch in "*?[")
        if wildcard or not (root / glob).parent.is_dir():
            add(
                "scope-matches-nothing",
                Level.ERROR,
                f"scope '{glob}' matches no file in the repo",
                "fix the path (globs are relative to the repo root; ** spans folders)",
            )
        else:
            add(
                "scope-new-file",
                Level.WARNING,
                f"scope '{glob}' names a file that does not exist yet",
                "fine if the task creates it; otherwise fix the path",
            )


def _check_objective(task: Task, add: Add) -> None:
    words = re.findall(r"\w+", task.objective)
    if len(words) < 12:
        add(
            "vague-objective",
            Level.ERROR,
            f"the objective has {len(words)} words",
            "say what must be observably true when done, with an example input and output",
        )
    elif not _OUTCOME.search(task.objective):
        add(
            "vague-objective",
            Level.WARNING,
            "the objective names no observable outcome",
            "add a concrete check: `f(x)` returns y, a command exits 0, an error is raised",
        )


def _check_plan(task: Task, policy: Policy, catalog: Catalog, add: Add) -> None:
    """Budget, dependencies and agent: what the scheduler needs to run the task at all."""
    if task.budget.minutes is None and task.budget.usd is None:
        add(
            "no-budget",
            Level.WARNING,
            "no budget: a stuck agent runs until the batch ends",
            "add budget: {minutes: 30, usd: 2.0}",
        )
    for dep in task.depends_on:
        if dep not in catalog.tasks:
            add(
                "unknown-dependency",
                Level.ERROR,
                f"depends on unknown task '{dep}'",
                "fix the id or create that task",
            )
    if task.agent and task.agent not in policy.agents and task.agent not in PRESETS:
        add(
            "unknown-agent",
            Level.ERROR,
            f"agent '{task.agent}' is not defined in the policy",
            f"add [agents.{task.agent}] to crewchief.toml or pick one of: "
            f"{', '.join(sorted(policy.agents)) or 'none defined'}",
        )


def lint_task(
    task: Task,
    root: Path,
    tracked: list[str],
    policy: Policy,
    catalog: Catalog,
    *,
    path: Path | None = None,
) -> list[Problem]:
    out: list[Problem] = []

    def add(rule: str, level: Level, message: str, suggestion: str) -> None:
        out.append(Problem(task.id, rule, level, message, suggestion))

    if path is not None and path.stem != task.id:
        add(
            "id-mismatch",
            Level.ERROR,
            f"file {path.name} holds task id '{task.id}'",
            f"rename the file to {task.id}.md or change its id",
        )
    secret = _hidden_of(task, root, policy, add)
    _check_acceptance(task, root, add, secret)
    _check_hidden(task, secret, add)
    _check_scope(task, root, tracked, add)
    architecture_warnings(
        task, root, tracked, policy, lambda m, s: add("scope-spans-layers", Level.WARNING, m, s)
    )
    _check_objective(task, add)
    _check_plan(task, policy, catalog, add)
    return out


def lint_catalog(
    catalog: Catalog, tracked: list[str], policy: Policy, only: Iterable[str] | None = None
) -> list[Problem]:
    wanted = set(only) if only else None
    problems: list[Problem] = []
    for path, message in catalog.errors.items():
        if wanted is None or path.stem in wanted:
            problems.append(
                Problem(
                    path.stem,
                    "malformed",
                    Level.ERROR,
                    message,
                    "fix the file; the message names the key",
                )
            )
    for task_id, task in sorted(catalog.tasks.items()):
        if wanted is None or task_id in wanted:
            problems.extend(
                lint_task(
                    task, catalog.root, tracked, policy, catalog, path=catalog.paths.get(task_id)
                )
            )
    for cycle in _cycles(catalog.tasks):
        if wanted is None or wanted & set(cycle):
            problems.append(
                Problem(
                    cycle[0],
                    "dependency-cycle",
                    Level.ERROR,
                    "dependency cycle: " + " -> ".join(cycle),
                    "break the cycle: one of these tasks must not wait for the other",
                )
            )
    return problems
