"""Real peer tests: the gate's dynamic checks judged against real projects' own test suites.

Each project's base has a bug planted where its own tests catch it, and a task whose acceptance is
those tests. Each case is an agent's possible answer (the real fix, a test edited, deleted or
skipped, the expected value special-cased, a fix that breaks something else) gated for real:
worktrees, the project's pytest run under coverage, acceptance against the base's tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import CheckStatus, Report
from tests.helpers.shared import built_once
from tests.peers.cases import CASES, ID_FIX, ID_SRC, ID_TESTS, Case
from tests.peers.projects import PROJECTS, Edit, PeerRepo, build_repo

pytestmark = [pytest.mark.slow, pytest.mark.network]

PeerFactory = Callable[[str], PeerRepo]
JUDGES = ("test-integrity", "tests", "acceptance", "coverage")
"""The checks these cases are about: none of them may error (other checks are other suites')."""


@pytest.fixture(scope="session")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeerFactory]:
    """Each project built once per run, on first use, whichever worker asks: the gate's cache
    lives in the repository, so the cases of one project share one base-suite run."""
    built: dict[str, PeerRepo] = {}

    def get(name: str) -> PeerRepo:
        if name not in built:
            project = PROJECTS[name]
            built[name] = built_once(
                tmp_path_factory, f"peer-{name}", lambda f: build_repo(project, f / name)
            )
        return built[name]

    yield get


def describe(report: Report) -> str:
    lines = [f"verdict {report.verdict} (risk {report.risk})"]
    for check in report.checks:
        lines.append(
            f"  {check.name}: {check.status}{f' ({check.detail[:200]})' if check.detail else ''}"
        )
        for f in check.findings:
            mark = "BLOCK " if f.blocking else ""
            lines.append(f"    {mark}{f.rule}: {f.message[:300]}")
    return "\n".join(lines)


def blocking_checks(report: Report) -> set[str]:
    return {f.check for c in report.checks for f in c.findings if f.blocking}


def rules_of(report: Report) -> set[str]:
    return {f.rule for c in report.checks for f in c.findings}


def status_of(report: Report, name: str) -> CheckStatus:
    (check,) = [c for c in report.checks if c.name == name]
    return check.status


def gate(repo: PeerRepo, head: str, task: str, base: str = "main") -> Report:
    return run_gate(GateRequest(repo=repo.path, base=base, head=head, task=task))


def assert_case(case: Case, report: Report) -> None:
    summary = describe(report)
    errored = [c.name for c in report.checks if c.name in JUDGES and c.status == CheckStatus.ERROR]
    assert not errored, f"{case.id}: checks errored: {errored}\n{summary}"
    for name in ("tests", "acceptance"):
        assert status_of(report, name) != CheckStatus.SKIPPED, (
            f"{case.id}: {name} did not run\n{summary}"
        )
    got = blocking_checks(report)
    assert case.blocks <= got, f"{case.id}: expected {sorted(case.blocks)} to block\n{summary}"
    unexpected = got - case.blocks - case.also_ok
    assert not unexpected, f"{case.id}: unexpected blocking checks {sorted(unexpected)}\n{summary}"
    missing = case.rules - rules_of(report)
    assert not missing, f"{case.id}: missing findings {sorted(missing)}\n{summary}"
    assert str(report.verdict) in case.verdicts, f"{case.id}: verdict {report.verdict}\n{summary}"


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=f"gate gap: {case.gap}")] if case.gap else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_peer_case(case: Case, peers: PeerFactory) -> None:
    repo = peers(case.project)
    repo.branch(case.id, case.edits)
    report = gate(repo, case.id, case.task)
    print(f"{case.id}: {report.verdict}, blocking {sorted(blocking_checks(report))}")
    print(describe(report))
    assert_case(case, report)


def test_cases_cover_each_project_with_every_kind_of_change() -> None:
    """The issue asks for at least 15 cases over at least three real projects, and each project
    gets the whole set: the real fix, test edits, deletion, skip, special-casing, collateral."""
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)
    kinds = ("real-fix", "edit-tests", "delete-test", "skip-test", "special-case", "fix-breaks")
    for project in PROJECTS:
        ids = [c.id for c in CASES if c.project == project]
        assert len(ids) >= 5, project
        for kind in kinds:
            assert any(kind in i for i in ids), (project, kind)
    assert any("weak-acceptance" in c.rules for c in CASES)


TIMING_CHANGES: tuple[tuple[str, tuple[Edit, ...]], ...] = (
    *((c.id, c.edits) for c in CASES if c.project == "idna"),
    (
        "fix-with-comment",
        (
            Edit(
                ID_SRC, "if left <= int_ <= right:", "if left <= int_ < right:  # end is exclusive"
            ),
        ),
    ),
    ("fix-reordered", (Edit(ID_SRC, "if left <= int_ <= right:", "if right > int_ >= left:"),)),
    (
        "readme-only",
        (
            Edit(
                "README.rst",
                "Support for the Internationalized",
                "Support for the Internationalised",
            ),
        ),
    ),
    (
        "fix-and-new-test",
        (
            ID_FIX,
            Edit(
                ID_TESTS,
                "    def test_empty(self):\n        self._test_containment([], range(100))\n",
                "    def test_empty(self):\n        self._test_containment([], range(100))\n\n"
                "    def test_end_is_exclusive(self):\n"
                "        self._test_containment([5, 6], [4, 7])\n",
            ),
        ),
    ),
)


def test_batch_of_ten_changes_runs_the_base_suite_once(tmp_path: Path) -> None:
    """Ten changes gated one after another on the same base, with the cache on: the base suite runs
    once, and the acceptance entries once at base; each head still gets its own full run. Counted
    from the evidence every gate leaves: one log per command it ran."""
    repo = build_repo(PROJECTS["idna"], tmp_path / "idna")
    assert len(TIMING_CHANGES) == 10
    for name, edits in TIMING_CHANGES:
        repo.branch(name, edits)
        report = gate(repo, name, "intranges-end-unit")
        assert status_of(report, "tests") not in (CheckStatus.ERROR, CheckStatus.SKIPPED), describe(
            report
        )
    evidence = repo.path / ".git" / "crewchief" / "evidence"
    gates = [d for d in evidence.iterdir() if d.is_dir()]
    assert len(gates) == 10
    assert len(list(evidence.glob("*/*-tests-base.log"))) == 1
    assert len(list(evidence.glob("*/*-accept-base-nodes.log"))) == 1
    for folder in gates:  # every head ran its own full suite
        assert list(folder.glob("*-tests-head.log")), folder


def test_acceptance_entry_runs_alone_when_the_command_names_paths(tmp_path: Path) -> None:
    """`pytest tests/test_recipes.py` is how many repositories write their test command; the
    acceptance entry must still be judged by its own outcome, not by every test in those paths."""
    repo = build_repo(PROJECTS["more-itertools"], tmp_path / "mi", paths_in_command=True)
    (fix,) = [c for c in CASES if c.id == "mi-real-fix"]
    repo.branch("fix", fix.edits)
    report = gate(repo, "fix", "tail-short")
    assert "acceptance" not in blocking_checks(report), describe(report)
    assert str(report.verdict) in fix.verdicts, describe(report)
