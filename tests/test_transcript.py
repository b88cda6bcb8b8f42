"""The capped transcript: the head and the tail of an output kept byte for byte, the middle dropped
with a marker, never more than the cap in the file."""

from __future__ import annotations

import io
import re
import sys
import threading
from pathlib import Path

import pytest

from crewchief import proc
from crewchief.transcript import HeadTail, dropped_marker, human_size


def write_all(cap: int, chunks: list[bytes], prefix: bytes = b"") -> tuple[bytes, HeadTail]:
    sink = io.BytesIO()
    sink.write(prefix)
    writer = HeadTail(sink, cap)
    for chunk in chunks:
        writer.write(chunk)
    writer.close()
    return sink.getvalue(), writer


def test_output_within_the_cap_is_kept_whole_without_a_marker() -> None:
    data, writer = write_all(10, [b"0123", b"456789"])
    assert data == b"0123456789"
    assert writer.output() == data and writer.dropped == 0


def test_one_byte_past_the_cap_keeps_exact_head_and_tail_halves() -> None:
    data, writer = write_all(10, [b"01234", b"56789", b"A"])
    assert data == b"01234" + dropped_marker(1) + b"6789A"  # "5" dropped
    assert b"[crewchief: 1 byte of output dropped here]" in data
    assert writer.dropped == 1 and writer.total == 11


def test_an_odd_cap_gives_the_extra_byte_to_the_head() -> None:
    data, _ = write_all(7, [bytes(range(20))])
    assert data == bytes(range(4)) + dropped_marker(13) + bytes(range(17, 20))


def test_a_single_line_longer_than_the_cap_keeps_its_ends() -> None:
    line = b"<" + b"m" * 1000 + b">\n"
    data, writer = write_all(100, [line])
    assert data == line[:50] + dropped_marker(len(line) - 100) + line[-50:]
    assert writer.output() == data


def test_many_chunks_keep_the_file_within_cap_plus_marker() -> None:
    chunks = [f"line {i:06d}\n".encode() for i in range(50_000)]
    total = sum(len(c) for c in chunks)
    data, writer = write_all(4096, chunks)
    marker = dropped_marker(total - 4096)
    assert len(data) == 4096 + len(marker)
    everything = b"".join(chunks)
    assert data == everything[:2048] + marker + everything[-2048:]
    assert writer.output() == data


def test_binary_and_broken_utf8_pass_through_unchanged() -> None:
    noise = bytes(range(256)) * 40 + b"\xff\xfe\xc3(\x00"
    data, _ = write_all(1000, [noise[:3000], noise[3000:]])
    assert data.startswith(noise[:500]) and data.endswith(noise[-500:])


def test_what_came_before_the_stream_is_left_alone() -> None:
    data, _ = write_all(10, [b"a" * 30], prefix=b"$ agent --flag\n")
    assert data == b"$ agent --flag\n" + b"aaaaa" + dropped_marker(20) + b"aaaaa"


def test_a_file_opened_for_append_is_cut_back_and_completed(tmp_path: Path) -> None:
    path = tmp_path / "transcript.log"
    path.write_bytes(b"# header\n")
    with open(path, "ab") as sink:
        writer = HeadTail(sink, 64)
        for i in range(1000):
            writer.write(b"%04d\n" % i)
        writer.close()
        sink.write(b"# exit: 0\n")
    text = path.read_bytes()
    assert text.startswith(b"# header\n0000\n0001\n")
    assert text.endswith(b"0998\n0999\n# exit: 0\n")
    assert len(text) == len(b"# header\n") + 64 + len(dropped_marker(5000 - 64)) + len(
        b"# exit: 0\n"
    )


def test_writes_after_close_are_dropped() -> None:
    sink = io.BytesIO()
    writer = HeadTail(sink, 10)
    writer.write(b"x" * 20)
    writer.close()
    writer.write(b"late")
    writer.close()
    assert sink.getvalue() == b"x" * 5 + dropped_marker(10) + b"x" * 5


def test_concurrent_writes_never_pass_the_cap() -> None:
    sink = io.BytesIO()
    writer = HeadTail(sink, 1000)

    def flood() -> None:
        for _ in range(200):
            writer.write(b"y" * 97)

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert len(sink.getvalue()) == 1000 + len(dropped_marker(4 * 200 * 97 - 1000))


def test_a_cap_too_small_to_split_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        HeadTail(io.BytesIO(), 1)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1536, "1.5 KB"), (39 << 20, "39.0 MB")],
)
def test_sizes_are_said_for_people(size: int, text: str) -> None:
    assert human_size(size) == text


def test_a_flooding_process_is_not_stopped_and_its_every_byte_is_seen() -> None:
    """`proc.stream`: output volume alone never stops a process; the caller sees every chunk."""
    script = (
        "import sys\n"
        "out = sys.stdout.buffer\n"
        "out.write(b'FIRST\\n')\n"
        "for i in range(3000):\n"
        "    out.write(b'%05d' % i + b'.' * 1018 + b'\\n')\n"
        "out.write(b'LAST\\n')\n"
    )
    seen: list[int] = []

    def on_output(chunk: bytes) -> str | None:
        seen.append(len(chunk))
        return None

    sink = io.BytesIO()
    outcome = proc.stream(
        proc.Request((sys.executable, "-c", script), output_cap=64 * 1024),
        sink,
        on_output=on_output,
    )
    total = 6 + 3000 * 1024 + 5
    assert outcome.returncode == 0 and outcome.stopped is None and not outcome.timed_out
    assert sum(seen) == total
    assert outcome.truncated and outcome.dropped == total - 64 * 1024
    assert outcome.output == sink.getvalue()
    assert sink.getvalue().startswith(b"FIRST\n") and sink.getvalue().endswith(b"LAST\n")
    found = re.findall(rb"\[crewchief: ([\d.]+) MB of output dropped here\]", sink.getvalue())
    assert found == [b"2.9"]
    assert len(sink.getvalue()) == 64 * 1024 + len(dropped_marker(outcome.dropped))
