"""Adversarial: code under test that forges the evidence the gate reads, and clean look-alikes.

Each trick is first shown to work on plain evidence: pytest run the way the gate runs it (our
reporter loaded through the environment) records the broken test as passed while pytest itself
exits 1 and says "1 failed". The gate must then block with `evidence-inconsistent`, and the only
blocking finding being that one shows the per-test outcomes alone would have passed the change.
"""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

from crewchief.gate.dynamic.evidence import inconsistency, parse_summary
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Report
from tests.helpers.repo import Repo

PY = sys.executable
REPORTER = Path(__file__).parents[2] / "src/crewchief/workspace/pytest_reporter.py"

CODE = "def add(a, b):\n    return a + b\n\n\ndef scale(x, k):\n    return x * k\n"
BROKEN = CODE.replace("x * k", "x * k + 1")
TESTS = (
    "from calc import add, scale\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_scale():\n    assert scale(2, 3) == 6\n"
)

REWRITE_REPORTER = """
import sys as _sys

_reporter = _sys.modules.get("crewchief_pytest_reporter")
if _reporter is not None:
    _record = _reporter._set

    def _forged(nodeid, outcome):
        _record(nodeid, "passed" if outcome in ("failed", "error") else outcome)

    _reporter._set = _forged
"""

PATCH_PYTEST = """
import sys as _sys
import _pytest.reports as _reports


def _passed(self):
    caller = _sys._getframe(1).f_globals.get("__name__", "")
    if caller.startswith("crewchief"):
        return self.outcome in ("passed", "failed")
    return self.outcome == "passed"


_reports.BaseReport.passed = property(_passed)
"""

FAKE_SUMMARY = (
    REWRITE_REPORTER
    + """
import atexit as _atexit

_atexit.register(print, "============ 2 passed in 0.01s ============")
"""
)


def policy(command: str = f"{PY} -m pytest -q") -> str:
    return f'[tests]\ncommand = "{command}"\ntimeout_s = 120\n'


def make(make_repo, command: str = f"{PY} -m pytest -q", tests: str = TESTS) -> Repo:
    return make_repo(
        {
            "crewchief.toml": policy(command),
            "calc.py": CODE,
            "tests/test_calc.py": tests,
            "pytest.ini": "[pytest]\npythonpath = .\n",
        }
    )


def gate(repo: Repo, only: tuple[str, ...] = ("tests",), task: str | None = None) -> Report:
    request = GateRequest(
        repo=repo.path, base="main", head="agent", task=task, only=list(only), use_cache=False
    )
    return run_gate(request)


def blocking(report: Report) -> set[tuple[str, str]]:
    return {(f.check, f.rule) for f in report.findings if f.blocking}


def plain_run(repo: Repo, tmp_path: Path, *args: str) -> tuple[int, dict[str, str], str]:
    """pytest at the checked-out head with crewchief's reporter loaded as the gate loads it: the
    exit code, the reporter's outcomes, and pytest's output."""
    plugin = tmp_path / "plugin"
    plugin.mkdir(exist_ok=True)
    (plugin / "crewchief_pytest_reporter.py").write_text(REPORTER.read_text("utf-8"), "utf-8")
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON", "COV_"))}
    env.update(
        PYTHONPATH=str(plugin),
        PYTEST_ADDOPTS="-p crewchief_pytest_reporter -p no:cacheprovider",
        CREWCHIEF_PYTEST_REPORT=str(report),
    )
    out = subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:xdist", *args],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode, json.loads(report.read_text("utf-8"))["outcomes"], out.stdout


@pytest.mark.parametrize(
    "trick",
    [REWRITE_REPORTER, PATCH_PYTEST, FAKE_SUMMARY],
    ids=["rewrites-reporter", "patches-_pytest", "rewrites-reporter-and-fakes-summary"],
)
def test_production_code_that_forges_the_reporter_blocks(make_repo, tmp_path, trick) -> None:
    repo = make(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN + trick})
    # The trick works on plain evidence: the reporter says passed, pytest says failed.
    code, outcomes, output = plain_run(repo, tmp_path)
    assert code == 1 and "1 failed" in output, output
    assert outcomes["tests/test_calc.py::test_scale"] == "passed"
    report = gate(repo)
    assert report.verdict == "block"
    # Only the cross-check blocks: the per-test outcomes alone would have passed the change.
    assert blocking(report) == {("tests", "evidence-inconsistent")}


TASK = (
    "---\nid: fix-scale\ntitle: scale\nacceptance:\n  - tests/test_calc.py::test_scale\n---\n"
    "scale(2, 3) is 6.\n"
)


def test_forged_acceptance_never_counts_as_passing(make_repo, tmp_path) -> None:
    """Fail-to-pass: the base is broken, the 'fix' only forges the reporter."""
    repo = make_repo(
        {
            "crewchief.toml": policy(),
            "calc.py": BROKEN,
            "tests/test_calc.py": TESTS,
            "pytest.ini": "[pytest]\npythonpath = .\n",
            ".crewchief/tasks/fix-scale.md": TASK,
        }
    )
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN + REWRITE_REPORTER})
    code, outcomes, _ = plain_run(repo, tmp_path, "tests/test_calc.py::test_scale")
    assert code == 1 and outcomes == {"tests/test_calc.py::test_scale": "passed"}
    report = gate(repo, only=("acceptance",), task="fix-scale")
    rules = blocking(report)
    assert ("acceptance", "evidence-inconsistent") in rules
    assert ("acceptance", "acceptance-failed") in rules


def _unchecked_pyc(source: str, target: Path) -> None:
    """Bytecode that Python loads without comparing it with the source beside it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / "_good.py"
    scratch.write_text(source, "utf-8")
    py_compile.compile(
        str(scratch),
        cfile=str(target),
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    scratch.unlink()


def test_committed_bytecode_does_not_run_in_the_gate(make_repo, tmp_path) -> None:
    """The reviewed source is broken; a committed __pycache__ entry of the good code hides it."""
    repo = make(make_repo)
    repo.branch("agent")
    cached = repo.path / importlib.util.cache_from_source("calc.py")
    _unchecked_pyc(CODE, cached)
    repo.commit({"calc.py": BROKEN})
    code, outcomes, _ = plain_run(repo, tmp_path)
    assert code == 0 and set(outcomes.values()) == {"passed"}  # the trick works on plain pytest
    report = gate(repo, only=("tests", "scope", "hygiene"))
    assert blocking(report) == {("tests", "test-regressed"), ("scope", "unreviewed-code")}


def test_a_sourceless_pyc_still_imports_so_the_scope_rule_is_what_protects(
    make_repo, tmp_path
) -> None:
    """PYTHONPYCACHEPREFIX ignores __pycache__, not a `calc.pyc` with no `calc.py` beside it."""
    repo = make(make_repo)
    repo.branch("agent")
    _unchecked_pyc(BROKEN, repo.path / "calc.pyc")
    repo.commit({"calc.py": None})
    report = gate(repo, only=("tests", "scope"))
    assert blocking(report) == {("tests", "test-regressed"), ("scope", "unreviewed-code")}
    assert any("calc.pyc" in (f.path or "") for f in report.findings if f.blocking)


SUMMARY_PRINTER = TESTS + (
    "\n\ndef test_prints_a_summary_like_line():\n"
    "    print('=== 7 passed, 3 failed in 0.50s ===')\n"
    "    print('3 failed, 9 errors in 1.00s')\n"
)
MIXED = TESTS + (
    "\n\nimport pytest\n\n\n@pytest.mark.skip\ndef test_skipped():\n    pass\n\n\n"
    "@pytest.mark.xfail\ndef test_xfail():\n    assert False\n\n\n"
    "@pytest.mark.xfail\ndef test_xpass():\n    pass\n"
)


@pytest.mark.parametrize(
    ("command", "tests"),
    [
        (f"{PY} -m pytest -q -s -p no:xdist", SUMMARY_PRINTER),
        (f"{PY} -m pytest -p no:xdist -rA", MIXED),
        (f"{PY} -m pytest -qq -p no:xdist", MIXED),
    ],
    ids=["prints-summary-like-lines", "skip-xfail-xpass", "no-summary-line"],
)
def test_clean_look_alikes_pass(make_repo, command, tests) -> None:
    repo = make(make_repo, command=command, tests=TESTS)
    repo.branch("agent")
    repo.commit({"tests/test_calc.py": tests, "calc.py": CODE + "\n\ndef unused():\n    pass\n"})
    report = gate(repo)
    assert report.verdict == "pass", report.findings


def test_clean_look_alike_with_a_real_failure_is_a_regression_not_a_forgery(make_repo) -> None:
    repo = make(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN})
    assert blocking(gate(repo)) == {("tests", "test-regressed")}


@pytest.mark.parametrize(
    ("line", "counts"),
    [
        ("===== 1 failed, 2 passed in 0.12s =====", (2, 1, 0, 0)),
        ("1 failed, 2 passed, 1 skipped, 1 xfailed, 1 xpassed, 3 warnings in 0.1s", (2, 1, 0, 1)),
        ("\x1b[31m==== 2 errors, 1 error in 75.00s (0:01:15) ====\x1b[0m", (0, 0, 3, 0)),
        ("= 4 passed, 1 deselected, 1 rerun in 3.5 seconds =", (4, 0, 0, 0)),
        ("============ no tests ran in 0.01s ============", (0, 0, 0, 0)),
    ],
)
def test_summary_lines_parse(line: str, counts: tuple[int, int, int, int]) -> None:
    summary = parse_summary(f"noise\n{line}\n# exit: 1\n")
    assert summary is not None
    assert (summary.passed, summary.failed, summary.errors, summary.xpassed) == counts


def test_only_summary_shaped_lines_count_and_the_last_wins() -> None:
    assert parse_summary("I saw 3 passed in total\nall 2 passed in 1s, great\n") is None
    assert parse_summary("5 passed in 0.1s\n1 failed in 0.2s\n") == parse_summary("1 failed in 1s")


def test_cross_check_directions() -> None:
    ok = {"a": "passed", "b": "failed"}
    assert inconsistency(ok, (), 1, "1 failed, 1 passed in 0.1s") == ""
    assert "summary line 1" in inconsistency(
        {"a": "passed", "b": "passed"}, (), 0, "1 failed, 1 passed in 0.1s"
    )
    assert "exited 1" in inconsistency({"a": "passed"}, (), 1, "")
    # pytest counts reports: a passing test that errors in teardown is "1 passed, 1 error".
    assert inconsistency({"a": "error"}, (), 1, "1 passed, 1 error in 0.1s") == ""
    # a collection error is pytest's "error", the reporter's collect_errors.
    assert inconsistency({}, ("tests/x.py",), 1, "1 error in 0.1s") == ""
    # pytest-cov's --cov-fail-under exits 1 with every test passed.
    cov = (
        "FAIL Required test coverage of 100% not reached. Total coverage: 50.00%\n1 passed in 0.1s"
    )
    assert inconsistency({"a": "passed"}, (), 1, cov) == ""


RERUN_ONLY = "\nimport sys as _sys\n\nif any('::' in _a for _a in _sys.argv):\n" + "".join(
    f"    {line}\n" if line else "\n" for line in REWRITE_REPORTER.strip("\n").splitlines()
)


def test_forging_only_the_rerun_does_not_make_a_failure_flaky(make_repo, tmp_path) -> None:
    """The full run is honest; the re-run of the failing node ids forges a pass ("flaky")."""
    repo = make(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN + RERUN_ONLY})
    code, outcomes, _ = plain_run(repo, tmp_path)
    assert code == 1 and outcomes["tests/test_calc.py::test_scale"] == "failed"
    code, outcomes, _ = plain_run(repo, tmp_path, "tests/test_calc.py::test_scale")
    assert code == 1 and outcomes == {"tests/test_calc.py::test_scale": "passed"}
    report = gate(repo)
    assert blocking(report) == {("tests", "test-regressed"), ("tests", "evidence-inconsistent")}
