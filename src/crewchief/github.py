"""The one door to GitHub's REST API: every call crewchief makes to GitHub goes through `GitHub`.

What a demanding user needs from it, and what GitHub documents:
- Retries that respect GitHub: a `Retry-After` header is obeyed, an exhausted primary rate limit
  (`x-ratelimit-remaining: 0`) waits for `x-ratelimit-reset`, a secondary rate limit without either
  waits a minute, and a 5xx, a dropped connection or a reply cut off mid-body (a short read, a TLS
  error) is retried with a growing pause. A wait longer than `max_wait_s` is not slept through: the
  call fails with one line saying when to try again. A wait GitHub names that is not a number of
  seconds (`nan`, `inf`) counts as a minute; one below zero as none; one above an hour as an hour.
- Pagination through the `Link` header, followed only on the same host.
- Errors a person can act on, in one line: a token GitHub refuses, a token without the scope or
  permission the endpoint asks for (named from GitHub's `X-Accepted-OAuth-Scopes` /
  `X-Accepted-GitHub-Permissions` headers), a deleted pull request or issue. What GitHub says is
  shown with its control characters escaped (`textsafe.visible`): a proxy or a spoofed server
  must not drive the terminal.
- One comment kept current per marker (`upsert_comment`), and only ever one of crewchief's own:
  anyone can write a comment that starts with the marker, so a comment is edited only when the
  token's user wrote it (`GET /user`, asked once per client). An Actions `GITHUB_TOKEN` may not ask
  `/user` (403/404); then the comments of `github-actions[bot]`, the user it writes as, count.

The API base comes from the caller, `CREWCHIEF_GITHUB_API`, or `GITHUB_API_URL` (set by Actions and
GitHub Enterprise runners), else the public API; the token from `GITHUB_TOKEN` or `GH_TOKEN`. Tests
point the base at a server on loopback; `sleep` is injectable so no test waits on a clock.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

from crewchief.errors import UserError
from crewchief.textsafe import visible

DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
COMMENT_MARKER = "<!-- crewchief-gate -->"
"""Hidden first line of the gate's pull-request comment, so a later gate updates it in place."""
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_SECONDARY_WAIT_S = 60.0
_LONGEST_WAIT_S = 3600.0
"""No rate limit GitHub documents lasts longer than its hourly window; a longer wait is garbage."""
ACTIONS_BOT = "github-actions[bot]"
"""Who an Actions `GITHUB_TOKEN` writes as; that token cannot ask `/user` who it is."""
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubError(UserError):
    """A GitHub call that failed for a reason the user can act on; `status` is the HTTP code."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any


def _headers(message: Message) -> dict[str, str]:
    return {k.lower(): v for k, v in message.items()}


@dataclass
class GitHub:
    token: str
    api: str = DEFAULT_API
    timeout: float = 30.0
    retries: int = 4
    max_wait_s: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    _login: tuple[str | None] | None = field(default=None, init=False, repr=False)
    """The token's own login once asked (None inside when GitHub will not say), else None."""

    @classmethod
    def from_env(cls, *, api: str | None = None, token: str | None = None) -> GitHub:
        token = token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
        if not token:
            raise UserError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)")
        base = api or os.environ.get("CREWCHIEF_GITHUB_API") or os.environ.get("GITHUB_API_URL")
        return cls(token=token, api=(base or DEFAULT_API).rstrip("/"))

    def call(self, method: str, path: str, body: Any = None) -> Response:
        """One API call (retried as the module says); `path` is relative to the API base or a
        full URL on the same host (a `Link` header's)."""
        url = path if path.startswith(("http://", "https://")) else f"{self.api}{path}"
        for attempt in range(self.retries + 1):
            try:
                return self._once(method, url, body)
            except _Retry as retry:
                if attempt == self.retries:
                    raise GitHubError(retry.reason, retry.status) from None
                wait = retry.wait if retry.wait is not None else float(2**attempt)
                if wait > self.max_wait_s:
                    raise GitHubError(
                        f"{retry.reason}; GitHub asks to wait {wait:.0f} s, try again then",
                        retry.status,
                    ) from None
                self.sleep(max(wait, 0.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def own_login(self) -> str | None:
        """The login of the token's user, asked once; None when the token may not ask (an Actions
        or app installation token answers `/user` with 403 or 404). A refused token still raises."""
        if self._login is None:
            try:
                data = self.call("GET", "/user").data
                login = data.get("login") if isinstance(data, dict) else None
                self._login = (str(login) if login else None,)
            except GitHubError as exc:
                if exc.status not in (403, 404):
                    raise
                self._login = (None,)
        return self._login[0]

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a list endpoint, page after page."""
        host = urlsplit(self.api).netloc
        url: str | None = path + ("&" if "?" in path else "?") + "per_page=100"
        while url:
            response = self.call("GET", url)
            if not isinstance(response.data, list):
                raise GitHubError(f"GitHub answered {path} with something other than a list")
            yield from response.data
            match = _NEXT.search(response.headers.get("link", ""))
            url = match.group(1) if match and urlsplit(match.group(1)).netloc == host else None

    def _once(self, method: str, url: str, body: Any) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers=self._request_headers()
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                raw = reply.read()
                return Response(reply.status, _headers(reply.headers), _json(raw))
        except urllib.error.HTTPError as exc:
            raise self._refused(method, url, exc) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            # OSError holds TimeoutError, ConnectionError and ssl.SSLError; HTTPException a reply
            # cut short (IncompleteRead) or a server hanging up before it answers.
            reason = visible(str(getattr(exc, "reason", "") or exc or type(exc).__name__), 200)
            raise _Retry(f"cannot reach {urlsplit(url).netloc}: {reason}", None, None) from None

    def _request_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Content-Type": "application/json",
            "User-Agent": "crewchief",
        }

    def _refused(self, method: str, url: str, exc: urllib.error.HTTPError) -> Exception:
        headers = _headers(exc.headers) if exc.headers else {}
        try:
            message = _message(exc.read())
        except (http.client.HTTPException, OSError):  # the error's body cut short: the status says
            message = "no message"
        where = f"{method} {urlsplit(url).path}"
        status = exc.code
        wait = self._wait_for(status, headers, message)
        if wait is not None:
            return _Retry(f"GitHub rate limit on {where}: {message}", status, wait)
        if status >= 500:
            return _Retry(f"GitHub failed on {where} ({status}): {message}", status, None)
        if status == 401:
            return GitHubError("GitHub refused the token (401): check GITHUB_TOKEN", status)
        if status == 403:
            needs = headers.get("x-accepted-github-permissions") or headers.get(
                "x-accepted-oauth-scopes"
            )
            if needs:
                return GitHubError(
                    f"the token lacks what {where} needs: {visible(needs, 200)}", status
                )
        if status in (404, 410):
            return GitHubError(f"{where}: not found (deleted, or the token cannot see it)", status)
        return GitHubError(f"GitHub refused {where} ({status}): {message}", status)

    def _wait_for(self, status: int, headers: Mapping[str, str], message: str) -> float | None:
        """Seconds to wait before retrying a rate-limited call, or None if it is not one."""
        if status not in (403, 429):
            return None
        if "retry-after" in headers:
            return _seconds(headers["retry-after"], 0.0)
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            return _seconds(headers["x-ratelimit-reset"], self.clock()) + 1.0
        if status == 429 or "rate limit" in message.lower():
            return _SECONDARY_WAIT_S
        return None


class _Retry(Exception):
    def __init__(self, reason: str, status: int | None, wait: float | None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


def _seconds(header: str, since: float) -> float:
    """A wait GitHub names (seconds, or an epoch time when `since` is now), kept sane: not a
    number counts as a minute, the past as no wait, anything beyond an hour as an hour."""
    try:
        wait = float(header) - since
    except ValueError:
        return _SECONDARY_WAIT_S
    if not math.isfinite(wait):
        return _SECONDARY_WAIT_S
    return min(max(wait, 0.0), _LONGEST_WAIT_S)


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise GitHubError("GitHub answered with something that is not JSON") from None


def _message(raw: bytes) -> str:
    """GitHub's own error message, shortened to one line."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        text = str(data.get("message", text)) if isinstance(data, dict) else text
    except ValueError:
        pass
    return visible(" ".join(text.split()), 200) or "no message"


def upsert_comment(
    gh: GitHub, repository: str, number: int, body: str, *, marker: str = COMMENT_MARKER
) -> str:
    """Post a comment on issue or pull request `number`, or edit the one an earlier call posted
    (found by its hidden `marker` line), so it carries one current report, not one per push.
    Only a comment the token's own user wrote counts: a marker anyone else planted is left alone,
    so no one can capture or silence the report. Returns the comment's URL."""
    if not _REPOSITORY.match(repository):
        raise UserError(f"'{repository}' is not a GitHub repository name (OWNER/NAME)")
    text = f"{marker}\n{body}"
    for comment in gh.paginate(f"/repos/{repository}/issues/{number}/comments"):
        if not isinstance(comment, dict) or not str(comment.get("body", "")).startswith(marker):
            continue
        if _ours(comment, gh):
            path = f"/repos/{repository}/issues/comments/{int(comment['id'])}"
            return str(gh.call("PATCH", path, {"body": text}).data.get("html_url", ""))
    created = gh.call("POST", f"/repos/{repository}/issues/{number}/comments", {"body": text})
    return str(created.data.get("html_url", ""))


def _ours(comment: Mapping[str, Any], gh: GitHub) -> bool:
    """Whether the token's user wrote `comment` (asked of GitHub only once a marker turns up)."""
    user = comment.get("user")
    author = str(user.get("login") or "") if isinstance(user, dict) else ""
    if not author:
        return False
    login = gh.own_login()
    return author.lower() == (login or ACTIONS_BOT).lower()


STATUS_CONTEXT = "crewchief/gate"
_STATE = {"pass": "success", "review": "pending", "block": "failure"}


def set_status(
    gh: GitHub, repository: str, sha: str, verdict: str, risk: object, url: str | None = None
) -> None:
    """The gate's verdict as a commit status on `sha`: pass is success, block is failure, and
    review stays pending, since a person still has to look."""
    if not _REPOSITORY.match(repository):
        raise UserError(f"'{repository}' is not a GitHub repository name (OWNER/NAME)")
    body: dict[str, str] = {
        "state": _STATE.get(verdict, "error"),
        "context": STATUS_CONTEXT,
        "description": f"{verdict}, risk {risk}/100"[:140],
    }
    if url:
        body["target_url"] = url
    gh.call("POST", f"/repos/{repository}/statuses/{sha}", body)
