"""pytest hooks that a module registers without a `def pytest_...` statement.

pytest finds a hook by name on a conftest module or plugin object, so a function bound to that name
any other way is just as live: `pytest_runtest_makereport = _forge`, `setattr(module,
"pytest_runtest_makereport", f)`, `globals()["pytest_..."] = f`, `sys.modules[__name__].pytest_x = f`,
or a plugin object built with the name as a keyword or dict key (`SimpleNamespace(pytest_x=f)`,
`type("P", (), {"pytest_x": f})`) and handed to `pluginmanager.register`. Each binding is found
here with the function it binds when that function is defined in the same module, so the caller can
judge its body as it judges a `def`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

_NAMESPACES = frozenset({"globals", "vars", "locals"})


def _string(node: ast.AST | None) -> str | None:
    """A string constant, folding `"pytest_" + "runtest_makereport"` style concatenations."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left), _string(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_string(v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    return None


def _namespace_key(target: ast.AST) -> str | None:
    """The key of `globals()["k"]`, `vars()["k"]`, `x.__dict__["k"]` as an assignment target."""
    if not isinstance(target, ast.Subscript):
        return None
    owner = target.value
    is_namespace = (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id in _NAMESPACES
    ) or (isinstance(owner, ast.Attribute) and owner.attr == "__dict__")
    return _string(target.slice) if is_namespace else None


def _assigned(
    node: ast.Assign | ast.AnnAssign | ast.AugAssign, local: bool
) -> Iterator[tuple[str, ast.AST | None]]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                if not local:
                    yield sub.id, node.value
            elif isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
                yield sub.attr, node.value
            else:
                key = _namespace_key(sub)
                if key is not None:
                    yield key, node.value


def _called(node: ast.Call) -> Iterator[tuple[str, ast.AST | None]]:
    """`setattr(obj, "name", f)` and `Plugin(name=f)` / `SimpleNamespace(name=f)` keywords."""
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name == "setattr" and len(node.args) >= 3:
        key = _string(node.args[1])
        if key is not None:
            yield key, node.args[2]
    for keyword in node.keywords:
        if keyword.arg is not None:
            yield keyword.arg, keyword.value


def _bound_names(node: ast.AST, local: bool) -> Iterator[tuple[str, ast.AST | None]]:
    """(hook-like name, the value bound to it) for every binding this one node makes. A plain
    name assigned inside a function (`local`) is a local variable, not a module attribute."""
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        yield from _assigned(node, local)
    elif isinstance(node, ast.Call):
        yield from _called(node)
    elif isinstance(node, ast.Dict):
        for key_node, value in zip(node.keys, node.values, strict=False):
            key = _string(key_node)
            if key is not None:
                yield key, value


def _walk(node: ast.AST, local: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it sits in a function body (where `global x` lifts x out)."""
    for child in ast.iter_child_nodes(node):
        inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield child, local
        yield from _walk(child, inner)


def registrations(tree: ast.Module, hooks: frozenset[str]) -> list[tuple[str, int, ast.AST | None]]:
    """(hook name, line, bound value) for each binding of a name in `hooks` that is not a `def`.

    Class attributes count too (`class Plugin: pytest_x = staticmethod(_forge)`): a plugin object
    exposes them like methods."""
    declared_global = {
        name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names
    }
    out: list[tuple[str, int, ast.AST | None]] = []
    for node, local in _walk(tree):
        if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Call | ast.Dict):
            continue
        for name, value in _bound_names(node, local and name_is_local(node, declared_global)):
            if name in hooks:
                out.append((name, getattr(node, "lineno", 1), value))
    return out


def name_is_local(node: ast.AST, declared_global: set[str]) -> bool:
    """Whether plain names this assignment binds stay local (none of them is declared global)."""
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    names = {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}
    return not names & declared_global


def bound_function(
    value: ast.AST | None, defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None:
    """The function a binding refers to when the module defines it (through `staticmethod(f)`,
    `hookimpl(...)(f)` wrappers too); a lambda as itself; None when it cannot be told."""
    while isinstance(value, ast.Call) and value.args:
        value = value.args[-1]
    if isinstance(value, ast.Lambda):
        return value
    if isinstance(value, ast.Name):
        return defs.get(value.id)
    return None
