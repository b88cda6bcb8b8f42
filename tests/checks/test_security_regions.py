"""bandit reads only what a change can have changed, and reports exactly what a whole-file read
would: each case runs the security check twice, pruned and whole, and the findings must agree.

The cases are the ways an agent could try to slip a finding past a pruned read: an import that
re-aliases a name an untouched function calls, an import whose mere presence switches a bandit test
on, a line removed from inside a call, a dangerous line pasted next to an old copy of itself, and
texts whose line numbers the diff and the parser count differently.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security import regions
from crewchief.gate.checks.security.check import CHECK
from crewchief.spec.policy import Policy

PADDING = "".join(f"\n\ndef helper_{i}(value):\n    return (value, {i})\n" for i in range(12))
"""Untouched definitions around the edited ones, so that the pruned read really leaves code out."""


def findings(base: dict[str, Any], head: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    ctx = CheckContext(Change.from_files(base, head), Policy())
    return sorted((f.rule, f.path or "", f.line) for f in CHECK.run(ctx))


def both_ways(
    monkeypatch: pytest.MonkeyPatch, base: dict[str, Any], head: dict[str, Any]
) -> list[tuple[str, str, int | None]]:
    """The findings of a pruned read, after checking that a whole read gives the same ones."""
    pruned = findings(base, head)
    with monkeypatch.context() as patch:
        patch.setattr(regions, "prune_for", lambda file, new: None)
        whole = findings(base, head)
    assert pruned == whole
    return pruned


def prunes(base: str, head: str) -> bool:
    """Whether the check would cut the head side of this one-file change at all."""
    (file,) = Change.from_files({"m.py": base}, {"m.py": head}).files
    return regions.prune_for(file, new=True) is not None


def rules_of(found: list[tuple[str, str, int | None]]) -> list[str]:
    return [rule for rule, _, _ in found]


def test_an_untouched_function_an_import_realiases_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = PADDING + "\n\ndef load(blob):\n    return json.loads(blob)\n" + PADDING
    base, head = "import json\n" + body, "import pickle as json\n" + body
    assert prunes(base, head)
    found = both_ways(monkeypatch, {"m.py": base}, {"m.py": head})
    line = head.splitlines().index("    return json.loads(blob)") + 1
    assert ("bandit-b301", "m.py", line) in found


def test_a_from_import_alias_moves_an_old_call_to_a_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    body = PADDING + "\n\ndef launch(cmd):\n    return fetch(cmd)\n" + PADDING
    base = "from os import getenv as fetch\n" + body
    head = "from os import system as fetch\n" + body
    found = both_ways(monkeypatch, {"m.py": base}, {"m.py": head})
    assert "bandit-b605" in rules_of(found)


def test_an_import_that_switches_a_test_on_means_a_whole_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = PADDING + "\n\ndef serve(app):\n    app.run(debug=True)\n" + PADDING
    base, head = "import os\n" + body, "import os\nimport flask\n" + body
    assert not prunes(base, head)
    found = both_ways(monkeypatch, {"m.py": base}, {"m.py": head})
    assert "bandit-b201" in rules_of(found)


def test_a_line_removed_inside_a_call_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    call = (
        "\n\ndef fetch(url):\n    return requests.get(\n        url,\n        timeout=5,\n    )\n"
    )
    base = "import requests\n" + PADDING + call + PADDING
    head = base.replace("        timeout=5,\n", "")
    assert prunes(base, head)
    found = both_ways(monkeypatch, {"m.py": base}, {"m.py": head})
    assert "bandit-b113" in rules_of(found)


def test_a_pasted_copy_is_reported_where_it_was_pasted(monkeypatch: pytest.MonkeyPatch) -> None:
    old = "\n\ndef old(cmd):\n    subprocess.call(cmd, shell=True)\n"
    new = "\n\ndef new(cmd):\n    subprocess.call(cmd, shell=True)\n"
    base = "import subprocess\n" + old + PADDING
    head = base + new
    found = both_ways(monkeypatch, {"m.py": base}, {"m.py": head})
    line = head.splitlines().index("def new(cmd):") + 2
    assert [(r, n) for r, _, n in found if r == "bandit-b602"] == [("bandit-b602", line)]


def test_a_function_moved_to_another_file_is_not_new(monkeypatch: pytest.MonkeyPatch) -> None:
    moved = "\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
    base = {
        "a.py": "import subprocess\n" + PADDING + moved,
        "b.py": "import subprocess\n" + PADDING,
    }
    head = {
        "a.py": "import subprocess\n" + PADDING,
        "b.py": "import subprocess\n" + PADDING + moved,
    }
    assert "bandit-b602" not in rules_of(both_ways(monkeypatch, base, head))


def test_one_method_of_a_class_is_read_not_its_old_neighbours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    methods = "".join(f"\n    def m{i}(self, x):\n        return eval(x)\n" for i in range(6))
    base = "class Box:\n    kind = 'box'\n" + methods + PADDING
    head = base.replace(
        "    def m3(self, x):\n        return eval(x)\n",
        "    def m3(self, x):\n        return eval(x) or exec(x)\n",
    )
    assert prunes(base, head)
    found = both_ways(monkeypatch, {"m.py": base}, {"m.py": head})
    line = head.splitlines().index("        return eval(x) or exec(x)") + 1
    assert found == [("bandit-b102", "m.py", line), ("bandit-b307", "m.py", line)]


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x1c"])
def test_texts_numbered_differently_are_read_whole(
    monkeypatch: pytest.MonkeyPatch, separator: str
) -> None:
    """`str.splitlines` breaks at these and the parser does not, so the diff's line numbers would
    point at the wrong definitions: an agent could hide a new call behind one in a comment."""
    base = f"import subprocess\n# a{separator}b\n" + PADDING
    head = base + "\n\ndef new(cmd):\n    subprocess.call(cmd, shell=True)\n"
    assert not prunes(base, head)
    assert "bandit-b602" in rules_of(both_ways(monkeypatch, {"m.py": base}, {"m.py": head}))


def test_a_coding_cookie_that_renumbers_lines_means_a_whole_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under utf-7, `+AAo-` in a comment is a newline for Python and not for the diff."""
    base = "# -*- coding: utf-7 -*-\nimport subprocess\n# note +AAo-x = 1\n" + PADDING
    head = base + "\n\ndef new(cmd):\n    subprocess.call(cmd, shell=True)\n"
    assert not prunes(base, head)
    assert "bandit-b602" in rules_of(both_ways(monkeypatch, {"m.py": base}, {"m.py": head}))


def test_the_pruned_tree_keeps_module_code_touched_defs_and_carried_imports() -> None:
    source = (
        "import os\nX = 1\n\n\ndef a():\n    import pickle\n    return 1\n\n\n"
        "def b():\n    return 2\n\n\n@decorate\ndef c():\n    return 3\n"
    )
    tree = ast.parse(source)
    lines = source.splitlines()
    focus = regions.Focus(touched=frozenset({14}), names=frozenset())
    kept = regions.pruned(tree, lines, focus)
    shown = [type(n).__name__ + (f":{n.name}" if hasattr(n, "name") else "") for n in kept.body]
    assert shown == ["Import", "Assign", "Import", "FunctionDef:c"]


def _presence_probes() -> Iterator[str]:
    """Every module name bandit's installed plugins test for with `is_module_imported_*`: the
    string arguments of those calls, and the strings a loop variable passed to them runs over
    (`for module in ["paramiko"]`, or a list named first and looped over in a generator)."""
    import bandit.plugins

    folder = Path(inspect.getfile(bandit.plugins)).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            yield from _probes_in(func)


def _probes_in(func: ast.FunctionDef) -> Iterator[str]:
    lists = {
        target.id: node.value
        for node in ast.walk(func)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    loops: dict[str, list[ast.expr]] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
            looped = (
                lists.get(node.iter.id, node.iter) if isinstance(node.iter, ast.Name) else node.iter
            )
            loops.setdefault(node.target.id, []).append(looped)
    for call in ast.walk(func):
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr.startswith("is_module_imported")
        ):
            continue
        for arg in call.args:
            values = loops.get(arg.id, [arg]) if isinstance(arg, ast.Name) else [arg]
            items = [
                i for v in values for i in (v.elts if isinstance(v, ast.List | ast.Tuple) else [v])
            ]
            for item in items:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    yield item.value


def test_every_module_bandit_probes_for_is_known() -> None:
    probes = set(_presence_probes())
    assert {"flask", "yaml", "paramiko", "transformers"} <= probes  # the reader itself works
    assert probes <= regions.PRESENCE_PROBES
