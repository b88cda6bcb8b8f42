"""Change-scoped analysis finds what whole-module analysis finds on the changed lines. Measuring
only the functions a change touches gives radon's numbers for them: checked against
radon on whole real modules (this repository's own largest ones), one function at a time, and on
the shapes pruning must keep (methods, nested classes, functions under a module-level `if`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from radon.complexity import cc_visit

from crewchief.gate.analysis import complexity
from crewchief.gate.analysis.pysource import walk_lines
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.quality import CHECK
from crewchief.spec.policy import Policy

SRC = Path(__file__).resolve().parents[2] / "src" / "crewchief"
MODULES = sorted(SRC.rglob("*.py"), key=lambda p: p.stat().st_size, reverse=True)[:6]


def whole(text: str) -> dict[str, int]:
    """radon on the whole module, named as the quality check names functions."""
    result: dict[str, int] = {}

    def visit(block: object, prefix: str) -> None:
        name = f"{prefix}{block.name}"  # type: ignore[attr-defined]
        if getattr(block, "letter", "") in ("F", "M"):
            result[name] = int(block.complexity)  # type: ignore[attr-defined]
        for inner in [
            *(getattr(block, "closures", []) or []),
            *(getattr(block, "methods", []) or []),
            *(getattr(block, "inner_classes", []) or []),
        ]:
            visit(inner, f"{name}.")

    for block in cc_visit(text):
        if getattr(block, "letter", "") != "M":
            visit(block, "")
    return result


def defs(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_touched_function_measures_as_radon_measures_it_in_the_whole_module(path) -> None:
    text = path.read_text()
    expected = whole(text)
    checked = 0
    for node in defs(ast.parse(text)):
        found, names = complexity.touched(text, {node.lineno})
        assert found, f"{path.name}:{node.lineno} {node.name} was not measured"
        for name, (value, _line) in found.items():
            assert value == expected[name], f"{path.name}: {name}"
        assert complexity.named(text, names) == found
        checked += 1
    assert checked > 10


def test_untouched_functions_are_not_measured() -> None:
    text = "def a(x):\n    return x\n\n\nclass K:\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n"
    found, names = complexity.touched(text, {7})
    assert set(found) == {"K.m"} and names == {"K.m"}


def test_a_function_under_a_module_level_if_is_measured_on_both_sides() -> None:
    base = "import sys\nif sys.version_info >= (3, 11):\n    def f(x):\n        return x\n"
    head = base.replace(
        "        return x\n",
        "".join(f"        if x == {i}:\n            return {i}\n" for i in range(12))
        + "        return x\n",
    )
    change = Change.from_files({"m.py": base}, {"m.py": head})
    found = [f for f in CHECK.run(CheckContext(change, Policy())) if not f.rule.startswith("ruff")]
    assert [(f.rule, f.line) for f in found] == [("complexity-growth", 3)]


def test_a_method_of_a_nested_class_is_compared_by_its_qualified_name() -> None:
    def module(branches: int) -> str:
        body = "".join(
            f"            if x == {i}:\n                return {i}\n" for i in range(branches)
        )
        return (
            "class A:\n    class B:\n        def m(self, x):\n"
            f"{body}            return x\n\n    def other(self):\n        return 0\n"
        )

    change = Change.from_files({"m.py": module(1)}, {"m.py": module(12)})
    found = [f for f in CHECK.run(CheckContext(change, Policy())) if not f.rule.startswith("ruff")]
    assert [f.rule for f in found] == ["complexity-growth"]
    assert "A.B.m: cyclomatic complexity grew from 2 to 13" in found[0].message


@pytest.mark.parametrize("path", MODULES[:3], ids=lambda p: p.name)
def test_walk_lines_finds_what_a_whole_walk_finds_on_those_lines(path) -> None:
    text = path.read_text()
    tree = ast.parse(text)
    total = len(text.splitlines())
    for lines in ({1}, {total // 2}, {total // 3, total // 3 + 1, total - 1}, set(range(1, total))):
        expected = set()
        for n in ast.walk(tree):
            start = getattr(n, "lineno", None)
            end: int = getattr(n, "end_lineno", None) or start or 0
            if start is not None and any(start <= line <= end for line in lines):
                expected.add(id(n))
        assert {id(n) for n in walk_lines(tree, lines)} == expected
