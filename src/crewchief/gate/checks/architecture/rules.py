"""The `architecture` check's rules: one per kind of import contract a change can break."""

from __future__ import annotations

from crewchief.gate.findings import Rule, RuleTable, Severity

NAME = "architecture"

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "forbidden-import",
        Severity.HIGH,
        "a new import (direct, or a chain through other modules) that a `forbidden` contract "
        "rules out",
        "import through the layer the design allows, or have the lead change the contract in a "
        "change of its own",
        blocking=True,
    ),
    Rule(
        NAME,
        "layer-violation",
        Severity.HIGH,
        "a new import that makes a lower layer of a `layers` contract depend on a higher one",
        "move the code to the layer it belongs to, or invert the dependency (pass a callback, "
        "define an interface in the lower layer)",
        blocking=True,
    ),
    Rule(
        NAME,
        "independence-broken",
        Severity.MEDIUM,
        "a new import between modules an `independence` contract keeps apart",
        "share code through a module both may import instead of importing each other",
    ),
    Rule(
        NAME,
        "import-cycle",
        Severity.MEDIUM,
        "a new import that makes sibling modules import each other in a cycle "
        "(an `acyclic_siblings` contract)",
        "break the cycle: move the shared code down, or import lazily where the design allows",
    ),
)

RULE_BY_TYPE = {
    "forbidden": "forbidden-import",
    "layers": "layer-violation",
    "independence": "independence-broken",
    "acyclic_siblings": "import-cycle",
}
"""The rule a broken contract of each type reports."""
