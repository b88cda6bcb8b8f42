"""Import contracts: where they come from, how import-linter checks them, what a broken one says.

The contracts are import-linter's own classes, fed options from `[architecture] contracts` or from
the repository's `.importlinter` / `setup.cfg` / `[tool.importlinter]`; the violations they report
are flattened into chains of links so the check can tell which of them the change introduced.

The repository's files are the user's input, read before import-linter sees them: a table that is
not one, an option that is neither text nor a list of text, or a `%` in an INI value (read as
written, not interpolated, as import-linter's own documentation shows them) is one line naming
the file and the key, never a traceback out of `task lint`, the prompt or the gate.
"""

from __future__ import annotations

import configparser
import copy
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grimp
from importlinter.adapters.user_options import IniFileUserOptionReader
from importlinter.configuration import configure
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract, InvalidContractOptions

from crewchief.errors import UserError
from crewchief.spec.policy import CONTRACT_TYPES, Policy
from crewchief.textsafe import visible

CLASSES: Mapping[str, type[Contract]] = {
    "forbidden": ForbiddenContract,
    "layers": LayersContract,
    "independence": IndependenceContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}

configure()  # import-linter's contracts time themselves through its settings

Link = tuple[str, str, int | None]
"""importer, imported, first line of the import (None when the graph has no detail)."""


@dataclass(frozen=True)
class ContractSpec:
    """One contract as written: its name, its type and import-linter's options for it."""

    name: str
    type: str
    options: Mapping[str, Any]


@dataclass(frozen=True)
class Contracts:
    """The contracts in force and the root packages of the graph they are checked on."""

    specs: tuple[ContractSpec, ...]
    roots: tuple[str, ...]
    source: str
    """Where they were read: `crewchief.toml`, `.importlinter`, `setup.cfg` or `pyproject.toml`."""


@dataclass(frozen=True)
class Violation:
    """One chain of imports that breaks a contract."""

    contract: ContractSpec
    chain: tuple[Link, ...]

    @property
    def modules(self) -> tuple[str, ...]:
        return (self.chain[0][0], *(link[1] for link in self.chain))


def _roots_named(specs: Sequence[ContractSpec]) -> tuple[str, ...]:
    """The top-level packages a contract's module expressions start with."""
    roots: list[str] = []
    keys = ("source_modules", "forbidden_modules", "modules", "containers", "ancestors", "layers")
    for spec in specs:
        for key in keys:
            value = spec.options.get(key, [])
            for item in [value] if isinstance(value, str) else value:
                for part in str(item).replace("|", " ").replace(":", " ").split():
                    root = part.strip("()").split(".")[0]
                    if root.isidentifier() and root not in roots:
                        roots.append(root)
    return tuple(roots)


_KINDS = {str: "text", bool: "a boolean", int: "an integer", float: "a number", list: "an array",
          dict: "a table"}  # fmt: skip


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "a date or time")


def _checked_options(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """`options` when each is what import-linter reads (text, a boolean, a list of text)."""
    for key, value in options.items():
        if isinstance(value, (str, bool)):
            continue
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            continue
        shown = visible(str(key), 80)
        raise UserError(f"{where} {shown}: expected text or a list of text, not {_kind(value)}")
    return dict(options)


def _from_options(session: Mapping[str, Any], contracts: object, source: str) -> Contracts:
    table = "[tool.importlinter]" if source == "pyproject.toml" else "[importlinter]"
    session = _checked_options(session, f"{source}: {table}")
    if not isinstance(contracts, list):
        raise UserError(
            f"{source}: {table} contracts: expected an array of tables, not {_kind(contracts)}"
        )
    specs = []
    for index, raw in enumerate(contracts):
        if not isinstance(raw, dict):
            raise UserError(f"{source}: contract {index + 1}: expected a table, not {_kind(raw)}")
        label = visible(str(raw.get("name") or raw.get("id") or "?"), 80)
        where = f"{source}: contract {index + 1} ('{label}')"
        options = _checked_options(
            {k: v for k, v in raw.items() if k not in ("name", "type", "id")}, where
        )
        kind = str(raw.get("type", ""))
        if kind not in CONTRACT_TYPES:
            known = ", ".join(CONTRACT_TYPES)
            shown = visible(kind, 80)
            raise UserError(f"{source}: contract {index + 1} has type '{shown}'; known: {known}")
        specs.append(ContractSpec(str(raw.get("name") or raw.get("id") or kind), kind, options))
    roots = session.get("root_packages") or session.get("root_package") or []
    if isinstance(roots, bool):
        raise UserError(f"{source}: {table} root_packages: expected text or a list of text")
    named: tuple[str, ...] = (roots,) if isinstance(roots, str) else tuple(roots)
    return Contracts(tuple(specs), named or _roots_named(specs), source)


def from_config(files: Mapping[str, bytes | None]) -> Contracts | None:
    """The repository's own import-linter configuration, in import-linter's order of search
    (`files` maps the names in `CONFIG_FILES` to their bytes, None or absent when missing)."""
    for name in ("setup.cfg", ".importlinter"):
        data = files.get(name)
        if data is None:
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(data.decode("utf-8", "replace"))
            if "importlinter" not in parser.sections():
                continue
            options = IniFileUserOptionReader._build_from_config(IniFileUserOptionReader(), parser)
        except configparser.Error as exc:
            raise UserError(f"{name}: not a valid INI file: {str(exc).splitlines()[0]}") from exc
        return _from_options(options.session_options, options.contracts_options, name)
    data = files.get("pyproject.toml")
    if data is not None:
        try:
            tool = tomllib.loads(data.decode("utf-8", "replace")).get("tool", {})
        except tomllib.TOMLDecodeError:
            return None  # the policy loader reports a broken pyproject.toml
        found = tool.get("importlinter") if isinstance(tool, dict) else None
        if found is not None and not isinstance(found, dict):
            raise UserError(
                f"pyproject.toml: tool.importlinter: expected a table, not {_kind(found)}"
            )
        if found:
            session = dict(found)
            contracts = session.pop("contracts", [])
            return _from_options(session, contracts, "pyproject.toml")
    return None


CONFIG_FILES = ("setup.cfg", ".importlinter", "pyproject.toml")
"""Files `from_config` reads."""


def in_force(policy: Policy, files: Mapping[str, bytes | None]) -> Contracts | None:
    """The policy's contracts, else the repository's import-linter configuration, else None: the
    one reader of the contracts in force, for the check and for what tells the agent and the lead
    about them (the prompt, `task lint`)."""
    arch = policy.architecture
    if arch.contracts:
        specs = tuple(ContractSpec(c.name, c.type, c.options()) for c in arch.contracts)
        roots = tuple(arch.packages) or _roots_named(specs)
        return Contracts(specs, roots, "crewchief.toml")
    found = from_config(files)
    if found is not None and arch.packages:
        return Contracts(found.specs, tuple(arch.packages), found.source)
    return found


def build(spec: ContractSpec, roots: Sequence[str]) -> Contract:
    """import-linter's contract object; bad options are a one-line input error."""
    # import-linter's own TOML reader turns booleans into text before its fields parse them.
    given = {k: str(v) if isinstance(v, bool) else v for k, v in spec.options.items()}
    options = {"unmatched_ignore_imports_alerting": "none", **given}
    session = {"root_packages": list(roots), "include_external_packages": "True"}
    try:
        return CLASSES[spec.type](spec.name, session, options)
    except InvalidContractOptions as exc:
        problems = "; ".join(f"{k}: {v}" for k, v in sorted(exc.errors.items()))
        raise UserError(f"contract '{spec.name}' ({spec.type}) is malformed: {problems}") from exc


def check(contract: Contract, spec: ContractSpec, graph: grimp.ImportGraph) -> list[Violation]:
    """The chains that break `contract` on `graph` (each chain once)."""
    try:
        result = contract.check(copy.deepcopy(graph), verbose=False)
    except (ValueError, grimp.exceptions.GrimpException) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(
            f"contract '{spec.name}' ({spec.type}) cannot be checked: {message}"
        ) from exc
    if result.kept:
        return []
    chains = list(dict.fromkeys(_chains(spec.type, result.metadata)))
    return [Violation(spec, chain) for chain in chains]


def _links(raw: Sequence[Mapping[str, Any]]) -> tuple[Link, ...]:
    return tuple(
        (str(r["importer"]), str(r["imported"]), min(r["line_numbers"], default=None)) for r in raw
    )


def _route_chains(route: Mapping[str, Any]) -> list[tuple[Link, ...]]:
    """A route's main chain, plus one chain per extra first or last link it collapses."""
    main = _links(route["chain"])
    found = [main]
    for extra in _links(route.get("extra_firsts", [])):
        found.append((extra, *main[1:]))
    for extra in _links(route.get("extra_lasts", [])):
        found.append((*main[:-1], extra))
    return found


def _chains(kind: str, metadata: Mapping[str, Any]) -> list[tuple[Link, ...]]:
    if kind == "forbidden":
        return [_links(c) for data in metadata["invalid_chains"] for c in data["chains"]]
    if kind == "layers":
        return [
            chain
            for data in metadata["invalid_dependencies"]
            for route in data["routes"]
            for chain in _route_chains(route)
        ]
    if kind == "independence":
        return [
            chain
            for data in metadata["invalid_chains"]
            for route in data["chains"]
            for chain in _route_chains(route)
        ]
    breakers = metadata.get("cycle_breakers_by_package", {})
    return [
        ((str(_end(i, "importer", 0)), str(_end(i, "imported", 1)), None),)
        for package in sorted(breakers)
        for i in sorted(breakers[package], key=str)
    ]


def _end(item: Any, name: str, index: int) -> Any:
    """One end of a cycle breaker, which import-linter gives as an object or an (a, b) pair."""
    return item[index] if isinstance(item, tuple) else getattr(item, name)
