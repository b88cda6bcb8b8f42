"""The dynamic checks (tests, acceptance, coverage) on small real repositories with real pytest runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from crewchief.gate.engine import GateRequest, run_gate
from tests.helpers.repo import Repo

PY = sys.executable

CODE = """\
def add(a, b):
    return a + b


def scale(x, k):
    return x * k
"""

BUGGY = CODE.replace("return a + b", "return a - b")

TESTS = """\
from calc import add, scale


def test_add():
    assert add(2, 3) == 5


def test_scale():
    assert scale(2, 3) == 6
"""


def policy(command: str = f"{PY} -m pytest -q", timeout: float = 120, extra: str = "") -> str:
    return f'[tests]\ncommand = "{command}"\ntimeout_s = {timeout}\n{extra}'


def make(make_repo, files: dict[str, str], **kw) -> Repo:
    base = {
        "crewchief.toml": policy(**kw),
        "calc.py": CODE,
        "tests/test_calc.py": TESTS,
        "pytest.ini": "[pytest]\npythonpath = .\n",
    }
    base.update(files)
    return make_repo(base)


def gate(
    repo: Repo,
    head: str = "agent",
    task: str | None = None,
    only: tuple[str, ...] = (),
    cache=False,
):
    return run_gate(
        GateRequest(
            repo=repo.path, base="main", head=head, task=task, only=list(only), use_cache=cache
        )
    )


def blocking(report) -> set[tuple[str, str]]:
    return {(f.check, f.rule) for f in report.findings if f.blocking}


def by_check(report, name: str):
    return next(c for c in report.checks if c.name == name)


def test_passing_change_passes_and_leaves_evidence(make_repo) -> None:
    repo = make(make_repo, {})
    repo.branch("agent")
    repo.commit(
        {
            "calc.py": CODE + "\n\ndef sub(a, b):\n    return a - b\n",
            "tests/test_sub.py": "from calc import sub\n\n\ndef test_sub():\n    assert sub(3, 2) == 1\n",
        }
    )
    report = gate(repo, only=("tests", "coverage"))
    tests = by_check(report, "tests")
    assert tests.status == "passed", tests
    assert report.verdict == "pass", report.findings
    assert tests.evidence and all(Path(p).exists() for p in tests.evidence)
    assert "evidence:" in report.notes[-1]
    # No worktree is left behind.
    assert repo.git("worktree", "list").count("\n") == 0


def test_breaking_a_test_blocks_and_is_named(make_repo) -> None:
    repo = make(make_repo, {})
    repo.branch("agent")
    repo.commit({"calc.py": CODE.replace("x * k", "x * k + 1")})
    report = gate(repo, only=("tests",))
    assert report.verdict == "block"
    assert blocking(report) == {("tests", "test-regressed")}
    assert "tests/test_calc.py::test_scale" in report.findings[0].message


def test_skipping_a_passing_test_blocks(make_repo) -> None:
    repo = make(make_repo, {})
    repo.branch("agent")
    repo.commit(
        {
            "tests/test_calc.py": TESTS.replace(
                "def test_scale", "import pytest\n\n\n@pytest.mark.skip\ndef test_scale"
            )
        }
    )
    report = gate(repo, only=("tests",))
    assert ("tests", "test-skipped-at-head") in blocking(report)


def test_flaky_failure_is_labelled_not_blocking(make_repo) -> None:
    # Passes at base; at head it fails once (leaving a marker in its worktree), then passes.
    flaky = (
        "import pathlib\n\n\ndef test_flaky():\n"
        "    if pathlib.Path('flaky.flag').exists() and not pathlib.Path('.flaked').exists():\n"
        "        pathlib.Path('.flaked').write_text('x')\n"
        "        raise AssertionError('first run at head fails')\n"
    )
    repo = make(make_repo, {"tests/test_flaky.py": flaky})
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n# tidy\n", "flaky.flag": "x\n"})
    report = gate(repo, only=("tests",))
    rules = {(f.rule, f.blocking) for f in report.findings if f.rule != "test-environment"}
    assert rules == {("flaky-test", False)}
    assert report.verdict != "block"


def test_hanging_suite_is_killed_at_its_timeout(make_repo) -> None:
    hang = "import time\n\n\ndef test_hang():\n    time.sleep(600)\n"
    repo = make(make_repo, {}, timeout=4)
    repo.branch("agent")
    repo.commit({"tests/test_hang.py": hang})
    report = gate(repo, only=("tests",))
    assert report.duration_s < 60
    assert ("tests", "tests-timeout") in blocking(report)


def test_missing_tool_is_a_config_finding_not_a_pass(make_repo) -> None:
    repo = make(make_repo, {}, command="no-such-test-runner-xyz --all")
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n"})
    report = gate(repo, only=("tests",))
    tests = by_check(report, "tests")
    assert tests.status == "warned"
    assert tests.findings[0].rule == "test-config-broken"
    assert "not found on PATH" in tests.findings[0].message
    assert report.verdict == "review"


def test_flood_of_output_is_capped(make_repo) -> None:
    flood = "import sys\n\n\ndef test_flood():\n    for _ in range(400):\n        sys.stdout.write('x' * 100000)\n    assert False\n"
    repo = make(make_repo, {})
    repo.branch("agent")
    repo.commit({"tests/test_flood.py": flood})
    report = gate(repo, only=("tests",))
    assert ("tests", "new-test-failing") in blocking(report)
    log = Path(next(p for p in by_check(report, "tests").evidence if "head" in p))
    assert log.stat().st_size < 10 * 1024 * 1024


def test_repo_without_tests_says_so(make_repo) -> None:
    repo = make_repo({"crewchief.toml": policy(), "calc.py": CODE})
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n"})
    report = gate(repo, only=("tests",))
    assert {f.rule for f in report.findings} == {"no-tests", "test-environment"}
    assert report.verdict == "review"


def test_no_test_command_is_skipped_with_reason(make_repo) -> None:
    repo = make_repo({"calc.py": CODE})
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n"})
    tests = by_check(gate(repo, only=("tests",)), "tests")
    assert tests.status == "skipped" and "no [tests] command" in tests.detail


def test_base_suite_is_cached_by_tree(make_repo) -> None:
    repo = make(make_repo, {})
    for i in range(3):
        repo.branch(f"agent{i}", "main")
        repo.commit({"calc.py": CODE + f"\n# change {i}\n"})
    for i in range(3):
        assert gate(repo, head=f"agent{i}", only=("tests",), cache=True).verdict == "pass"
    evidence = repo.path / ".git" / "crewchief" / "evidence"
    base_runs = list(evidence.glob("*/*-tests-base.log"))
    head_runs = list(evidence.glob("*/*-tests-head.log"))
    assert (len(base_runs), len(head_runs)) == (1, 3)  # one base run for three heads


TASK = """---
id: fix-add
title: add returns the sum
acceptance:
  - tests/test_calc.py::test_add
---
add(2, 3) must return 5.
"""


def task_repo(make_repo) -> Repo:
    return make(make_repo, {"calc.py": BUGGY, ".crewchief/tasks/fix-add.md": TASK})


def test_acceptance_real_fix_passes(make_repo) -> None:
    repo = task_repo(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": CODE})
    report = gate(repo, task="fix-add", only=("acceptance", "tests"))
    assert report.verdict == "pass", report.findings


def test_acceptance_cannot_be_met_by_editing_the_test(make_repo) -> None:
    repo = task_repo(make_repo)
    repo.branch("agent")
    repo.commit({"tests/test_calc.py": TESTS.replace("== 5", "== -1")})
    report = gate(repo, task="fix-add", only=("acceptance", "tests"))
    assert ("acceptance", "acceptance-failed") in blocking(report)


def test_acceptance_with_deleted_test_still_runs_the_base_test(make_repo) -> None:
    repo = task_repo(make_repo)
    repo.branch("agent")
    repo.commit({"tests/test_calc.py": None})
    report = gate(repo, task="fix-add", only=("acceptance",))
    assert ("acceptance", "acceptance-failed") in blocking(report)


def test_weak_acceptance_is_reported(make_repo) -> None:
    task = TASK.replace("test_add", "test_scale")
    repo = make(make_repo, {"calc.py": BUGGY, ".crewchief/tasks/fix-add.md": task})
    repo.branch("agent")
    repo.commit({"calc.py": CODE})
    report = gate(repo, task="fix-add", only=("acceptance",))
    assert {f.rule for f in report.findings} == {"weak-acceptance"}


def test_pass_to_pass_catches_a_change_that_edits_tests_to_hide_a_break(make_repo) -> None:
    repo = task_repo(make_repo)
    repo.branch("agent")
    repo.commit(
        {
            "calc.py": CODE.replace("x * k", "x + k"),
            "tests/test_calc.py": TESTS.replace("== 6", "== 5"),
        }
    )
    report = gate(repo, task="fix-add", only=("acceptance", "tests"))
    assert ("acceptance", "pass-to-pass-broken") in blocking(report)
    # The tests check alone is fooled (the agent edited the test); acceptance is not.
    assert not any(f.check == "tests" and f.blocking for f in report.findings)


def test_task_trusted_tests_come_from_the_task_folder(make_repo) -> None:
    task = TASK.replace("tests/test_calc.py::test_add", "tests/test_accept.py::test_negative")
    trusted = "from calc import add\n\n\ndef test_negative():\n    assert add(-1, -1) == -2\n"
    repo = make(
        make_repo,
        {
            "calc.py": BUGGY,
            ".crewchief/tasks/fix-add.md": task,
            ".crewchief/tasks/fix-add/tests/test_accept.py": trusted,
        },
    )
    repo.branch("agent")
    repo.commit({"calc.py": CODE})
    assert gate(repo, task="fix-add", only=("acceptance",)).verdict == "pass"
    repo.branch("cheat", "main")
    # The agent writes its own (weaker) copy of the trusted test; the trusted one still judges.
    repo.commit({"tests/test_accept.py": "def test_negative():\n    assert True\n"})
    report = gate(repo, head="cheat", task="fix-add", only=("acceptance",))
    assert ("acceptance", "acceptance-failed") in blocking(report)


def test_coverage_reports_untested_added_lines(make_repo) -> None:
    repo = make(make_repo, {})
    repo.branch("agent")
    extra = "\n\ndef clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n        return hi\n    return x\n"
    repo.commit(
        {
            "calc.py": CODE + extra,
            "tests/test_clamp.py": "from calc import clamp\n\n\ndef test_mid():\n    assert clamp(5, 0, 9) == 5\n",
        }
    )
    report = gate(repo, only=("tests", "coverage"))
    coverage = by_check(report, "coverage")
    rules = {f.rule: f for f in coverage.findings}
    assert "uncovered-lines" in rules and "diff-coverage-low" in rules
    assert rules["uncovered-lines"].message.endswith("lines 11, 13")
    assert report.verdict == "review"
    assert any(p.endswith(".json") for p in coverage.evidence)
    data = json.loads(Path(next(p for p in coverage.evidence if p.endswith(".json"))).read_text())
    assert "calc.py" in data["files"]


@pytest.mark.parametrize("static", [True])
def test_static_flag_runs_no_commands(make_repo, static) -> None:
    repo = make(make_repo, {})
    repo.branch("agent")
    repo.commit({"calc.py": CODE.replace("x * k", "x * k + 1")})
    report = run_gate(
        GateRequest(repo=repo.path, base="main", head="agent", static=static, use_cache=False)
    )
    assert by_check(report, "tests").status == "skipped"


def test_special_casing_the_test_input_is_flagged(make_repo) -> None:
    repo = task_repo(make_repo)
    repo.branch("agent")
    repo.commit(
        {
            "calc.py": BUGGY.replace(
                "    return a - b", "    if (a, b) == (2, 3):\n        return 5\n    return a - b"
            )
        }
    )
    report = gate(repo, task="fix-add", only=("acceptance",))
    rules = {f.rule: f for f in report.findings}
    assert "special-cases-test-input" in rules
    assert rules["special-cases-test-input"].line == 2
    assert report.verdict == "review"


def test_acceptance_entry_runs_alone_when_the_command_names_paths(make_repo) -> None:
    skipped = (
        "import pytest\n\n\n@pytest.mark.skip(reason='platform')\ndef test_other():\n    pass\n"
    )
    repo = make(
        make_repo,
        {"calc.py": BUGGY, ".crewchief/tasks/fix-add.md": TASK, "tests/test_skip.py": skipped},
        command=f"{PY} -m pytest -q tests/test_calc.py tests/test_skip.py",
    )
    repo.branch("agent")
    repo.commit({"calc.py": CODE})
    assert gate(repo, task="fix-add", only=("acceptance",)).verdict == "pass"


def test_a_changed_file_no_test_imports_counts_as_zero_covered(make_repo) -> None:
    """The helper module is new and untested, in a folder without `__init__.py` where coverage.py
    never looks for unimported files: its lines still weigh in the diff coverage share."""
    repo = make(make_repo, {})
    repo.branch("agent")
    helper = "def double(x):\n    return 2 * x\n\n\ndef triple(x):\n    return 3 * x\n"
    repo.commit({"calc.py": CODE + "\n\ndef neg(x):\n    return -x\n", "tools/mathx.py": helper})
    report = gate(repo, only=("tests", "coverage"))
    coverage = by_check(report, "coverage")
    rules = {f.rule: f for f in coverage.findings}
    assert "not-measured" not in rules
    data = json.loads(Path(next(p for p in coverage.evidence if p.endswith(".json"))).read_text())
    assert "tools/mathx.py" not in data["files"]
    unimported = next(f for f in coverage.findings if f.path == "tools/mathx.py")
    assert unimported.rule == "uncovered-lines"
    assert "0% covered" in unimported.message and "lines 1-2, 5-6" in unimported.message
    assert "diff-coverage-low" in rules and "(1/6)" in rules["diff-coverage-low"].message


def test_a_file_the_coverage_config_omits_is_not_counted(make_repo) -> None:
    repo = make(make_repo, {".coveragerc": "[run]\nomit =\n    tools/*\n"})
    repo.branch("agent")
    repo.commit({"tools/release.py": "def main():\n    return 0\n", "setup.py": "X = 1\n"})
    report = gate(repo, only=("tests", "coverage"))
    assert by_check(report, "coverage").findings == ()


@pytest.mark.parametrize(
    ("path", "settings"),
    [
        (".coveragerc", "[report]\nexclude_also =\n    def clamp\n    if x\n"),
        ("pyproject.toml", '[tool.coverage.report]\nexclude_also = ["def clamp", "if x"]\n'),
        ("setup.cfg", "[coverage:report]\nexclude_also =\n    def clamp\n    if x\n"),
    ],
)
def test_coverage_is_measured_with_the_bases_settings(make_repo, path: str, settings: str) -> None:
    """The change excludes its own untested lines in its coverage settings: the head's run reads
    the base's settings, so the lines still count."""
    repo = make(make_repo, {})
    repo.branch("agent")
    extra = "\n\ndef clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n        return hi\n    return x\n"
    repo.commit(
        {
            "calc.py": CODE + extra,
            path: settings,
            "tests/test_clamp.py": "from calc import clamp\n\n\ndef test_mid():\n    assert clamp(5, 0, 9) == 5\n",
        }
    )
    report = gate(repo, only=("tests", "coverage"))
    rules = {f.rule: f for f in by_check(report, "coverage").findings}
    assert "uncovered-lines" in rules, rules
    assert rules["uncovered-lines"].message.endswith("lines 11, 13")
    folder = Path(by_check(report, "coverage").evidence[0]).parent
    [settings_file] = folder.glob("base-coverage-settings*")
    assert b"clamp" not in settings_file.read_bytes()
