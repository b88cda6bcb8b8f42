"""How an agent process is started: its environment, its git plumbing and its sandbox layout.

The agent's git works on the run's worktree but writes objects into the run's private folder (the
repository's objects are borrowed read-only as alternates), never talks to a remote
(`protocol.allow=never`) and runs no hooks. A logging `git` shim comes first on its PATH, so a push
attempt is on record even where the transport refuses it. With bubblewrap the agent also gets the
sandbox of `crewchief.workspace.sandbox`: a private copy of the worktree's admin folder (its HEAD,
index and logs) and a sanitised repository config are bound over the real ones.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from crewchief import statepaths
from crewchief.workspace import envpolicy, sandbox


@dataclass(frozen=True)
class AgentSpace:
    """The places one run's agent works in and next to."""

    checkout: Path
    """The user's checkout (hidden from a sandboxed agent)."""
    worktree: Path
    run_dir: Path
    git_common: Path
    state_dir: Path
    admin_dir: Path
    """The worktree's admin folder in the git directory (its HEAD, index)."""

    @classmethod
    def of(cls, checkout: Path, worktree: Path, run_dir: Path) -> AgentSpace:
        return cls(
            checkout=checkout,
            worktree=worktree,
            run_dir=run_dir,
            git_common=statepaths.git_dir(checkout),
            state_dir=statepaths.state_dir(checkout),
            admin_dir=admin_dir(worktree),
        )

    @property
    def objects(self) -> Path:
        """Where the agent's own git objects go (never the repository's object store)."""
        return self.run_dir / "objects"

    @property
    def git_log(self) -> Path:
        """The agent's `git` calls, one a line, as the shim logged them."""
        return self.run_dir / "git-commands.log"


@dataclass(frozen=True)
class Launch:
    """How to start the agent: what `proc.stream` gets, and how it was contained."""

    argv: tuple[str, ...]
    env: Mapping[str, str]
    sandboxed: bool
    how: str
    """One line for the run's events and the report's notes."""
    agent_head: Path
    """The HEAD file the agent's git moves when it commits by itself."""


def admin_dir(worktree: Path) -> Path:
    """The admin folder a worktree's `.git` link names; a worktree without one is refused."""
    text = (worktree / ".git").read_text(encoding="utf-8").strip()
    if not text.startswith("gitdir:"):
        raise ValueError(f"{worktree}/.git is not a worktree link")
    return Path(text.removeprefix("gitdir:").strip()).resolve()


def agent_environment(
    space: AgentSpace,
    *,
    agent_name: str,
    pass_env: Sequence[str] = (),
    extra: Mapping[str, str] | None = None,
    crewchief: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The allowlisted environment of the agent with its git plumbing.

    `extra` (the policy's and the adapter's variables) cannot override what keeps the agent's git
    contained; `crewchief` (the run's `CREWCHIEF_*`) goes on top of `extra`.
    """
    for sub in ("pack", "info"):
        (space.objects / sub).mkdir(parents=True, exist_ok=True)
    shim = git_shim(space.run_dir)
    return envpolicy.agent_env(
        run_dir=space.run_dir,
        pass_env=pass_env,
        extra={
            **(extra or {}),
            **envpolicy.git_identity(agent_name),
            "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            **(crewchief or {}),
            "CREWCHIEF_GIT_LOG": str(space.git_log),
            "GIT_OBJECT_DIRECTORY": str(space.objects),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(space.git_common / "objects"),
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "protocol.allow",
            "GIT_CONFIG_VALUE_0": "never",
            "GIT_CONFIG_KEY_1": "core.hooksPath",
            "GIT_CONFIG_VALUE_1": "/dev/null",
        },
    )


def git_shim(run_dir: Path) -> Path:
    """A `git` first on the agent's PATH that logs each call, so a push attempt is on record."""
    real = shutil.which("git") or "/usr/bin/git"
    folder = run_dir / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        'printf "git %s\\n" "$*" >> "$CREWCHIEF_GIT_LOG" 2>/dev/null\n'
        f'exec {shlex.quote(real)} "$@"\n'
    )
    script.chmod(0o755)
    return folder


def launch(
    space: AgentSpace,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    mode: sandbox.SandboxMode,
    network: bool,
    extra_writable: Sequence[Path] = (),
    secret: Sequence[Path] = (),
) -> Launch:
    """The agent's command line, wrapped in bubblewrap when the mode and the machine allow.

    `secret` folders (hidden acceptance tests) are unreadable inside the sandbox. Without one they
    would be readable, so the run is refused unless the policy turned the sandbox off on purpose.
    Raises `sandbox.SandboxUnavailable` when the mode requires a sandbox this machine lacks.
    """
    sandboxed = sandbox.use_bwrap(mode, network)
    how = sandbox.describe(sandboxed, mode, network)
    if not sandboxed and secret and mode != "off":
        raise sandbox.SandboxUnavailable(
            f"the task's hidden acceptance tests ({', '.join(map(str, secret))}) would be "
            f"readable by the agent: {how}; install bubblewrap, or set [runs] sandbox = "
            '"off" to run without hiding them'
        )
    if not sandboxed:
        return Launch(tuple(argv), env, False, how, space.admin_dir / "HEAD")
    layout = sandbox_layout(space, network=network, extra_writable=extra_writable)
    layout = replace(layout, secret=tuple(secret))
    path_var = env.get("PATH", os.defpath)
    layout = replace(layout, visible=sandbox.visible_again(layout, argv, path_var))
    wrapped = sandbox.bwrap_argv(tuple(argv), layout, sandbox.probe())
    return Launch(wrapped, env, True, how, layout.private_admin / "HEAD")


def sandbox_layout(
    space: AgentSpace, *, network: bool, extra_writable: Sequence[Path] = ()
) -> sandbox.Layout:
    """The sandbox's paths, with the private admin copy and sanitised config written out."""
    private_admin = space.run_dir / "gitdir"
    sandbox.private_admin_copy(space.admin_dir, private_admin)
    git_config = space.run_dir / "git.config"
    git_config.write_bytes(sandbox.sanitized_git_config(space.git_common))
    return sandbox.Layout(
        worktree=space.worktree,
        run_dir=space.run_dir,
        checkout=space.checkout,
        git_common=space.git_common,
        state_dir=space.state_dir,
        admin_dir=space.admin_dir,
        private_admin=private_admin,
        git_config=git_config,
        home=sandbox.home_dir(),
        writable=tuple(p for p in extra_writable if p.exists()),
        network=network,
    )
