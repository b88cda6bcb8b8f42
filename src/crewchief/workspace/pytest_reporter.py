"""A pytest plugin crewchief loads into the test run to record each test's outcome by node id.

It is copied next to the evidence and loaded with `-p crewchief_pytest_reporter`, so it must not
import crewchief. It writes JSON when the session ends: outcomes per node id (passed, failed, error,
skipped, xfailed, xpassed), collection errors, and the exit status.
"""

from __future__ import annotations

import json
import os
from typing import Any

_OUTCOMES: dict[str, str] = {}
_COLLECT_ERRORS: list[str] = []


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


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("CREWCHIEF_PYTEST_REPORT")
    if not path:
        return
    data = {
        "outcomes": _OUTCOMES,
        "collect_errors": _COLLECT_ERRORS,
        "exitstatus": int(exitstatus),
        "collected": int(getattr(session, "testscollected", 0)),
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
