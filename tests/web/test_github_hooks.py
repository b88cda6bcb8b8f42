"""GitHub's webhook on a real server socket: only deliveries signed with the shared secret are
accepted (unsigned and wrongly signed ones are refused and logged), a replayed delivery is processed
once, and an opened pull request (fetched from `origin`'s `refs/pull/N/head`, as GitHub keeps it)
is gated and gets the report as a comment on a GitHub-shaped API server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from crewchief.gate.findings import Verdict
from crewchief.web.app import create_app
from tests.helpers.github_server import Reply, Script, github_server
from tests.helpers.repo import Repo, git
from tests.helpers.web import live_server

SECRET = "s3cret-for-tests"
COMMENTS = "/repos/team/app/issues/7/comments"


def _key() -> str:
    rng = random.Random(11)
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


@pytest.fixture
def served(make_repo: Callable[..., Repo], tmp_path: Path) -> dict[str, Any]:
    """The served repository, its `origin` (team/app) and pull request 7 on it, as GitHub keeps
    one: a head commit under refs/pull/7/head."""
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    origin = tmp_path / "team" / "app.git"
    origin.parent.mkdir(parents=True)
    git(tmp_path, "init", "-q", "--bare", str(origin))
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "-q", "origin", "main")
    base = repo.git("rev-parse", "HEAD")
    repo.branch("contributor")
    head = repo.commit({"settings.py": f'KEY = "{_key()}"\n'}, "add settings")
    repo.git("push", "-q", "origin", "contributor:refs/pull/7/head")
    repo.checkout("main")
    repo.git("branch", "-D", "contributor")
    return {"repo": repo, "base": base, "head": head}


def _event(served: dict[str, Any], repository: str = "team/app") -> bytes:
    return json.dumps({
        "action": "opened",
        "number": 7,
        "pull_request": {"number": 7, "base": {"sha": served["base"]},
                         "head": {"sha": served["head"]}},
        "repository": {"full_name": repository},
    }).encode()  # fmt: skip


def _signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(
    http: httpx.Client,
    body: bytes,
    delivery: str,
    signature: str | None,
    event: str = "pull_request",
) -> httpx.Response:
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
               "Content-Type": "application/json"}  # fmt: skip
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return http.post("/hooks/github", content=body, headers=headers)


@contextmanager
def _server(
    repo: Repo, github: Script, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> Iterator[tuple[httpx.Client, Any]]:
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    app = create_app(repo.path, options.pop("token", None), regate=None, **options)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=120) as http:
        yield http, app


def test_unsigned_and_forged_deliveries_are_refused_and_logged(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    body = _event(served)
    caplog.set_level(logging.WARNING, logger="crewchief.webhooks")
    with (
        github_server([]) as github,
        _server(served["repo"], github, monkeypatch, webhook_secret=SECRET) as (http, app),
    ):
        assert _post(http, body, "d-1", None).status_code == 401
        assert _post(http, body, "d-2", _signed(body, "wrong")).status_code == 401
        tampered = body.replace(b'"opened"', b'"reopened"')
        assert _post(http, tampered, "d-3", _signed(body)).status_code == 401
        app.state.github_hooks.gates.drain()
    assert github.seen == []  # nothing was gated or posted
    refusals = [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]
    assert len(refusals) == 3 and "signature does not match" in refusals[1]


def test_without_a_secret_the_endpoint_refuses_everything(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _event(served)
    with github_server([]) as github, _server(served["repo"], github, monkeypatch) as (http, _):
        answer = _post(http, body, "d-1", _signed(body))
    assert answer.status_code == 503 and "CREWCHIEF_WEBHOOK_SECRET" in answer.text


def test_an_opened_pull_request_is_gated_and_commented_once(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _event(served)
    replies = [
        Reply("GET", f"{COMMENTS}?per_page=100", body=[]),
        Reply("POST", COMMENTS, 201, {"html_url": "https://github.com/team/app/pull/7#c1"}),
    ]
    options = {"webhook_secret": SECRET, "token": "web-token"}
    with (
        github_server(replies) as github,
        _server(served["repo"], github, monkeypatch, **options) as (http, app),
    ):
        assert _post(http, b"{}", "p-1", _signed(b"{}"), event="ping").text.strip() == "pong"
        first = _post(http, body, "d-1", _signed(body))
        assert first.status_code == 202 and "gating pull request #7" in first.text
        app.state.github_hooks.gates.drain()
        again = _post(http, body, "d-1", _signed(body))  # a replay of the same delivery
        app.state.github_hooks.gates.drain()
        assert http.get("/").status_code == 401  # the UI still wants its token
    assert again.status_code == 200 and "already processed" in again.text
    assert github.done(), github.off_script
    comment = github.seen[-1].body["body"]
    assert "crewchief gate: **BLOCK**" in comment and "| secrets | aws-access-key |" in comment
    assert f"https://github.com/team/app/blob/{served['head']}/settings.py#L1" in comment
    report = app.state.github_hooks.gates.reports["d-1"]
    assert report.head == served["head"] and report.verdict == Verdict.BLOCK


def test_events_for_another_repository_or_action_are_not_gated(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _event(served, repository="someone/else")
    closed = _event(served).replace(b'"opened"', b'"closed"')
    with (
        github_server([]) as github,
        _server(served["repo"], github, monkeypatch, webhook_secret=SECRET) as (http, app),
    ):
        assert "not this server's repository" in _post(http, other, "d-1", _signed(other)).text
        assert "nothing to gate" in _post(http, closed, "d-2", _signed(closed)).text
        app.state.github_hooks.gates.drain()
    assert github.seen == []
