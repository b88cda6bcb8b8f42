"""Run the CLI in-process and capture what it prints and its exit code."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from crewchief.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
