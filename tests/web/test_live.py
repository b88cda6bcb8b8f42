"""Server-sent events: a run in progress streams its state and transcript until it settles."""

from __future__ import annotations

import json

from crewchief.store import RunState, open_store
from tests.helpers.web import BASE, GOOD, client, fake_run


def events(lines):
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: ") and name:
            yield name, json.loads(line[len("data: ") :])
            name = None


def test_state_changes_and_transcript_growth_are_streamed(make_repo, tmp_path) -> None:
    repo = make_repo(BASE)
    log = tmp_path / "transcript.log"
    log.write_text("already shown\n")
    run_id = fake_run(repo, GOOD, transcript=str(log), until=RunState.RUNNING)
    store = open_store(repo.path)
    seen: list[tuple[str, dict]] = []
    with client(repo, poll_seconds=0.05) as http:
        page = http.get(f"/runs/{run_id}").text
        size = log.stat().st_size
        assert f'data-live="/runs/{run_id}/events?offset={size}"' in page
        with http.stream("GET", f"/runs/{run_id}/events?offset=0") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for name, data in events(response.iter_lines()):
                seen.append((name, data))
                if name == "state" and data["state"] == "running":
                    with open(log, "a") as fh:
                        fh.write("edit \x1b[31m<b>app.py</b>\npartial")
                elif name == "transcript" and len([n for n, _ in seen if n == "transcript"]) == 1:
                    store.transition(
                        run_id,
                        RunState.VALIDATING,
                        head_commit=repo.git("rev-parse", f"crewchief/greet/{run_id}"),
                    )
                elif name == "state" and data["state"] == "validating":
                    store.save_report(run_id, {"verdict": "pass", "risk": 3, "findings": []})
                    store.transition(run_id, RunState.AWAITING_REVIEW)
                elif name == "end":
                    break
    names = [n for n, _ in seen]
    assert names[0] == "state" and names[-1] == "end"
    transcripts = [d["lines"] for n, d in seen if n == "transcript"]
    lines = [line for chunk in transcripts for line in chunk]
    # escapes made visible (the page inserts them as text); "partial" is not a line yet
    assert lines == ["already shown", "edit \\x1b[31m<b>app.py</b>"]
    states = [d["state"] for n, d in seen if n == "state"]
    assert states == ["running", "validating", "awaiting_review"]
    assert seen[-1][1] == {"state": "awaiting_review"}
    assert [d for n, d in seen if n == "state"][-1]["verdict"] == "pass"


def test_a_settled_run_ends_the_stream_at_once(make_repo) -> None:
    repo = make_repo(BASE)
    run_id = fake_run(repo, GOOD)
    with client(repo) as http:
        body = http.get(f"/runs/{run_id}/events").text
        missing = http.get("/runs/999/events").text
    run = open_store(repo.path).run(run_id)
    assert list(events(body.splitlines())) == [
        ("state", {"state": "awaiting_review", "verdict": run.verdict, "risk": run.risk}),
        ("end", {"state": "awaiting_review"}),
    ]
    assert list(events(missing.splitlines())) == [("end", {"state": None})]
