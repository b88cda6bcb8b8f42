"""Which changed files outside the test folders serve the base's tests, decided from the base.

A test helper can live anywhere (`src/pkg/checks.py`, `src/pkg/expect.py`), and a helper judged
from head lets a change loosen it together with the code it checks. Its name says nothing a
reward-hacking agent cannot avoid, so the oracle follows the base's imports instead:

- a module is a **test helper** when the base's tests (test files and conftests) import it,
  directly or through other helpers, no module of the package imports it, and its base source
  reads as test code: a name with a test word, an import of a test framework (pytest, unittest,
  hypothesis, mock, `*.testing`), or an `assert` / `raise AssertionError`. The last condition is
  what keeps the code under test out: with an empty `__init__.py`, `pkg/stats.py` is imported by
  the tests and by nothing else, yet restoring it would undo the very change being judged. A
  helper with none of these marks (one that only returns a bool the tests assert on) is judged
  from head: a known gap, traded for never restoring production code.
- Making production code import the helper does not turn it into production code: every import
  is read at the base, which the change cannot edit. An import counts when it is an `import`
  statement that resolves to the file, or a string naming the module (`importlib` lookups).
- a non-Python file is **test data** when a base test file or conftest names it by a string
  literal (its path, a path suffix such as `data/x.json` or `x.json`, a glob such as
  `data/*.json`, or the folder holding it) and no module of the repository other than tests and
  test helpers names it the same way (a file the production code also reads is production data,
  and the change to it stands). A file only a helper names is not found: the test files are
  searched first so that a change to files no test names costs one `git grep`. Project and tool
  configuration is never test data here: the oracle takes pytest's settings on its own terms.

Tooling outside the package (setup.py, docs/, examples/, benchmarks/, scripts/) neither makes a
module production nor a helper.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crewchief import git
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

FRAMEWORKS = frozenset({"pytest", "_pytest", "unittest", "hypothesis", "mock", "nose", "nose2"})
"""Top-level modules whose import marks a module as test code."""

_TOOLING_DIRS = frozenset({"docs", "doc", "examples", "example", "benchmarks", "scripts"})
_TOOLING_FILES = frozenset({"setup.py", "noxfile.py", "fabfile.py", "conftest.py"})
_NOT_DATA = CONFIG_NAMES | {".coveragerc", "crewchief.toml", "MANIFEST.in", "requirements.txt"}


def testish(path: str) -> bool:
    """A path component (folder or module stem) with a word that names it for tests."""
    parts = PurePosixPath(path).parts
    stems = [*parts[:-1], PurePosixPath(parts[-1]).stem] if parts else []
    return any(
        word in TESTISH for part in stems for word in re.split(r"[_\-.]+", part.lower()) if word
    )


def dotted(path: str) -> list[str]:
    """The module names a file may be imported by: each dotted suffix of its path
    (`src/calc/testing.py`: `testing`, `calc.testing`, `src.calc.testing`)."""
    pure = PurePosixPath(path)
    parts = [*pure.parent.parts, *(() if pure.stem == "__init__" else (pure.stem,))]
    return [".".join(parts[i:]) for i in range(len(parts))]


def imported(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Every module an import statement may load, with relative imports resolved by path."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    module = node.module or ""
    if node.level:
        package = list(PurePosixPath(importer).parent.parts)
        package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
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


def imports_module(importer: str, data: bytes | None, path: str) -> bool:
    """Whether the file at `importer` imports the module at `path` (or one inside it), by an
    import statement or by a string that names it in full (`importlib.import_module("pkg.x")`)."""
    tree = _parse(data)
    if tree is None:
        return False
    names = dotted(path)
    full = names[0] if names else ""
    dotted_names = {n for n in names if "." in n}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in dotted_names:
            return True
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        relative = isinstance(node, ast.ImportFrom) and node.level > 0
        for module in imported(importer, node):
            wanted = [full] if relative else names
            if any(module == n or module.startswith(n + ".") for n in wanted):
                return True
    return False


def reads_as_test_code(path: str, data: bytes | None) -> bool:
    """Whether a module's name or source marks it as test code (see the module's note)."""
    if testish(path):
        return True
    tree = _parse(data)
    if tree is None:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "AssertionError":
                return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            for module in imported(path, node):
                top = module.split(".")[0]
                if top in FRAMEWORKS or (module and testish(module.replace(".", "/") + ".py")):
                    return True
    return False


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
    if all(any(c in p for c in "*?[") for p in parts):
        return None
    return parts


def names_file(literal: str, path: str) -> bool:
    """Whether a string literal names the file at `path`: a path suffix of it (globs allowed),
    or of the folder that holds it."""
    parts = _literal_parts(literal)
    if parts is None:
        return False
    target = PurePosixPath(path).parts
    n = len(parts)
    for end in (len(target), len(target) - 1):
        if n <= end and all(
            fnmatch.fnmatchcase(t, p) for t, p in zip(target[end - n : end], parts, strict=True)
        ):
            return True
    return False


def string_literals(data: bytes | None) -> set[str]:
    tree = _parse(data)
    if tree is None:
        return set()
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


@dataclass
class BaseSupport:
    """The base tree's view of which files serve its tests; `is_test` says which files are test
    files and conftests (the policy's test globs)."""

    repo: Path
    rev: str
    is_test: Callable[[str], bool]
    _sources: dict[str, bytes | None] = field(default_factory=dict, repr=False)
    _helpers: dict[str, bool] = field(default_factory=dict, repr=False)

    def _grep(self, needles: Iterable[str], *flags: str) -> list[str]:
        """Base `.py` files holding any of the fixed strings."""
        args = [a for needle in sorted(set(needles)) for a in ("-e", needle)]
        if not args:
            return []
        out = git.run(
            self.repo, "grep", "-l", "-F", *flags, *args, self.rev, "--", "*.py", check=False
        )
        prefix = f"{self.rev}:"
        return [line.removeprefix(prefix) for line in out.text().splitlines() if line.strip()]

    def source(self, paths: list[str]) -> dict[str, bytes | None]:
        missing = [p for p in paths if p not in self._sources]
        if missing:
            self._sources.update(read_files_at(self.repo, self.rev, missing))
        return {p: self._sources[p] for p in paths}

    def importers(self, path: str) -> Iterator[str]:
        """Base Python files that import the module at `path`, the package's own first: one of
        them settles that the module is production code, so the rest need not be parsed."""
        pure = PurePosixPath(path)
        name = pure.parent.name if pure.name == "__init__.py" else pure.stem
        if not name.isidentifier():
            return
        found = [p for p in self._grep([name], "-w") if p != path]
        found.sort(key=lambda p: (self.is_test(p) or tooling(p), p))
        sources = self.source(found)
        yield from (p for p in found if imports_module(p, sources[p], path))

    def _walk(self, path: str) -> Iterator[tuple[str, str]]:
        """(`test`, importer) for each test file and (`code`, importer) for each package module
        reached by following the base's imports up from `path` through test-code modules."""
        seen, queue = {path}, [path]
        while queue:
            for importer in self.importers(queue.pop()):
                if importer in seen or (tooling(importer) and not self.is_test(importer)):
                    continue
                seen.add(importer)
                if self.is_test(importer):
                    yield "test", importer
                elif reads_as_test_code(importer, self.source([importer])[importer]):
                    queue.append(importer)
                else:
                    yield "code", importer

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
        literals = {r: string_literals(data) for r, data in self.source(readers).items()}
        return {
            p: [r for r, found in literals.items() if any(names_file(s, p) for s in found)]
            for p in paths
        }
