"""What counts as a pytest command, one reading for the gate and `doctor`."""

from __future__ import annotations

import pytest

from crewchief.workspace.pytest_command import is_pytest, pytest_args


@pytest.mark.parametrize(
    ("argv", "args"),
    [
        (["pytest", "-q", "tests"], ["-q", "tests"]),
        (["/x/.venv/bin/py.test"], []),
        (["python3.12", "-m", "pytest", "-x"], ["-x"]),
        (["/x/.venv/bin/python", "-m", "pytest"], []),
        (["python", "-m", "unittest"], None),
        (["make", "test"], None),
        (["tox", "-e", "py"], None),
        (["python"], None),
        ([], None),
    ],
)
def test_pytest_is_told_from_wrappers(argv: list[str], args: list[str] | None) -> None:
    assert pytest_args(argv) == args
    assert is_pytest(argv) is (args is not None)
