"""The `api` check's rules: one per kind of break griffe detects."""

from __future__ import annotations

from crewchief.gate.findings import Rule, RuleTable, Severity

NAME = "api"

_CALLERS = "callers outside the change break"
_REMEDY = (
    "keep the old interface (a deprecated alias, a keyword with the old default), or have the "
    "lead authorise the break with `api_change: allowed` in the task"
)

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "public-object-removed",
        Severity.HIGH,
        f"a public module, function, class, method or attribute removed or renamed: {_CALLERS}",
        _REMEDY,
    ),
    Rule(NAME, "parameter-removed", Severity.HIGH, f"a parameter removed: {_CALLERS}", _REMEDY),
    Rule(
        NAME,
        "parameter-moved",
        Severity.HIGH,
        f"a positional parameter moved: {_CALLERS} that pass it by position",
        _REMEDY,
    ),
    Rule(
        NAME,
        "parameter-now-required",
        Severity.HIGH,
        f"a required parameter added, or an optional one made required: {_CALLERS}",
        _REMEDY,
    ),
    Rule(
        NAME,
        "parameter-kind-changed",
        Severity.MEDIUM,
        "a parameter's kind changed (positional, keyword, variadic): some calls stop working",
        _REMEDY,
    ),
    Rule(
        NAME,
        "default-changed",
        Severity.MEDIUM,
        "a parameter's default value changed: callers that rely on it behave differently",
        _REMEDY,
    ),
    Rule(
        NAME,
        "type-changed",
        Severity.MEDIUM,
        "a public attribute's type or a function's return type changed",
        _REMEDY,
    ),
    Rule(
        NAME,
        "kind-changed",
        Severity.HIGH,
        "a public object changed kind (a function became a class, an attribute a method)",
        _REMEDY,
    ),
    Rule(
        NAME,
        "base-class-removed",
        Severity.MEDIUM,
        "a public class lost a base class: isinstance checks and inherited members change",
        _REMEDY,
    ),
    Rule(
        NAME,
        "value-changed",
        Severity.LOW,
        "a public attribute's value changed",
        _REMEDY,
    ),
)

RULE_BY_KIND = {
    "OBJECT_REMOVED": "public-object-removed",
    "PARAMETER_REMOVED": "parameter-removed",
    "PARAMETER_MOVED": "parameter-moved",
    "PARAMETER_ADDED_REQUIRED": "parameter-now-required",
    "PARAMETER_CHANGED_REQUIRED": "parameter-now-required",
    "PARAMETER_CHANGED_KIND": "parameter-kind-changed",
    "PARAMETER_CHANGED_DEFAULT": "default-changed",
    "RETURN_CHANGED_TYPE": "type-changed",
    "ATTRIBUTE_CHANGED_TYPE": "type-changed",
    "OBJECT_CHANGED_KIND": "kind-changed",
    "CLASS_REMOVED_BASE": "base-class-removed",
    "ATTRIBUTE_CHANGED_VALUE": "value-changed",
}
"""The rule for each of griffe's `BreakageKind`s."""
