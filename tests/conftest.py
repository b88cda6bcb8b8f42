"""Shared fixtures: real temporary git repositories with a fixed identity, never a mocked git."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.helpers.repo import GIT_IDENTITY, FileContent, Repo, git


@pytest.fixture(autouse=True)
def _git_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's git config, and commits have a fixed author."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n"
        "[commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n"
    )


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[object]:
    """Factory: `make_repo({"a.py": "x = 1\\n"})` gives a `Repo` with one commit on main."""
    counter = iter(range(1000))

    def factory(
        files: Mapping[str | bytes, FileContent] | None = None, name: str | None = None
    ) -> Repo:
        path = tmp_path / (name or f"repo{next(counter)}")
        path.mkdir()
        git(path, "init", "-q", "-b", "main")
        repo = Repo(path)
        repo.commit(files or {"README.md": "# sample\n"}, "initial")
        return repo

    yield factory


@pytest.fixture
def repo(make_repo: Callable[..., Repo]) -> Repo:
    return make_repo()
