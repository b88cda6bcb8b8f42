"""Debug leftovers in library code: prints, breakpoints, debugger imports, and calls that run at
import time (process configuration at import is `process_config`'s). Only added lines count, and a
module that already printed at base is taken to print on purpose (a CLI helper, a report writer),
so its new prints stay quiet. Calls are resolved through the module's imports, so a `set_trace()`
imported from pdb is the breakpoint it is, whatever it is called locally."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from crewchief.gate.analysis.pysource import parse as parse_python
from crewchief.gate.analysis.pysource import walk_lines
from crewchief.gate.change import FileChange, Side
from crewchief.gate.checks.hygiene.process_config import (
    import_aliases,
    process_config_findings,
    resolve,
)
from crewchief.gate.checks.hygiene.rules import added_line_finding
from crewchief.gate.findings import Finding

_PRINTS = frozenset({"print", "pprint", "pp"})
_DEBUGGERS = frozenset({"pdb", "ipdb", "pudb", "pdbpp", "debugpy"})
_BREAKPOINTS = frozenset({"set_trace", "run", "runcall", "runeval", "runctx", "breakpoint"})
"""Names in a debugger module that stop the program (`debugpy.breakpoint`, `pdb.runcall`)."""
_REPRO_PREFIXES = ("test", "repro", "debug", "main", "demo", "check", "try", "run")


def parse(side: Side | None) -> ast.Module | None:
    if side is None or side.text is None:
        return None
    try:
        return parse_python(side.text)
    except (SyntaxError, ValueError):
        return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{owner}.{func.attr}" if owner else func.attr
    return ""


def _main_guard_lines(tree: ast.Module) -> set[int]:
    """Lines inside `if __name__ == "__main__":`, where printing and calling are the point."""
    lines: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            end = node.end_lineno or node.lineno
            lines.update(range(node.lineno, end + 1))
    return lines


def _printed(tree: ast.Module | None) -> bool:
    """Whether the module printed before the change (then a print is how it talks, not debris)."""
    if tree is None:
        return False
    return any(
        isinstance(node, ast.Call) and _call_name(node).rsplit(".", 1)[-1] in _PRINTS
        for node in ast.walk(tree)
    )


def _is_breakpoint(name: str, resolved: str) -> bool:
    """`breakpoint()`, `pdb.set_trace()`, or a name imported from a debugger module and called bare
    (`from pdb import set_trace`, `from ipdb import set_trace as st`, `import pdb as p`): the name
    as written says nothing once imported, so its import says what it is."""
    if name == "breakpoint" or name.endswith(".set_trace") or name == "pdb.run":
        return True
    module, _, attr = resolved.rpartition(".")
    return module.split(".")[0] in _DEBUGGERS and attr in _BREAKPOINTS


def _call_findings(
    file: FileChange, tree: ast.Module, base: ast.Module | None, aliases: dict[str, str]
) -> Iterator[Finding]:
    assert file.new is not None
    added = file.added_line_numbers
    guarded = _main_guard_lines(tree)
    printed: bool | None = None  # looked up once, and only when the change adds a print
    for node in walk_lines(tree, added):
        if not isinstance(node, ast.Call) or node.lineno not in added or node.lineno in guarded:
            continue
        name = _call_name(node)
        resolved = resolve(node.func, aliases)
        if _is_breakpoint(name, resolved):
            alias = f" (`{resolved}`)" if resolved not in (name, "") else ""
            rule, message = "debugger", f"adds a debugger breakpoint `{name}()`{alias}"
        elif name.rsplit(".", 1)[-1] in _PRINTS and not (
            printed := _printed(base) if printed is None else printed
        ):
            rule, message = "debug-print", f"adds `{name}(...)` to a library module"
        else:
            continue
        yield added_line_finding(rule, file, node.lineno, message)


def _import_findings(file: FileChange, tree: ast.Module) -> Iterator[Finding]:
    assert file.new is not None
    for node in walk_lines(tree, file.added_line_numbers):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno not in (
            file.added_line_numbers
        ):
            continue
        modules = (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        )
        for module in modules:
            if module.split(".")[0] in _DEBUGGERS:
                yield added_line_finding(
                    "debugger-import",
                    file,
                    node.lineno,
                    f"imports the debugger module `{module}` in library code",
                )


def _import_time_findings(file: FileChange, tree: ast.Module) -> Iterator[Finding]:
    """Module-level calls of the module's own functions (or of obvious reproduction helpers)."""
    assert file.new is not None
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for node in tree.body:
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        if node.lineno not in file.added_line_numbers:
            continue
        name = _call_name(node.value)
        if name.rsplit(".", 1)[-1] in _PRINTS:
            continue  # reported as a debug print
        if name in defined or (name.startswith(_REPRO_PREFIXES) and "." not in name):
            yield added_line_finding(
                "import-time-call",
                file,
                node.lineno,
                f"calls `{name}()` at module level: it runs every time the module is imported",
            )


def leftover_findings(file: FileChange) -> list[Finding]:
    """Findings for one changed library module."""
    tree = parse(file.new)
    if tree is None:
        return []
    base = parse(file.old)
    aliases = import_aliases(tree)
    return [
        *_call_findings(file, tree, base, aliases),
        *_import_findings(file, tree),
        *_import_time_findings(file, tree),
        *process_config_findings(file, tree, base, aliases),
    ]
