from __future__ import annotations

import json

from tests.conftest import Repo
from tests.helpers.cli import run_cli

GOOD = """---
id: fix-add
title: add returns the sum
scope: [calc.py, tests/test_calc.py]
acceptance:
  - tests/test_calc.py::test_add
budget: {minutes: 10, usd: 1}
---
`add(2, 3)` must return `5`; today it returns `-1`. Nothing else in calc.py changes behaviour.
"""

FILES = {
    "calc.py": "def add(a, b):\n    return a - b\n",
    "tests/test_calc.py": "def test_add():\n    pass\n",
    ".crewchief/tasks/fix-add.md": GOOD,
}


def lint(capsys, repo: Repo, *ids: str) -> tuple[int, dict]:
    result = run_cli(capsys, "task", "lint", "--repo", str(repo.path), "--format", "json", *ids)
    return result.code, json.loads(result.out)


def test_good_task_lints_clean(capsys, make_repo) -> None:
    repo = make_repo(FILES)
    code, data = lint(capsys, repo)
    assert (code, data["problems"], data["schema"]) == (0, [], "crewchief.task-lint/v1")


def test_lint_names_each_gap_with_a_suggestion(capsys, make_repo) -> None:
    vague = "---\nid: vague\ntitle: improve things\nscope: ['nothing/**']\nacceptance:\n  - tests/test_calc.py::test_sub\n  - nosuchtool --run\ndepends_on: [loop-b, ghost]\n---\nMake it better.\n"
    loop_b = "---\nid: loop-b\ntitle: b\ndepends_on: [vague]\nacceptance: [tests/test_calc.py::test_add]\nscope: [calc.py]\nbudget: {minutes: 1}\n---\n`add` must return the sum of both numbers for every input pair, including negatives.\n"
    repo = make_repo(
        {
            **FILES,
            ".crewchief/tasks/vague.md": vague,
            ".crewchief/tasks/loop-b.md": loop_b,
            ".crewchief/tasks/broken.md": "---\nid: broken\n",
            ".crewchief/tasks/wrong.md": GOOD.replace("fix-add", "other"),
        }
    )
    code, data = lint(capsys, repo)
    assert code == 1
    rules = {(p["task"], p["rule"]) for p in data["problems"]}
    assert {
        ("vague", "scope-matches-nothing"),
        ("vague", "acceptance-not-found"),
        ("vague", "vague-objective"),
        ("vague", "no-budget"),
        ("vague", "unknown-dependency"),
        ("broken", "malformed"),
        ("other", "id-mismatch"),
    } <= rules
    cycles = [p["message"] for p in data["problems"] if p["rule"] == "dependency-cycle"]
    assert len(cycles) == 1 and "vague" in cycles[0] and "loop-b" in cycles[0]
    not_found = [p["message"] for p in data["problems"] if p["rule"] == "acceptance-not-found"]
    assert any("no test 'test_sub'" in m for m in not_found)
    assert any("'nosuchtool' is not on PATH" in m for m in not_found)
    assert all(p["suggestion"] for p in data["problems"])


def test_no_acceptance_and_no_scope(capsys, make_repo) -> None:
    bare = "---\nid: bare\ntitle: t\n---\n`add(1, 1)` must return 2 and `add(0, 0)` must return 0 for all callers.\n"
    repo = make_repo({**FILES, ".crewchief/tasks/bare.md": bare})
    code, data = lint(capsys, repo, "bare")
    assert code == 1
    assert {p["rule"] for p in data["problems"]} == {"no-acceptance", "no-scope", "no-budget"}


def test_new_list_show(capsys, repo) -> None:
    result = run_cli(
        capsys,
        "task",
        "new",
        "add-docs",
        "--title",
        "Add docs",
        "--scope",
        "README.md",
        "--repo",
        str(repo.path),
    )
    assert result.code == 0, result.err
    assert (repo.path / ".crewchief/tasks/add-docs.md").exists()
    again = run_cli(capsys, "task", "new", "add-docs", "--repo", str(repo.path))
    assert again.code == 2 and "exists" in again.err
    bad = run_cli(capsys, "task", "new", "Bad Id", "--repo", str(repo.path))
    assert bad.code == 2
    listed = run_cli(capsys, "task", "list", "--repo", str(repo.path), "--format", "json")
    data = json.loads(listed.out)
    assert data["schema"] == "crewchief.tasks/v1" and data["tasks"][0]["id"] == "add-docs"
    shown = run_cli(capsys, "task", "show", "add-docs", "--repo", str(repo.path))
    assert "Add docs" in shown.out
    missing = run_cli(capsys, "task", "show", "nope", "--repo", str(repo.path))
    assert missing.code == 2 and "no task 'nope'" in missing.err
