"""`task lint`'s architecture rule: a task whose scope spans modules a contract keeps apart.

An agent given files on both sides of a boundary is the agent most likely to cross it (the
quickest fix in the web layer is an import from the database layer). The lead sees it when the
task is written, not when the gate blocks the change: either split the task, or say in the
objective how the parts are meant to talk.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping

from crewchief.gate.checks.architecture import packages
from crewchief.spec.globs import match_glob
from crewchief.spec.policy import ContractPolicy, Policy
from crewchief.spec.task import Task

Warn = Callable[[str, str], None]
"""(message, suggestion) of one warning."""


def _members(expression: str, modules: Mapping[str, str]) -> list[str]:
    """Files of the modules an import-linter module expression names (a package and below)."""
    expression = expression.strip()
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


def _spans(contract: ContractPolicy, modules: Mapping[str, str], scope: list[str]) -> str | None:
    """What the scope spans that `contract` keeps apart, in words, or None."""
    options = contract.options()
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
        hit = [
            layer
            for layer in layers
            if _touched(layer.replace(":", "|").split("|"), modules, scope)
        ]
        if len(hit) > 1:
            return f"the layers {' above '.join(hit)}, which may import only downwards"
    return None


def architecture_warnings(task: Task, tracked: list[str], policy: Policy, warn: Warn) -> None:
    contracts = policy.architecture.contracts
    if not contracts or not task.scope:
        return
    roots = list(policy.architecture.packages) or packages.top_level_packages(tracked)
    modules = packages.modules(tracked, packages.package_dirs(tracked, roots))
    for contract in contracts:
        spans = _spans(contract, modules, list(task.scope))
        if spans is not None:
            warn(
                f"scope spans {spans} (contract '{contract.name}')",
                "split the task along the boundary, or say in the objective how the parts "
                "talk without crossing it",
            )
