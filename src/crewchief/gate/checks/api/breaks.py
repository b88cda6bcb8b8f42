"""griffe's breakage detection on one module's base and head source.

Each module the change touches is read by griffe from its source text (`griffe.visit`: nothing is
imported or written to disk) at base and at head, and `griffe.find_breaking_changes` compares the
two. What it finds is turned into plain records (object, kind, old and new signature, lines), which
is what the check caches by blob ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import griffe

from crewchief.gate.analysis import astlock


class Break(TypedDict):
    kind: str
    """griffe's `BreakageKind` name, such as `PARAMETER_REMOVED`."""
    object: str
    """The dotted path of the object the break is on."""
    detail: str
    """griffe's own words for it (`Parameter was removed`), with the parameter when there is one."""
    old: str
    new: str
    base_line: int | None
    line: int | None
    """Where the object is at head, when it still exists."""


def _line(obj: Any) -> int | None:
    if obj is None:
        return None
    value = obj.alias_lineno if obj.is_alias else obj.lineno
    return int(value) if value is not None else None


def _param(p: Any) -> str:
    star = {"var positional": "*", "var keyword": "**"}.get(str(p.kind.value), "")
    text = f"{star}{p.name}"
    if p.annotation is not None:
        text += f": {p.annotation}"
    if p.default is not None:
        text += f" = {p.default}"
    return text


def signature(obj: Any) -> str:
    """A one-line rendering of an object's interface, as a reader would write it."""
    if obj is None:
        return "(absent)"
    if obj.is_alias:
        return f"{obj.name} (imported from {obj.target_path})"
    if obj.is_function:
        params = ", ".join(_param(p) for p in obj.parameters)
        returns = f" -> {obj.returns}" if obj.returns is not None else ""
        return f"def {obj.name}({params}){returns}"
    if obj.is_class:
        bases = ", ".join(str(b) for b in obj.bases)
        return f"class {obj.name}({bases})" if bases else f"class {obj.name}"
    if obj.is_attribute:
        annotation = f": {obj.annotation}" if obj.annotation is not None else ""
        value = f" = {obj.value}" if obj.value is not None else ""
        return f"{obj.name}{annotation}{value}"
    return f"module {obj.path}"


def _lookup(module: griffe.Module, path: str) -> Any:
    """The object at dotted `path` inside `module` (not following imports), or None."""
    if path == module.path:
        return module
    obj: Any = module
    for part in path[len(module.path) + 1 :].split("."):
        members = obj.members if not obj.is_alias else {}
        if part not in members:
            return None
        obj = members[part]
    return obj


def _describe(breakage: Any) -> str:
    words = str(breakage.kind.value)
    for value in (breakage.old_value, breakage.new_value):
        if isinstance(value, griffe.Parameter):
            return f"{words}: {value.name}"
    return words


def load(module: str, path: str, text: str) -> griffe.Module | None:
    """griffe's model of one module's source, or None when it does not parse."""
    try:
        with astlock.parsing():
            return griffe.visit(module, filepath=Path(path), code=text)
    except SyntaxError:
        return None


def find(old: griffe.Module, new: griffe.Module) -> Iterator[Break]:
    """The breaking changes from `old` to `new`, as plain records."""
    for breakage in griffe.find_breaking_changes(old, new):
        # griffe hands the old object for some kinds and the new one for others (a parameter
        # break): both sides are looked up by path so "before" is always the base's signature.
        target = breakage.obj.path
        before, after = _lookup(old, target), _lookup(new, target)
        detail = _describe(breakage)
        if after is None and before is not None:
            detail += _renamed_to(before, new)
        yield Break(
            kind=breakage.kind.name,
            object=target,
            detail=detail,
            old=signature(before if before is not None else breakage.obj),
            new=signature(after),
            base_line=_line(before if before is not None else breakage.obj),
            line=_line(after),
        )


def _renamed_to(before: Any, new: griffe.Module) -> str:
    """A hint when the head has a new object that reads like the removed one under another name:
    a reviewer's first question about a removal is whether it is a rename."""
    if before.is_alias or not (before.is_function or before.is_class):
        return ""
    parent = _lookup(new, before.parent.path) if before.parent is not None else None
    if parent is None or parent.is_alias:
        return ""
    shape = signature(before).split("(", 1)[-1]
    for name, member in parent.members.items():
        if name == before.name or member.is_alias or name.startswith("_"):
            continue
        if member.kind == before.kind and signature(member).split("(", 1)[-1] == shape:
            return f" (renamed to {name}?)"
    return ""


def removed_module(old: griffe.Module) -> Break:
    """A public module the head no longer has."""
    return Break(
        kind="OBJECT_REMOVED",
        object=old.path,
        detail="Public module was removed",
        old=f"module {old.path}",
        new="(absent)",
        base_line=None,
        line=None,
    )


def _reexports(public: griffe.Module, private: str) -> dict[str, str]:
    """Public names of `public` that are imports from the module `private`: name -> its name there."""
    found: dict[str, str] = {}
    exported = public.exports
    for name, member in public.members.items():
        if not member.is_alias or name.startswith("_"):
            continue
        if exported is not None and name not in exported:
            continue
        target = str(getattr(member, "target_path", ""))
        rest = target[len(private) + 1 :] if target.startswith(private + ".") else ""
        if rest and "." not in rest:
            found[name] = rest
    return found


def through(public: griffe.Module, old: griffe.Module, new: griffe.Module) -> Iterator[Break]:
    """Breaks in what a public module re-exports from a private one (`from ._core import run`):
    the private module is not public API, but the names its public parent hands out are, so its
    breaks on those names are reported under the public name."""
    names = {target: name for name, target in _reexports(public, old.path).items()}
    for found in find(old, new):
        rest = found["object"][len(old.path) + 1 :]
        head, _, tail = rest.partition(".")
        if head in names:
            found["object"] = f"{public.path}.{names[head]}" + (f".{tail}" if tail else "")
            found["detail"] += f" (re-exported from {old.path})"
            yield found
