"""Package installs written as commands instead of declared in a manifest.

`pip install x` in a CI step, a Dockerfile, a Makefile recipe or a `subprocess` call installs a
package no manifest review ever sees; run from `conftest.py` or `setup.py` it installs it on every
test run or build, on whatever machine runs them (CI secrets included). Only added lines count, and
installs of what the repository declares already (`pip install -r requirements.txt`, `pip install
-e .`, `npm ci`, `pip install --upgrade pip`, a package the manifests list) stay quiet: they fetch
nothing the manifest review has not seen. Documentation (`README.md`: "pip install ourpackage") is
not read at all.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from crewchief.gate.analysis.pysource import parse as parse_python
from crewchief.gate.change import FileChange
from crewchief.gate.findings import Finding, Rule, Severity, fingerprint

NAME = "dependencies"
RULES = (
    Rule(
        NAME,
        "install-command",
        Severity.MEDIUM,
        "An added command installs a package no manifest declares (a script, Makefile, "
        "Dockerfile, CI step or Python code running pip/uv/poetry/npm).",
        "Declare the package in a manifest so it is pinned and reviewed, and install from that.",
        cwe="CWE-829",
    ),
    Rule(
        NAME,
        "runtime-install",
        Severity.HIGH,
        "conftest.py, setup.py, sitecustomize.py or an __init__.py installs a package when tests "
        "run, the package builds or the module is imported.",
        "Declare the package as a (test) dependency; never install from code that runs on import.",
        blocking=True,
        cwe="CWE-829",
    ),
)
_INSTALL = re.compile(
    r"(?:^|[\s;&|(`\"'])(?:(?:python[\d.]*|py)\s+-m\s+pip|pip[\d.]*|uv\s+pip|pipx)\s+install\s+"
    r"(?P<pip>[^;&|`\n]*)"
    r"|(?:^|[\s;&|(`\"'])(?:poetry|uv|pdm|hatch|rye)\s+add\s+(?P<add>[^;&|`\n]*)"
    r"|(?:^|[\s;&|(`\"'])(?:npm|pnpm|yarn|bun)\s+(?:install|i|add)\s+(?P<npm>[^;&|`\n]*)"
)
_VALUE_OPTIONS = frozenset(
    {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix"}
    | {"--root", "--python", "-p", "--group", "-G", "--trusted-host", "--cache-dir"}
)
_FROM_MANIFEST = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable"})
_TOOLING = frozenset({"pip", "setuptools", "wheel", "uv", "build", "virtualenv"})
_SCRIPT_SUFFIXES: tuple[str, ...] = (
    *(".sh", ".bash", ".zsh", ".ps1", ".bat", ".cmd", ".mk", ".yml", ".yaml"),
    *(".toml", ".ini", ".cfg", ".json", ".py", ".just"),
)
_SCRIPT_NAMES = frozenset({"Makefile", "GNUmakefile", "justfile", "Justfile", "Containerfile"})
_RUNNERS = frozenset(
    {"system", "popen", "run", "call", "check_call", "check_output", "Popen", "getoutput"}
    | {"getstatusoutput", "main", "spawnl", "spawnlp", "spawnv", "spawnvp", "execv", "execvp"}
    | {"create_subprocess_exec", "create_subprocess_shell", "run_process"}
)
"""Calls that run a process (or pip's own entry point): only their arguments are commands."""
_RUNTIME = frozenset(
    {"conftest.py", "setup.py", "sitecustomize.py", "usercustomize.py", "__init__.py"}
)


@dataclass(frozen=True)
class Install:
    path: str
    line: int
    command: str
    packages: tuple[str, ...]


def scanned(path: str) -> bool:
    """Scripts, build and CI files and code; not documentation or data."""
    name = path.rsplit("/", 1)[-1]
    return name in _SCRIPT_NAMES or name.startswith("Dockerfile") or name.endswith(_SCRIPT_SUFFIXES)


def candidate(f: FileChange) -> bool:
    return (
        f.new is not None
        and scanned(f.new.path)
        and any("install" in t or " add " in t for _, t in f.added_lines)
    )


def _split(args: str) -> list[str]:
    try:
        return shlex.split(args, comments=True)
    except ValueError:
        return args.split()


def targets(args: str) -> tuple[str, ...]:
    """What an install command fetches from a registry or URL; () when it installs only what the
    repository declares (a requirements file, the project itself, the packaging tools)."""
    found: list[str] = []
    words = iter(_split(args))
    for word in words:
        if word in _VALUE_OPTIONS or word in _FROM_MANIFEST:
            next(words, None)
        elif word.startswith(("-", "$", ".", "/", "~")) or "{{" in word:
            continue
        else:
            found.append(word)
    return tuple(w for w in found if _package_name(w) not in _TOOLING)


def _package_name(target: str) -> str:
    match = re.match(r"[A-Za-z0-9@][A-Za-z0-9._/@-]*", target)
    name = match.group(0) if match else target
    return name.lower() if "://" not in target and "+" not in name else target


def commands(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(command, packages) of every install in one line of shell, YAML, Makefile or a string."""
    for match in _INSTALL.finditer(text):
        args = match.group("pip") or match.group("add") or match.group("npm") or ""
        packages = targets(args)
        if packages:
            yield match.group(0).strip(" ;&|(`\"'"), packages


def _strings(node: ast.AST) -> Iterator[str]:
    """String constants in a call's arguments, in order, through lists, tuples and f-strings."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.List | ast.Tuple | ast.JoinedStr | ast.Starred | ast.BinOp):
        for child in ast.iter_child_nodes(node):
            yield from _strings(child)


def _python_installs(
    text: str, lines: frozenset[int]
) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """Calls whose string arguments spell an install: `subprocess.run([sys.executable, "-m",
    "pip", "install", "x"])`, `os.system("pip install x")`, `pip.main(["install", "x"])`."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        end = node.end_lineno or node.lineno
        if not any(n in lines for n in range(node.lineno, end + 1)):
            continue
        func = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if func not in _RUNNERS:
            continue  # a string that merely mentions pip (a parametrized test, a message)
        words = [w for arg in node.args for w in _strings(arg)]
        if ast.unparse(node.func) == "pip.main":
            words.insert(0, "pip")
        for command, packages in commands(" " + " ".join(words)):
            yield node.lineno, command, packages


def find(f: FileChange) -> list[Install]:
    """Installs on the added lines of one changed file."""
    assert f.new is not None
    path = f.new.path
    if path.endswith(".py") and f.new.text is not None:
        found = _python_installs(f.new.text, f.added_line_numbers)
        return [Install(path, line, cmd, pkgs) for line, cmd, pkgs in found]
    return [
        Install(path, number, command, packages)
        for number, text in f.added_lines
        for command, packages in commands(text)
    ]


def findings(files: list[FileChange], declared: Callable[[str], bool]) -> list[Finding]:
    """Findings for the installs the change adds; `declared` says whether a name is in a manifest."""
    out = []
    for f in files:
        if not candidate(f):
            continue
        for install in find(f):
            runtime = install.path.rsplit("/", 1)[-1] in _RUNTIME
            fresh = [p for p in install.packages if not declared(_package_name(p))]
            if runtime:
                out.append(_finding(RULES[1], install, "runs whenever this file is executed"))
            elif fresh:
                out.append(
                    _finding(RULES[0], replace(install, packages=tuple(fresh)), "no manifest")
                )
    return out


def _finding(rule: Rule, install: Install, why: str) -> Finding:
    shown = ", ".join(install.packages)[:120]
    return rule.finding(
        f"{install.path} installs {shown} with `{install.command[:120]}`: {why} declares or "
        "pins it, so nobody reviews what it fetches"
        if why == "no manifest"
        else f"{install.path} installs {shown} with `{install.command[:120]}`, which {why} "
        "(every test run, build or import), outside any manifest",
        path=install.path,
        line=install.line,
        fingerprint=fingerprint(rule.id, " ".join(install.packages), install.path),
        snippet=install.command[:200],
    )
