"""Where dynamic checks run commands: worktrees of base and head, prepared environments, evidence.

A `Checkouts` belongs to one gate run. It checks out base and head (and variants with an overlay) as git
worktrees outside the user's checkout, prepares each with the policy's setup commands, runs commands
with a timeout (process group killed), an output cap and a log file per command in the evidence
folder, and removes every worktree when closed.

Environments: the project's commands run with the project's interpreter (`pyenv.find_python`:
`[tests] python`, the active virtualenv, the checkout's `.venv/`, or `python` on PATH), its
virtualenv activated, and the worktree first on PYTHONPATH so the code judged is the worktree's.
With `[tests] setup` commands, each side (base, head) gets a virtualenv made from that interpreter
and keyed by the hash of the setup commands and the dependency files (pyproject.toml, setup.cfg,
setup.py, requirements*, lock files): setup runs once per dependency set, and every worktree of
that side, in this gate and later ones, reuses it. The environment is locked exclusively while it
is built and shared while gates use it, so two gates never install into it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from crewchief import proc, statepaths
from crewchief.errors import UserError
from crewchief.spec.policy import Policy
from crewchief.workspace import envpolicy, pyenv, sandbox
from crewchief.workspace.worktree import Worktree, add_worktree

DEPENDENCY_FILES = re.compile(
    r"^(pyproject\.toml|setup\.cfg|setup\.py|Pipfile(\.lock)?|poetry\.lock|uv\.lock|"
    r"requirements[^/]*\.(txt|in)|requirements/[^/]+\.(txt|in)|package(-lock)?\.json|tox\.ini)$"
)
LOG_CAP = 8 * 1024 * 1024
READY = ".crewchief-ready"
"""Written into a `[tests] setup` environment once its setup commands succeeded."""


def split_command(command: str) -> list[str]:
    """Policy commands are argv strings split like a shell would, but never run by one."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UserError(f"cannot split command {command!r}: {exc}") from exc
    if not argv:
        raise UserError("empty command in policy")
    return argv


def host_env(extra: Mapping[str, str] | None = None, *, home: Path | None = None) -> dict[str, str]:
    """The environment of a command the gate runs on a change: an allowlist, like an agent's.

    The code under test is the change's (an agent's conftest.py, setup.py or benchmark), so it
    sees no host secrets; HOME and TMPDIR are private to the checkouts."""
    scratch = home or Path(tempfile.mkdtemp(prefix="crewchief-lab-home-"))
    env = envpolicy.agent_env(run_dir=scratch, extra=extra)
    env.pop("CI", None)  # test suites that change behaviour under CI should see the user's setting
    if "CI" in os.environ:
        env["CI"] = os.environ["CI"]
    return env


@dataclass
class PreparedTree:
    """A worktree with its environment ready for commands."""

    tree: Worktree
    env: dict[str, str]
    python: str
    setup_log: Path | None = None
    how: str = ""
    """How the interpreter was found, one line (for the report)."""

    def describe(self) -> str:
        return f"{self.python} ({self.how})" if self.how else self.python


def side_of(label: str) -> str:
    """`accept-base`, `bench-base` and `base` are all the base side (one environment per side)."""
    last = label.rsplit("-", 1)[-1]
    return last if last in ("base", "head") else label


def code_first(tree: Path, pythonpath: str | None) -> str:
    """PYTHONPATH with the worktree (and its `src/`) first: a project environment often holds an
    editable install of the user's checkout (or of the worktree the setup ran in), and the code
    judged must be this worktree's, never that one's."""
    parts = [str(tree)]
    if (tree / "src").is_dir():
        parts.append(str(tree / "src"))
    if pythonpath:
        parts.append(pythonpath)
    return os.pathsep.join(parts)


@dataclass
class Checkouts:
    repo: Path
    policy: Policy
    evidence_dir: Path
    _trees: list[Worktree] = field(default_factory=list)
    _locks: list[IO[bytes]] = field(default_factory=list)
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0
    _venvs: dict[Path, Path] = field(default_factory=dict)
    _envs: dict[str, Path] = field(default_factory=dict)
    _env_mutex: threading.Lock = field(default_factory=threading.Lock)
    _env_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _python: pyenv.ProjectPython | None = None

    def _home(self, label: str) -> Path:
        return self.evidence_dir / f"env-{label}"

    def project_python(self) -> pyenv.ProjectPython:
        """The project's interpreter, looked up once per gate in the user's checkout."""
        with self._mutex:
            if self._python is None:
                self._python = pyenv.find_python(self.repo, self.policy.tests.python)
            return self._python

    def checkout(
        self,
        rev: str,
        overlay: Mapping[str, bytes | None] | None = None,
        label: str = "tree",
        side: str | None = None,
    ) -> PreparedTree:
        tree = add_worktree(self.repo, rev, prefix=f"{label}-")
        with self._mutex:
            self._trees.append(tree)
        if overlay:
            tree.write_overlay(overlay)
        return self._prepare(tree, label, side or side_of(label))

    def _prepare(self, tree: Worktree, label: str, side: str) -> PreparedTree:
        found = self.project_python()
        path_var = os.environ.get("PATH", os.defpath)
        if self.policy.tests.setup:
            home, log = self._setup_env(tree, side, found)
            python = home / "bin" / "python"
            how = f"[tests] setup environment for {side}, made from {found.describe()}"
            found = pyenv.ProjectPython(python, how, home)
            with self._mutex:
                self._venvs[tree.path] = home
        else:
            log = None
            if found.venv is not None:
                with self._mutex:
                    self._venvs[tree.path] = found.venv
        variables = {**found.activation(path_var), **self.policy.tests.env}
        variables["PYTHONPATH"] = code_first(tree.path, self.policy.tests.env.get("PYTHONPATH"))
        variables.update(self._no_committed_bytecode(label))
        env = host_env(variables, home=self._home(label))
        return PreparedTree(tree, env, str(found.python), log, found.how)

    def _no_committed_bytecode(self, label: str) -> dict[str, str]:
        """What runs must be what was reviewed: Python must not run `__pycache__/*.pyc` committed
        in the tree instead of the source beside it. With PYTHONPYCACHEPREFIX set Python looks for
        cached bytecode only under that (fresh, empty, outside the worktree) folder and never in
        the tree's `__pycache__`; PYTHONDONTWRITEBYTECODE (`-B`) keeps it empty. A sourceless
        `foo.pyc` beside a missing `foo.py` is still imported (the prefix does not apply to it):
        the scope check's `unreviewed-code` rule, which blocks committed bytecode, protects there."""
        prefix = self.evidence_dir / f"pycache-{label}"
        prefix.mkdir(parents=True, exist_ok=True)
        return {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(prefix)}

    def _setup_env(
        self, tree: Worktree, side: str, found: pyenv.ProjectPython
    ) -> tuple[Path, Path | None]:
        """The `[tests] setup` environment for this side and dependency set: built and set up
        once, then reused by every worktree of the side in this gate and by later gates, until
        the dependency files change. Base and head never share one, so head's code (its
        setup.py, its tests) cannot alter the environment base's results come from."""
        key = self._env_key(tree, self.policy.tests.setup, side, found)
        with self._env_mutex:
            key_lock = self._env_locks.setdefault(key, threading.Lock())
        with key_lock:  # the checks of one gate ask for the same side at the same time
            if key in self._envs:
                return self._envs[key], None
            envs = statepaths.envs_dir(self.repo)
            envs.mkdir(parents=True, exist_ok=True)
            home = envs / key
            lock = open(envs / f"{key}.lock", "wb")  # noqa: SIM115 - held until close()
            with self._mutex:
                self._locks.append(lock)
            fcntl.flock(lock, fcntl.LOCK_SH)
            log: Path | None = None
            if not (home / READY).exists():
                fcntl.flock(lock, fcntl.LOCK_EX)  # another gate may be building it: wait
                if not (home / READY).exists():
                    log = self._build_env(tree, home, side, found)
                fcntl.flock(lock, fcntl.LOCK_SH)  # then used, read-only, by any number of gates
            self._envs[key] = home
            return home, log

    def _build_env(self, tree: Worktree, home: Path, side: str, found: pyenv.ProjectPython) -> Path:
        log = self.log_path(f"setup-{side}")
        if home.exists():
            shutil.rmtree(home)  # a build that failed half-way
        made = proc.run(proc.Request((str(found.python), "-m", "venv", str(home)), timeout=300))
        if not made.ok:
            raise UserError(
                f"cannot create the [tests] setup environment with {found.describe()}: "
                f"{made.text().strip()[-300:]}"
            )
        with self._mutex:
            self._venvs[tree.path] = home
        bin_dir = home / "bin"
        variables = {
            "VIRTUAL_ENV": str(home),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            **self.policy.tests.env,
        }
        env = host_env(variables, home=self._home(f"setup-{side}"))
        for command in self.policy.tests.setup:
            outcome = self.run(
                split_command(command),
                tree.path,
                env,
                self.policy.tests.timeout_s,
                log,
                append=True,
                setup=True,
            )
            if not outcome.ok:
                raise UserError(
                    f"setup command {command!r} failed (exit {outcome.returncode}) for {side}; "
                    f"see {log}"
                )
        (home / READY).write_text(tree.path.name, encoding="utf-8")
        return log

    @staticmethod
    def _env_key(
        tree: Worktree, setup: Sequence[str], side: str, found: pyenv.ProjectPython
    ) -> str:
        """Dependency files, setup commands and the interpreter the environment is made from decide
        the environment; the side keeps base's and head's apart."""
        digest = hashlib.sha256()
        digest.update(repr((str(found.python), list(setup), side)).encode())
        candidates = [*tree.path.iterdir(), *(tree.path / "requirements").glob("*")]
        for path in sorted(candidates):
            rel = path.relative_to(tree.path).as_posix()
            if path.is_file() and DEPENDENCY_FILES.match(rel):
                digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
        return f"{side}-{digest.hexdigest()[:16]}"

    def log_path(self, name: str) -> Path:
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        with self._mutex:
            self._counter += 1
            number = self._counter
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
        return self.evidence_dir / f"{number:02d}-{safe}.log"

    def run(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        timeout: float,
        log: Path,
        *,
        append: bool = False,
        setup: bool = False,
        pass_fds: Sequence[int] = (),
    ) -> proc.Outcome:
        """Run a command; its merged output (capped) goes to `log`, and a timeout kills the group.

        The command is the change's code (its tests, its benchmark), so where bubblewrap works it
        runs sandboxed like an agent: only its worktree and the evidence folder are writable (and
        its cached environment during setup, read-only after), the user's checkout, home and
        crewchief's state are hidden."""
        how = "no sandbox"
        wrapped = tuple(argv)
        if (
            argv
            and "/" not in argv[0]
            and shutil.which(argv[0], path=env.get("PATH", os.defpath)) is None
        ):
            raise UserError(f"'{argv[0]}' was not found on PATH; install it or fix the command")
        tree = self._tree_of(cwd)
        mode = self.policy.runs.sandbox
        if tree is not None and sandbox.use_bwrap(mode, self.policy.runs.network):
            wrapped = self._sandboxed(tuple(argv), tree, env, setup=setup)
            how = "bubblewrap sandbox"
        outcome = proc.run(
            proc.Request(
                wrapped,
                cwd=cwd,
                env=env,
                timeout=timeout,
                output_cap=LOG_CAP,
                merge_stderr=True,
                pass_fds=tuple(pass_fds),
            )
        )
        header = f"$ {shlex.join(argv)}\n# cwd: {cwd}\n# {how}\n"
        footer = (
            f"\n# exit: {outcome.returncode}  duration: {outcome.duration_s:.2f}s"
            f"{'  TIMED OUT' if outcome.timed_out else ''}"
            f"{'  (output truncated)' if outcome.truncated else ''}\n"
        )
        with open(log, "ab" if append else "wb") as fh:
            fh.write(header.encode() + outcome.stdout + footer.encode())
        return outcome

    def _tree_of(self, cwd: Path) -> Worktree | None:
        with self._mutex:
            for tree in self._trees:
                if cwd == tree.path or tree.path in cwd.parents:
                    return tree
        return None

    def _sandboxed(
        self, argv: tuple[str, ...], tree: Worktree, env: Mapping[str, str], *, setup: bool
    ) -> tuple[str, ...]:
        common = statepaths.git_dir(self.repo)
        admin = Path(
            (tree.path / ".git").read_text("utf-8").strip().removeprefix("gitdir:").strip()
        )
        private = self.evidence_dir / f"gitdir-{tree.path.name}"
        if not private.exists():
            sandbox.private_admin_copy(admin, private)
        config = self.evidence_dir / "git.config"
        if not config.exists():
            config.write_bytes(sandbox.sanitized_git_config(common))
        own = self._venvs.get(tree.path)
        # The environment the commands run in: the gate's own setup environment for this tree, or
        # the project's (a `.venv/` inside the user's checkout, which the sandbox otherwise hides).
        # Only the gate's own is ever writable, and only to the setup commands.
        venv_dir = own if own is not None else self.project_python().venv
        writes = own is not None and setup
        layout = sandbox.Layout(
            worktree=tree.path,
            run_dir=self.evidence_dir,
            checkout=self.repo,
            git_common=common,
            state_dir=statepaths.state_dir(self.repo),
            admin_dir=admin,
            private_admin=private,
            git_config=config,
            home=sandbox.home_dir(),
            writable=(venv_dir,) if venv_dir is not None and writes else (),
            readable=(venv_dir,) if venv_dir is not None and not writes else (),
            network=self.policy.runs.network,
        )
        path_var = env.get("PATH", os.defpath)
        visible = sandbox.visible_again(layout, argv, path_var)
        if venv_dir is not None:
            # The project's interpreter, whatever the command calls (`make test` runs `python`
            # from PATH): its venv and, through its `bin/python` link, the base installation
            # (a pyenv under $HOME) are shown again read-only.
            python = str(venv_dir / "bin" / "python")
            visible += [
                p for p in sandbox.visible_again(layout, (python,), path_var) if p not in visible
            ]
            # The venv itself is bound whole (`readable`); a file bound inside it first would need
            # a mount point bubblewrap cannot create in the hidden, empty checkout.
            visible = [p for p in visible if p != venv_dir and venv_dir not in p.parents]
        layout = replace(layout, visible=visible)
        return sandbox.bwrap_argv(argv, layout, sandbox.probe())

    def close(self) -> None:
        with self._mutex:
            trees, self._trees = self._trees, []
            locks, self._locks = self._locks, []
        for tree in trees:
            tree.remove()
        for lock in locks:
            with contextlib.suppress(OSError):
                fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    def __enter__(self) -> Checkouts:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
