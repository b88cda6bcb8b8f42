"""Projects with a real repository, a store, a task and a real agent program, for run tests."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crewchief.runs.execute import RunOptions, execute_run
from crewchief.spec.task import parse_task
from crewchief.store import RunState, Store, open_store
from crewchief.workspace import sandbox
from tests.helpers.repo import Repo

BASE_FILES = {
    "README.md": "# sample\n",
    "src/app.py": "def add(a, b):\n    return a + b\n",
    "tests/test_app.py": "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}


def task_text(task_id: str = "fix-app", budget: dict[str, float] | None = None) -> str:
    budget_line = f"budget: {json.dumps(budget)}\n" if budget else ""
    return (
        f"---\nid: {task_id}\ntitle: Improve app\nagent: bot\n"
        f"scope: [src/**, tests/**]\n{budget_line}---\nMake add() document itself.\n"
    )


@dataclass
class Project:
    repo: Repo
    store: Store
    agent: Path
    task_id: str

    @property
    def path(self) -> Path:
        return self.repo.path

    def queue(self, **kwargs: Any) -> int:
        return self.store.queue_run(self.task_id, "bot", **kwargs)

    def execute(self, run_id: int, **options: Any) -> RunState:
        opts = {"static_gate": True, **options}
        return execute_run(self.store, self.path, run_id, options=RunOptions(**opts))

    def events(self, run_id: int) -> list[str]:
        return [e.message or "" for e in self.store.events(run_id)]


@pytest.fixture
def make_project(make_repo: Any, tmp_path: Path) -> Iterator[Any]:
    stores: list[Store] = []

    def factory(
        agent_code: str,
        *,
        budget: dict[str, float] | None = None,
        files: dict[str, str] | None = None,
        agent_env: dict[str, str] | None = None,
        pass_env: list[str] | None = None,
        task_id: str = "fix-app",
    ) -> Project:
        agent = tmp_path / f"agent-{len(stores)}.py"
        agent.write_text(textwrap.dedent(agent_code))
        policy = (
            "[agents.bot]\n"
            'type = "command"\n'
            f"command = {json.dumps([sys.executable, str(agent), '{prompt_file}'])}\n"
            f"pass_env = {json.dumps(pass_env or [])}\n"
            f"env = {{ {', '.join(f'{k} = {json.dumps(v)}' for k, v in (agent_env or {}).items())} }}\n"
        )
        text = task_text(task_id, budget)
        repo = make_repo(
            {
                **BASE_FILES,
                "crewchief.toml": policy,
                f".crewchief/tasks/{task_id}.md": text,
                **(files or {}),
            }
        )
        store = open_store(repo.path)
        stores.append(store)
        task = parse_task(text.encode(), f"{task_id}.md")
        store.upsert_task(task.id, task.title, task.priority, task.model_dump())
        return Project(repo, store, agent, task_id)

    yield factory
    for store in stores:
        store.close()


@pytest.fixture(params=["bwrap", "off"])
def mode(request: pytest.FixtureRequest) -> str:
    """Every containment test runs sandboxed and in the fallback. `make test` installs bubblewrap
    and sets CREWCHIEF_REQUIRE_SANDBOX, so there a missing sandbox fails instead of skipping."""
    if request.param == "bwrap" and not sandbox.probe().available:
        message = f"no bubblewrap sandbox here: {sandbox.probe().detail}"
        if os.environ.get("CREWCHIEF_REQUIRE_SANDBOX"):
            pytest.fail(message)
        pytest.skip(message)
    return str(request.param)
