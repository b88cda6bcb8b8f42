"""The prompt an agent receives, rendered from the task spec by a Jinja2 template.

The default template ships with crewchief; a repository may override it with
`.crewchief/prompt.md.j2` (read from the base commit by the caller, so a run cannot rewrite the
prompt of the next attempt). Values are passed as data: text in a task, in feedback or in findings is
inserted literally and never evaluated as template syntax. The template runs in Jinja's sandbox, and
anything an agent could have written (paths, messages) is made visible-safe first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Protocol

from crewchief.errors import UserError
from crewchief.spec.policy import PROTECTED_PATHS, ApiPolicy, ScopePolicy
from crewchief.spec.task import Task
from crewchief.textsafe import visible

OVERRIDE_PATH = ".crewchief/prompt.md.j2"
_MAX_FINDINGS = 50


class FindingFacts(Protocol):
    """What the prompt reads of a finding: any object with these attributes will do (a
    `FindingSummary`, or the gate's own finding class), so agents never depend on the gate."""

    @property
    def check(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def blocking(self) -> bool: ...


class ContractFacts(Protocol):
    """What the prompt reads of an import contract: the gate's `ContractSpec` (the contracts in
    force, from the policy or the repository's import-linter configuration) has these, and agents
    still do not depend on the gate."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def options(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class FindingSummary:
    """One finding of an earlier attempt's gate report, as the prompt tells the agent about it."""

    check: str
    rule: str
    severity: str
    message: str
    path: str | None = None
    line: int | None = None
    blocking: bool = False

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> FindingSummary:
        """From a `findings` entry of a `crewchief.gate/v1` report (what the store keeps)."""
        line = item.get("line")
        return cls(
            check=str(item["check"]),
            rule=str(item["rule"]),
            severity=str(item["severity"]),
            message=str(item["message"]),
            path=str(item["path"]) if item.get("path") is not None else None,
            line=int(line) if line is not None else None,
            blocking=bool(item.get("blocking", False)),
        )


@dataclass(frozen=True)
class PromptInputs:
    task: Task
    scope: ScopePolicy | None = None
    feedback: Sequence[str] = ()
    """Reviewers' feedback on earlier rejected attempts, oldest first."""
    findings: Sequence[FindingFacts] = ()
    """Findings of the previous attempt's gate report; the prompt lists the blocking ones."""
    attempt: int = 1
    contracts: Sequence[ContractFacts] = ()
    """The import contracts in force at the run's base (the policy's, else the repository's
    `.importlinter` / `[tool.importlinter]`), told in plain words before the agent is judged on
    them."""
    api: ApiPolicy | None = None


def _as_list(value: object) -> list[str]:
    """An option as import-linter takes it: one text, or a list (INI values come as either)."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


def _names(value: object) -> str:
    return ", ".join(f"`{visible(v, 200)}`" for v in _as_list(value)) or "(none)"


def _layer_words(layer: str) -> str:
    """`a | b` are kept apart, `a : b` may import each other: said as a reader would."""
    if "|" in layer:
        return (
            " and ".join(_names(p.strip()) for p in layer.split("|"))
            + " (which never import each other)"
        )
    return " and ".join(_names(p.strip()) for p in layer.split(":"))


def _layers_rule(options: Mapping[str, Any]) -> str:
    order = "; then ".join(_layer_words(layer) for layer in _as_list(options.get("layers")))
    inside = f" inside {_names(options.get('containers'))}" if options.get("containers") else ""
    return (
        f"Layers{inside}, top to bottom: {order}. A module may import the layers below its own, "
        "never one above."
    )


def contract_rules(contracts: Sequence[ContractFacts]) -> list[str]:
    """Each import contract in force as one plain sentence."""
    rules: list[str] = []
    for contract in contracts:
        options = contract.options
        if contract.type == "forbidden":
            how = (
                "directly"
                if str(options.get("allow_indirect_imports")).lower() == "true"
                else "directly or through other modules"
            )
            rules.append(
                f"{_names(options.get('source_modules'))} must not import {_names(options.get('forbidden_modules'))}, {how}."
            )
        elif contract.type == "layers":
            rules.append(_layers_rule(options))
        elif contract.type == "independence":
            rules.append(
                f"{_names(options.get('modules'))} are independent: none of them may import another."
            )
        else:
            rules.append(
                f"Sibling modules inside {_names(options.get('ancestors'))} must not import each other in a cycle."
            )
    return rules


def api_rule(task: Task, policy: ApiPolicy | None) -> str:
    """The public-API rule in plain words, with what this task may do."""
    api = policy or ApiPolicy()
    which = _names(api.packages) if api.packages else "the repository's packages"
    text = (
        f"Keep the public API of {which} compatible: do not remove or rename public functions, "
        "classes, methods or attributes (names in `__all__`, or without a leading underscore), "
        "and do not remove or reorder parameters, add required ones or change defaults."
    )
    if task.api_change == "allowed":
        return (
            text
            + " This task is authorised to change the public API; change only what the objective needs."
        )
    if api.breaking == "block":
        return text + " A breaking change blocks this change."
    return text + " A breaking change is sent to a person for review."


def default_template() -> str:
    return files("crewchief").joinpath("templates/prompt.md.j2").read_text(encoding="utf-8")


def _quote(text: object) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in str(text).splitlines()) or ">"


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _finding(finding: FindingFacts) -> dict[str, Any]:
    return {
        "severity": str(finding.severity),
        "check": finding.check,
        "rule": finding.rule,
        "path": visible(finding.path, 300) if finding.path else None,
        "line": finding.line,
        "message": visible(finding.message, 1000),
    }


def _context(inputs: PromptInputs) -> dict[str, Any]:
    scope = inputs.scope or ScopePolicy()
    return {
        "task": inputs.task.model_dump(),
        "attempt": inputs.attempt,
        "scope": {
            "allow": list(scope.allow),
            "deny": list(scope.deny),
            "protected": [g for g in PROTECTED_PATHS if g not in scope.unprotect],
            "max_files": scope.max_files,
            "max_lines": scope.max_lines,
        },
        "feedback": [text for text in inputs.feedback if text.strip()],
        "findings": [_finding(f) for f in inputs.findings if f.blocking][:_MAX_FINDINGS],
        "architecture": contract_rules(inputs.contracts),
        "api_rule": api_rule(inputs.task, inputs.api),
    }


def render_prompt(inputs: PromptInputs, template: str | None = None) -> str:
    """Render `template` (the repository's override) or the default one."""
    from jinja2 import StrictUndefined, TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        autoescape=False,  # Markdown for a model, not HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["quote"] = _quote
    env.filters["num"] = _num
    source = template if template is not None else default_template()
    where = OVERRIDE_PATH if template is not None else "the built-in prompt template"
    try:
        text = env.from_string(source).render(_context(inputs))
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        at = f" line {line}" if line else ""
        raise UserError(f"{where}:{at} {exc.message or exc}") from exc
    return text.strip() + "\n"
