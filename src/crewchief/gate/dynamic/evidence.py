"""Is a test run's evidence consistent with itself?

The per-test outcomes come from crewchief's reporter plugin, which runs inside the test process: the
code under test can reach it (rewrite `sys.modules['crewchief_pytest_reporter']`, patch `_pytest`)
and make a failing test read as passed. pytest's own exit status (seen by the gate as the process's
return code) and its terminal summary line ("1 failed, 2 passed in 0.1s") come by other routes, so a
forger who patches one source has to patch all of them alike. This module cross-checks them; any
disagreement in the direction that favours the change is `evidence-inconsistent`, and such a run
never counts as passing.

The counts cannot be compared for exact equality: pytest counts reports and the reporter counts
tests. A test that passes but errors in teardown is "1 passed, 1 error" to pytest and one `error` to
the reporter; pytest-subtests counts each subtest. So only the claims a forger needs are checked:
the reporter must not report more passing tests than pytest did, nor none broken when pytest saw
failures, nor a clean run when pytest exited 1. A log without a summary line (`-qq`, `-p
no:terminal`, a wrapper that hides output) is not evidence of anything and is not checked.

The log is untrusted output: tests print what they like. Only lines shaped exactly like pytest's
summary count, and the last such line wins, since pytest prints its summary after every test ran
(captured or `-s` output comes before it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crewchief.gate.findings import Rule, Severity

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_COUNT = r"\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?|rerun)"
_SUMMARY = re.compile(
    rf"^(?:=+ )?(?P<counts>{_COUNT}(?:, {_COUNT})*|no tests ran)"
    r" in \d+(?:\.\d+)?(?:s| seconds)(?: \(\d+:\d\d:\d\d\))?(?: =+)?$"
)
_ONE = re.compile(r"(\d+) (\w+)")
_COVERAGE_FAIL = re.compile(r"^FAIL Required test coverage of .* not reached", re.MULTILINE)
"""pytest-cov's `--cov-fail-under` makes pytest exit 1 with every test passed: not a forgery."""
_KINDS = {"error": "errors", "errors": "errors", "warning": "warnings", "warnings": "warnings"}

RULE_ID = "evidence-inconsistent"
SUMMARY = (
    "the test run's evidence disagrees with itself: crewchief's in-process reporter says tests "
    "passed that pytest's exit status or summary line says did not (the code under test may have "
    "forged the results); the run does not count as passing"
)
REMEDY = (
    "look for code that patches pytest, `_pytest` or crewchief's reporter "
    "(crewchief_pytest_reporter) and remove it; run the test command by hand to see pytest's verdict"
)


def evidence_rule(check: str) -> Rule:
    """The same rule in every check that reads per-test outcomes (tests, acceptance)."""
    return Rule(check, RULE_ID, Severity.CRITICAL, SUMMARY, REMEDY, blocking=True)


@dataclass(frozen=True)
class Summary:
    """pytest's own counts from its terminal summary line."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    xpassed: int = 0


def parse_summary(log: str) -> Summary | None:
    """The counts of the last pytest summary line in the log, or None when there is none."""
    for raw in reversed(log.splitlines()):
        line = _ANSI.sub("", raw).strip()
        match = _SUMMARY.match(line)
        if match is None:
            continue
        counts: dict[str, int] = {}
        for number, word in _ONE.findall(match["counts"]):
            key = _KINDS.get(word, word)
            counts[key] = counts.get(key, 0) + int(number)
        return Summary(
            passed=counts.get("passed", 0),
            failed=counts.get("failed", 0),
            errors=counts.get("errors", 0),
            xpassed=counts.get("xpassed", 0),
        )
    return None


def inconsistency(
    outcomes: Mapping[str, str],
    collect_errors: Sequence[str],
    exit_status: int | None,
    log: str,
) -> str:
    """Why the reporter's outcomes disagree with pytest's exit status or summary, or ""."""
    passing = sum(1 for v in outcomes.values() if v in ("passed", "xpassed"))
    broken = sum(1 for v in outcomes.values() if v in ("failed", "error")) + len(collect_errors)
    if exit_status == 1 and broken == 0 and not _COVERAGE_FAIL.search(_ANSI.sub("", log)):
        return (
            f"pytest exited 1 (tests failed), but the reporter recorded no failing test "
            f"({passing} passing)"
        )
    summary = parse_summary(log)
    if summary is None:
        return ""
    said = summary.passed + summary.xpassed
    if passing > said:
        return f"the reporter recorded {passing} passing tests, pytest's summary line {said}"
    if summary.failed + summary.errors and not broken:
        return (
            f"pytest's summary line reports {summary.failed} failed and {summary.errors} errors, "
            "but the reporter recorded no failing test"
        )
    return ""
