"""The brief posted to a webhook on loopback: both bodies, retries that are bounded and honour
Retry-After, failures that are one line and never show the URL's secret path."""

from __future__ import annotations

import pytest

from crewchief.notify import send_brief
from crewchief.notify.webhook import redact
from crewchief.review.brief import Brief
from crewchief.spec.policy import NotifyPolicy
from tests.helpers.github_server import Reply, github_server
from tests.helpers.schemas import assert_matches
from tests.notify.night import hostile_brief
from tests.notify.servers import closed_url

HOOK = "/services/T0/B0/s3cretpath"


@pytest.fixture
def brief(repo) -> Brief:
    return hostile_brief(repo)


def _send(brief: Brief, waits: list[float] | None = None, env=None, **policy):
    sleep = waits.append if waits is not None else _no_sleep
    return send_brief(
        brief, NotifyPolicy(**policy), "crewchief: batch ended", env=env or {}, sleep=sleep
    )


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s where no retry was due")


def test_slack_body_posted_as_json(brief) -> None:
    with github_server([Reply("POST", HOOK, 200, "ok")]) as server:
        [delivery] = _send(brief, webhook=server.url + HOOK)
    assert server.done() and delivery.ok and delivery.tries == 1
    seen = server.seen[0]
    assert seen.headers["content-type"] == "application/json; charset=utf-8"
    assert set(seen.body) == {"text", "blocks"} and seen.body["blocks"][0]["type"] == "header"
    assert delivery.line() == f"notified webhook {server.url}/… (HTTP 200)"


def test_json_body_is_the_brief_document(brief) -> None:
    with github_server([Reply("POST", HOOK, 204)]) as server:
        [delivery] = _send(brief, webhook=server.url + HOOK, webhook_format="json")
    assert delivery.ok
    assert_matches("brief", server.seen[0].body)
    assert server.seen[0].body["gave_up"][-1]["title"].startswith("<!channel>")  # data, not markup


def test_500_then_200_is_retried_after_the_backoff(brief) -> None:
    waits: list[float] = []
    replies = [Reply("POST", HOOK, 500, "boom"), Reply("POST", HOOK, 502), Reply("POST", HOOK, 200)]
    with github_server(replies) as server:
        [delivery] = _send(brief, waits, webhook=server.url + HOOK)
    assert server.done() and len(server.seen) == 3
    assert delivery.ok and delivery.tries == 3 and waits == [1.0, 2.0]
    assert server.seen[0].body == server.seen[2].body


def test_429_waits_as_retry_after_asks_within_the_cap(brief) -> None:
    waits: list[float] = []
    replies = [
        Reply("POST", HOOK, 429, headers={"Retry-After": "7"}),
        Reply("POST", HOOK, 503, headers={"Retry-After": "3600"}),
        Reply("POST", HOOK, 200),
    ]
    with github_server(replies) as server:
        [delivery] = _send(brief, waits, webhook=server.url + HOOK, max_wait_s=30)
    assert server.done() and delivery.ok and waits == [7.0, 30.0]


def test_retries_are_bounded(brief) -> None:
    waits: list[float] = []
    with github_server([Reply("POST", HOOK, 500, "down")] * 3) as server:
        [delivery] = _send(brief, waits, webhook=server.url + HOOK, retries=2)
    assert server.done() and len(server.seen) == 3 and len(waits) == 2
    assert not delivery.ok and delivery.tries == 3
    assert delivery.line().endswith('failed after 3 tries: HTTP 500 "down"')


def test_404_is_not_retried_and_the_secret_path_is_not_shown(brief) -> None:
    with github_server([Reply("POST", HOOK, 404, "no_service")]) as server:
        [delivery] = _send(brief, webhook=server.url + HOOK)
    assert len(server.seen) == 1 and not delivery.ok and delivery.tries == 1
    assert "HTTP 404" in delivery.line() and "not retried" in delivery.line()
    assert "s3cretpath" not in delivery.line() and "\n" not in delivery.line()


def test_a_redirect_is_reported_not_followed_as_a_get(brief) -> None:
    replies = [Reply("POST", HOOK, 302, headers={"Location": "{url}/moved"})]
    with github_server(replies) as server:
        [delivery] = _send(brief, webhook=server.url + HOOK)
    assert server.done() and [s.method for s in server.seen] == ["POST"]
    assert (
        not delivery.ok
        and "HTTP 302" in delivery.line()
        and "redirects are not followed" in delivery.line()
    )


def test_unreachable_is_retried_then_one_line(brief) -> None:
    waits: list[float] = []
    url = closed_url(HOOK)
    [delivery] = _send(brief, waits, webhook=url, retries=2)
    assert not delivery.ok and delivery.tries == 3 and waits == [1.0, 2.0]
    assert "refused" in delivery.line().lower() and "s3cretpath" not in delivery.line()


def test_webhook_url_from_the_environment(brief) -> None:
    with github_server([Reply("POST", HOOK, 200)]) as server:
        env = {"CREWCHIEF_SLACK_WEBHOOK": server.url + HOOK}
        [delivery] = _send(brief, env=env, webhook_env="CREWCHIEF_SLACK_WEBHOOK")
    assert delivery.ok and server.done()
    [unset] = _send(brief, env={}, webhook_env="CREWCHIEF_SLACK_WEBHOOK")
    assert not unset.ok
    assert (
        unset.line()
        == "notify: webhook $CREWCHIEF_SLACK_WEBHOOK failed: CREWCHIEF_SLACK_WEBHOOK is not set"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/…"),
        ("https://user:pw@example.com:8443/hook?token=abc", "https://example.com:8443/…"),
        ("https://example.com?token=abc", "https://example.com/…"),
        ("https://example.com/", "https://example.com"),
        ("not a url", "(webhook URL)"),
    ],
)
def test_redact_keeps_scheme_and_host_only(url: str, shown: str) -> None:
    assert redact(url) == shown
