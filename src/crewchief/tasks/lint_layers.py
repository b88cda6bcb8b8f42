"""`task lint`'s architecture rule: a task whose scope spans modules a contract keeps apart.

An agent given files on both sides of a boundary is the agent most likely to cross it (the
quickest fix in the web layer is an import from the database layer). The lead sees it when the
task is written, not when the gate blocks the change: either split the task, or say in the
objective how the parts are meant to talk.

The contracts are the ones in force, through the architecture check's own reader: the policy's,
else the repository's `.importlinter` / `setup.cfg` / `[tool.importlinter]`. They are read from
the work tree, as `task lint` reads the policy: the lead lints a task while writing it, before
either is committed, and the run's base will hold what the lead commits.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from crewchief.errors import UserError
from crewchief.gate.checks.architecture import packages
from crewchief.gate.checks.architecture.contracts import (
    CONFIG_FILES,
    Contracts,
    ContractSpec,
    in_force,
)
from crewchief.spec.globs import match_glob
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task

Warn = Callable[[str, str], None]
"""(message, suggestion) of one warning."""


def _members(expression: str, modules: Mapping[str, str]) -> list[str]:
    """Files of the modules an import-linter module expression names (a package and below)."""
    expression = expression.strip().strip("()")  # import-linter marks optional layers (x)
    return [
        path
        for module, path in modules.items()
        if fnmatch.fnmatchcase(module, expression) or module.startswith(expression + ".")
    ]


def _touched(groups: Iterable[str], modules: Mapping[str, str], scope: list[str]) -> list[str]:
    """The module expressions among `groups` that the scope reaches a file of."""
    return [
        group
        for group in groups
        if any(match_glob(path, glob) for path in _members(group, modules) for glob in scope)
    ]


def _as_list(value: object) -> list[str]:
    return (
        [value]
        if isinstance(value, str)
        else [str(v) for v in value]
        if isinstance(value, list)
        else []
    )


def _layer_members(layer: str, containers: list[str]) -> list[str]:
    """The module expressions of one layer (`a | b`, `a : b`), inside each container if any."""
    names = [n.strip() for n in layer.replace(":", "|").split("|") if n.strip()]
    if not containers:
        return names
    return [f"{c.strip()}.{n.strip('()')}" for c in containers for n in names]


def _spans(contract: ContractSpec, modules: Mapping[str, str], scope: list[str]) -> str | None:
    """What the scope spans that `contract` keeps apart, in words, or None."""
    options = contract.options
    if contract.type == "forbidden":
        sources = _touched(_as_list(options.get("source_modules")), modules, scope)
        banned = _touched(_as_list(options.get("forbidden_modules")), modules, scope)
        if sources and banned:
            return f"{', '.join(sources)} and {', '.join(banned)}, which must not import it"
    elif contract.type == "independence":
        hit = _touched(_as_list(options.get("modules")), modules, scope)
        if len(hit) > 1:
            return f"{', '.join(hit)}, which must stay independent"
    elif contract.type == "layers":
        layers = _as_list(options.get("layers"))
        containers = _as_list(options.get("containers"))
        hit = [
            layer for layer in layers if _touched(_layer_members(layer, containers), modules, scope)
        ]
        if len(hit) > 1:
            return f"the layers {' above '.join(hit)}, which may import only downwards"
    return None


def contracts_in_worktree(root: Path, policy: Policy) -> Contracts | None:
    """The contracts in force as the work tree stands."""
    files = {name: (root / name).read_bytes() for name in CONFIG_FILES if (root / name).is_file()}
    return in_force(policy, files)


def architecture_warnings(
    task: Task, root: Path, tracked: list[str], policy: Policy, warn: Warn
) -> None:
    if not task.scope:
        return
    try:
        found = contracts_in_worktree(root, policy)
    except UserError as exc:
        warn(
            f"the import contracts cannot be read, so the scope was not checked against them: {exc}",
            "fix the contracts; the architecture check cannot use them either",
        )
        return
    if found is None:
        return
    roots = list(found.roots) or packages.top_level_packages(tracked)
    modules = packages.modules(tracked, packages.package_dirs(tracked, roots))
    for contract in found.specs:
        spans = _spans(contract, modules, list(task.scope))
        if spans is not None:
            warn(
                f"scope spans {spans} (contract '{contract.name}')",
                "split the task along the boundary, or say in the objective how the parts "
                "talk without crossing it",
            )
