"""Which changed files are library code: the place where prints, breakpoints and import-time calls
are defects. Tests, scripts, examples, docs, benchmarks and command-line entry modules print on
purpose, and entry modules (`manage.py`, `wsgi.py`, `celery.py`) configure the process on purpose,
so they are judged by their path before anything else."""

from __future__ import annotations

import re

from crewchief.spec.globs import match_any

_NOT_LIBRARY = re.compile(
    r"(^|/)(scripts?|bin|tools|examples?|demos?|docs?|benchmarks?|bench|samples?|tutorials?|"
    r"notebooks?|\.github|ci)/"
)
_ENTRY_MODULES = re.compile(
    r"(^|/)(__main__|cli|main|manage|setup|noxfile|conftest|tasks|fabfile|conf|"
    r"wsgi|asgi|celery)\.py$"
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


JS_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte")
_JS_TESTS = re.compile(
    r"(^|/)(__tests__|__mocks__|tests?|spec|e2e|cypress|fixtures?)/|\.(test|spec|stories|story)\.\w+$"
)
_JS_NOT_LIBRARY = re.compile(r"(^|/)(node_modules|vendor|dist|build|out|coverage)/|\.min\.\w+$")
_JS_TOOL_FILES = re.compile(
    r"(^|/)(\.[^/]*|[^/]*\.config\.\w+|[^/]*rc\.\w+|gulpfile\.\w+|gruntfile\.\w+|cli\.\w+)$",
    re.IGNORECASE,
)


def is_js_library(path: str, test_globs: list[str]) -> bool:
    """A JavaScript/TypeScript source file of the project's shipped code. Tests, stories, scripts,
    examples, configuration files (`vite.config.ts`, `.eslintrc.js`), command-line entry files,
    vendored or built output are not; nor is a lone top-level file other than `index.*`, which is
    a script the way a lone top-level Python file is."""
    if not path.endswith(JS_EXTENSIONS) or is_test_path(path, test_globs):
        return False
    if _JS_TESTS.search(path) or _JS_NOT_LIBRARY.search(path) or _JS_TOOL_FILES.search(path):
        return False
    if _NOT_LIBRARY.search(path) or _CLI_PACKAGE.search(path):
        return False
    return "/" in path or path.startswith("index.")
