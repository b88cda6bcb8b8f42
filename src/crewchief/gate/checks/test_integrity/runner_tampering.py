"""Production code that watches or rewires the test runner that judges it.

`if "pytest" in sys.modules: return 5` makes every test pass and fixes nothing: the code sniffs the
test run instead of doing its job, and every pytest run, the base oracle's included, sees the
"fix". Code that patches pytest's internals or imports crewchief's own modules can change what a
run reports. None of this needs a task or an acceptance literal to be caught, so it is checked on
every change, in added non-test code (test files, conftests and pytest plugin modules may use
pytest all they like):

- a runner module looked up in `sys.modules` (`"pytest" in sys.modules`, `sys.modules.get("_pytest")`,
  `sys.modules["unittest"]`);
- a variable pytest sets in the process under test read from the environment
  (`os.environ.get("PYTEST_CURRENT_TEST")`, `"PYTEST_XDIST_WORKER" in os.environ`, `os.getenv(...)`);
- the command line searched for the runner (`"pytest" in sys.argv[0]`,
  `any("pytest" in a for a in sys.argv)`, `sys.argv[0].endswith("py.test")`);
- an import of pytest's internals (`import _pytest`, `from _pytest.x import y`) or of crewchief
  (whose reporter records the outcomes) outside a pytest plugin module;
- an assignment, deletion or `setattr` on pytest, `_pytest` or crewchief (`pytest.main = ...`,
  `setattr(_pytest.runner, "call_and_report", ...)`).

Only the reading and patching side counts: a script that *starts* pytest
(`subprocess.run(["pytest", *sys.argv[1:]])`) or sets `PYTEST_ADDOPTS` for a child is not sniffing
its own run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from crewchief.gate.analysis.pysource import parse as parse_python
from crewchief.gate.analysis.pysource import python_text
from crewchief.gate.change import FileChange, match_any
from crewchief.gate.checks.test_integrity.rules import RULES
from crewchief.gate.findings import Finding, fingerprint

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


_IMPORTERS = frozenset({"__import__", "importlib.import_module", "import_module"})


def _name(node: ast.AST) -> str | None:
    """`a.b.c` for an attribute chain, with `__import__("os")` and `importlib.import_module("os")`
    read as the module they return, so `__import__("sys").modules` is `sys.modules`."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        if _name(node.func) in _IMPORTERS and isinstance(node.args[0].value, str):
            parts.append(node.args[0].value)
            return ".".join(reversed(parts))
        return None
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _source(node: ast.AST) -> str | None:
    """The kind of runner evidence an expression reads (modules, argv, environ), if any."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name | ast.Attribute):
            kind = _SOURCES.get(_name(sub) or "")
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


_GUARDED_ROOTS = ("_pytest", "pytest", "crewchief")
_MODULE_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
"""Modules whose objects judged code must not rebind: the runner and crewchief's reporter."""


def _guarded_module(name: str, own: bool) -> bool:
    root = name.split(".", 1)[0]
    return root in _GUARDED_ROOTS and not (own and root == "crewchief")


def _internal(name: str, own: bool) -> bool:
    return _guarded_module(name, own) and name.split(".", 1)[0] != "pytest"


def _imports_internals(node: ast.AST, own: bool) -> bool:
    """`import _pytest...` or `import crewchief...` (pytest itself is a public API to import), or
    a string naming such a module (`importlib.import_module("_pytest.runner")`, a loop over
    `("_pytest.python", "Function")` pairs looked up in `sys.modules`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        named = text == "_pytest" or text.startswith(("_pytest.", "crewchief."))
        return named and bool(_MODULE_NAME.fullmatch(text)) and _internal(text, own)
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
        names = [node.module or ""]
    else:
        return False
    return any(_internal(n, own) for n in names)


class _Aliases(ast.NodeVisitor):
    """Local names bound to the guarded modules (`import pytest as p`, `from _pytest import runner`)."""

    def __init__(self, own: bool) -> None:
        self.own = own
        self.names: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _guarded_module(alias.name, self.own):
                self.names.add(alias.asname or alias.name.split(".", 1)[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and _guarded_module(node.module or "", self.own):
            self.names.update(alias.asname or alias.name for alias in node.names)


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _patches(node: ast.AST, aliases: set[str]) -> bool:
    """A rebinding of an attribute of a guarded module: `pytest.main = f`, `del p.x`,
    `setattr(runner, "call_and_report", f)`."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = list(node.targets)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"setattr", "delattr"}
        and node.args
    ):
        return _root(node.args[0]) in aliases
    return any(isinstance(t, ast.Attribute) and _root(t) in aliases for t in targets)


def _own(path: str) -> bool:
    """crewchief judging itself: its own package may import itself."""
    return "crewchief" in PurePosixPath(path).parts


def _file_sniffs(file: FileChange, tree: ast.AST, whole: bool) -> Iterator[Sniff]:
    added = file.added_line_numbers
    seen: set[int] = set()
    plugin = _plugin(file.path)
    own = _own(file.path)
    aliases = _Aliases(own)
    aliases.visit(tree)
    for node in ast.walk(tree):  # breadth first: the outermost expression of a line comes first
        line = getattr(node, "lineno", 0)
        if (line not in added and not whole) or line in seen:
            continue
        if _reads_runner(node) or (
            not plugin and (_imports_internals(node, own) or _patches(node, aliases.names))
        ):
            seen.add(line)
            code = ast.unparse(node)
            yield Sniff(file.path, line, code if len(code) <= 80 else code[:77] + "...")


def _parsed(files: Iterable[FileChange]) -> Iterator[tuple[FileChange, ast.Module, bool]]:
    """Each changed Python file that gained lines, parsed as Python reads it (coding cookie, BOM),
    and whether that reading differs from the diff's: its line numbers then say nothing about
    which code was added, so the whole file counts."""
    for file in files:
        text = python_text(file.new) if file.added_lines else None
        if text is None or file.new is None:
            continue
        try:
            tree = parse_python(text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        yield file, tree, text != (file.new.text or "").replace("\r\n", "\n")


def sniffs(files: Iterable[FileChange]) -> list[Sniff]:
    """Every added expression that watches or rewires the test runner."""
    found = [s for f, tree, whole in _parsed(files) for s in _file_sniffs(f, tree, whole)]
    return sorted(found, key=lambda s: (s.path, s.line))


def findings(files: Iterable[FileChange], test_globs: list[str]) -> list[Finding]:
    """Blocking: production code that can tell, or change, what the test run reports."""
    production = [
        f
        for f in files
        if f.path.endswith(".py")
        and not match_any(f.path, test_globs)
        and PurePosixPath(f.path).name != "conftest.py"
    ]
    rule = RULES["test-runner-tampering"]
    return [
        rule.finding(
            f"added code watches or rewires the test runner ({s.code}): it can pass the tests "
            "without working outside them, or change what the run reports",
            path=s.path,
            line=s.line,
            fingerprint=fingerprint(rule.id, f"{s.path}:{s.code}"),
        )
        for s in sniffs(production)
    ]
