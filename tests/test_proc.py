from __future__ import annotations

import os
import sys
import time

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


def test_timeout_kills_the_whole_process_group(tmp_path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(60)\n"
    )
    start = time.monotonic()
    out = proc.run(proc.Request((sys.executable, "-c", script), timeout=1.5))
    assert out.timed_out and not out.ok
    assert time.monotonic() - start < 10
    grandchild = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("grandchild survived the timeout")


def test_ignoring_sigint_and_sigterm_still_ends() -> None:
    script = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(60)\n"
    out = proc.run(proc.Request((sys.executable, "-c", script), timeout=1))
    assert out.timed_out and out.returncode is not None and out.returncode < 0


def test_output_is_capped_not_buffered_forever() -> None:
    script = "import sys\nfor _ in range(200): sys.stdout.write('x' * 100000)\n"
    out = proc.run(proc.Request((sys.executable, "-c", script), output_cap=1000))
    assert out.ok and out.truncated and len(out.stdout) == 1000


def test_missing_program_is_a_user_error() -> None:
    with pytest.raises(UserError, match="was not found on PATH"):
        proc.run_argv(["definitely-not-a-program-crewchief"])


def test_background_children_do_not_hang_the_call() -> None:
    start = time.monotonic()
    out = proc.run(proc.Request(("sh", "-c", "sleep 30 & echo hi"), timeout=10))
    assert out.ok and out.stdout == b"hi\n"
    assert time.monotonic() - start < 5


def test_a_child_that_never_reads_stdin_still_times_out() -> None:
    start = time.monotonic()
    out = proc.run(
        proc.Request(
            (sys.executable, "-c", "import time; time.sleep(60)"),
            timeout=1,
            stdin=b"x" * (8 * 1024 * 1024),
        )
    )
    assert out.timed_out and time.monotonic() - start < 10


def test_missing_working_folder_is_named(tmp_path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        proc.run(proc.Request(("true",), cwd=tmp_path / "gone"))
