"""The agent is told the boundaries before it is judged on them: the prompt states the policy's
import contracts and the public-API rule in plain words, and `task lint` warns when a task's
scope spans modules a contract keeps apart (a look-alike task inside one layer stays quiet)."""

from __future__ import annotations

import json

from crewchief.agents.prompt import PromptInputs, render_prompt
from crewchief.spec.policy import parse_policy
from crewchief.spec.task import Task
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo

POLICY = """
[[architecture.contracts]]
name = "web never reaches the database"
type = "forbidden"
source_modules = ["shop.web"]
forbidden_modules = ["shop.db"]

[[architecture.contracts]]
name = "layers"
type = "layers"
layers = ["shop.web", "shop.service | shop.mail", "shop.db"]

[api]
breaking = "block"
"""

TASK = """---
id: {id}
title: list items
scope: {scope}
acceptance: [tests/test_shop.py::test_items]
budget: {{minutes: 10}}
---
`list_items()` must return the items sorted by name; today it returns them in insertion order.
"""

FILES = {
    "crewchief.toml": POLICY,
    "src/shop/__init__.py": "",
    "src/shop/web/__init__.py": "",
    "src/shop/web/views.py": "from shop import service\n",
    "src/shop/service.py": "from shop.db import models\n",
    "src/shop/mail.py": "",
    "src/shop/db/__init__.py": "",
    "src/shop/db/models.py": "ITEMS = []\n",
    "tests/test_shop.py": "def test_items():\n    pass\n",
}


def test_prompt_states_contracts_and_the_api_rule_in_plain_words() -> None:
    policy = parse_policy(POLICY.encode(), "crewchief.toml")
    task = Task(id="t", title="t")
    inputs = PromptInputs(task, architecture=policy.architecture, api=policy.api)
    text = render_prompt(inputs)
    assert "`shop.web` must not import `shop.db`, directly or through other modules." in text
    assert (
        "Layers, top to bottom: `shop.web`; then `shop.service` and `shop.mail` (which never "
        "import each other); then `shop.db`." in text
    )
    assert "Keep the public API of the repository's packages compatible" in text
    assert "A breaking change blocks this change." in text
    allowed = render_prompt(PromptInputs(Task(id="t", title="t", api_change="allowed")))
    assert "This task is authorised to change the public API" in allowed
    assert "import boundaries" not in allowed  # no contracts, no contract section


def _lint(capsys, repo: Repo) -> list[tuple[str, str]]:
    result = run_cli(capsys, "task", "lint", "--repo", str(repo.path), "--format", "json")
    problems = json.loads(result.out)["problems"]
    return sorted((p["task"], p["message"]) for p in problems if p["rule"] == "scope-spans-layers")


def test_task_lint_warns_when_scope_spans_what_a_contract_keeps_apart(capsys, make_repo) -> None:
    spans = TASK.format(id="spans", scope="[src/shop/web/**, src/shop/db/models.py]")
    inside = TASK.format(id="inside", scope="[src/shop/web/views.py, tests/test_shop.py]")
    repo: Repo = make_repo(
        {**FILES, ".crewchief/tasks/spans.md": spans, ".crewchief/tasks/inside.md": inside}
    )
    assert _lint(capsys, repo) == [
        (
            "spans",
            "scope spans shop.web and shop.db, which must not import it "
            "(contract 'web never reaches the database')",
        ),
        (
            "spans",
            "scope spans the layers shop.web above shop.db, which may import only downwards "
            "(contract 'layers')",
        ),
    ]
