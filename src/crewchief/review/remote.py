"""`push` a run branch to a remote, and open a pull request through GitHub's REST API.

The API base comes from `CREWCHIEF_GITHUB_API` (default GitHub's public API) and the token from
`GITHUB_TOKEN` (or `GH_TOKEN`); owner and repository are read from the remote's URL.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from crewchief import git
from crewchief.errors import UserError
from crewchief.store.models import RunRow

DEFAULT_API = "https://api.github.com"
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


def open_pull_request(
    repo: Path,
    run: RunRow,
    *,
    title: str,
    body: str,
    remote: str = "origin",
    api: str | None = None,
    token: str | None = None,
    timeout: float = 30,
) -> dict[str, Any]:
    token = token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not token:
        raise UserError(
            "no GitHub token: set GITHUB_TOKEN (a token with pull-request write access)"
        )
    url = git.run(repo, "remote", "get-url", remote, check=False).text().strip()
    if not url:
        raise UserError(f"no remote '{remote}'")
    owner, name = owner_repo(url)
    base_api = (api or os.environ.get("CREWCHIEF_GITHUB_API") or DEFAULT_API).rstrip("/")
    payload = {
        "title": title,
        "head": run.branch,
        "base": run.base_ref,
        "body": body,
        "maintainer_can_modify": True,
    }
    request = urllib.request.Request(
        f"{base_api}/repos/{owner}/{name}/pulls",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "crewchief",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise UserError(f"GitHub refused the pull request ({exc.code}): {detail}") from exc
    except urllib.error.URLError as exc:
        raise UserError(f"cannot reach {base_api}: {exc.reason}") from exc
