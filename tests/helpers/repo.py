"""Real temporary git repositories with a fixed identity, never a mocked git: the `Repo` value the
`make_repo` fixture (tests/conftest.py) returns, and the `git` call the tests use to build history."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
}


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
