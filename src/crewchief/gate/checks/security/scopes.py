"""The module body and each function, with their own nodes: what the structural rules walk.

A rule that needs to know which local names hold a decoded payload or a date comparison looks at
one scope at a time, so a name in one function never lends its meaning to another."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

Func = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Scope:
    name: str
    """"<module>", or the function's qualified name (`Class.method`)."""
    node: ast.Module | Func | ast.ClassDef
    """A class body is a scope of its own: it runs at import, and its constants are data."""
    nodes: tuple[ast.AST, ...]
    """The scope's nodes in source order, not those of nested functions or classes: collected
    once, since every rule walks them."""

    @classmethod
    def of(cls, name: str, node: ast.Module | Func | ast.ClassDef) -> Scope:
        found: list[ast.AST] = []
        stack: list[ast.AST] = [s for s in reversed(node.body) if not _is_def(s)]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(c for c in reversed(list(ast.iter_child_nodes(current))) if not _is_def(c))
        return cls(name, node, tuple(found))


def _is_def(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)


@lru_cache(maxsize=8)
def scopes(tree: ast.Module) -> tuple[Scope, ...]:
    """The module body and every function and class body, computed once per tree (AST nodes hash by identity)
    and shared by all the rules that look at the same parse."""
    return (
        Scope.of("<module>", tree),
        *(Scope.of(name, node) for name, node in definitions(tree).items()),
    )


def functions(tree: ast.Module | None) -> dict[str, Func]:
    """Every function by qualified name (`Class.method`, `outer.inner`)."""
    return {
        name: node for name, node in definitions(tree).items() if not isinstance(node, ast.ClassDef)
    }


def definitions(tree: ast.Module | None) -> dict[str, Func | ast.ClassDef]:
    """Every function and class by qualified name, in source order."""
    found: dict[str, Func | ast.ClassDef] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found[prefix + node.name] = node
                visit(node.body, f"{prefix}{node.name}.")
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child], prefix)

    if tree is not None:
        visit(tree.body, "")
    return found
