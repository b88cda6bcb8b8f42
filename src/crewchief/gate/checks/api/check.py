"""The `api` check: breaking changes to the public API of the repository's packages.

griffe compares each module the change touches at base and at head (see `breaks`); public means
what griffe calls public (in `__all__` when the module has one, else no leading underscore) in a
module whose dotted path has no private part. A break is `review` by default; `[api] breaking =
"block"` makes it block unless the task (read from the base, written by a lead) says
`api_change: allowed`, in which case the break is the objective and is not reported.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext, CheckSkipped
from crewchief.gate.checks.api import breaks, interface
from crewchief.gate.checks.api.rules import NAME, RULE_BY_KIND, RULES
from crewchief.gate.checks.architecture import packages
from crewchief.gate.findings import Finding, RuleTable, fingerprint
from crewchief.gate.trees import base_files, head_files, read_side

VERSION = "5"


def is_public_module(module: str) -> bool:
    return not any(part.startswith("_") for part in module.split("."))


def guarded_packages(ctx: CheckContext) -> dict[str, str]:
    """The packages whose API is guarded, by name, with their directory at base."""
    base = base_files(ctx.change)
    if base is None:
        raise CheckSkipped("the change was read without its base tree")
    names = list(ctx.policy.api.packages) or packages.top_level_packages(base.blobs)
    dirs = packages.package_dirs(base.blobs, names)
    if not dirs:
        raise CheckSkipped(
            "no Python package at the repository root or under src/ ([api] packages)"
        )
    return dirs


def _sides(
    change: Change, dirs: Mapping[str, str], *, public: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Module name to the base and head `Side` of every public (or every private) module file the
    change touches."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for file in change.files:
        for side, into in ((file.old, old), (file.new, new)):
            if side is None or side.text is None:
                continue
            module = packages.module_of(side.path, dirs)
            if module is not None and is_public_module(module) == public:
                into[module] = side
    return old, new


def module_breaks(ctx: CheckContext, dirs: Mapping[str, str]) -> Iterator[tuple[str, breaks.Break]]:
    """(head path, break) for every break in the modules the change touches."""
    old, new = _sides(ctx.change, dirs, public=True)
    head = head_files(ctx.change)
    head_modules = packages.modules(head.blobs, dirs) if head is not None else {}
    for module, before in sorted(old.items()):
        after = new.get(module)
        if after is None and module in head_modules:
            continue  # unchanged at head under another file name (a.py became a/__init__.py)

        def compute(module: str = module, before: Any = before, after: Any = after) -> list[Any]:
            if after is not None and not _may_break(ctx.change, before, after):
                return []
            old_model = breaks.load(module, before.path, before.text)
            if old_model is None:
                return []
            if after is None:
                return [breaks.removed_module(old_model)]
            new_model = breaks.load(module, after.path, after.text)
            return [] if new_model is None else list(breaks.find(old_model, new_model))

        key = ["api-breaks", VERSION, module, before.blob, after.blob if after else "-"]
        path = after.path if after is not None else before.path
        for found in ctx.memo(key, compute):
            yield path, found
    yield from reexport_breaks(ctx, dirs)


def _may_break(change: Change, before: Any, after: Any) -> bool:
    """Whether the edit from `before` to `after` can touch the interface (`interface.may_break`)."""
    for file in change.files:
        if file.old is before and file.new is after:
            old_text, new_text = file.old.text, file.new.text
            if old_text is None or new_text is None:
                return True
            removed = {n for n, _ in file.removed_lines}
            added = {n for n, _ in file.added_lines}
            return interface.may_break(old_text, new_text, removed, added)
    return True


def _public_parents(module: str, known: Mapping[str, str]) -> list[str]:
    """The public packages above a private module, nearest first: where it is re-exported."""
    parts = module.split(".")
    parents = [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
    return [p for p in parents if is_public_module(p) and p in known]


def reexport_breaks(
    ctx: CheckContext, dirs: Mapping[str, str]
) -> Iterator[tuple[str, breaks.Break]]:
    """Breaks in names a public package re-exports from a private module the change edits."""
    old, new = _sides(ctx.change, dirs, public=False)
    base = base_files(ctx.change)
    if base is None:
        return
    base_modules = packages.modules(base.blobs, dirs)
    for module, before in sorted(old.items()):
        after = new.get(module)
        if after is None:
            continue
        for parent in _public_parents(module, base_modules):
            path = base_modules[parent]
            blob = base.blobs[path]

            def compute(
                module: str = module, before: Any = before, after: Any = after, parent: str = parent
            ) -> list[Any]:
                if not _may_break(ctx.change, before, after):
                    return []
                text = read_side(ctx.change, base, [base_modules[parent]])
                data = text.get(base_modules[parent])
                public = (
                    breaks.load(parent, base_modules[parent], data.decode("utf-8", "replace"))
                    if data
                    else None
                )
                old_model = breaks.load(module, before.path, before.text)
                new_model = breaks.load(module, after.path, after.text)
                if public is None or old_model is None or new_model is None:
                    return []
                return list(breaks.through(public, old_model, new_model))

            key = ["api-reexports", VERSION, module, parent, blob, before.blob, after.blob]
            for found in ctx.memo(key, compute):
                yield after.path, found


def _finding(ctx: CheckContext, path: str, found: breaks.Break) -> Finding:
    rule = RULES[RULE_BY_KIND.get(found["kind"], "public-object-removed")]
    where = (
        f" (base line {found['base_line']})" if found["line"] is None and found["base_line"] else ""
    )
    message = (
        f"{found['object']}: {found['detail']}{where}; before: {found['old']}; "
        f"after: {found['new']}"
    )
    return rule.finding(
        message,
        path=path,
        line=found["line"],
        blocking=ctx.policy.api.breaking == "block",
        fingerprint=fingerprint(found["kind"], found["object"], found["detail"]),
    )


def authorised(ctx: CheckContext) -> bool:
    return ctx.task is not None and ctx.task.api_change == "allowed"


class ApiCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = VERSION
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        dirs = guarded_packages(ctx)
        ignore = list(ctx.policy.api.ignore)
        found = [
            _finding(ctx, path, b)
            for path, b in module_breaks(ctx, dirs)
            if not any(fnmatch.fnmatchcase(b["object"], pattern) for pattern in ignore)
        ]
        ctx.details.append(f"public API of {', '.join(sorted(dirs))}")
        if found and authorised(ctx):
            ctx.details.append(
                f"{len(found)} breaking change(s) authorised by the task (api_change: allowed)"
            )
            return []
        return found


CHECK = ApiCheck()
