"""The published JSON schemas (docs/schemas/) describe what the commands really print.

Each test runs a command on a real repository and validates its `--format json` output twice: with
the published schema (which lets later versions add fields), and with a walk that refuses any key the
schema does not document, so a new field cannot ship without its documentation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from crewchief.store import RunState, open_store
from tests.helpers.cli import run_cli
from tests.helpers.overnight import overnight
from tests.helpers.repo import Repo
from tests.helpers.runfactory import fake_run
from tests.helpers.schemas import ROOT, SCHEMAS, assert_matches, schema

TASK = """---
id: fix-add
title: add returns the sum
agent: mine
scope: [src/**, tests/test_calc.py]
acceptance:
  - tests/test_calc.py::test_add
budget: {minutes: 10, usd: 1}
priority: 1
---
`add(2, 3)` must return `5`; today it returns `-1`.
"""
VAGUE = "---\nid: vague\ntitle: improve things\ndepends_on: [ghost]\n---\nMake it better.\n"


def cli_json(capsys: pytest.CaptureFixture[str], *args: str, codes: tuple[int, ...] = (0,)) -> Any:
    result = run_cli(capsys, *args, "--format", "json")
    assert result.code in codes, result.err
    return json.loads(result.out)


def test_every_schema_the_readme_names_is_published() -> None:
    named = set(re.findall(r"`crewchief\.([a-z-]+)/v1`", (ROOT / "README.md").read_text("utf-8")))
    published = {p.name.removesuffix(".v1.json") for p in SCHEMAS.glob("*.v1.json")}
    assert named == published
    for name in published:
        jsonschema.Draft202012Validator.check_schema(schema(name))
        assert schema(name)["properties"]["schema"]["const"] == f"crewchief.{name}/v1"


def test_gate_report(capsys, make_repo) -> None:
    repo = make_repo(
        {
            "crewchief.toml": '[scope]\nallow = ["src/**"]\n',
            "src/app.py": "def f():\n    return 1\n",
            ".crewchief/tasks/fix-add.md": TASK,
        }
    )
    repo.branch("agent", "main")
    repo.commit(
        {
            "src/app.py": "import subprocess\nimport sys\n\n\ndef f():\n"
            "    return subprocess.run(sys.argv[1], shell=True)\n",
            "notes.txt": "outside the allowed scope\n",
        }
    )
    report = cli_json(
        capsys,
        "gate",
        "--repo",
        str(repo.path),
        "--base",
        "main",
        "--head",
        "agent",
        "--task",
        "fix-add",
        "--static",
        "--no-cache",
        codes=(1,),
    )
    assert report["verdict"] == "block"
    assert any(f.get("cwe") for f in report["findings"]), "a security finding carries its CWE"
    assert {c["status"] for c in report["checks"]} >= {"failed", "skipped"}
    assert_matches("gate", report)


def _run_with_events(repo: Repo, transcript: Path) -> int:
    store = open_store(repo.path)
    store.upsert_task("fix-add", "Fix add", 1, {})
    run_id = store.queue_run("fix-add", "mine")
    store.transition(run_id, RunState.PREPARING)
    transcript.write_text("thinking\nediting calc.py\n")
    store.transition(
        run_id,
        RunState.RUNNING,
        "agent started",
        transcript=str(transcript),
        branch="crewchief/fix-add/1",
        tokens_in=10,
        tokens_out=5,
        cost_usd=0.01,
    )
    return run_id


def test_status_and_logs(capsys, repo, tmp_path) -> None:
    run_id = _run_with_events(repo, tmp_path / "transcript.log")
    status = cli_json(capsys, "status", "--repo", str(repo.path))
    assert [r["id"] for r in status["runs"]] == [run_id]
    assert_matches("status", status)
    logs = cli_json(capsys, "logs", str(run_id), "--repo", str(repo.path))
    assert [e["to"] for e in logs["events"]] == ["queued", "preparing", "running"]
    assert logs["tail"] == ["thinking", "editing calc.py"]
    assert_matches("logs", logs)


def test_review_queue(capsys, make_repo) -> None:
    greet = "---\nid: greet\ntitle: Greet politely\nscope: [greet.py]\n---\nSay hello.\n"
    repo = make_repo(
        {"greet.py": "def greet():\n    return 'hi'\n", ".crewchief/tasks/greet.md": greet}
    )
    fake_run(repo, {"greet.py": "def greet():\n    return 'hello'\n"}, agent="a", group="g")
    fake_run(repo, {"greet.py": "def greet():\n    return 'hey'\n"}, agent="b", group="g")
    review = cli_json(capsys, "review", "--repo", str(repo.path))
    assert [r["position"] for r in review["queue"]] == [1, 1]
    assert all(r["verdict"] and r["tokens"] for r in review["queue"])
    assert_matches("review", review)


def test_brief(capsys, make_repo) -> None:
    """Runs the runner really leaves (a gated run awaiting review) and every section filled."""
    greet = "---\nid: greet\ntitle: Greet politely\nscope: [greet.py]\n---\nSay hello.\n"
    repo = make_repo(
        {"greet.py": "def greet():\n    return 'hi'\n", ".crewchief/tasks/greet.md": greet}
    )
    gated = fake_run(repo, {"greet.py": "def greet():\n    return 'hello'\n"})
    overnight(repo)
    brief = cli_json(capsys, "brief", "--repo", str(repo.path), "--since", "1d")
    assert all(brief[key] for key in ("ready", "review", "gave_up", "running"))
    assert gated in [r["id"] for r in brief["ready"] + brief["review"]]
    assert_matches("brief", brief)


def test_task_list_show_and_lint(capsys, make_repo) -> None:
    repo = make_repo(
        {
            "src/calc.py": "def add(a, b):\n    return a - b\n",
            "tests/test_calc.py": "def test_add():\n    pass\n",
            ".crewchief/tasks/fix-add.md": TASK,
            ".crewchief/tasks/vague.md": VAGUE,
            ".crewchief/tasks/broken.md": "---\nid: broken\n",
        }
    )
    where = ("--repo", str(repo.path))
    tasks = cli_json(capsys, "task", "list", *where)
    assert [t["id"] for t in tasks["tasks"]] == ["fix-add", "vague"] and tasks["errors"]
    assert_matches("tasks", tasks)
    task = cli_json(capsys, "task", "show", "fix-add", *where)
    assert task["task"]["budget"]["usd"] == 1
    assert_matches("task", task)
    lint = cli_json(capsys, "task", "lint", "vague", *where, codes=(1,))
    assert lint["errors"] >= 1 and lint["problems"]
    assert_matches("task-lint", lint)


def test_the_checks_catch_a_wrong_or_undocumented_field(capsys, repo, tmp_path) -> None:
    _run_with_events(repo, tmp_path / "transcript.log")
    status = cli_json(capsys, "status", "--repo", str(repo.path))
    wrong = {**status, "runs": [{**status["runs"][0], "state": "sleeping"}]}
    with pytest.raises(jsonschema.ValidationError):
        assert_matches("status", wrong)
    extra = {**status, "runs": [{**status["runs"][0], "mood": "happy"}]}
    with pytest.raises(AssertionError, match=r"\.runs\.mood"):
        assert_matches("status", extra)
