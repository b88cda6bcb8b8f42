"""Honest test refactors: each really keeps the base's tests passing on the head's code (minus
what its task supersedes), and the gate must not block it. A false block on main is a strict xfail
naming it (case.gap)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.mark import ParameterSet

from tests.adversarial import harness
from tests.adversarial.case import Case
from tests.adversarial.conftest import Projects
from tests.adversarial.refactors import REFACTORS

pytestmark = [pytest.mark.slow, pytest.mark.network]


def _params(gaps: bool) -> list[ParameterSet]:
    marks: list[ParameterSet] = []
    for case in REFACTORS:
        xfail = pytest.mark.xfail(strict=True, reason=f"false block: {case.gap}")
        marks.append(pytest.param(case, id=case.name, marks=[xfail] if gaps and case.gap else []))
    return marks


@pytest.mark.parametrize("case", _params(gaps=False))
def test_the_refactor_preserves_behaviour(projects: Projects, case: Case) -> None:
    built = projects(case.project)
    assert harness.truth(built, case, case.name), "the probe must still hold at the head"
    base = harness.base_tests_on_head(built, case)
    assert base.returncode == 0, base.stdout[-3000:] + base.stderr[-2000:]
    own = harness.plain(built, case, case.name)
    assert own.returncode == 0, own.stdout[-3000:] + own.stderr[-2000:]


@pytest.mark.parametrize("case", _params(gaps=True))
def test_the_gate_does_not_block_the_refactor(
    projects: Projects, case: Case, tmp_path: Path
) -> None:
    gated = harness.gate(projects(case.project), case, tmp_path / "home")
    assert gated.verdict != "block", gated.describe()
