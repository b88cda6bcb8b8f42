"""Real projects from their PyPI sdists, turned into git repositories the scenarios branch from.

The sdists are downloaded once into a cache folder (never committed) so later runs work offline.
Versions are pinned: the scenarios edit these exact files, and a new release would move them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import GIT_IDENTITY

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_ENV = "CREWCHIEF_SDIST_CACHE"


@dataclass(frozen=True)
class Project:
    name: str
    """The short name scenarios use."""
    requirement: str
    """What pip downloads: an exact version."""
    why: str


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in (
        Project(
            "flask",
            "flask==3.0.3",
            "a web framework with runtime dependencies, pinned requirements files, a large test "
            "suite and the flaskr tutorial app (request handling and SQL)",
        ),
        Project(
            "arrow",
            "arrow==1.3.0",
            "a date library with a dependency list, requirements files, a tox coverage threshold, "
            "pre-commit config and CI workflows in its sdist",
        ),
        Project(
            "humanize",
            "humanize==4.9.0",
            "a small src-layout library with parametrized pytest tests, binary locale files, "
            "shell scripts and CI workflows in its sdist",
        ),
    )
}


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or REPO_ROOT / ".cache" / "sdists")


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def sdist_path(project: Project) -> Path:
    """The cached sdist, downloaded with pip on first use."""
    name, _, version = project.requirement.partition("==")
    folder = cache_dir()

    def cached() -> Path | None:
        for candidate in sorted(folder.glob(f"*-{version}.tar.gz")):
            stem = candidate.name[: -len(f"-{version}.tar.gz")]
            if _normal(stem) == _normal(name):
                return candidate
        return None

    found = cached() if folder.is_dir() else None
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    # Download beside the cache and move the finished file in, so a parallel worker never sees a
    # half-written archive.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        argv = (
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--disable-pip-version-check",
            "-q",
            project.requirement,
            "-d",
            tmp,
        )
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600)
        for archive in Path(tmp).glob("*.tar.gz"):
            os.replace(archive, folder / archive.name)
    found = cached()
    if out.returncode != 0 or found is None:
        raise RuntimeError(
            f"could not download {project.requirement} (exit {out.returncode}): {out.stderr[-2000:]}"
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


def git(repo: Path, env: Mapping[str, str], *args: str) -> str:
    out = subprocess.run(
        ("git", "-C", str(repo), *args), env=dict(env), capture_output=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {out.stderr.decode(errors='replace')}")
    return out.stdout.decode("utf-8", "surrogateescape").strip()


def build_repo(project: Project, dest: Path, env: Mapping[str, str]) -> Path:
    """Extract the sdist into `dest` and commit it as `main`: the base every scenario forks from."""
    archive = sdist_path(project)
    with tempfile.TemporaryDirectory(prefix="sdist-") as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        (top,) = Path(tmp).iterdir()
        shutil.move(str(top), str(dest))
    git(dest, env, "init", "-q", "-b", "main")
    # -f: an sdist holds exactly the project's files; its own .gitignore must not hide any of them
    git(dest, env, "add", "-A", "-f")
    git(dest, env, "commit", "-q", "-m", f"import {project.requirement} from its sdist")
    return dest


class Workbench:
    """One repository per project, built on first use and shared by every scenario after that."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = git_env(root / "home")
        self._repos: dict[str, Path] = {}

    def repo(self, name: str) -> Path:
        if name not in self._repos:
            self._repos[name] = build_repo(PROJECTS[name], self.root / name, self.env)
        return self._repos[name]
