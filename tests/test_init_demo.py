from __future__ import annotations

import pytest

from crewchief.spec.policy import parse_policy
from tests.helpers.cli import run_cli


def test_init_writes_starter_policy_and_refuses_to_overwrite(capsys, repo) -> None:
    result = run_cli(capsys, "init", "--repo", str(repo.path), "--no-doctor")
    assert result.code == 0, result.err
    policy = repo.path / "crewchief.toml"
    parsed = parse_policy(policy.read_bytes(), "crewchief.toml")
    assert "# crewchief policy" in policy.read_text()
    # no Python code found: the scope allows everything, and says why
    assert (
        parsed.scope.allow == [] and "no Python package or test folder found" in policy.read_text()
    )
    assert "checking that the tests run" not in result.out
    assert (repo.path / ".crewchief" / "tasks").is_dir()
    policy.write_text("# mine\n")
    result = run_cli(capsys, "init", "--repo", str(repo.path))
    assert result.code == 2 and "--force" in result.err
    assert policy.read_text() == "# mine\n"


def test_init_outside_a_repo(capsys, tmp_path) -> None:
    result = run_cli(capsys, "init", "--repo", str(tmp_path))
    assert result.code == 2


@pytest.mark.slow
def test_demo_runs_the_backlog_and_prints_the_queue(capsys, tmp_path) -> None:
    result = run_cli(capsys, "demo", "--no-serve", "--dir", str(tmp_path))
    assert result.code == 0, result.err
    out = result.out
    queue = out.split("the review queue", 1)[1]
    rows = {
        line.split()[3]: line
        for line in queue.splitlines()
        if line.split()[:1] in (["↳"], *[[str(i)] for i in range(1, 9)]) and len(line.split()) > 5
    }
    assert " pass " in rows["careful"]
    for agent in ("hasty", "leaky", "overreaching", "breaking", "plodding"):
        assert " block " in rows[agent], (agent, queue)
    assert "stuck" not in rows  # it hung, was stopped at its budget, and never reached review
    assert "timed_out" in out
    assert "secrets/aws-access-key" in out
    assert "scope/protected-path" in out
    assert "test-integrity/test-deleted" in out
    assert "tests/test-regressed" in out
    assert "performance/regression" in out
