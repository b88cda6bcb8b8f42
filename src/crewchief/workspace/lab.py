"""Where dynamic checks run commands: worktrees of base and head, prepared environments, evidence.

A `Lab` belongs to one gate run. It checks out base and head (and variants with an overlay) as git
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
import sys
import threading
import venv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from crewchief import proc
from crewchief.errors import UserError
from crewchief.spec.policy import Policy
from crewchief.workspace.worktree import Worktree, add_worktree, crewchief_dir

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


def host_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTEST_", "COV_CORE"))}
    for noisy in ("VIRTUAL_ENV", "PYTHONHOME", "COVERAGE_PROCESS_START"):
        env.pop(noisy, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


@dataclass
class Prepared:
    """A worktree with its environment ready for commands."""

    tree: Worktree
    env: dict[str, str]
    python: str
    setup_log: Path | None = None


@dataclass
class Lab:
    repo: Path
    policy: Policy
    evidence_dir: Path
    _trees: list[Worktree] = field(default_factory=list)
    _locks: list[IO[bytes]] = field(default_factory=list)
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def checkout(
        self, rev: str, overlay: Mapping[str, bytes | None] | None = None, label: str = "tree"
    ) -> Prepared:
        tree = add_worktree(self.repo, rev, prefix=f"{label}-")
        with self._mutex:
            self._trees.append(tree)
        if overlay:
            tree.write_overlay(overlay)
        return self._prepare(tree, label)

    def _prepare(self, tree: Worktree, label: str) -> Prepared:
        setup = self.policy.tests.setup
        if not setup:
            return Prepared(tree, host_env(), sys.executable)
        key = self._env_key(tree, setup, label)
        envs = crewchief_dir(self.repo) / "envs"
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
            {"VIRTUAL_ENV": str(home), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        )
        log = self.log_path(f"setup-{label}")
        for command in setup:
            outcome = self.run(
                split_command(command),
                tree.path,
                env,
                self.policy.tests.timeout_s,
                log,
                append=True,
            )
            if not outcome.ok:
                raise UserError(
                    f"setup command {command!r} failed (exit {outcome.returncode}) in {label}; "
                    f"see {log}"
                )
        return Prepared(tree, env, str(bin_dir / "python"), log)

    @staticmethod
    def _env_key(tree: Worktree, setup: Sequence[str], role: str) -> str:
        """Dependency files and setup commands decide the environment; the role (base, head, ...)
        keeps the worktrees that a lab holds at the same time in separate environments."""
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
    ) -> proc.Outcome:
        """Run a command; its merged output (capped) goes to `log`, and a timeout kills the group."""
        outcome = proc.run(
            proc.Request(
                tuple(argv),
                cwd=cwd,
                env=env,
                timeout=timeout,
                output_cap=LOG_CAP,
                merge_stderr=True,
            )
        )
        header = f"$ {shlex.join(argv)}\n# cwd: {cwd}\n"
        footer = (
            f"\n# exit: {outcome.returncode}  duration: {outcome.duration_s:.2f}s"
            f"{'  TIMED OUT' if outcome.timed_out else ''}"
            f"{'  (output truncated)' if outcome.truncated else ''}\n"
        )
        with open(log, "ab" if append else "wb") as fh:
            fh.write(header.encode() + outcome.stdout + footer.encode())
        return outcome

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

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
