"""Rendering the agent's prompt from the task spec, feedback and findings."""

from __future__ import annotations

import pytest

from crewchief.agents.prompt import FindingSummary, PromptInputs, render_prompt
from crewchief.errors import UserError
from crewchief.spec.policy import ScopePolicy
from crewchief.spec.task import Budget, Task

TASK = Task(
    id="fix-slug",
    title="slugify keeps non-ASCII letters",
    objective='`slugify("Crème brûlée")` must return `"creme-brulee"`.',
    acceptance=["pytest -q tests/test_slug.py::test_unicode"],
    scope=["src/textutil/slug.py", "tests/test_slug.py"],
    budget=Budget(minutes=30, usd=2.0),
)


def test_default_prompt_has_every_part() -> None:
    scope = ScopePolicy(allow=["src/**", "tests/**"], deny=["migrations/**"], max_files=5,
                        max_lines=200, unprotect=["CODEOWNERS"])  # fmt: skip
    text = render_prompt(PromptInputs(TASK, scope=scope))
    assert text.startswith("# Task: slugify keeps non-ASCII letters\n")
    assert TASK.objective in text
    assert "- `pytest -q tests/test_slug.py::test_unicode`" in text
    assert "`src/textutil/slug.py`, `tests/test_slug.py`" in text
    assert "`migrations/**`" in text and "`crewchief.toml`" in text
    assert "`CODEOWNERS`" not in text  # unprotected (docs/CODEOWNERS stays protected)
    assert "at most 5 files" in text and "under 200 added plus removed lines" in text
    assert "Time: 30 minutes" in text and "Cost: 2 USD" in text
    assert "Feedback" not in text and "gate found" not in text
    assert "attempt" not in text.split("\n")[2]


def test_acceptance_existing_asks_for_unchanged_behaviour() -> None:
    tidy = Task(id="tidy", title="tidy slug", objective="Rename helpers.", acceptance_existing=True)
    text = render_prompt(PromptInputs(tidy, scope=ScopePolicy()))
    assert "## Acceptance checks" in text
    assert "existing tests must all keep passing" in text
    plain = Task(id="tidy", title="tidy slug", objective="Rename helpers.")
    assert "## Acceptance checks" not in render_prompt(PromptInputs(plain, scope=ScopePolicy()))


def test_feedback_and_blocking_findings_of_previous_attempt() -> None:
    findings = [
        FindingSummary("tests", "test-failed", "high", "test_unicode fails: AssertionError",
                       path="tests/test_slug.py", line=12, blocking=True),
        FindingSummary("quality", "complexity", "low", "not blocking", path="x.py"),
        FindingSummary("scope", "outside-task-scope", "high", "touches a path outside scope",
                       path="docs/\x1b[2Jevil.md", blocking=True),
    ]  # fmt: skip
    inputs = PromptInputs(
        TASK,
        feedback=["Handle ligatures too.\nAnd keep it fast.", "  "],
        findings=findings,
        attempt=3,
    )
    text = render_prompt(inputs)
    assert "(attempt 3)" in text
    assert "> Handle ligatures too.\n> And keep it fast." in text
    assert "- [high] tests/test_slug.py:12 (tests/test-failed): test_unicode fails" in text
    assert "not blocking" not in text
    assert "docs/\\x1b[2Jevil.md" in text and "\x1b" not in text


HOSTILE = "{{ 7 * 7 }} {% for x in range(10**9) %}{% endfor %} {# c #} {{ ''.__class__ }} {% raw %}"


def test_hostile_task_and_feedback_text_is_data() -> None:
    task = Task(id="evil", title=HOSTILE, objective=HOSTILE, acceptance=[HOSTILE], scope=[HOSTILE])
    text = render_prompt(PromptInputs(task, feedback=[HOSTILE]))
    assert text.count(HOSTILE) == 5  # title, objective, acceptance, scope, feedback: verbatim
    assert "> " + HOSTILE in text
    assert "49" not in text


def test_repo_override_template() -> None:
    template = "{{ task.id }}|{{ attempt }}|{{ feedback | length }}|{{ scope.protected | length }}"
    from crewchief.spec.policy import PROTECTED_PATHS

    expected = f"fix-slug|1|1|{len(PROTECTED_PATHS)}\n"
    assert render_prompt(PromptInputs(TASK, feedback=["a"]), template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% for %}", r"\.crewchief/prompt\.md\.j2: line 1"),
        ("{{ task.nope }}", r"\.crewchief/prompt\.md\.j2:.*nope"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", r"\.crewchief/prompt\.md\.j2:"),
    ],
)
def test_broken_or_unsafe_override_is_a_user_error(template: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        render_prompt(PromptInputs(TASK), template)


def test_findings_come_from_the_stored_gate_report_json() -> None:
    """A retry's prompt is built from the report the store kept (`crewchief.gate/v1` findings),
    extra keys (cwe, fingerprint, snippet) ignored."""
    stored = {"check": "security", "rule": "eval", "severity": "high", "message": "eval of input",
              "path": "app.py", "line": 3, "blocking": True, "cwe": "CWE-95", "fingerprint": "ab"}  # fmt: skip
    summary = FindingSummary.from_json(stored)
    assert summary == FindingSummary("security", "eval", "high", "eval of input", "app.py", 3, True)
    text = render_prompt(PromptInputs(TASK, findings=[summary], attempt=2))
    assert "- [high] app.py:3 (security/eval): eval of input" in text
