"""pytest and coverage settings as the tools themselves would read them, base and head.

A change can hide failing tests without touching a test: deselect them in `addopts`, narrow
`testpaths`, stop matching their file names, or lower the coverage bar. This module reads the
effective settings of a directory (pytest.ini > .pytest.ini > pyproject.toml > tox.ini > setup.cfg;
.coveragerc > setup.cfg > tox.ini > pyproject.toml, as the tools pick them) from bytes, tolerating
broken files, so the check can compare base with head.
"""

from __future__ import annotations

import configparser
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crewchief.gate.analysis.pytest_ast import Collect

PYTEST_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
COVERAGE_FILES = (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml")
CONFIG_NAMES = frozenset(PYTEST_FILES + COVERAGE_FILES)
DEFAULT_NORECURSE = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)

_INI_SECTIONS = {
    "pytest.ini": "pytest",
    ".pytest.ini": "pytest",
    "tox.ini": "pytest",
    "setup.cfg": "tool:pytest",
}
_COVERAGE_SECTIONS = {
    ".coveragerc": "report",
    "setup.cfg": "coverage:report",
    "tox.ini": "coverage:report",
}
# Options whose presence in addopts runs fewer tests, or makes failures count less.
_VALUE_OPTIONS = frozenset({"-k", "-m", "--deselect", "--ignore", "--ignore-glob", "-p"})
_FLAG_OPTIONS = frozenset(
    {
        "--co",
        "--collect-only",
        "--continue-on-collection-errors",
        "--lf",
        "--last-failed",
        "--sw",
        "--stepwise",
        "--noconftest",
        "--no-cov",
        "--sw-skip",
        "--stepwise-skip",
    }
)
_HARMLESS_PLUGINS = frozenset({"no:cacheprovider"})


@dataclass(frozen=True)
class PytestSettings:
    source: str | None = None
    """Path of the file the settings come from; None when pytest runs on defaults."""
    addopts: tuple[str, ...] = ()
    testpaths: tuple[str, ...] | None = None
    norecursedirs: tuple[str, ...] = DEFAULT_NORECURSE
    collect: Collect = field(default_factory=Collect)
    xfail_strict: bool = False
    fail_under: float | None = None
    """Coverage threshold: `--cov-fail-under` in addopts, else coverage's own `fail_under`."""
    fail_under_source: str | None = None
    broken: tuple[str, ...] = ()
    """Config files that could not be parsed."""
    options: tuple[tuple[str, str], ...] = ()
    """Every raw pytest setting, as text, for the allow-list comparison."""


def _split(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    text = str(value)
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _ini(data: bytes) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(data.decode("utf-8", "replace"))
    except (configparser.Error, ValueError):
        return None
    return parser


def _toml(data: bytes) -> dict[str, Any] | None:
    try:
        return tomllib.loads(data.decode("utf-8", "replace"))
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return None


def _table(doc: dict[str, Any], *keys: str) -> dict[str, Any] | None:
    node: Any = doc
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _pytest_section(name: str, data: bytes, broken: list[str]) -> dict[str, Any] | None:
    """The raw pytest options of one file, or None when that file does not configure pytest."""
    if name == "pyproject.toml":
        doc = _toml(data)
        if doc is None:
            broken.append(name)
            return None
        table = _table(doc, "tool", "pytest", "ini_options")
        if table is None:
            native = _table(doc, "tool", "pytest")
            table = {k: v for k, v in native.items() if not isinstance(v, dict)} if native else None
        return table
    parser = _ini(data)
    if parser is None:
        broken.append(name)
        return {} if name in ("pytest.ini", ".pytest.ini") else None
    section = _INI_SECTIONS[name]
    if parser.has_section(section):
        return dict(parser.items(section))
    return {} if name in ("pytest.ini", ".pytest.ini") else None


def _fail_under(name: str, data: bytes) -> tuple[bool, float | None]:
    """(configures coverage, fail_under) for one file."""
    if name == "pyproject.toml":
        doc = _toml(data)
        coverage = _table(doc, "tool", "coverage") if doc else None
        if coverage is None:
            return False, None
        report = _table(coverage, "report") or {}
        return True, _float(report.get("fail_under"))
    parser = _ini(data)
    if parser is None:
        return name == ".coveragerc", None
    if name != ".coveragerc" and not any(s.startswith("coverage:") for s in parser.sections()):
        return False, None
    section = _COVERAGE_SECTIONS[name]
    value = (
        parser.get(section, "fail_under", fallback=None) if parser.has_section(section) else None
    )
    return True, _float(value)


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _cov_fail_under(addopts: tuple[str, ...]) -> float | None:
    found: float | None = None
    for i, token in enumerate(addopts):
        if token.startswith("--cov-fail-under="):
            found = _float(token.split("=", 1)[1])
        elif token == "--cov-fail-under" and i + 1 < len(addopts):
            found = _float(addopts[i + 1])
    return found


def _first_section(
    files: Mapping[str, bytes | None], broken: list[str]
) -> tuple[str, dict[str, Any]] | None:
    for name in PYTEST_FILES:
        data = files.get(name)
        if data is None:
            continue
        raw = _pytest_section(name, data, broken)
        if raw is not None:
            return name, raw
    return None


def pytest_source(files: Mapping[str, bytes | None]) -> tuple[str, dict[str, Any]] | None:
    """The file (by base name) pytest takes its settings from in one directory, and its raw
    options, by pytest's own precedence; None when pytest runs on defaults."""
    return _first_section(files, [])


def read_settings(files: Mapping[str, bytes | None], directory: str = "") -> PytestSettings:
    """Effective settings for the config files (by base name) present in one directory."""
    prefix = f"{directory}/" if directory else ""
    broken: list[str] = []
    found = _first_section(files, broken)
    source = prefix + found[0] if found else None
    raw = found[1] if found else {}
    addopts = tuple(_split(raw.get("addopts", "")))
    testpaths = tuple(_split(raw["testpaths"])) if "testpaths" in raw else None
    norecurse = tuple(_split(raw["norecursedirs"])) if "norecursedirs" in raw else DEFAULT_NORECURSE
    default = Collect()
    collect = Collect(
        tuple(_split(raw["python_files"])) if "python_files" in raw else default.files,
        tuple(_split(raw["python_classes"])) if "python_classes" in raw else default.classes,
        tuple(_split(raw["python_functions"])) if "python_functions" in raw else default.functions,
    )
    strict = str(raw.get("xfail_strict", "false")).strip().lower() in ("1", "true", "yes", "on")
    fail_under = _cov_fail_under(addopts)
    fail_source = source if fail_under is not None else None
    if fail_under is None:
        for name in COVERAGE_FILES:
            data = files.get(name)
            if data is None:
                continue
            configures, value = _fail_under(name, data)
            if configures:
                fail_under, fail_source = value, prefix + name
                break
    return PytestSettings(
        source,
        addopts,
        testpaths,
        norecurse,
        collect,
        strict,
        fail_under,
        fail_source,
        tuple(prefix + b for b in dict.fromkeys(broken)),
        tuple(sorted((str(k), " ".join(_split(v))) for k, v in raw.items())),
    )


def narrowing_options(addopts: tuple[str, ...]) -> list[str]:
    """The options in addopts that deselect, ignore or hide tests, normalised as `opt value`."""
    found: list[str] = []
    i = 0
    while i < len(addopts):
        token = addopts[i]
        opt, eq, value = token.partition("=")
        if opt in _VALUE_OPTIONS:
            if not eq:
                value = addopts[i + 1] if i + 1 < len(addopts) else ""
                i += 1
            if not (opt == "-p" and value in _HARMLESS_PLUGINS):
                found.append(f"{opt} {value}")
        elif len(token) > 2 and token[:2] in ("-k", "-m", "-p") and not token.startswith("--"):
            if not (token[:2] == "-p" and token[2:] in _HARMLESS_PLUGINS):
                found.append(f"{token[:2]} {token[2:]}")
        elif opt in _FLAG_OPTIONS:
            found.append(opt)
        elif not token.startswith("-") and (token.endswith(".py") or "::" in token):
            found.append(token)  # a positional test path: only these tests run
        i += 1
    return found
