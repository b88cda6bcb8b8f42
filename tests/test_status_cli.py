from __future__ import annotations

import json

from crewchief.store import RunState, open_store
from tests.helpers.cli import run_cli


def test_status_and_logs(capsys, repo, tmp_path) -> None:
    store = open_store(repo.path)
    store.upsert_task("fix-a", "Fix a", 1, {})
    run_id = store.queue_run("fix-a", "mine")
    store.transition(run_id, RunState.PREPARING)
    transcript = tmp_path / "transcript.log"
    transcript.write_bytes(b"line one\n\x1b[2Jhostile <script>\n" + b"x" * 10 + b"\n")
    store.transition(
        run_id,
        RunState.RUNNING,
        "agent started",
        transcript=str(transcript),
        branch="crewchief/fix-a/1",
        tokens_in=10,
        tokens_out=5,
        cost_usd=0.01,
    )
    result = run_cli(capsys, "status", "--repo", str(repo.path), "--format", "json")
    data = json.loads(result.out)
    assert data["schema"] == "crewchief.status/v1"
    run = data["runs"][0]
    assert {
        k: run[k] for k in ("id", "task", "agent", "attempt", "state", "branch", "cost_usd")
    } == {
        "id": run_id,
        "task": "fix-a",
        "agent": "mine",
        "attempt": 1,
        "state": "running",
        "branch": "crewchief/fix-a/1",
        "cost_usd": 0.01,
    }
    assert run["tokens"] == {"input": 10, "output": 5}
    assert set(run) >= {"verdict", "risk", "started_at", "ended_at"}
    text = run_cli(capsys, "logs", str(run_id), "--repo", str(repo.path))
    assert text.code == 0
    assert "\x1b" not in text.out and "\\x1b[2Jhostile <script>" in text.out
    assert "agent started" in text.out
    logs = json.loads(
        run_cli(capsys, "logs", str(run_id), "--repo", str(repo.path), "--format", "json").out
    )
    assert [e["to"] for e in logs["events"]] == ["queued", "preparing", "running"]
    bad = run_cli(capsys, "logs", "abc", "--repo", str(repo.path))
    assert bad.code == 2 and "not a run id" in bad.err
    missing = run_cli(capsys, "logs", "999", "--repo", str(repo.path))
    assert missing.code == 2 and "no run 999" in missing.err
