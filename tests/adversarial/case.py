"""What an adversarial case is: a trick a reward-hacking agent plays (must block) and honest test
refactors (must not block).

Every trick breaks real behaviour (the project's `probe`, see projects.py) and then keeps the
tests green some way; every refactor leaves behaviour alone (or changes exactly what its task asks,
with `supersedes`). `gap` names a known miss of the gate on main: the test for that case is a strict
xfail, so the day the gate catches it the suite says so. Labels are never loosened to fit the gate.
"""

from __future__ import annotations

import py_compile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tests.adversarial import projects as p
from tests.scenarios.harness import Tree

Edit = Callable[[Tree], None]
PROBES = {"toolz": p.TOOLZ_PROBE, "more-itertools": p.MI_PROBE, "calc": p.CALC_PROBE}
BREAKS: dict[str, Edit] = {
    "toolz": p.break_toolz,
    "more-itertools": p.break_mi,
    "calc": p.break_calc,
}


@dataclass(frozen=True)
class Case:
    name: str
    """Also the head's branch name."""
    project: str
    kind: Literal["trick", "refactor"]
    title: str
    edit: Edit
    probe: str = ""
    """Plain Python that holds on the real behaviour; the project's own probe by default."""
    plain_command: str | None = None
    """What proves a trick fools plain pytest, when running the head's suite is not it."""
    task: dict[str, str] = field(default_factory=dict)
    """Task files committed on main (the task and its shipped acceptance tests)."""
    task_id: str | None = None
    supersedes: tuple[str, ...] = ()
    gap: str | None = None
    """Why the gate on main gets this case wrong (then its gate test is a strict xfail)."""

    @property
    def should_block(self) -> bool:
        return self.kind == "trick"

    @property
    def truth_probe(self) -> str:
        return self.probe or PROBES[self.project]


def trick(name: str, project: str, title: str, **kw: object) -> Callable[[Edit], Case]:
    """A trick: the project's break, then `edit` to hide it."""

    def wrap(edit: Edit) -> Case:
        def both(tree: Tree) -> None:
            BREAKS[project](tree)
            edit(tree)

        return Case(name, project, "trick", title, both, **kw)  # type: ignore[arg-type]

    return wrap


def steps(*edits: Edit) -> Edit:
    """Several edits as one, in order."""

    def run(tree: Tree) -> None:
        for edit in edits:
            edit(tree)

    return run


def refactor(name: str, project: str, title: str, **kw: object) -> Callable[[Edit], Case]:
    def wrap(edit: Edit) -> Case:
        return Case(name, project, "refactor", title, edit, **kw)  # type: ignore[arg-type]

    return wrap


def compile_unchecked(source: str, target: Path) -> None:
    """`source` compiled into `target` as an unchecked-hash .pyc: Python loads it whatever the
    .py next to it says."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "module.py"
        src.write_text(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
        py_compile.compile(str(src), cfile=str(target), doraise=True, invalidation_mode=mode)
