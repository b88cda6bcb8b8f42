"""Real histories as tests: two consecutive PyPI releases of a project, replayed as a task.

The base commit is the earlier release as its sdist ships it. The later release's new or changed
test functions that fail on the earlier release's code (run to find out, and run again on the
later release's code to prove they pass there) become the task's acceptance entries; the later
test files, and the data files under the test folder that they read, ship with the task under
`.crewchief/tasks/<id>/`, mirroring the repository, where the project's own suite never runs them.
Three heads are then gated:

- `fix`: the earlier release with every file outside its test folder replaced by the later
  release's (package, metadata, examples: the whole source change; the task's scope names the
  folders it touches), tests from the base. What the maintainers really did; it must never block.
- `noop`: a comment added to a source file. The acceptance tests still fail: it must block.
- `tamper`: the test files the later release changed, deleted from the repository. It must block.

Everything runs as a user has it: crewchief installed in its own virtualenv by a plain
`pip install <crewchief>` (no extras, so no pytest of crewchief's), the project's own `.venv/` in
its checkout with pytest and the project's dependencies, and the `crewchief` program run from the
command line. Nothing here imports the gate: `benchmarks/gate_accuracy.py` imports this module to
print the same cases as a table.
"""

from __future__ import annotations

import ast
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.sdists import REPO_ROOT, git_env, import_sdist, run_git, sdist_path

HEADS = ("fix", "noop", "tamper")
EXPECTED = {"fix": "not block", "noop": "block", "tamper": "block"}
OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED) (\S+)")


@dataclass(frozen=True)
class Project:
    name: str
    old: str
    new: str
    package: str
    """The source folder the releases change (flat layout: importable from the checkout)."""
    tests: str
    """The folder of the test suite, relative to the sdist's root."""
    deps: tuple[str, ...] = ()
    """What the project's `.venv/` needs besides pytest."""

    @property
    def label(self) -> str:
        return f"{self.old} -> {self.new}"

    @property
    def task_id(self) -> str:
        return f"release-{self.new}".replace(".", "-")


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in (
        Project("more-itertools", "10.3.0", "10.4.0", "more_itertools", "tests"),
        Project("toolz", "0.11.2", "0.12.0", "toolz", "toolz/tests"),
        Project("wcwidth", "0.2.12", "0.2.13", "wcwidth", "tests", ("pytest-cov",)),
        Project("sqlparse", "0.5.0", "0.5.1", "sqlparse", "tests"),
        Project("pyflakes", "3.0.1", "3.1.0", "pyflakes", "pyflakes/test"),
    )
}
"""Release pairs whose new tests really fail on the earlier code (tried and rejected, by the same
proof: more-itertools 10.4.0 -> 10.5.0, toolz 0.12.0 -> 0.12.1, idna 3.6 -> 3.7, boltons 24.0.0 ->
24.1.0, python-dateutil 2.8.1 -> 2.8.2 and soupsieve 2.5 -> 2.6 add no such test; pathspec 0.11.2
-> 0.12.0's are all in new files, so there is nothing at the base to tamper with; pyflakes 3.1.0 ->
3.2.0's are skipped before Python 3.12). pyparsing 3.1.1 -> 3.1.2 qualifies too, but its suite runs
for 25 s and each of its gates for minutes: pyflakes' suite runs in about 3 s."""


@dataclass(frozen=True)
class Replay:
    project: Project
    repo: Path
    env: Mapping[str, str]
    """git's environment (fixed identity, no user config) for this repository."""
    acceptance: tuple[str, ...]
    changed_tests: tuple[str, ...]
    """Test files (repository paths) the later release added or changed."""
    failing_at_old: tuple[str, ...]
    passing_at_new: tuple[str, ...]
    heads: Mapping[str, str]


# --- environments --------------------------------------------------------------------------------


def _run(argv: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 900):
    return subprocess.run(
        argv, cwd=cwd, env=dict(env) if env else None, capture_output=True, text=True,
        check=False, timeout=timeout,
    )  # fmt: skip


def make_venv(path: Path, *requirements: str) -> Path:
    """A virtualenv with `requirements` installed by pip (its wheel cache makes it quick)."""
    out = _run([sys.executable, "-m", "venv", str(path)], path.parent)
    if out.returncode != 0:
        raise RuntimeError(f"venv {path} failed: {out.stderr[-2000:]}")
    if requirements:
        argv = [str(path / "bin" / "python"), "-m", "pip", "install", "-q"]
        out = _run([*argv, "--disable-pip-version-check", *requirements], path.parent)
        if out.returncode != 0:
            raise RuntimeError(f"pip install {requirements} failed: {out.stderr[-3000:]}")
    return path


def install_crewchief(path: Path) -> Path:
    """crewchief as a user installs it: `pip install <source>`, no extras; returns the program."""
    with tempfile.TemporaryDirectory(prefix="crewchief-src-") as tmp:
        # a copy without the worktree's .venv and caches (pip copies the whole folder to build)
        src = Path(tmp) / "crewchief"
        keep = ("src", "pyproject.toml", "README.md")
        src.mkdir()
        for name in keep:
            source = REPO_ROOT / name
            if source.is_dir():
                shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, src / name)
        make_venv(path, str(src))
    return path / "bin" / "crewchief"


def user_env(home: Path) -> dict[str, str]:
    """A shell without crewchief's development virtualenv on PATH: what a user's terminal has."""
    env = git_env(home)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CREWCHIEF_DATABASE_URL"):
        env.pop(name, None)
    dev_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != dev_bin)
    return env


# --- which tests are the task's ----------------------------------------------------------------


def _test_functions(source: str) -> dict[str, str]:
    """qualified name (Class::test or test) -> a dump of its AST, for test functions only."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    found: dict[str, str] = {}

    def visit(nodes: Iterable[ast.stmt], prefix: str) -> None:
        for node in nodes:
            if isinstance(node, ast.ClassDef):  # pytest's Test* and unittest's *Tests alike
                visit(node.body, f"{prefix}{node.name}::")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                node.name.startswith("test")
            ):
                found[prefix + node.name] = ast.dump(node)

    visit(tree.body, "")
    return found


def changed_test_files(old: Path, new: Path, tests: str, pattern: str = "test*.py") -> list[str]:
    """Files under the test folder matching `pattern` (test modules by default) that are new in
    the later release or differ from the earlier release's."""
    out = []
    for path in sorted((new / tests).rglob(pattern)):
        rel = path.relative_to(new).as_posix()
        before = old / rel
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if not before.exists() or not filecmp.cmp(before, path, shallow=False):
            out.append(rel)
    return out


def new_or_changed_tests(old: Path, new: Path, files: Iterable[str]) -> list[str]:
    """Node ids (file::[Class::]test) of test functions that are new or whose code changed."""
    ids = []
    for rel in files:
        before_path = old / rel
        before = _test_functions(before_path.read_text()) if before_path.exists() else {}
        after = _test_functions((new / rel).read_text())
        ids += [f"{rel}::{name}" for name, dump in after.items() if before.get(name) != dump]
    return ids


def outcomes(python: Path, root: Path, node_ids: Iterable[str], env: Mapping[str, str]):
    """{function-level node id: set of outcomes of its cases}; a module that fails to import
    makes every one of its tests an ERROR."""
    ids = list(node_ids)
    argv = [str(python), "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-o"]
    out = _run([*argv, "addopts=", "--tb=no", *ids], root, env)
    seen: dict[str, set[str]] = {i: set() for i in ids}
    for line in out.stdout.splitlines():
        match = OUTCOME.match(line)
        if not match:
            continue
        status, node = match.groups()
        base = node.split("[", 1)[0]
        if base in seen:
            seen[base].add(status)
        elif "::" not in node:  # a module-level collection error
            for i in ids:
                if i.startswith(f"{node}::"):
                    seen[i].add("ERROR")
    return seen, out.stdout[-3000:]


def _failed(statuses: set[str]) -> bool:
    return bool(statuses & {"FAILED", "ERROR"})


def _passed(statuses: set[str]) -> bool:
    return statuses == {"PASSED"}


def prove(project: Project, old: Path, new: Path, python: Path, env: Mapping[str, str]):
    """The later release's new or changed tests that fail on the earlier code and pass on the
    later one: (acceptance, changed test files, failing at old, passing at new)."""
    files = changed_test_files(old, new, project.tests)
    candidates = new_or_changed_tests(old, new, files)
    if not candidates:
        raise RuntimeError(f"{project.name} {project.label}: no new or changed test function")
    with tempfile.TemporaryDirectory(prefix=f"prove-{project.name}-") as tmp:
        scratch = Path(tmp) / "old-code-new-tests"
        shutil.copytree(old, scratch, ignore=shutil.ignore_patterns(".git", ".venv"))
        shutil.rmtree(scratch / project.tests)
        shutil.copytree(new / project.tests, scratch / project.tests)
        at_old, log_old = outcomes(python, scratch, candidates, env)
    at_new, log_new = outcomes(python, new, candidates, env)
    failing = tuple(i for i in candidates if _failed(at_old[i]))
    passing = tuple(i for i in candidates if _passed(at_new[i]))
    acceptance = tuple(i for i in failing if i in passing)
    if not acceptance:
        raise RuntimeError(
            f"{project.name} {project.label}: no new test fails at {project.old} and passes at "
            f"{project.new}; candidates {candidates}\nold:\n{log_old}\nnew:\n{log_new}"
        )
    return acceptance, tuple(files), failing, passing


def _task_file(project: Project, acceptance: Iterable[str], scope: Iterable[str]) -> str:
    entries = "".join(f"  - {json.dumps(a)}\n" for a in acceptance)
    globs = "".join(f"  - {json.dumps(g)}\n" for g in scope)
    return (
        f"---\nid: {project.task_id}\ntitle: what {project.name} {project.new} changed\n"
        f"scope:\n{globs}acceptance:\n{entries}---\n"
        f"Make the new tests of {project.name} {project.new} pass on {project.old}'s code.\n"
    )


def _commit_branch(repo: Path, env: Mapping[str, str], branch: str, message: str) -> str:
    run_git(repo, env, "add", "-A")
    run_git(repo, env, "commit", "-q", "--allow-empty", "-m", message)
    sha = run_git(repo, env, "rev-parse", "HEAD")
    run_git(repo, env, "branch", "-f", branch, sha)
    run_git(repo, env, "checkout", "-q", "main")
    return sha


OURS = (".git/", ".venv/", ".crewchief/", "crewchief.toml")
"""What the replay added to the imported sdist; the release's change never touches them."""


def _release_files(root: Path, project: Project) -> set[str]:
    """Every file of the release outside its test folder: what the real source change may touch
    (the package, and also its metadata, examples and build files)."""
    tests = f"{project.tests}/"
    return {
        rel
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
        and not (rel := p.relative_to(root).as_posix()).startswith((tests, *OURS))
    }  # fmt: skip


def fix_paths(old: Path, new: Path, project: Project) -> list[str]:
    """The files the real source change adds, changes or deletes."""
    before, after = _release_files(old, project), _release_files(new, project)
    changed = {r for r in before & after if not filecmp.cmp(old / r, new / r, shallow=False)}
    return sorted(changed | (before ^ after))


def scope_of(paths: Iterable[str]) -> list[str]:
    """The task's scope: each top-level folder the change touches, and its top-level files."""
    return sorted({f"{p.split('/', 1)[0]}/**" if "/" in p else p for p in paths})


def make_heads(repo: Path, new: Path, project: Project, env: Mapping[str, str], changed: list[str]):
    """The three changes, each a branch off the base."""
    heads = {}
    run_git(repo, env, "checkout", "-q", "-b", "work-fix", "main")
    for rel in fix_paths(repo, new, project):
        target = repo / rel
        if (new / rel).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(new / rel, target)
        else:
            target.unlink()
    heads["fix"] = _commit_branch(repo, env, "fix", f"{project.name} {project.new}'s source")
    run_git(repo, env, "checkout", "-q", "-b", "work-noop", "main")
    init = repo / project.package / "__init__.py"
    init.write_text(init.read_text() + "# touched, nothing else\n")
    heads["noop"] = _commit_branch(repo, env, "noop", "a comment, nothing else")
    run_git(repo, env, "checkout", "-q", "-b", "work-tamper", "main")
    existing = [rel for rel in changed if (repo / rel).exists()]
    if not existing:
        raise RuntimeError(f"{project.name}: the changed tests are all new; nothing to tamper with")
    for rel in existing:
        (repo / rel).unlink()
    heads["tamper"] = _commit_branch(repo, env, "tamper", "delete the tests that judge the task")
    return heads


def build(project: Project, root: Path) -> Replay:
    """The project's repository at `root/<name>` with its `.venv/`, task and three heads."""
    env = git_env(root / "home")
    repo = import_sdist(f"{project.name}=={project.old}", root / project.name, env)
    with tarfile.open(sdist_path(f"{project.name}=={project.new}")) as tar:
        tar.extractall(root / "new", filter="data")
    (new,) = (root / "new").iterdir()
    python = make_venv(repo / ".venv", "pytest", *project.deps) / "bin" / "python"
    (repo / ".git" / "info").mkdir(exist_ok=True)
    with (repo / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv/\n")
    acceptance, changed, failing, passing = prove(project, repo, new, python, user_env(root))
    (repo / "crewchief.toml").write_text(f'[tests]\ncommand = "pytest -q {project.tests}"\n')
    tasks = repo / ".crewchief" / "tasks"
    tasks.mkdir(parents=True)
    scope = scope_of(fix_paths(repo, new, project))
    (tasks / f"{project.task_id}.md").write_text(_task_file(project, acceptance, scope))
    # The tests' data files (fixtures, sample inputs) that the new tests read ship with them.
    for rel in [*changed, *changed_test_files(repo, new, project.tests, "*")]:
        shipped = tasks / project.task_id / rel
        shipped.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(new / rel, shipped)
    run_git(repo, env, "add", "-A")
    run_git(repo, env, "commit", "-q", "-m", f"task: {project.name} {project.new}'s new tests")
    heads = make_heads(repo, new, project, env, list(changed))
    return Replay(project, repo, env, acceptance, changed, failing, passing, heads)


@dataclass(frozen=True)
class Gated:
    verdict: str
    blocking: tuple[str, ...]
    """check/rule of each blocking finding."""
    report: dict[str, object]

    def describe(self) -> str:
        lines = [f"verdict {self.verdict}"]
        for check in self.report.get("checks", []):  # type: ignore[attr-defined]
            lines.append(f"  {check['name']}: {check['status']} {check.get('detail', '')[:200]}")
            for f in check["findings"]:
                mark = "BLOCK " if f["blocking"] else ""
                lines.append(f"    {mark}{f['rule']} ({f['severity']}): {f['message'][:300]}")
        return "\n".join(lines)


def gate(crewchief: Path, replay: Replay, head: str, home: Path) -> Gated:
    """`crewchief gate` from the command line, in the project's checkout."""
    argv = [str(crewchief), "gate", "--base", "main", "--head", head, "--task"]
    argv += [replay.project.task_id, "--format", "json"]
    out = _run(argv, replay.repo, user_env(home), timeout=1800)
    if out.returncode not in (0, 1):
        raise RuntimeError(f"crewchief gate exited {out.returncode}: {out.stdout}{out.stderr}")
    report = json.loads(out.stdout)
    blocking = tuple(f"{f['check']}/{f['rule']}" for f in report["findings"] if f["blocking"])
    return Gated(report["verdict"], blocking, report)


REASON = {"noop": "acceptance/acceptance-failed", "tamper": "test-integrity/"}
"""What must block each bad change: the no-op's acceptance tests ran and failed; the tamper's
deleted tests were seen."""


def as_expected(head: str, gated: Gated) -> bool:
    """`fix` does not block and its tests really ran (no `test-config-broken`: a review for a
    suite that never started once hid a sandbox that could not see the project's `.venv/`);
    `noop` and `tamper` block, for their reason (see `REASON`)."""
    if head == "fix":
        rules = {
            f["rule"]
            for check in gated.report.get("checks", [])  # type: ignore[attr-defined]
            for f in check["findings"]
        }
        return gated.verdict != "block" and "test-config-broken" not in rules
    return gated.verdict == "block" and any(b.startswith(REASON[head]) for b in gated.blocking)
