"""Where a function can fall off its end: the paths on which it returns None without saying so.

A value-returning function whose every path ended in `return <value>` or `raise` at base, and
which at head can reach its last line, lost a return on one path even if it kept the others. The
analysis is a small structural walk, not a solver: every `if` branch and every `except` handler
is taken to be reachable, a loop's body may run zero times, and only `while True` (or another
truthy constant) needs a `break` to end. Where it is unsure it answers "can fall through", and the
caller reports nothing when base could fall through, so the imprecision costs recall, never a
false finding."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from crewchief.gate.analysis.flow_facts import dotted

_NO_RETURN_CALLS = frozenset({"os._exit", "quit"})
_NO_RETURN_NAMES = frozenset({"abort", "fail", "skip", "xfail", "exit"})
"""Last names of calls taken never to return (`flask.abort`, `self.fail`, `pytest.skip`), like
helpers named `raise_...`: treating them as ends keeps a function that ends in one from looking
like it falls through at head when base ended in a `raise`."""
_SUPPRESSORS = frozenset({"suppress", "contextlib.suppress"})


@dataclass(frozen=True)
class Flow:
    """How a block of statements can end.

    `falls` are the lines of the last statements on paths that continue past the block (empty when
    every path returns, raises or jumps); `breaks` are the lines of `break`s that leave the
    innermost enclosing loop."""

    falls: tuple[int, ...] = ()
    breaks: tuple[int, ...] = ()


_ENDS = Flow()


def _merge(*flows: Flow) -> Flow:
    falls = tuple(dict.fromkeys(n for f in flows for n in f.falls))
    breaks = tuple(dict.fromkeys(n for f in flows for n in f.breaks))
    return Flow(falls, breaks)


def block(body: list[ast.stmt], entry: int) -> Flow:
    """The flow of a statement list entered from line `entry` (reported when the list is empty)."""
    falls: tuple[int, ...] = (entry,)
    breaks: list[int] = []
    for stmt in body:
        flow = statement(stmt)
        breaks.extend(flow.breaks)
        falls = flow.falls
        if not falls:
            break  # the rest of the block is unreachable
    return Flow(falls, tuple(breaks))


def _is_truthy_constant(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _ends_the_program(node: ast.stmt) -> bool:
    """`sys.exit(...)`, `assert False` and their like: statements after which nothing runs."""
    if isinstance(node, ast.Assert):
        return isinstance(node.test, ast.Constant) and not node.test.value
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        name = dotted(node.value.func) or ""
        last = name.rsplit(".", 1)[-1]
        return (
            name in _NO_RETURN_CALLS
            or last in _NO_RETURN_NAMES
            or last.startswith(("raise_", "_raise"))
        )
    return False


def _loop(node: ast.For | ast.AsyncFor | ast.While) -> Flow:
    body = block(node.body, node.lineno)
    if isinstance(node, ast.While) and _is_truthy_constant(node.test):
        return Flow(body.breaks)  # the `else` never runs; only a break leaves
    orelse = block(node.orelse, node.lineno)
    return Flow(tuple(dict.fromkeys(orelse.falls + body.breaks)), orelse.breaks)


def _try(node: ast.Try | ast.TryStar) -> Flow:
    body = block(node.body, node.lineno)
    if not body.falls:
        after_body = _ENDS
    elif node.orelse:
        after_body = block(node.orelse, body.falls[-1])
    else:
        after_body = Flow(body.falls)
    handlers = [block(h.body, h.lineno) for h in node.handlers]
    flow = _merge(Flow((), body.breaks), after_body, *handlers)
    if node.finalbody:
        final = block(node.finalbody, node.lineno)
        if not final.falls:
            return Flow((), final.breaks)  # the finally block returns or raises on every path
        flow = _merge(flow, Flow((), final.breaks))
    return flow


def _match(node: ast.Match) -> Flow:
    cases = [block(c.body, c.pattern.lineno) for c in node.cases]
    exhaustive = any(
        c.guard is None and isinstance(c.pattern, ast.MatchAs) and c.pattern.pattern is None
        for c in node.cases
    )
    return _merge(*cases, Flow(() if exhaustive else (node.lineno,)))


def _suppresses(item: ast.withitem) -> bool:
    expr = item.context_expr
    return isinstance(expr, ast.Call) and dotted(expr.func) in _SUPPRESSORS


def _with(node: ast.With | ast.AsyncWith) -> Flow:
    body = block(node.body, node.lineno)
    if any(_suppresses(i) for i in node.items):
        return _merge(body, Flow((node.lineno,)))  # a swallowed exception continues after it
    return body


def statement(node: ast.stmt) -> Flow:
    """The flow of one statement; nested function and class bodies do not run here."""
    if isinstance(node, ast.Return | ast.Raise | ast.Continue) or _ends_the_program(node):
        return _ENDS
    if isinstance(node, ast.Break):
        return Flow((), (node.lineno,))
    if isinstance(node, ast.If):
        return _merge(block(node.body, node.lineno), block(node.orelse, node.lineno))
    if isinstance(node, ast.For | ast.AsyncFor | ast.While):
        return _loop(node)
    if isinstance(node, ast.Try | ast.TryStar):
        return _try(node)
    if isinstance(node, ast.With | ast.AsyncWith):
        return _with(node)
    if isinstance(node, ast.Match):
        return _match(node)
    return Flow((node.lineno,))


def fall_through_lines(func: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, ...]:
    """Lines after which `func` can run off its end; empty when every path returns or raises."""
    return block(func.body, func.lineno).falls
