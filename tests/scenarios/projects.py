"""Real projects from their PyPI sdists, turned into git repositories the scenarios branch from.

The sdists are downloaded once into a cache folder (never committed) so later runs work offline.
Versions are pinned: the scenarios edit these exact files, and a new release would move them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.sdists import git_env, import_sdist


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
        Project(
            "wcwidth",
            "wcwidth==0.2.13",
            "a small library packaged with a classic setup.py (install_requires read with ast), "
            "several requirements files and a tox configuration",
        ),
    )
}


def build_repo(project: Project, dest: Path, env: Mapping[str, str]) -> Path:
    """The project's sdist committed as `main`: the base every scenario forks from."""
    return import_sdist(project.requirement, dest, env)


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
