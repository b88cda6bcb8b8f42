"""The GitLab CI template, run as a GitLab runner runs its job's `script` (after `before_script`'s
install, which here is crewchief already installed): on a merge request it fails when the gate
blocks, and leaves a Code Quality report GitLab accepts (its required fields, unique fingerprints,
a location for every issue) and the Markdown report."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

import yaml

from crewchief.gate.change import Change
from crewchief.gate.check import Check
from crewchief.gate.engine import gate_change
from crewchief.gate.findings import Finding, Severity
from crewchief.gate.report import render_codequality
from crewchief.spec.policy import Policy
from tests.helpers.repo import Repo

TEMPLATE = Path(__file__).resolve().parents[1] / "ci" / "gitlab-crewchief.yml"
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def _key() -> str:
    rng = random.Random(5)
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def _job(repo: Repo, base: str, head: str) -> subprocess.CompletedProcess[str]:
    job = yaml.safe_load(TEMPLATE.read_text())["crewchief-gate"]
    env = {
        **os.environ,
        "CREWCHIEF": str(Path(sys.executable).parent / "crewchief"),
        "CI_PROJECT_DIR": str(repo.path),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_COMMIT_SHA": head,
        **{k: str(v) for k, v in job["variables"].items()},
    }
    script = "set -e\n" + "\n".join(job["script"])
    return subprocess.run(
        ["bash", "-c", script], cwd=repo.path, env=env, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip


def test_a_blocked_merge_request_fails_the_job_with_a_code_quality_report(
    make_repo: Callable[..., Repo],
) -> None:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    base = repo.git("rev-parse", "HEAD")
    repo.branch("feature")
    head = repo.commit({"settings.py": f'KEY = "{_key()}"\n', "app.py": "import os\n"})
    done = _job(repo, base, head)
    assert done.returncode == 1, done.stdout + done.stderr
    issues = json.loads((repo.path / "gl-code-quality-report.json").read_text())
    assert issues and all(
        {"description", "check_name", "fingerprint", "severity", "location"} <= set(i)
        and i["severity"] in SEVERITIES
        and i["location"]["path"]
        and i["location"]["lines"]["begin"]
        for i in issues
    ), issues
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    leaked = [i for i in issues if i["check_name"] == "secrets/aws-access-key"]
    assert (
        leaked
        and leaked[0]["severity"] == "blocker"
        and leaked[0]["location"]["path"] == "settings.py"
    )
    assert (
        (repo.path / "crewchief-report.md").read_text().startswith("### crewchief gate: **BLOCK**")
    )


def test_a_clean_merge_request_passes(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    base = repo.git("rev-parse", "HEAD")
    repo.branch("feature")
    head = repo.commit({"app.py": "def f():\n    return 2\n"})
    done = _job(repo, base, head)
    assert done.returncode == 0, done.stdout + done.stderr
    assert isinstance(json.loads((repo.path / "gl-code-quality-report.json").read_text()), list)


class _Twins:
    name = "security"
    version = "1"
    kind = "static"

    def run(self, ctx: object) -> list[Finding]:
        twin = Finding("security", "b101", Severity.LOW, "assert used", path="a.py", line=2,
                       fingerprint="same")  # fmt: skip
        return [twin, twin, Finding("security", "whole-change", Severity.HIGH, "no place")]


def test_findings_without_a_place_still_get_one_and_twins_get_distinct_fingerprints() -> None:
    change = Change.from_files({}, {"a.py": "x = 1\n"})
    checks = cast(dict[str, Check], {"security": _Twins()})
    issues = json.loads(
        render_codequality(gate_change(change, Policy(), only=["security"], checks=checks))
    )
    assert len(issues) == 3 and len({i["fingerprint"] for i in issues}) == 3
    assert issues[2]["location"] == {"path": ".", "lines": {"begin": 1}}
    assert [i["severity"] for i in issues] == ["info", "info", "major"]
