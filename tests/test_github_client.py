"""crewchief's one GitHub client against a GitHub-shaped server on loopback: the headers and bodies
it sends, pagination, rate limits and retries (with an injected sleep, so nothing waits on a
clock), errors a person can act on, and `gate --comment` posting then editing one comment."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crewchief.github import COMMENT_MARKER, GitHub, GitHubError, upsert_comment
from tests.helpers.cli import run_cli
from tests.helpers.github_server import TOKEN, Reply, Script, github_api, github_server
from tests.helpers.repo import Repo

COMMENTS = "/repos/team/app/issues/7/comments"


def client(script: Script, slept: list[float], now: float = 1_000.0) -> GitHub:
    return GitHub(token=TOKEN, api=script.url, sleep=slept.append, clock=lambda: now)


def test_a_new_comment_is_posted_after_reading_every_page() -> None:
    page2 = f"{COMMENTS}?per_page=100&page=2"
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100", body=[{"id": 1, "body": "lgtm"}],
              headers={"Link": f'<{{url}}{page2}>; rel="next", <{{url}}{page2}>; rel="last"'}),
        Reply("GET", page2, body=[{"id": 2, "body": "nit"}]),
        Reply("POST", COMMENTS, 201, {"id": 3, "html_url": "https://gh/c/3"}),
    ]  # fmt: skip
    slept: list[float] = []
    with github_server(replies) as script:
        url = upsert_comment(client(script, slept), "team/app", 7, "report")
    assert script.done(), script.off_script
    assert url == "https://gh/c/3" and slept == []
    post = script.seen[-1]
    assert post.body == {"body": f"{COMMENT_MARKER}\nreport"}
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == "2022-11-28"


def _comment(id_: int, body: str, login: str, kind: str = "User") -> dict[str, Any]:
    return {"id": id_, "body": body, "user": {"login": login, "type": kind}}


def test_the_earlier_comment_is_edited_not_repeated() -> None:
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100",
              body=[{"id": 1, "body": "lgtm"}, _comment(9, f"{COMMENT_MARKER}\nold", "crewbot")]),
        Reply("GET", "/user", body={"login": "crewbot"}),
        Reply("PATCH", "/repos/team/app/issues/comments/9", body={"html_url": "https://gh/c/9"}),
    ]  # fmt: skip
    with github_server(replies) as script:
        assert upsert_comment(client(script, []), "team/app", 7, "new") == "https://gh/c/9"
    assert script.done(), script.off_script
    assert script.seen[-1].body == {"body": f"{COMMENT_MARKER}\nnew"}


def test_a_marker_someone_else_planted_is_left_alone_and_ours_is_edited() -> None:
    planted = [_comment(4, f"{COMMENT_MARKER}\npass!", "mallory"),
               _comment(5, f"{COMMENT_MARKER}\nalso", "mallory", "Bot")]  # fmt: skip
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100",
              body=[*planted, _comment(9, f"{COMMENT_MARKER}\nold", "CrewBot")]),
        Reply("GET", "/user", body={"login": "crewbot"}),  # asked once, for three markers
        Reply("PATCH", "/repos/team/app/issues/comments/9", body={"html_url": "https://gh/c/9"}),
    ]  # fmt: skip
    with github_server(replies) as script:
        assert upsert_comment(client(script, []), "team/app", 7, "new") == "https://gh/c/9"
    assert script.done(), script.off_script


def test_only_a_planted_marker_means_a_new_comment() -> None:
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100",
              body=[_comment(4, f"{COMMENT_MARKER}\npass!", "mallory"),
                    {"id": 6, "body": f"{COMMENT_MARKER}\nno author"}]),
        Reply("GET", "/user", body={"login": "crewbot"}),
        Reply("POST", COMMENTS, 201, {"html_url": "https://gh/c/10"}),
    ]  # fmt: skip
    with github_server(replies) as script:
        assert upsert_comment(client(script, []), "team/app", 7, "new") == "https://gh/c/10"
    assert script.done(), script.off_script
    assert script.seen[-1].body == {"body": f"{COMMENT_MARKER}\nnew"}


@pytest.mark.parametrize("status", [403, 404])
def test_an_actions_token_edits_the_actions_bot_s_comment_only(status: int) -> None:
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100",
              body=[_comment(4, f"{COMMENT_MARKER}\npass!", "mallory", "Bot"),
                    _comment(8, f"{COMMENT_MARKER}\nold", "github-actions[bot]", "Bot")]),
        Reply("GET", "/user", status, {"message": "Resource not accessible by integration"}),
        Reply("PATCH", "/repos/team/app/issues/comments/8", body={"html_url": "https://gh/c/8"}),
    ]  # fmt: skip
    with github_server(replies) as script:
        assert upsert_comment(client(script, []), "team/app", 7, "new") == "https://gh/c/8"
    assert script.done(), script.off_script


def test_a_link_to_another_host_is_not_followed() -> None:
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100", body=[],
              headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'}),
        Reply("POST", COMMENTS, 201, {"html_url": "u"}),
    ]  # fmt: skip
    with github_server(replies) as script:
        upsert_comment(client(script, []), "team/app", 7, "x")
    assert script.done(), script.off_script


def test_rate_limits_and_server_errors_are_waited_out() -> None:
    replies = [
        Reply("GET", "/x", 403, {"message": "You have exceeded a secondary rate limit"},
              {"Retry-After": "7"}),
        Reply("GET", "/x", 403, {"message": "API rate limit exceeded"},
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"}),
        Reply("GET", "/x", 502, {"message": "Bad gateway"}),
        Reply("GET", "/x", 429, {"message": "slow down"}),
        Reply("GET", "/x", 200, {"ok": True}),
    ]  # fmt: skip
    slept: list[float] = []
    with github_server(replies) as script:
        gh = client(script, slept)
        gh.retries = 4
        assert gh.call("GET", "/x").data == {"ok": True}
    assert slept == [7.0, 31.0, 4.0, 60.0]
    assert script.done()


def test_a_long_wait_is_an_error_that_says_when() -> None:
    replies = [
        Reply("GET", "/x", 403, {"message": "API rate limit exceeded"},
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4600"}),
    ]  # fmt: skip
    slept: list[float] = []
    with github_server(replies) as script, pytest.raises(GitHubError) as caught:
        client(script, slept).call("GET", "/x")
    assert "wait 3601 s" in str(caught.value) and slept == []


def test_a_reply_cut_short_is_retried() -> None:
    replies = [
        Reply("GET", "/x", 200, {"ok": True, "padding": "x" * 200}, cut_after=7),
        Reply("GET", "/x", 200, {"ok": True}),
    ]
    slept: list[float] = []
    with github_server(replies) as script:
        assert client(script, slept).call("GET", "/x").data == {"ok": True}
    assert slept == [1.0] and script.done(), script.off_script


@pytest.mark.parametrize(
    ("retry_after", "slept_for"), [("nan", 60.0), ("inf", 60.0), ("-5", 0.0), ("1.5", 1.5)]
)
def test_a_retry_after_that_is_no_sane_wait_is_made_one(retry_after: str, slept_for: float) -> None:
    replies = [
        Reply("GET", "/x", 429, {"message": "slow down"}, {"Retry-After": retry_after}),
        Reply("GET", "/x", 200, {"ok": True}),
    ]
    slept: list[float] = []
    with github_server(replies) as script:
        assert client(script, slept).call("GET", "/x").data == {"ok": True}
    assert slept == [slept_for]


def test_a_huge_retry_after_is_an_hour_at_most() -> None:
    replies = [Reply("GET", "/x", 429, {"message": "slow down"}, {"Retry-After": "1e300"})]
    with github_server(replies) as script, pytest.raises(GitHubError) as caught:
        client(script, []).call("GET", "/x")
    assert "wait 3600 s" in str(caught.value)


def test_control_characters_in_github_s_message_are_escaped() -> None:
    replies = [Reply("POST", "/y", 422, {"message": "bad\x1b]0;pwned\x07 \x1b[2Jinput\u202e"})]
    with github_server(replies) as script, pytest.raises(GitHubError) as caught:
        client(script, []).call("POST", "/y", {"a": 1})
    message = str(caught.value)
    assert "\x1b" not in message and "\x07" not in message and "\u202e" not in message
    assert "bad\\x1b]0;pwned\\x07 \\x1b[2Jinput\\u202e" in message


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (403, {"X-Accepted-GitHub-Permissions": "issues=write"}, "lacks what POST"),
        (403, {"X-Accepted-OAuth-Scopes": "repo"}, "needs: repo"),
        (401, {}, "refused the token"),
        (404, {}, "not found (deleted"),
        (422, {}, "Validation Failed"),
    ],
)
def test_refusals_are_one_actionable_line(
    status: int, headers: dict[str, str], expected: str
) -> None:
    replies = [Reply("POST", "/y", status, {"message": "Validation Failed"}, headers)]
    with github_server(replies) as script, pytest.raises(GitHubError) as caught:
        client(script, []).call("POST", "/y", {"a": 1})
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.status == status


def test_gate_comment_posts_the_report_on_the_event_s_pull_request(
    make_repo: Callable[..., Repo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    repo.branch("agent")
    repo.commit({"app.py": "import os\n\n\ndef f(cmd):\n    return os.system(cmd)\n"})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100", body=[]),
        Reply("POST", COMMENTS, 201, {"html_url": "https://gh/c/1"}),
    ]
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "team/app"}
    with github_api(monkeypatch, replies, **env) as script:
        args = ("--base", "main", "--head", "agent", "--static", "--format", "json", "--comment")
        result = run_cli(capsys, "gate", "--repo", str(repo.path), *args)
    assert script.done(), script.off_script
    assert json.loads(result.out)["verdict"] == "block" and result.code == 1
    assert "report posted on pull request #7: https://gh/c/1" in result.err
    body = script.seen[-1].body["body"]
    assert body.startswith(COMMENT_MARKER) and "crewchief gate: **BLOCK**" in body


def test_gate_comment_without_a_pull_request_says_what_is_missing(
    make_repo: Callable[..., Repo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo()
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", "team/app")
    result = run_cli(
        capsys, "gate", "--repo", str(repo.path), "--base", "main", "--static", "--comment"
    )
    assert result.code == 2 and "--pr N" in result.err


def test_an_error_whose_body_is_cut_short_still_says_what_failed() -> None:
    replies = [Reply("POST", "/y", 502, {"message": "Bad gateway " * 20}, cut_after=7)] * 2
    slept: list[float] = []
    with github_server(replies) as script, pytest.raises(GitHubError) as caught:
        gh = client(script, slept)
        gh.retries = 1
        gh.call("POST", "/y", {"a": 1})
    assert str(caught.value) == "GitHub failed on POST /y (502): no message" and slept == [1.0]
