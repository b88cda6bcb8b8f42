"""bandit in a child process (`bandit_runner.Prefetch`): the same findings as in-process, nothing
imported from the judged repository, and a failed child costs only time, never a finding."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crewchief.gate.cache import Cache
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security import bandit_runner, check
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy

RISKY = b"""\
import pickle
import subprocess


def run(cmd, blob):
    subprocess.call(cmd, shell=True)
    return pickle.loads(blob)
"""
PLAIN = b"def add(a, b):\n    return a + b\n"
ODD_NAME = "pkg/caf\udce9.py"  # a non-UTF-8 file name, as git hands it over


def _items() -> list[tuple[bytes, str]]:
    return [(RISKY, "pkg/risky.py"), (PLAIN, "pkg/plain.py"), (RISKY, ODD_NAME)]


def test_the_child_finds_what_the_in_process_scan_finds() -> None:
    prefetch = bandit_runner.Prefetch(_items())
    for data, path in _items():
        here = bandit_runner.scan(data, path)
        assert prefetch.get(data, path) == here
    assert {i.test_id for i in bandit_runner.scan(RISKY, "pkg/risky.py")} >= {"B602", "B301"}
    assert prefetch.get(b"x = 1\n", "pkg/other.py") is None  # not in the batch: caller scans it


def test_the_child_imports_nothing_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate runs in the judged repository; a `bandit/` or `crewchief/` folder there must not
    replace the real ones in the child (it runs with `-I`, away from the current folder)."""
    marker = tmp_path / "imported"
    for package in ("bandit", "crewchief"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(
            f"open({str(marker)!r}, 'w').write('yes')\n"
        )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    prefetch = bandit_runner.Prefetch(_items())
    assert prefetch.get(RISKY, "pkg/risky.py") == bandit_runner.scan(RISKY, "pkg/risky.py")
    assert not marker.exists()


def test_a_child_that_fails_leaves_the_files_to_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    prefetch = bandit_runner.Prefetch(_items())
    assert prefetch.get(RISKY, "pkg/risky.py") is None


def _rules(findings: list[Finding]) -> list[tuple[str, str | None, int | None]]:
    return sorted((f.rule, f.path, f.line) for f in findings)


def test_the_gate_reports_the_same_with_and_without_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The threshold decides only where bandit runs: a large change (child) and a small one (here)
    give the same findings, and a warm cache starts no child at all."""
    base = {"pkg/plain.py": PLAIN.decode()}
    head = {f"pkg/m{i}.py": RISKY.decode() + f"\nN = {i}\n" for i in range(6)}
    change = Change.from_files(base, head)
    here = _rules(list(CHECK.run(CheckContext(change, Policy()))))
    assert ("bandit-b602", "pkg/m0.py", 6) in here, here

    started: list[int] = []
    real = bandit_runner.Prefetch

    def counting(items: list[tuple[bytes, str]]) -> bandit_runner.Prefetch:
        started.append(len(items))
        return real(items)

    monkeypatch.setattr(check, "PREFETCH_MIN_BYTES", 1)
    monkeypatch.setattr(check, "Prefetch", counting)
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        cold = _rules(list(CHECK.run(CheckContext(change, Policy(), cache=cache))))
        warm = _rules(list(CHECK.run(CheckContext(change, Policy(), cache=cache))))
    finally:
        cache.close()
    assert cold == here and warm == here
    assert started == [6]
