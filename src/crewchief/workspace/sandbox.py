"""Where an agent runs: a bubblewrap sandbox when the machine has one, else a plain process group.

In the sandbox the whole filesystem is read-only; only the run's worktree, its private run folder
and the adapter's extra paths are writable. The user's checkout, $HOME, /tmp and crewchief's state
(every other run's worktree and transcript) are hidden behind empty tmpfs mounts. The repository's
git directory stays visible read-only, because git in the worktree needs its objects and refs, with
two substitutions: the repository config is replaced by a sanitised copy (no remotes, credentials,
URL rewrites or command hooks such as core.fsmonitor), and the worktree's own admin folder by a
private copy, so the agent can `git commit` (detached, into a private object folder) without
touching any branch or other worktree. A pid namespace ends every agent process when the sandbox
ends; `--die-with-parent` ends the sandbox when crewchief dies. Network is kept or cut by policy
(`--unshare-net`; note a cut network also cuts loopback, so a model server on the host is
unreachable).

Without bubblewrap (or with `sandbox = "off"`) the fallback is a process group, the environment
allowlist and git configuration through the environment (no push transport, no hooks). That is not
a security boundary: the run records "no sandbox", and the runner compares the user's checkout and
the repository's hooks and config before and after the agent, restoring and reporting what changed.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from crewchief import git, proc
from crewchief.errors import UserError

SandboxMode = Literal["auto", "required", "off"]

READ_ONLY_DIR = "_read-only"
"""A folder of this name in the run folder is bound read-only over itself: what crewchief puts
there for the sandboxed command to load but not change (its pytest reporter, which the re-run of
failing tests loads again)."""

_BASE_FLAGS = (
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--unshare-pid",
    "--proc",
    "/proc",
    "--die-with-parent",
    "--new-session",
    "--unshare-ipc",
    "--unshare-uts",
)

# Config keys an agent's git may keep from the repository: the format of the repository, nothing
# that names another place to talk to or a program to run.
_KEEP_CONFIG = ("core.", "extensions.")
_DROP_CONFIG = frozenset(
    {
        "core.hookspath",
        "core.fsmonitor",
        "core.sshcommand",
        "core.editor",
        "core.pager",
        "core.askpass",
        "core.gitproxy",
        "core.worktree",
        "core.excludesfile",
        "core.attributesfile",
    }
)


@dataclass(frozen=True)
class Probe:
    """What bubblewrap can do on this machine (probed once per process)."""

    available: bool
    extra_flags: tuple[str, ...] = ()
    """`--unshare-user` where unprivileged user namespaces are how bwrap works here."""
    network_isolation: bool = False
    detail: str = ""


@functools.cache
def probe() -> Probe:
    """Try bwrap with the flags runs use; a machine without it (or without namespaces) falls back."""
    binary = shutil.which("bwrap")
    if binary is None:
        return Probe(False, detail="bwrap not found on PATH (install the bubblewrap package)")
    last = ""
    for extra in ((), ("--unshare-user",)):
        ok, last = _try(binary, (*_BASE_FLAGS, *extra))
        if ok:
            net, _ = _try(binary, (*_BASE_FLAGS, *extra, "--unshare-net"))
            return Probe(True, extra, net, f"bwrap {' '.join(extra) or 'as is'}")
    return Probe(False, detail=f"bwrap cannot create a sandbox here: {last}")


def _try(binary: str, flags: tuple[str, ...]) -> tuple[bool, str]:
    try:
        done = proc.run(proc.Request((binary, *flags, "true"), timeout=10))
    except (OSError, UserError) as exc:
        return False, str(exc)
    return done.ok, done.stderr.decode("utf-8", "replace").strip()


@dataclass(frozen=True)
class Layout:
    """The paths a run's sandbox is built from."""

    worktree: Path
    run_dir: Path
    checkout: Path
    """The user's checkout (hidden)."""
    git_common: Path
    """The repository's git directory (visible read-only, for git in the worktree)."""
    state_dir: Path
    """crewchief's folder in the git directory: every run's worktree and files (hidden)."""
    admin_dir: Path
    """The worktree's admin folder in the git directory, replaced by `private_admin`."""
    private_admin: Path
    git_config: Path
    """The sanitised repository config, bound over the real one."""
    home: Path | None = None
    """The host's home folder (hidden)."""
    writable: Sequence[Path] = field(default_factory=tuple)
    visible: Sequence[Path] = field(default_factory=tuple)
    """Paths under the hidden places shown again read-only (the agent's program, PATH entries)."""
    readable: Sequence[Path] = field(default_factory=tuple)
    """Paths inside crewchief's state shown read-only (a cached test environment)."""
    network: bool = True
    secret: Sequence[Path] = field(default_factory=tuple)
    """Folders the agent may not read at all (a task's hidden acceptance tests): made empty and
    read-only last, after every bind, so no path shown again can show them."""

    def hidden(self) -> list[Path]:
        hidden = [Path("/tmp"), self.checkout]
        if self.home is not None and self.home != Path("/") and self.home.is_dir():
            hidden.append(self.home)
        return sorted(set(hidden), key=lambda p: len(p.parts))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def bwrap_argv(argv: Sequence[str], layout: Layout, found: Probe) -> tuple[str, ...]:
    """The bubblewrap command line that runs `argv` inside the sandbox for `layout`.

    Mount order matters: broad hides first (shallowest path first), then the read-only git
    directory back, then crewchief's state hidden again, then the writable paths bound back in.
    """
    flags: list[str] = ["bwrap", *_BASE_FLAGS, *found.extra_flags]
    if not layout.network:
        flags.append("--unshare-net")
    hidden = layout.hidden()
    for path in hidden:
        flags += ["--tmpfs", str(path)]
    for path in layout.visible:
        if path.exists() and path not in hidden:
            flags += ["--ro-bind", str(path), str(path)]
    if any(_inside(layout.git_common, h) for h in hidden):
        flags += ["--ro-bind", str(layout.git_common), str(layout.git_common)]
    flags += ["--ro-bind", str(layout.git_config), str(layout.git_common / "config")]
    flags += ["--tmpfs", str(layout.state_dir)]
    flags += ["--bind", str(layout.private_admin), str(layout.admin_dir)]
    for path in layout.readable:
        flags += ["--ro-bind", str(path), str(path)]
    for path in (layout.worktree, layout.run_dir, *layout.writable):
        flags += ["--bind", str(path), str(path)]
    fixed = layout.run_dir / READ_ONLY_DIR
    if fixed.is_dir():
        flags += ["--ro-bind", str(fixed), str(fixed)]
    # Hidden places become empty and read-only, so a write there fails loudly instead of vanishing
    # (/tmp stays a private scratch tmpfs: programs that ignore TMPDIR still work).
    for path in layout.secret:
        flags += ["--tmpfs", str(path)]
    for path in (*sorted(set(hidden) - {Path("/tmp")}), layout.state_dir, *layout.secret):
        flags += ["--remount-ro", str(path)]
    flags += ["--chdir", str(layout.worktree), "--"]
    return (*flags, *argv)


def visible_again(layout: Layout, argv: Sequence[str], path_var: str) -> list[Path]:
    """What the agent needs from the hidden places to start at all: the files its command names
    by absolute path (its program, a script), the program found on PATH, and PATH folders there.

    Read-only, and never a hidden place as a whole: a user who installs an agent under $HOME keeps
    the rest of $HOME (keys, shell history, other projects) out of the agent's sight.
    """
    hidden = layout.hidden()

    def under_hidden(path: Path) -> bool:
        if any(_inside(path, s) or _inside(s, path) for s in layout.secret):
            return False  # never a door into (or around) a secret folder
        return any(_inside(path, h) and path != h for h in hidden)

    found: list[Path] = []
    candidates = [Path(a) for a in argv if a.startswith("/")]
    program = shutil.which(argv[0], path=path_var) if argv else None
    if program:
        candidates.append(Path(program))
    for candidate in candidates:
        if candidate.is_file() and under_hidden(candidate):
            found.append(candidate)
            if candidate.parent.name == "bin":
                # `<prefix>/bin/tool` (a virtualenv, an install prefix) needs `<prefix>/lib`.
                found.append(candidate.parent.parent)
        resolved = candidate.resolve()
        if resolved != candidate and resolved.is_file() and under_hidden(resolved):
            # A link into an installed tool (a venv's python into pyenv's under $HOME, a
            # node_modules/.bin entry into its package): the tool's folder comes with it.
            found.append(resolved)
            found.append(
                resolved.parent.parent if resolved.parent.name == "bin" else resolved.parent
            )
    for entry in path_var.split(os.pathsep):
        folder = Path(entry)
        if entry and folder.is_absolute() and folder.is_dir() and under_hidden(folder):
            found.append(folder)
    return list(dict.fromkeys(found))


def sanitized_git_config(git_common: Path) -> bytes:
    """The repository config an agent's git may see: core format settings and extensions only."""
    outcome = git.run(
        git_common, "config", "--file", str(git_common / "config"), "--null", "--list", check=False
    )
    sections: dict[str, list[tuple[str, str]]] = {}
    for item in outcome.stdout.split(b"\0"):
        if not item:
            continue
        key, _, value = item.decode("utf-8", "replace").partition("\n")
        lowered = key.lower()
        parts = lowered.split(".")
        if len(parts) != 2 or not lowered.startswith(_KEEP_CONFIG) or lowered in _DROP_CONFIG:
            continue
        sections.setdefault(parts[0], []).append((parts[1], value))
    lines: list[str] = []
    for section, items in sections.items():
        lines.append(f"[{section}]")
        for key, value in items:
            quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            lines.append(f'\t{key} = "{quoted}"')
    return ("\n".join(lines) + "\n").encode()


def private_admin_copy(admin_dir: Path, target: Path) -> None:
    """A copy of the worktree's admin folder the agent's git may write (HEAD, index, logs)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(admin_dir, target, symlinks=True)


def describe(sandboxed: bool, mode: SandboxMode, network: bool) -> str:
    """A one-line account of how the agent was contained, for the run's events and report notes."""
    if sandboxed:
        return f"bubblewrap sandbox, network {'on' if network else 'off'}"
    found = probe()
    if mode == "off":
        why = "disabled by policy"
    elif found.available:
        why = "bwrap cannot cut the network here"
    else:
        why = found.detail
    return f"no sandbox ({why}): process group and environment allowlist only"


def use_bwrap(mode: SandboxMode, network: bool) -> bool:
    """Whether to sandbox; `required` turns a missing or weaker sandbox into an error."""
    found = probe()
    if mode == "off":
        return False
    if mode == "required":
        if not found.available:
            raise SandboxUnavailable(f"policy requires a sandbox, but {found.detail}")
        if not network and not found.network_isolation:
            raise SandboxUnavailable(
                "policy requires a sandbox without network, but bwrap cannot unshare it here"
            )
    return found.available and (network or found.network_isolation)


class SandboxUnavailable(Exception):
    """The policy asks for a sandbox this machine cannot provide."""


def home_dir() -> Path | None:
    home = os.environ.get("HOME")
    return Path(home).resolve() if home else None
