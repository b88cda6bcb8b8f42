"""Shared fixtures: real temporary git repositories with a fixed identity, never a mocked git."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}


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


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in GIT_IDENTITY}
    out = subprocess.run(
        ("git", "-C", str(repo), *args), env=env, input=input, capture_output=True, check=False
    )
    if out.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {out.stderr.decode(errors='replace')}")
    return out.stdout.decode("utf-8", "surrogateescape").strip()


FileContent = str | bytes | None


@dataclass
class Repo:
    """A real git repository in a temporary folder."""

    path: Path

    def git(self, *args: str, input: bytes | None = None) -> str:
        return git(self.path, *args, input=input)

    def write(self, files: Mapping[str | bytes, FileContent]) -> None:
        """Write files (None deletes); bytes keys allow non-UTF-8 names."""
        for name, content in files.items():
            raw = name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")
            target = os.path.join(os.fsencode(self.path), raw)
            if content is None:
                if os.path.lexists(target):
                    os.remove(target)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            with open(target, "wb") as fh:
                fh.write(data)

    def commit(
        self, files: Mapping[str | bytes, FileContent] | None = None, message: str = "change"
    ) -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "-q", ref)


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
