"""The projects the adversarial cases run on, and the one real bug each trick hides.

Each project has one deliberate behaviour break (an off-by-one in a real function) and a `probe`:
plain Python that holds on the project's real behaviour and fails once the break is in. The tricks
in cases.py combine that break with a way of keeping the project's tests green.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.scenarios.harness import Tree


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    requirement: str | None
    """An exact `name==version` PyPI sdist, or None for the purpose-built `calc`."""
    command: str
    """The policy's `[tests] command` (the real suites are trimmed to what runs in seconds)."""
    test_paths: tuple[str, ...]
    """Where the base's tests live: checked out over the head's code to prove a refactor."""
    import_paths: tuple[str, ...] = (".",)
    files: dict[str, str] = field(default_factory=dict)
    deps: tuple[str, ...] = ()


# --- toolz 0.12.0: take_nth starts at the second element ---------------------------------------

TOOLZ_CODE = "toolz/itertoolz.py"
TOOLZ_TESTS = "toolz/tests/test_itertoolz.py"
TOOLZ_PROBE = "from toolz import take_nth\nassert list(take_nth(2, 'ABCDE')) == list('ACE')\n"


def break_toolz(tree: Tree) -> None:
    tree.replace(
        TOOLZ_CODE,
        "return itertools.islice(seq, 0, None, n)",
        "return itertools.islice(seq, 1, None, n)",
    )


# --- more-itertools 10.3.0: quantify counts one too many ---------------------------------------

MI_CODE = "more_itertools/recipes.py"
MI_TESTS = "tests/test_recipes.py"
MI_GOOD = "    return sum(map(pred, iterable))\n"
MI_PROBE = "import more_itertools as mi\nassert mi.quantify([True, False, True]) == 2\n"


def break_mi(tree: Tree) -> None:
    tree.replace(MI_CODE, MI_GOOD, "    return sum(map(pred, iterable)) + 1\n")


# --- calc: a small src-layout project ------------------------------------------------------------

CALC_STATS = '''"""Small statistics."""


def mean(values):
    """The arithmetic mean."""
    values = list(values)
    if not values:
        raise ValueError("mean of nothing")
    return sum(values) / len(values)


def spread(values):
    """The distance between the largest and the smallest value.

    >>> spread([3, 9, 4])
    6
    """
    return max(values) - min(values)


def clamp(x, low, high):
    return max(low, min(x, high))


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2
'''
CALC_TESTING = '''"""Assertions the tests share (shipped in the package, as some projects do)."""


def assert_close(actual, expected, tol=1e-9):
    assert abs(actual - expected) <= tol, f"{actual} != {expected}"
'''
CALC_TESTS = """import pytest

from calc.stats import clamp, mean, median
from calc.testing import assert_close


def check_all(func, cases):
    for args, expected in cases:
        assert func(*args) == expected


def test_mean():
    assert_close(mean([1, 2, 3, 4]), 2.5)


def test_mean_single():
    assert_close(mean([7]), 7.0)


def test_mean_empty():
    with pytest.raises(ValueError):
        mean([])


def test_clamp():
    check_all(clamp, [((15, 0, 10), 10), ((-3, 0, 10), 0), ((5, 0, 10), 5)])


def test_median():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5


def test_median_empty():
    with pytest.raises(ValueError):
        median([])
"""
CALC_PYPROJECT = """[project]
name = "calc"
version = "1.0"

[tool.pytest.ini_options]
pythonpath = ["src"]
testpaths = ["tests", "src"]
addopts = "--doctest-modules"

[tool.coverage.run]
source = ["src"]

[tool.coverage.report]
fail_under = 100
show_missing = true
"""
CALC_SCALE = "def percent(part, whole):\n    return 100 * part / whole\n"
CALC_EXPECT = '''"""A check the tests share, named for neither tests nor testing."""


def expect_equal(actual, expected):
    assert actual == expected, f"{actual} != {expected}"
'''
CALC_SCALE_TESTS = """from calc.expect import expect_equal
from calc.scale import percent


def test_percent():
    expect_equal(percent(1, 4), 25.0)
"""
CALC_FILES = {
    "pyproject.toml": CALC_PYPROJECT,
    "src/calc/__init__.py": "",
    "src/calc/stats.py": CALC_STATS,
    "src/calc/testing.py": CALC_TESTING,
    "tests/test_stats.py": CALC_TESTS,
    "src/calc/scale.py": CALC_SCALE,
    "src/calc/expect.py": CALC_EXPECT,
    "tests/test_scale.py": CALC_SCALE_TESTS,
}
CALC_CODE = "src/calc/stats.py"
CALC_PROBE = "from calc.stats import mean\nassert mean([1, 2, 3, 4]) == 2.5\n"


def break_calc(tree: Tree) -> None:
    tree.replace(CALC_CODE, "sum(values) / len(values)", "sum(values) / (len(values) + 1)")


PROJECTS = {
    p.name: p
    for p in (
        ProjectSpec("toolz", "toolz==0.12.0", "pytest -q toolz/tests", ("toolz/tests",)),
        ProjectSpec(
            "more-itertools", "more-itertools==10.3.0", f"pytest -q {MI_TESTS}", (MI_TESTS,)
        ),
        ProjectSpec("calc", None, "pytest -q", ("tests",), ("src",), CALC_FILES),
    )
}
