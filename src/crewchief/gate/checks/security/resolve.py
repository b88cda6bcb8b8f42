"""What a name or an expression really is, before any rule matches a call against it.

An agent that hides a call does it with ordinary Python: `_shell = os.system`, `from os import
system as run`, `getattr(builtins, "ex" + "ec")`, `globals()["eval"]`, or an SQL template kept in a
module-level constant. Matching sinks by the spelling at the call site misses all of them, so the
rules of `hidden_calls`, `import_effects` and `time_bombs` ask this module instead: a `Resolver`
built once per parsed file maps local names to the dotted names they stand for and folds string
expressions made of constants (concatenation, `join`, reversal, `chr`, f-strings of constants,
module-level constants) to their value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

from crewchief.gate.analysis.pysource import parse as parse_python
from crewchief.gate.analysis.taint import dotted
from crewchief.gate.checks.security.scopes import scopes

_MAX_STR = 10_000
"""Folding stops at this length: a hostile `"a" * 10**9` must not allocate."""
_BUILTIN_OWNERS = frozenset({"builtins", "__builtins__", "__builtin__"})
_NAMESPACE_CALLS = frozenset({"globals", "locals", "vars"})


def parse(text: str | None) -> ast.Module | None:
    """The file's tree, or None when it cannot be parsed (such a file has no findings here).
    The one-version rules and the base-to-head comparison share the head's parse."""
    return None if text is None else _parse(text)


@lru_cache(maxsize=16)
def _parse(text: str) -> ast.Module | None:
    try:
        return parse_python(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@dataclass
class Resolver:
    """Module-wide facts: imports, names bound to other names, and string constants."""

    aliases: dict[str, str] = field(default_factory=dict)
    """Local name to the dotted name it stands for (`run` -> `os.system`)."""
    constants: dict[str, str] = field(default_factory=dict)
    """Module-level names bound once to a string that folds to a constant."""

    @classmethod
    def of(cls, tree: ast.Module) -> Resolver:
        resolver = cls()
        for scope in scopes(tree):
            for node in scope.nodes:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    resolver._import(node)
        assigned: dict[str, int] = {}
        for node in tree.body:
            for name in _assigned_names(node):
                assigned[name] = assigned.get(name, 0) + 1
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and assigned.get(target.id) == 1:
                    resolver._bind(target.id, node.value)
        return resolver

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
        elif node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _bind(self, name: str, value: ast.expr) -> None:
        if isinstance(value, ast.Attribute | ast.Name):
            qual = self.qualname(value)
            if qual is not None and qual != name:
                self.aliases[name] = qual
            return
        text = self.string(value)
        if text is not None:
            self.constants[name] = text

    def qualname(self, node: ast.expr) -> str | None:
        """The dotted name a call target stands for, through imports and module-level aliases,
        and through `getattr(owner, <constant>)` and `globals()["name"]`."""
        if isinstance(node, ast.Call):
            return self._dynamic(node)
        if isinstance(node, ast.Subscript):
            return self._namespace_item(node)
        name = dotted(node)
        if name is None:
            return self._imported_attribute(node)
        head, _, rest = name.partition(".")
        seen = {head}
        while head in self.aliases:
            head = self.aliases[head]
            if head in seen:
                break
            seen.add(head)
        full = f"{head}.{rest}" if rest else head
        for owner in _BUILTIN_OWNERS:
            full = full.removeprefix(f"{owner}.")
        return full

    def _imported_attribute(self, node: ast.expr) -> str | None:
        """`__import__("o" + "s").system` and `importlib.import_module("os").system`."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call)):
            return None
        call = node.value
        loader = self.qualname(call.func) if not isinstance(call.func, ast.Call) else None
        if loader not in ("__import__", "importlib.import_module") or not call.args:
            return None
        module = self.string(call.args[0])
        return f"{module}.{node.attr}" if module else None

    def _dynamic(self, call: ast.Call) -> str | None:
        """`getattr(builtins, "ex" + "ec")` is `exec`; `getattr(os, "sys" + "tem")` is
        `os.system`."""
        func = dotted(call.func)
        if func != "getattr" or len(call.args) < 2:
            return None
        attr = self.string(call.args[1])
        owner = self.qualname(call.args[0])
        if attr is None or owner is None:
            return None
        return attr if owner in _BUILTIN_OWNERS else f"{owner}.{attr}"

    def _namespace_item(self, node: ast.Subscript) -> str | None:
        """`globals()["eval"]`, `vars(builtins)["exec"]`, `__builtins__.__dict__["exec"]`."""
        key = self.string(node.slice)
        if key is None:
            return None
        value = node.value
        if isinstance(value, ast.Call) and dotted(value.func) in _NAMESPACE_CALLS:
            return key
        if isinstance(value, ast.Attribute) and value.attr == "__dict__":
            owner = self.qualname(value.value)
            return key if owner in _BUILTIN_OWNERS else None
        if isinstance(value, ast.Name) and value.id in _BUILTIN_OWNERS:
            return key
        return None

    def is_computed(self, node: ast.expr) -> bool:
        """Whether a name is spelt by computation rather than written out (`"ex" + "ec"`)."""
        return not (isinstance(node, ast.Constant) and isinstance(node.value, str))

    def string(self, node: ast.expr) -> str | None:
        """The value of a string expression built from constants; None when it is not one."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.string(node.left), self.string(node.right)
            if left is None or right is None or len(left) + len(right) > _MAX_STR:
                return None
            return left + right
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return self._reversed(node)
        if isinstance(node, ast.Call):
            return self._string_call(node)
        return None

    def _fstring(self, node: ast.JoinedStr) -> str | None:
        parts: list[str] = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            text = self.string(inner)
            if text is None:
                return None
            parts.append(text)
        return "".join(parts)

    def _reversed(self, node: ast.Subscript) -> str | None:
        """`"cexe"[::-1]`: only a plain reversal is folded."""
        assert isinstance(node.slice, ast.Slice)
        step = node.slice.step
        if node.slice.lower or node.slice.upper or step is None:
            return None
        if not (isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub)):
            return None
        text = self.string(node.value)
        return text[::-1] if text is not None else None

    def _string_call(self, node: ast.Call) -> str | None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "join" and len(node.args) == 1:
            sep = self.string(func.value)
            items = node.args[0]
            if sep is None or not isinstance(items, ast.List | ast.Tuple):
                return None
            parts = [self.string(item) for item in items.elts]
            if any(p is None for p in parts):
                return None
            return sep.join(p for p in parts if p is not None)
        if dotted(func) == "chr" and len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                return chr(arg.value) if 0 <= arg.value < 0x110000 else None
        if isinstance(func, ast.Attribute) and func.attr in ("lower", "upper", "strip"):
            text = self.string(func.value)
            return getattr(text, func.attr)() if text is not None else None
        return None


def _assigned_names(node: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def module_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements that run when the module is imported: the body, and the bodies of top-level
    `if`/`try`/`with` blocks, but not functions, classes or `if __name__ == "__main__":`."""
    out: list[ast.stmt] = []
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(node, ast.If) and is_main_guard(node.test):
            stack.extend(reversed(node.orelse))
            continue
        out.append(node)
        for body in _blocks(node):
            stack.extend(reversed(body))
    return out


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(node, ast.If | ast.For | ast.While):
        return [node.body, node.orelse]
    if isinstance(node, ast.With):
        return [node.body]
    if isinstance(node, ast.Try | ast.TryStar):
        return [node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody]
    return []


def is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round, alone or in an `and`."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(is_main_guard(value) for value in test.values)
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = (test.left, test.comparators[0])
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    values = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and values == {"__main__"}


def own_expressions(stmt: ast.stmt) -> list[ast.AST]:
    """The nodes of one statement, without the bodies of compound statements (those are
    statements of their own in `module_level`) or of nested functions and lambdas."""
    if isinstance(stmt, ast.If | ast.While):
        roots: list[ast.AST] = [stmt.test]
    elif isinstance(stmt, ast.For):
        roots = [stmt.target, stmt.iter]
    elif isinstance(stmt, ast.With):
        roots = list(stmt.items)
    elif isinstance(stmt, ast.Try | ast.TryStar):
        roots = []
    else:
        roots = [stmt]
    out: list[ast.AST] = []
    while roots:
        node = roots.pop()
        out.append(node)
        roots.extend(
            child
            for child in ast.iter_child_nodes(node)
            if not isinstance(child, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef)
        )
    return out


@lru_cache(maxsize=16)
def resolver_for(tree: ast.Module) -> Resolver:
    """The tree's resolver, built once and shared by every rule on the same parse."""
    return Resolver.of(tree)
