"""The hygiene rules that read code paths rather than names: a return lost on one path only,
a library module that configures the process when imported, and JavaScript/TypeScript debug
leftovers. Each positive has the clean look-alike a real project has beside it."""

from __future__ import annotations

import ast

import pytest

from crewchief.gate.checks.hygiene.fallthrough import fall_through_lines
from tests.checks.test_hygiene import LIB, rules, run

SIGN = (
    "def sign(x):\n"
    "    if x > 0:\n"
    "        return 1\n"
    "    elif x < 0:\n"
    "        return -1\n"
    "    else:\n"
    "        return 0\n"
)


def _lines(source: str) -> tuple[int, ...]:
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    return fall_through_lines(func)


# --- 1. a return removed on one path -------------------------------------------------------------


def test_a_branch_that_no_longer_returns_is_reported_with_both_lines() -> None:
    head = SIGN.replace("        return -1\n", "        log(x)\n")
    found = run({LIB: SIGN}, {LIB: head})
    assert [(f.rule, f.line) for f in found] == [("removed-return", 5)]
    assert "line 5: `return -1`" in found[0].message
    assert "runs off the end" in found[0].message


def test_a_value_return_that_became_a_bare_return() -> None:
    head = SIGN.replace("        return -1\n", "        return\n")
    found = run({LIB: SIGN}, {LIB: head})
    assert [(f.rule, f.line) for f in found] == [("removed-return", 5)]
    assert "bare `return`" in found[0].message


def test_a_return_lost_after_a_try() -> None:
    base = (
        "def load(path):\n"
        "    try:\n"
        "        data = read(path)\n"
        "    except OSError:\n"
        "        return {}\n"
        "    else:\n"
        "        return parse(data)\n"
    )
    head = base.replace("        return parse(data)\n", "        parse(data)\n")
    assert [(f.rule, f.line) for f in run({LIB: base}, {LIB: head})] == [("removed-return", 7)]


def test_a_while_true_loop_that_now_breaks_out() -> None:
    base = (
        "def first(items, default):\n"
        "    if not items:\n"
        "        return default\n"
        "    while True:\n"
        "        item = items.pop()\n"
        "        if item:\n"
        "            return item\n"
    )
    head = base.replace("            return item\n", "            break\n")
    assert [(f.rule, f.line) for f in run({LIB: base}, {LIB: head})] == [("removed-return", 7)]


@pytest.mark.parametrize(
    "head",
    [
        SIGN.replace("        return -1\n", "        raise ValueError(x)\n"),
        SIGN.replace("        return -1\n", "        return -2\n"),
        SIGN.replace("    elif x < 0:\n        return -1\n", ""),
    ],
    ids=["return-became-raise", "value-changed", "branch-merged"],
)
def test_paths_that_still_return_or_raise_are_clean(head: str) -> None:
    assert rules({LIB: SIGN}, {LIB: head}) == []


def test_no_finding_when_base_could_already_fall_through() -> None:
    base = (
        "def find(items, key):\n"
        "    if key is None:\n"
        "        return -1\n"
        "    for item in items:\n"
        "        if item == key:\n"
        "            return item\n"
    )
    head = base.replace("            return item\n", "            log(item)\n")
    assert rules({LIB: base}, {LIB: head}) == []


def test_generators_init_and_none_returning_functions_are_skipped() -> None:
    init = "class A:\n    def __init__(self, x):\n        if x:\n            return\n        raise ValueError\n"
    assert rules({LIB: init}, {LIB: init.replace("            return\n", "            pass\n")}) == []
    gen = "def g(x):\n    if x:\n        yield 1\n        return 2\n    raise ValueError\n"
    assert rules({LIB: gen}, {LIB: gen.replace("        return 2\n", "        pass\n")}) == []
    none = "def n(x):\n    if x:\n        return None\n    raise ValueError\n"
    assert rules({LIB: none}, {LIB: none.replace("        return None\n", "        pass\n")}) == []


@pytest.mark.parametrize(
    ("source", "falls"),
    [
        ("def f(x):\n    if x:\n        return 1\n    return 2\n", ()),
        ("def f(x):\n    if x:\n        return 1\n", (2,)),
        ("def f(x):\n    for i in x:\n        return i\n    else:\n        return 0\n", ()),
        ("def f(x):\n    for i in x:\n        break\n    else:\n        return 0\n", (3,)),
        ("def f(x):\n    while True:\n        pass\n", ()),
        ("def f(x):\n    with open(x) as h:\n        return h.read()\n", ()),
        ("def f(x):\n    with suppress(E):\n        return g()\n", (2,)),
        ("def f(x):\n    try:\n        return 1\n    finally:\n        log()\n", ()),
        ("def f(x):\n    try:\n        g()\n    finally:\n        return 1\n", ()),
        ("def f(x):\n    try:\n        return 1\n    except E:\n        log()\n", (5,)),
        ("def f(x):\n    match x:\n        case 1:\n            return 1\n", (2,)),
        ("def f(x):\n    match x:\n        case 1:\n            return 1\n        case _:\n"
         "            return 0\n", ()),
        ("def f(x):\n    def inner():\n        return 1\n    inner()\n", (4,)),
        ("def f(x):\n    if x:\n        return 1\n    sys.exit(2)\n", ()),
    ],
)  # fmt: skip
def test_fall_through_analysis(source: str, falls: tuple[int, ...]) -> None:
    assert _lines(source) == falls
