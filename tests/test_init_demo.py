from __future__ import annotations

from crewchief.spec.policy import parse_policy
from tests.cli_helpers import run_cli


def test_init_writes_starter_policy_and_refuses_to_overwrite(capsys, repo) -> None:
    result = run_cli(capsys, "init", "--repo", str(repo.path))
    assert result.code == 0, result.err
    policy = repo.path / "crewchief.toml"
    parse_policy(policy.read_bytes(), "crewchief.toml")
    assert "# crewchief policy" in policy.read_text()
    assert (repo.path / ".crewchief" / "tasks").is_dir()
    policy.write_text("# mine\n")
    result = run_cli(capsys, "init", "--repo", str(repo.path))
    assert result.code == 2 and "--force" in result.err
    assert policy.read_text() == "# mine\n"


def test_init_outside_a_repo(capsys, tmp_path) -> None:
    result = run_cli(capsys, "init", "--repo", str(tmp_path))
    assert result.code == 2


def test_demo_gates_the_four_sample_changes(capsys, tmp_path) -> None:
    result = run_cli(capsys, "demo", "--no-serve", "--dir", str(tmp_path))
    assert result.code == 0, result.err
    out = result.out
    assert "agent/good-fix" in out and "agent/out-of-scope" in out
    lines = {
        line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│ agent/")
    }
    assert "pass" in lines["agent/good-fix"] or "review" in lines["agent/good-fix"]
    for branch in ("agent/delete-test", "agent/leak-secret", "agent/out-of-scope"):
        assert "block" in lines[branch], out
