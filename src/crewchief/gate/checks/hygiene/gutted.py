"""Gutted code: what is left when an agent deletes the hard part instead of fixing it.

Functions are matched between base and head by qualified name, so each finding compares a function
with its own earlier self: a body reduced to a stub, a value-returning function that stopped
returning, a variable whose only reader was deleted. A stub that was already a stub at base (an
abstract method) is not a finding."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from crewchief.gate.analysis.pyfiles import line_text
from crewchief.gate.change import FileChange
from crewchief.gate.checks.hygiene.fallthrough import fall_through_lines
from crewchief.gate.checks.hygiene.leftovers import parse
from crewchief.gate.checks.hygiene.rules import added_line_finding
from crewchief.gate.findings import Finding

Func = ast.FunctionDef | ast.AsyncFunctionDef
_MIN_COMMENT_BLOCK = 2
_CODE_HINTS = ("(", "=", "return", "import ", "raise ", "yield", "if ", "for ", "while ", "with ")


def _accessor(node: Func) -> str:
    """`.setter` / `.deleter` for a property's accessor (`@x.setter`), else nothing."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Attribute) and decorator.attr in ("setter", "deleter"):
            return f".{decorator.attr}"
    return ""


def functions(tree: ast.Module | None) -> dict[str, Func]:
    """Every function by qualified name (`Class.method`, `outer.inner`). A property's setter is
    `Class.name.setter`, and a name defined again (an `overload`, a redefinition) gets `#2`, `#3`:
    otherwise the last definition of a name would hide the getter, and a getter that lost its
    return would be compared as the setter."""
    found: dict[str, Func] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = key = prefix + node.name + _accessor(node)
                count = 1
                while key in found:
                    count += 1
                    key = f"{name}#{count}"
                found[key] = node
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    if tree is not None:
        visit(tree.body, "")
    return found


def _is_stub_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True  # a docstring or `...`
    if isinstance(node, ast.Raise) and node.exc is not None:
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(target, ast.Name) and target.id == "NotImplementedError"
    if isinstance(node, ast.Return):
        return node.value is None or (
            isinstance(node.value, ast.Constant) and node.value.value is None
        )
    return False


def is_stub(func: Func) -> bool:
    return all(_is_stub_statement(s) for s in func.body)


def _own_nodes(func: Func) -> Iterator[ast.AST]:
    """The function's nodes, not those of functions or classes nested in it."""
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                stack.append(child)


def _returns_value(func: Func) -> bool:
    return any(
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        for node in _own_nodes(func)
    )


def _is_generator(func: Func) -> bool:
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in _own_nodes(func))


def _returns(func: Func, *, value: bool) -> list[int]:
    """Lines of the function's own `return <value>` statements, or of its bare `return`s."""
    return sorted(
        node.lineno
        for node in _own_nodes(func)
        if isinstance(node, ast.Return) and (node.value is not None) is value
    )


def _lost_path(file: FileChange, old: Func, new: Func) -> tuple[int, int, str] | None:
    """(head line, base line, what happened) when one path of `new` returns None where every path
    of `old` returned a value or raised; None when base could fall through itself."""
    if _is_generator(old) or _is_generator(new):
        return None  # a generator's `return value` ends the iteration; falling off does too
    if fall_through_lines(old):
        return None  # base already returned None implicitly somewhere: not this change's doing
    added, removed = file.added_line_numbers, {n for n, _ in file.removed_lines}
    valued = _returns(old, value=True)
    base_line = next((n for n in valued if n in removed), valued[-1])
    bare = [n for n in _returns(new, value=False) if n in added]
    if bare and not _returns(old, value=False):
        return bare[0], base_line, "a `return <value>` became a bare `return`"
    falls = fall_through_lines(new)
    if not falls:
        return None
    head_line = next((n for n in falls if n in added), falls[0])
    return head_line, base_line, "a path now runs off the end of the function"


def _names(func: Func, ctx: type[ast.expr_context]) -> dict[str, list[int]]:
    """Lines where each name is stored or read; `x += 1` reads `x` as well as storing it."""
    found: dict[str, list[int]] = {}
    for node in _own_nodes(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ctx):
            found.setdefault(node.id, []).append(node.lineno)
        elif (
            ctx is ast.Load
            and isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
        ):
            found.setdefault(node.target.id, []).append(node.lineno)
    return {name: sorted(lines) for name, lines in found.items()}


def _finding(rule: str, file: FileChange, line: int, name: str, message: str) -> Finding:
    return added_line_finding(rule, file, line, message, key=name)


def _unused_vars(file: FileChange, old: Func, new: Func) -> Iterator[tuple[str, list[int], int]]:
    """(variable, head lines that store it, the deleted base line that read it)."""
    removed = {n for n, _ in file.removed_lines}
    stored, loaded = _names(new, ast.Store), _names(new, ast.Load)
    old_loads = _names(old, ast.Load)
    for var, lines in stored.items():
        if var in loaded or var.startswith("_") or var not in old_loads:
            continue
        gone = [n for n in old_loads[var] if n in removed]
        if gone:
            yield var, lines, gone[0]


def unused_store_lines(file: FileChange) -> set[int]:
    """Every head line storing a variable `unused-after-delete` reports (the finding names the
    first; ruff's F841 names the last unused assignment, so the quality check needs them all)."""
    covered: set[int] = set()
    for name, old, new in _judged(file):
        if any(f.rule == "unused-after-delete" for f in _function_findings(file, name, old, new)):
            covered.update(n for _, lines, _ in _unused_vars(file, old, new) for n in lines)
    return covered


def _unused_after_delete(file: FileChange, name: str, old: Func, new: Func) -> Iterator[Finding]:
    assert file.old is not None
    for var, lines, deleted in _unused_vars(file, old, new):
        was = line_text(file.old, deleted).strip()
        yield _finding(
            "unused-after-delete",
            file,
            lines[0],
            f"{name}:{var}",
            f"`{var}` in `{name}` is assigned but no longer read; base read it at line "
            f"{deleted} (`{was[:80]}`), which the change deleted",
        )


def _function_findings(file: FileChange, name: str, old: Func, new: Func) -> Iterator[Finding]:
    if is_stub(new) and not is_stub(old):
        yield _finding(
            "gutted-function",
            file,
            new.lineno,
            name,
            f"`{name}` had a {len(old.body)}-statement body at base and is now a stub",
        )
        return
    if _returns_value(old) and not _returns_value(new) and not _is_generator(new):
        yield _finding(
            "removed-return",
            file,
            new.lineno,
            name,
            f"`{name}` returned a value at base and now always returns None",
        )
        return  # the variables it returned are unused now too: one finding for one defect
    lost = _lost_path(file, old, new) if _returns_value(old) else None
    if lost is not None:
        assert file.old is not None
        head_line, base_line, what = lost
        was = line_text(file.old, base_line).strip()
        yield _finding(
            "removed-return",
            file,
            head_line,
            name,
            f"`{name}` returns None at line {head_line}: {what}; at base every path returned a "
            f"value or raised (line {base_line}: `{was[:80]}`)",
        )
        return
    yield from _unused_after_delete(file, name, old, new)


def _judged(file: FileChange) -> Iterator[tuple[str, Func, Func]]:
    """(name, base, head) of every function that exists on both sides and the change touched."""
    old_funcs, new_funcs = functions(parse(file.old)), functions(parse(file.new))
    touched = file.added_line_numbers
    for name, new in new_funcs.items():
        old = old_funcs.get(name)
        end = new.end_lineno or new.lineno
        edited = any(n in touched for n in range(new.lineno, end + 1))
        if old is not None and (edited or _lost_lines_in(file, old)):
            yield name, old, new


def gutted_findings(file: FileChange) -> list[Finding]:
    found: list[Finding] = []
    for name, old, new in _judged(file):
        found.extend(_function_findings(file, name, old, new))
    return found


def _lost_lines_in(file: FileChange, old: Func) -> bool:
    """Whether the change removed lines inside `old` (a deletion adds no line to the function)."""
    end = old.end_lineno or old.lineno
    return any(old.lineno <= n <= end for n, _ in file.removed_lines)


def _looks_like_code(block: list[str]) -> bool:
    source = textwrap.dedent("\n".join(block))
    if not any(hint in source for hint in _CODE_HINTS):
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return any(not isinstance(s, ast.Expr) or isinstance(s.value, ast.Call) for s in tree.body)


def _comment_blocks(file: FileChange) -> Iterator[tuple[int, list[str]]]:
    block: list[str] = []
    start = previous = 0
    for number, text in file.added_lines:
        stripped = text.lstrip()
        is_comment = stripped.startswith("#") and not stripped.startswith(("#!", "# -*-"))
        if is_comment and number == previous + 1 and block:
            block.append(stripped[1:].removeprefix(" "))
        else:
            if len(block) >= _MIN_COMMENT_BLOCK:
                yield start, block
            block = [stripped[1:].removeprefix(" ")] if is_comment else []
            start = number
        previous = number
    if len(block) >= _MIN_COMMENT_BLOCK:
        yield start, block


def commented_code_findings(file: FileChange) -> list[Finding]:
    found = []
    for start, block in _comment_blocks(file):
        if _looks_like_code(block):
            found.append(
                _finding(
                    "commented-out-code",
                    file,
                    start,
                    "\n".join(block),
                    f"adds {len(block)} lines of commented-out code",
                )
            )
    return found
