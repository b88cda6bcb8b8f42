"""The `security` check's rule table, in a module of its own because both halves of the check
(`check.py` for bandit and taint, `unicode_safety.py` for hidden characters) emit its rules."""

from __future__ import annotations

from crewchief.gate.analysis import taint
from crewchief.gate.findings import Rule, RuleTable, Severity

NAME = "security"

BANDIT = "bandit"
BIDI = "bidi-control"
INVISIBLE = "invisible-character"
CONFUSABLE = "confusable-identifier"

TAINT_RULES: dict[str, tuple[str, str]] = {
    taint.COMMAND: ("taint-command-injection", "lets the input run arbitrary commands"),
    taint.CODE: ("taint-code-injection", "lets the input run arbitrary Python"),
    taint.SQL: ("taint-sql-injection", "lets the input rewrite the query"),
    taint.DESERIALIZATION: (
        "taint-unsafe-deserialization",
        "lets the input build arbitrary objects and run code",
    ),
    taint.PATH: (
        "taint-path-traversal",
        "may let the input reach files outside the intended folder",
    ),
    taint.XML: ("taint-xml-parsing", "may let the input expand entities or read local files"),
}
"""Sink kind: rule id and why the flow matters (the message's last words)."""

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        BANDIT,
        Severity.MEDIUM,
        "A bandit finding the change introduces (`bandit-<test id>`), at bandit's own severity; "
        "blocks when bandit is highly confident of a high-severity problem, except for tests "
        "that only name a weak algorithm or an old protocol.",
        "Fix the call bandit points at; `# nosec` is ignored, so a real false positive needs "
        "[security] ignore in the policy.",
        cwe="CWE-710",
        family=True,
    ),
    Rule(
        NAME,
        "taint-command-injection",
        Severity.HIGH,
        "Untrusted input (request data, input(), argv, environment) reaches a shell or process "
        "command.",
        "Pass an argument list without a shell, and check the value against what is allowed.",
        blocking=True,
        cwe="CWE-78",
    ),
    Rule(
        NAME,
        "taint-code-injection",
        Severity.HIGH,
        "Untrusted input reaches eval, exec or compile.",
        "Never evaluate input; parse it (ast.literal_eval, json) or map it to known actions.",
        blocking=True,
        cwe="CWE-94",
    ),
    Rule(
        NAME,
        "taint-sql-injection",
        Severity.HIGH,
        "Untrusted input is formatted into SQL text.",
        "Use query parameters (placeholders) instead of building the SQL string.",
        blocking=True,
        cwe="CWE-89",
    ),
    Rule(
        NAME,
        "taint-unsafe-deserialization",
        Severity.HIGH,
        "Untrusted input reaches pickle, marshal, yaml.load or another deserialiser that runs code.",
        "Use a data-only format (json, yaml.safe_load) for anything that crosses a trust boundary.",
        blocking=True,
        cwe="CWE-502",
    ),
    Rule(
        NAME,
        "taint-path-traversal",
        Severity.HIGH,
        "Untrusted input reaches a file path; blocks when the input comes from a web request.",
        "Resolve the path and check it stays inside the intended folder before opening it.",
        cwe="CWE-22",
    ),
    Rule(
        NAME,
        "taint-xml-parsing",
        Severity.HIGH,
        "Untrusted input reaches an XML parser; blocks when the input comes from a web request.",
        "Parse untrusted XML with defusedxml, or disable entity expansion and external access.",
        cwe="CWE-611",
    ),
    Rule(
        NAME,
        BIDI,
        Severity.CRITICAL,
        "Adds a bidirectional control character: the line can display in another order than it "
        "is parsed (Trojan Source).",
        "Remove the character; write right-to-left text with escapes if it is really needed.",
        blocking=True,
        cwe="CWE-451",
    ),
    Rule(
        NAME,
        INVISIBLE,
        Severity.HIGH,
        "Adds an invisible character to code (blocking) or prose (medium): text that looks "
        "identical can differ.",
        "Remove the character, or write it as an escape so a reader can see it.",
        blocking=True,
        cwe="CWE-451",
    ),
    Rule(
        NAME,
        CONFUSABLE,
        Severity.HIGH,
        "An identifier with look-alike characters that reads as a different name than it is.",
        "Rename the identifier with plain characters.",
        blocking=True,
        cwe="CWE-1007",
    ),
)
