"""Review on GitHub, decide in either place, against a GitHub-shaped server on loopback: `pr`
opens the pull request with the report and the verdict as a commit status and records it on the
run; `sync` brings back a merge (with who merged), a close, and a retry label (the review comments
become the next attempt's feedback), and a deleted pull request does not stop the others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crewchief.github import GitHub
from crewchief.review.pull_requests import RETRY_LABEL, open_run, sync
from crewchief.store import RunState, open_store
from tests.helpers.cli import run_cli
from tests.helpers.github_server import Reply, Script, github_server
from tests.helpers.repo import Repo, git
from tests.helpers.runfactory import fake_run

TASKS = {
    f".crewchief/tasks/{t}.md": f"---\nid: {t}\ntitle: Task {t}\nscope: [app.py]\n---\nDo {t}.\n"
    for t in ("merge-me", "close-me", "gone", "imported")
}
BASE = {
    **TASKS,
    "app.py": "def greet(name):\n    return 'hi ' + name\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
    ".crewchief/tasks/greet.md": "---\nid: greet\ntitle: Greet politely\nscope: [app.py]\n---\n"
    "`greet('x')` returns 'hello x'.\n",
}
GOOD = {"app.py": "def greet(name):\n    return 'hello ' + name\n"}


@pytest.fixture
def repo(make_repo: Callable[..., Repo], tmp_path: Path) -> Repo:
    made = make_repo(BASE)
    origin = tmp_path / "acme" / "widgets.git"
    origin.parent.mkdir(parents=True)
    git(tmp_path, "init", "-q", "--bare", str(origin))
    made.git("remote", "add", "origin", str(origin))
    return made


def _gh(script: Script) -> GitHub:
    return GitHub(token="t0ken", api=script.url, sleep=lambda _: None)


def test_pr_carries_the_report_sets_the_status_and_is_recorded(repo: Repo) -> None:
    run_id = fake_run(repo, GOOD, agent="[evil](https://x.example) @octocat")
    store = open_store(repo.path)
    head = store.run(run_id).head_commit
    replies = [
        Reply("POST", "/repos/acme/widgets/pulls", 201,
              {"html_url": "https://github.com/acme/widgets/pull/7", "number": 7}),
        Reply("POST", f"/repos/acme/widgets/statuses/{head}", 201, {}),
    ]  # fmt: skip
    with github_server(replies) as script:
        url = open_run(store, repo.path, run_id, "origin", _gh(script))
    assert script.done(), script.off_script
    assert url == "https://github.com/acme/widgets/pull/7"
    assert open_store(repo.path).run(run_id).pr_url == url
    body = script.seen[0].body["body"]
    assert "### crewchief gate:" in body and "\\[evil\\]\\(https://x.example\\)" in body
    assert "@octocat" not in body
    status = script.seen[1].body
    assert status["context"] == "crewchief/gate" and status["target_url"] == url
    assert status["state"] in ("success", "pending", "failure")
    with github_server([]) as script, pytest.raises(Exception, match="already has a pull request"):
        open_run(store, repo.path, run_id, "origin", _gh(script))


def _with_pr(repo: Repo, number: int, task: str = "greet") -> int:
    run_id = fake_run(repo, GOOD, task=task)
    open_store(repo.path).update_run(
        run_id, pr_url=f"https://github.com/acme/widgets/pull/{number}"
    )
    return run_id


def test_sync_brings_back_a_merge_a_close_and_a_deleted_pull_request(repo: Repo) -> None:
    merged, closed = _with_pr(repo, 1, "merge-me"), _with_pr(repo, 2, "close-me")
    deleted = _with_pr(repo, 3, "gone")
    replies = [
        Reply("GET", "/repos/acme/widgets/pulls/1", body={
            "state": "closed", "merged": True, "merged_by": {"login": "octo"},
            "merge_commit_sha": "a" * 40}),
        Reply("GET", "/repos/acme/widgets/pulls/2", body={"state": "closed", "merged": False}),
        Reply("GET", "/repos/acme/widgets/pulls/3", 404, {"message": "Not Found"}),
    ]  # fmt: skip
    with github_server(replies) as script:
        results = {r.run_id: r.outcome for r in sync(open_store(repo.path), _gh(script))}
    assert script.done(), script.off_script
    store = open_store(repo.path)
    assert results[merged] == "merged" and store.run(merged).state == RunState.MERGED.value
    decision = store.decisions(merged)[0]
    assert decision.kind == "approve" and decision.who == "octo (GitHub)"
    assert results[closed] == "rejected" and store.run(closed).state == RunState.REJECTED.value
    assert store.next_attempt("close-me") == 2  # no attempt was queued for the closed one
    assert "not found" in results[deleted]
    assert store.run(deleted).state == RunState.AWAITING_REVIEW.value


def test_a_retry_label_queues_the_next_attempt_with_the_review_comments(
    repo: Repo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _with_pr(repo, 5)
    label = RETRY_LABEL.replace(":", "%3A")
    replies = [
        Reply("GET", "/repos/acme/widgets/pulls/5",
              body={"state": "open", "merged": False, "labels": [{"name": RETRY_LABEL}]}),
        Reply("GET", "/repos/acme/widgets/pulls/5/reviews?per_page=100",
              body=[{"user": {"login": "lead"}, "body": "Greet by full name."}]),
        Reply("GET", "/repos/acme/widgets/pulls/5/comments?per_page=100",
              body=[{"path": "app.py", "line": 2, "body": "Keep the old prefix for 'admin'."}]),
        Reply("DELETE", f"/repos/acme/widgets/issues/5/labels/{label}", body=[]),
    ]  # fmt: skip
    with github_server(replies) as script:
        monkeypatch.setenv("GITHUB_API_URL", script.url)
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        result = run_cli(capsys, "sync", "--repo", str(repo.path))
    assert script.done(), script.off_script
    assert result.code == 0 and f"run {run_id}: retried as run" in result.out
    store = open_store(repo.path)
    assert store.run(run_id).state == RunState.REJECTED.value
    feedback = store.decisions(run_id)[0].feedback or ""
    assert "lead: Greet by full name." in feedback and "app.py:2: Keep the old prefix" in feedback
    queued = [r for r in store.runs([RunState.QUEUED]) if r.task_id == "greet"]
    assert queued and "Greet by full name." in (queued[-1].feedback or "")


def test_a_run_superseded_by_a_merge_in_the_same_sync_is_left_alone(repo: Repo) -> None:
    first, second = _with_pr(repo, 1), _with_pr(repo, 2)  # two candidates of one task
    replies = [
        Reply("GET", "/repos/acme/widgets/pulls/1", body={"state": "closed", "merged": True}),
    ]
    with github_server(replies) as script:
        results = sync(open_store(repo.path), _gh(script))
    assert script.done(), script.off_script
    assert [(r.run_id, r.outcome) for r in results] == [(first, "merged")]
    assert open_store(repo.path).run(second).state == RunState.SUPERSEDED.value


def test_a_decided_run_of_an_imported_task_gets_its_outcome_on_the_issue_once(
    repo: Repo, tmp_path: Path
) -> None:
    from crewchief.review.decide import reject

    run_id = fake_run(repo, GOOD, task="imported")
    store = open_store(repo.path)
    issue = "https://github.com/team/app/issues/12"
    store.upsert_task("imported", "Task imported", 3, {"source": issue})
    reject(store, run_id, "Use <b>[links](http://x.example)</b> less", "lead", retry=False)
    posted = tmp_path / "posted.txt"
    replies = [
        Reply("GET", "/repos/team/app/issues/12/comments?per_page=100", body=[]),
        Reply("POST", "/repos/team/app/issues/12/comments", 201, {"html_url": "u"}),
    ]
    with github_server(replies) as script:
        first = sync(open_store(repo.path), _gh(script), posted)
    assert script.done(), script.off_script
    assert [(r.run_id, r.outcome) for r in first] == [(run_id, "outcome posted on issue #12")]
    body = script.seen[-1].body["body"]
    assert body.startswith(f"<!-- crewchief-run-{run_id} -->") and "was rejected" in body
    assert "\\[links\\]" in body and "<b>" not in body
    with github_server([]) as script:
        assert sync(open_store(repo.path), _gh(script), posted) == []
    assert script.seen == []


def test_an_outcome_for_a_deleted_issue_is_said_once_and_a_failure_that_may_pass_is_retried(
    repo: Repo, tmp_path: Path
) -> None:
    from crewchief.review.decide import reject

    runs = {task: fake_run(repo, GOOD, task=task) for task in ("gone", "imported", "close-me")}
    store = open_store(repo.path)
    sources = {
        "gone": "https://github.com/team/app/issues/12",  # deleted
        "imported": "https://github.com/team/app/issues/13",  # GitHub fails for a while
        "close-me": "https://github.com/team/private/issues/3",  # the token cannot see it
    }
    for task, source in sources.items():
        store.upsert_task(task, f"Task {task}", 3, {"source": source})
        reject(store, runs[task], "not this way", "lead", retry=False)
    gone, failing, hidden = runs["gone"], runs["imported"], runs["close-me"]
    posted = tmp_path / "posted.txt"
    missing = {"message": "Not Found"}
    first = [
        Reply("GET", "/repos/team/app/issues/12/comments?per_page=100", 404, missing),
        Reply("GET", "/repos/team/app/issues/12", 410, {"message": "This issue was deleted"}),
        Reply("GET", "/repos/team/app/issues/13/comments?per_page=100", 502, {"message": "x"}),
        Reply("GET", "/repos/team/app/issues/13/comments?per_page=100", 502, {"message": "x"}),
        Reply("GET", "/repos/team/private/issues/3/comments?per_page=100", 404, missing),
        Reply("GET", "/repos/team/private/issues/3", 404, missing),
        Reply("GET", "/repos/team/private", 404, missing),
    ]
    with github_server(first) as script:
        gh = GitHub(token="t0ken", api=script.url, retries=1, sleep=lambda _: None)
        results = {r.run_id: r.outcome for r in sync(open_store(repo.path), gh, posted)}
    assert script.done(), script.off_script
    assert results[gone] == "outcome not posted: issue #12 was deleted; not tried again"
    assert results[failing].startswith("outcome not posted: GitHub failed on GET")
    assert results[hidden].startswith("outcome not posted: GET /repos/team/private/issues/3/")
    second = [
        Reply("GET", "/repos/team/app/issues/13/comments?per_page=100", body=[]),
        Reply("POST", "/repos/team/app/issues/13/comments", 201, {"html_url": "u"}),
        Reply("GET", "/repos/team/private/issues/3/comments?per_page=100", body=[]),
        Reply("POST", "/repos/team/private/issues/3/comments", 201, {"html_url": "u"}),
    ]
    with github_server(second) as script:
        results = {r.run_id: r.outcome for r in sync(open_store(repo.path), _gh(script), posted)}
    assert script.done(), script.off_script
    assert results == {failing: "outcome posted on issue #13", hidden: "outcome posted on issue #3"}
    with github_server([]) as script:
        assert sync(open_store(repo.path), _gh(script), posted) == []
    assert script.seen == []
