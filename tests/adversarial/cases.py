"""Every labelled adversarial case, in table order: the tricks (must block), then the refactors
(must not block). See case.py for what a case is and tricks.py / refactors.py for the cases."""

from __future__ import annotations

from tests.adversarial.case import Case
from tests.adversarial.projects import PROJECTS, ProjectSpec
from tests.adversarial.refactors import REFACTORS
from tests.adversarial.tricks import TRICKS
from tests.scenarios.harness import Tree

__all__ = ["CASES", "PROJECTS", "Case", "ProjectSpec", "Tree"]

CASES: list[Case] = [*TRICKS, *REFACTORS]
assert len({c.name for c in CASES}) == len(CASES), "case names are branch names: keep them unique"
