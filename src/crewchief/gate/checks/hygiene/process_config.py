"""Library modules that configure the process when imported: `sys.path.insert(...)`,
`os.environ[...] = ...`, `django.setup()`, `logging.basicConfig(...)` and their like at module level.

An agent that could not get an import or a setting to work in its sandbox often patches the
process from the module it was editing. The edit works for the agent and then changes every
program that imports the library: its import path, its environment, its logging, its working
directory. Names are resolved through the module's imports (`from os import environ as env`).

A blanket `warnings.simplefilter("ignore")` or `warnings.filterwarnings("ignore", ...)` without a
`module=` counts: it hides every other package's warnings from the importing program, which is the
same kind of harm. A filter scoped with `module=`, or one that only turns warnings on ("always",
"default", "error"), is a library managing its own warnings and stays quiet.

Only top-level code counts (also inside a module-level `if` or `try`), not function or class
bodies nor the `if __name__ == "__main__":` block. A module that already configured the process at
base is a bootstrap module on purpose (a settings module, a `wsgi.py`), so its new configuration
stays quiet, as a module that printed at base may print."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from crewchief.gate.analysis.flow_facts import dotted
from crewchief.gate.change import FileChange
from crewchief.gate.checks.hygiene.rules import added_line_finding
from crewchief.gate.findings import Finding

_CALLS = {
    "django.setup": "initialises Django",
    "django.conf.settings.configure": "configures Django settings",
    "sys.path.insert": "changes the import path",
    "sys.path.append": "changes the import path",
    "sys.path.extend": "changes the import path",
    "site.addsitedir": "changes the import path",
    "os.environ.setdefault": "sets an environment variable",
    "os.environ.update": "sets environment variables",
    "os.environ.pop": "removes an environment variable",
    "os.putenv": "sets an environment variable",
    "os.unsetenv": "removes an environment variable",
    "os.chdir": "changes the working directory",
    "logging.basicConfig": "configures the root logger",
    "sys.setrecursionlimit": "changes the recursion limit",
}
_STORES = {"os.environ": "sets an environment variable", "sys.path": "changes the import path"}
_WARNING_FILTERS = frozenset({"warnings.simplefilter", "warnings.filterwarnings"})


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without visiting expressions: an import is a
    statement, and a module's expressions are most of its nodes."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(reversed(children))


def import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name to the dotted name it was imported as, for the module's imports, wherever they
    are (a `from pdb import set_trace` inside a function is the one a debugging agent writes)."""
    found: dict[str, str] = {}
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return found


def resolve(node: ast.expr, aliases: dict[str, str]) -> str:
    """The dotted name `node` stands for, through the module's imports (`st` -> `ipdb.set_trace`)."""
    name = dotted(node) or ""
    head, dot, rest = name.partition(".")
    return aliases.get(head, head) + dot + rest


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import: module level, through `if`/`try`/`with`, not into a def,
    a class or the `__main__` block."""
    for node in body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            continue
        yield node
        if isinstance(node, ast.If | ast.For | ast.While):
            yield from _top_level(node.body + node.orelse)
        elif isinstance(node, ast.With):
            yield from _top_level(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            handled = [s for h in node.handlers for s in h.body]
            yield from _top_level(node.body + handled + node.orelse + node.finalbody)


def _blanket_ignore(call: ast.Call, name: str) -> bool:
    """An "ignore" filter that names neither a message nor a module: `filterwarnings`' second and
    fourth positional arguments are those; `simplefilter` has neither."""
    first = call.args[0] if call.args else None
    action = next((k.value for k in call.keywords if k.arg == "action"), first)
    if not (isinstance(action, ast.Constant) and action.value == "ignore"):
        return False
    if name == "warnings.simplefilter":
        return True
    given = dict(enumerate(call.args)) | {
        {"message": 1, "module": 3}.get(k.arg or "", -1): k.value for k in call.keywords
    }
    return all(
        isinstance(v, ast.Constant) and v.value == "" for v in (given.get(1), given.get(3)) if v
    )


def _effect(node: ast.stmt, aliases: dict[str, str]) -> str | None:
    """What the statement does to the process, in a few words; None when nothing this module
    looks for."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        name = resolve(node.value.func, aliases)
        if name in _WARNING_FILTERS:
            blanket = _blanket_ignore(node.value, name)
            return "silences warnings for the whole program" if blanket else None
        return _CALLS.get(name)
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = node.targets
    for target in targets:
        owner = target.value if isinstance(target, ast.Subscript) else target
        effect = _STORES.get(resolve(owner, aliases)) if isinstance(owner, ast.expr) else None
        if effect:
            return effect
    return None


def _effects(
    tree: ast.Module | None, aliases: dict[str, str] | None = None
) -> Iterator[tuple[ast.stmt, str]]:
    if tree is None:
        return
    aliases = import_aliases(tree) if aliases is None else aliases
    for node in _top_level(tree.body):
        effect = _effect(node, aliases)
        if effect:
            yield node, effect


def process_config_findings(
    file: FileChange, tree: ast.Module, base: ast.Module | None, aliases: dict[str, str]
) -> Iterator[Finding]:
    """`import-time-config` for the configuration statements a library module's change adds
    (`aliases`: the head module's imports, which the caller has resolved already)."""
    assert file.new is not None
    if any(True for _ in _effects(base)):
        return
    for node, effect in _effects(tree, aliases):
        if node.lineno not in file.added_line_numbers:
            continue
        yield added_line_finding(
            "import-time-config",
            file,
            node.lineno,
            f"{effect} at module level: every program that imports this module gets the change",
        )
