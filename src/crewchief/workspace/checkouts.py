"""Where dynamic checks run commands: worktrees of base and head, prepared environments, evidence.

A `Checkouts` belongs to one gate run. It checks out base and head (and variants with an overlay) as git
worktrees outside the user's checkout, prepares each with the policy's setup commands, runs commands
with a timeout (process group killed), an output cap and a log file per command in the evidence
folder, and removes every worktree when closed.

Environments: with `[tests] setup` commands, each worktree gets a virtualenv cached by the hash of
the setup commands and the dependency files (pyproject.toml, setup.cfg, setup.py, requirements*,
lock files), so packages are installed once per dependency set. The setup commands are re-run in
each new worktree with the warm environment (an editable install must point at this worktree), and
the environment is locked while a worktree uses it, so two gates never install into it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import sys
import tempfile
import threading
import venv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from crewchief import proc, statepaths
from crewchief.errors import UserError
from crewchief.spec.policy import Policy
from crewchief.workspace import envpolicy, sandbox
from crewchief.workspace.worktree import Worktree, add_worktree, git_common_dir

DEPENDENCY_FILES = re.compile(
    r"^(pyproject\.toml|setup\.cfg|setup\.py|Pipfile(\.lock)?|poetry\.lock|uv\.lock|"
    r"requirements[^/]*\.(txt|in)|requirements/[^/]+\.(txt|in)|package(-lock)?\.json|tox\.ini)$"
)
LOG_CAP = 8 * 1024 * 1024


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

    def _home(self, label: str) -> Path:
        return self.evidence_dir / f"env-{label}"

    def checkout(
        self, rev: str, overlay: Mapping[str, bytes | None] | None = None, label: str = "tree"
    ) -> PreparedTree:
        tree = add_worktree(self.repo, rev, prefix=f"{label}-")
        with self._mutex:
            self._trees.append(tree)
        if overlay:
            tree.write_overlay(overlay)
        return self._prepare(tree, label)

    def _prepare(self, tree: Worktree, label: str) -> PreparedTree:
        setup = self.policy.tests.setup
        if not setup:
            return PreparedTree(tree, host_env(home=self._home(label)), sys.executable)
        key = self._env_key(tree, setup, label)
        envs = statepaths.envs_dir(self.repo)
        envs.mkdir(parents=True, exist_ok=True)
        home = envs / key
        lock = open(envs / f"{key}.lock", "wb")  # noqa: SIM115 - held until close()
        fcntl.flock(lock, fcntl.LOCK_EX)
        with self._mutex:
            self._locks.append(lock)
        if not (home / "bin" / "python").exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(home)
        bin_dir = home / "bin"
        env = host_env(
            {
                "VIRTUAL_ENV": str(home),
                "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            },
            home=self._home(label),
        )
        with self._mutex:
            self._venvs[tree.path] = home
        log = self.log_path(f"setup-{label}")
        for command in setup:
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
                    f"setup command {command!r} failed (exit {outcome.returncode}) in {label}; "
                    f"see {log}"
                )
        return PreparedTree(tree, env, str(bin_dir / "python"), log)

    @staticmethod
    def _env_key(tree: Worktree, setup: Sequence[str], role: str) -> str:
        """Dependency files and setup commands decide the environment; the role (base, head, ...)
        keeps the worktrees that a checkouts holds at the same time in separate environments."""
        digest = hashlib.sha256()
        digest.update(repr((sys.version_info[:2], list(setup), role)).encode())
        candidates = [*tree.path.iterdir(), *(tree.path / "requirements").glob("*")]
        for path in sorted(candidates):
            rel = path.relative_to(tree.path).as_posix()
            if path.is_file() and DEPENDENCY_FILES.match(rel):
                digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
        return f"{role}-{digest.hexdigest()[:16]}"

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
        common = git_common_dir(self.repo)
        admin = Path(
            (tree.path / ".git").read_text("utf-8").strip().removeprefix("gitdir:").strip()
        )
        private = self.evidence_dir / f"gitdir-{tree.path.name}"
        if not private.exists():
            sandbox.private_admin_copy(admin, private)
        config = self.evidence_dir / "git.config"
        if not config.exists():
            config.write_bytes(sandbox.sanitized_git_config(common))
        venv_dir = self._venvs.get(tree.path)
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
            writable=(venv_dir,) if venv_dir is not None and setup else (),
            readable=(venv_dir,) if venv_dir is not None and not setup else (),
            network=self.policy.runs.network,
        )
        layout = replace(
            layout, visible=sandbox.visible_again(layout, argv, env.get("PATH", os.defpath))
        )
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
