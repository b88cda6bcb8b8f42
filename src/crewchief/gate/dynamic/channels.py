"""The two routes by which crewchief's reporter streams outcomes to the gate while pytest runs.

- **An inherited pipe** (the main route): the gate makes a pipe, passes its writing end to the test
  command by descriptor number (`CREWCHIEF_PYTEST_STREAM_FD`) and keeps the reading end. Nothing on
  disk names it, so no other process can open it: not a process the tests start (the reporter makes
  its copy non-inheritable at once), not a daemon left running from an earlier command, not a
  second checkout's tests. Code in pytest's own process can still write to it, as it can to any
  descriptor it holds; the stream's strength against that code is that lines already read cannot
  be taken back (see `evidence`).
- **A FIFO in the evidence folder** (the fallback): a wrapper that closes inherited descriptors
  before it starts pytest (tox and nox start commands with `close_fds`) leaves the reporter without
  the pipe; it then opens the FIFO by its path. That path is writable by anything in the sandbox,
  so when the reporter did get the pipe, anything that arrives on the FIFO was written by someone
  else, and the run's evidence is inconsistent.

The gate holds a writing end of each during the run, so its reader never sees an end of file
before the reporter has opened them; afterwards it reads until every writer has closed, or a few
seconds more when a process the tests started still holds one.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crewchief.gate.dynamic import evidence

CAP = 64 * 1024 * 1024
GRACE_S = 5.0
FD_VARIABLE = "CREWCHIEF_PYTEST_STREAM_FD"
PATH_VARIABLE = "CREWCHIEF_PYTEST_STREAM"


@dataclass
class Received:
    """What arrived on each route; complete once the `collected` block has exited."""

    pipe_fd: int
    """The pipe's writing end, for the command to inherit (closed by the gate after the run)."""
    pipe: bytearray = field(default_factory=bytearray)
    fifo: bytearray | None = None
    """None where the evidence folder cannot hold a FIFO (the fallback is then not offered)."""

    def stream(self) -> tuple[evidence.Stream | None, str]:
        """The reporter's stream (None when neither route was open to it), and why the routes
        disagree ("" when they do not)."""
        piped = evidence.parse_stream(bytes(self.pipe))
        by_path = bytes(self.fifo or b"")
        if piped.started:
            if by_path.strip():
                return piped, (
                    "the reporter streamed on its inherited pipe, yet "
                    f"{len(by_path)} bytes arrived on the fallback FIFO by its path "
                    "(written by something other than the reporter)"
                )
            return piped, ""
        if self.fifo is None:
            return None, ""
        return evidence.parse_stream(by_path), ""

    def environment(self, path: Path) -> dict[str, str]:
        """The variables that tell the reporter where to stream."""
        # The pipe's inode beside its number: a wrapper that closed the descriptor may have let
        # the number be reused for another pipe, which the reporter must not write into.
        env = {FD_VARIABLE: f"{self.pipe_fd}:{os.fstat(self.pipe_fd).st_ino}"}
        if self.fifo is not None:
            env[PATH_VARIABLE] = str(path)
        return env


def _fifo(path: Path) -> tuple[int, int] | None:
    """A FIFO at `path`: its reading end and the gate's own writing end, or None."""
    path.unlink(missing_ok=True)
    try:
        os.mkfifo(path, 0o600)
        reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        path.unlink(missing_ok=True)
        return None
    return reader, os.open(path, os.O_WRONLY)


def _pump(sources: dict[int, bytearray], done: threading.Event) -> None:
    """Read every source until each has ended, or until the grace after `done` runs out."""
    deadline: float | None = None
    while sources:
        if done.is_set() and deadline is None:
            deadline = time.monotonic() + GRACE_S
        ready, _, _ = select.select(list(sources), [], [], 0.1)
        for fd in ready:
            with contextlib.suppress(BlockingIOError):
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    del sources[fd]
                    continue
                target = sources[fd]
                target.extend(chunk[: max(0, CAP - len(target))])
        if not ready and deadline is not None and time.monotonic() > deadline:
            return


@contextlib.contextmanager
def collected(path: Path) -> Iterator[Received]:
    """Both routes open for the block (a test command runs in it), read by a thread; closed and
    the FIFO removed on exit."""
    reader, writer = os.pipe()
    os.set_blocking(reader, False)
    fifo = _fifo(path)
    received = Received(writer, fifo=bytearray() if fifo else None)
    sources = {reader: received.pipe}
    if fifo is not None and received.fifo is not None:
        sources[fifo[0]] = received.fifo
    done = threading.Event()
    thread = threading.Thread(target=_pump, args=(sources, done), name=f"stream {path.name}")
    thread.daemon = True
    thread.start()
    try:
        yield received
    finally:
        os.close(writer)
        if fifo is not None:
            os.close(fifo[1])
        done.set()
        thread.join()
        os.close(reader)
        if fifo is not None:
            os.close(fifo[0])
            path.unlink(missing_ok=True)
