"""The environment an agent sees: an allowlist, never the host's environment.

A developer's shell holds cloud keys, tokens and the credentials of every tool they use; an agent
must see none of them except its own (the names in `[agents.NAME] pass_env`). HOME and TMPDIR point
into the run's private folder, so the agent's config files and scratch never land in the user's home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

ALLOWED = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "USER",
        "LOGNAME",
        "SHELL",
        "COLORTERM",
        "NO_COLOR",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
    }
)
"""Host variables every agent gets: how to find programs and speak the user's locale, nothing else."""
ALLOWED_PREFIXES = ("LC_",)

FIXED = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "CI": "1",
}
"""Always set: git never prompts for credentials, and tools behave as unattended."""


def agent_env(
    *,
    run_dir: Path,
    pass_env: Sequence[str] = (),
    extra: Mapping[str, str] | None = None,
    host: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The allowlisted environment for one run.

    `pass_env` names host variables the agent may see (its API key); `extra` is set on top (the
    policy's `env` table, the adapter's variables, crewchief's own `CREWCHIEF_*`). A name in
    `pass_env` that the host does not define is simply absent.
    """
    source = os.environ if host is None else host
    env = {k: v for k, v in source.items() if k in ALLOWED or k.startswith(ALLOWED_PREFIXES)}
    env.setdefault("PATH", os.defpath)
    for name in pass_env:
        if name in source:
            env[name] = source[name]
    home = run_dir / "home"
    tmp = run_dir / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(FIXED)
    env["HOME"] = str(home)
    env["TMPDIR"] = str(tmp)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["GIT_CONFIG_GLOBAL"] = str(home / ".gitconfig")
    if extra:
        env.update(extra)
    return env


def git_identity(name: str) -> dict[str, str]:
    """A neutral identity for the commits an agent makes on its own (they never reach a branch)."""
    email = f"{name}@agents.crewchief.invalid"
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
