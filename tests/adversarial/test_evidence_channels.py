"""The stream's and JUnit XML's cross-checks on their own: parsing untrusted input, and which
disagreements count (no repository needed)."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from crewchief.gate.dynamic import channels, evidence
from crewchief.gate.dynamic.evidence import Junit, Stream
from tests.checks.test_forged_evidence import REPORTER


def lines(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def test_the_worst_streamed_outcome_wins_and_garbage_is_skipped() -> None:
    data = lines(
        {"start": 1},
        {"junitxml": "/e/1.junit.xml"},
        {"test": "t::a", "outcome": "failed"},
        {"test": "t::a", "outcome": "passed"},  # a later line cannot take a failure back
        {"test": "t::b", "outcome": "bogus"},
        [1, 2],
        {"end": 1, "collected": 2},
    )
    stream = evidence.parse_stream(data + b'{"test": "t::c", "outc')  # cut off mid-line
    assert stream.outcomes == {"t::a": "failed"}
    assert stream.ends == (1,) and stream.junitxml == "/e/1.junit.xml" and stream.starts == 1


def test_a_new_session_starts_a_new_account() -> None:
    stream = evidence.parse_stream(
        lines({"start": 1}, {"test": "a", "outcome": "failed"}, {"end": 1}, {"start": 2})
        + lines({"test": "a", "outcome": "passed"}, {"end": 0})
    )
    assert stream.starts == 2 and stream.outcomes == {"a": "passed"} and stream.ends == (1, 0)
    assert "2 sessions" in evidence.stream_disagreement(stream, {"a": "passed"}, 0, True)
    assert evidence.stream_disagreement(stream, {"a": "passed"}, None, True) == ""  # a wrapper


def test_stream_disagreements() -> None:
    done = Stream(starts=1, outcomes={"a": "passed", "b": "failed"}, ends=(1,))
    assert evidence.stream_disagreement(done, {"a": "passed", "b": "failed"}, 1, True) == ""
    assert "stream said failed" in evidence.stream_disagreement(
        done, {"a": "passed", "b": "passed"}, 1, True
    )
    assert "stream said nothing" in evidence.stream_disagreement(
        done, {"a": "passed", "c": "passed"}, 1, True
    )
    assert "exited 0" in evidence.stream_disagreement(done, {"b": "failed"}, 0, True)
    cut = Stream(starts=1, outcomes={"a": "passed"})
    assert "never finished" in evidence.stream_disagreement(cut, {}, 0, False)
    assert evidence.stream_disagreement(cut, {}, -9, False) == ""  # killed: a crash, not a lie
    assert "never opened" in evidence.stream_disagreement(Stream(), {"a": "passed"}, 0, True)
    assert evidence.stream_disagreement(Stream(), {}, 0, False) == ""  # pytest never ran
    tampered = Stream(starts=1, ends=(0,), tampered=("x replaced",))
    assert "x replaced" in evidence.stream_disagreement(tampered, {}, 0, True)


JUNIT = (
    '<?xml version="1.0"?><testsuites><testsuite name="pytest">'
    '<testcase classname="t" name="a"/>'
    '<testcase classname="t" name="b"><failure message="x"/></testcase>'
    '<testcase classname="t" name="c"><skipped type="pytest.xfail"/></testcase>'
    '<testcase classname="t" name="d"/><testcase classname="t" name="d"><error/></testcase>'
    "</testsuite></testsuites>"
)


def test_junit_counts_and_unreadable_reports(tmp_path: Path) -> None:
    xml = tmp_path / "j.xml"
    xml.write_text(JUNIT)
    assert evidence.parse_junit(xml) == Junit(passed=2, broken=2, skipped=1)
    assert evidence.parse_junit(tmp_path / "none.xml") == "pytest did not write it"
    xml.write_text("<testsuites><testcase")
    assert "cannot be read" in str(evidence.parse_junit(xml))


def test_junit_disagreements() -> None:
    outcomes = {"a": "passed", "b": "failed", "c": "xfailed"}
    assert evidence.junit_disagreement(Junit(1, 1, 1), outcomes, 0, "") == ""
    assert "JUnit XML 0" in evidence.junit_disagreement(Junit(0, 2, 1), outcomes, 0, "")
    assert "recorded none" in evidence.junit_disagreement(Junit(1, 1), {"a": "passed"}, 0, "")
    assert "JUnit XML none" in evidence.junit_disagreement(Junit(2, 0), outcomes, 0, "")
    # a collection error is a failing case in JUnit XML and a collect error to the reporter
    assert evidence.junit_disagreement(Junit(1, 1), {"a": "passed"}, 1, "") == ""
    # pytest-rerunfailures: a test that failed, was re-run and passed ends as passed in JUnit
    reran = "1 passed, 1 rerun in 0.1s"
    assert evidence.junit_disagreement(Junit(2, 0), {"a": "passed", "b": "failed"}, 0, reran) == ""
    assert "did not write" in evidence.junit_disagreement("pytest did not write it", {}, 0, "")


def test_a_folder_that_cannot_hold_a_fifo_keeps_the_pipe(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "x.stream"
    with channels.collected(path) as received:
        assert received.fifo is None
        inode = os.fstat(received.pipe_fd).st_ino
        assert received.environment(path) == {channels.FD_VARIABLE: f"{received.pipe_fd}:{inode}"}
        os.write(received.pipe_fd, lines({"start": 1}, {"end": 0}))
    stream, routes = received.stream()
    assert stream is not None and stream.starts == 1 and stream.ends == (0,)
    assert routes == ""


def writer(fd: int, count: int) -> subprocess.Popen[bytes]:
    """A child that inherited `fd` and writes `count` start lines to it, then exits."""
    code = f"import os\nfor _ in range({count}):\n    os.write({fd}, b'{{\"start\": 1}}\\n')\n"
    return subprocess.Popen([sys.executable, "-c", code], pass_fds=(fd,))


def test_the_pipe_reads_what_was_written_after_the_writer_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "x.stream"
    with channels.collected(path) as received:
        assert writer(received.pipe_fd, 20000).wait() == 0  # more than a pipe holds
    assert bytes(received.pipe).count(b"\n") == 20000
    assert received.fifo == bytearray()
    assert not path.exists()


def test_the_fifo_is_the_fallback_when_the_pipe_never_arrived(tmp_path: Path) -> None:
    path = tmp_path / "x.stream"
    with channels.collected(path) as received:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # as the reporter opens it
        os.set_blocking(fd, True)
        with os.fdopen(fd, "wb") as fh:
            fh.write(lines({"start": 1}, {"test": "t::a", "outcome": "failed"}) * 5000)
    stream, routes = received.stream()
    assert stream is not None and stream.starts == 5000 and stream.outcomes == {"t::a": "failed"}
    assert routes == ""


def test_lines_on_the_fifo_beside_the_pipe_were_written_by_someone_else(tmp_path: Path) -> None:
    path = tmp_path / "x.stream"
    with channels.collected(path) as received:
        os.write(received.pipe_fd, lines({"start": 1}, {"test": "t::a", "outcome": "failed"}))
        with open(path, "wb") as fh:
            fh.write(lines({"start": 2}, {"test": "t::a", "outcome": "passed"}, {"end": 0}))
    stream, routes = received.stream()
    assert stream is not None and stream.outcomes == {"t::a": "failed"}
    assert "arrived on the fallback FIFO" in routes


def test_the_reporter_takes_only_the_pipe_it_was_given() -> None:
    """A wrapper that closed the gate's descriptor may let its number be reused by another pipe:
    the inode beside the number tells them apart, and a pipe not the gate's is left alone."""
    spec = importlib.util.spec_from_file_location("reporter_under_test", REPORTER)
    assert spec is not None and spec.loader is not None
    reporter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reporter)
    reader, writer = os.pipe()
    try:
        inode = os.fstat(writer).st_ino
        assert reporter._inherited_pipe(f"{writer}:{inode + 1}") is None
        assert reporter._inherited_pipe("not-a-number") is None
        os.fstat(writer)  # a pipe not the gate's is not closed
        private = reporter._inherited_pipe(f"{writer}:{inode}")
        assert private is not None and private != writer
        assert not os.get_inheritable(private)
        os.write(private, b"x")
        os.close(private)
        assert os.read(reader, 1) == b"x"
    finally:
        os.close(reader)
        with contextlib.suppress(OSError):
            os.close(writer)
