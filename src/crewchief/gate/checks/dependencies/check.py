"""The `dependencies` check: what a change does to the packages the repo installs.

Agents add packages to make code work, sometimes ones that do not exist (a hallucinated name that
anyone may register later) or that are one typo away from a famous one; they loosen pins and drop
lock entries to get past a resolver error, and downgrade to dodge an API change. Each of these is
cheap to spot from the manifests alone, so this check reads them (never installing anything) and
reports what the change introduces relative to everything the repo declared at base.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, ClassVar

from crewchief.gate.analysis.pysource import parse as parse_python
from crewchief.gate.change import Change, FileChange, Side, blob_id
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.dependencies import installs
from crewchief.gate.checks.dependencies import manifests as mf
from crewchief.gate.checks.dependencies import scripts as pep723
from crewchief.gate.checks.dependencies.manifests import Dep, Ecosystem, Manifest
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.gate.introduced import introduced

NAME = "dependencies"


RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "new-dependency",
        Severity.MEDIUM,
        "A dependency the repository did not use before (nor [dependencies] allow lists).",
        "Vet the package (maintainers, age, downloads) or add it to [dependencies] allow.",
        cwe="CWE-1357",
    ),
    Rule(
        NAME,
        "typosquat",
        Severity.HIGH,
        "A new dependency whose name is a few edits from a well-known or already used package.",
        "Use the exact name of the package meant; a look-alike may run code on install.",
        blocking=True,
        cwe="CWE-829",
    ),
    Rule(
        NAME,
        "unknown-package",
        Severity.HIGH,
        "A new dependency that does not exist in the registry (with [dependencies] online_check).",
        "Find the real package name; anyone could register a hallucinated one.",
        blocking=True,
        cwe="CWE-829",
    ),
    Rule(
        NAME,
        "import-name-confusion",
        Severity.MEDIUM,
        "A new dependency named like another package's import name (`sklearn`, `yaml`).",
        "Declare the distribution name of the package meant.",
        cwe="CWE-829",
    ),
    Rule(
        NAME,
        "undeclared-import",
        Severity.MEDIUM,
        "Code imports a third-party package no manifest declares.",
        "Declare the package in the manifest, or remove the import.",
    ),
    Rule(
        NAME,
        "url-dependency",
        Severity.HIGH,
        "A dependency that now installs from a URL or path instead of the registry.",
        "Depend on a released version from the registry, or pin the URL to an immutable commit and review it.",
        blocking=True,
        cwe="CWE-494",
    ),
    Rule(
        NAME,
        "package-source-added",
        Severity.HIGH,
        "A manifest adds another package index or install location.",
        "Install from the default registry; a second index can substitute any package.",
        blocking=True,
        cwe="CWE-829",
    ),
    Rule(
        NAME,
        "invalid-requirement",
        Severity.MEDIUM,
        "A manifest entry that is not a valid requirement.",
        "Fix the requirement's syntax.",
    ),
    Rule(
        NAME,
        "manifest-invalid",
        Severity.HIGH,
        "A manifest or lock file that no longer parses.",
        "Fix the file's syntax; regenerate a lock file with its tool.",
        blocking=True,
    ),
    Rule(
        NAME,
        "loosened-pin",
        Severity.MEDIUM,
        "A version constraint made looser: an exact pin relaxed, a lower bound lowered or dropped, "
        "an upper bound dropped.",
        "Keep the constraint, or say in the change why newer versions are safe.",
    ),
    Rule(
        NAME,
        "upper-bound-added",
        Severity.MEDIUM,
        "An existing requirement gained an upper bound or had it lowered (`<3.0`, `~=2.1`), "
        "holding installs back from newer versions.",
        "Adapt the code to the newer versions, or say in the change which release breaks it.",
    ),
    Rule(
        NAME,
        "downgrade",
        Severity.MEDIUM,
        "A version constraint moved down; medium for an exact pin, low for a bounded range.",
        "Adapt the code to the newer version instead of moving back to an old one.",
    ),
    Rule(
        NAME,
        "lock-file-removed",
        Severity.MEDIUM,
        "A lock file was deleted.",
        "Keep the lock file, regenerated with its tool.",
        cwe="CWE-494",
    ),
    Rule(
        NAME,
        "lock-entry-removed",
        Severity.MEDIUM,
        "A package that is still declared is no longer pinned in the lock file.",
        "Regenerate the whole lock file with its tool instead of editing it.",
        cwe="CWE-494",
    ),
    *installs.RULES,
)
Fetch = Callable[[Ecosystem, str], bool | None]
"""Whether the registry has a package: True, False, or None when it could not be asked."""

# Import names that are not the name to install: the package of that name is missing (a
# hallucination) or a different project (a confusion, reported even when that project is popular).
IMPORT_NAMES: dict[Ecosystem, dict[str, str]] = {
    "pypi": {
        "sklearn": "scikit-learn",
        "cv2": "opencv-python",
        "pil": "pillow",
        "yaml": "pyyaml",
        "dateutil": "python-dateutil",
        "dotenv": "python-dotenv",
        "jwt": "pyjwt",
        "skimage": "scikit-image",
        "crypto": "pycryptodome",
        "magic": "python-magic",
        "serial": "pyserial",
        "docx": "python-docx",
        "fitz": "pymupdf",
        "git": "gitpython",
        "zmq": "pyzmq",
        "usb": "pyusb",
    },
    "npm": {},
}
_AFFIXES: dict[Ecosystem, tuple[tuple[str, str], ...]] = {
    "pypi": (
        ("python-", ""),
        ("python3-", ""),
        ("py-", ""),
        ("py", ""),
        ("", "-python"),
        ("", "-py"),
        ("", "py"),
    ),
    "npm": (("node-", ""), ("", "-js"), ("", ".js"), ("", "js")),
}


# --- the well-known names ------------------------------------------------------------------------


@dataclass(frozen=True)
class Popular:
    names: frozenset[str]
    by_length: dict[int, tuple[tuple[int, str], ...]]
    """(letter mask, name) by name length: what a lookup scans."""


@cache
def popular(ecosystem: Ecosystem) -> Popular:
    """The shipped list, read once on first use (most changes touch no manifest)."""
    text = resources.files("crewchief").joinpath(f"data/popular-{ecosystem}.txt").read_text("utf-8")
    names = frozenset(n.strip() for n in text.splitlines() if n.strip() and not n.startswith("#"))
    buckets: dict[int, list[tuple[int, str]]] = {}
    for name in sorted(names):
        buckets.setdefault(len(name), []).append((letter_mask(name), name))
    return Popular(names, {k: tuple(v) for k, v in buckets.items()})


def letter_mask(name: str) -> int:
    """Which characters occur (folded into 64 bits). One edit changes the presence of at most two
    characters, so names within distance d differ in at most 2d bits: a cheap filter before
    `distance`."""
    mask = 0
    for char in set(name):
        mask |= 1 << (ord(char) & 63)
    return mask


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (Damerau-Levenshtein) distance, or `limit + 1` once it exceeds
    `limit`: only a diagonal band is computed and a row past the limit stops early."""
    if a == b:
        return 0
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    la, lb = len(a), len(b)
    over = limit + 1
    if abs(la - lb) > limit:
        return over
    if not la or not lb:
        return max(la, lb)
    before: list[int] = []
    previous = [j if j <= limit else over for j in range(lb + 1)]
    for i in range(1, la + 1):
        current = [over] * (lb + 1)
        current[0] = i if i <= limit else over
        best = current[0]
        ca = a[i - 1]
        for j in range(max(1, i - limit), min(lb, i + limit) + 1):
            cb = b[j - 1]
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, before[j - 2] + 1)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return over
        before, previous = previous, current
    return min(previous[lb], over)


def allowed_distance(name: str, setting: int) -> int:
    """Short names sit one edit from many real ones, so they get less room."""
    if len(name) <= 3:
        return 0
    return min(setting, 1 if len(name) <= 7 else 2)


def lookalike(name: str, ecosystem: Ecosystem, known: Iterable[str], setting: int) -> str | None:
    """The well-known or already-used name that `name` imitates, if any; never for a name that is
    itself well known."""
    table = popular(ecosystem)
    if name in table.names:
        return None
    limit = allowed_distance(name, setting)
    best: tuple[int, int, str] | None = None
    if limit:
        mask, bits = letter_mask(name), 2 * limit
        extra = [(letter_mask(k), k) for k in known]
        for length in range(len(name) - limit, len(name) + limit + 1):
            pool = [*table.by_length.get(length, ()), *(e for e in extra if len(e[1]) == length)]
            for other, candidate in pool:
                if (mask ^ other).bit_count() > bits:
                    continue
                d = distance(name, candidate, limit)
                key = (d, abs(length - len(name)), candidate)
                if d <= limit and (best is None or key < best):
                    best = key
    return best[2] if best else _affixed(name, ecosystem, table.names)


def _affixed(name: str, ecosystem: Ecosystem, names: frozenset[str]) -> str | None:
    """`python-requests` for `requests`, `dateutil` for `python-dateutil`, `lodashjs` for `lodash`."""
    for prefix, suffix in _AFFIXES[ecosystem]:
        if prefix and name.startswith(prefix) and len(name) - len(prefix) >= 3:
            stem = name[len(prefix) :].lstrip("-")
            if stem in names:
                return stem
        if suffix and name.endswith(suffix) and len(name) - len(suffix) >= 3:
            stem = name[: -len(suffix)].rstrip("-")
            if stem in names:
                return stem
        for variant in (prefix + name, name + suffix):
            if variant != name and variant in names:
                return variant
    return None


# --- asking the registry (off unless the policy turns it on) -------------------------------------


@cache
def _index(ecosystem: Ecosystem) -> str | None:
    """The index the user's own package client uses: its environment setting, else its default."""
    if ecosystem == "pypi":
        for var in ("PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"):
            if os.environ.get(var):
                return os.environ[var]
        try:
            import importlib

            return str(importlib.import_module("pip._internal.models.index").PyPI.simple_url)
        except (ImportError, AttributeError):
            return None
    for var in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        if os.environ.get(var):
            return os.environ[var]
    from crewchief import proc

    try:
        outcome = proc.run(proc.Request(("npm", "config", "get", "registry"), timeout=10))
    except Exception:  # no npm on this machine: the online check cannot run for npm
        return None
    url = outcome.text().strip()
    return url if outcome.ok and url.startswith("http") else None


def registry_has(ecosystem: Ecosystem, name: str, timeout: float = 4.0) -> bool | None:
    index = _index(ecosystem)
    if index is None:
        return None
    if ecosystem == "pypi":
        url = f"{index.rstrip('/')}/{name}/"
        accept = "application/vnd.pypi.simple.v1+json"
    else:
        url = f"{index.rstrip('/')}/{name.replace('/', '%2f')}"
        accept = "application/vnd.npm.install-v1+json"
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            return 200 <= status < 300
    except urllib.error.HTTPError as exc:
        return False if exc.code == 404 else None
    except (OSError, ValueError):
        return None


# --- the check -----------------------------------------------------------------------------------


class DependenciesCheck:
    name = NAME
    version = "2"
    kind = "static"
    rules: ClassVar[RuleTable] = RULES

    def __init__(self, fetch: Fetch | None = None) -> None:
        self.fetch: Fetch = fetch or registry_has

    def run(self, ctx: CheckContext) -> list[Finding]:
        relevant = [f for f in ctx.change.files if _relevant(f)]
        if not relevant:
            return []
        return _Analysis(ctx, self.fetch).findings(relevant)


def _relevant(f: FileChange) -> bool:
    if _python_with_imports(f) or installs.candidate(f):
        return True
    return any(
        side is not None and (_is_manifest(side) or mf.lock_ecosystem(side.path))
        for side in (f.old, f.new)
    )


# Import names whose package is named otherwise, beyond the confusions in IMPORT_NAMES.
_IMPORT_PACKAGES = {
    "attr": "attrs",
    "bs4": "beautifulsoup4",
    "pkg_resources": "setuptools",
    "_pytest": "pytest",
    "openssl": "pyopenssl",
    "google": "protobuf",
}
# Local module names that are also package names; an import of these is almost always first-party.
_GENERIC = frozenset({"utils", "config", "common", "lib", "settings", "app", "core", "conftest"})


def _python_with_imports(f: FileChange) -> bool:
    return (
        f.new is not None
        and f.new.path.endswith(".py")
        and not any(part in mf.SKIP_DIRS for part in f.new.path.split("/"))
        and any("import" in text for _, text in f.added_lines)
    )


def _stdlib(module: str) -> bool:
    return module in sys.stdlib_module_names or module == "__future__"


def _first_party(change: Change) -> set[str]:
    """Names of the repo's own modules that the change shows: directories and .py files."""
    names: set[str] = set()
    for f in change.files:
        for side in (f.old, f.new):
            if side is not None:
                parts = side.path.split("/")
                names.update(p.lower() for p in parts[:-1])
                names.add(parts[-1].removesuffix(".py").lower())
    return names


def imported_modules(text: str) -> dict[str, int]:
    """Top-level modules imported without a fallback, with the first line of each. Imports under
    `try: ... except ImportError` or `if TYPE_CHECKING:` are optional by design and left out."""
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    found: dict[str, int] = {}

    def visit(node: ast.AST, optional: bool) -> None:
        if isinstance(node, ast.Import) and not optional:
            for alias in node.names:
                found.setdefault(alias.name.split(".")[0], node.lineno)
        elif isinstance(node, ast.ImportFrom) and not optional and node.level == 0 and node.module:
            found.setdefault(node.module.split(".")[0], node.lineno)
        elif isinstance(node, ast.Try | ast.TryStar):
            guarded = optional or any(_catches_import_error(h.type) for h in node.handlers)
            for statement in node.body:
                visit(statement, guarded)
            for other in (*node.handlers, *node.orelse, *node.finalbody):
                visit(other, optional)
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                visit(statement, optional)
        else:
            for child in ast.iter_child_nodes(node):
                visit(child, optional)

    try:
        visit(tree, False)
    except RecursionError:
        return found
    return found


def _catches_import_error(kind: ast.expr | None) -> bool:
    if kind is None:
        return True
    names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in ast.walk(kind)}
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _is_manifest(side: Side) -> bool:
    """By name, or a `.py` file (not setup.py) holding PEP 723 script metadata."""
    if mf.is_manifest(side.path):
        return True
    if not side.path.endswith(".py") or side.text is None:
        return False
    return pep723.has_script_block(side.text)


def _parse(side: Side | None) -> Manifest | None:
    if side is None or side.data is None or not _is_manifest(side):
        return None
    if side.text is None:
        return Manifest(side.path, mf.manifest_ecosystem(side.path), error="not UTF-8 text")
    return mf.parse_manifest(side.path, side.text)


class _Analysis:
    def __init__(self, ctx: CheckContext, fetch: Fetch) -> None:
        self.ctx = ctx
        self.policy = ctx.policy.dependencies
        self.fetch = fetch
        base: dict[str, Manifest] = {}
        self.base_locks: list[Side] = []
        for path, data in ctx.change.context.items():
            side = Side(path, "100644", blob_id(data), len(data), data)
            manifest = _parse(side)
            if manifest is not None:
                base[path] = manifest
            elif mf.lock_ecosystem(path):
                self.base_locks.append(side)
        for f in ctx.change.files:
            if f.old is not None and f.old.path not in base:
                manifest = _parse(f.old)
                if manifest is not None:
                    base[f.old.path] = manifest
        head = dict(base)
        for f in ctx.change.files:
            if f.old is not None:
                head.pop(f.old.path, None)
            manifest = _parse(f.new)
            if manifest is not None:
                head[manifest.path] = manifest
        self.known: dict[Ecosystem, set[str]] = {"pypi": set(), "npm": set()}
        for manifest in base.values():
            self.known[manifest.ecosystem].update(d.name for d in manifest.deps)
        for name in self.policy.allow:
            self.known["pypi"].add(mf.canonical("pypi", name))
            self.known["npm"].add(mf.canonical("npm", name))
        self.has_python_manifest = any(m.ecosystem == "pypi" for m in head.values())
        self.declared: dict[Ecosystem, set[str]] = {"pypi": set(), "npm": set()}
        for manifest in head.values():
            self.declared[manifest.ecosystem].update(d.name for d in manifest.deps)
        self.own = {m.project for m in (*base.values(), *head.values()) if m.project}
        self.own.update(
            mf.canonical("pypi", n) for m in (*base.values(), *head.values()) for n in m.modules
        )
        """The packages the repository itself builds: importing them is not a dependency."""
        self._locked: dict[Ecosystem, frozenset[str]] | None = None

    def locked(self, ecosystem: Ecosystem) -> frozenset[str]:
        """What the base lock files pin: installed already, so not new. Read only when needed:
        lock files are the largest manifests."""
        if self._locked is None:
            found: dict[Ecosystem, set[str]] = {"pypi": set(), "npm": set()}
            for side in self.base_locks:
                lock = self.lock(side)
                if lock is not None:
                    found[lock.ecosystem].update(lock.names)
            self._locked = {k: frozenset(v) for k, v in found.items()}
        return self._locked[ecosystem]

    def is_known(self, dep: Dep) -> bool:
        return dep.name in self.known[dep.ecosystem] or dep.name in self.locked(dep.ecosystem)

    def lock(self, side: Side | None) -> mf.Lock | None:
        """A parsed lock file, cached by blob id across gate runs."""
        if side is None or side.data is None or not mf.lock_ecosystem(side.path):
            return None
        ecosystem = mf.lock_ecosystem(side.path) or "pypi"
        if side.text is None:
            return mf.Lock(side.path, ecosystem, error="not UTF-8 text")
        text = side.text

        def compute() -> dict[str, object]:
            lock = mf.parse_lock(side.path, text)
            return {"names": sorted(lock.names), "error": lock.error}

        data = self.ctx.memo(
            (NAME, DependenciesCheck.version, "lock", side.blob, side.path), compute
        )
        return mf.Lock(side.path, ecosystem, frozenset(data["names"]), data["error"])

    def findings(self, files: list[FileChange]) -> list[Finding]:
        out: list[Finding] = []
        for f in files:
            if f.new is not None and _is_manifest(f.new):
                out.extend(self._manifest(f))
            if f.old is not None and mf.lock_ecosystem(f.old.path):
                out.extend(self._lock_change(f))
            elif f.new is not None and mf.lock_ecosystem(f.new.path):
                out.extend(self._lock_invalid(None, self.lock(f.new)))
        out.extend(self._undeclared_imports())
        out.extend(installs.findings(files, self.is_declared))
        return out

    def is_declared(self, name: str) -> bool:
        """A package some manifest lists (at base or head) or the repository builds itself."""
        for ecosystem in ("pypi", "npm"):
            key = mf.canonical(ecosystem, name)
            if key in self.declared[ecosystem] or key in self.known[ecosystem] or key in self.own:
                return True
        return False

    # imports of packages no manifest declares

    def _imports(self, side: Side) -> dict[str, int]:
        """Imports of one blob, memoised by blob id (an AST walk is most of this check's cost)."""
        assert side.text is not None
        text = side.text
        raw = self.ctx.memo(("dependencies", "imports", side.blob), lambda: imported_modules(text))
        return {str(k): int(v) for k, v in raw.items()}

    def _undeclared_imports(self) -> list[Finding]:
        """Code that imports a well-known package the repo never declares runs only where that
        package happens to be installed (the agent's machine), and breaks everywhere else."""
        if not self.has_python_manifest:
            return []
        changed = [
            f
            for f in self.ctx.change.files
            if _python_with_imports(f) and any("import" in text for _, text in f.added_lines)
        ]
        if not changed:
            return []
        declared = self.declared["pypi"] | self.known["pypi"] | self.own
        local = _first_party(self.ctx.change)
        table = popular("pypi").names
        suspects: list[tuple[FileChange, str, int, str | None]] = []
        for f in changed:
            assert f.new is not None and f.new.text is not None
            for module, line in self._imports(f.new).items():
                key = module.lower()
                if key in local or key in _GENERIC or _stdlib(module):
                    continue
                package = _IMPORT_PACKAGES.get(key) or IMPORT_NAMES["pypi"].get(key)
                names = {mf.canonical("pypi", module), package or ""}
                if not (names & declared or (package is None and names.isdisjoint(table))):
                    suspects.append((f, module, line, package))
        if not suspects:
            return []
        before: set[str] = set()  # imported somewhere at base already: old news, or moved
        for f in self.ctx.change.files:
            if f.old is not None and f.old.path.endswith(".py") and f.old.text is not None:
                before.update(self._imports(f.old))
        out = []
        for f, module, line, package in suspects:
            if module in before:
                continue
            path = f.path
            out.append(
                RULES["undeclared-import"].finding(
                    f"{path} imports '{module}' but no manifest declares "
                    f"'{package or mf.canonical('pypi', module)}': it works only where it "
                    "happens to be installed",
                    path=path,
                    line=line,
                    fingerprint=fingerprint("undeclared-import", module, path),
                    snippet=module[:200] or None,
                )
            )
        return out

    # manifests

    def _manifest(self, f: FileChange) -> list[Finding]:
        assert f.new is not None
        head = _parse(f.new)
        if head is None:
            return []
        old = _parse(f.old) if f.old is not None else None
        path = f.new.path
        if head.error:
            if old is not None and old.error:
                return []
            return [
                RULES["manifest-invalid"].finding(
                    f"{path} no longer parses ({head.error[:200]}), so installs "
                    "from it fail or silently skip what it declares",
                    path=path,
                    fingerprint=fingerprint("manifest-invalid", "", path),
                )
            ]
        out: list[Finding] = []
        out.extend(self._invalid_entries(head, old))
        out.extend(self._sources(head, old, f.new))
        before = _by_place(old.deps if old is not None and not old.error else ())
        seen: set[str] = set()
        reported: set[str] = set()
        for place, dep in _places(head.deps):
            was = before.get(place) or before.get((dep.name, "", 0))
            if dep.remote and (was is None or was.source != dep.source):
                if dep.name not in seen:
                    out.append(self._url_dependency(dep, f.new))
            elif was is not None:
                for finding in self._compare(was, dep, f.new):
                    if finding.fingerprint not in reported:  # once per name and file
                        reported.add(finding.fingerprint)
                        out.append(finding)
            elif dep.name not in seen and not self.is_known(dep):
                out.append(self._new(dep, f.new))
            seen.add(dep.name)
        return out

    def _url_dependency(self, dep: Dep, side: Side) -> Finding:
        return RULES["url-dependency"].finding(
            f"'{dep.raw}' now installs straight from '{(dep.source or '')[:120]}', "
            "bypassing the registry: what it points at can change without any review",
            path=side.path,
            line=_dep_line(side, dep),
            fingerprint=fingerprint("url-dependency", dep.name, side.path),
            snippet=dep.name[:200] or None,
        )

    def _invalid_entries(self, head: Manifest, old: Manifest | None) -> list[Finding]:
        fresh = introduced(old.invalid if old else (), head.invalid, key=lambda item: item[1])
        return [
            RULES["invalid-requirement"].finding(
                f"'{text[:80]}' is not a valid requirement, so installers reject the "
                "file or the package is not what it seems",
                path=head.path,
                line=line,
                fingerprint=fingerprint("invalid-requirement", text, head.path),
                snippet=text[:200] or None,
            )
            for line, text in fresh
        ]

    def _sources(self, head: Manifest, old: Manifest | None, side: Side) -> list[Finding]:
        fresh = introduced(old.sources if old else (), head.sources, key=lambda item: item[1])
        return [
            RULES["package-source-added"].finding(
                f"{head.path} now installs from another index or location "
                f"('{text[:80]}'), which can substitute any package",
                path=head.path,
                line=line,
                fingerprint=fingerprint("package-source-added", text, head.path),
                snippet=text[:200] or None,
            )
            for line, text in fresh
        ]

    def _new(self, dep: Dep, side: Side) -> Finding:
        line = _dep_line(side, dep)
        alias = IMPORT_NAMES[dep.ecosystem].get(dep.name)
        if alias is not None and dep.name in popular(dep.ecosystem).names:
            return RULES["import-name-confusion"].finding(
                f"'{dep.raw}' is the import name of '{alias}'; the package '{dep.raw}' is a "
                "different project, so check which one is meant",
                path=side.path,
                line=line,
                fingerprint=fingerprint("import-name-confusion", dep.name, side.path),
                snippet=dep.name[:200] or None,
            )
        target = alias or lookalike(
            dep.name,
            dep.ecosystem,
            self.known[dep.ecosystem],
            self.policy.typosquat_distance,
        )
        if target is not None and target != dep.name:
            return RULES["typosquat"].finding(
                f"new dependency '{dep.raw}' looks like '{target}': a likely typo or hallucinated "
                "name, the kind attackers register to run code on install",
                path=side.path,
                line=line,
                fingerprint=fingerprint("typosquat", dep.name, side.path),
                snippet=dep.name[:200] or None,
            )
        if self.policy.online_check and (dep.spec is not None or dep.computed):
            exists = self.fetch(dep.ecosystem, dep.name)
            if exists is False:
                return RULES["unknown-package"].finding(
                    f"new dependency '{dep.raw}' does not exist in the registry: a hallucinated "
                    "name that anyone could register with malicious code",
                    path=side.path,
                    line=line,
                    fingerprint=fingerprint("unknown-package", dep.name, side.path),
                    snippet=dep.name[:200] or None,
                )
        source = " from a URL or path" if dep.spec is None and not dep.computed else ""
        return RULES["new-dependency"].finding(
            f"new dependency '{dep.raw}'{source} in {side.path}: nothing the repo used before, "
            "so a human should vet it",
            path=side.path,
            line=line,
            fingerprint=fingerprint("new-dependency", dep.name, side.path),
            snippet=dep.name[:200] or None,
        )

    def _compare(self, old: Dep, new: Dep, side: Side) -> list[Finding]:
        if old.spec is None or new.spec is None:
            return []
        before = mf.constraint_shape(old.spec, old.style)
        after = mf.constraint_shape(new.spec, new.style)
        if before is None or after is None:
            return []
        line = _dep_line(side, new)
        shown = new.spec or "no constraint"
        out: list[Finding] = []
        # A lowered floor under a loose constraint still installs the newest version; only a
        # constraint that selects versions (pin, ~, ^, upper bound) really moves down.
        lowered = before[1] and after[1] and mf.version_key(after[1]) < mf.version_key(before[1])
        downgraded = bool(lowered and after[0] <= mf.BOUNDED)
        bounds = _bound_changes(old, new, downgraded) if new.style == "pep440" else None
        if bounds is not None:
            out.extend(self._bound_findings(old, new, side, line, bounds))
        elif after[0] > before[0]:
            out.append(
                _pin_finding(
                    "loosened-pin",
                    f"'{new.raw}' went from '{old.spec}' to '{shown}': installs may now pick "
                    "versions nobody tested",
                    new,
                    side,
                    line,
                )
            )
        if downgraded:
            pinned = after[0] == mf.EXACT
            out.append(
                _pin_finding(
                    "downgrade",
                    f"'{new.raw}' moved down from '{old.spec}' to '{shown}', often a way to dodge an "
                    "API change instead of adapting to it; it may bring back fixed bugs",
                    new,
                    side,
                    line,
                    severity=Severity.MEDIUM if pinned else Severity.LOW,
                )
            )
        return out

    def _bound_findings(
        self, old: Dep, new: Dep, side: Side, line: int | None, changes: tuple[list[str], list[str]]
    ) -> list[Finding]:
        looser, capped = changes
        was, now = old.spec or "no constraint", new.spec or "no constraint"
        out = []
        if looser:
            out.append(
                _pin_finding(
                    "loosened-pin",
                    f"'{new.raw}' went from '{was}' to '{now}' ({'; '.join(looser)}): installs may "
                    "now pick versions nobody tested with this code",
                    new,
                    side,
                    line,
                )
            )
        if capped:
            out.append(
                _pin_finding(
                    "upper-bound-added",
                    f"'{new.raw}' went from '{was}' to '{now}' ({'; '.join(capped)}): installs are "
                    "held back from newer releases, often a way to dodge an API change",
                    new,
                    side,
                    line,
                )
            )
        return out

    # lock files

    def _lock_change(self, f: FileChange) -> list[Finding]:
        assert f.old is not None
        before = self.lock(f.old)
        if before is None or before.error:
            return self._lock_invalid(before, self.lock(f.new))
        if f.new is None or not mf.lock_ecosystem(f.new.path):
            return [
                RULES["lock-file-removed"].finding(
                    f"{f.old.path} was deleted: installs are no longer reproducible and may pull "
                    "in versions nobody reviewed",
                    path=f.old.path,
                    fingerprint=fingerprint("lock-file-removed", "", f.old.path),
                )
            ]
        after = self.lock(f.new)
        if after is None or after.error:
            return self._lock_invalid(before, after)
        out = []
        for name in sorted(before.names - after.names):
            if name not in self.declared[before.ecosystem]:
                continue
            spellings = (name, name.replace("-", "_"), name.replace("-", "."))
            out.append(
                RULES["lock-entry-removed"].finding(
                    f"'{name}' is still declared but no longer pinned in {f.new.path}: "
                    "the lock file was edited by hand or regenerated partially",
                    path=f.old.path,
                    line=mf.lock_line(f.old.lines, spellings),
                    fingerprint=fingerprint("lock-entry-removed", name, f.old.path),
                    snippet=name[:200] or None,
                )
            )
        return out

    def _lock_invalid(self, before: mf.Lock | None, after: mf.Lock | None) -> list[Finding]:
        if after is None or not after.error or (before is not None and before.error):
            return []
        return [
            RULES["manifest-invalid"].finding(
                f"{after.path} no longer parses ({after.error[:200]}), so installs from it fail",
                path=after.path,
                fingerprint=fingerprint("manifest-invalid", "", after.path),
            )
        ]


_Place = tuple[str, str, int]


def _places(deps: Iterable[Dep]) -> list[tuple[_Place, Dep]]:
    """Requirements keyed by (name, section, occurrence), so a package listed for two sections or
    under two environment markers is compared with its own counterpart."""
    out: list[tuple[_Place, Dep]] = []
    counts: dict[tuple[str, str], int] = {}
    for dep in deps:
        index = counts.get((dep.name, dep.section), 0)
        counts[(dep.name, dep.section)] = index + 1
        out.append(((dep.name, dep.section, index), dep))
    return out


def _by_place(deps: Iterable[Dep]) -> dict[_Place, Dep]:
    """`_places` as a lookup; the first occurrence of each name is also filed under
    (name, "", 0), the fallback for a requirement moved between sections."""
    out: dict[_Place, Dep] = {}
    for place, dep in _places(deps):
        out[place] = dep
        out.setdefault((dep.name, "", 0), dep)
    return out


def _pin_finding(
    rule: str, message: str, new: Dep, side: Side, line: int | None, **extra: Any
) -> Finding:
    """A finding about one requirement's constraint, keyed by its name and file."""
    return RULES[rule].finding(
        message,
        path=side.path,
        line=line,
        fingerprint=fingerprint(rule, new.name, side.path),
        snippet=new.name[:200] or None,
        **extra,
    )


def _bound_changes(old: Dep, new: Dep, downgraded: bool) -> tuple[list[str], list[str]] | None:
    """How a PEP 440 requirement's bounds moved: (what admits more, what caps it), each a list of
    phrases; None when either side is not a PEP 440 specifier. A lowered floor that `downgrade`
    reports, and the ceiling of an exact pin, are left to that rule."""
    before = mf.pep440_bounds(old.spec or "")
    after = mf.pep440_bounds(new.spec or "")
    if before is None or after is None:
        return None
    looser: list[str] = []
    capped: list[str] = []
    if before.exact and not after.exact:
        looser.append("exact pin relaxed")
    if before.floor is not None and not downgraded:
        if after.floor is None:
            looser.append(f"lower bound {before.floor} dropped")
        elif after.floor < before.floor:
            looser.append(f"lower bound lowered from {before.floor} to {after.floor}")
    if before.ceiling is not None and after.ceiling is None and not after.exact:
        looser.append(f"upper bound {before.ceiling} dropped")
    if after.ceiling is not None and not before.exact:
        if before.ceiling is None:
            capped.append(f"upper bound {after.ceiling} added")
        elif after.ceiling < before.ceiling and not downgraded:
            capped.append(f"upper bound lowered from {before.ceiling} to {after.ceiling}")
    return looser, capped


def _dep_line(side: Side, dep: Dep) -> int | None:
    """Where the head file declares `dep`: known from the parser, else searched in the text."""
    if dep.line is not None:
        return dep.line
    raw = re.escape(dep.raw)
    patterns = (
        [re.compile(r"[\"']" + re.escape(dep.text) + r"[\"']")] if dep.text != dep.raw else []
    )
    patterns.append(re.compile(rf"[\"']{raw}[\"']\s*[:=]|^\s*{raw}\s*=", re.IGNORECASE))
    patterns.append(re.compile(rf"(?<![\w.@/-]){raw}(?![\w.-])", re.IGNORECASE))
    lines = side.lines
    for pattern in patterns:
        for number, text in enumerate(lines, 1):
            if not text.lstrip().startswith("#") and pattern.search(text):
                return number
    return None


CHECK = DependenciesCheck()

__all__ = ["CHECK", "DependenciesCheck", "distance", "lookalike", "popular", "registry_has"]
