from __future__ import annotations

import json

from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo

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


def test_lint_finds_acceptance_tests_shipped_with_the_task(capsys, make_repo) -> None:
    shipped = GOOD.replace(
        "tests/test_calc.py::test_add", "tests/test_calc_new.py::test_add_negative"
    )
    repo = make_repo(
        {
            **FILES,
            ".crewchief/tasks/fix-add.md": shipped,
            ".crewchief/tasks/fix-add/tests/test_calc_new.py": (
                "from calc import add\n\n\ndef test_add_negative():\n    assert add(-1, -2) == -3\n"
            ),
        }
    )
    code, data = lint(capsys, repo)
    assert (code, data["problems"]) == (0, [])
    # the folder is the task's own: another task cannot point into it
    other = shipped.replace("id: fix-add", "id: other-task")
    repo.commit({".crewchief/tasks/other-task.md": other})
    code, data = lint(capsys, repo, "other-task")
    assert code == 1
    assert [(p["rule"], p["message"]) for p in data["problems"]] == [
        (
            "acceptance-not-found",
            "acceptance 'tests/test_calc_new.py::test_add_negative': "
            "file tests/test_calc_new.py does not exist",
        )
    ]
    # and a shipped file still has to hold the named test
    repo.commit({".crewchief/tasks/fix-add.md": shipped.replace("test_add_negative", "test_gone")})
    code, data = lint(capsys, repo, "fix-add")
    assert code == 1 and "no test 'test_gone'" in data["problems"][0]["message"]


REFACTOR = """---
id: tidy-calc
title: tidy calc.py
scope: [calc.py]
acceptance: existing
budget: {minutes: 10}
---
Rename the local variables in `calc.py` to full words; every public function must return exactly
what it returns today.
"""


def test_acceptance_existing_is_accepted_by_spec_lint_and_show(capsys, make_repo) -> None:
    repo = make_repo({**FILES, ".crewchief/tasks/tidy-calc.md": REFACTOR})
    code, data = lint(capsys, repo, "tidy-calc")
    assert (code, data["problems"]) == (0, [])
    shown = run_cli(
        capsys, "task", "show", "tidy-calc", "--repo", str(repo.path), "--format", "json"
    )
    task = json.loads(shown.out)["task"]
    assert (task["acceptance"], task["acceptance_existing"]) == ([], True)
    text = run_cli(capsys, "task", "show", "tidy-calc", "--repo", str(repo.path)).out
    assert "acceptance: existing" in text
    listed = run_cli(capsys, "task", "list", "--repo", str(repo.path)).out
    assert "existing" in listed
    # an empty list is still "no acceptance": only the explicit word opts out
    repo.commit({".crewchief/tasks/tidy-calc.md": REFACTOR.replace("existing", "[]", 1)})
    code, data = lint(capsys, repo, "tidy-calc")
    assert code == 1 and [p["rule"] for p in data["problems"]] == ["no-acceptance"]
    assert "acceptance: existing" in data["problems"][0]["suggestion"]


def test_task_new_writes_acceptance_existing(capsys, repo) -> None:
    result = run_cli(
        capsys, "task", "new", "docs", "--acceptance", "existing", "--repo", str(repo.path)
    )
    assert result.code == 0, result.err
    text = (repo.path / ".crewchief/tasks/docs.md").read_text()
    assert "\nacceptance: existing" in text
    shown = run_cli(capsys, "task", "show", "docs", "--repo", str(repo.path), "--format", "json")
    assert json.loads(shown.out)["task"]["acceptance_existing"] is True


def test_show_prints_multi_line_objective_as_lines(capsys, make_repo) -> None:
    body = "First paragraph says `add(2, 3)` returns 5.\n\n- a bullet\n\tan indented line\nred \x1b[31mtext\n"
    repo = make_repo(
        {
            **FILES,
            ".crewchief/tasks/fix-add.md": GOOD.split("---\n`", maxsplit=1)[0] + "---\n" + body,
        }
    )
    out = run_cli(capsys, "task", "show", "fix-add", "--repo", str(repo.path)).out
    assert "\\x0a" not in out
    lines = out.splitlines()
    assert "First paragraph says `add(2, 3)` returns 5." in lines
    assert "- a bullet" in lines
    assert any(line != line.lstrip() and line.strip() == "an indented line" for line in lines)
    assert "red \\x1b[31mtext" in lines  # a terminal escape is still shown, not obeyed
