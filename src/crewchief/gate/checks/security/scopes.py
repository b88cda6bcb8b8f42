"""The module body and each function, with their own nodes: what the structural rules walk.

A rule that needs to know which local names hold a decoded payload or a date comparison looks at
one scope at a time, so a name in one function never lends its meaning to another."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

Func = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Scope:
    name: str
    """"<module>", or the function's qualified name (`Class.method`)."""
    node: ast.Module | Func

    def nodes(self) -> Iterator[ast.AST]:
        """The scope's nodes in source order, not those of nested functions or classes."""
        stack: list[ast.AST] = [s for s in reversed(self.node.body) if not _is_def(s)]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(c for c in reversed(list(ast.iter_child_nodes(node))) if not _is_def(c))


def _is_def(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)


def scopes(tree: ast.Module) -> Iterator[Scope]:
    yield Scope("<module>", tree)
    yield from (Scope(name, func) for name, func in functions(tree).items())


def functions(tree: ast.Module | None) -> dict[str, Func]:
    """Every function by qualified name (`Class.method`, `outer.inner`)."""
    found: dict[str, Func] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[prefix + node.name] = node
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child], prefix)

    if tree is not None:
        visit(tree.body, "")
    return found
