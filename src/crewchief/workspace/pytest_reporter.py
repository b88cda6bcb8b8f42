"""A pytest plugin crewchief loads into the test run to record each test's outcome by node id.

It is copied next to the evidence and loaded through the environment (`PYTEST_ADDOPTS=-p
crewchief_pytest_reporter`, its folder on PYTHONPATH), so whatever runs pytest (`pytest`, `python
-m pytest`, `uv run pytest`, `tox`, `make test`) reports per-test outcomes without crewchief
rewriting the command. It runs in the project's interpreter, so it must not import crewchief. It
writes JSON when the session ends: outcomes per node id (passed, failed, error, skipped, xfailed,
xpassed), collection errors, the exit status, and how coverage went.

It runs in the same process as the code under test, so everything it says can be forged (see
crewchief.gate.dynamic.evidence). Two switches make forging harder to keep consistent:

- `CREWCHIEF_PYTEST_STREAM_FD` is the number of a pipe's writing end this process inherited from
  the gate, which reads the other end; `CREWCHIEF_PYTEST_STREAM` names a FIFO the gate also reads,
  for when a wrapper closed inherited descriptors before starting pytest (see
  crewchief.gate.dynamic.channels). The pipe is taken when pytest loads this plugin (before any
  conftest or project module is imported), and every outcome is written to it as it happens, one
  JSON line each, ending with the session's exit status. Code that runs later can add lines but
  never take back one already read, truncate it, or rewrite it at exit the way it can rewrite the
  JSON file; a missing end line says the session never finished (`os._exit`, a kill).
- `CREWCHIEF_PYTEST_JUNITXML` asks pytest's own junitxml plugin for a report there, unless the
  project asked for one itself; where it goes is streamed before conftests load.

The stream also carries what the plugin saw of pytest itself: which of pytest's runner functions
were replaced once conftests began to load, and tests whose protocol ran here but whose call phase
never did (a replaced `runtestprotocol` that logs made-up reports). pytest then fools itself, so
only this can show it; code that knows this plugin can switch it off first (a documented limit, see
crewchief.gate.dynamic.evidence).

With `CREWCHIEF_COVERAGE_DATA` set it also measures coverage with the project's own coverage.py,
started when pytest loads this plugin (before conftests import the project), and writes coverage's
JSON report; when the environment has no coverage.py it says so instead.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import pytest

_OUTCOMES: dict[str, str] = {}
_COLLECT_ERRORS: list[str] = []
# Taken out of the environment at once, so a pytest the tests start themselves does not overwrite
# the report.
_REPORT = os.environ.pop("CREWCHIEF_PYTEST_REPORT", "")
_COVERAGE_DATA = os.environ.pop("CREWCHIEF_COVERAGE_DATA", "")
_STREAM_PATH = os.environ.pop("CREWCHIEF_PYTEST_STREAM", "")
_STREAM_FD = os.environ.pop("CREWCHIEF_PYTEST_STREAM_FD", "")
_JUNITXML = os.environ.pop("CREWCHIEF_PYTEST_JUNITXML", "")
_COVERAGE: dict[str, Any] = {"measure": None, "state": "not-asked"}
_STREAM: list[int] = []
_PROTOCOL_RAN: set[str] = set()
_CALL_RAN: set[str] = set()
_TAMPERED: list[str] = []
_ORIGINAL: dict[str, Any] = {}
_WITNESS = [True]
_OUTER: list[Any] = []
"""The config of the session crewchief started: a test that runs `pytest.main()` in this process
loads this plugin again, and that inner session must not end the stream or take the JUnit XML."""


_INNER = [0]
"""How many inner sessions are running now: their reports are not the outer session's tests."""


def _outer(config: Any) -> bool:
    return bool(_OUTER) and _OUTER[0] is config


def pytest_sessionstart(session: Any) -> None:
    if _OUTER and not _outer(session.config):
        _INNER[0] += 1


def _emit(record: dict[str, Any]) -> None:
    """One JSON line on the stream; a single write, so lines from this process never interleave."""
    if _STREAM:
        try:
            os.write(_STREAM[0], (json.dumps(record) + "\n").encode("utf-8"))
        except OSError:
            _STREAM.clear()


def _inherited_pipe(named: str) -> int | None:
    """The pipe the gate passed down (`NUMBER:INODE`), moved to a descriptor the tests' own
    processes do not inherit (a copy made by `os.dup` is non-inheritable; the inherited number is
    closed), or None when a wrapper closed it on the way: the number then names nothing, or
    something else, such as another pipe that reused it."""
    try:
        number, _, inode = named.partition(":")
        fd = int(number)
        found = os.fstat(fd)
        if not stat.S_ISFIFO(found.st_mode) or found.st_ino != int(inode):
            return None
        private = os.dup(fd)
    except (ValueError, OSError):
        return None
    os.close(fd)
    return private


def _open_fifo(path: str) -> int | None:
    """The fallback FIFO, opened for writing. Non-blocking, so a FIFO nobody reads fails at once
    (ENXIO) instead of hanging pytest; then blocking again, so a full pipe waits for the gate
    rather than losing lines."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        os.set_blocking(fd, True)
    except OSError:
        return None
    return fd


def _open_stream() -> None:
    """Take the inherited pipe, or else the FIFO. A failure of both leaves the stream closed,
    which the gate reads as "never opened its stream"."""
    fd = _inherited_pipe(_STREAM_FD) if _STREAM_FD else None
    if fd is None and _STREAM_PATH:
        fd = _open_fifo(_STREAM_PATH)
    if fd is not None:
        _STREAM.append(fd)
        _emit({"start": os.getpid()})


if _REPORT:
    _open_stream()


def _runner_functions() -> dict[str, Any]:
    """pytest's functions that decide a test's outcome, by a name for the stream."""
    import _pytest.python
    import _pytest.reports
    import _pytest.runner

    found: dict[str, Any] = {}
    for module in (_pytest.runner, _pytest.python):
        for name in (
            "runtestprotocol",
            "call_and_report",
            "call_runtest_hook",
            "pytest_pyfunc_call",
            "pytest_runtest_protocol",
            "pytest_runtest_call",
            "pytest_runtest_makereport",
        ):
            if hasattr(module, name):
                found[f"{module.__name__}.{name}"] = getattr(module, name)
    for cls, name in (
        (getattr(_pytest.python, "Function", None), "runtest"),
        (getattr(_pytest.runner, "CallInfo", None), "from_call"),
        (getattr(_pytest.reports, "TestReport", None), "from_item_and_call"),
        (getattr(_pytest.reports, "BaseReport", None), "passed"),
        (getattr(_pytest.reports, "BaseReport", None), "failed"),
    ):
        if cls is not None and name in vars(cls):
            found[f"{cls.__module__}.{cls.__name__}.{name}"] = vars(cls)[name]
    return found


_HOOKS = (
    "pytest_runtest_protocol",
    "pytest_runtest_call",
    "pytest_pyfunc_call",
    "pytest_runtest_makereport",
)


def _hook_functions(config: Any) -> dict[str, Any]:
    """The functions pytest's own plugins registered for the hooks that run and judge a test."""
    found: dict[str, Any] = {}
    for hook in _HOOKS:
        caller = getattr(config.hook, hook, None)
        for impl in caller.get_hookimpls() if caller is not None else ():
            module = getattr(impl.plugin, "__name__", "")
            if isinstance(module, str) and module.startswith("_pytest."):
                found[f"hook {hook} of {module}"] = impl.function
    return found


def _check_runner(config: Any) -> None:
    """Stream (once) what was replaced of pytest's runner since the conftests began to load."""
    if not _ORIGINAL or _TAMPERED:
        return
    now = {**_runner_functions(), **_hook_functions(config)}
    changed = sorted(k for k, v in _ORIGINAL.items() if now.get(k) is not v)
    if changed:
        _TAMPERED.append("replaced while the tests ran: " + ", ".join(changed))
        _emit({"tampered": _TAMPERED[0]})


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any) -> None:
    """Before any conftest runs: take stock of pytest's runner and say where JUnit XML will go.

    Not when this module loads: `-p` plugins load before installed (entry point) plugins, and one
    of those may legitimately wrap pytest's functions; the project's code comes only with the
    conftests, after this."""
    if not _STREAM or _OUTER:
        return
    _OUTER.append(early_config)
    _ORIGINAL.update(_runner_functions())
    _ORIGINAL.update(_hook_functions(early_config))
    # An installed plugin that runs tests its own way (pytest-forked runs the call phase in a
    # child process) makes the call-phase witness meaningless; conftests come later and do not.
    protocol = early_config.hook.pytest_runtest_protocol.get_hookimpls()
    if any(
        not (impl.hookwrapper or getattr(impl, "wrapper", False))
        and not str(getattr(impl.plugin, "__name__", "")).startswith("_pytest.")
        for impl in protocol
    ):
        _WITNESS.clear()
    namespace = early_config.known_args_namespace
    if not hasattr(namespace, "xmlpath"):  # `-p no:junitxml`
        _emit({"junitxml": None})
        return
    path = namespace.xmlpath or _JUNITXML or None
    if path:
        path = os.path.abspath(os.path.expanduser(os.path.expandvars(path)))
    _emit({"junitxml": path})


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    """Ask pytest's junitxml plugin (configured after this) for the gate's JUnit XML, unless the
    project asked for its own: then its file is the one read, and its CI keeps getting it."""
    option = config.option
    if _JUNITXML and _outer(config) and hasattr(option, "xmlpath") and not option.xmlpath:
        option.xmlpath = _JUNITXML


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


def _outcome(report: Any) -> str | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xpassed" if report.passed else "xfailed"
        if report.passed:
            return "passed"
        return "skipped" if report.skipped else "failed"
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any) -> Any:
    _PROTOCOL_RAN.add(item.nodeid)
    yield
    _check_runner(item.config)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Any:
    _CALL_RAN.add(item.nodeid)
    yield


def pytest_runtest_logreport(report: Any) -> None:
    outcome = _outcome(report)
    if outcome is None or _INNER[0]:
        return
    _emit({"test": report.nodeid, "outcome": outcome})
    _set(report.nodeid, outcome)
    if (
        _STREAM
        and _WITNESS
        and report.when == "call"
        and outcome == "passed"
        and report.nodeid in _PROTOCOL_RAN
        and report.nodeid not in _CALL_RAN
        and not _TAMPERED
    ):
        _TAMPERED.append(f"{report.nodeid} passed, but its call phase never ran")
        _emit({"tampered": _TAMPERED[0]})


def pytest_collectreport(report: Any) -> None:
    if report.failed and not _INNER[0]:
        _COLLECT_ERRORS.append(report.nodeid or "<session>")
        _emit({"collect_error": report.nodeid or "<session>"})


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
    if _OUTER and not _outer(session.config):
        _INNER[0] = max(0, _INNER[0] - 1)
        return
    if not _REPORT:
        return
    _check_runner(session.config)
    collected = int(getattr(session, "testscollected", 0))
    _emit({"end": int(exitstatus), "collected": collected})
    data = {
        "outcomes": _OUTCOMES,
        "collect_errors": _COLLECT_ERRORS,
        "exitstatus": int(exitstatus),
        "collected": collected,
        "coverage": _finish_coverage(),
    }
    with open(_REPORT, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
