"""Issue 11: taint across modules of the repository, and the path of every flow.

A Flask route hands request data to a helper defined in another module; whether that is an
injection is written in the helper, which the change may not touch. Each case is a real git
repository read the way the gate reads it, with a safe look-alike beside each dangerous one."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from crewchief.gate.analysis.taint import analyse
from crewchief.gate.cache import Cache, NullCache
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.findings import Finding
from crewchief.gate.reader import read_change
from crewchief.spec.policy import Policy
from tests.helpers.repo import Repo

MakeRepo = Callable[..., Repo]

SHELL = """\
import subprocess


def run(cmd):
    full = "ls " + cmd
    return subprocess.call(full, shell=True)
"""
SYSTEM = "import os\n\n\ndef run(cmd, *, quiet=False):\n    os.system(cmd)\n"
QUOTED = SHELL.replace('"ls " + cmd', '"ls " + shlex.quote(cmd)').replace(
    "import subprocess", "import shlex\nimport subprocess"
)
CONVERTED = SHELL.replace('"ls " + cmd', '"ls " + str(int(cmd))')
ARGV = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(['ls', cmd])\n"

ROUTE = """\
from flask import Flask, request
{imports}

app = Flask(__name__)


@app.route("/files")
def files():
    name = request.args["name"]
    {call}
    return "ok"
"""
IDLE_ROUTE = ROUTE.replace('    name = request.args["name"]\n    {call}\n', "")


def route(imports: str = "from app.utils import run", call: str = "run(name)") -> str:
    return ROUTE.format(imports=imports, call=call)


def gate(
    make_repo: MakeRepo,
    base: Mapping[str, str | bytes],
    head: Mapping[str, str | bytes],
    cache: NullCache | None = None,
) -> list[Finding]:
    """The security check's findings on a real commit from `base` to `head`."""
    files: dict[str | bytes, str | bytes | None] = {"app/__init__.py": ""}
    files.update(base)
    repo = make_repo(files)
    before = repo.git("rev-parse", "HEAD")
    changed: dict[str | bytes, str | bytes | None] = {}
    changed.update(head)
    after = repo.commit(changed)
    change = read_change(repo.path, before, after)
    ctx = CheckContext(change, Policy(), cache=cache or NullCache())
    return [f for f in CHECK.run(ctx) if f.rule.startswith("taint-")]


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from app.utils import run", "run(name)"),
        ("from app.utils import run as launch", "launch(cmd=name)"),
        ("import app.utils as helpers", "helpers.run(name)"),
        ("import app.utils", "app.utils.run(name)"),
        ("from app import utils", "utils.run(name)"),
        ("from .utils import run", "run(name)"),
        ("from . import utils", "utils.run(name)"),
    ],
)
@pytest.mark.parametrize("helper", [SHELL, SYSTEM])
def test_a_tainted_value_crossing_into_an_unchanged_helper_module_is_found(
    make_repo: MakeRepo, imports: str, call: str, helper: str
) -> None:
    """Only the route changes; the helper is summarised from the tree as it is at base."""
    base = {"app/utils.py": helper, "app/views.py": IDLE_ROUTE.format(imports=imports)}
    (finding,) = gate(make_repo, base, {"app/views.py": route(imports, call)})
    assert (finding.rule, finding.path, finding.line) == (
        "taint-command-injection",
        "app/views.py",
        10,
    )
    assert finding.blocking
    assert "in run() (app/utils.py line " in finding.message
    assert "path: line 9 assigned to 'name' -> line 10 passed to run() as 'cmd'" in finding.message


BOM = b"\xef\xbb\xbf"
LATIN1 = b"# -*- coding: latin-1 -*-\n# caf\xe9\n"
"""A helper in a legacy codec that says so: Python runs it, a strict UTF-8 reading fails."""


@pytest.mark.parametrize("prefix", [BOM, LATIN1], ids=["bom", "coding-cookie"])
def test_a_helper_python_decodes_differently_from_utf8_is_still_read(
    make_repo: MakeRepo, prefix: bytes
) -> None:
    """A helper that starts with a UTF-8 BOM (or declares its codec) is code Python runs: it
    must be summarised from Python's reading, not dropped as undecodable."""
    helper = prefix + SHELL.encode()
    compile(helper, "app/utils.py", "exec")  # Python itself reads it
    base = {"app/utils.py": helper, "app/views.py": IDLE_ROUTE.format(imports="").encode()}
    (finding,) = gate(make_repo, base, {"app/views.py": route()})
    assert (finding.rule, finding.path, finding.line) == (
        "taint-command-injection",
        "app/views.py",
        10,
    )
    assert finding.blocking


def test_a_changed_module_with_a_bom_keeps_its_taint_finding(make_repo: MakeRepo) -> None:
    """The changed route itself starts with a BOM: `Side.text` keeps it (so the diff's lines
    and the hidden-character check see the bytes as they are), and the taint analysis reads the
    module as Python does, so the flow is found on the same line."""
    base = {"app/utils.py": SHELL, "app/views.py": IDLE_ROUTE.format(imports="")}
    views = BOM + route().encode()
    compile(views, "app/views.py", "exec")
    (finding,) = gate(make_repo, base, {"app/views.py": views})
    assert (finding.rule, finding.path, finding.line) == (
        "taint-command-injection",
        "app/views.py",
        10,
    )
    assert finding.blocking


def test_a_local_helper_handing_its_parameter_to_another_module_is_followed(
    make_repo: MakeRepo,
) -> None:
    """route -> a helper of the route's own module -> `run` in app/utils.py -> a shell."""
    local = "from app.utils import run\n\n\ndef launch(target):\n    run(target)\n\n"
    views = route(imports="", call="launch(name)").replace("\napp = Flask", local + "\napp = Flask")
    base = {"app/utils.py": SHELL, "app/views.py": IDLE_ROUTE.format(imports="")}
    (finding,) = gate(make_repo, base, {"app/views.py": views})
    assert finding.rule == "taint-command-injection"
    assert "passed to launch() as 'target'" in finding.message


def test_the_path_shows_the_hops_inside_the_helper_module(make_repo: MakeRepo) -> None:
    base = {"app/utils.py": SHELL, "app/views.py": IDLE_ROUTE.format(imports="")}
    (finding,) = gate(make_repo, base, {"app/views.py": route()})
    assert finding.message.endswith(
        "path: line 9 assigned to 'name' -> line 10 passed to run() as 'cmd'"
        " -> app/utils.py line 5 assigned to 'full'"
    )


@pytest.mark.parametrize("helper", [QUOTED, CONVERTED, ARGV])
def test_a_helper_that_sanitises_or_runs_no_shell_gives_no_finding(
    make_repo: MakeRepo, helper: str
) -> None:
    """Beside its dangerous twin, so the pair shows the helper's body is what is judged."""
    found = {}
    for name, body in (("dangerous", SHELL), ("safe", helper)):
        base = {"app/utils.py": body, "app/views.py": IDLE_ROUTE.format(imports="")}
        found[name] = [f.rule for f in gate(make_repo, base, {"app/views.py": route()})]
    assert found == {"dangerous": ["taint-command-injection"], "safe": []}


@pytest.mark.parametrize("comment", ["", "# Runs what the request asked for.\n"])
def test_a_helper_made_dangerous_is_reported_on_the_change_when_its_caller_is_unchanged(
    make_repo: MakeRepo, comment: str
) -> None:
    """With and without a source word in the helper module (the taint analysis proper skips a
    file without one, so the helper is then summarised on its own)."""
    base = {"app/utils.py": ARGV, "app/views.py": route()}
    (finding,) = gate(
        make_repo, base, {"app/utils.py": SHELL.replace("\n\n\n", f"\n{comment}\n\n")}
    )
    assert (finding.rule, finding.path, finding.line) == (
        "taint-command-injection",
        "app/utils.py",
        6 + comment.count("\n"),
    )
    assert "untrusted request.args (app/views.py line 9)" in finding.message
    assert "app/views.py line 10 calls it in files()" in finding.message
    assert "path: app/views.py line 9 assigned to 'name'" in finding.message
    assert finding.blocking


def test_only_a_caller_flow_the_change_opens_is_reported(make_repo: MakeRepo) -> None:
    """The unchanged caller's flow counts only when the change made it: a helper edited but
    still safe, made safe, or dangerous already at base, or a caller passing a constant, are
    quiet; the first case is the contrast that shows the others are judged, not skipped."""
    cases = {
        "made dangerous": (ARGV, SHELL, "run(name)"),
        "still safe": (ARGV, ARGV + "\n\nVERSION = 2\n", "run(name)"),
        "made safe by quoting": (SHELL, QUOTED, "run(name)"),
        "dangerous already": (SHELL, SHELL.replace('"ls "', '"ls -l "'), "run(name)"),
        "a constant argument": (ARGV, SHELL, 'run("/srv")'),
    }
    found = {}
    for case, (before, after, call) in cases.items():
        base = {"app/utils.py": before, "app/views.py": route(call=call)}
        found[case] = len(gate(make_repo, base, {"app/utils.py": after}))
    assert found == {
        "made dangerous": 1,
        "still safe": 0,
        "made safe by quoting": 0,
        "dangerous already": 0,
        "a constant argument": 0,
    }


def test_a_cached_route_analysis_is_redone_when_its_helper_differs(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    """The same route blob, gated first against a safe helper and then against a dangerous
    one: the cache key names the helper's blob, so the second gate does not reuse the first."""
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        safe = {"app/utils.py": ARGV, "app/views.py": IDLE_ROUTE.format(imports="")}
        assert gate(make_repo, safe, {"app/views.py": route()}, cache) == []
        dangerous = {**safe, "app/utils.py": SHELL}
        found = gate(make_repo, dangerous, {"app/views.py": route()}, cache)
    finally:
        cache.close()
    assert [f.rule for f in found] == ["taint-command-injection"]


def test_a_path_naming_hidden_characters_is_escaped(make_repo: MakeRepo) -> None:
    folder = "app\u202e"
    base = {
        f"{folder}/__init__.py": "",
        f"{folder}/utils.py": SHELL,
        f"{folder}/views.py": IDLE_ROUTE.format(imports=""),
    }
    head = {f"{folder}/views.py": route("from .utils import run")}
    (finding,) = gate(make_repo, base, head)
    assert "\u202e" not in finding.message
    assert "app<U+202E>/utils.py line 5 assigned to 'full'" in finding.message


def test_a_flow_records_the_assignments_between_source_and_sink() -> None:
    code = textwrap.dedent(
        """\
        import os
        from flask import request

        def v():
            a = request.args["a"]
            b = "ls " + a
            c = b.strip()
            os.system(c)
        """
    )
    (flow,) = analyse(code)
    assert [(s.line, s.note) for s in flow.path] == [
        (5, "assigned to 'a'"),
        (6, "assigned to 'b'"),
        (7, "assigned to 'c'"),
    ]


def test_a_long_path_keeps_its_first_and_last_hops() -> None:
    lines = "".join(f"    v{i} = v{i - 1} + 'x'\n" for i in range(1, 40))
    code = f"import os\nfrom flask import request\n\ndef v():\n    v0 = request.args['a']\n{lines}    os.system(v39)\n"
    (flow,) = analyse(code)
    notes = [s.note for s in flow.path]
    assert len(notes) == 12
    assert notes[0] == "assigned to 'v0'"
    assert notes[-1] == "assigned to 'v39'"
