"""A pytest plugin crewchief loads into the test run to record each test's outcome by node id.

It is copied next to the evidence and loaded through the environment (`PYTEST_ADDOPTS=-p
crewchief_pytest_reporter`, its folder on PYTHONPATH), so whatever runs pytest (`pytest`, `python
-m pytest`, `uv run pytest`, `tox`, `make test`) reports per-test outcomes without crewchief
rewriting the command. It runs in the project's interpreter, so it must not import crewchief. It
writes JSON when the session ends: outcomes per node id (passed, failed, error, skipped, xfailed,
xpassed), collection errors, the exit status, and how coverage went.

With `CREWCHIEF_COVERAGE_DATA` set it also measures coverage with the project's own coverage.py,
started when pytest loads this plugin (before conftests import the project), and writes coverage's
JSON report; when the environment has no coverage.py it says so instead.
"""

from __future__ import annotations

import json
import os
from typing import Any

_OUTCOMES: dict[str, str] = {}
_COLLECT_ERRORS: list[str] = []
# Taken out of the environment at once, so a pytest the tests start themselves does not overwrite
# the report.
_REPORT = os.environ.pop("CREWCHIEF_PYTEST_REPORT", "")
_COVERAGE_DATA = os.environ.pop("CREWCHIEF_COVERAGE_DATA", "")
_COVERAGE: dict[str, Any] = {"measure": None, "state": "not-asked"}


def _start_coverage() -> None:
    try:
        import coverage
    except ImportError:
        _COVERAGE["state"] = "not-installed"
        return
    if coverage.Coverage.current() is not None:
        _COVERAGE["state"] = "measured-by-the-command"  # pytest-cov or `coverage run` already is
        return
    measure = coverage.Coverage(data_file=_COVERAGE_DATA, source=[os.getcwd()])
    measure.start()
    _COVERAGE.update(measure=measure, state="measured")


if _REPORT and _COVERAGE_DATA:
    _start_coverage()


def _set(nodeid: str, outcome: str) -> None:
    rank = {"passed": 0, "xfailed": 1, "xpassed": 1, "skipped": 1, "failed": 2, "error": 3}
    previous = _OUTCOMES.get(nodeid)
    if previous is None or rank[outcome] >= rank[previous]:
        _OUTCOMES[nodeid] = outcome


def pytest_runtest_logreport(report: Any) -> None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            _set(report.nodeid, "xpassed" if report.passed else "xfailed")
        elif report.passed:
            _set(report.nodeid, "passed")
        elif report.skipped:
            _set(report.nodeid, "skipped")
        else:
            _set(report.nodeid, "failed")
    elif report.failed:
        _set(report.nodeid, "error")
    elif report.skipped:
        _set(report.nodeid, "xfailed" if xfail else "skipped")


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _COLLECT_ERRORS.append(report.nodeid or "<session>")


def _finish_coverage() -> str:
    """Stop measuring and write coverage's JSON report beside the data file; the state."""
    measure = _COVERAGE["measure"]
    if measure is None:
        return str(_COVERAGE["state"])
    try:
        measure.stop()
        measure.save()
        measure.json_report(outfile=_COVERAGE_DATA + ".json", ignore_errors=True)
    except Exception as exc:  # coverage's own failure must not lose the outcomes
        _COVERAGE["state"] = f"failed: {type(exc).__name__}: {exc}"
    return str(_COVERAGE["state"])


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if not _REPORT:
        return
    data = {
        "outcomes": _OUTCOMES,
        "collect_errors": _COLLECT_ERRORS,
        "exitstatus": int(exitstatus),
        "collected": int(getattr(session, "testscollected", 0)),
        "coverage": _finish_coverage(),
    }
    with open(_REPORT, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
