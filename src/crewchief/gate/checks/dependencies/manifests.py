"""Read the dependencies a manifest or lock file declares, without running anything.

Every format the `dependencies` check understands is parsed here into plain values: what a file
declares (`Dep`), which package sources it adds (`Option`), and what a lock file pins. The input is
untrusted agent output, so nothing raises: a file that does not parse comes back with `error` set,
which the check reports as a finding of its own. `setup.py` is read with `ast`, never executed.
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import string
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from crewchief.gate.checks.dependencies import first_party
from crewchief.gate.checks.dependencies import scripts as pep723
from crewchief.gate.checks.dependencies import sources as src

Ecosystem = Literal["pypi", "npm"]
Style = Literal["pep440", "semver"]
"""How a version constraint reads: PEP 440 specifiers, or npm/poetry ranges (`^1.2`, `~1.2`, `1.2.3`)."""

_REQUIREMENTS = re.compile(
    r"(^|/)([^/]*(requirements|constraints)[^/]*\.(txt|in)|requirements/[^/]+\.(txt|in)"
    r"|(dev|test|tests|base|prod|production|docs|lint|ci|local)\.in)$",
    re.IGNORECASE,
)
"""Everything pip reads with `-r` or `-c` by convention: `requirements-dev.txt`,
`test-requirements.txt`, `requirements/ci.txt`, `constraints.txt`, pip-tools `.in` sources. Other
`.in` files (`MANIFEST.in`, `Makefile.in`) are templates, not requirements."""
_INSTALLER_CONFIGS = frozenset({"pip.conf", "pip.ini", "uv.toml"})
_MANIFEST_NAMES = frozenset(
    {"pyproject.toml", "setup.cfg", "setup.py", "package.json", "Pipfile", *_INSTALLER_CONFIGS}
)
_LOCK_NAMES: dict[str, Ecosystem] = {
    "poetry.lock": "pypi",
    "uv.lock": "pypi",
    "Pipfile.lock": "pypi",
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "yarn.lock": "npm",
}
_REMOTE = re.compile(
    r"^(git\+|hg\+|svn\+|bzr\+|https?:|git:|ssh:|github:|gitlab:|bitbucket:|git@|[\w.-]+/[\w.-]+(#.*)?$)"
)
SKIP_DIRS = frozenset(
    {
        "node_modules",
        "site-packages",
        ".venv",
        "venv",
        "vendor",
        "third_party",
        "fixtures",
        "testdata",
    }
)


@dataclass(frozen=True)
class Dep:
    """One declared requirement."""

    name: str
    """Canonical: PEP 503 for Python, lower case for npm."""
    raw: str
    """The name as written."""
    ecosystem: Ecosystem
    spec: str | None
    """The version constraint as written ("" for none), or None for a URL, path or VCS source."""
    style: Style
    section: str
    line: int | None = None
    """Where the parser knows it (requirements files, setup.py); else the check searches the text."""
    text: str = ""
    """The requirement as written, to find its line."""
    source: str | None = None
    """The URL, VCS reference or path it installs from instead of the registry."""
    computed: bool = False
    """A setup.py string built at run time whose version part could not be read (spec None)."""

    @property
    def remote(self) -> bool:
        """Installed from a URL or repository: code that can change under the same reference."""
        return self.source is not None and bool(_REMOTE.match(self.source))


@dataclass(frozen=True)
class Manifest:
    path: str
    ecosystem: Ecosystem
    deps: tuple[Dep, ...] = ()
    error: str | None = None
    """Why the file as a whole could not be read; `deps` is then empty."""
    invalid: tuple[tuple[int | None, str], ...] = ()
    """(line, text) of single entries that are not valid requirements."""
    sources: tuple[tuple[int, str], ...] = ()
    """(line, text) of options that add package indexes or download locations."""
    project: str | None = None
    """The canonical name of the package the manifest itself builds, when it names one."""
    modules: tuple[str, ...] = ()
    """Top-level import names the repository itself provides (first-party), as configured."""


@dataclass(frozen=True)
class Lock:
    path: str
    ecosystem: Ecosystem
    names: frozenset[str] = field(default_factory=frozenset)
    """Canonical names of the packages the lock file pins (top level only for npm)."""
    error: str | None = None


def _skipped(path: str) -> bool:
    return any(part in SKIP_DIRS for part in path.split("/")[:-1])


def is_manifest(path: str) -> bool:
    if _skipped(path):
        return False
    return path.rsplit("/", 1)[-1] in _MANIFEST_NAMES or bool(_REQUIREMENTS.search(path))


def lock_ecosystem(path: str) -> Ecosystem | None:
    return None if _skipped(path) else _LOCK_NAMES.get(path.rsplit("/", 1)[-1])


def canonical(ecosystem: Ecosystem, name: str) -> str:
    return canonicalize_name(name) if ecosystem == "pypi" else name.strip().lower()


def manifest_ecosystem(path: str) -> Ecosystem:
    return "npm" if path.endswith("package.json") else "pypi"


def parse_manifest(path: str, text: str) -> Manifest:
    """Parse any manifest by its file name; the caller checks `is_manifest` first."""
    name = path.rsplit("/", 1)[-1]
    try:
        if name == "pyproject.toml":
            return _pyproject(path, text)
        if name == "setup.cfg":
            return _setup_cfg(path, text)
        if name == "setup.py":
            return _setup_py(path, text)
        if name == "package.json":
            return _package_json(path, text)
        if name == "Pipfile":
            return _pipfile(path, text)
        if name in _INSTALLER_CONFIGS:
            return _installer_config(path, text)
        if name.endswith(".py"):
            return _script(path, text)
        return _requirements(path, text)
    except (RecursionError, MemoryError, ValueError, TypeError, AttributeError) as exc:
        # Hostile nesting or shapes the format allows but no tool accepts.
        return Manifest(path, manifest_ecosystem(path), error=f"{type(exc).__name__}: {exc}")


# --- PEP 508 strings -----------------------------------------------------------------------------


class _Collector:
    """Accumulates deps and invalid entries for one manifest."""

    def __init__(self, path: str, ecosystem: Ecosystem) -> None:
        self.path = path
        self.ecosystem: Ecosystem = ecosystem
        self.deps: list[Dep] = []
        self.invalid: list[tuple[int | None, str]] = []
        self.sources: list[tuple[int, str]] = []
        self.project: str | None = None
        self.modules: list[str] = []

    def name_project(self, name: object) -> None:
        if isinstance(name, str) and name.strip() and self.project is None:
            self.project = canonical(self.ecosystem, name)

    def pep508(self, text: object, section: str, line: int | None = None) -> None:
        if not isinstance(text, str):
            self.invalid.append((line, repr(text)[:200]))
            return
        try:
            req = Requirement(text)
        except InvalidRequirement:
            self.invalid.append((line, text[:200]))
            return
        spec = None if req.url else str(req.specifier)
        self.add(req.name, spec, "pep440", section, line=line, text=text, source=req.url)

    def add(
        self,
        raw: str,
        spec: str | None,
        style: Style,
        section: str,
        *,
        line: int | None,
        text: str,
        source: str | None = None,
        computed: bool = False,
    ) -> None:
        name = canonical(self.ecosystem, raw)
        if name:
            dep = Dep(name, raw, self.ecosystem, spec, style, section, line, text, source, computed)
            self.deps.append(dep)

    def done(self) -> Manifest:
        return Manifest(
            self.path,
            self.ecosystem,
            tuple(self.deps),
            None,
            tuple(self.invalid),
            tuple(self.sources),
            self.project,
            tuple(self.modules),
        )


def _strings(value: object) -> Iterator[object]:
    """Items of a TOML array; anything else is one invalid entry."""
    if isinstance(value, list):
        yield from value
    elif value is not None:
        yield value


def _toml(path: str, text: str) -> dict[str, Any] | Manifest:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Manifest(path, "pypi", error=f"invalid TOML: {exc}")


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- pyproject.toml ------------------------------------------------------------------------------


def _pyproject(path: str, text: str) -> Manifest:
    doc = _toml(path, text)
    if isinstance(doc, Manifest):
        return doc
    out = _Collector(path, "pypi")
    project = _table(doc.get("project"))
    out.name_project(project.get("name"))
    out.name_project(_table(_table(doc.get("tool")).get("poetry")).get("name"))
    for item in _strings(project.get("dependencies")):
        out.pep508(item, "project.dependencies")
    for extra, items in _table(project.get("optional-dependencies")).items():
        for item in _strings(items):
            out.pep508(item, f"project.optional-dependencies.{extra}")
    for group, items in _table(doc.get("dependency-groups")).items():
        for item in _strings(items):
            if not isinstance(item, dict):  # {include-group = "..."} is a reference
                out.pep508(item, f"dependency-groups.{group}")
    for item in _strings(_table(doc.get("build-system")).get("requires")):
        out.pep508(item, "build-system.requires")
    poetry = _table(_table(doc.get("tool")).get("poetry"))
    _poetry_table(out, poetry.get("dependencies"), "tool.poetry.dependencies")
    _poetry_table(out, poetry.get("dev-dependencies"), "tool.poetry.dev-dependencies")
    for group, body in _table(poetry.get("group")).items():
        _poetry_table(out, _table(body).get("dependencies"), f"tool.poetry.group.{group}")
    out.sources.extend(src.located(text, src.pyproject_sources(doc)))
    out.modules.extend(first_party.pyproject_modules(doc))
    return out.done()


def _poetry_table(out: _Collector, table: object, section: str) -> None:
    for raw, value in _table(table).items():
        if raw.lower() == "python":
            continue
        spec = _poetry_spec(value)
        out.add(raw, spec, "semver", section, line=None, text=raw, source=_table_source(value))


_SOURCE_KEYS = ("git", "path", "url", "file", "editable", "ref")


def _poetry_spec(value: object) -> str | None:
    """Poetry and Pipfile entries: a constraint string, a table, or a list of tables."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        if any(key in value for key in _SOURCE_KEYS[:4]):
            return None
        version = value.get("version", "")
        return version.strip() if isinstance(version, str) else ""
    if isinstance(value, list):
        parts = [_poetry_spec(v) for v in value]
        return None if any(p is None for p in parts) else " || ".join(p for p in parts if p)
    return ""


def _table_source(value: object) -> str | None:
    """`{git = ...}`, `{url = ...}` or `{path = ...}` in a poetry or Pipfile entry."""
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, dict):
            for key in ("git", "url"):
                if isinstance(entry.get(key), str):
                    return str(entry[key]) if key == "url" else f"git+{entry[key]}"
            for key in ("path", "file"):
                if isinstance(entry.get(key), str):
                    return f"file:{entry[key]}"
    return None


# --- Pipfile -------------------------------------------------------------------------------------


def _pipfile(path: str, text: str) -> Manifest:
    doc = _toml(path, text)
    if isinstance(doc, Manifest):
        return doc
    out = _Collector(path, "pypi")
    for section, body in doc.items():
        if section in ("source", "requires", "scripts", "pipenv"):
            continue
        for raw, value in _table(body).items():
            spec = _poetry_spec(value)
            spec = "" if spec == "*" else spec
            out.add(raw, spec, "pep440", section, line=None, text=raw, source=_table_source(value))
    return out.done()


# --- installer configuration and PEP 723 scripts -------------------------------------------------


def _installer_config(path: str, text: str) -> Manifest:
    """`pip.conf`, `pip.ini`, `uv.toml`: no requirements, only where packages come from."""
    out = _Collector(path, "pypi")
    if path.endswith("uv.toml"):
        doc = _toml(path, text)
        if isinstance(doc, Manifest):
            return doc
        out.sources.extend(src.located(text, src.uv_toml_sources(doc)))
        return out.done()
    found = src.pip_conf_sources(text)
    if isinstance(found, str):
        return Manifest(path, "pypi", error=found)
    out.sources.extend(src.located(text, found))
    return out.done()


def _script(path: str, text: str) -> Manifest:
    """A `.py` file with a `# /// script` block: its `dependencies` and `[tool.uv]` settings."""
    out = _Collector(path, "pypi")
    block = pep723.script_block(text)
    if block is None:
        return out.done()
    start, body = block
    doc = pep723.parse_block(body)
    if isinstance(doc, str):
        return Manifest(path, "pypi", error=doc)
    for item in _strings(doc.get("dependencies")):
        number = start + src.line_of(body, item) if isinstance(item, str) else None
        out.pep508(item, "script.dependencies", number)
    settings = src.pyproject_sources(doc)
    out.sources.extend((start + n, t) for n, t in src.located(body, settings))
    return out.done()


# --- setup.cfg -----------------------------------------------------------------------------------


def _setup_cfg(path: str, text: str) -> Manifest:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        return Manifest(path, "pypi", error=f"invalid setup.cfg: {exc.message}")
    out = _Collector(path, "pypi")
    out.name_project(parser.get("metadata", "name", fallback=None))
    out.modules.extend(first_party.setup_cfg_modules(parser))
    if parser.has_section("options"):
        for key in ("install_requires", "tests_require", "setup_requires"):
            _cfg_list(out, parser.get("options", key, fallback=""), f"options.{key}")
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            _cfg_list(out, value, f"options.extras_require.{extra}")
    return out.done()


def _cfg_list(out: _Collector, value: str, section: str) -> None:
    if value.strip().startswith("file:"):
        return  # a reference to a requirements file, which is read on its own
    for item in value.splitlines():
        entry = item.split(" #", 1)[0].strip()
        if entry and not entry.startswith("#"):
            out.pep508(entry, section)


# --- setup.py ------------------------------------------------------------------------------------

_SETUP_KEYS = ("install_requires", "extras_require", "tests_require", "setup_requires")


def _setup_py(path: str, text: str) -> Manifest:
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        return Manifest(path, "pypi", error=f"invalid Python: {exc.msg} (line {exc.lineno})")
    names: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                names[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            names[node.target.id] = node.value
    out = _Collector(path, "pypi")
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _is_setup(call.func):
            for kw in call.keywords:
                if kw.arg == "name":
                    name = _built_string(kw.value, names, 0)
                    out.name_project(name if name is not None and _HOLE not in name else None)
                if kw.arg in _SETUP_KEYS:
                    _setup_value(out, kw.value, kw.arg, names, depth=0)
                if kw.arg in first_party.SETUP_MODULE_KEYS:
                    out.modules.extend(first_party.setup_py_modules(kw.value, names))
    return out.done()


def _is_setup(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "setup"
    return isinstance(func, ast.Attribute) and func.attr == "setup"


def _setup_value(
    out: _Collector, node: ast.expr, section: str, names: dict[str, ast.expr], depth: int
) -> None:
    """Literal lists, dicts of lists, `a + b`, and module-level names bound to those."""
    if depth > 8:
        return
    if isinstance(node, ast.Name) and node.id in names:
        _setup_value(out, names[node.id], section, names, depth + 1)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for item in node.elts:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                out.pep508(item.value, section, item.lineno)
            else:
                _setup_value(out, item, section, names, depth + 1)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        for offset, entry in enumerate(node.value.splitlines()):
            if entry.strip() and not entry.strip().startswith("#"):
                out.pep508(entry.strip(), section, node.lineno + offset)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            extra = str(key.value) if isinstance(key, ast.Constant) else "?"
            _setup_value(out, value, f"{section}.{extra}", names, depth + 1)
    elif (built := _built_string(node, names, depth)) is not None:
        _computed(out, built, section, node.lineno)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        _setup_value(out, node.left, section, names, depth + 1)
        _setup_value(out, node.right, section, names, depth + 1)


_HOLE = "\0"
"""Stands for a part of a built string whose value is only known when setup.py runs."""
_NAME_PART = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_PERCENT = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.\d+)?[sdifrxXeEgGc]")


def _computed(out: _Collector, text: str, section: str, line: int) -> None:
    """A requirement built with `.format()`, an f-string, `+` or `%`: read in full when every part
    is a module-level constant, else by the name before the first unknown part (`numpy >= {}`).
    A name the unknown part may continue (`django-{}`) is not guessed."""
    if _HOLE not in text:
        out.pep508(text.strip(), section, line)
        return
    prefix = text.split(_HOLE, 1)[0]
    match = _NAME_PART.match(prefix)
    if match is None or prefix[match.end() : match.end() + 1] in (".", "_", "-"):
        return
    shown = text.replace(_HOLE, "{}").strip()
    out.add(match.group(1), None, "pep440", section, line=line, text=shown, computed=True)


def _piece(node: ast.expr, names: dict[str, ast.expr], depth: int) -> str:
    """One interpolated value: its text when it is a constant (or a name bound to one)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
        return str(node.value)
    if depth < 8 and isinstance(node, ast.Name) and node.id in names:
        return _piece(names[node.id], names, depth + 1)
    built = _built_string(node, names, depth + 1)
    return _HOLE if built is None else built


def _built_string(node: ast.expr, names: dict[str, ast.expr], depth: int) -> str | None:
    """The text of a string expression built from literals, with `_HOLE` for unknown parts;
    None for anything that is not a string expression (a list, a call of something else)."""
    if depth > 8:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _piece(v.value, names, depth + 1)
            if isinstance(v, ast.FormattedValue)
            else _piece(v, names, depth + 1)
            for v in node.values
        )
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        template = _built_string(node.func.value, names, depth + 1)
        return None if template is None else _format(template, node, names, depth)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        left = _built_string(node.left, names, depth + 1)
        if isinstance(node.op, ast.Mod):
            return None if left is None else _percent(left, node.right, names, depth)
        right = _built_string(node.right, names, depth + 1)
        if left is None and right is None:
            return None
        return (left if left is not None else _piece(node.left, names, depth + 1)) + (
            right if right is not None else _piece(node.right, names, depth + 1)
        )
    return None


def _format(template: str, call: ast.Call, names: dict[str, ast.expr], depth: int) -> str:
    """`str.format` with the arguments that are constants; other fields become holes."""
    args = [_piece(a, names, depth + 1) for a in call.args]
    kwargs = {k.arg: _piece(k.value, names, depth + 1) for k in call.keywords if k.arg}
    out: list[str] = []
    auto = 0
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return _HOLE
    for literal, field_name, _spec, _conversion in fields:
        out.append(literal)
        if field_name is None:
            continue
        key = re.split(r"[.\[]", field_name, maxsplit=1)[0]
        if key == "":
            value = args[auto] if auto < len(args) else _HOLE
            auto += 1
        elif key.isdigit():
            value = args[int(key)] if int(key) < len(args) else _HOLE
        else:
            value = kwargs.get(key, _HOLE)
        out.append(value if key == field_name else _HOLE)
    return "".join(out)


def _percent(template: str, right: ast.expr, names: dict[str, ast.expr], depth: int) -> str:
    """`'numpy>=%s' % v`: positional conversions take the tuple's items; others become holes."""
    items = right.elts if isinstance(right, ast.Tuple) else [right]
    values = iter([_piece(i, names, depth + 1) for i in items])

    def fill(match: re.Match[str]) -> str:
        return _HOLE if match.group(1) else next(values, _HOLE)

    return _PERCENT.sub(fill, template.replace("%%", "%"))


# --- requirements*.txt ---------------------------------------------------------------------------

_REFERENCE_OPTIONS = ("-r", "--requirement", "-c", "--constraint")
_SOURCE_OPTIONS = (
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_WHEEL = re.compile(r"/([A-Za-z0-9][A-Za-z0-9._]*)-\d[^/]*\.(whl|tar\.gz|zip)$")
_URLISH = re.compile(r"^(git\+|hg\+|svn\+|bzr\+|https?://|file:|/|\.{1,2}(/|$))")
_OPTION_TAIL = re.compile(r"\s--?[A-Za-z][\w-]*(?:[= ]\S+)?")


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with `\\` continuations joined and comments dropped, numbered by their first line."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        line = " ".join(parts)
        parts = []
        line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if line:
            yield start, line
    if parts:
        line = re.split(r"(?:^|\s)#", " ".join(parts), maxsplit=1)[0].strip()
        if line:
            yield start, line


def _requirements(path: str, text: str) -> Manifest:
    out = _Collector(path, "pypi")
    for number, line in logical_lines(text):
        if len(line) > 4000:
            out.invalid.append((number, line[:200]))
            continue
        head, _, rest = line.partition(" ")
        option = head.split("=", 1)[0]
        if option in _REFERENCE_OPTIONS:
            continue
        if option in _SOURCE_OPTIONS:
            out.sources.append((number, line))
            continue
        if option in ("-e", "--editable"):
            _url_requirement(out, rest.strip(), number, line)
            continue
        if line.startswith("-"):
            continue  # other global options (--pre, --no-binary, ...)
        requirement = _OPTION_TAIL.sub("", " " + line).strip()  # --hash=..., --config-settings
        if _URLISH.match(requirement):
            _url_requirement(out, requirement, number, line)
            continue
        out.pep508(requirement, "requirements", number)
    return out.done()


def _url_requirement(out: _Collector, target: str, number: int, line: str) -> None:
    """`-e git+...#egg=name`, a wheel URL, or a local path: a named package only when named."""
    match = _EGG.search(target) or _WHEEL.search(target)
    if match:
        out.add(
            match.group(1), None, "pep440", "requirements", line=number, text=line, source=target
        )
    elif " @ " in target or (target and not _URLISH.match(target) and "/" not in target):
        out.pep508(target, "requirements", number)


# --- package.json --------------------------------------------------------------------------------

NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def _package_json(path: str, text: str) -> Manifest:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return Manifest(path, "npm", error=f"invalid JSON: {exc.msg} (line {exc.lineno})")
    if not isinstance(doc, dict):
        return Manifest(path, "npm", error="not a JSON object")
    out = _Collector(path, "npm")
    for section in NPM_SECTIONS:
        for raw, value in _table(doc.get(section)).items():
            spec = value.strip() if isinstance(value, str) else ""
            if _npm_source(spec):
                spec_or_none: str | None = None
            else:
                spec_or_none = spec
            source = spec if spec_or_none is None else None
            out.add(raw, spec_or_none, "semver", section, line=None, text=raw, source=source)
    return out.done()


def _npm_source(spec: str) -> bool:
    """Tarball URLs, git, local paths, workspaces and aliases: not a version range."""
    return bool(re.match(r"^([a-z+]+:|\.{0,2}/|~/|[\w.-]+/[\w.-]+(#.*)?$)", spec))


# --- lock files ----------------------------------------------------------------------------------


def parse_lock(path: str, text: str) -> Lock:
    ecosystem = lock_ecosystem(path) or "pypi"
    name = path.rsplit("/", 1)[-1]
    try:
        if name.endswith(".lock") and name not in ("yarn.lock", "Pipfile.lock"):
            doc = tomllib.loads(text)
            packages = doc.get("package")
            names = _names(ecosystem, (_table(p).get("name") for p in _strings(packages)))
        elif name == "yarn.lock":
            names = _names(ecosystem, _yarn_names(text))
        else:
            names = _json_lock_names(ecosystem, name, json.loads(text))
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        return Lock(path, ecosystem, error=f"invalid {name}: {exc}")
    except (RecursionError, MemoryError, ValueError, TypeError, AttributeError) as exc:
        return Lock(path, ecosystem, error=f"{type(exc).__name__}: {exc}")
    return Lock(path, ecosystem, names)


def _names(ecosystem: Ecosystem, raw: Iterable[object]) -> frozenset[str]:
    return frozenset(canonical(ecosystem, n) for n in raw if isinstance(n, str) and n.strip())


def _json_lock_names(ecosystem: Ecosystem, name: str, doc: object) -> frozenset[str]:
    doc = _table(doc)
    if name == "Pipfile.lock":
        return _names(ecosystem, (n for k, v in doc.items() if k != "_meta" for n in _table(v)))
    packages = _table(doc.get("packages"))
    if packages:
        top = (
            key.removeprefix("node_modules/")
            for key in packages
            if key.startswith("node_modules/") and "/node_modules/" not in key
        )
        return _names(ecosystem, top)
    return _names(ecosystem, _table(doc.get("dependencies")))  # lockfileVersion 1


def _yarn_names(text: str) -> Iterator[str]:
    """Entry headers are unindented lines ending in ':' listing `name@range` specs."""
    for line in text.splitlines():
        if not line or line[0] in " \t#" or not line.rstrip().endswith(":"):
            continue
        for spec in line.rstrip()[:-1].split(","):
            spec = spec.strip().strip('"')
            at = spec.find("@", 1)
            if at > 0 and spec != "__metadata":
                yield spec[:at]


def lock_line(lines: tuple[str, ...], raw_names: Iterable[str]) -> int | None:
    """The first line of a lock file that names one of these spellings of a package."""
    for candidate in raw_names:
        pattern = re.compile(
            r'(name\s*=\s*"{0}"|"(node_modules/)?{0}"\s*:|^"?{0}@)'.format(re.escape(candidate)),
            re.IGNORECASE,
        )
        for number, line in enumerate(lines, 1):
            if pattern.search(line):
                return number
    return None


# --- how tight a constraint is -------------------------------------------------------------------

EXACT, NARROW, BOUNDED, FLOOR, ANY = range(5)
_OPERATOR = re.compile(r"(===|==|~=|!=|<=|>=|<|>|=|\^|~)\s+")
_TOKEN = re.compile(r"^(===|==|~=|!=|<=|>=|<|>|=|\^|~)?v?([0-9][0-9A-Za-z.+-]*(?:\.[*xX])*|[*xX])$")
_WILD = re.compile(r"(\.[*xX])+$")


def constraint_shape(spec: str, style: Style) -> tuple[int, str | None] | None:
    """How much a constraint admits, from EXACT (one version) to ANY, and the lowest version it
    names; None when it cannot be read. `||` alternatives take the loosest, `,` joins the tightest.
    """
    text = spec.strip()
    if not text or text.lower() in ("*", "x", "latest"):
        return ANY, None
    if re.fullmatch(r"(?!v\d)[A-Za-z][\w.-]*", text):
        return (ANY, None) if style == "semver" else None  # an npm dist-tag such as "next"
    ranks: list[int] = []
    floors: list[str | None] = []
    for alternative in text.split("||"):
        alternative = alternative.strip()
        if " - " in alternative:  # npm hyphen range "1.2 - 2.3"
            low = alternative.split(" - ", 1)[0].strip().lstrip("v")
            ranks.append(BOUNDED)
            floors.append(low)
            continue
        shape = _conjunction(_OPERATOR.sub(r"\1", alternative), style)
        if shape is None:
            return None
        ranks.append(shape[0])
        floors.append(shape[1])
    known = [f for f in floors if f]
    return max(ranks), (min(known, key=version_key) if len(known) == len(floors) else None)


def _conjunction(text: str, style: Style) -> tuple[int, str | None] | None:
    rank, floor = ANY, None
    for token in filter(None, re.split(r"[\s,]+", text)):
        match = _TOKEN.match(token)
        if not match:
            return None
        op, version = match.group(1) or "", match.group(2)
        parts = len(_WILD.sub("", version).split(".")) if version not in "*xX" else 0
        wild = bool(_WILD.search(version)) or parts == 0
        if op in ("", "=", "==", "===") and (op or style == "semver"):
            this = EXACT if not wild and (op or parts >= 3) else (NARROW if parts >= 2 else BOUNDED)
            if parts == 0:
                this = ANY
        elif op == "":
            return None
        elif op == "~":
            this = NARROW if parts >= 2 else BOUNDED
        elif op == "~=":
            this = NARROW if parts >= 3 else BOUNDED
        elif op in ("^", "<", "<="):
            this = BOUNDED
        elif op in (">=", ">"):
            this = FLOOR
        else:  # "!=" excludes, it does not bound
            this = ANY
        rank = min(rank, this)
        if op not in ("<", "<=", "!=") and parts:
            candidate = _WILD.sub("", version)
            if floor is None or version_key(candidate) > version_key(floor):
                floor = candidate
    return rank, floor


def version_key(version: str) -> tuple[int, ...]:
    """Numeric release parts for ordering; pre-release tags sort as their release."""
    key = []
    for part in re.split(r"[.+-]", version):
        if not part.isdigit():
            break
        key.append(int(part))
    return tuple(key)


# --- the bounds of a PEP 440 specifier -----------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    """The lowest and highest versions a PEP 440 specifier set admits, read with `packaging`."""

    floor: Version | None
    ceiling: Version | None
    """From `<`, `<=`, `~=` or `==X.*`; an exact pin is `exact`, not a ceiling."""
    exact: bool
    """`==X` or `===X`: one version."""


def _bumped(release: tuple[int, ...]) -> Version:
    """The first version past a prefix: 1.4 -> 2 for `~=1.4`, 1.4.* -> 1.5."""
    head = list(release[:-1]) or [0]
    head[-1] += 1
    return Version(".".join(str(p) for p in head))


def pep440_bounds(spec: str) -> Bounds | None:
    """None when `spec` is not a PEP 440 specifier set (or names a version packaging rejects)."""
    try:
        specifiers = SpecifierSet(spec)
        floors: list[Version] = []
        ceilings: list[Version] = []
        exact = False
        for item in specifiers:
            op, raw = item.operator, item.version
            if op in ("==", "===") and not raw.endswith(".*"):
                exact = True
                if op == "==":
                    floors.append(Version(raw))
            elif op == "==":
                prefix = Version(raw[:-2])
                floors.append(prefix)
                ceilings.append(_bumped((*prefix.release, 0)))
            elif op == "~=":
                version = Version(raw)
                floors.append(version)
                ceilings.append(_bumped(version.release))
            elif op in (">=", ">"):
                floors.append(Version(raw))
            elif op in ("<", "<="):
                ceilings.append(Version(raw))
    except (InvalidSpecifier, InvalidVersion):
        return None
    return Bounds(max(floors, default=None), min(ceilings, default=None), exact)
