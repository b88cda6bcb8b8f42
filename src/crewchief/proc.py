"""The one place crewchief starts processes.

A process run is a value: a request (argv, cwd, env, timeout) goes in, an outcome (exit code, output,
duration) comes out. Never a shell. Each child gets its own process group so a timeout ends the whole
tree, escalating SIGINT, SIGTERM, SIGKILL, and output is capped so a flood cannot exhaust memory
(a streamed agent's keeps its head and tail, and its volume never stops it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from crewchief.errors import ProcessError, UserError
from crewchief.transcript import HeadTail

DEFAULT_OUTPUT_CAP = 16 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    argv: tuple[str, ...]
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    timeout: float | None = None
    stdin: bytes | None = None
    output_cap: int = DEFAULT_OUTPUT_CAP
    merge_stderr: bool = False
    pass_fds: tuple[int, ...] = ()
    """Descriptors the process inherits (every other one is closed in it), such as the writing
    end of a pipe the caller reads while it runs."""


@dataclass(frozen=True)
class Outcome:
    request: Request
    returncode: int | None
    stdout: bytes
    stderr: bytes
    duration_s: float
    timed_out: bool = False
    truncated: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def check(self) -> Outcome:
        """Raise `ProcessError` unless the process exited 0."""
        if not self.ok:
            output = (self.stderr + self.stdout).decode("utf-8", "replace")
            if self.timed_out:
                output = f"timed out after {self.request.timeout}s\n" + output
            raise ProcessError(self.request.argv, self.returncode, output)
        return self


class _CappedReader(threading.Thread):
    """Drains a pipe so the child never blocks, keeping only the first `cap` bytes."""

    def __init__(self, stream: object, cap: int) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._cap = cap
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def run(self) -> None:
        read = self._stream.read  # type: ignore[attr-defined]
        while True:
            chunk: bytes = read(65536)
            if not chunk:
                break
            room = self._cap - self.size
            if room > 0:
                self.chunks.append(chunk[:room])
                self.size += min(room, len(chunk))
            if len(chunk) > room:
                self.truncated = True

    def data(self) -> bytes:
        return b"".join(self.chunks)


_DRAIN_S = 5.0


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError, ValueError):
            pipe.close()


def _kill_group(proc: subprocess.Popen[bytes], grace: float = 2.0) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to the whole process group."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure stragglers in its group are too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def _spawn(request: Request, *, merge_stderr: bool) -> subprocess.Popen[bytes]:
    """Start the process in its own session (so its whole group can be ended), never a shell;
    a missing program, folder or permission is a one-line input error."""
    try:
        return subprocess.Popen(
            request.argv,
            cwd=request.cwd,
            env=dict(request.env) if request.env is not None else None,
            stdin=subprocess.PIPE if request.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            start_new_session=True,
            pass_fds=request.pass_fds,
        )
    except FileNotFoundError as exc:
        if request.cwd is not None and not Path(request.cwd).is_dir():
            raise UserError(
                f"cannot run '{request.argv[0]}': folder {request.cwd} does not exist"
            ) from exc
        raise UserError(
            f"'{request.argv[0]}' was not found on PATH; install it or fix the command"
        ) from exc
    except PermissionError as exc:
        raise UserError(f"'{request.argv[0]}' is not executable: {exc.strerror}") from exc


def run(request: Request) -> Outcome:
    """Run one process to completion (or its timeout) and return what happened."""
    start = time.monotonic()
    proc = _spawn(request, merge_stderr=request.merge_stderr)
    out = _CappedReader(proc.stdout, request.output_cap)
    err = _CappedReader(proc.stderr, request.output_cap) if proc.stderr else None
    out.start()
    if err:
        err.start()
    if request.stdin is not None and proc.stdin is not None:
        # From a thread: a child that never reads its input must not stop the timeout.
        feeder = threading.Thread(target=_feed, args=(proc.stdin, request.stdin), daemon=True)
        feeder.start()
    timed_out = False
    try:
        proc.wait(timeout=request.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
    except BaseException:
        _kill_group(proc, grace=0.5)
        raise
    # Whatever the leader left running in its group (a background server, `sleep &`) goes too:
    # it would hold the output pipes open and hang this call.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if request.stdin is not None and proc.stdin is not None:
        feeder.join(timeout=_DRAIN_S)
    for reader in (out, err):
        if reader is not None:
            reader.join(timeout=_DRAIN_S)
            if reader.is_alive():  # a process that left the group (setsid) still holds the pipe
                reader.truncated = True
    for stream in (proc.stdout, proc.stderr):
        if stream is not None and not (out.is_alive() or (err is not None and err.is_alive())):
            stream.close()
    return Outcome(
        request=request,
        returncode=proc.returncode,
        stdout=out.data(),
        stderr=err.data() if err else b"",
        duration_s=time.monotonic() - start,
        timed_out=timed_out,
        truncated=out.truncated or bool(err and err.truncated),
    )


def run_argv(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    stdin: bytes | None = None,
) -> Outcome:
    """Shorthand for `run(Request(...))`."""
    return run(Request(tuple(argv), cwd=cwd, env=env, timeout=timeout, stdin=stdin))


# --- streaming runs (agents) -------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren, ...), read from /proc.

    A process group is not enough to end an agent: a child may call setsid() and leave the group,
    and inside a bubblewrap sandbox the agent runs in a session of its own. While the tree is still
    connected, this finds them all.
    """
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces or ')'; fields follow the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def signal_tree(leader: int, pids: Sequence[int], sig: int) -> None:
    """Send `sig` to the process group led by `leader` and to each of `pids`."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _end_tree(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGINT, SIGTERM, SIGKILL to the group and to every descendant seen along the way."""
    seen: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        seen.extend(p for p in descendants(proc.pid) if p not in seen)
        signal_tree(proc.pid, seen, sig)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        if sig != signal.SIGKILL:
            # The leader is gone: end whatever it left behind without waiting on it again.
            seen.extend(p for p in descendants(proc.pid) if p not in seen)
            signal_tree(proc.pid, seen, signal.SIGKILL)
        break
    _wait_gone(seen, grace)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie holds nothing but its exit status)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def _wait_gone(pids: Sequence[int], timeout: float) -> None:
    """Killed processes take a moment to go (a pid namespace is torn down asynchronously)."""
    deadline = time.monotonic() + timeout
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)


@dataclass(frozen=True)
class StreamOutcome:
    """How a streamed process ended; its output went to the sink as it came."""

    returncode: int | None
    output: bytes
    """What the sink holds of the output (stdout and stderr, merged): all of it within
    `output_cap`, else its head, a marker saying how much was dropped, and its tail."""
    duration_s: float
    timed_out: bool = False
    truncated: bool = False
    stopped: str | None = None
    """Why the caller's `on_output` or `on_tick` asked to stop the process, when one did."""
    dropped: int = 0
    """Bytes of output left out of the middle of the transcript."""


class _StreamPump(threading.Thread):
    """Copies a streamed process's output to its capped transcript as it arrives, hands every
    chunk to the caller, and collects the first reason the caller gives to stop the process."""

    def __init__(
        self,
        pipe: IO[bytes],
        transcript: HeadTail,
        *,
        on_output: Callable[[bytes], str | None] | None,
    ) -> None:
        super().__init__(daemon=True)
        self._pipe = pipe
        self._transcript = transcript
        self._on_output = on_output
        self.stop_reason: list[str] = []
        self.wake = threading.Event()
        """Set when the process should be looked at again: output ended or a stop was asked."""

    def stop(self, reason: str) -> None:
        if not self.stop_reason:
            self.stop_reason.append(reason)
        self.wake.set()

    def run(self) -> None:
        read = self._pipe.read1 if hasattr(self._pipe, "read1") else self._pipe.read
        while True:
            chunk: bytes = read(65536)
            if not chunk:
                break
            self._take(chunk)
        self.wake.set()

    def _take(self, chunk: bytes) -> None:
        self._transcript.write(chunk)
        if self._on_output is not None and not self.stop_reason:
            reason = self._on_output(chunk)
            if reason:
                self.stop(reason)


def stream(
    request: Request,
    sink: BinaryIO,
    *,
    on_start: Callable[[int], None] | None = None,
    on_output: Callable[[bytes], str | None] | None = None,
    on_tick: Callable[[], str | None] | None = None,
    grace: float = 2.0,
) -> StreamOutcome:
    """Run a long process (an agent), writing its merged output to `sink` as it arrives.

    `on_start(pid)` runs once the process exists (record it before anything can crash);
    `on_output(chunk)` runs with every chunk of output, none skipped, and may return a reason to
    stop the process (a cost budget passed); `on_tick()` runs about five times a second and may do
    the same (the run was cancelled). Output volume never stops the process: past
    `request.output_cap` bytes the sink keeps the head and the tail (`crewchief.transcript`).
    Timeout and stop both end the whole tree with SIGINT, SIGTERM, SIGKILL, `grace` seconds apart.
    """
    start = time.monotonic()
    transcript = HeadTail(sink, request.output_cap)
    child = _spawn(request, merge_stderr=True)
    assert child.stdout is not None
    pump = _StreamPump(child.stdout, transcript, on_output=on_output)
    pump.start()
    _started(child, request, on_start)
    deadline = None if request.timeout is None else start + request.timeout
    try:
        timed_out = _watch(child, pump, deadline, on_tick, grace)
    except BaseException:
        _end_tree(child, 0.5)
        transcript.close()
        raise
    _reap(child, pump)
    transcript.close()
    return StreamOutcome(
        returncode=child.returncode,
        output=transcript.output(),
        duration_s=time.monotonic() - start,
        timed_out=timed_out,
        truncated=transcript.dropped > 0,
        stopped=pump.stop_reason[0] if pump.stop_reason else None,
        dropped=transcript.dropped,
    )


def _started(
    child: subprocess.Popen[bytes], request: Request, on_start: Callable[[int], None] | None
) -> None:
    """Tell the caller the pid (a failure there ends the process), then hand over stdin."""
    if on_start is not None:
        try:
            on_start(child.pid)
        except BaseException:
            _end_tree(child, 0.5)
            raise
    if request.stdin is not None and child.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(request.stdin)
            child.stdin.close()


def _watch(
    child: subprocess.Popen[bytes],
    pump: _StreamPump,
    deadline: float | None,
    on_tick: Callable[[], str | None] | None,
    grace: float,
) -> bool:
    """Wait for the process, ending its tree on a stop or at the deadline; True when it timed out."""
    while child.poll() is None:
        if not pump.stop_reason and on_tick is not None:
            reason = on_tick()
            if reason:
                pump.stop(reason)
        if pump.stop_reason:
            _end_tree(child, grace)
            return False
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            _end_tree(child, grace)
            return True
        pump.wake.wait(timeout=0.2 if left is None else min(0.2, left))
        pump.wake.clear()
    return False


def _reap(child: subprocess.Popen[bytes], pump: _StreamPump) -> None:
    # The agent is done: whatever it left in its group is an orphan. The group id cannot be reused
    # while members remain, so this never hits a stranger.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    # A straggler that left the group and kept the pipe open must not block us forever; its pipe
    # is then left to the daemon reader rather than closed under it.
    pump.join(timeout=5)
    if not pump.is_alive() and child.stdout is not None:
        child.stdout.close()
    child.wait()
