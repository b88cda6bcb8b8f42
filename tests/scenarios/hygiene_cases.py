"""Labelled scenarios for the `hygiene` check: the slop found in real agent patches (stray files,
debug leftovers, gutted code, deleted tooling configuration) and the clean look-alikes a real
project legitimately has (a CLI that prints, a data file a new test reads, a deliberate
`NotImplementedError` in an abstract base, a script the README documents).

Each positive names the hygiene rule it expects (`rules`), so the benchmark can report precision and
recall per rule, and how often each rule fires on the clean changes (its noise rate)."""

from __future__ import annotations

import textwrap

from tests.scenarios.harness import Scenario, Tree, scenario

HYGIENE = "hygiene"
HYGIENE_SCENARIOS: list[Scenario] = []


def add(sc: Scenario) -> Scenario:
    HYGIENE_SCENARIOS.append(sc)
    return sc


def _block(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _fix_is_timestamp(t: Tree) -> None:
    """The real fix several scenarios carry along with their slop: bytes are not timestamps."""
    t.replace(
        "arrow/util.py",
        "    if not isinstance(value, (int, float, str)):",
        "    if not isinstance(value, (int, float, str)) or isinstance(value, bytes):",
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
    rules=["hygiene/commented-out-code"],
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
    rules=["hygiene/tooling-config-deleted"],
)
def _(t: Tree) -> None:
    _fix_is_timestamp(t)
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
