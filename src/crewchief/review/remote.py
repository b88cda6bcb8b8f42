"""`push` a run branch to a remote, and open a pull request through GitHub's REST API
(`crewchief.github`, which reads the API base and token); owner and repository are read from the
remote's URL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from crewchief import git
from crewchief.errors import UserError
from crewchief.github import GitHub
from crewchief.store.models import RunRow

_REMOTE = re.compile(
    r"(?:github\.com[:/]|^[^:]+:|/)(?P<owner>[^/:]+)/(?P<repo>[^/]+?)(?:\.git)?/?$"
)


def push(repo: Path, run: RunRow, remote: str = "origin") -> str:
    if not run.branch:
        raise UserError(f"run {run.id} has no branch to push")
    if git.run(repo, "remote", "get-url", remote, check=False).returncode != 0:
        raise UserError(
            f"no remote '{remote}'; add it with 'git remote add {remote} URL' or pass --remote"
        )
    outcome = git.run(
        repo,
        "-c",
        "core.hooksPath=/dev/null",
        "push",
        "--porcelain",
        remote,
        f"refs/heads/{run.branch}:refs/heads/{run.branch}",
        check=False,
        timeout=300,
    )
    if not outcome.ok:
        reason = (
            outcome.stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"]
        )[-1]
        raise UserError(f"push of {run.branch} to {remote} failed: {reason}")
    return run.branch


def owner_repo(url: str) -> tuple[str, str]:
    match = _REMOTE.search(url.strip())
    if not match:
        raise UserError(f"cannot tell the GitHub owner/repository from remote URL {url!r}")
    return match.group("owner"), match.group("repo")


def github_repository(repo: Path, remote: str = "origin") -> str:
    """OWNER/NAME of `remote`, read from its URL."""
    url = git.run(repo, "remote", "get-url", remote, check=False).text().strip()
    if not url:
        raise UserError(f"no remote '{remote}'")
    owner, name = owner_repo(url)
    return f"{owner}/{name}"


def open_pull_request(
    gh: GitHub, repository: str, run: RunRow, *, title: str, body: str
) -> dict[str, Any]:
    payload = {
        "title": title,
        "head": run.branch,
        "base": run.base_ref,
        "body": body,
        "maintainer_can_modify": True,
    }
    made = gh.call("POST", f"/repos/{repository}/pulls", payload).data
    return dict(made) if isinstance(made, dict) else {}
