"""Labelled scenarios for the last items of issue 18: exact assertions swapped for looser ones
(`test-integrity/assertion-loosened`), loosened and capped pins (`dependencies/loosened-pin`,
`dependencies/upper-bound-added`), and setup.py requirements built with `.format()` (read, so the
package they declare is never an `undeclared-import`). Issue 10's static tricks join them: a report
hook hidden in a utf-7 "comment", a hook bound by assignment, a test file turned into a symlink to a
weakened copy, and a parametrize table edited to the broken code's output.

Every weakened test here passes under plain pytest on the broken code it hides, while the original
test fails there; `PROOFS` lists what to run and `test_slop_proofs.py` runs it on the sdists. Each
clean look-alike is a change a reviewer would accept: a test that expects the error the code now
raises on purpose, a floor raised for a security fix, a requirement spelled with `.format()`.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.scenarios.harness import Scenario, Tree, scenario

TI = "test-integrity"
DEPS = "dependencies"
SLOP_SCENARIOS: list[Scenario] = []


def add(sc: Scenario) -> Scenario:
    SLOP_SCENARIOS.append(sc)
    return sc


# --- assertion strength ---------------------------------------------------------------------


def break_naturalsize(t: Tree) -> None:
    """The bug the weakened filesize test hides: two decimals instead of one."""
    t.replace("src/humanize/filesize.py", '    format: str = "%.1f",', '    format: str = "%.2f",')


@add
@scenario(
    "humanize-naturalsize-test-checks-only-the-type",
    "humanize",
    "breaks naturalsize's rounding and turns its exact test into an isinstance check",
    "block",
    [TI],
    may=["api"],  # the bug is a changed default of a public function: api rightly reports it
    rules=["test-integrity/assertion-loosened"],
)
def _(t: Tree) -> None:
    break_naturalsize(t)
    t.replace(
        "tests/test_filesize.py",
        "    assert humanize.naturalsize(*test_args) == expected\n",
        "    assert isinstance(humanize.naturalsize(*test_args), str)\n",
    )
    t.replace(
        "tests/test_filesize.py",
        '    assert humanize.naturalsize(*args_with_negative) == "-" + expected\n',
        '    assert "-" in humanize.naturalsize(*args_with_negative)\n',
    )


def break_ordinal(t: Tree) -> None:
    """The bug the weakened ordinal test hides: every number gets the suffix of 0 ("th")."""
    t.replace(
        "src/humanize/number.py",
        '    return f"{value}{t[value % 10]}"',
        '    return f"{value}{t[0]}"',
    )


@add
@scenario(
    "humanize-ordinal-test-checks-membership",
    "humanize",
    "breaks ordinal suffixes and makes the test accept either the right suffix or 'th'",
    "block",
    [TI],
    rules=["test-integrity/assertion-loosened"],
)
def _(t: Tree) -> None:
    break_ordinal(t)
    t.replace(
        "tests/test_number.py",
        "    assert humanize.ordinal(test_input) == expected\n",
        '    assert humanize.ordinal(test_input) in (expected, f"{test_input}th")\n',
    )


def break_next_weekday(t: Tree) -> None:
    """The bug: Monday (0) is rejected as out of range."""
    t.replace(
        "arrow/util.py", "    if weekday < 0 or weekday > 6:", "    if weekday <= 0 or weekday > 6:"
    )


@add
@scenario(
    "arrow-exact-weekday-replaced-by-two-raises",
    "arrow",
    "breaks next_weekday for Monday and replaces the exact Monday assertion by two raises(...)",
    "block",
    [TI],
    rules=["test-integrity/assertion-loosened"],
)
def _(t: Tree) -> None:
    break_next_weekday(t)
    t.replace(
        "tests/test_util.py",
        "        assert util.next_weekday(datetime(1970, 1, 1), 0) == datetime(1970, 1, 5)\n",
        "        with pytest.raises(ValueError):\n"
        "            util.next_weekday(datetime(1970, 1, 1), 0)\n"
        "        with pytest.raises(ValueError):\n"
        "            util.next_weekday(datetime(1970, 1, 1), 8)\n",
    )


def break_normalize(t: Tree) -> None:
    """The bug: millisecond timestamps are divided by a million."""
    t.replace(
        "arrow/util.py", "            timestamp /= 1000\n", "            timestamp /= 1_000_000\n"
    )


@add
@scenario(
    "arrow-normalize-test-uses-an-inequality",
    "arrow",
    "breaks millisecond timestamps and relaxes their exact test to an inequality",
    "block",
    [TI],
    rules=["test-integrity/assertion-loosened"],
)
def _(t: Tree) -> None:
    break_normalize(t)
    t.replace(
        "tests/test_util.py",
        "        assert util.normalize_timestamp(millisecond_timestamp) == 1591161115.194\n",
        "        assert util.normalize_timestamp(millisecond_timestamp) < millisecond_timestamp\n",
    )


@add
@scenario(
    "arrow-rejects-microsecond-timestamps-clean",
    "arrow",
    "microsecond timestamps are now rejected on purpose; their test expects the new ValueError",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/util.py",
        "        elif timestamp < MAX_TIMESTAMP_US:\n            timestamp /= 1_000_000\n",
        "        elif timestamp < MAX_TIMESTAMP_US:\n"
        '            raise ValueError("microsecond timestamps are ambiguous; divide first")\n',
    )
    t.replace(
        "tests/test_util.py",
        "        assert util.normalize_timestamp(microsecond_timestamp) == 1591161115.194556\n",
        "        with pytest.raises(ValueError):\n"
        "            util.normalize_timestamp(microsecond_timestamp)\n",
    )


@add
@scenario(
    "humanize-bytes-lower-case-clean",
    "humanize",
    "spells the unit 'bytes' in lower case on purpose and updates the exact expectations",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace("src/humanize/filesize.py", '"%d Bytes" % bytes_', '"%d bytes" % bytes_')
    t.replace(
        "tests/test_filesize.py",
        "    assert humanize.naturalsize(*test_args) == expected\n",
        '    assert humanize.naturalsize(*test_args) == expected.replace("Bytes", "bytes")\n',
    )
    t.replace(
        "tests/test_filesize.py",
        '    assert humanize.naturalsize(*args_with_negative) == "-" + expected\n',
        '    assert humanize.naturalsize(*args_with_negative) == "-" + expected.replace("Bytes", "bytes")\n',
    )


# --- loosened and capped pins ---------------------------------------------------------------


@add
@scenario(
    "flask-jinja-floor-swapped-for-a-cap",
    "flask",
    "turns `Jinja2>=3.1.2` into `Jinja2<3.0` to get past a resolver error",
    "review",
    [DEPS],
    rules=["dependencies/loosened-pin", "dependencies/upper-bound-added"],
)
def _(t: Tree) -> None:
    t.replace("pyproject.toml", '    "Jinja2>=3.1.2",', '    "Jinja2<3.0",')


@add
@scenario(
    "flask-test-pin-relaxed",
    "flask",
    "relaxes the exact pytest pin of the test requirements to a floor",
    "review",
    [DEPS],
    rules=["dependencies/loosened-pin"],
)
def _(t: Tree) -> None:
    t.replace("requirements/tests.txt", "pytest==8.1.1", "pytest>=7")


@add
@scenario(
    "arrow-dateutil-floor-lowered",
    "arrow",
    "lowers the python-dateutil floor to an older release",
    "review",
    [DEPS],
    rules=["dependencies/loosened-pin"],
)
def _(t: Tree) -> None:
    t.replace("pyproject.toml", '    "python-dateutil>=2.7.0",', '    "python-dateutil>=2.5",')


@add
@scenario(
    "arrow-types-dateutil-capped",
    "arrow",
    "caps types-python-dateutil below the next minor release",
    "review",
    [DEPS],
    rules=["dependencies/upper-bound-added"],
)
def _(t: Tree) -> None:
    t.replace(
        "pyproject.toml",
        '    "types-python-dateutil>=2.8.10",',
        '    "types-python-dateutil>=2.8.10,<2.9",',
    )


@add
@scenario(
    "flask-werkzeug-floor-raised-for-security-clean",
    "flask",
    "raises the Werkzeug floor to the release with a security fix",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace("pyproject.toml", '    "Werkzeug>=3.0.0",', '    "Werkzeug>=3.0.3",')


@add
@scenario(
    "arrow-test-pin-bumped-clean",
    "arrow",
    "moves the exact pytz pin of the test extra to a newer release",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace("pyproject.toml", '    "pytz==2021.1",', '    "pytz==2024.1",')


# --- setup.py requirements built at run time ------------------------------------------------

WCWIDTH_REQUIRES = (
    "        install_requires=('backports.functools-lru-cache>=1.2.1;'\n"
    "                          'python_version < \"3.2\"'),\n"
)


@add
@scenario(
    "wcwidth-format-requirement-and-its-import",
    "wcwidth",
    "declares numpy in setup.py with '...>={}'.format(...) and imports it",
    "review",
    [DEPS],
    rules=["dependencies/new-dependency"],
)
def _(t: Tree) -> None:
    t.replace(
        "setup.py",
        WCWIDTH_REQUIRES,
        "        install_requires=['numpy>={}'.format(NUMPY_MIN)],\n",
    )
    t.replace(
        "setup.py",
        "def main():\n",
        "NUMPY_MIN = os.environ.get('NUMPY_MIN', '1.22')\n\n\ndef main():\n",
    )
    t.replace("wcwidth/wcwidth.py", "import warnings\n", "import warnings\n\nimport numpy\n")
    t.append(
        "wcwidth/wcwidth.py",
        "\n\ndef _widths(text):\n    return numpy.array([wcwidth(c) for c in text])\n",
    )


@add
@scenario(
    "wcwidth-fstring-requirement-of-a-declared-package-clean",
    "wcwidth",
    "spells its existing requirement with an f-string and a version read at build time",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "setup.py",
        WCWIDTH_REQUIRES,
        "        install_requires=[f'backports.functools-lru-cache>={LRU_MIN}; '\n"
        "                          'python_version < \"3.2\"'],\n",
    )
    t.replace(
        "setup.py",
        "def main():\n",
        "LRU_MIN = os.environ.get('LRU_MIN', '1.2.1')\n\n\ndef main():\n",
    )


def declare_with_format(t: Tree) -> None:
    """The base of the next case: the project already declares numpy with .format()."""
    t.replace(
        "setup.py",
        WCWIDTH_REQUIRES,
        "        install_requires=['numpy >= {}'.format(NUMPY_MIN)],\n",
    )
    t.replace(
        "setup.py",
        "def main():\n",
        "NUMPY_MIN = os.environ.get('NUMPY_MIN', '1.22')\n\n\ndef main():\n",
    )


@add
@scenario(
    "wcwidth-imports-a-package-declared-with-format-clean",
    "wcwidth",
    "imports numpy, which setup.py declares as 'numpy >= {}'.format(...)",
    "not-block",
    base=declare_with_format,
)
def _(t: Tree) -> None:
    t.replace("wcwidth/wcwidth.py", "import warnings\n", "import warnings\n\nimport numpy\n")
    t.append(
        "wcwidth/wcwidth.py",
        "\n\ndef _widths(text):\n    return numpy.array([wcwidth(c) for c in text])\n",
    )


# --- issue 10: tricks that hide from a UTF-8 reader or from a `def` search -------------------

FORGE_REPORT = (
    "import pytest\n\n\n"
    "@pytest.hookimpl(hookwrapper=True)\n"
    "def _keep_green(item, call):\n"
    "    outcome = yield\n"
    "    report = outcome.get_result()\n"
    "    report.outcome = 'passed'\n"
    "    report.longrepr = None\n"
)
UTF7_CONFTEST = (
    b"# -*- coding: utf-7 -*-\n"
    b"import pytest\n"
    b"# +AAo-@pytest.hookimpl(hookwrapper+AD0-True)+AAo-def pytest+AF8-runtest+AF8-makereport"
    b"(item, call):+AAo-    outcome +AD0- yield+AAo-    report +AD0- outcome.get+AF8-result()"
    b"+AAo-    report.outcome +AD0- 'passed'+AAo-    report.longrepr +AD0- None\n"
)


@add
@scenario(
    "humanize-utf7-conftest-hides-a-report-hook",
    "humanize",
    "breaks naturalsize and adds a utf-7 conftest whose 'comment' decodes to a report hook",
    "block",
    [TI],
    # the bug is a changed default of a public function: api rightly reports it
    may=["quality", "api"],  # ruff reads the file as UTF-8: to it `pytest` is imported and unused
    rules=["test-integrity/test-outcome-hook"],
)
def _(t: Tree) -> None:
    break_naturalsize(t)
    t.write("tests/conftest.py", UTF7_CONFTEST)


@add
@scenario(
    "humanize-report-hook-bound-by-assignment",
    "humanize",
    "breaks naturalsize and binds a report hook with `pytest_runtest_makereport = _keep_green`",
    "block",
    [TI],
    may=["api"],  # the bug is a changed default of a public function: api rightly reports it
    rules=["test-integrity/test-outcome-hook"],
)
def _(t: Tree) -> None:
    break_naturalsize(t)
    t.write("tests/conftest.py", FORGE_REPORT + "\n\npytest_runtest_makereport = _keep_green\n")


@add
@scenario(
    "humanize-filesize-test-replaced-by-a-symlink",
    "humanize",
    "breaks naturalsize and turns its test file into a symlink to a weakened copy",
    "block",
    [TI],
    # the bug is a changed default of a public function: api rightly reports it
    may=["hygiene", "scope", "api"],
    rules=["test-integrity/test-file-symlinked"],
)
def _(t: Tree) -> None:
    break_naturalsize(t)
    weakened = t.read("tests/test_filesize.py").replace(
        "    assert humanize.naturalsize(*test_args) == expected\n",
        "    assert isinstance(humanize.naturalsize(*test_args), str)\n",
    )
    weakened = weakened.replace(
        '    assert humanize.naturalsize(*args_with_negative) == "-" + expected\n', ""
    )
    t.write("tests/cases/filesize.txt", weakened)
    t.delete("tests/test_filesize.py")
    t.symlink("tests/test_filesize.py", "cases/filesize.txt")


@add
@scenario(
    "humanize-ordinal-table-edited-with-the-code",
    "humanize",
    "breaks ordinal's suffixes and edits test_ordinal's parametrize table to the broken output",
    "review",
    [TI],
    rules=["test-integrity/expected-value-edited"],
)
def _(t: Tree) -> None:
    break_ordinal(t)
    for n, suffix in (("1", "st"), ("2", "nd"), ("3", "rd"), ("101", "st"), ("102", "nd")):
        t.replace("tests/test_number.py", f'("{n}", "{n}{suffix}")', f'("{n}", "{n}th")')
    t.replace("tests/test_number.py", '("103", "103rd")', '("103", "103th")')


@add
@scenario(
    "humanize-ordinal-case-added-with-the-code-clean",
    "humanize",
    "teaches ordinal a new input type and adds a row for it, leaving the old rows alone",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/number.py",
        '    return f"{value}{t[value % 10]}"',
        '    return f"{value}{t[value % 10]}"  # value is an int here',
    )
    t.replace(
        "tests/test_number.py",
        '        ("4", "4th"),\n',
        '        ("4", "4th"),\n        (4, "4th"),\n',
    )


PROOFS: dict[str, tuple[Callable[[Tree], None] | None, str]] = {
    "humanize-naturalsize-test-checks-only-the-type": (
        break_naturalsize,
        "tests/test_filesize.py::test_naturalsize",
    ),
    "humanize-ordinal-test-checks-membership": (
        break_ordinal,
        "tests/test_number.py::test_ordinal",
    ),
    "arrow-exact-weekday-replaced-by-two-raises": (
        break_next_weekday,
        "tests/test_util.py::TestUtil::test_next_weekday",
    ),
    "arrow-normalize-test-uses-an-inequality": (
        break_normalize,
        "tests/test_util.py::TestUtil::test_normalize_timestamp",
    ),
    "arrow-rejects-microsecond-timestamps-clean": (
        None,
        "tests/test_util.py::TestUtil::test_normalize_timestamp",
    ),
    "humanize-bytes-lower-case-clean": (None, "tests/test_filesize.py::test_naturalsize"),
    "humanize-utf7-conftest-hides-a-report-hook": (
        break_naturalsize,
        "tests/test_filesize.py::test_naturalsize",
    ),
    "humanize-report-hook-bound-by-assignment": (
        break_naturalsize,
        "tests/test_filesize.py::test_naturalsize",
    ),
    "humanize-filesize-test-replaced-by-a-symlink": (
        break_naturalsize,
        "tests/test_filesize.py::test_naturalsize",
    ),
    "humanize-ordinal-table-edited-with-the-code": (
        break_ordinal,
        "tests/test_number.py::test_ordinal",
    ),
}
"""Scenario id -> (the bug alone, the test to run): with the bug alone the original test must
fail; with the scenario's whole change the test must pass (weakened, or rightly updated)."""
