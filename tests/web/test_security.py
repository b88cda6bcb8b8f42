"""Token, Host, CSRF, methods and headers, against the app on a real socket."""

from __future__ import annotations

import re

import httpx
import pytest

from crewchief.errors import UserError
from crewchief.store import open_store
from crewchief.web.app import check_binding, serve
from crewchief.web.security import AUTH_COOKIE, is_loopback
from tests.helpers.repo import Repo
from tests.helpers.web import BASE, GOOD, client, csrf_of, fake_run


@pytest.fixture
def web_repo(make_repo) -> Repo:
    return make_repo(BASE)


def test_actions_refuse_get_and_posts_without_a_valid_csrf_token(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo) as http:
        page = http.get(f"/runs/{run_id}")
        token = csrf_of(page.text)
        assert (
            "HttpOnly" in page.headers["set-cookie"]
            and "SameSite=Strict" in page.headers["set-cookie"]
        )
        for action in ("approve", "reject"):
            assert http.get(f"/runs/{run_id}/{action}").status_code == 405
        assert http.post(f"/runs/{run_id}/approve", data={}).status_code == 403
        assert (
            http.post(f"/runs/{run_id}/approve", data={"csrf_token": "0" * 64}).status_code == 403
        )
        assert http.post(f"/runs/{run_id}/reject", data={"feedback": "x"}).status_code == 403
        assert (
            http.post(  # JSON instead of a form
                f"/runs/{run_id}/approve", json={"csrf_token": token}
            ).status_code
            == 415
        )
        crossed = http.post(
            f"/runs/{run_id}/approve",
            data={"csrf_token": token},
            headers={"Origin": "http://evil.example"},
        )
        assert crossed.status_code == 403
    with client(web_repo) as other:  # a token from another browser (cookie) does not fit
        assert other.get("/").status_code == 200
        assert other.post(f"/runs/{run_id}/approve", data={"csrf_token": token}).status_code == 403
    assert open_store(web_repo.path).run(run_id).state == "awaiting_review"
    assert web_repo.git("log", "--format=%s", "main") == "initial"


def test_every_response_carries_the_security_headers(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo) as http:
        for url in ("/", f"/runs/{run_id}", "/tasks", "/api/queue", "/static/app.js", "/nope"):
            headers = http.get(url).headers
            assert "script-src 'self'" in headers["content-security-policy"], url
            assert "unsafe-inline" not in headers["content-security-policy"]
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "no-referrer"
            assert headers["x-content-type-options"] == "nosniff"
        page = http.get(f"/runs/{run_id}").text
        assert "<script>" not in page and not re.search(r"<[^>]*\son\w+=", page)
        assert '<script src="/static/app.js" defer></script>' in page
        assert http.get("/docs").status_code == 404  # FastAPI's CDN-backed docs are off


def test_without_a_token_only_loopback_host_names_are_answered(web_repo) -> None:
    with client(web_repo) as http:
        assert http.get("/", headers={"Host": "localhost:8765"}).status_code == 200
        rebound = http.get("/", headers={"Host": "attacker.example:8765"})
        assert rebound.status_code == 403


def test_a_token_is_required_on_every_request_when_configured(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo, token="s3cret-token") as http:
        for url in (
            "/",
            f"/runs/{run_id}",
            "/api/queue",
            "/static/app.js",
            f"/runs/{run_id}/events",
        ):
            response = http.get(url)
            assert response.status_code == 401, url
            assert "s3cret" not in response.text
        assert http.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.get("/?token=wrong").status_code == 401
        assert http.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert (
            http.post(
                f"/runs/{run_id}/approve", headers={"Authorization": "Bearer wrong"}
            ).status_code
            == 401
        )
        login = http.get("/tasks?token=s3cret-token&x=1")
        assert login.status_code == 303
        assert login.headers["location"] == "/tasks?x=1"
        cookie = login.headers["set-cookie"]
        assert cookie.startswith(f"{AUTH_COOKIE}=") and "HttpOnly" in cookie
        assert "s3cret-token" not in cookie
        assert http.get("/tasks").status_code == 200  # the cookie now logs this browser in
        sneaky = httpx.get(f"{http.base_url}".rstrip("/") + "//evil.example?token=s3cret-token")
        assert sneaky.headers["location"] == "/evil.example"  # not a redirect to another site


def test_serving_beyond_loopback_needs_a_token(web_repo) -> None:
    with pytest.raises(UserError, match="needs a token"):
        serve(web_repo.path, "0.0.0.0", 0, None)
    with pytest.raises(UserError, match="needs a token"):
        check_binding("192.168.1.20", "")
    check_binding("0.0.0.0", "tok")
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


def test_state_never_changes_through_get(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo) as http:
        for url in (
            f"/runs/{run_id}?done=approved",
            f"/runs/{run_id}/approve?csrf_token=x",
            "/next",
        ):
            http.get(url)
    store = open_store(web_repo.path)
    assert store.run(run_id).state == "awaiting_review" and store.decisions(run_id) == []
