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

Two more channels come from the run (see crewchief.workspace.pytest_reporter):

- **The stream**: the reporter writes each outcome, as it happens, to a pipe it inherited from the
  gate (or, when a wrapper closed inherited descriptors, to a FIFO by its path; see `channels`).
  This is the channel that protects against code in the same process: it cannot rewrite, truncate
  or take back what was already read, so rewriting the reporter's JSON file at exit (`atexit`)
  disagrees with the stream, and a session cut short with `os._exit(0)` has no end line. It
  carries what the reporter saw of pytest's own runner being replaced, too. The pipe has no path,
  so no other process can add to it; lines arriving on the FIFO while the reporter holds the pipe
  are someone else's, and inconsistent.
- **pytest's own JUnit XML** (`--junitxml`, or the project's own file when it asks for one): a
  second writer, pytest's code rather than ours, so patching the reporter's hook or writer leaves
  it telling the truth. It is a file in a writable folder, so it is forgeable by itself; it counts
  as one more account that must agree.

When pytest itself is made to report success (a no-op `Function.runtest`, a replaced
`runtestprotocol` or hook implementation), every channel agrees; only the reporter's own look at
pytest's runner shows it, streamed as `tampered` (the functions it saw replaced after conftests
began to load, or a test whose protocol ran but whose call phase never did).

What is not caught (tests/adversarial/test_forged_results.py shows the first):
- code that knows crewchief switches off the reporter's look at pytest's runner before it makes
  pytest report success: every account then agrees. Reading pytest's verdict from outside the
  process would need the tests to run in a process the code under test does not share;
- under pytest-xdist the tests run in worker processes, where the reporter neither streams nor
  looks at pytest's runner: a forger there is seen only through the controller's accounts;
- a wrapper command (`make test`, `tox`) has its own exit status, so only the reporter's copy of
  pytest's is checked.

None of this makes forging impossible: the point is that a forger must forge the independent
accounts consistently, and every disagreement found is `evidence-inconsistent`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    "the test run's evidence disagrees with itself: crewchief's in-process reporter, the outcomes "
    "it streamed to the gate while pytest ran, pytest's exit status, its summary line and its JUnit "
    "XML do not tell the same story, or pytest's own runner was replaced while the tests ran (the "
    "code under test may have forged the results); the run does not count as passing"
)
REMEDY = (
    "look for code that patches pytest, `_pytest`, pluggy's hooks or crewchief's reporter "
    "(crewchief_pytest_reporter), rewrites result files, or ends the process early (`os._exit`, "
    "`atexit`), and remove it; run the test command by hand to see pytest's verdict"
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


_RANK = {"passed": 0, "xfailed": 1, "xpassed": 1, "skipped": 1, "failed": 2, "error": 3}
_PASSING = ("passed", "xpassed")
_BROKEN = ("failed", "error")


@dataclass(frozen=True)
class Stream:
    """What the reporter streamed to the gate while pytest ran."""

    starts: int = 0
    """How many pytest sessions opened the stream (a wrapper may run pytest more than once)."""
    outcomes: dict[str, str] = field(default_factory=dict)
    """The last session's node ids, each with the worst outcome streamed for it (a later line
    cannot take one back)."""
    ends: tuple[int, ...] = ()
    """The exit status of each session that finished."""
    junitxml: str | None = None
    """Where pytest was asked to write JUnit XML (the last session's say), or None."""
    tampered: tuple[str, ...] = ()

    @property
    def started(self) -> bool:
        return self.starts > 0


def _worst(outcomes: dict[str, str], nodeid: object, outcome: object) -> None:
    if isinstance(nodeid, str) and isinstance(outcome, str) and outcome in _RANK:
        previous = outcomes.get(nodeid)
        if previous is None or _RANK[outcome] >= _RANK[previous]:
            outcomes[nodeid] = outcome


def parse_stream(data: bytes) -> Stream:
    """The stream's JSON lines; a malformed line (cut off, or written by someone else) is skipped,
    since it can only add claims, and the worst claim about a test is the one kept."""
    outcomes: dict[str, str] = {}
    ends: list[int] = []
    tampered: list[str] = []
    starts, junitxml = 0, None
    for raw in data.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if "start" in record:
            starts, outcomes = starts + 1, {}
        _worst(outcomes, record.get("test"), record.get("outcome"))
        if isinstance(record.get("end"), int):
            ends.append(record["end"])
        if "junitxml" in record:
            junitxml = record["junitxml"] if isinstance(record["junitxml"], str) else None
        if isinstance(record.get("tampered"), str):
            tampered.append(record["tampered"])
    return Stream(starts, outcomes, tuple(ends), junitxml, tuple(tampered))


@dataclass(frozen=True)
class Junit:
    """Test cases in pytest's JUnit XML, by what became of them."""

    passed: int = 0
    broken: int = 0
    skipped: int = 0


JUNIT_CAP = 64 * 1024 * 1024


def parse_junit(path: Path) -> Junit | str:
    """The counts of a JUnit XML report, or why it could not be read."""
    try:
        if path.stat().st_size > JUNIT_CAP:
            return "it is too large to read"
        # Untrusted XML: Python's expat refuses external entities and caps entity expansion.
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        return "pytest did not write it"
    except (OSError, ET.ParseError) as exc:
        return f"it cannot be read ({exc})"
    passed = broken = skipped = 0
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            broken += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return Junit(passed, broken, skipped)


def stream_disagreement(
    stream: Stream, outcomes: Mapping[str, str], pytest_exit: int | None, has_report: bool
) -> str:
    """Why the reporter's streamed account disagrees with its file or the process, or "".

    `pytest_exit` is the process's return code when the command is pytest itself, else None."""
    if stream.tampered:
        return f"crewchief's reporter saw pytest's runner tampered with: {stream.tampered[0]}"
    if not stream.started:
        return "the reporter's results file exists, but it never opened its stream" * has_report
    if pytest_exit is not None and stream.starts > 1:
        return f"one pytest command, but {stream.starts} sessions opened the reporter's stream"
    for nodeid, outcome in sorted(outcomes.items()):
        streamed = stream.outcomes.get(nodeid)
        if outcome in _PASSING and streamed not in _PASSING:
            return (
                f"the reporter's results file says {nodeid} {outcome}, but its stream said "
                f"{streamed or 'nothing'} about it"
            )
    if not stream.ends:
        if has_report or pytest_exit == 0:
            return "pytest never finished its session (no end on the stream), yet it exited 0"
        return ""
    if pytest_exit == 0 and stream.ends[-1] == 1:
        return "pytest's session ended with exit status 1 (tests failed), but the process exited 0"
    return ""


def junit_disagreement(
    junit: Junit | str, outcomes: Mapping[str, str], collect_errors: int, log: str
) -> str:
    """Why pytest's JUnit XML disagrees with the reporter's outcomes, or "". Both count a test
    once (a teardown error marks the passing test's case), so the directions a forger needs are
    checked: more passing tests than JUnit saw, or failures on one side only. pytest-rerunfailures'
    reruns end as passed in JUnit, so a run with reruns is not checked that way round."""
    if isinstance(junit, str):
        return f"pytest was asked for a JUnit XML report, but {junit}"
    passing = sum(1 for v in outcomes.values() if v in _PASSING)
    broken = sum(1 for v in outcomes.values() if v in _BROKEN) + collect_errors
    if passing > junit.passed:
        return f"the reporter recorded {passing} passing tests, pytest's JUnit XML {junit.passed}"
    if junit.broken and not broken:
        return (
            f"pytest's JUnit XML has {junit.broken} failing test cases, "
            "but the reporter recorded none"
        )
    if broken and not junit.broken and not re.search(r"\d+ rerun", _ANSI.sub("", log)):
        return f"the reporter recorded {broken} failing tests, pytest's JUnit XML none"
    return ""
