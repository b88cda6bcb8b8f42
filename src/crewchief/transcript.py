"""A transcript that keeps the start and the end of a long output, never all of it.

An agent can print tens of megabytes (a long Claude Code session in stream-json mode) and that is
no reason to stop it: its time and cost budgets end a run, not its output volume. What a person
needs from such a transcript is how the run began and how it ended, so `HeadTail` keeps the first
half of the cap and a rolling last half, and on `close` joins them with a marker saying how much
was dropped between. Until the output passes the cap it goes to the file as it comes (a reader
following the transcript sees it live); once it passes, the file is cut back to the head and the
tail is kept in memory until the end. Parsing the agent's usage is not this module's business:
that reads every line as it flows (`crewchief.runs.supervise`), never this capped copy.
"""

from __future__ import annotations

import threading
from typing import BinaryIO


def dropped_marker(dropped: int) -> bytes:
    """The line put where output was dropped, on a line of its own."""
    return f"\n[crewchief: {human_size(dropped)} of output dropped here]\n".encode()


def human_size(size: int) -> str:
    """`37.2 MB`, `12.0 KB`, `300 bytes`: the marker is read by people."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return "1 byte" if size == 1 else f"{size} bytes"


class HeadTail:
    """Writes a stream to `sink`, which ends up holding at most `cap` bytes of it plus a marker.

    The first `cap - cap // 2` bytes (the head) and the last `cap // 2` (the tail) are kept, byte
    for byte: no decoding, so binary and broken UTF-8 pass through unchanged. The sink must be
    seekable (a file or `BytesIO`); the stream starts at its position when the writer is made.
    Thread-safe: the pump writes while the process lives, the caller closes, and writes after the
    close (a straggler that kept the pipe open) are dropped.
    """

    def __init__(self, sink: BinaryIO, cap: int) -> None:
        if cap < 2:
            raise ValueError(f"a transcript cap must be at least 2 bytes, not {cap}")
        self._sink = sink
        self._head_cap = cap - cap // 2
        self._tail_cap = cap // 2
        self._cap = cap
        self._start = sink.tell()
        self._kept = bytearray()
        """While the output fits the cap: all of it. Past the cap: the head."""
        self._tail = bytearray()
        self._overflowed = False
        self._closed = False
        self._lock = threading.Lock()
        self.total = 0
        """Bytes of output seen, kept or not."""

    @property
    def dropped(self) -> int:
        return self.total - len(self._kept) - len(self._tail)

    def write(self, chunk: bytes) -> None:
        with self._lock:
            if self._closed or not chunk:
                return
            self.total += len(chunk)
            if not self._overflowed and self.total <= self._cap:
                self._kept.extend(chunk)
                self._sink.write(chunk)
                self._sink.flush()
                return
            if not self._overflowed:
                self._overflow(chunk)
            else:
                self._tail.extend(chunk)
            if len(self._tail) > self._tail_cap:
                del self._tail[: len(self._tail) - self._tail_cap]

    def _overflow(self, chunk: bytes) -> None:
        """The cap is passed: the file is made to hold just the head (cut back to it, or filled up
        to it from this chunk); whatever follows the head starts the tail."""
        self._overflowed = True
        written = len(self._kept)
        self._kept.extend(chunk)
        self._tail = self._kept[self._head_cap :]
        del self._kept[self._head_cap :]
        if written < len(self._kept):
            self._sink.write(self._kept[written:])
        else:
            end = self._start + len(self._kept)
            self._sink.flush()
            self._sink.truncate(end)
            self._sink.seek(end)
        self._sink.flush()

    def close(self) -> None:
        """Write the marker and the tail after the head (nothing when nothing was dropped)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._overflowed:
                self._sink.write(dropped_marker(self.dropped) + bytes(self._tail))
                self._sink.flush()

    def output(self) -> bytes:
        """What the transcript holds of this stream: all of it, or head, marker and tail."""
        with self._lock:
            if not self._overflowed:
                return bytes(self._kept)
            return bytes(self._kept) + dropped_marker(self.dropped) + bytes(self._tail)
