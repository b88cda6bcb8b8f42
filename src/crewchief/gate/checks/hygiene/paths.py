"""Which changed files are library code: the place where prints, breakpoints and import-time calls
are defects. Tests, scripts, examples, docs, benchmarks and command-line entry modules print on
purpose, so they are judged by their path before anything else."""

from __future__ import annotations

import re

from crewchief.spec.globs import match_any

_NOT_LIBRARY = re.compile(
    r"(^|/)(scripts?|bin|tools|examples?|demos?|docs?|benchmarks?|bench|samples?|tutorials?|"
    r"notebooks?|\.github|ci)/"
)
_ENTRY_MODULES = re.compile(
    r"(^|/)(__main__|cli|main|manage|setup|noxfile|conftest|tasks|fabfile|conf)\.py$"
)
_CLI_PACKAGE = re.compile(r"(^|/)(cli|commands|management/commands)/")


def is_test_path(path: str, test_globs: list[str]) -> bool:
    return match_any(path, test_globs)


def is_library_module(path: str, test_globs: list[str]) -> bool:
    """A Python module inside the project's importable code (not a test, script or entry point)."""
    if not path.endswith(".py") or is_test_path(path, test_globs):
        return False
    if _NOT_LIBRARY.search(path) or _ENTRY_MODULES.search(path) or _CLI_PACKAGE.search(path):
        return False
    # A lone top-level script (no package folder) is a script, not a library module.
    return "/" in path
