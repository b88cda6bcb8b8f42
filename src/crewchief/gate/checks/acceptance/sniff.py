"""Added code that behaves differently when it runs under the test runner.

`if "pytest" in sys.modules: return 5` makes every test pass and fixes nothing: the code sniffs the
test run instead of doing its job. This needs no acceptance literal to be caught, so it is checked on
every change the acceptance check judges. What counts, in added non-test code:

- a runner module looked up in `sys.modules` (`"pytest" in sys.modules`, `sys.modules.get("_pytest")`,
  `sys.modules["unittest"]`);
- a variable pytest sets in the process under test read from the environment
  (`os.environ.get("PYTEST_CURRENT_TEST")`, `"PYTEST_XDIST_WORKER" in os.environ`, `os.getenv(...)`);
- the command line searched for the runner (`"pytest" in sys.argv[0]`,
  `any("pytest" in a for a in sys.argv)`, `sys.argv[0].endswith("py.test")`);
- an import of pytest's internals (`import _pytest`, `from _pytest.x import y`) outside a pytest
  plugin module.

Only the reading side counts: a script that *starts* pytest (`subprocess.run(["pytest", *sys.argv[1:]])`)
or sets `PYTEST_ADDOPTS` for a child is not sniffing its own run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from crewchief.gate.change import FileChange
from crewchief.gate.checks.acceptance.special_case import parse_added

_SOURCES = {
    "sys.modules": "modules",
    "sys.argv": "argv",
    "sys.orig_argv": "argv",
    "argv": "argv",
    "os.environ": "environ",
    "os.environb": "environ",
    "os.getenv": "environ",
    "environ": "environ",
    "getenv": "environ",
}
"""Where a process can see that the test runner started it, by the kind of marker it holds."""

_SET_BY_PYTEST = frozenset(
    {
        "PYTEST_CURRENT_TEST",
        "PYTEST_VERSION",
        "PYTEST_XDIST_WORKER",
        "PYTEST_XDIST_WORKER_COUNT",
        "PYTEST_XDIST_TESTRUNUID",
    }
)
_RUNNER_MODULES = frozenset({"pytest", "_pytest", "py.test", "unittest", "nose", "nose2"})


@dataclass(frozen=True)
class Sniff:
    path: str
    line: int
    code: str
    """The sniffing expression, shortened."""


def _marker(value: object, kind: str) -> bool:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return False
    if kind == "environ":
        return value in _SET_BY_PYTEST
    if kind == "modules":
        return value in _RUNNER_MODULES or value.startswith("_pytest.")
    lowered = value.lower()
    return "pytest" in lowered or "py.test" in lowered


def _source(node: ast.AST) -> str | None:
    """The kind of runner evidence an expression reads (modules, argv, environ), if any."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name | ast.Attribute):
            kind = _SOURCES.get(ast.unparse(sub))
            if kind is not None:
                return kind
    return None


def _has_marker(nodes: Iterable[ast.AST], kind: str) -> bool:
    return any(
        isinstance(sub, ast.Constant) and _marker(sub.value, kind)
        for node in nodes
        for sub in ast.walk(node)
    )


def _reads_runner(node: ast.AST) -> bool:
    """One expression that reads a runner marker from where the process can see it."""
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for index, side in enumerate(operands):
            kind = _source(side)
            others = operands[:index] + operands[index + 1 :]
            if kind is not None and _has_marker(others, kind):
                return True
        return False
    if isinstance(node, ast.Call):
        kind = _source(node.func)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        return kind is not None and _has_marker(arguments, kind)
    if isinstance(node, ast.Subscript):
        kind = _source(node.value)
        return kind is not None and _has_marker([node.slice], kind)
    if isinstance(node, ast.GeneratorExp | ast.ListComp | ast.SetComp):
        for generator in node.generators:
            kind = _source(generator.iter)
            if kind is not None and _has_marker([node.elt, *generator.ifs], kind):
                return True
    return False


def _plugin(path: str) -> bool:
    """A pytest plugin or conftest module: importing pytest's internals is its job."""
    name = PurePosixPath(path).name
    return name == "conftest.py" or "pytest" in path.lower()


def _imports_internals(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name == "_pytest" or a.name.startswith("_pytest.") for a in node.names)
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        return node.level == 0 and (module == "_pytest" or module.startswith("_pytest."))
    return False


def _file_sniffs(file: FileChange, tree: ast.AST) -> Iterator[Sniff]:
    added = file.added_line_numbers
    seen: set[int] = set()
    plugin = _plugin(file.path)
    for node in ast.walk(tree):  # breadth first: the outermost expression of a line comes first
        line = getattr(node, "lineno", 0)
        if line not in added or line in seen:
            continue
        if _reads_runner(node) or (not plugin and _imports_internals(node)):
            seen.add(line)
            code = ast.unparse(node)
            yield Sniff(file.path, line, code if len(code) <= 80 else code[:77] + "...")


def sniffs(files: Iterable[FileChange]) -> list[Sniff]:
    """Every added expression that checks whether it runs under the test runner."""
    found = [s for file, tree in parse_added(files) for s in _file_sniffs(file, tree)]
    return sorted(found, key=lambda s: (s.path, s.line))
