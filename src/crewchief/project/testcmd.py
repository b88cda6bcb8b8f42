"""The test command a project's developers use, read from where they wrote it down.

The gate runs `[tests] command` as pytest with its own reporter, so what is needed is the pytest
invocation (its options and paths), wherever the project keeps it: a tox environment, a nox session,
a hatch script, a Makefile target. Options that only shape a report (`--cov`, `--color`, `-v`,
`--junitxml`) or stop early (`-x`) are dropped: crewchief measures coverage itself and needs every
test's outcome. When nothing names a command, pytest's own configuration decides what runs.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_COMMAND = "pytest -q"

PYTEST_CONFIGS: tuple[tuple[str, str], ...] = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", "tool.pytest.ini_options"),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)
"""Where pytest reads its configuration, in pytest's own order (the first present wins)."""

_DROP_FLAGS = re.compile(
    r"^(-v+|-q+|-x|--exitfirst|--verbose|--quiet|-s|--lf|--ff|--last-failed|--failed-first|"
    r"--sw|--stepwise|--pdb|-r\w*|--cov(-\w+)?(=.*)?|--color(=.*)?|--code-highlight(=.*)?|"
    r"--junit-?xml(=.*)?|--durations(=.*)?|--tb(=.*)?|--html(=.*)?|--self-contained-html|"
    r"-n\d*|--numprocesses(=.*)?|--dist(=.*)?|--maxfail(=.*)?|--benchmark-\S+)$"
)
_VALUE_OF = frozenset(
    {"--cov", "--cov-report", "--cov-config", "--cov-fail-under", "--color", "--junitxml"}
    | {"--junit-xml", "--durations", "--tb", "--html", "-n", "--numprocesses", "--dist"}
    | {"--maxfail", "-r"}
)
"""Dropped options whose value may come as the next word (`--cov pkg`, `-n 4`)."""
_PLACEHOLDER = re.compile(r"\{[^}]*\}|\$\(?[\w.]+\)?|\$\{[^}]*\}")


@dataclass(frozen=True)
class TestCommand:
    command: str
    """What to put in `[tests] command`."""
    source: str
    """Where it was found, for the person reading `init`'s output (`tox.ini [testenv]`)."""


def pytest_config(root: Path) -> str | None:
    """`pyproject.toml [tool.pytest.ini_options]` when the repo configures pytest, else None."""
    for name, section in PYTEST_CONFIGS:
        path = root / name
        if not path.is_file():
            continue
        if name == "pyproject.toml":
            pytest_table = _toml(path).get("tool", {}).get("pytest", {})
            if isinstance(pytest_table, dict) and "ini_options" in pytest_table:
                return f"{name} [{section}]"
            continue
        if name.endswith(".pytest.ini") or name == "pytest.ini":
            return name
        if section in _ini(path).sections():
            return f"{name} [{section}]"
    return None


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8", "replace"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(path.read_text("utf-8", "replace"), str(path))
    except (OSError, configparser.Error):
        return configparser.RawConfigParser()
    return parser


def pytest_argv(words: list[str]) -> list[str] | None:
    """The pytest arguments of one command line (`pytest ...`, `python -m pytest ...`,
    `coverage run -m pytest ...`), kept or dropped as the module docstring says; None when the line
    does not run pytest."""
    for i, word in enumerate(words):
        name = Path(word).name
        after = words[i - 1] if i else ""
        if name in ("pytest", "py.test") and (not i or after in _LAUNCHERS or "/" in word):
            return _kept(words[i + 1 :])
        if word == "-m" and i + 1 < len(words) and words[i + 1] == "pytest":
            return _kept(words[i + 2 :])
    return None


_LAUNCHERS = frozenset({"run", "exec", "--"})
"""Words after which `pytest` is the program run (`poetry run pytest`, `uv run -- pytest`), unlike
`pip install pytest`."""
_DEFAULT_ARGS = re.compile(r"^\{(?:pos)?args:(.*)\}$")
"""`{posargs:tests}` (tox) and `{args:tests}` (hatch): the default when no arguments are given."""


def _kept(args: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i].removeprefix("{toxinidir}/").removeprefix("$(CURDIR)/")
        i += 1
        default = _DEFAULT_ARGS.match(arg)
        if default:
            kept.extend(default.group(1).split())
            continue
        if _DROP_FLAGS.match(arg):
            if arg in _VALUE_OF and i < len(args) and not args[i].startswith("-"):
                i += 1
            continue
        if not _PLACEHOLDER.search(arg):
            kept.append(arg)
    return kept


def _command(args: list[str]) -> str:
    return shlex.join(["pytest", "-q", *args])


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return []


def _first_pytest(lines: list[str]) -> list[str] | None:
    for line in lines:
        words = _split(line)
        found = pytest_argv(words) if words else None
        if found is not None:
            return found
    return None


_FACTOR = re.compile(r"^[\w.,!{}-]+:\s+")
"""tox's factor-conditional prefix (`py311: pytest ...`)."""


def _tox_lines(value: str) -> list[str]:
    joined = re.sub(r"\\\s*\n", " ", value)
    return [_FACTOR.sub("", line.strip()) for line in joined.splitlines() if line.strip()]


def _tox_ini(parser: configparser.RawConfigParser, name: str) -> TestCommand | None:
    sections = [s for s in parser.sections() if s == "testenv" or s.startswith("testenv:")]
    sections.sort(key=lambda s: (s != "testenv", s))
    for section in sections:
        if parser.has_option(section, "commands"):
            found = _first_pytest(_tox_lines(parser.get(section, "commands")))
            if found is not None:
                return TestCommand(_command(found), f"{name} [{section}]")
    return None


def from_tox(root: Path) -> TestCommand | None:
    """tox.ini, setup.cfg's `[tox:tox]`, or pyproject.toml's `[tool.tox]` (legacy ini or native)."""
    if (root / "tox.ini").is_file():
        found = _tox_ini(_ini(root / "tox.ini"), "tox.ini")
        if found:
            return found
    setup_cfg = _ini(root / "setup.cfg")
    if setup_cfg.has_section("tox:tox"):
        found = _tox_ini(setup_cfg, "setup.cfg")
        if found:
            return found
    tox = _toml(root / "pyproject.toml").get("tool", {}).get("tox", {})
    if not isinstance(tox, dict):
        return None
    legacy = tox.get("legacy_tox_ini")
    if isinstance(legacy, str):
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read_string(legacy)
        except configparser.Error:
            return None
        return _tox_ini(parser, "pyproject.toml [tool.tox] legacy_tox_ini")
    commands = tox.get("env_run_base", {}).get("commands", [])
    for argv in commands if isinstance(commands, list) else []:
        words = [str(w) for w in argv if isinstance(w, str)] if isinstance(argv, list) else []
        args = pytest_argv(words)
        if args is not None:
            return TestCommand(_command(args), "pyproject.toml [tool.tox.env_run_base]")
    return None


def from_nox(root: Path) -> TestCommand | None:
    """`session.run("pytest", ...)` in noxfile.py (string arguments only; `*session.posargs` and
    other computed arguments are left to the project)."""
    path = root / "noxfile.py"
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "run":
            continue
        words = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        found = pytest_argv(words)
        if found is not None:
            return TestCommand(_command(found), f"noxfile.py (line {node.lineno})")
    return None


def from_hatch(root: Path) -> TestCommand | None:
    """A script of a hatch environment (`[tool.hatch.envs.<env>.scripts]` or hatch.toml)."""
    candidates = (
        ("pyproject.toml", _toml(root / "pyproject.toml").get("tool", {}).get("hatch", {})),
        ("hatch.toml", _toml(root / "hatch.toml")),
    )
    for name, hatch in candidates:
        envs = hatch.get("envs", {}) if isinstance(hatch, dict) else {}
        for env, table in envs.items() if isinstance(envs, dict) else []:
            scripts = table.get("scripts", {}) if isinstance(table, dict) else {}
            for script, value in scripts.items() if isinstance(scripts, dict) else []:
                lines = (
                    [value] if isinstance(value, str) else value if isinstance(value, list) else []
                )
                found = _first_pytest([str(line) for line in lines])
                if found is not None:
                    return TestCommand(_command(found), f"{name} hatch script {env}:{script}")
    return None


_MAKE_TARGETS = ("test", "tests", "check", "pytest", "unittest")


def _make_recipes(text: str) -> dict[str, list[str]]:
    recipes: dict[str, list[str]] = {}
    current: list[str] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        if line.startswith("\t"):
            current.append(line.strip().lstrip("@-+").strip())
            continue
        target = re.match(r"^([\w.-]+)\s*:(?!=)", line)
        if target:
            current = recipes.setdefault(target.group(1), [])
        elif line.strip() and not line.startswith("#"):
            current = []
    return recipes


def from_makefile(root: Path) -> TestCommand | None:
    """The recipe of a `test`-like target that runs pytest (other targets only when none does)."""
    for name in ("Makefile", "makefile", "GNUmakefile"):
        path = root / name
        if not path.is_file():
            continue
        recipes = _make_recipes(path.read_text("utf-8", "replace"))
        ordered = [t for t in _MAKE_TARGETS if t in recipes] + sorted(
            set(recipes) - set(_MAKE_TARGETS)
        )
        for target in ordered:
            found = _first_pytest(recipes[target])
            if found is not None:
                return TestCommand(_command(found), f"{name} target '{target}'")
    return None


def detect_test_command(root: Path) -> TestCommand:
    """The project's pytest command: from its runner (tox, nox, hatch, make, in that order), else
    plain pytest, which reads the project's pytest configuration."""
    for finder in (from_tox, from_nox, from_hatch, from_makefile):
        found = finder(root)
        if found is not None:
            return found
    config = pytest_config(root)
    where = f"pytest configuration in {config}" if config else "no runner configuration found"
    return TestCommand(DEFAULT_COMMAND, where)
