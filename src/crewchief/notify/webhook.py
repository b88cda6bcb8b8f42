"""POST a JSON body to a webhook, with stdlib `urllib` (crewchief has no HTTP client dependency).

The URL is a secret (a Slack incoming webhook's path is its credential), so it never appears in
what this module returns: `redact` keeps the scheme and host, and any text from the wire has the
full URL replaced before it is shown. HTTP 429 and 5xx, and connections refused, reset or timed
out, are transient; any other status is the answer (a 404 is a deleted webhook: retrying cannot help).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import urllib.error
import urllib.request
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from crewchief import __version__
from crewchief.notify.delivery import Attempt, Delivery, Tries, with_retries
from crewchief.textsafe import visible

ANSWER_CHARS = 120
"""How much of an error response's body a warning quotes (Slack says why in it: `no_service`)."""


def redact(url: str) -> str:
    """`https://hooks.slack.com/…`: scheme and host (and port) only; no user, path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(webhook URL)"
    if not parts.scheme or not host:
        return "(webhook URL)"
    hidden = "/…" if (parts.path not in ("", "/") or parts.query or parts.username) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


def retry_after(headers: Message, now: dt.datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or None."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return (when - (now or dt.datetime.now(dt.UTC))).total_seconds()


def _answer(raw: bytes) -> str:
    text = visible(raw.decode("utf-8", "replace").strip(), ANSWER_CHARS)
    return f" {text}" if text else ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows a 301/302/303 by dropping the body and sending a GET, which a webhook
    answers with a 200 that delivered nothing: a redirect is reported instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _once(url: str, data: bytes, timeout: float) -> Attempt:
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"crewchief/{__version__}",
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Attempt(True, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        body = exc.read(ANSWER_CHARS * 4) if exc.fp else b""
        transient = exc.code == 429 or exc.code >= 500
        detail = f"HTTP {exc.code}{_answer(body)}" + ("" if transient else ", not retried")
        if 300 <= exc.code < 400:
            detail += " (redirects are not followed: configure the URL it redirects to)"
        return Attempt(False, detail, transient, retry_after(exc.headers) if transient else None)
    except urllib.error.URLError as exc:
        return Attempt(False, str(exc.reason), transient=True)
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(False, f"{type(exc).__name__}: {exc}", transient=True)


def post(url: str, body: dict[str, Any], *, timeout: float, tries: Tries) -> Delivery:
    """POST `body` as JSON to `url`, retrying transient failures as `tries` allows."""
    target = redact(url)
    data = json.dumps(body, ensure_ascii=True).encode()

    def once() -> Attempt:
        attempt = _once(url, data, timeout)
        return Attempt(
            attempt.ok, attempt.detail.replace(url, target), attempt.transient, attempt.wait
        )

    return with_retries("webhook", target, tries, once)
