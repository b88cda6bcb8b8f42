"""Destruction that waits for a date: `if date.today() > date(2027, 1, 1): shutil.rmtree(...)`.

A time bomb passes every test run before its date, so only reading the code finds it. The rule
needs both halves: a comparison of the current time with a fixed point in time (a `date(...)` of
constants, an epoch number past 2001, an ISO date string, `.year > 2026`), and a destructive call
(file or tree deletion, `rm` run as a process, `DROP`/`TRUNCATE`/`DELETE` SQL executed) in the
guarded block. Cache expiry (`time.time() - mtime > MAX_AGE`) compares a duration, not a fixed
date, and stays quiet.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from crewchief.gate.checks.security.hidden_calls import PROCESS_CALLS, SHELL_SINKS, Hit
from crewchief.gate.checks.security.import_effects import DELETION
from crewchief.gate.checks.security.resolve import Resolver
from crewchief.gate.checks.security.scopes import Scope, scopes

_NOW = frozenset(
    {"date.today", "datetime.now", "datetime.today", "datetime.utcnow", "time.time",
     "time.time_ns", "time.localtime", "time.gmtime", "datetime.date.today",
     "datetime.datetime.now", "datetime.datetime.today", "datetime.datetime.utcnow",
     "timezone.now", "django.utils.timezone.now", "arrow.now", "arrow.utcnow", "pendulum.now"}
)  # fmt: skip
_DATE_CALLS = frozenset({"date", "datetime", "datetime.date", "datetime.datetime"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_EPOCH_2001 = 1e9
_DESTRUCTIVE_SQL = re.compile(r"\b(drop\s+(table|database|schema)|truncate|delete\s+from)\b", re.I)
_RM = re.compile(r"(^|[\s;&|])rm\s+-")


def _is_now(node: ast.expr, resolver: Resolver) -> bool:
    """`date.today()`, `time.time()`, `datetime.now(tz)`, or `.year`/`.timestamp()` of one."""
    if isinstance(node, ast.Attribute) and node.attr in ("year", "month"):
        return _is_now(node.value, resolver)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("timestamp", "date", "isoformat"):
        return _is_now(func.value, resolver)
    return (resolver.qualname(func) or "") in _NOW


def _is_fixed_time(node: ast.expr, resolver: Resolver) -> bool:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value >= _EPOCH_2001 or 2000 <= value <= 2200
        return isinstance(value, str) and bool(_ISO_DATE.match(value))
    if isinstance(node, ast.Call):
        qual = resolver.qualname(node.func) or ""
        if qual in _DATE_CALLS or qual.endswith((".fromisoformat", ".strptime")):
            return all(isinstance(a, ast.Constant) for a in node.args) and bool(node.args)
    return False


def _is_date_check(test: ast.expr, resolver: Resolver, flags: set[str]) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Name) and node.id in flags:
            return True
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            pair = (node.left, node.comparators[0])
            if any(
                _is_now(a, resolver) and _is_fixed_time(b, resolver) for a, b in (pair, pair[::-1])
            ):
                return True
    return False


def _destruction(block: list[ast.stmt], resolver: Resolver) -> tuple[int, str] | None:
    for stmt in block:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                what = _destroys(node, resolver)
                if what is not None:
                    return node.lineno, what
    return None


def _destroys(call: ast.Call, resolver: Resolver) -> str | None:
    qual = resolver.qualname(call.func) or ""
    if qual in DELETION:
        return qual
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("unlink", "rmdir", "execute"):
        if func.attr != "execute":
            return f"Path.{func.attr}"
        text = resolver.string(call.args[0]) if call.args else None
        return "destructive SQL" if text and _DESTRUCTIVE_SQL.search(text) else None
    if qual in PROCESS_CALLS or qual in SHELL_SINKS:
        words = [resolver.string(n) for n in ast.walk(call) if isinstance(n, ast.expr)]
        if any(w is not None and (_RM.search(w) or w == "rm") for w in words):
            return f"{qual} running rm"
    return None


def _flags(scope: Scope, resolver: Resolver) -> set[str]:
    """Local names holding a date comparison (`expired = date.today() > date(2027, 1, 1)`)."""
    names: set[str] = set()
    for node in scope.nodes:
        if isinstance(node, ast.Assign) and _is_date_check(node.value, resolver, names):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def hits(tree: ast.Module, resolver: Resolver) -> Iterator[Hit]:
    for scope in scopes(tree):
        flags = _flags(scope, resolver)
        for node in scope.nodes:
            if not isinstance(node, ast.If | ast.While) or not _is_date_check(
                node.test, resolver, flags
            ):
                continue
            found = _destruction(node.body, resolver) or _destruction(node.orelse, resolver)
            if found is None:
                continue
            line, what = found
            yield Hit(
                "time-bomb",
                line,
                scope.name,
                f"{what} runs only after a fixed date (condition on line {node.lineno}: "
                f"`{ast.unparse(node.test)[:80]}`): it passes every test until the day it fires",
            )
