"""Which changed files outside the test folders serve the base's tests, decided from the base.

A test helper can live anywhere (`src/pkg/checks.py`, `src/pkg/expect.py`), and a helper judged
from head lets a change loosen it together with the code it checks. Its name says nothing a
reward-hacking agent cannot avoid, so the oracle follows the base's imports instead:

- a module is a **test helper** when the base's tests (test files and conftests) import it,
  directly or through other helpers, no module of the package imports it, and its base source
  reads as test code (`reads_as_test_code`), by one of these marks:
  - its path: a folder or module named for tests (`tests/`, `testing/`, `calc_testing.py`,
    `testutils/`, `conftest.py`, `fixtures/`);
  - an import of a test framework (pytest, `_pytest`, unittest, hypothesis, mock, testtools,
    nose) or of a module named for the project's tests (`from calc.testing import ...`);
  - a failure only a test raises: `raise AssertionError`, a call of `pytest.fail` or of a
    unittest assertion (`self.assertEqual`);
  - an `assert` inside a function named like a check (`assert_*`, `check_*`, `expect_*`,
    `verify_*`, or just `check`).

  A bare `assert` is no mark: production code asserts its own invariants (`assert
  isinstance(xs, list)` in `mean`). With an empty `__init__.py`, `pkg/stats.py` is imported by
  the tests and by nothing else, and restoring it from the base would undo the very change being
  judged: a break hidden by a test edit would be judged by the base's broken code, and an honest
  rename across `core.py` and `stats.py` would stop importing. So the marks are ones production
  code rarely carries. What they miss: a helper under a neutral path whose only test trait is
  returning a bool the tests assert on (`def same(a, b): return a == b` in `pkg/compare.py`) is
  judged from head. Under a folder named for tests it is caught by its path.
- Making production code import the helper does not turn it into production code: every import
  is read at the base, which the change cannot edit. An import counts when it is an `import`
  statement that resolves to the file, or a string naming the module or a member of it
  (`importlib.import_module("pkg.x")`, `MIDDLEWARE = ["site.middleware.Timing"]`); an entry
  point (`"pkg.cli:main"` in pyproject.toml, setup.cfg or setup.py) makes a module production
  code too.
- a non-Python file is **test data** when a base test file or conftest names it by a string
  literal (its path, a path suffix such as `data/x.json` or `x.json`, a glob such as
  `data/*.json`, or the folder holding it) and no module of the repository other than tests and
  test helpers names it the same way (a file the production code also reads is production data,
  and the change to it stands). A file only a helper names is not found: the test files are
  searched first so that a change to files no test names costs one `git grep`, whose fixed
  strings go to git on its standard input, so a change of any size fits. Project and tool
  configuration is never test data here: the oracle takes pytest's settings on its own terms.

Tooling outside the package (setup.py, docs/, examples/, benchmarks/, scripts/) neither makes a
module production nor a helper, save for the entry points setup.py declares.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crewchief import git
from crewchief.gate.analysis.expected_values import module_names
from crewchief.gate.analysis.pyfiles import relative_package
from crewchief.gate.analysis.pysource import decode
from crewchief.gate.checks.test_integrity.testconfig import CONFIG_NAMES
from crewchief.gate.reader import read_files_at

TESTISH = frozenset(
    {
        "test",
        "tests",
        "testing",
        "testutil",
        "testutils",
        "testdata",
        "fixture",
        "fixtures",
        "mock",
        "mocks",
        "fake",
        "fakes",
        "stub",
        "stubs",
        "conftest",
    }
)
"""Words that name a folder or module as serving tests (`calc_testing`, `_test_utils`)."""

FRAMEWORKS = frozenset(
    {"pytest", "_pytest", "unittest", "hypothesis", "mock", "testtools", "nose", "nose2"}
)
"""Top-level modules whose import marks a module as test code."""

_TEST_MODULE_WORDS = frozenset({"test", "tests", "testing", "testutil", "testutils", "conftest"})
"""Words of an imported module's name that mark the importer as test code (`from calc.testing
import assert_close`). Narrower than TESTISH: production code does import `backends.mock` or
`fixtures` (data loaders), it does not import the project's testing helpers."""

_CHECK_NAME = re.compile(r"_*(assert|check|expect|verify)(_|[A-Z0-9]|$)")
"""A function named like a check (`assert_close`, `check`, `_expect_equal`, `verifyRows`): an
`assert` in it is the helper's verdict, not an invariant of production code."""

_FAILS = frozenset({"pytest.fail", "_pytest.outcomes.fail"})

ENTRY_FILES = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})
"""Files that declare entry points (`"pkg.cli:main"`): a module they name is production code."""

_PY = "*.py"
_ENTRY_SPECS = ("*pyproject.toml", "*setup.cfg")

_TOOLING_DIRS = frozenset({"docs", "doc", "examples", "example", "benchmarks", "scripts"})
_TOOLING_FILES = frozenset({"setup.py", "noxfile.py", "fabfile.py", "conftest.py"})
_NOT_DATA = CONFIG_NAMES | {".coveragerc", "crewchief.toml", "MANIFEST.in", "requirements.txt"}
_GLOB = "*?["


def testish(path: str) -> bool:
    """A path component (folder or module stem) with a word that names it for tests."""
    return bool(_words(path) & TESTISH)


def _words(path: str) -> set[str]:
    parts = PurePosixPath(path).parts
    stems = [*parts[:-1], PurePosixPath(parts[-1]).stem] if parts else []
    return {word for part in stems for word in re.split(r"[_\-.]+", part.lower()) if word}


def _by_length(path: str) -> list[str]:
    """The module names of a file (`expected_values.module_names`), the full one first."""
    return sorted(module_names(path), key=lambda n: (-len(n), n))


def imported(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Every module an import statement may load, with relative imports resolved by path."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    module = node.module or ""
    if node.level:
        package = [p for p in relative_package(importer, node.level).split("/") if p]
        module = ".".join([*package, *([module] if module else [])])
    return [module, *(f"{module}.{a.name}" if module else a.name for a in node.names)]


def _parse(data: bytes | None) -> ast.Module | None:
    text = decode(data or b"")
    if text is None:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def names_module(value: str, names: Iterable[str]) -> bool:
    """Whether a string names one of these dotted module names, or a member of it
    (`pkg.mod`, `pkg.mod.Class`, `pkg.mod:main`): settings and plugin tables load code by such
    strings."""
    return any(value == n or value.startswith((n + ".", n + ":")) for n in names)


def imports_module(importer: str, data: bytes | None, path: str) -> bool:
    """Whether the file at `importer` imports the module at `path` (or one inside it), by an
    import statement or by a string that names it in full or names a member of it
    (`importlib.import_module("pkg.x")`, `MIDDLEWARE = ["pkg.x.Timing"]`)."""
    tree = _parse(data)
    if tree is None:
        return False
    names = _by_length(path)
    full = names[0] if names else ""
    dotted_names = [n for n in names if "." in n]
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, str) and names_module(value, dotted_names):
            return True
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        relative = isinstance(node, ast.ImportFrom) and node.level > 0
        for module in imported(importer, node):
            wanted = [full] if relative else names
            if any(module == n or module.startswith(n + ".") for n in wanted):
                return True
    return False


def declares_entry_point(data: bytes | None, path: str) -> bool:
    """Whether a packaging file (pyproject.toml, setup.cfg, setup.py) names the module at `path`
    as an entry point: `pkg.cli:main` (any of its names, the bare stem included), or a dotted
    name ending a line (`plugin = "pkg.plugin"`)."""
    names = _by_length(path)
    if not names or data is None:
        return False
    text = data.decode("utf-8", "replace")
    alternatives = "|".join(re.escape(n) for n in names)
    dotted = "|".join(re.escape(n) for n in names if "." in n)
    pattern = rf"(?<![\w.-])(?:{alternatives})\s*:\s*[A-Za-z_]"
    if dotted:
        pattern += rf"|(?<![\w.-])(?:{dotted})[\"']?,?\s*$"
    return re.search(pattern, text, re.MULTILINE) is not None


def reads_as_test_code(path: str, data: bytes | None) -> bool:
    """Whether a module's path or source marks it as test code (see the module's note: a bare
    `assert` does not)."""
    if testish(path):
        return True
    tree = _parse(data)
    return tree is not None and any(_test_mark(path, node) for node in ast.walk(tree))


def _test_mark(path: str, node: ast.AST) -> bool:
    """Whether this node is one of the marks of test code."""
    if isinstance(node, ast.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return _qualname(exc) in ("AssertionError", "builtins.AssertionError")
    if isinstance(node, ast.Call):
        name = _qualname(node.func)
        return name in _FAILS or bool(re.fullmatch(r"self\.assert[A-Z]\w*", name))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return bool(_CHECK_NAME.match(node.name)) and any(
            isinstance(inner, ast.Assert) for inner in ast.walk(node)
        )
    if isinstance(node, ast.Import | ast.ImportFrom):
        return any(_test_module(module) for module in imported(path, node))
    return False


def _qualname(node: ast.expr) -> str:
    """`a.b.c` for a name or attribute chain, "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _qualname(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _test_module(module: str) -> bool:
    """A test framework, or a module named for the project's tests (`calc.testing`)."""
    if not module:
        return False
    parts = module.split(".")
    words = {w for part in parts for w in re.split(r"_+", part.lower()) if w}
    return parts[0] in FRAMEWORKS or bool(words & _TEST_MODULE_WORDS)


def tooling(path: str) -> bool:
    """Files run by tools rather than imported by the package (setup.py, docs/, scripts/)."""
    pure = PurePosixPath(path)
    return pure.name in _TOOLING_FILES or (len(pure.parts) > 1 and pure.parts[0] in _TOOLING_DIRS)


def _literal_parts(value: str) -> list[str] | None:
    """A string literal as path parts, or None when it cannot name a file (empty, `.`, a bare
    wildcard such as `*.json` that would name every file of its kind)."""
    parts = [p for p in value.replace("\\", "/").strip().split("/") if p and p != "."]
    if not parts or any(p == ".." or "\n" in p for p in parts) or len(value) > 300:
        return None
    if all(any(c in p for c in _GLOB) for p in parts):
        return None
    return parts


def _suffixes(path: str) -> Iterator[tuple[str, ...]]:
    """Every run of a path's parts ending at the file or at the folder holding it: what a literal
    may be to name the file."""
    target = PurePosixPath(path).parts
    for end in (len(target), len(target) - 1):
        for start in range(end):
            yield target[start:end]


def _globbed(parts: list[str], path: str) -> bool:
    """Whether a literal with wildcards names the file at `path` (as `names_file` says)."""
    n = len(parts)
    return any(
        len(suffix) == n
        and all(fnmatch.fnmatchcase(t, p) for t, p in zip(suffix, parts, strict=True))
        for suffix in _suffixes(path)
    )


def names_file(literal: str, path: str) -> bool:
    """Whether a string literal names the file at `path`: a path suffix of it (globs allowed),
    or of the folder that holds it."""
    parts = _literal_parts(literal)
    return parts is not None and _globbed(parts, path)


def string_literals(data: bytes | None) -> set[str]:
    tree = _parse(data)
    if tree is None:
        return set()
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


@dataclass
class _Literals:
    """The path-like string literals of some readers, indexed so that a change of many files is
    matched in one pass over its paths: a plain literal is looked up among each path's suffixes,
    only the (few) literals with wildcards are matched one by one."""

    exact: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    globs: set[tuple[tuple[str, ...], str]] = field(default_factory=set)

    def add(self, reader: str, literals: Iterable[str]) -> None:
        for literal in literals:
            parts = _literal_parts(literal)
            if parts is None:
                continue
            if any(c in part for part in parts for c in _GLOB):
                self.globs.add((tuple(parts), reader))
            else:
                self.exact.setdefault(tuple(parts), set()).add(reader)

    def naming(self, path: str) -> list[str]:
        """The readers with a literal that names the file at `path`."""
        found: set[str] = set()
        for suffix in _suffixes(path):
            found |= self.exact.get(suffix, set())
        found |= {r for parts, r in self.globs if r not in found and _globbed(list(parts), path)}
        return sorted(found)


@dataclass
class BaseSupport:
    """The base tree's view of which files serve its tests; `is_test` says which files are test
    files and conftests (the policy's test globs)."""

    repo: Path
    rev: str
    is_test: Callable[[str], bool]
    _sources: dict[str, bytes | None] = field(default_factory=dict, repr=False)
    _helpers: dict[str, bool] = field(default_factory=dict, repr=False)

    def _grep(
        self, needles: Iterable[str], specs: Iterable[str] = (_PY,), *, words: bool = False
    ) -> list[str]:
        """Base files (`.py` by default) holding any of the fixed strings."""
        return git.grep_files(self.repo, self.rev, needles, specs, words=words)

    def source(self, paths: list[str]) -> dict[str, bytes | None]:
        missing = [p for p in dict.fromkeys(paths) if p not in self._sources]
        if missing:
            self._sources.update(read_files_at(self.repo, self.rev, missing))
        return {p: self._sources[p] for p in paths}

    def importers(self, path: str) -> Iterator[tuple[str, bool]]:
        """Base files that import the module at `path`, the package's own first: one of them
        settles that the module is production code, so the rest need not be parsed. With each,
        whether it declares the module an entry point (which setup.py, tooling otherwise, may)."""
        pure = PurePosixPath(path)
        name = pure.parent.name if pure.name == "__init__.py" else pure.stem
        if not name.isidentifier():
            return
        found = [p for p in self._grep([name], (_PY, *_ENTRY_SPECS), words=True) if p != path]
        found = [p for p in found if p.endswith(".py") or PurePosixPath(p).name in ENTRY_FILES]
        found.sort(key=lambda p: (self.is_test(p) or tooling(p), p))
        sources = self.source(found)
        for importer in found:
            data = sources[importer]
            if PurePosixPath(importer).name in ENTRY_FILES and declares_entry_point(data, path):
                yield importer, True
            elif importer.endswith(".py") and imports_module(importer, data, path):
                yield importer, False

    def _walk(self, path: str) -> Iterator[tuple[str, str]]:
        """(`test`, importer) for each test file and (`code`, importer) for each package module
        (or entry point declaration) reached by following the base's imports up from `path`
        through test-code modules."""
        seen, queue = {path}, [path]
        while queue:
            for importer, entry_point in self.importers(queue.pop()):
                if importer in seen:
                    continue
                if entry_point:
                    seen.add(importer)
                    yield "code", importer
                    continue
                if tooling(importer) and not self.is_test(importer):
                    continue
                seen.add(importer)
                if self.is_test(importer):
                    yield "test", importer
                elif reads_as_test_code(importer, self.source([importer])[importer]):
                    queue.append(importer)
                else:
                    yield "code", importer

    def test_helpers(self, paths: list[str]) -> list[str]:
        """The test helpers among `paths`, their base sources read in one go first (a change of
        many modules would otherwise cost a git process each)."""
        python = [p for p in paths if p.endswith(".py")]
        self.source(python)
        return [p for p in python if self.is_test_helper(p)]

    def is_test_helper(self, path: str) -> bool:
        """A test-code module the base's tests reach and no package module does."""
        if path not in self._helpers:
            data = self.source([path])[path]
            helper = path.endswith(".py") and reads_as_test_code(path, data)
            if helper:
                kinds = set()
                for kind, _ in self._walk(path):
                    kinds.add(kind)
                    if kind == "code":
                        break
                helper = kinds == {"test"}
            self._helpers[path] = helper
        return self._helpers[path]

    def test_data(self, paths: list[str]) -> list[str]:
        """The non-Python files among `paths` that the base's tests name and nothing else does."""
        wanted = [
            p for p in paths if not p.endswith(".py") and PurePosixPath(p).name not in _NOT_DATA
        ]
        wanted = [p for p in wanted if "/" in p or not p.startswith(".")]
        needles = [part for p in wanted for part in PurePosixPath(p).parts[-2:]]
        readers = self._grep(needles)
        # The tests' side first: most changed files are named by no test, and then the rest of
        # the repository need not be parsed.
        tests = self._naming(wanted, [r for r in readers if self.is_test(r)])
        named = [p for p in wanted if tests[p]]
        if not named:
            return []
        others = self._naming(named, [r for r in readers if not self.is_test(r) and not tooling(r)])
        return [p for p in named if all(self.is_test_helper(r) for r in others[p])]

    def _naming(self, paths: list[str], readers: list[str]) -> dict[str, list[str]]:
        """For each path, the readers with a string literal that names it."""
        literals = _Literals()
        for reader, data in self.source(readers).items():
            literals.add(reader, string_literals(data))
        return {p: literals.naming(p) for p in paths}
