"""Real projects' PyPI sdists as git repositories, for the suites that test crewchief on real code.

Sdists are downloaded once into a cache folder (never committed; `CREWCHIEF_SDIST_CACHE` moves it)
so later runs work offline, and moved in atomically so parallel workers and other suites sharing the
folder never see a half-written archive. These repositories are built once per session, so they carry
their own git identity: the autouse identity fixture in conftest.py is function-scoped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from tests.helpers.repo import GIT_IDENTITY

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_ENV = "CREWCHIEF_SDIST_CACHE"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or REPO_ROOT / ".cache" / "sdists")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sdist_path(requirement: str) -> Path:
    """The cached sdist of `requirement` (an exact `name==version`), downloaded on first use."""
    name, _, version = requirement.partition("==")
    folder = cache_dir()

    def cached() -> Path | None:
        if not folder.is_dir():
            return None
        for candidate in sorted(folder.glob(f"*-{version}.tar.gz")):
            if _normal(candidate.name[: -len(f"-{version}.tar.gz")]) == _normal(name):
                return candidate
        return None

    found = cached()
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        argv = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--disable-pip-version-check",
            "-q",
            requirement,
            "-d",
            tmp,
        ]
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
        for archive in Path(tmp).glob("*.tar.gz"):
            os.replace(archive, folder / archive.name)
    found = cached()
    if found is None:
        raise RuntimeError(
            f"could not download {requirement} (exit {out.returncode}): {out.stderr[-2000:]}"
        )
    return found


def git_env(home: Path) -> dict[str, str]:
    """A fixed identity and no user or system git config, whatever the caller's environment."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / ".gitconfig"
    if not config.exists():
        config.write_text(
            "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
            "[commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_IDENTITY)
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    return env


def run_git_raw(
    repo: Path, env: Mapping[str, str], *args: str, input: bytes | None = None
) -> bytes:
    out = subprocess.run(
        ("git", "-C", str(repo), *args),
        env=dict(env),
        input=input,
        capture_output=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {out.stderr.decode(errors='replace')}")
    return out.stdout


def run_git(repo: Path, env: Mapping[str, str], *args: str, input: bytes | None = None) -> str:
    return run_git_raw(repo, env, *args, input=input).decode("utf-8", "surrogateescape").strip()


def import_sdist(requirement: str, dest: Path, env: Mapping[str, str]) -> Path:
    """Extract the sdist into `dest` (a new folder) and commit it as `main`."""
    archive = sdist_path(requirement)
    with tempfile.TemporaryDirectory(prefix="sdist-") as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        shutil.move(str(top), str(dest))
    run_git(dest, env, "init", "-q", "-b", "main")
    # -f: an sdist holds exactly the project's files; its own .gitignore must not hide any of them
    run_git(dest, env, "add", "-A", "-f")
    run_git(dest, env, "commit", "-q", "-m", f"import {requirement} from its sdist")
    return dest
