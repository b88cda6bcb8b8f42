"""The prompt an agent receives, rendered from the task spec by a Jinja2 template.

The default template ships with crewchief; a repository may override it with
`.crewchief/prompt.md.j2` (read from the base commit by the caller, so a run cannot rewrite the
prompt of the next attempt). Values are passed as data: text in a task, in feedback or in findings is
inserted literally and never evaluated as template syntax. The template runs in Jinja's sandbox, and
anything an agent could have written (paths, messages) is made visible-safe first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from crewchief.errors import UserError
from crewchief.gate.findings import Finding
from crewchief.spec.policy import PROTECTED_PATHS, ScopePolicy
from crewchief.spec.task import Task
from crewchief.textsafe import visible

OVERRIDE_PATH = ".crewchief/prompt.md.j2"
_MAX_FINDINGS = 50


@dataclass(frozen=True)
class PromptInputs:
    task: Task
    scope: ScopePolicy | None = None
    feedback: Sequence[str] = ()
    """Reviewers' feedback on earlier rejected attempts, oldest first."""
    findings: Sequence[Finding] = ()
    """Blocking findings of the previous attempt's gate report."""
    attempt: int = 1


def default_template() -> str:
    return files("crewchief").joinpath("templates/prompt.md.j2").read_text(encoding="utf-8")


def _quote(text: object) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in str(text).splitlines()) or ">"


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
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
