from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from crewchief import proc
from crewchief.errors import ProcessError, UserError


def test_outcome_fields() -> None:
    out = proc.run_argv(
        [
            sys.executable,
            "-c",
            "import sys; print('hi'); print('err', file=sys.stderr); sys.exit(3)",
        ]
    )
    assert (out.returncode, out.stdout, out.stderr, out.ok) == (3, b"hi\n", b"err\n", False)
    with pytest.raises(ProcessError) as info:
        out.check()
    assert "exit 3" in str(info.value) and "err" in str(info.value)


HANG_GUARD_S = 120.0
"""How long a test waits for something that should happen at once before calling it a hang: a
guard against a test that never ends, never the assertion (no test here depends on speed)."""


def _running(pid: int) -> bool:
    """Alive and not a zombie: a killed process that nobody has reaped yet runs nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def _ends(pid: int) -> bool:
    """Whether `pid` stops running within the hang guard (a SIGKILL lands asynchronously)."""
    deadline = time.monotonic() + HANG_GUARD_S
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


def _timed_out_once(script: str, ready: Callable[[proc.Outcome], bool]) -> proc.Outcome:
    """Run `script` with a timeout that doubles until the child got as far as `ready` says before
    the timeout ended it: on a busy machine the interpreter may not even start in one second."""
    timeout = 1.0
    while True:
        out = proc.run(proc.Request((sys.executable, "-c", script), timeout=timeout))
        if ready(out) or timeout > HANG_GUARD_S:
            return out
        timeout *= 2


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'])\n"
        f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(3600)\n"
    )
    out = _timed_out_once(script, lambda _: marker.exists() and marker.read_text() != "")
    grandchild = int(marker.read_text())
    try:
        # killed by a signal, not finished: the hour-long sleep never ended on its own
        assert out.timed_out and not out.ok and out.returncode is not None and out.returncode < 0
        # the grandchild held the output pipes: had it lived, the readers would have been cut off
        assert not out.truncated
        assert _ends(grandchild), "grandchild survived the timeout"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(grandchild, signal.SIGKILL)


def test_ignoring_sigint_and_sigterm_still_ends() -> None:
    script = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(3600)\n"
    out = _timed_out_once(script, lambda o: o.stdout == b"ready\n")
    assert out.stdout == b"ready\n"  # the handlers were in place when the timeout came
    assert out.timed_out and out.returncode == -signal.SIGKILL


def test_output_is_capped_not_buffered_forever() -> None:
    script = "import sys\nfor _ in range(200): sys.stdout.write('x' * 100000)\n"
    out = proc.run(proc.Request((sys.executable, "-c", script), output_cap=1000))
    assert out.ok and out.truncated and len(out.stdout) == 1000


def test_missing_program_is_a_user_error() -> None:
    with pytest.raises(UserError, match="was not found on PATH"):
        proc.run_argv(["definitely-not-a-program-crewchief"])


def test_background_children_do_not_hang_the_call(tmp_path: Path) -> None:
    pid_file = tmp_path / "background.pid"
    script = f"sleep 3600 & echo $! > {pid_file}; echo hi"
    out = proc.run(proc.Request(("sh", "-c", script), timeout=HANG_GUARD_S))
    background = int(pid_file.read_text())
    try:
        # The background sleep held stdout open: the output is complete only because the sleep
        # was ended when its parent exited, not cut off after waiting for it.
        assert out.ok and not out.timed_out and not out.truncated and out.stdout == b"hi\n"
        assert _ends(background), "the background child outlived the call"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(background, signal.SIGKILL)


def test_a_child_that_never_reads_stdin_still_times_out() -> None:
    out = proc.run(
        proc.Request(
            (sys.executable, "-c", "import time; time.sleep(60)"),
            timeout=1,
            stdin=b"x" * (8 * 1024 * 1024),
        )
    )
    # Killed at its timeout: blocked writing its input, the call would have waited for the child
    # to end on its own (exit 0, no timeout) instead.
    assert out.timed_out and out.returncode is not None and out.returncode < 0


def test_missing_working_folder_is_named(tmp_path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        proc.run(proc.Request(("true",), cwd=tmp_path / "gone"))
