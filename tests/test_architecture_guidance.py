"""The agent is told the boundaries before it is judged on them: the prompt states the import
contracts in force and the public-API rule in plain words, and `task lint` warns when a task's
scope spans modules a contract keeps apart (a look-alike task inside one layer stays quiet). The
contracts in force are the policy's, else the repository's `.importlinter` or
`[tool.importlinter]`, read as the architecture check reads them (the prompt at the run's base)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from crewchief.agents.prompt import PromptInputs, render_prompt
from crewchief.gate.checks.architecture.contracts import in_force
from crewchief.runs.execute import render_run_prompt
from crewchief.spec.policy import Policy, parse_policy
from crewchief.spec.task import Task
from crewchief.store import open_store
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo
from tests.helpers.runfactory import fake_run

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
    found = in_force(policy, {})
    assert found is not None
    inputs = PromptInputs(task, contracts=found.specs, api=policy.api)
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


IMPORTLINTER = """[importlinter]
root_package = shop

[importlinter:contract:web-db]
name = web never reaches the database
type = forbidden
source_modules =
    shop.web
forbidden_modules = shop.db

[importlinter:contract:layers]
name = layers
type = layers
containers = shop
layers =
    web
    service | mail
    db
"""

PYPROJECT = """[project]
name = "shop"

[tool.importlinter]
root_packages = ["shop"]

[[tool.importlinter.contracts]]
name = "web never reaches the database"
type = "forbidden"
source_modules = ["shop.web"]
forbidden_modules = ["shop.db"]

[[tool.importlinter.contracts]]
name = "layers"
type = "layers"
layers = ["shop.web", "shop.service | shop.mail", "shop.db"]
"""

CONFIGS = {
    ".importlinter": (
        IMPORTLINTER,
        "Layers inside `shop`, top to bottom: `web`; then `service` and `mail` (which never "
        "import each other); then `db`.",
        "web above db",
    ),
    "pyproject.toml": (
        PYPROJECT,
        "Layers, top to bottom: `shop.web`; then `shop.service` and `shop.mail` (which never "
        "import each other); then `shop.db`.",
        "shop.web above shop.db",
    ),
}
ONLY_CODE = {k: v for k, v in FILES.items() if k != "crewchief.toml"}


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_the_prompt_tells_the_repositorys_own_import_linter_contracts_read_at_the_base(
    make_repo: Callable[..., Repo], config: str
) -> None:
    text, layers, _ = CONFIGS[config]
    greet = TASK.format(id="greet", scope="[src/shop/web/views.py]")
    repo = make_repo({**ONLY_CODE, config: text, ".crewchief/tasks/greet.md": greet})
    # the run's commit rewrites the configuration: the prompt still tells the base's contracts
    run_id = fake_run(repo, {config: text.replace("shop.db", "shop.mail")})
    (repo.path / config).write_text(text.replace("shop.db", "shop.service"))  # nor the work tree's
    store = open_store(repo.path)
    row = store.run(run_id)
    assert row.base_commit is not None
    task = Task(id="greet", title="greet", scope=["src/shop/web/views.py"])
    prompt = render_run_prompt(
        task, row, Policy(), base=row.base_commit, store=store, repo=repo.path
    )
    assert "`shop.web` must not import `shop.db`, directly or through other modules." in prompt
    assert layers in prompt


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_task_lint_warns_on_the_repositorys_own_import_linter_contracts(
    capsys: pytest.CaptureFixture[str], make_repo: Callable[..., Repo], config: str
) -> None:
    text, _, layers = CONFIGS[config]
    spans = TASK.format(id="spans", scope="[src/shop/web/**, src/shop/db/models.py]")
    inside = TASK.format(id="inside", scope="[src/shop/web/views.py, tests/test_shop.py]")
    repo = make_repo(
        {
            **ONLY_CODE,
            config: text,
            ".crewchief/tasks/spans.md": spans,
            ".crewchief/tasks/inside.md": inside,
        }
    )
    assert _lint(capsys, repo) == [
        (
            "spans",
            "scope spans shop.web and shop.db, which must not import it "
            "(contract 'web never reaches the database')",
        ),
        (
            "spans",
            f"scope spans the layers {layers}, which may import only downwards (contract 'layers')",
        ),
    ]


def test_task_lint_says_when_the_contracts_cannot_be_read(
    capsys: pytest.CaptureFixture[str], make_repo: Callable[..., Repo]
) -> None:
    broken = IMPORTLINTER.replace("type = forbidden", "type = protected")
    spans = TASK.format(id="spans", scope="[src/shop/web/**]")
    repo = make_repo({**ONLY_CODE, ".importlinter": broken, ".crewchief/tasks/spans.md": spans})
    (found,) = _lint(capsys, repo)
    assert found[1].startswith("the import contracts cannot be read")
    assert "type 'protected'" in found[1]


BAD_CONFIGS = {
    "contracts-not-a-list": (
        "pyproject.toml",
        '[tool.importlinter]\ncontracts = "oops"\n',
        "pyproject.toml: [tool.importlinter] contracts: expected an array of tables, not text",
    ),
    "importlinter-not-a-table": (
        "pyproject.toml",
        '[tool]\nimportlinter = "x"\n',
        "pyproject.toml: tool.importlinter: expected a table, not text",
    ),
    "root-packages-a-number": (
        "pyproject.toml",
        PYPROJECT.replace('root_packages = ["shop"]', "root_packages = 5"),
        "pyproject.toml: [tool.importlinter] root_packages: expected text or a list of text, "
        "not an integer",
    ),
    "root-packages-a-boolean": (
        "pyproject.toml",
        PYPROJECT.replace('root_packages = ["shop"]', "root_packages = true"),
        "pyproject.toml: [tool.importlinter] root_packages: expected text or a list of text",
    ),
    "contract-not-a-table": (
        "pyproject.toml",
        "[tool.importlinter]\ncontracts = [1]\n",
        "pyproject.toml: contract 1: expected a table, not an integer",
    ),
    "option-a-number": (
        "pyproject.toml",
        PYPROJECT.replace('forbidden_modules = ["shop.db"]', "forbidden_modules = 5"),
        "pyproject.toml: contract 1 ('web never reaches the database') forbidden_modules: "
        "expected text or a list of text, not an integer",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_import_linter_settings_are_one_line_naming_file_and_key(
    capsys: pytest.CaptureFixture[str], make_repo: Callable[..., Repo], case: str
) -> None:
    name, text, message = BAD_CONFIGS[case]
    spans = TASK.format(id="spans", scope="[src/shop/web/**]")
    repo = make_repo({**ONLY_CODE, name: text, ".crewchief/tasks/spans.md": spans})
    lint = run_cli(capsys, "task", "lint", "--repo", str(repo.path), "--format", "json")
    assert lint.code == 0, lint.err  # a warning: the task is fine, the contracts are not
    (found,) = [p["message"] for p in json.loads(lint.out)["problems"]
                if p["rule"] == "scope-spans-layers"]  # fmt: skip
    unread = "the import contracts cannot be read, so the scope was not checked against them"
    assert found == f"{unread}: {message}"
    show = run_cli(capsys, "architecture", "show", "--repo", str(repo.path))
    assert show.code == 2 and show.err.strip().splitlines() == [f"crewchief: error: {message}"]


def test_a_percent_sign_in_an_ini_contract_is_text(
    capsys: pytest.CaptureFixture[str], make_repo: Callable[..., Repo]
) -> None:
    text = IMPORTLINTER.replace("name = web never", "name = 100% sure web never")
    spans = TASK.format(id="spans", scope="[src/shop/web/**, src/shop/db/models.py]")
    repo = make_repo({**ONLY_CODE, "setup.cfg": text, ".crewchief/tasks/spans.md": spans})
    assert _lint(capsys, repo)[0] == (
        "spans",
        "scope spans shop.web and shop.db, which must not import it "
        "(contract '100% sure web never reaches the database')",
    )
