"""Adversarial: production code that forges the test results through pytest's own process.

Each trick lives in the tiny project's production module (`calc.py`), which the tests import, and
does its forging at import time. Each is first shown to fool a naive reading (plain pytest, the
reporter's results file alone, or pytest's JUnit XML alone); the gate's suite result must then be
inconsistent (`evidence-inconsistent`, which blocks). The suite runs through `run_suite`, as the
gate runs it, in the bubblewrap sandbox where this machine has one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crewchief.gate.dynamic import evidence
from crewchief.gate.dynamic.suite import SuiteRequest, SuiteResult, run_suite
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Report
from crewchief.spec.policy import parse_policy
from crewchief.workspace import sandbox
from crewchief.workspace.checkouts import Checkouts
from tests.checks.test_forged_evidence import BROKEN, CODE, REPORTER, TESTS
from tests.helpers.repo import Repo

PY = sys.executable

# pytest itself is fooled: every channel then agrees, and only the reporter's look at pytest's
# runner (streamed before the forger could switch it off) shows the replacement.
NOOP_CALL_HOOK = """
import gc as _gc
import _pytest.runner as _runner
from pluggy import HookImpl as _HookImpl

for _impl in _gc.get_objects():
    if isinstance(_impl, _HookImpl) and _impl.plugin is _runner:
        if _impl.function.__name__ == "pytest_runtest_call":
            _impl.function = lambda item: None
"""
NOOP_CALL_ATTRIBUTE = """
import _pytest.runner as _runner

_runner.pytest_runtest_call = lambda item: None
"""
NOOP_RUNTEST = """
import _pytest.python as _python

_python.Function.runtest = lambda self: None
"""
FAKE_PROTOCOL = """
import _pytest.runner as _runner
from _pytest.reports import TestReport as _TestReport


def _protocol(item, log=True, nextitem=None):
    reports = []
    for when in ("setup", "call", "teardown"):
        call = _runner.CallInfo.from_call(lambda: None, when=when)
        report = _TestReport.from_item_and_call(item, call)
        item.ihook.pytest_runtest_logreport(report=report)
        reports.append(report)
    return reports


_runner.runtestprotocol = _protocol
"""

# The reporter is fooled: it records "passed"; pytest still knows better.
PATCH_REPORTER = """
import sys as _sys

_reporter = _sys.modules.get("crewchief_pytest_reporter")
if _reporter is not None:
    _real = _reporter._outcome

    def _forged(report):
        found = _real(report)
        return "passed" if found in ("failed", "error") else found

    _reporter._outcome = _forged
"""
REWRITE_FILE_AT_EXIT = """
import atexit as _atexit
import json as _json
import sys as _sys


def _rewrite():
    reporter = _sys.modules.get("crewchief_pytest_reporter")
    if reporter is None or not reporter._REPORT:
        return
    with open(reporter._REPORT) as fh:
        data = _json.load(fh)
    data["outcomes"] = {k: "passed" for k in data["outcomes"]}
    with open(reporter._REPORT, "w") as fh:
        _json.dump(data, fh)


_atexit.register(_rewrite)
"""
# Everything the gate read before the stream and JUnit XML: the reporter's outcomes, its copy of
# the exit status, the process's exit status and the last summary line all say "passed".
COVER_UP = (
    PATCH_REPORTER
    + """
import atexit as _atexit
import json as _json
import os as _os


def _cover_up():
    if _reporter is not None and _reporter._REPORT:
        with open(_reporter._REPORT) as fh:
            data = _json.load(fh)
        data["exitstatus"] = 0
        with open(_reporter._REPORT, "w") as fh:
            _json.dump(data, fh)
    print("============ 2 passed in 0.01s ============", flush=True)
    _os._exit(0)


_atexit.register(_cover_up)
"""
)
EXIT_0_AT_EXIT = """
import atexit as _atexit
import os as _os

_atexit.register(_os._exit, 0)
"""
EXIT_0_MID_RUN = BROKEN.replace(
    "    return x * k + 1\n",
    "    if x * k + 1 != x * k:\n        import os\n\n        os._exit(0)\n    return x * k\n",
)
FAKE_JUNIT = """
import atexit as _atexit
import gc as _gc

_FAKE = (
    '<testsuites><testsuite name="pytest" tests="2" failures="0" errors="0">'
    '<testcase classname="tests.test_calc" name="test_add"/>'
    '<testcase classname="tests.test_calc" name="test_scale"/>'
    "</testsuite></testsuites>"
)


def _fake_junit():
    for obj in _gc.get_objects():
        if type(obj).__name__ == "LogXML":
            with open(obj.logfile, "w") as fh:
                fh.write(_FAKE)


_atexit.register(_fake_junit)
"""

PYTEST_INI = "[pytest]\npythonpath = .\n"


def policy(command: str) -> str:
    return f'[tests]\ncommand = "{command}"\ntimeout_s = 120\n'


def make(make_repo, command: str = f"{PY} -m pytest -q -p no:xdist", **extra: str) -> Repo:
    files = {
        "crewchief.toml": policy(command),
        "calc.py": CODE,
        "tests/test_calc.py": TESTS,
        "pytest.ini": PYTEST_INI,
    }
    return make_repo({**files, **extra})


def plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON", "COV_"))}


def plain_pytest(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest as a developer runs it, without crewchief."""
    return subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", *args],
        cwd=repo.path,
        env=plain_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def reporter_file_only(repo: Repo, tmp_path: Path) -> tuple[int, dict, str]:
    """pytest with crewchief's reporter writing its results file only (no stream, no JUnit XML):
    the exit code, the file's contents and pytest's output."""
    plugin = tmp_path / "plugin"
    plugin.mkdir(exist_ok=True)
    (plugin / "crewchief_pytest_reporter.py").write_text(REPORTER.read_text("utf-8"), "utf-8")
    report = tmp_path / "report.json"
    env = plain_env()
    env.update(
        PYTHONPATH=str(plugin),
        PYTEST_ADDOPTS="-p crewchief_pytest_reporter -p no:cacheprovider",
        CREWCHIEF_PYTEST_REPORT=str(report),
    )
    out = subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:xdist"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(report.read_text("utf-8")) if report.exists() else {}
    return out.returncode, data, out.stdout


@pytest.fixture
def suite(tmp_path: Path) -> Iterator[object]:
    """Run the repository's test command at a revision the way the gate runs it."""
    opened: list[Checkouts] = []

    def run(repo: Repo, rev: str = "agent", command: str | None = None) -> SuiteResult:
        pol = parse_policy((repo.path / "crewchief.toml").read_bytes(), "crewchief.toml")
        checkouts = Checkouts(repo.path, pol, tmp_path / f"evidence{len(opened)}")
        opened.append(checkouts)
        prepared = checkouts.checkout(rev, label="head")
        return run_suite(checkouts, prepared, SuiteRequest(command or pol.tests.command or ""))

    yield run
    for checkouts in opened:
        checkouts.close()


def gate(repo: Repo) -> Report:
    request = GateRequest(
        repo=repo.path, base="main", head="agent", only=["tests"], use_cache=False
    )
    return run_gate(request)


def blocking(report: Report) -> set[tuple[str, str]]:
    return {(f.check, f.rule) for f in report.findings if f.blocking}


def forged(make_repo, code: str) -> Repo:
    repo = make(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": code})
    return repo


@pytest.mark.parametrize(
    ("trick", "seen"),
    [
        (NOOP_CALL_HOOK, "hook pytest_runtest_call of _pytest.runner"),
        (NOOP_RUNTEST, "_pytest.python.Function.runtest"),
        (FAKE_PROTOCOL, "its call phase never ran"),
    ],
    ids=["no-op-runtest-call-hook", "no-op-Function.runtest", "fake-runtestprotocol"],
)
def test_code_that_makes_pytest_itself_report_passed_is_caught(
    make_repo, suite, trick: str, seen: str
) -> None:
    repo = forged(make_repo, BROKEN + trick)
    plain = plain_pytest(repo)
    assert plain.returncode == 0 and "2 passed" in plain.stdout, plain.stdout  # pytest is fooled
    result = suite(repo)
    assert result.outcomes == {
        "tests/test_calc.py::test_add": "passed",
        "tests/test_calc.py::test_scale": "passed",
    }
    assert "tampered with" in result.inconsistent and seen in result.inconsistent


def test_replacing_the_module_attribute_does_not_fool_pytest_but_is_seen(make_repo, suite) -> None:
    """pluggy keeps the function it registered: `_pytest.runner.pytest_runtest_call = noop` changes
    nothing pytest runs. The attempt is still reported (the test also fails honestly)."""
    repo = forged(make_repo, BROKEN + NOOP_CALL_ATTRIBUTE)
    assert plain_pytest(repo).returncode == 1
    result = suite(repo)
    assert result.outcomes["tests/test_calc.py::test_scale"] == "failed"
    assert "_pytest.runner.pytest_runtest_call" in result.inconsistent


def test_a_fooled_pytest_blocks_the_gate(make_repo) -> None:
    repo = forged(make_repo, BROKEN + NOOP_RUNTEST)
    report = gate(repo)
    assert report.verdict == "block"
    # Only the evidence check blocks: the outcomes alone would have passed the change.
    assert blocking(report) == {("tests", "evidence-inconsistent")}


def test_patching_the_reporters_hook_is_caught(make_repo, suite, tmp_path) -> None:
    repo = forged(make_repo, BROKEN + PATCH_REPORTER)
    code, data, _ = reporter_file_only(repo, tmp_path)
    assert code == 1 and data["outcomes"]["tests/test_calc.py::test_scale"] == "passed"
    result = suite(repo)
    assert result.outcomes["tests/test_calc.py::test_scale"] == "passed"
    assert result.inconsistent


def test_rewriting_the_results_file_at_exit_disagrees_with_the_stream(
    make_repo, suite, tmp_path
) -> None:
    repo = forged(make_repo, BROKEN + REWRITE_FILE_AT_EXIT)
    _, data, _ = reporter_file_only(repo, tmp_path)
    assert set(data["outcomes"].values()) == {"passed"}  # the file alone is fooled
    result = suite(repo)
    assert "its stream said failed" in result.inconsistent


def test_a_cover_up_that_fools_every_older_check_is_caught(make_repo, suite, tmp_path) -> None:
    """Reporter patched, its file's exit status rewritten, a fake summary line printed last and
    the process ended with `os._exit(0)`: the reporter's file, the exit status and the summary
    line agree, so the checks before the stream and JUnit XML saw nothing."""
    repo = forged(make_repo, BROKEN + COVER_UP)
    code, data, output = reporter_file_only(repo, tmp_path)
    assert code == 0 and data["exitstatus"] == 0
    assert set(data["outcomes"].values()) == {"passed"}
    assert evidence.inconsistency(data["outcomes"], (), code, output) == ""
    result = suite(repo)
    assert result.exit_code == 0
    assert "exit status 1" in result.inconsistent and "exited 0" in result.inconsistent


def test_os_exit_0_after_the_session_is_caught(make_repo, suite) -> None:
    repo = forged(make_repo, BROKEN + EXIT_0_AT_EXIT)
    plain = plain_pytest(repo)
    assert plain.returncode == 0 and "1 failed" in plain.stdout  # the exit status is fooled
    result = suite(repo)
    assert "exited 0" in result.inconsistent


def test_os_exit_0_in_the_middle_of_the_run_is_caught(make_repo, suite) -> None:
    repo = forged(make_repo, EXIT_0_MID_RUN)
    plain = plain_pytest(repo)
    assert plain.returncode == 0 and "failed" not in plain.stdout  # nothing says it failed
    result = suite(repo)
    assert "never finished its session" in result.inconsistent


def test_a_fake_junit_xml_is_caught(make_repo, suite, tmp_path) -> None:
    repo = forged(make_repo, BROKEN + FAKE_JUNIT)
    xml = tmp_path / "plain.xml"
    plain = plain_pytest(repo, f"--junitxml={xml}")
    assert plain.returncode == 1
    assert evidence.parse_junit(xml) == evidence.Junit(passed=2)  # the XML alone is fooled
    result = suite(repo)
    assert result.outcomes["tests/test_calc.py::test_scale"] == "failed"
    assert "JUnit XML none" in result.inconsistent


TOUCH_RUNNER_FILES = """
import sys as _sys
import _pytest.runner as _runner

for _name, _path in (
    ("reporter", getattr(_sys.modules.get("crewchief_pytest_reporter"), "__file__", "")),
    ("pytest", _runner.__file__),
):
    try:
        open(_path, "ab").close()  # opened for writing, nothing written
        print(f"WRITE {_name}: allowed")
    except OSError as _exc:
        print(f"WRITE {_name}: denied ({_exc.strerror})")
"""


@pytest.mark.skipif(not sandbox.probe().available, reason="no bubblewrap sandbox here")
def test_the_reporter_and_pytest_are_read_only_in_the_sandbox(make_repo, suite) -> None:
    """The reporter's copy sits in the writable evidence folder, but in its read-only part: code
    under test cannot rewrite it for the re-run of failing tests, nor pytest's own files."""
    repo = forged(make_repo, CODE + TOUCH_RUNNER_FILES)
    result = suite(repo, command=f"{PY} -m pytest -q -s -p no:xdist")
    log = Path(result.log).read_text("utf-8")
    assert "# bubblewrap sandbox" in log
    assert "WRITE reporter: denied (Read-only file system)" in log, log
    assert "WRITE pytest: denied (Read-only file system)" in log, log
    assert result.outcomes and set(result.outcomes.values()) == {"passed"}
    assert result.inconsistent == ""


# A legitimate project must not be hurt.


def clean_and_broken(make_repo, command: str, **extra: str) -> tuple[Repo, Repo]:
    clean = make(make_repo, command=command, **extra)
    clean.branch("agent")
    clean.commit({"calc.py": CODE + "\n\ndef unused():\n    return 0\n"})
    broken = make(make_repo, command=command, **extra)
    broken.branch("agent")
    broken.commit({"calc.py": BROKEN})
    return clean, broken


CONFTEST_REPORTER = """
import json
import pytest

SEEN = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    SEEN.append((outcome.get_result().nodeid, outcome.get_result().outcome))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield


def pytest_sessionfinish(session):
    with open(str(session.config.rootpath / "seen.json"), "w") as fh:
        json.dump(SEEN, fh)
"""


CLOSING_WRAPPER = """
import subprocess, sys

# As tox and nox start commands: every inherited descriptor but 0-2 is closed on the way.
sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist"], close_fds=True))
"""


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (
            f"{PY} -m pytest -q -p no:xdist",
            {"pytest.ini": PYTEST_INI + "addopts = --junitxml=r/j.xml\n"},
        ),
        (f"{PY} -m pytest -q -p no:xdist --junitxml=own.xml", {}),
        (f"{PY} -m pytest -q -n 2", {}),
        (f"{PY} -m pytest -q -p no:xdist", {"tests/conftest.py": CONFTEST_REPORTER}),
        (
            f"{PY} -m pytest -q -p no:xdist --continue-on-collection-errors",
            {"tests/test_broken.py": "import not_a_module_anywhere\n"},
        ),
        (f"{PY} -c 'import calc; assert calc.scale(2, 3) == 6'", {}),
        (f"{PY} run_tests.py", {"run_tests.py": CLOSING_WRAPPER}),
    ],
    ids=[
        "addopts-junitxml",
        "command-junitxml",
        "xdist",
        "own-conftest-reporter",
        "continue-on-collection-errors",
        "not-pytest",
        "wrapper-closes-descriptors",
    ],
)
def test_legitimate_projects_keep_working(make_repo, command: str, extra: dict[str, str]) -> None:
    clean, broken = clean_and_broken(make_repo, command, **extra)
    report = gate(clean)
    assert not blocking(report), report.findings
    assert not any(f.rule == "evidence-inconsistent" for f in report.findings)
    broken_report = gate(broken)
    assert ("tests", "evidence-inconsistent") not in blocking(broken_report)
    assert blocking(broken_report), broken_report.findings


DELETE_JUNIT = """
import atexit as _atexit
import gc as _gc
import os as _os


def _delete_junit():
    for obj in _gc.get_objects():
        if type(obj).__name__ == "LogXML" and _os.path.exists(obj.logfile):
            _os.remove(obj.logfile)


_atexit.register(_delete_junit)
"""


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (f"{PY} -m pytest -q -p no:xdist", {}),
        (
            f"{PY} -m pytest -q -p no:xdist",
            {"pytest.ini": PYTEST_INI + "addopts = --junitxml=r/j.xml\n"},
        ),
        (f"{PY} -m pytest -q -p no:xdist --junitxml=own.xml", {}),
    ],
    ids=["crewchiefs-junitxml", "addopts-junitxml", "command-junitxml"],
)
def test_a_deleted_junit_xml_is_caught_wherever_it_was_asked_for(
    make_repo, suite, command: str, extra: dict[str, str]
) -> None:
    """The JUnit channel is read wherever pytest writes it, the project's own file included."""
    repo = make(make_repo, command=command, **extra)
    repo.branch("agent")
    repo.commit({"calc.py": CODE + DELETE_JUNIT})
    result = suite(repo)
    assert set(result.outcomes.values()) == {"passed"}
    assert "did not write it" in result.inconsistent


# A process of the judged code's own making (here started at import, as a daemon would be) writes
# to the fallback FIFO by its path: the reporter streamed on the inherited pipe, which has no path.
WRITE_THE_FIFO_FROM_ANOTHER_PROCESS = """
import subprocess as _subprocess
import sys as _sys

_reporter = _sys.modules.get("crewchief_pytest_reporter")
if _reporter is not None and _reporter._STREAM_PATH:
    _line = '{"test": "tests/test_calc.py::test_scale", "outcome": "passed"}'
    _subprocess.run(
        [_sys.executable, "-c", f"open({_reporter._STREAM_PATH!r}, 'w').write({_line!r} + chr(10))"],
        check=True,
    )
"""
# The same process starts a child that tries the reporter's pipe by the number it was inherited on.
WRITE_THE_PIPE_FROM_A_CHILD = """
import subprocess as _subprocess
import sys as _sys

_reporter = _sys.modules.get("crewchief_pytest_reporter")
_fd = int(_reporter._STREAM_FD.partition(":")[0])
_private = _reporter._STREAM[0]
_code = "import os, sys\\nfor fd in sys.argv[1:]:\\n    os.write(int(fd), b'x')"
_child = _subprocess.run(
    [_sys.executable, "-c", _code, str(_fd), str(_private)], close_fds=False, capture_output=True
)
assert _child.returncode != 0 and b"Bad file descriptor" in _child.stderr, _child
"""


def test_a_process_writing_the_fallback_fifo_by_its_path_is_caught(make_repo, suite) -> None:
    repo = forged(make_repo, CODE + WRITE_THE_FIFO_FROM_ANOTHER_PROCESS)
    result = suite(repo)
    assert set(result.outcomes.values()) == {"passed"}, Path(result.log).read_text("utf-8")
    assert "arrived on the fallback FIFO" in result.inconsistent


def test_the_tests_own_processes_cannot_write_the_reporters_pipe(make_repo, suite) -> None:
    """The child is started with close_fds=False and still cannot write: the reporter moved the
    pipe to a non-inheritable descriptor and closed the one it inherited."""
    repo = forged(make_repo, CODE + WRITE_THE_PIPE_FROM_A_CHILD)
    result = suite(repo)
    assert set(result.outcomes.values()) == {"passed"}, Path(result.log).read_text("utf-8")
    assert result.inconsistent == ""


SILENCE_THE_REPORTER = """
import sys as _sys

_reporter = _sys.modules.get("crewchief_pytest_reporter")
if _reporter is not None:
    _reporter._ORIGINAL.clear()
    _reporter._WITNESS.clear()
"""


def test_known_limit_code_that_silences_the_reporter_first_is_not_caught(make_repo, suite) -> None:
    """A documented limit (see crewchief.gate.dynamic.evidence): code that knows crewchief turns
    off the reporter's look at pytest's runner, then makes pytest itself report success. Every
    account then agrees; this test pins that, so a future fix shows up here."""
    repo = forged(make_repo, BROKEN + SILENCE_THE_REPORTER + NOOP_RUNTEST)
    assert plain_pytest(repo).returncode == 0
    result = suite(repo)
    assert set(result.outcomes.values()) == {"passed"}
    assert result.inconsistent == ""


INNER_PYTEST = (
    TESTS
    + """

def test_runs_pytest_in_process(tmp_path):
    import pytest

    (tmp_path / "test_inner.py").write_text("def test_inner():\\n    assert False\\n")
    assert pytest.main(["-q", "-p", "no:cacheprovider", str(tmp_path)]) == 1
"""
)


def test_a_test_that_runs_pytest_in_process_is_not_a_forgery(make_repo, suite) -> None:
    """The inner session loads the reporter again (PYTEST_ADDOPTS): it must not end the stream,
    take the JUnit XML or write the results file in the outer session's place."""
    repo = make(make_repo)
    repo.branch("agent")
    repo.commit({"tests/test_calc.py": INNER_PYTEST})
    result = suite(repo)
    assert result.exit_code == 0, Path(result.log).read_text("utf-8")
    assert result.inconsistent == ""
    assert result.outcomes["tests/test_calc.py::test_runs_pytest_in_process"] == "passed"
