"""Hidden acceptance at the gate: tests the agent never saw judge its change like any entry, run
without being listed, and are named in findings only as "a hidden acceptance test". A property
test (Hypothesis) catches the agent that special-cases the visible example; bad hidden folders are
one clear error, never a silent pass."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.checks.test_dynamic import blocking, gate, make
from tests.helpers.repo import Repo

BUGGY = "def double(x):\n    return x + 2\n"
FIXED = "def double(x):\n    return 2 * x\n"
CHEAT = "def double(x):\n    return 10 if x == 5 else x + 2\n"
"""Passes the visible example and nothing else."""
VISIBLE = "from mathx import double\n\n\ndef test_example():\n    assert double(5) == 10\n"
HIDDEN = "from mathx import double\n\n\ndef test_other():\n    assert double(-4321) == -8642\n"
PROPERTY = """\
from hypothesis import given, strategies as st

from mathx import double


@given(st.integers())
def test_double_is_twice(x):
    assert double(x) == 2 * x
"""
TASK = """\
---
id: fix-double
title: Fix double
acceptance:
  - tests/test_double.py::test_example
---
double(x) must return twice x.
"""
SECRETS = ("test_other", "-4321", "-8642", "test_double_is_twice", "test_hidden_", "hidden/")


def project(make_repo, files: dict[str, str | bytes], extra: str = "") -> Repo:
    base: dict[str, str | bytes] = {
        "mathx.py": BUGGY,
        ".crewchief/tasks/fix-double.md": TASK,
        ".crewchief/tasks/fix-double/tests/test_double.py": VISIBLE,
        **files,
    }
    return make(make_repo, base, extra=extra)  # type: ignore[arg-type]  # make writes bytes too


def agent(repo: Repo, code: str, name: str = "agent") -> None:
    repo.branch(name, "main")
    repo.commit({"mathx.py": code})


def leaks(report) -> list[str]:
    text = json.dumps([f.message for f in report.findings])
    return [s for s in SECRETS if s in text]


def test_in_repo_hidden_tests_run_unlisted_and_catch_a_special_case(make_repo) -> None:
    repo = project(
        make_repo, {".crewchief/tasks/fix-double/hidden/tests/test_hidden_more.py": HIDDEN}
    )
    agent(repo, CHEAT)
    report = gate(repo, task="fix-double", only=("acceptance",))
    assert ("acceptance", "acceptance-failed") in blocking(report)
    failed = [f for f in report.findings if f.rule == "acceptance-failed"]
    assert [f.message.split(",")[0] for f in failed] == ["a hidden acceptance test fails at head"]
    assert failed[0].path is None and leaks(report) == []
    agent(repo, FIXED, "fix")
    assert gate(repo, head="fix", task="fix-double", only=("acceptance",)).verdict == "pass"


def test_without_the_hidden_test_the_special_case_is_not_blocked(make_repo) -> None:
    """The control for the test above: the visible example alone lets the cheat through."""
    repo = project(make_repo, {})
    agent(repo, CHEAT)
    report = gate(repo, task="fix-double", only=("acceptance",))
    assert blocking(report) == set()


def _hidden_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "hidden-tests"
    for rel, text in files.items():
        target = root / "fix-double" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def _hypothesis_env() -> str:
    """[tests] env that lets the project's Python import Hypothesis from wherever it is here."""
    hypothesis = pytest.importorskip("hypothesis")
    site = Path(hypothesis.__file__).parent.parent
    return f"env = {{ PYTHONPATH = {json.dumps(str(site))} }}\n"


def test_a_hidden_property_test_fails_the_agent_that_special_cases_the_example(
    make_repo, tmp_path
) -> None:
    root = _hidden_dir(tmp_path, {"tests/test_hidden_property.py": PROPERTY})
    extra = f"hidden_dir = {json.dumps(str(root))}\n{_hypothesis_env()}"
    repo = project(make_repo, {}, extra=extra)
    agent(repo, CHEAT)
    report = gate(repo, task="fix-double", only=("acceptance",))
    assert ("acceptance", "acceptance-failed") in blocking(report)
    assert leaks(report) == []
    agent(repo, FIXED, "fix")
    fixed = gate(repo, head="fix", task="fix-double", only=("acceptance",))
    assert fixed.verdict == "pass", fixed.findings


def test_a_hidden_test_that_already_passes_is_a_weak_spec_without_a_name(
    make_repo, tmp_path
) -> None:
    passing = "def test_constant():\n    assert 1 + 1 == 2\n"
    root = _hidden_dir(tmp_path, {"tests/test_hidden_weak.py": passing})
    repo = project(make_repo, {}, extra=f"hidden_dir = {json.dumps(str(root))}\n")
    agent(repo, FIXED)
    report = gate(repo, task="fix-double", only=("acceptance",))
    weak = [f.message for f in report.findings if f.rule == "weak-acceptance"]
    assert weak == [
        "a hidden acceptance test already passes at base: it does not test the objective "
        "(weak spec)"
    ]


def _check_error(report) -> str:
    errors = [f.message for f in report.findings if f.rule == "check-error"]
    assert len(errors) == 1 and report.verdict == "review", report.findings
    assert "\n" not in errors[0]
    return errors[0]


def test_a_symlinked_hidden_folder_is_one_clear_error(make_repo, tmp_path) -> None:
    real = _hidden_dir(tmp_path, {"tests/test_hidden_more.py": HIDDEN})
    link = tmp_path / "link"
    link.symlink_to(real)
    repo = project(make_repo, {}, extra=f"hidden_dir = {json.dumps(str(link))}\n")
    agent(repo, FIXED)
    message = _check_error(gate(repo, task="fix-double", only=("acceptance",)))
    assert f"hidden tests folder {link} is a symlink" in message


@pytest.mark.parametrize(
    ("where", "expected"),
    [("relative/dir", "use an absolute path"), ("INSIDE", "overlaps the repository")],
)
def test_a_hidden_folder_in_the_wrong_place_is_one_clear_error(
    make_repo, where: str, expected: str
) -> None:
    repo = project(make_repo, {})
    if where == "INSIDE":
        where = str(repo.path / "secret")
        (repo.path / "secret" / "fix-double").mkdir(parents=True)
    repo.commit(
        {
            "crewchief.toml": (repo.path / "crewchief.toml")
            .read_text()
            .replace("[tests]\n", f"[tests]\nhidden_dir = {json.dumps(where)}\n")
        }
    )
    agent(repo, FIXED)
    assert expected in _check_error(gate(repo, task="fix-double", only=("acceptance",)))


def test_a_non_utf8_hidden_file_name_is_one_clear_error(make_repo, tmp_path) -> None:
    root = _hidden_dir(tmp_path, {"tests/test_hidden_more.py": HIDDEN})
    bad = os.path.join(os.fsencode(root / "fix-double" / "tests"), b"test_\xff.py")
    with open(bad, "wb") as fh:
        fh.write(b"def test_x():\n    pass\n")
    repo = project(make_repo, {}, extra=f"hidden_dir = {json.dumps(str(root))}\n")
    agent(repo, FIXED)
    assert "is not UTF-8" in _check_error(gate(repo, task="fix-double", only=("acceptance",)))


def test_a_hidden_folder_committed_as_a_symlink_is_one_clear_error(make_repo, tmp_path) -> None:
    repo = project(make_repo, {})
    target = repo.path / ".crewchief/tasks/fix-double/hidden"
    target.symlink_to("../../../tests")
    repo.commit()
    agent(repo, FIXED)
    message = _check_error(gate(repo, task="fix-double", only=("acceptance",)))
    assert "hidden is a symlink in the base commit" in message
