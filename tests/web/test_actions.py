"""Approve and reject from the browser go through crewchief.review, with the same guarantees."""

from __future__ import annotations

import json

import pytest

from crewchief.store import open_store
from tests.helpers.repo import Repo
from tests.helpers.web import BASE, GOOD, client, csrf_of, fake_run


@pytest.fixture
def web_repo(make_repo) -> Repo:
    return make_repo(BASE)


def test_approve_lands_on_the_target_branch(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo, who="Rita Reviewer") as http:
        token = csrf_of(http.get(f"/runs/{run_id}").text)
        done = http.post(f"/runs/{run_id}/approve", data={"csrf_token": token})
        assert (
            done.status_code == 303 and done.headers["location"] == f"/runs/{run_id}?done=approved"
        )
        page = http.get(done.headers["location"]).text
    commit = web_repo.git("rev-parse", "main")
    assert f'<code id="merge-commit">{commit[:12]}</code>' in page
    message = web_repo.git("log", "-1", "--format=%B", "main")
    assert (
        message.startswith("Greet politely") and "Crewchief-Approved-By: Rita Reviewer" in message
    )
    assert "hello" in web_repo.git("show", "main:app.py")
    store = open_store(web_repo.path)
    assert store.run(run_id).state == "merged"
    assert store.decisions(run_id)[0].who == "Rita Reviewer <test@example.com>"


def test_approve_regates_when_the_target_moved(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    web_repo.commit({"README.md": "# moved\n"}, "main moves")
    calls: list[tuple[str, str, str]] = []

    def regate(repo, base, head, task):
        calls.append((base, head, task))
        return {"verdict": "block", "risk": 90, "findings": [], "checks": []}

    with client(web_repo, regate=regate) as http:
        token = csrf_of(http.get(f"/runs/{run_id}").text)
        refused = http.post(f"/runs/{run_id}/approve", data={"csrf_token": token})
    assert refused.status_code == 409 and "gate blocks" in refused.text
    assert calls and calls[0][2] == "greet"
    assert web_repo.git("log", "-1", "--format=%s", "main") == "main moves"
    assert open_store(web_repo.path).run(run_id).state == "awaiting_review"


def test_blocked_runs_need_force(web_repo) -> None:
    run_id = fake_run(web_repo, {"CODEOWNERS": "* @agent\n"})
    with client(web_repo) as http:
        page = http.get(f"/runs/{run_id}").text
        token = csrf_of(page)
        assert 'name="force"' in page
        refused = http.post(f"/runs/{run_id}/approve", data={"csrf_token": token})
        assert refused.status_code == 409 and "--force" in refused.text
        forced = http.post(f"/runs/{run_id}/approve", data={"csrf_token": token, "force": "1"})
        assert forced.status_code == 303
    assert open_store(web_repo.path).run(run_id).state == "merged"


def test_reject_queues_the_next_attempt_with_the_feedback(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo, who="rita") as http:
        token = csrf_of(http.get(f"/runs/{run_id}").text)
        empty = http.post(f"/runs/{run_id}/reject", data={"csrf_token": token, "feedback": "  "})
        assert empty.status_code == 409
        done = http.post(
            f"/runs/{run_id}/reject", data={"csrf_token": token, "feedback": "Keep 'hi'.\r\nThanks"}
        )
        assert done.status_code == 303
        page = http.get(done.headers["location"]).text
        store = open_store(web_repo.path)
        next_id = store.decisions(run_id)[0].next_run_id
        assert f'<a id="next-attempt" href="/runs/{next_id}">' in page
        next_page = http.get(f"/runs/{next_id}").text
    assert next_id is not None, "a reject with retry queues the next attempt"
    nxt = store.run(next_id)
    assert (nxt.state, nxt.attempt) == ("queued", 2)
    assert nxt.feedback is not None
    assert json.loads(nxt.feedback)[-1]["feedback"] == "Keep 'hi'.\nThanks"
    assert store.run(run_id).state == "rejected"
    assert store.decisions(run_id)[0].who == "rita <test@example.com>"
    assert "Keep &#39;hi&#39;." in next_page and 'data-live="/runs/' in next_page


def test_approve_supersedes_the_other_candidates_and_the_pages_say_so(web_repo) -> None:
    chosen = fake_run(web_repo, GOOD, group="g", agent="a")
    sibling = fake_run(web_repo, {"app.py": "x = 1\n"}, group="g", agent="b", attempt=1)
    with client(web_repo) as http:
        assert f'id="run-{sibling}"' in http.get("/").text
        token = csrf_of(http.get(f"/runs/{chosen}").text)
        done = http.post(f"/runs/{chosen}/approve", data={"csrf_token": token})
        page = http.get(done.headers["location"]).text
        queue = http.get("/").text
        other = http.get(f"/runs/{sibling}").text
        later = http.get(f"/runs/{chosen}").text
        api = http.get(f"/api/runs/{sibling}").json()
    assert f'<a href="/runs/{sibling}">run #{sibling}</a>' in page
    assert 'id="superseded-note"' in page
    assert f'id="run-{sibling}"' not in queue and "Nothing awaits review." in queue
    assert 'data-state="superseded"' in other and 'class="state s-superseded"' in other
    assert f"superseded: run {chosen} of this task was merged on main" in other
    assert 'id="decide"' not in other  # no approve or reject for a superseded run
    assert 'id="superseded"' in later  # the merged run's page lists what it superseded
    assert api["run"]["state"] == "superseded"
