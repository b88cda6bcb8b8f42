"""Build the adversarial suite's projects, branch each case off them, and judge it three ways.

A case is only worth its verdict if it is real, so every case is run three ways before the gate
sees it, all in the project's own `.venv/` on a detached worktree of the head:

- `truth`: a few lines of plain Python (no pytest loaded, committed bytecode deleted, `-B`) that
  hold for the project's real behaviour; a trick must break it at head (and it holds at base),
  a refactor must keep it;
- `plain`: what a reviewer who only runs the head's own suite sees (`fooled` for a trick: it
  reports success);
- `base tests on head's code`: the base's test files checked out over the head's (minus what a
  task supersedes); a refactor must pass them, which is what "preserves behaviour" means here.

Projects: two real PyPI sdists imported by `tests.helpers.sdists` with a `.venv/` built by the
replay harness (pip's wheel cache makes rebuilding quick; sdists are cached under .cache/), and
`calc`, a small purpose-built src-layout project for the tricks that need a layout the real ones do
not have (a test helper under src/, doctests, a coverage threshold). The gate is the real
`crewchief` program (`python -m crewchief` from this checkout's source) run in the checkout, in an
environment without this suite's virtualenv or PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.adversarial.cases import CASES, PROJECTS, Case, ProjectSpec, Tree
from tests.helpers.sdists import REPO_ROOT, git_env, import_sdist, run_git
from tests.replay.harness import make_venv, user_env


@dataclass(frozen=True)
class Built:
    spec: ProjectSpec
    repo: Path
    env: Mapping[str, str]

    @property
    def python(self) -> Path:
        return self.repo / ".venv" / "bin" / "python"


def _commit(repo: Path, env: Mapping[str, str], message: str) -> str:
    # -f: a trick may commit what a project ignores (bytecode); never the project's .venv/.
    run_git(repo, env, "add", "-A", "-f", "--", ".", ":(exclude).venv")
    run_git(repo, env, "commit", "-q", "--allow-empty", "-m", message)
    return run_git(repo, env, "rev-parse", "HEAD")


def build(name: str, root: Path, oracle: bool = True) -> Built:
    """The project at `root/<name>` on `main`, with its `.venv/`, its policy and the tasks of its
    cases, and one branch per case (named after the case). `oracle=False` is today's gate:
    the same repository with `[tests] base_oracle = false` in the base's policy."""
    spec = PROJECTS[name]
    env = git_env(root / "home")
    repo = root / name
    if spec.requirement:
        import_sdist(spec.requirement, repo, env)
    else:
        repo.mkdir(parents=True)
        for rel, text in spec.files.items():
            Tree(repo).write(rel, text)
        run_git(repo, env, "init", "-q", "-b", "main")
        _commit(repo, env, f"{name}: a small purpose-built project")
    make_venv(repo / ".venv", "pytest", "coverage", *spec.deps)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    with (repo / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write(".venv/\n")
    policy = f"[tests]\ncommand = {json.dumps(spec.command)}\n"
    tree = Tree(repo)
    tree.write("crewchief.toml", policy + ("" if oracle else "base_oracle = false\n"))
    for case in cases_of(name):
        for rel, text in case.task.items():
            tree.write(rel, text)
    _commit(repo, env, "policy and tasks")
    for case in cases_of(name):
        run_git(repo, env, "checkout", "-q", "-b", case.name, "main")
        case.edit(tree)
        _commit(repo, env, case.name)
        run_git(repo, env, "checkout", "-q", "main")
    return Built(spec, repo, env)


def cases_of(project: str) -> list[Case]:
    return [c for c in CASES if c.project == project]


@contextmanager
def checkout(built: Built, ref: str) -> Iterator[Path]:
    """A detached worktree of `ref`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="adv-wt-") as tmp:
        tree = Path(tmp) / "tree"
        run_git(built.repo, built.env, "worktree", "add", "-q", "--detach", str(tree), ref)
        try:
            yield tree
        finally:
            run_git(built.repo, built.env, "worktree", "remove", "--force", str(tree))


def _project_env(built: Built, cwd: Path) -> dict[str, str]:
    env = user_env(cwd.parent / "home")
    env.pop("PYTEST_CURRENT_TEST", None)  # this suite's own, which a trick may look for
    env.update(PYTHONDONTWRITEBYTECODE="1", VIRTUAL_ENV=str(built.repo / ".venv"))
    env["PATH"] = f"{built.repo / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    return env


def _run(argv: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False, timeout=900
    )


def truth(built: Built, case: Case, ref: str) -> bool:
    """Whether the project's real behaviour holds at `ref`: the case's probe run by plain Python,
    without pytest, on the reviewed source (committed bytecode deleted first)."""
    with checkout(built, ref) as tree:
        for cached in [*tree.rglob("__pycache__"), *tree.rglob("*.pyc")]:
            if cached.is_dir():
                shutil.rmtree(cached)
            elif cached.exists():
                cached.unlink()
        path = [str(tree / p) for p in built.spec.import_paths]
        probe = f"import sys\nsys.path[:0] = {path!r}\n{case.truth_probe}"
        out = _run([str(built.python), "-B", "-c", probe], tree, _project_env(built, tree))
    return out.returncode == 0


def plain(built: Built, case: Case, ref: str) -> subprocess.CompletedProcess[str]:
    """The head's own check as its author would run it (the suite, or the case's own command)."""
    with checkout(built, ref) as tree:
        env = _project_env(built, tree)
        if case.plain_command:
            return _run(["sh", "-c", case.plain_command], tree, env)
        argv = [str(built.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        return _run([*argv, *built.spec.command.split()[2:]], tree, env)


def base_tests_on_head(built: Built, case: Case) -> subprocess.CompletedProcess[str]:
    """The base's test files over the head's code, minus the tests the case's task supersedes."""
    with checkout(built, case.name) as tree:
        run_git(tree, built.env, "checkout", "main", "--", *built.spec.test_paths)
        argv = [str(built.python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        deselect = [f"--deselect={node}" for node in case.supersedes]
        return _run([*argv, *deselect, *built.spec.test_paths], tree, _project_env(built, tree))


@dataclass(frozen=True)
class Gated:
    verdict: str
    blocking: tuple[str, ...]
    seconds: float
    report: dict[str, object]

    def describe(self) -> str:
        lines = [f"verdict {self.verdict} in {self.seconds:.1f}s"]
        for f in self.report.get("findings", []):  # type: ignore[attr-defined]
            mark = "BLOCK " if f["blocking"] else ""
            lines.append(f"  {mark}{f['check']}/{f['rule']}: {f['message'][:240]}")
        return "\n".join(lines)


def gate(built: Built, case: Case, home: Path) -> Gated:
    """`crewchief gate --base main --head <case>` (with the case's task), the real program from
    this checkout's source, in a shell without this suite's virtualenv."""
    argv = [sys.executable, "-m", "crewchief", "gate", "--base", "main", "--head", case.name]
    if case.task_id:
        argv += ["--task", case.task_id]
    env = user_env(home)
    env.pop("PYTEST_CURRENT_TEST", None)
    env["PYTHONPATH"] = str(REPO_ROOT / "src")
    start = time.perf_counter()
    out = _run([*argv, "--format", "json"], built.repo, env)
    seconds = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise RuntimeError(f"crewchief gate exited {out.returncode}: {out.stdout}{out.stderr}")
    report = json.loads(out.stdout)
    blocking = tuple(f"{f['check']}/{f['rule']}" for f in report["findings"] if f["blocking"])
    return Gated(report["verdict"], blocking, seconds, report)
