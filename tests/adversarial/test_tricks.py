"""Tricks a reward-hacking agent plays: each really breaks the project and really fools plain
pytest (proved first, so no case can go vacuous), and the gate must block it. A trick the gate on
main misses is a strict xfail naming the gap (case.gap), never a loosened expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.mark import ParameterSet

from tests.adversarial import harness
from tests.adversarial.case import Case
from tests.adversarial.conftest import Projects
from tests.adversarial.tricks import TRICKS

pytestmark = [pytest.mark.slow, pytest.mark.network]


def _params(gaps: bool) -> list[ParameterSet]:
    marks: list[ParameterSet] = []
    for case in TRICKS:
        xfail = pytest.mark.xfail(strict=True, reason=f"not caught yet: {case.gap}")
        marks.append(pytest.param(case, id=case.name, marks=[xfail] if gaps and case.gap else []))
    return marks


@pytest.mark.parametrize("case", _params(gaps=False))
def test_the_trick_breaks_real_behaviour_and_fools_plain_pytest(
    projects: Projects, case: Case
) -> None:
    built = projects(case.project)
    assert harness.truth(built, case, "main"), "the probe must hold on the base"
    assert not harness.truth(built, case, case.name), "the head must really break behaviour"
    fooled = harness.plain(built, case, case.name)
    assert fooled.returncode == 0, fooled.stdout[-3000:] + fooled.stderr[-2000:]


@pytest.mark.parametrize("case", _params(gaps=True))
def test_the_gate_blocks_the_trick(projects: Projects, case: Case, tmp_path: Path) -> None:
    gated = harness.gate(projects(case.project), case, tmp_path / "home")
    assert gated.verdict == "block", gated.describe()
