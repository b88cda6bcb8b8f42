"""The GitHub Action, run as a runner would run its step: `scripts/github-action-gate.sh` in a
temporary repository with a pull-request event payload (`GITHUB_EVENT_PATH`), the runner's files
(`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`) and the GitHub API on loopback. It must gate once and leave
the report everywhere GitHub shows it, and exit as `fail-on` says."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.github_server import Reply, github_server
from tests.helpers.repo import Repo

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "github-action-gate.sh"
CREWCHIEF = Path(sys.executable).parent / "crewchief"
COMMENTS = "/repos/team/app/issues/7/comments"


def _key() -> str:
    rng = random.Random(3)
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def _pull_request(make_repo: Callable[..., Repo], tmp_path: Path, secret: bool) -> dict[str, Any]:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    base = repo.git("rev-parse", "HEAD")
    repo.branch("feature")
    text = f'KEY = "{_key()}"\n' if secret else "def f():\n    return 2\n"
    head = repo.commit({"settings.py" if secret else "app.py": text})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"sha": base},
                                                  "head": {"sha": head}}}))  # fmt: skip
    return {"repo": repo, "event": event, "head": head}


def _run(
    pr: dict[str, Any], tmp_path: Path, api: str, **inputs: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CREWCHIEF_BIN": str(CREWCHIEF),
        "GITHUB_EVENT_PATH": str(pr["event"]),
        "GITHUB_API_URL": api,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "team/app",
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "RUNNER_TEMP": str(tmp_path),
        "INPUT_STATIC": "true",
        "INPUT_SARIF": str(tmp_path / "crewchief.sarif"),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], cwd=pr["repo"].path, env=env, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip


def test_a_blocked_pull_request_gets_every_report_and_fails(
    make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    pr = _pull_request(make_repo, tmp_path, secret=True)
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100", body=[]),
        Reply("POST", COMMENTS, 201, {"html_url": "https://github.com/team/app/pull/7#c1"}),
    ]
    with github_server(replies) as server:
        done = _run(pr, tmp_path, server.url)
    assert done.returncode == 1, done.stderr
    assert server.done(), server.off_script
    assert "::error file=settings.py,line=1,title=secrets/aws-access-key::" in done.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### crewchief gate: **BLOCK**")
    assert f"https://github.com/team/app/blob/{pr['head']}/settings.py#L1" in summary
    sarif = json.loads((tmp_path / "crewchief.sarif").read_text())
    assert sarif["runs"][0]["results"], sarif
    assert (tmp_path / "output.txt").read_text() == "verdict=block\n"
    assert "crewchief gate: **BLOCK**" in server.seen[-1].body["body"]
    assert _key() not in server.seen[-1].body["body"]  # the comment does not repeat the secret


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("review", 0), ("block", 0)])
def test_fail_on_decides_the_exit_of_a_clean_change(
    make_repo: Callable[..., Repo], tmp_path: Path, fail_on: str, code: int
) -> None:
    pr = _pull_request(make_repo, tmp_path, secret=False)
    with github_server([]) as server:  # comment off: any call would be off script
        done = _run(pr, tmp_path, server.url, fail_on=fail_on, comment="false")
    assert server.seen == []
    verdict = (tmp_path / "output.txt").read_text().strip().removeprefix("verdict=")
    expected = 1 if fail_on == "review" and verdict != "pass" else code
    assert done.returncode == expected, (verdict, done.stdout, done.stderr)


def test_fail_on_never_lets_a_blocked_change_through_and_bad_input_fails(
    make_repo: Callable[..., Repo], tmp_path: Path
) -> None:
    pr = _pull_request(make_repo, tmp_path, secret=True)
    with github_server([]) as server:
        never = _run(pr, tmp_path, server.url, fail_on="never", comment="false")
        typo = _run(pr, tmp_path, server.url, fail_on="sometimes", comment="false")
        no_base = _run({**pr, "event": tmp_path / "missing.json"}, tmp_path, server.url)
    assert never.returncode == 0 and "verdict=block" in (tmp_path / "output.txt").read_text()
    assert typo.returncode == 2 and "fail-on must be block, review or never" in typo.stdout
    assert no_base.returncode == 2 and "no base to compare with" in no_base.stdout


def test_action_yml_runs_the_script_with_its_inputs() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"base", "checks", "fail-on", "sarif", "comment"}
    step = action["runs"]["steps"][0]
    assert "scripts/github-action-gate.sh" in step["run"]
    for name in ("base", "checks", "fail-on", "sarif", "comment"):
        env_name = "INPUT_" + name.upper().replace("-", "_")
        assert step["env"][env_name] == f"${{{{ inputs.{name} }}}}"
        assert env_name in SCRIPT.read_text()
