"""The gate as a pre-commit hook, run by pre-commit itself (`pre-commit try-repo`, which installs
crewchief from this repository into its own environment as a user's hook would be): a staged
leaked key fails the hook with a message saying what to do; a clean staged change passes.

Also `gate --staged` directly: it judges the index, not the work tree, and says so on bad input."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
"""Read at import, before the tests' fixtures move HOME: pip reuses the wheels `make` fetched."""


def _fake_key() -> str:
    """An AWS-style access key id made at run time, so no key sits in this file."""
    rng = random.Random(7)
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PIP_CACHE_DIR": REAL_PIP_CACHE}
    env.pop("VIRTUAL_ENV", None)
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO_ROOT), "crewchief-gate"]
    return subprocess.run(
        argv, cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=1200
    )


@pytest.mark.slow
def test_pre_commit_runs_the_hook_on_the_staged_change(
    make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    home = tmp_path / "pre-commit-home"

    repo.write({"settings.py": f'AWS_KEY_ID = "{_fake_key()}"\n'})
    repo.git("add", "settings.py")
    blocked = _try_repo(repo.path, home)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode == 1, output
    assert "crewchief gate (static checks on the staged change)" in output
    assert "Failed" in output and "aws-access-key" in output, output
    assert "the staged change is blocked" in output

    repo.git("rm", "-q", "--cached", "settings.py")
    (repo.path / "settings.py").unlink()
    repo.write({"app.py": "def f():\n    return 2\n"})
    repo.git("add", "app.py")
    clean = _try_repo(repo.path, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout


def test_staged_judges_the_index_not_the_work_tree(
    make_repo: Callable[..., Repo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    repo.write({"settings.py": f'AWS_KEY_ID = "{_fake_key()}"\n'})  # written, not staged
    args = ("gate", "--repo", str(repo.path), "--staged", "--static", "--format", "json")
    assert run_cli(capsys, *args).code == 0
    repo.git("add", "settings.py")
    staged = run_cli(capsys, *args)
    assert staged.code == 1 and "aws-access-key" in staged.out
    assert "the staged change is blocked" in staged.err


def test_staged_input_errors_are_one_line(
    make_repo: Callable[..., Repo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo()
    both = run_cli(capsys, "gate", "--repo", str(repo.path), "--staged", "--head", "HEAD")
    assert both.code == 2 and "exclusive" in both.err
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    fresh = run_cli(capsys, "gate", "--repo", str(empty), "--staged", "--static")
    assert fresh.code == 2 and "no commit yet" in fresh.err, fresh.err
    assert len(fresh.err.strip().splitlines()) == 1
