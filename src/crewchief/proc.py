"""The one place crewchief starts processes.

A process run is a value: a request (argv, cwd, env, timeout) goes in, an outcome (exit code, output,
duration) comes out. Never a shell. Each child gets its own process group so a timeout ends the whole
tree, escalating SIGINT, SIGTERM, SIGKILL, and output is capped so a flood cannot exhaust memory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crewchief.errors import ProcessError, UserError

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


def run(request: Request) -> Outcome:
    """Run one process to completion (or its timeout) and return what happened."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            request.argv,
            cwd=request.cwd,
            env=dict(request.env) if request.env is not None else None,
            stdin=subprocess.PIPE if request.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if request.merge_stderr else subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise UserError(
            f"'{request.argv[0]}' was not found on PATH; install it or fix the command"
        ) from exc
    except PermissionError as exc:
        raise UserError(f"'{request.argv[0]}' is not executable: {exc.strerror}") from exc
    out = _CappedReader(proc.stdout, request.output_cap)
    err = _CappedReader(proc.stderr, request.output_cap) if proc.stderr else None
    out.start()
    if err:
        err.start()
    if request.stdin is not None and proc.stdin is not None:
        try:
            proc.stdin.write(request.stdin)
            proc.stdin.close()
        except BrokenPipeError:
            pass
    timed_out = False
    try:
        proc.wait(timeout=request.timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
    except BaseException:
        _kill_group(proc, grace=0.5)
        raise
    out.join()
    if err:
        err.join()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
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
