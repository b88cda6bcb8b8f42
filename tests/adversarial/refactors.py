"""Honest test refactors (issue #10's list): each keeps behaviour, so the base's tests still pass on
the head's code, or changes exactly what its task asks (with `supersedes`). None may block."""

from __future__ import annotations

from tests.adversarial import projects as p
from tests.adversarial.case import Case, refactor, steps
from tests.scenarios.harness import Tree

FOLDED = (
    "def test_rest():\n"
    "    assert list(rest('ABCDE')) == list('BCDE')\n"
    "    assert list(rest((3, 2, 1))) == list((2, 1))\n\n\n",
    "def test_take():\n"
    "    assert list(take(3, 'ABCDE')) == list('ABC')\n"
    "    assert list(take(2, (3, 2, 1))) == list((3, 2))\n\n\n",
    "def test_drop():\n"
    "    assert list(drop(3, 'ABCDE')) == list('DE')\n"
    "    assert list(drop(1, (3, 2, 1))) == list((2, 1))\n\n\n",
    "def test_take_nth():\n    assert list(take_nth(2, 'ABCDE')) == list('ACE')\n\n\n",
)
PARAMETRISED = """

@pytest.mark.parametrize(
    ("func", "args", "expected"),
    [
        (rest, ("ABCDE",), list("BCDE")),
        (rest, ((3, 2, 1),), [2, 1]),
        (take, (3, "ABCDE"), list("ABC")),
        (take, (2, (3, 2, 1)), [3, 2]),
        (drop, (3, "ABCDE"), list("DE")),
        (drop, (1, (3, 2, 1)), [2, 1]),
        (take_nth, (2, "ABCDE"), list("ACE")),
    ],
)
def test_slicing(func, args, expected):
    assert list(func(*args)) == expected
"""


def fold(tree: Tree) -> None:
    for test in FOLDED:
        tree.replace(p.TOOLZ_TESTS, test, "")
    tree.write(p.TOOLZ_TESTS, "import pytest\n" + tree.read(p.TOOLZ_TESTS) + PARAMETRISED)


def rename(tree: Tree) -> None:
    text = tree.read("toolz/tests/test_utils.py")
    tree.delete("toolz/tests/test_utils.py")
    tree.write("toolz/tests/test_raises.py", text)


NO_COMPAT = """import importlib

import pytest


def test_compatibility_is_gone():
    with pytest.raises(ImportError):
        importlib.import_module("toolz.compatibility")
"""
COMPAT_TASK = {
    ".crewchief/tasks/remove-compat.md": (
        "---\nid: remove-compat\ntitle: remove the deprecated toolz.compatibility module\n"
        "acceptance:\n  - toolz/tests/test_no_compatibility.py::test_compatibility_is_gone\n"
        "supersedes:\n  - toolz/tests/test_compatibility.py::test_compat_warn\n---\n"
        "toolz.compatibility has warned for years that it will go: remove it and its test.\n"
    ),
    ".crewchief/tasks/remove-compat/toolz/tests/test_no_compatibility.py": NO_COMPAT,
}

MEAN_ZERO = "from calc.stats import mean\n\n\ndef test_mean_of_nothing_is_zero():\n"
MEAN_ZERO += "    assert mean([]) == 0.0\n"
MEAN_TASK = {
    ".crewchief/tasks/mean-empty.md": (
        "---\nid: mean-empty\ntitle: the mean of nothing is 0.0\n"
        "acceptance:\n  - tests/test_mean_zero.py::test_mean_of_nothing_is_zero\n"
        "supersedes:\n  - tests/test_stats.py::test_mean_empty\n---\n"
        "Dashboards call mean() on empty windows: return 0.0 instead of raising ValueError.\n"
    ),
    ".crewchief/tasks/mean-empty/tests/test_mean_zero.py": MEAN_ZERO,
}
ALL_EQUAL_TRUE = (
    "    def test_true(self):\n"
    "        self.assertTrue(mi.all_equal('aaaaaa'))\n"
    "        self.assertTrue(mi.all_equal([0, 0, 0, 0]))\n"
)
ALL_EQUAL_FALSE = (
    "        self.assertFalse(mi.all_equal('aaaaab'))\n"
    "        self.assertFalse(mi.all_equal([0, 0, 0, 1]))\n"
)

REFACTORS: list[Case] = [
    refactor("fold-parametrize", "toolz", "four tests folded into one parametrised test")(fold),
    refactor("split-test", "more-itertools", "a two-assert test split in two")(
        lambda t: t.replace(
            p.MI_TESTS,
            ALL_EQUAL_TRUE,
            "    def test_true_str(self):\n        self.assertTrue(mi.all_equal('aaaaaa'))\n\n"
            "    def test_true_list(self):\n        self.assertTrue(mi.all_equal([0, 0, 0, 0]))\n",
        )
    ),
    refactor("tuple-assert", "more-itertools", "two asserts -> one tuple comparison")(
        lambda t: t.replace(
            p.MI_TESTS,
            ALL_EQUAL_FALSE,
            "        self.assertEqual(\n"
            "            (mi.all_equal('aaaaab'), mi.all_equal([0, 0, 0, 1])), (False, False)\n"
            "        )\n",
        )
    ),
    refactor("helper-move", "calc", "asserts moved into an existing helper")(
        lambda t: t.replace(
            "tests/test_stats.py",
            "    assert median([3, 1, 2]) == 2\n    assert median([4, 1, 3, 2]) == 2.5\n",
            "    check_all(median, [(([3, 1, 2],), 2), (([4, 1, 3, 2],), 2.5)])\n",
        )
    ),
    refactor("rename-test-file", "toolz", "pure rename of a test file")(rename),
    refactor(
        "remove-deprecated",
        "toolz",
        "requested removal of a deprecated module and its tests (supersedes)",
        task=COMPAT_TASK,
        task_id="remove-compat",
        supersedes=("toolz/tests/test_compatibility.py::test_compat_warn",),
        probe="import toolz\nfrom toolz import take_nth\nassert list(take_nth(2, 'ABCDE')) == ['A', 'C', 'E']\n",
    )(
        steps(
            lambda t: t.delete("toolz/compatibility.py"),
            lambda t: t.delete("toolz/tests/test_compatibility.py"),
        )
    ),
    refactor(
        "pinned-behaviour-change",
        "calc",
        "task changes behaviour an existing test pins (supersedes)",
        task=MEAN_TASK,
        task_id="mean-empty",
        supersedes=("tests/test_stats.py::test_mean_empty",),
    )(
        steps(
            lambda t: t.replace(p.CALC_CODE, 'raise ValueError("mean of nothing")', "return 0.0"),
            lambda t: t.replace(
                "tests/test_stats.py",
                "    with pytest.raises(ValueError):\n        mean([])\n",
                "    assert mean([]) == 0.0\n",
            ),
        )
    ),
]
