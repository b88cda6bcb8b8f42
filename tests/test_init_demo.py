from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from crewchief.spec.policy import parse_policy
from tests.helpers.cli import run_cli
from tests.helpers.shared import PLAIN_INSTALL_KEY, built_once
from tests.replay import harness


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
    assert_demo_verdicts(result.out)


@pytest.mark.slow
@pytest.mark.network
def test_the_demo_passes_its_careful_run_after_a_plain_pip_install(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """crewchief as a user installs a CLI (its own virtualenv, `pip install <source>`, no extras,
    so no pytest of crewchief's), run from a shell without the development virtualenv: the demo
    must still judge like the in-process one. The virtualenv is the one the replay suite builds,
    under the same key, so a run builds it once."""
    program = built_once(
        tmp_path_factory, PLAIN_INSTALL_KEY, lambda f: harness.install_crewchief(f / "venv")
    )
    env = harness.user_env(tmp_path / "home")
    out = subprocess.run(
        (str(program), "demo", "--no-serve", "--dir", str(tmp_path / "demo")),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD_S,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert_demo_verdicts(out.stdout)


HANG_GUARD_S = 900
"""Only against a hang: the demo takes about 30 s on a quiet machine."""


def assert_demo_verdicts(out: str) -> None:
    """The careful agent's run passes; every other agent's run blocks, for its own reason."""
    queue = out.split("the review queue", 1)[1]
    rows = {
        line.split()[3]: line
        for line in queue.splitlines()
        if line.split()[:1] in (["↳"], *[[str(i)] for i in range(1, 9)]) and len(line.split()) > 5
    }
    assert " pass " in rows["careful"], queue
    for agent in ("hasty", "leaky", "overreaching", "breaking", "plodding"):
        assert " block " in rows[agent], (agent, queue)
    assert "stuck" not in rows  # it hung, was stopped at its budget, and never reached review
    assert "timed_out" in out
    assert "secrets/aws-access-key" in out
    assert "scope/protected-path" in out
    assert "test-integrity/test-deleted" in out
    assert "tests/test-regressed" in out
    assert "performance/regression" in out
