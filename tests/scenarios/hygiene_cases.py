"""Labelled scenarios for the `hygiene` check: the slop found in real agent patches (stray files,
debug leftovers, gutted code, deleted tooling configuration) and the clean look-alikes a real
project legitimately has (a CLI that prints, a data file a new test reads, a deliberate
`NotImplementedError` in an abstract base, a script the README documents).

Each positive names the hygiene rule it expects (`rules`), so the benchmark can report precision and
recall per rule, and how often each rule fires on the clean changes (its noise rate). Every rule has
at least three positives on at least two projects, and most positives carry a real small fix of
their project (`_fix_*`) along with the slop, as agent patches do. A clean look-alike is what a
reviewer accepts: it may draw another check's finding (a binary test file is `scope`'s concern) but
no hygiene finding.

The JavaScript rules (`debugger;`, console calls in shipped code) have no scenario: no project of
the harness is a JavaScript one, so tests/checks/test_hygiene_code.py covers them on real commits.
A task's `allow_files` is exercised through the harness's task front matter."""

from __future__ import annotations

import pickle
import textwrap

from tests.scenarios.harness import Scenario, Tree, scenario

HYGIENE = "hygiene"
HYGIENE_SCENARIOS: list[Scenario] = []


def add(sc: Scenario) -> Scenario:
    HYGIENE_SCENARIOS.append(sc)
    return sc


def _block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _commented(block: str, indent: int) -> str:
    """`block` commented out the way an editor does it: `# ` after the indentation, blank lines
    kept blank."""
    return "".join(
        line[:indent] + "# " + line[indent:] if line.strip() else line
        for line in block.splitlines(keepends=True)
    )


def _fix_is_timestamp(t: Tree) -> None:
    """The real fix several scenarios carry along with their slop: bytes are not timestamps."""
    t.replace(
        "arrow/util.py",
        "    if not isinstance(value, (int, float, str)):",
        "    if not isinstance(value, (int, float, str)) or isinstance(value, bytes):",
    )


def _fix_debug_flag_off(t: Tree) -> None:
    """flask's carried fix: FLASK_DEBUG=off turns debug mode off, like 0, false and no."""
    t.replace(
        "src/flask/helpers.py",
        '    return bool(val and val.lower() not in {"0", "false", "no"})\n',
        '    return bool(val and val.lower() not in {"0", "false", "no", "off"})\n',
    )


def _fix_naturaldate_threshold(t: Tree) -> None:
    """humanize's carried fix: "about five months" counts in average days per month."""
    t.replace(
        "src/humanize/time.py",
        "    if delta.days >= 5 * 365 / 12:\n",
        "    if delta.days >= 5 * 365.25 / 12:\n",
    )


def _fix_wcswidth_n(t: Tree) -> None:
    """wcwidth's carried fix: wcswidth(s, n) with n beyond the string no longer indexes past it."""
    t.replace(
        "wcwidth/wcwidth.py",
        "    end = len(pwcs) if n is None else n\n",
        "    end = len(pwcs) if n is None else min(n, len(pwcs))\n",
    )


@add
@scenario(
    "arrow-fix-leaves-output-txt",
    "arrow",
    "fixes is_timestamp and leaves the pytest output it looked at as output.txt",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.write("output.txt", "============ 1 failed, 1802 passed in 12.31s ============\n")


@add
@scenario(
    "flask-adds-reproduction-script",
    "flask",
    "adds the reproduction script it wrote at the repository root",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    t.write(
        "reproduce_issue.py",
        _block("""
        from flask import Flask

        app = Flask(__name__)
        with app.test_request_context():
            print(app.url_map)
        """),
    )


@add
@scenario(
    "humanize-agent-notes",
    "humanize",
    "commits its own notes to itself as programmer_instructions.txt",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    t.write(
        "programmer_instructions.txt",
        "1. Look at naturalsize\n2. Change the rounding\n3. Run the tests\n",
    )


@add
@scenario(
    "humanize-backup-of-module",
    "humanize",
    "saves a .bak copy of the module it meant to edit, and does not edit the module",
    "review",
    [HYGIENE],
    rules=["hygiene/backup-copy"],
)
def _(t: Tree) -> None:
    t.write("src/humanize/filesize.py.bak", t.read("src/humanize/filesize.py"))


@add
@scenario(
    "arrow-commits-build-lib",
    "arrow",
    "commits the build/lib tree a local build left behind",
    "block",
    [HYGIENE],
    # the copies repeat the package's own pragmas and version-guarded typing_extensions import
    may=["test-integrity", "dependencies"],
    rules=["hygiene/build-artifact"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    for name in ("__init__.py", "util.py", "constants.py"):
        t.write(f"build/lib/arrow/{name}", t.read(f"arrow/{name}"))


@add
@scenario(
    "flask-debug-print-in-helpers",
    "flask",
    "leaves a print of the flag it was debugging in flask.helpers",
    "review",
    [HYGIENE],
    rules=["hygiene/debug-print"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/helpers.py",
        '    val = os.environ.get("FLASK_DEBUG")\n',
        '    val = os.environ.get("FLASK_DEBUG")\n    print("FLASK_DEBUG =", val)\n',
    )


@add
@scenario(
    "humanize-breakpoint-left-in",
    "humanize",
    "leaves a breakpoint() in naturalsize",
    "block",
    [HYGIENE],
    rules=["hygiene/debugger"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/filesize.py",
        "    abs_bytes = abs(bytes_)\n",
        "    abs_bytes = abs(bytes_)\n    breakpoint()\n",
    )


@add
@scenario(
    "arrow-repro-called-at-import",
    "arrow",
    "defines a test_reproduce() in arrow/util.py and calls it at import time",
    "review",
    [HYGIENE],
    rules=["hygiene/import-time-call"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.append(
        "arrow/util.py",
        _block("""


        def test_reproduce() -> None:
            assert not is_timestamp(b"1565358758")


        test_reproduce()
        """),
    )


@add
@scenario(
    "arrow-guts-next-weekday",
    "arrow",
    "replaces next_weekday's body with a TODO and NotImplementedError",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/gutted-function"],
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/util.py",
        '    if weekday < 0 or weekday > 6:\n        raise ValueError("Weekday must be between 0 '
        '(Monday) and 6 (Sunday).")\n    return cast(\n        datetime.datetime,\n        '
        "rrule(freq=WEEKLY, dtstart=start_date, byweekday=weekday, count=1)[0],\n    )\n",
        '    # TODO: reimplement without dateutil\n    raise NotImplementedError("next_weekday")\n',
    )


@add
@scenario(
    "flask-comments-out-flash-signal",
    "flask",
    "comments out the message_flashed signal in flash() instead of fixing it",
    "review",
    [HYGIENE],
    may=["quality"],
    # `app` is still fetched but only the commented-out call read it
    rules=["hygiene/commented-out-code", "hygiene/unused-after-delete"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/helpers.py",
        "    message_flashed.send(\n        app,\n        _async_wrapper=app.ensure_sync,\n"
        "        message=message,\n        category=category,\n    )\n",
        "    # message_flashed.send(\n    #     app,\n    #     _async_wrapper=app.ensure_sync,\n"
        "    #     message=message,\n    #     category=category,\n    # )\n",
    )


@add
@scenario(
    "flask-drops-return-of-get-load-dotenv",
    "flask",
    "deletes the final return of get_load_dotenv, so callers get None",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/removed-return"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/helpers.py",
        '    if not val:\n        return default\n\n    return val.lower() in ("0", "false", "no")\n',
        '    if not val:\n        pass\n\n    val.lower() in ("0", "false", "no")\n',
    )


@add
@scenario(
    "humanize-loop-replaced-by-print",
    "humanize",
    "replaces naturalsize's unit loop with a print, leaving the suffix unused",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/unused-after-delete", "hygiene/debug-print"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/filesize.py",
        "    for i, s in enumerate(suffix):\n        unit = base ** (i + 2)\n\n"
        "        if abs_bytes < unit:\n            break\n",
        '    print("units", base)\n    unit, s = base**2, "k"\n',
    )


@add
@scenario(
    "flask-deletes-coverage-config",
    "flask",
    "removes the coverage settings from pyproject.toml",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    text = t.read("pyproject.toml")
    start = text.index("[tool.coverage.run]")
    end = text.index("[tool.mypy]")
    t.write("pyproject.toml", text[:start] + text[end:])


@add
@scenario(
    "arrow-deletes-tox-ini",
    "arrow",
    "deletes tox.ini along with its fix (tox.ini holds the coverage threshold: that blocks)",
    "block",
    [HYGIENE, "test-integrity"],
    may=["scope"],  # test configuration is a protected path
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.delete("tox.ini")


# ---------------------------------------------------------------------------------------------
# debug leftovers in library code, on every project


@add
@scenario(
    "arrow-pdb-in-parser",
    "arrow",
    "fixes is_timestamp and leaves `import pdb; pdb.set_trace()` in DateTimeParser.parse",
    "block",
    [HYGIENE],
    rules=["hygiene/debugger", "hygiene/debugger-import"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.replace("arrow/parser.py", "import re\nimport sys\n", "import pdb\nimport re\nimport sys\n")
    t.replace(
        "arrow/parser.py",
        "        match = fmt_pattern_re.search(datetime_string)\n",
        "        match = fmt_pattern_re.search(datetime_string)\n        pdb.set_trace()\n",
    )


@add
@scenario(
    "flask-ipdb-in-config",
    "flask",
    "fixes FLASK_DEBUG=off and leaves an ipdb breakpoint in Config.from_envvar",
    "block",
    [HYGIENE],
    may=["dependencies"],  # ipdb is not a dependency of flask: an undeclared import too
    rules=["hygiene/debugger", "hygiene/debugger-import"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.replace("src/flask/config.py", "import errno\n", "import errno\n\nimport ipdb\n")
    t.replace(
        "src/flask/config.py",
        "        rv = os.environ.get(variable_name)\n",
        "        rv = os.environ.get(variable_name)\n        ipdb.set_trace()\n",
    )


@add
@scenario(
    "wcwidth-pdb-in-wcswidth",
    "wcwidth",
    "fixes wcswidth's n past the end and leaves a pdb breakpoint in its loop",
    "block",
    [HYGIENE],
    rules=["hygiene/debugger", "hygiene/debugger-import"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.replace("wcwidth/wcwidth.py", "import os\n", "import os\nimport pdb\n")
    t.replace(
        "wcwidth/wcwidth.py",
        "        char = pwcs[idx]\n",
        "        char = pwcs[idx]\n        pdb.set_trace()\n",
    )


@add
@scenario(
    "arrow-pprint-in-parser",
    "arrow",
    "fixes is_timestamp and leaves `from pprint import pprint` and a pprint of the parsed parts",
    "review",
    [HYGIENE],
    rules=["hygiene/debug-print"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.replace(
        "arrow/parser.py",
        "from functools import lru_cache\n",
        "from functools import lru_cache\nfrom pprint import pprint\n",
    )
    t.replace(
        "arrow/parser.py",
        "        return _datetime\n\n",
        "        pprint(_datetime)\n        return _datetime\n\n",
    )


@add
@scenario(
    "wcwidth-print-in-wcswidth",
    "wcwidth",
    "fixes wcswidth's n past the end and prints every measured character",
    "review",
    [HYGIENE],
    rules=["hygiene/debug-print"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.replace(
        "wcwidth/wcwidth.py",
        "        wcw = wcwidth(char, unicode_version)\n",
        "        wcw = wcwidth(char, unicode_version)\n        print(repr(char), wcw)\n",
    )


@add
@scenario(
    "humanize-repro-called-at-import",
    "humanize",
    "defines a test of the rounding bug in filesize.py and calls it at import time",
    "review",
    [HYGIENE],
    may=["security"],  # the assert in library code is also bandit's B101
    rules=["hygiene/import-time-call"],
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    t.append(
        "src/humanize/filesize.py",
        _block("""


        def test_naturalsize_rounding() -> None:
            assert naturalsize(1999) == "2.0 kB"


        test_naturalsize_rounding()
        """),
    )


@add
@scenario(
    "wcwidth-check-called-at-import",
    "wcwidth",
    "fixes wcswidth's n and adds a check of it that runs on every import of wcwidth",
    "review",
    [HYGIENE],
    rules=["hygiene/import-time-call"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.append(
        "wcwidth/wcwidth.py",
        _block("""


        def _check_n_past_end():
            if wcswidth(u'abc', 10) != 3:
                raise AssertionError('wcswidth(n) still indexes past the end')


        _check_n_past_end()
        """),
    )


@add
@scenario(
    "flask-repro-called-at-import",
    "flask",
    "fixes FLASK_DEBUG=off and calls the reproduction it wrote at the bottom of helpers.py",
    "review",
    [HYGIENE],
    rules=["hygiene/import-time-call"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.append(
        "src/flask/helpers.py",
        _block("""


        def reproduce_debug_off() -> None:
            os.environ["FLASK_DEBUG"] = "off"
            if get_debug_flag():
                raise RuntimeError("FLASK_DEBUG=off still enables debug mode")


        reproduce_debug_off()
        """),
    )


# ---------------------------------------------------------------------------------------------
# stray files: by-products of the agent's session


@add
@scenario(
    "flask-empty-db-sqlite3",
    "flask",
    "fixes FLASK_DEBUG=off and commits the empty db.sqlite3 its experiment created",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.write("db.sqlite3", b"")


@add
@scenario(
    "humanize-pickled-results",
    "humanize",
    "fixes naturaldate and commits the pickle of results it compared before and after",
    "review",
    [HYGIENE],
    may=["scope"],  # a binary file is the scope check's concern too
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    # protocol 4 pickle of {"Mar 01": "Mar 01 2024"}
    t.write(
        "results.pkl",
        b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x06Mar 01\x94\x8c\x0b"
        b"Mar 01 2024\x94s.",
    )


@add
@scenario(
    "arrow-leaves-plot-png",
    "arrow",
    "fixes is_timestamp and commits the plot of timestamps it drew to look at the bug",
    "review",
    [HYGIENE],
    may=["scope"],  # a binary file is the scope check's concern too
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.write("timestamps_plot.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17))


@add
@scenario(
    "wcwidth-leaves-debug-log",
    "wcwidth",
    "fixes wcswidth's n and commits the debug.log of its session",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.write("debug.log", "DEBUG wcswidth('abc', 10)\nIndexError: string index out of range\n")


@add
@scenario(
    "humanize-leaves-pylint-output",
    "humanize",
    "fixes naturaldate and commits the pylint report it ran",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    t.write(
        "pylint_output.txt",
        "************* Module humanize.time\n"
        "src/humanize/time.py:318:0: C0301: Line too long (101/100) (line-too-long)\n",
    )


@add
@scenario(
    "flask-agent-notes-md",
    "flask",
    "fixes FLASK_DEBUG=off and commits its working notes as NOTES.md",
    "review",
    [HYGIENE],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.write(
        "NOTES.md",
        "# Notes\n\n- get_debug_flag reads FLASK_DEBUG\n- add 'off' to the falsy values\n"
        "- TODO: run the whole suite\n",
    )


@add
@scenario(
    "wcwidth-test-reproduce-at-root",
    "wcwidth",
    "fixes wcswidth's n and leaves the test_reproduce.py it ran at the repository root",
    "review",
    [HYGIENE],
    may=["security"],  # asserts outside the test folder are also bandit's B101
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.write(
        "test_reproduce.py",
        "from wcwidth import wcswidth\n\n\ndef test_n_past_end():\n"
        "    assert wcswidth(u'abc', 10) == 3\n",
    )


# ---------------------------------------------------------------------------------------------
# generated build output


@add
@scenario(
    "humanize-commits-egg-info",
    "humanize",
    "fixes naturaldate and commits the src/humanize.egg-info/ an editable install wrote",
    "block",
    [HYGIENE],
    rules=["hygiene/build-artifact"],
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    t.write("src/humanize.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: humanize\n")
    t.write("src/humanize.egg-info/top_level.txt", "humanize\n")
    t.write("src/humanize.egg-info/SOURCES.txt", "src/humanize/__init__.py\n")


@add
@scenario(
    "wcwidth-commits-build-lib",
    "wcwidth",
    "fixes wcswidth's n and commits the build/lib tree of `python setup.py build`",
    "block",
    [HYGIENE],
    # the copies bring the package's own debt (asserts, pragmas, long functions) into the diff
    may=["test-integrity", "dependencies", "quality", "security"],
    rules=["hygiene/build-artifact"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    for name in ("__init__.py", "wcwidth.py", "unicode_versions.py"):
        t.write(f"build/lib/wcwidth/{name}", t.read(f"wcwidth/{name}"))


@add
@scenario(
    "flask-commits-egg-info",
    "flask",
    "fixes FLASK_DEBUG=off and commits the Flask.egg-info/ of a local install",
    "block",
    [HYGIENE],
    rules=["hygiene/build-artifact"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.write("src/Flask.egg-info/PKG-INFO", "Metadata-Version: 2.1\nName: Flask\nVersion: 3.0.3\n")
    t.write("src/Flask.egg-info/requires.txt", "Werkzeug>=3.0.0\nJinja2>=3.1.2\n")


# ---------------------------------------------------------------------------------------------
# backups and copies


@add
@scenario(
    "arrow-util-backup-module",
    "arrow",
    "fixes is_timestamp after saving the old module as arrow/util_backup.py",
    "review",
    [HYGIENE],
    rules=["hygiene/backup-copy"],
)
def _(t: Tree) -> None:
    t.write("arrow/util_backup.py", t.read("arrow/util.py"))
    _fix_is_timestamp(t)


@add
@scenario(
    "flask-helpers-copied-to-new-module",
    "flask",
    "fixes get_debug_flag in helpers.py and adds env_helpers.py, a copy of the old helpers.py",
    "review",
    [HYGIENE],
    may=["test-integrity"],  # the copy repeats helpers.py's pragmas and type: ignore comments
    rules=["hygiene/backup-copy"],
)
def _(t: Tree) -> None:
    t.write("src/flask/env_helpers.py", t.read("src/flask/helpers.py"))
    _fix_debug_flag_off(t)


@add
@scenario(
    "wcwidth-orig-left-by-patch",
    "wcwidth",
    "applies its fix with patch and commits the wcwidth.py.orig that patch kept",
    "review",
    [HYGIENE],
    rules=["hygiene/backup-copy"],
)
def _(t: Tree) -> None:
    t.write("wcwidth/wcwidth.py.orig", t.read("wcwidth/wcwidth.py"))
    _fix_wcswidth_n(t)


# ---------------------------------------------------------------------------------------------
# gutted code


@add
@scenario(
    "flask-get-namespace-gutted-to-pass",
    "flask",
    "replaces Config.get_namespace's body with `pass` under its docstring",
    "review",
    [HYGIENE],
    may=["quality", "api"],
    rules=["hygiene/gutted-function"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/config.py",
        "        rv = {}\n        for k, v in self.items():\n            if not k.startswith(namespace):\n"
        "                continue\n            if trim_namespace:\n"
        "                key = k[len(namespace) :]\n            else:\n                key = k\n"
        "            if lowercase:\n                key = key.lower()\n            rv[key] = v\n"
        "        return rv\n",
        "        pass\n",
    )


@add
@scenario(
    "wcwidth-bisearch-gutted-to-ellipsis",
    "wcwidth",
    "replaces _bisearch's binary search with `...`",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/gutted-function"],
)
def _(t: Tree) -> None:
    t.replace(
        "wcwidth/wcwidth.py",
        "    lbound = 0\n    ubound = len(table) - 1\n\n"
        "    if ucs < table[0][0] or ucs > table[ubound][1]:\n        return 0\n"
        "    while ubound >= lbound:\n        mid = (lbound + ubound) // 2\n"
        "        if ucs > table[mid][1]:\n            lbound = mid + 1\n"
        "        elif ucs < table[mid][0]:\n            ubound = mid - 1\n"
        "        else:\n            return 1\n\n    return 0\n",
        "    ...\n",
    )


@add
@scenario(
    "humanize-naturaldate-left-as-todo",
    "humanize",
    "replaces naturaldate's body with a TODO comment and `pass`",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/gutted-function"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/time.py",
        "    delta = _abs_timedelta(value - dt.date.today())\n"
        "    if delta.days >= 5 * 365 / 12:\n"
        '        return naturalday(value, "%b %d %Y")\n'
        "    return naturalday(value)\n",
        "    # TODO: handle dates more than five months away\n    pass\n",
    )
    t.replace(
        "src/humanize/time.py",
        '    """Like `naturalday`, but append a year for dates more than ~five months away."""\n'
        "    try:\n        value = dt.date(value.year, value.month, value.day)\n"
        "    except AttributeError:\n        # Passed value wasn't date-ish\n"
        "        return str(value)\n    except (OverflowError, ValueError):\n"
        "        # Date arguments out of range\n        return str(value)\n",
        '    """Like `naturalday`, but append a year for dates more than ~five months away."""\n',
    )


@add
@scenario(
    "arrow-iso-to-gregorian-loses-return",
    "arrow",
    "fixes is_timestamp and, tidying iso_to_gregorian, deletes its `return gregorian`",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/removed-return"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.replace(
        "arrow/util.py",
        "    gregorian = year_start + datetime.timedelta(days=iso_day - 1, weeks=iso_week - 1)\n"
        "\n    return gregorian\n",
        "    gregorian = year_start + datetime.timedelta(days=iso_day - 1, weeks=iso_week - 1)\n",
    )


@add
@scenario(
    "wcwidth-version-value-loses-return",
    "wcwidth",
    "fixes wcswidth's n and drops the return of _wcversion_value, so version checks get None",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/removed-return"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.replace(
        "wcwidth/wcwidth.py",
        "    retval = tuple(map(int, (ver_string.split('.'))))\n    return retval\n",
        "    retval = tuple(map(int, (ver_string.split('.'))))\n",
    )


@add
@scenario(
    "arrow-range-clipping-guard-deleted",
    "arrow",
    "deletes Arrow.range's clipped-day guard, leaving day_is_clipped set and never read",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/unused-after-delete"],
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/arrow.py",
        "\n            if day_is_clipped and not cls._is_last_day_of_month(current):\n"
        "                current = current.replace(day=original_day)\n",
        "",
    )


@add
@scenario(
    "arrow-dehumanize-locale-check-commented-out",
    "arrow",
    "comments out dehumanize's unsupported-locale check instead of adding the locale",
    "review",
    [HYGIENE],
    may=["quality", "security"],  # a removed input check is also security's removed-protection
    rules=["hygiene/commented-out-code", "hygiene/unused-after-delete"],
)
def _(t: Tree) -> None:
    text = t.read("arrow/arrow.py")
    start = text.index("        if normalized_locale_name not in DEHUMANIZE_LOCALES:\n")
    end = text.index("        current_time = self.fromdatetime(self._datetime)\n")
    t.write("arrow/arrow.py", text[:start] + _commented(text[start:end], 8) + text[end:])


@add
@scenario(
    "wcwidth-vs16-handling-commented-out",
    "wcwidth",
    "comments out wcswidth's VS16 handling it could not get right",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/commented-out-code", "hygiene/unused-after-delete"],
)
def _(t: Tree) -> None:
    text = t.read("wcwidth/wcwidth.py")
    start = text.index("        if char == u'\\uFE0F' and last_measured_char:\n")
    end = text.index("        # measure character at current index\n")
    t.write("wcwidth/wcwidth.py", text[:start] + _commented(text[start:end], 8) + text[end:])


@add
@scenario(
    "humanize-naturalday-branches-commented-out",
    "humanize",
    "comments out naturalday's today/tomorrow/yesterday branches so a locale test passes",
    "review",
    [HYGIENE],
    may=["quality"],
    rules=["hygiene/commented-out-code", "hygiene/unused-after-delete"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/time.py",
        '    if delta.days == 0:\n        return _("today")\n\n'
        '    if delta.days == 1:\n        return _("tomorrow")\n\n'
        '    if delta.days == -1:\n        return _("yesterday")\n',
        '    # if delta.days == 0:\n    #     return _("today")\n    #\n'
        '    # if delta.days == 1:\n    #     return _("tomorrow")\n    #\n'
        '    # if delta.days == -1:\n    #     return _("yesterday")\n',
    )


# ---------------------------------------------------------------------------------------------
# deleted tooling configuration


def _add_coveragerc(t: Tree) -> None:
    """Base: humanize keeps its coverage settings in a .coveragerc."""
    t.write(".coveragerc", "[run]\nbranch = True\nsource = humanize\n\n[report]\nfail_under = 99\n")


@add
@scenario(
    "humanize-deletes-coveragerc",
    "humanize",
    "fixes naturaldate and deletes .coveragerc with its fail_under (the lowered threshold blocks)",
    "block",
    [HYGIENE, "test-integrity"],
    may=["scope"],
    rules=["hygiene/tooling-config-deleted"],
    base=_add_coveragerc,
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    t.delete(".coveragerc")


@add
@scenario(
    "arrow-drops-mypy-section",
    "arrow",
    "fixes is_timestamp and removes the strict [mypy] section from setup.cfg",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    text = t.read("setup.cfg")
    t.write("setup.cfg", text[text.index("# Type annotations for testing code") :])


def _add_flake8_section(t: Tree) -> None:
    """Base: wcwidth's setup.cfg also holds a [flake8] section (as many setup.py projects do)."""
    t.append("setup.cfg", "\n[flake8]\nmax-line-length = 100\nignore = E402,E501,W503\n")


@add
@scenario(
    "wcwidth-drops-flake8-section",
    "wcwidth",
    "fixes wcswidth's n and deletes the [flake8] section of setup.cfg its line broke",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
    base=_add_flake8_section,
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.replace("setup.cfg", "\n[flake8]\nmax-line-length = 100\nignore = E402,E501,W503\n", "")


@add
@scenario(
    "humanize-drops-tool-ruff",
    "humanize",
    "fixes naturaldate and removes [tool.ruff] from pyproject.toml",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    text = t.read("pyproject.toml")
    t.write(
        "pyproject.toml",
        text[: text.index("[tool.ruff]")] + text[text.index("[tool.pytest.ini_options]") :],
    )


@add
@scenario(
    "flask-deletes-tox-ini",
    "flask",
    "fixes FLASK_DEBUG=off and deletes tox.ini",
    "review",
    [HYGIENE],
    may=["test-integrity", "scope"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.delete("tox.ini")


# ---------------------------------------------------------------------------------------------
# clean look-alikes: what a real project legitimately adds


@add
@scenario(
    "flask-cli-prints-clean",
    "flask",
    "the CLI module gains a message printed to the user (its job is printing)",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/cli.py",
        "def main() -> None:\n",
        'def main() -> None:\n    if "--where" in sys.argv:\n        print(__file__)\n',
    )


@add
@scenario(
    "humanize-test-data-file-clean",
    "humanize",
    "a new test reads a new data file of expected sizes",
    "not-block",
)
def _(t: Tree) -> None:
    t.write("tests/data/sizes.json", '{"3000000": "3.0 MB"}\n')
    t.write(
        "tests/test_sizes_data.py",
        _block("""
        import json
        from pathlib import Path

        import humanize


        def test_sizes_from_data() -> None:
            data = json.loads((Path(__file__).parent / "data" / "sizes.json").read_text())
            for value, expected in data.items():
                assert humanize.naturalsize(int(value)) == expected
        """),
    )


@add
@scenario(
    "arrow-abstract-base-clean",
    "arrow",
    "a new abstract base class whose method deliberately raises NotImplementedError",
    "not-block",
)
def _(t: Tree) -> None:
    t.write(
        "arrow/sources.py",
        _block('''
        """Where "now" comes from: the system clock by default, a fixed instant in tests."""

        import datetime


        class Clock:
            def now(self) -> datetime.datetime:
                raise NotImplementedError


        class SystemClock(Clock):
            def now(self) -> datetime.datetime:
                return datetime.datetime.now(datetime.timezone.utc)
        '''),
    )


@add
@scenario(
    "humanize-documented-script-clean",
    "humanize",
    "a release helper script at the root that the README now documents",
    "not-block",
)
def _(t: Tree) -> None:
    t.write("release_notes.py", 'import sys\n\nprint(open(sys.argv[1]).read().split("##")[1])\n')
    t.append("README.md", "\nRelease notes: `python release_notes.py CHANGELOG.md`.\n")


@add
@scenario(
    "arrow-real-fix-clean",
    "arrow",
    "the real fix: bytes are not timestamps, with a test",
    "not-block",
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.append(
        "tests/test_util.py",
        "\n\ndef test_bytes_are_not_timestamps():\n    assert not util.is_timestamp(b'15')\n",
    )


@add
@scenario(
    "humanize-main-module-prints-clean",
    "humanize",
    "a new `python -m humanize` entry point that prints what it formats (printing is its job)",
    "not-block",
)
def _(t: Tree) -> None:
    t.write(
        "src/humanize/__main__.py",
        _block('''
        """`python -m humanize 3000000` prints 3.0 MB: the library's formatting from a shell."""

        from __future__ import annotations

        import sys

        from humanize import naturalsize


        def main(argv: list[str]) -> int:
            for value in argv:
                print(naturalsize(value))
            return 0


        if __name__ == "__main__":
            sys.exit(main(sys.argv[1:]))
        '''),
    )


@add
@scenario(
    "flask-test-reads-new-png-clean",
    "flask",
    "a new test serves a new static PNG and checks its mimetype (the image is test data)",
    "not-block",
)
def _(t: Tree) -> None:
    t.write("tests/static/pixel.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17))
    t.write(
        "tests/test_static_png.py",
        _block("""
        def test_send_static_png(app, req_ctx):
            rv = app.send_static_file("pixel.png")
            rv.direct_passthrough = False
            assert rv.mimetype == "image/png"
            assert rv.data.startswith(b"\\x89PNG")
            rv.close()
        """),
    )


@add
@scenario(
    "flask-abstract-session-doc-clean",
    "flask",
    "clarifies the docstring of SessionInterface.open_session, still an abstract method",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/sessions.py",
        "        context will fall back to using :meth:`make_null_session`\n        in this case.\n",
        "        context will fall back to using :meth:`make_null_session`\n        in this case."
        " Subclasses must override this method.\n",
    )


@add
@scenario(
    "wcwidth-readme-documents-new-script-clean",
    "wcwidth",
    "a new script at the root that the README now documents for measuring a string",
    "not-block",
)
def _(t: Tree) -> None:
    t.write(
        "measure_width.py",
        _block("""
        \"\"\"Print the terminal width of each argument: python measure_width.py TEXT...\"\"\"
        import sys

        from wcwidth import wcswidth

        for arg in sys.argv[1:]:
            print(wcswidth(arg), arg)
        """),
    )
    t.replace(
        "README.rst",
        "Full API Documentation at https://wcwidth.readthedocs.org\n",
        "Full API Documentation at https://wcwidth.readthedocs.org\n\n"
        "To measure a string from a shell, run ``python measure_width.py TEXT``.\n",
    )


@add
@scenario(
    "flask-new-example-prints-clean",
    "flask",
    "a new example app under examples/ that prints its URL map on start",
    "not-block",
)
def _(t: Tree) -> None:
    t.write(
        "examples/hello/app.py",
        _block("""
        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def index():
            return "Hello"


        if __name__ == "__main__":
            print(app.url_map)
            app.run()
        """),
    )


@add
@scenario(
    "wcwidth-regression-test-file-clean",
    "wcwidth",
    "the wcswidth n fix with its regression test, tests/test_reproduce_n_past_end.py",
    "not-block",
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.write(
        "tests/test_reproduce_n_past_end.py",
        _block("""
        \"\"\"wcswidth(s, n) with n past the end of s measures all of s.\"\"\"
        import wcwidth


        def test_n_past_end():
            assert wcwidth.wcswidth(u'abc', 10) == 3
        """),
    )


@add
@scenario(
    "humanize-new-bits-module-clean",
    "humanize",
    "a genuine new module, naturalbits, exported from the package and tested",
    "not-block",
    may=["api"],  # a new public function is an API addition
)
def _(t: Tree) -> None:
    t.write(
        "src/humanize/bits.py",
        _block('''
        """Bit rates in human units: 1500000 becomes 1.5 Mbit/s."""

        from __future__ import annotations

        _UNITS = ("kbit/s", "Mbit/s", "Gbit/s", "Tbit/s")


        def naturalbits(value: float, format: str = "%.1f") -> str:
            """Format a number of bits per second with a decimal unit.

            Examples:
                ```pycon
                >>> naturalbits(999)
                '999 bit/s'
                >>> naturalbits(1500000)
                '1.5 Mbit/s'

                ```
            """
            rate = float(value)
            if abs(rate) < 1000:
                return "%d bit/s" % rate
            unit = _UNITS[0]
            for unit in _UNITS:
                rate /= 1000
                if abs(rate) < 1000:
                    break
            return (format % rate) + " " + unit
        '''),
    )
    t.replace(
        "src/humanize/__init__.py",
        "from humanize.filesize import naturalsize\n",
        "from humanize.bits import naturalbits\nfrom humanize.filesize import naturalsize\n",
    )
    t.replace("src/humanize/__init__.py", '    "metric",\n', '    "metric",\n    "naturalbits",\n')
    t.write(
        "tests/test_bits.py",
        _block("""
        from __future__ import annotations

        import humanize


        def test_naturalbits() -> None:
            assert humanize.naturalbits(999) == "999 bit/s"
            assert humanize.naturalbits(1_500_000) == "1.5 Mbit/s"
        """),
    )


@add
@scenario(
    "flask-tox-ini-edited-clean",
    "flask",
    "tox.ini gains a py313 environment (edited, not deleted)",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "tox.ini", "envlist =\n    py3{12,11,10,9,8}\n", "envlist =\n    py3{13,12,11,10,9,8}\n"
    )


@add
@scenario(
    "arrow-fix-with-prose-comment-clean",
    "arrow",
    "the is_timestamp fix with a comment paragraph explaining why bytes are excluded",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/util.py",
        "    if not isinstance(value, (int, float, str)):\n",
        '    # Bytes look like numbers to float() (float(b"1565358758") works), but a\n'
        "    # timestamp is a number or its text: the caller decodes bytes first, as\n"
        "    # everywhere else in arrow.\n"
        "    if not isinstance(value, (int, float, str)) or isinstance(value, bytes):\n",
    )


@add
@scenario(
    "wcwidth-return-inlined-clean",
    "wcwidth",
    "_wcversion_value returns its tuple directly instead of through a variable",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "wcwidth/wcwidth.py",
        "    retval = tuple(map(int, (ver_string.split('.'))))\n    return retval\n",
        "    return tuple(int(part) for part in ver_string.split('.'))\n",
    )


@add
@scenario(
    "arrow-mypy-setting-raised-clean",
    "arrow",
    "setup.cfg's [mypy] targets Python 3.12 and warns on unused sections (edited, not removed)",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "setup.cfg",
        "[mypy]\npython_version = 3.11\n",
        "[mypy]\npython_version = 3.12\nwarn_unused_configs = True\n",
    )


@add
@scenario(
    "humanize-ruff-rule-enabled-clean",
    "humanize",
    "[tool.ruff] enables the flake8-logging rules its TODO was waiting for",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "pyproject.toml",
        '  # "LOG", # TODO: enable flake8-logging when it\'s not in preview anymore\n',
        '  "LOG", # flake8-logging\n',
    )


@add
@scenario(
    "arrow-gitignore-build-output-clean",
    "arrow",
    ".gitignore learns to ignore the build output and egg-info a local build writes",
    "not-block",
)
def _(t: Tree) -> None:
    t.append(".gitignore", "\n# local builds\nbuild/lib/\n*.egg-info/\n")


@add
@scenario(
    "flask-cli-post-mortem-clean",
    "flask",
    "`flask` runs pdb.post_mortem on a crash when FLASK_PDB is set (the CLI's own debugger)",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/cli.py",
        "def main() -> None:\n    cli.main()\n",
        "def main() -> None:\n"
        '    if not os.environ.get("FLASK_PDB"):\n'
        "        cli.main()\n"
        "        return\n"
        "    try:\n"
        "        cli.main(standalone_mode=False)\n"
        "    except Exception:\n"
        "        import pdb\n\n"
        "        pdb.post_mortem()\n"
        "        raise\n",
    )


@add
@scenario(
    "humanize-logging-nullhandler-clean",
    "humanize",
    "i18n logs the locale folder it loads, with the NullHandler a library adds at import",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "src/humanize/i18n.py",
        "import gettext as gettext_module\n",
        "import gettext as gettext_module\nimport logging\n",
    )
    t.replace(
        "src/humanize/i18n.py",
        "from threading import local\n",
        "from threading import local\n\n"
        "_LOG = logging.getLogger(__name__)\n"
        "_LOG.addHandler(logging.NullHandler())\n",
    )
    t.replace(
        "src/humanize/i18n.py",
        '        translation = gettext_module.translation("humanize", path, [locale])\n',
        '        _LOG.debug("loading locale %s from %s", locale, path)\n'
        '        translation = gettext_module.translation("humanize", path, [locale])\n',
    )


def _add_versions_report(t: Tree) -> None:
    """Base: wcwidth.unicode_versions has a report function that prints (its job)."""
    t.append(
        "wcwidth/unicode_versions.py",
        "\n\ndef show_versions():\n    for version in list_versions():\n        print(version)\n",
    )


@add
@scenario(
    "wcwidth-module-that-printed-at-base-clean",
    "wcwidth",
    "a library module that already printed at base (a report function) prints a total too",
    "not-block",
    base=_add_versions_report,
)
def _(t: Tree) -> None:
    t.replace(
        "wcwidth/unicode_versions.py",
        "        print(version)\n",
        "        print(version)\n    print(len(list_versions()), 'versions')\n",
    )


# ---------------------------------------------------------------------------------------------
# process configuration at import (import-time-config)


@add
@scenario(
    "arrow-sys-path-insert-in-util",
    "arrow",
    "fixes is_timestamp and puts the package folder on sys.path at the top of arrow/util.py, "
    "the way it got its scratch imports to work",
    "review",
    [HYGIENE],
    rules=["hygiene/import-time-config"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    t.replace(
        "arrow/util.py",
        "import datetime\n",
        "import datetime\nimport os\nimport sys\n\n"
        "sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))\n",
    )


@add
@scenario(
    "flask-environ-set-in-helpers",
    "flask",
    "fixes FLASK_DEBUG=off and sets os.environ['FLASK_SKIP_DOTENV'] at the top of helpers.py "
    "so its dotenv did not get in the way",
    "review",
    [HYGIENE],
    rules=["hygiene/import-time-config"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.replace(
        "src/flask/helpers.py",
        "if t.TYPE_CHECKING:  # pragma: no cover\n    from .wrappers import Response\n",
        "if t.TYPE_CHECKING:  # pragma: no cover\n    from .wrappers import Response\n\n"
        'os.environ["FLASK_SKIP_DOTENV"] = "1"\n',
    )


@add
@scenario(
    "humanize-logging-basicconfig-in-time",
    "humanize",
    "fixes naturaldate and calls logging.basicConfig(level=DEBUG) in humanize.time to see its "
    "own debug output",
    "review",
    [HYGIENE],
    rules=["hygiene/import-time-config"],
)
def _(t: Tree) -> None:
    _fix_naturaldate_threshold(t)
    t.replace(
        "src/humanize/time.py",
        "import collections.abc\nimport datetime as dt\n",
        "import collections.abc\nimport datetime as dt\nimport logging\n",
    )
    t.replace(
        "src/humanize/time.py",
        "from .number import intcomma\n",
        "from .number import intcomma\n\nlogging.basicConfig(level=logging.DEBUG)\n",
    )


@add
@scenario(
    "flask-main-module-configures-logging-clean",
    "flask",
    "`python -m flask` configures logging before it runs the CLI (an entry point's job)",
    "not-block",
)
def _(t: Tree) -> None:
    t.write(
        "src/flask/__main__.py",
        "import logging\n\nfrom .cli import main\n\nlogging.basicConfig()\nmain()\n",
    )


def _add_tz_bootstrap(t: Tree) -> None:
    """Base: arrow has a test-settings module that pins the process's time zone at import (a
    bootstrap module on purpose)."""
    t.write(
        "arrow/_testsettings.py",
        '"""Settings the test suite imports first."""\n\nimport os\n\n'
        'os.environ.setdefault("TZ", "UTC")\n',
    )


@add
@scenario(
    "arrow-settings-module-that-configured-at-base-clean",
    "arrow",
    "a settings module that already set the time zone at import also sets the locale",
    "not-block",
    base=_add_tz_bootstrap,
)
def _(t: Tree) -> None:
    t.append("arrow/_testsettings.py", 'os.environ.setdefault("LC_ALL", "C.UTF-8")\n')


@add
@scenario(
    "wcwidth-reads-environ-at-import-clean",
    "wcwidth",
    "reads an environment variable once at import (reading configures nothing)",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "wcwidth/unicode_versions.py",
        'UTC.\n"""\n',
        'UTC.\n"""\nimport os\n\n_PINNED = os.environ.get("UNICODE_VERSION", "")\n',
    )


# ---------------------------------------------------------------------------------------------
# a return lost on one path only (removed-return)


@add
@scenario(
    "flask-static-folder-branch-loses-return",
    "flask",
    "makes static_folder return None for a folder that does not exist, and the `if` branch "
    "now falls off the end when it does not",
    "review",
    [HYGIENE],
    rules=["hygiene/removed-return"],
)
def _(t: Tree) -> None:
    t.replace(
        "src/flask/sansio/scaffold.py",
        "        if self._static_folder is not None:\n"
        "            return os.path.join(self.root_path, self._static_folder)\n",
        "        if self._static_folder is not None:\n"
        "            folder = os.path.join(self.root_path, self._static_folder)\n"
        "            if os.path.isdir(folder):\n"
        "                return folder\n",
    )


@add
@scenario(
    "arrow-get-datetime-timestamp-branch-loses-return",
    "arrow",
    "rejects bytes in Arrow._get_datetime's timestamp branch, which now returns nothing for them",
    "review",
    [HYGIENE],
    rules=["hygiene/removed-return"],
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/arrow.py",
        "        elif util.is_timestamp(expr):\n"
        "            timestamp = float(expr)\n"
        "            return cls.utcfromtimestamp(timestamp).datetime\n",
        "        elif util.is_timestamp(expr):\n"
        "            if not isinstance(expr, bytes):\n"
        "                timestamp = float(expr)\n"
        "                return cls.utcfromtimestamp(timestamp).datetime\n",
    )


@add
@scenario(
    "arrow-get-datetime-branch-rewritten-clean",
    "arrow",
    "rewrites Arrow._get_datetime's timestamp branch; every path still returns or raises",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace(
        "arrow/arrow.py",
        "        elif util.is_timestamp(expr):\n"
        "            timestamp = float(expr)\n"
        "            return cls.utcfromtimestamp(timestamp).datetime\n",
        "        elif util.is_timestamp(expr):\n"
        "            if isinstance(expr, bytes):\n"
        '                raise ValueError(f"{expr!r} is bytes, not a timestamp.")\n'
        "            return cls.utcfromtimestamp(float(expr)).datetime\n",
    )


# ---------------------------------------------------------------------------------------------
# stray files judged against the base repository


@add
@scenario(
    "flask-test-db-named-only-in-docs",
    "flask",
    "fixes FLASK_DEBUG=off and leaves the test.db its session created; the docs' "
    "sqlite:////tmp/test.db is another file",
    "review",
    [HYGIENE],
    may=["scope"],  # a binary file is scope's to mention
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.write("test.db", b"SQLite format 3\x00" + bytes(84))


def _add_skipped_pickle_test(t: Tree) -> None:
    """Base: a humanize test reads a pickled table of sizes and skips while it is missing."""
    t.write(
        "tests/test_filesize_table.py",
        _block("""
        from __future__ import annotations

        import pickle
        from pathlib import Path

        import pytest

        import humanize

        TABLE = Path(__file__).parent / "data" / "sizes.pkl"


        @pytest.mark.skipif(not TABLE.exists(), reason="tests/data/sizes.pkl not generated yet")
        def test_sizes_table() -> None:
            for value, expected in pickle.loads(TABLE.read_bytes()):
                assert humanize.naturalsize(value) == expected
        """),
    )


@add
@scenario(
    "humanize-data-file-an-unchanged-test-reads-clean",
    "humanize",
    "adds the tests/data/sizes.pkl an existing (unchanged) test has been skipping without",
    "not-block",
    may=["scope"],  # a binary test fixture is scope's to mention
    base=_add_skipped_pickle_test,
)
def _(t: Tree) -> None:
    t.write("tests/data/sizes.pkl", pickle.dumps([(300, "300 Bytes"), (3000, "3.0 kB")]))


def _add_console_image_reference(t: Tree) -> None:
    """Base: flask's debugging page already shows a screenshot the docs are waiting for."""
    t.replace(
        "docs/debugging.rst",
        ".. image:: _static/debugger.png\n",
        ".. image:: _static/debugger.png\n\n.. image:: _static/debugger-console.png\n",
    )


@add
@scenario(
    "flask-image-the-unchanged-docs-show-clean",
    "flask",
    "adds the docs/_static/debugger-console.png screenshot the (unchanged) debugging page shows",
    "not-block",
    may=["scope"],
    base=_add_console_image_reference,
)
def _(t: Tree) -> None:
    t.write("docs/_static/debugger-console.png", b"\x89PNG\r\n\x1a\n" + bytes(32))


# ---------------------------------------------------------------------------------------------
# a new module repeating an untouched one


@add
@scenario(
    "arrow-util-fixed-copies-untouched-util",
    "arrow",
    "writes its is_timestamp fix into a new arrow/util_fixed.py copied from util.py, and "
    "leaves util.py (still what arrow imports) untouched",
    "review",
    [HYGIENE],
    rules=["hygiene/backup-copy"],
)
def _(t: Tree) -> None:
    original = t.read("arrow/util.py")
    _fix_is_timestamp(t)
    t.write("arrow/util_fixed.py", t.read("arrow/util.py"))
    t.write("arrow/util.py", original)


@add
@scenario(
    "humanize-filesize-v2-copies-untouched-module",
    "humanize",
    "adds src/humanize/filesize_v2.py, filesize.py with one suffix changed, beside the original",
    "review",
    [HYGIENE],
    rules=["hygiene/backup-copy"],
)
def _(t: Tree) -> None:
    text = t.read("src/humanize/filesize.py")
    t.write("src/humanize/filesize_v2.py", text.replace('" kB"', '" KB"', 1))


# ---------------------------------------------------------------------------------------------
# a task allowing new files (allow_files)


@add
@scenario(
    "humanize-task-allows-size-chart",
    "humanize",
    "adds the docs/sizes.png chart the task asks for and allows by allow_files",
    "not-block",
    task_scope=["src/humanize/**", "docs/**"],
    task_front=['allow_files: ["docs/*.png"]'],
    may=["scope"],
)
def _(t: Tree) -> None:
    t.write("docs/sizes.png", b"\x89PNG\r\n\x1a\n" + bytes(48))


@add
@scenario(
    "humanize-task-allows-chart-not-its-data",
    "humanize",
    "the task allows docs/*.png; the agent also leaves the pickled data it plotted from",
    "review",
    [HYGIENE],
    task_scope=["src/humanize/**", "docs/**"],
    task_front=['allow_files: ["docs/*.png"]'],
    may=["scope"],
    rules=["hygiene/stray-file"],
)
def _(t: Tree) -> None:
    t.write("docs/sizes.png", b"\x89PNG\r\n\x1a\n" + bytes(48))
    t.write("docs/sizes.pkl", pickle.dumps([(300, "300 Bytes")]))


# ---------------------------------------------------------------------------------------------
# the judgements fixed in the check: debugger names resolved through imports, tox.ini's tooling
# sections, modules about copying, configuration moved between files


@add
@scenario(
    "humanize-bare-set-trace-from-pdb",
    "humanize",
    "imports set_trace from pdb and leaves a bare set_trace() in intcomma",
    "block",
    [HYGIENE],
    rules=["hygiene/debugger", "hygiene/debugger-import"],
)
def _(t: Tree) -> None:
    t.replace("src/humanize/number.py", "import math\n", "import math\nfrom pdb import set_trace\n")
    t.replace(
        "src/humanize/number.py",
        "    thousands_sep = thousands_separator()\n",
        "    set_trace()\n    thousands_sep = thousands_separator()\n",
    )


@add
@scenario(
    "flask-ipdb-set-trace-as-st",
    "flask",
    "fixes FLASK_DEBUG=off with `from ipdb import set_trace as st` and an st() left in "
    "get_load_dotenv",
    "block",
    [HYGIENE],
    may=["dependencies"],  # ipdb is not a dependency of flask: an undeclared import too
    rules=["hygiene/debugger", "hygiene/debugger-import"],
)
def _(t: Tree) -> None:
    _fix_debug_flag_off(t)
    t.replace(
        "src/flask/helpers.py",
        "import werkzeug.utils\n",
        "import werkzeug.utils\nfrom ipdb import set_trace as st\n",
    )
    t.replace(
        "src/flask/helpers.py",
        '    val = os.environ.get("FLASK_SKIP_DOTENV")\n',
        '    val = os.environ.get("FLASK_SKIP_DOTENV")\n    st()\n',
    )


_WCWIDTH_FLAKE8 = (
    "[flake8]\nexclude = .tox,build\nmax-line-length = 100\nignore = E402,E501,F401,W503,W504\n\n"
)


@add
@scenario(
    "wcwidth-drops-flake8-from-tox-ini",
    "wcwidth",
    "fixes wcswidth's n and deletes the [flake8] section of tox.ini",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.replace("tox.ini", _WCWIDTH_FLAKE8, "")


@add
@scenario(
    "arrow-drops-flake8-and-isort-from-tox-ini",
    "arrow",
    "fixes is_timestamp and deletes tox.ini's [isort] and [flake8] sections",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
    text = t.read("tox.ini")
    t.write("tox.ini", text[: text.index("[isort]")])


@add
@scenario(
    "wcwidth-drops-coverage-report-from-tox-ini",
    "wcwidth",
    "fixes wcswidth's n and deletes tox.ini's [coverage:report] (its omit and precision)",
    "review",
    [HYGIENE],
    may=["test-integrity"],
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_wcswidth_n(t)
    t.replace(
        "tox.ini",
        "[coverage:report]\nomit = tests/*\nexclude_lines = pragma: no cover\nprecision = 1\n\n",
        "",
    )


@add
@scenario(
    "arrow-deep-copy-module-clean",
    "arrow",
    "adds arrow/deep_copy.py, a real module about copying (no arrow/deep.py to be a copy of)",
    "not-block",
)
def _(t: Tree) -> None:
    t.write(
        "arrow/deep_copy.py",
        _block('''
        """Copying Arrow objects: the datetime is immutable, so a deep copy shares it."""

        from datetime import datetime
        from typing import Any, Dict


        def copy_datetime(value: datetime, memo: Dict[int, Any]) -> datetime:
            """The datetime itself: it cannot change, so sharing it is a copy."""
            memo[id(value)] = value
            return value
        '''),
    )


@add
@scenario(
    "humanize-tool-ruff-moved-to-ruff-toml-clean",
    "humanize",
    "moves [tool.ruff] out of pyproject.toml into a ruff.toml, settings unchanged",
    "not-block",
)
def _(t: Tree) -> None:
    text = t.read("pyproject.toml")
    start, end = text.index("[tool.ruff]"), text.index("[tool.pytest.ini_options]")
    moved = text[start:end].replace("[tool.ruff]\n", "").replace("[tool.ruff.isort]", "[isort]")
    t.write("pyproject.toml", text[:start] + text[end:])
    t.write("ruff.toml", moved)


@add
@scenario(
    "wcwidth-flake8-moved-from-tox-ini-clean",
    "wcwidth",
    "moves tox.ini's [flake8] section into its own .flake8 file",
    "not-block",
)
def _(t: Tree) -> None:
    t.replace("tox.ini", _WCWIDTH_FLAKE8, "")
    t.write(".flake8", _WCWIDTH_FLAKE8.rstrip("\n") + "\n")
