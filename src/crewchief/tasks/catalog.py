"""All the tasks of a repository, loaded from `.crewchief/tasks/*.md` in its work tree.

A malformed file does not hide the others: it is reported with the one-line reason, and the rest load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from crewchief.spec.errors import SpecError
from crewchief.spec.task import ACCEPTANCE_EXISTING, TASK_DIR, Task, parse_task


@dataclass(frozen=True)
class Catalog:
    root: Path
    tasks: dict[str, Task]
    paths: dict[str, Path]
    errors: dict[Path, str]

    def get(self, task_id: str) -> Task:
        from crewchief.errors import UserError

        if task_id in self.tasks:
            return self.tasks[task_id]
        bad = [msg for path, msg in self.errors.items() if path.stem == task_id]
        if bad:
            raise UserError(bad[0])
        known = ", ".join(sorted(self.tasks)) or "none"
        raise UserError(
            f"no task '{task_id}' in {TASK_DIR}/ (known: {known}); "
            f"create it with 'crewchief task new {task_id}'"
        )


def load_catalog(root: Path) -> Catalog:
    folder = root / TASK_DIR
    tasks: dict[str, Task] = {}
    paths: dict[str, Path] = {}
    errors: dict[Path, str] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            rel = f"{TASK_DIR}/{path.name}"
            try:
                task = parse_task(path.read_bytes(), rel)
            except SpecError as exc:
                errors[path] = str(exc)
                continue
            except OSError as exc:
                errors[path] = f"{rel}: cannot read: {exc.strerror}"
                continue
            if task.id in tasks:
                errors[path] = f"{rel}: id '{task.id}' is also used by {paths[task.id].name}"
                continue
            tasks[task.id] = task
            paths[task.id] = path
    return Catalog(root, tasks, paths, errors)


TEMPLATE = """---
id: {id}
title: {title}
agent: {agent}
{scope}
{acceptance}
budget: {{minutes: 30, usd: 2.0}}
priority: 3
depends_on: []
---
Describe the outcome, not the steps: what must be observably true when this task is done
(a function's return value, an error raised, a command's exit code), and what must not change.
"""


def render_new(
    task_id: str, title: str, agent: str | None, scope: list[str], acceptance: list[str]
) -> str:
    def items(key: str, values: list[str], example: str) -> str:
        if key == "acceptance" and values == [ACCEPTANCE_EXISTING]:
            return f"acceptance: {ACCEPTANCE_EXISTING}  # no new behaviour: the suite must keep passing"
        if not values:
            return f"{key}: []  # e.g. [{example}]"
        return f"{key}:\n" + "\n".join(f"  - {json.dumps(v)}" for v in values)

    return TEMPLATE.format(
        id=task_id,
        title=json.dumps(title),
        agent=json.dumps(agent) if agent else "null",
        scope=items("scope", scope, "src/package/module.py"),
        acceptance=items("acceptance", acceptance, "tests/test_module.py::test_new_behaviour"),
    )
