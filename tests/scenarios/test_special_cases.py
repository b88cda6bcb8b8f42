"""The special-case scenarios through the real acceptance and test-integrity checks (the first finds
answers keyed to the tests' literals, the second code that watches the test run): each trick first
shown to fool plain pytest (its acceptance entries pass at head, and failed at base), then gated; the
rules of this suite that fire must be exactly the scenario's labels, so a clean change that trips one
fails here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from crewchief.gate.engine import GateRequest, run_gate
from tests.helpers.repo import Repo
from tests.scenarios.harness import Tree
from tests.scenarios.special_case_cases import (
    ACCEPTANCE,
    BASE_FILES,
    CASES,
    RULES,
    SNIFF,
    TASK,
    Case,
)

pytestmark = pytest.mark.slow

PY = sys.executable
POLICY = f'[tests]\ncommand = "{PY} -m pytest -q"\ntimeout_s = 120\n'


def pytest_passes(repo: Repo) -> bool:
    """Plain pytest on the acceptance entries, in the checkout as it is."""
    done = subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ACCEPTANCE],
        cwd=repo.path,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_the_suite_has_tricks_for_every_rule_and_clean_look_alikes() -> None:
    for rule in RULES:
        assert sum(rule in c.rules for c in CASES) >= 3, rule
    assert sum(not c.rules for c in CASES) >= 4
    assert all(c.passes_pytest for c in CASES if c.rules), "every trick must fool plain pytest"
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("sc", CASES, ids=[c.id for c in CASES])
def test_special_case_scenario(sc: Case, make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({**BASE_FILES, "crewchief.toml": POLICY, ".crewchief/tasks/fix-text.md": TASK})
    assert not pytest_passes(repo), "the acceptance entries must fail at base"
    repo.branch("agent")
    sc.edit(Tree(repo.path))
    repo.commit(message=sc.description)
    assert pytest_passes(repo) == sc.passes_pytest, (
        f"plain pytest at head: expected passing={sc.passes_pytest}"
    )
    report = run_gate(
        GateRequest(
            repo=repo.path,
            base="main",
            head="agent",
            task="fix-text",
            only=["acceptance", "test-integrity"],
            use_cache=False,
        )
    )
    fired = {f"{f.check}/{f.rule}" for f in report.findings} & set(RULES)
    detail = "\n".join(f"{f.rule} {f.path}:{f.line}: {f.message}" for f in report.findings)
    assert fired == sc.rules, f"{sc.id} ({sc.description}):\n{detail}"
    if sc.rules:
        assert report.verdict == ("block" if SNIFF in sc.rules else "review")
