"""Who may talk to the review UI, and what the browser is allowed to do with its pages.

- Beyond loopback a token is required (`serve` refuses to start without one): every request
  carries `Authorization: Bearer TOKEN`, or logs in once with `?token=TOKEN`, which sets an
  HttpOnly cookie holding a digest of the token and redirects to the same URL without it (so the
  token does not stay in history or logs). Anything else gets 401.
- Without a token (loopback only) the Host header must name a loopback host, so a web page cannot
  reach the UI through DNS rebinding.
- CSRF: a random per-browser nonce lives in an HttpOnly, SameSite=Strict cookie; every form carries
  HMAC(server secret, nonce), and a POST whose field does not match is refused with 403 (a
  signed double-submit: a cookie an attacker plants cannot be paired with a valid field). A POST
  whose Origin names another site is refused too.
- Every response forbids framing, referrers and inline scripts (CSP): the only JavaScript is
  our own static file.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

AUTH_COOKIE = "crewchief_auth"
CSRF_COOKIE = "crewchief_csrf"
CSRF_FIELD = "csrf_token"
TOKEN_ENV = "CREWCHIEF_WEB_TOKEN"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def token_digest(token: str) -> str:
    return hashlib.sha256(b"crewchief-web-auth:" + token.encode()).hexdigest()


def csrf_token(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, nonce: str | None, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce), submitted)


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed Cookie header is treated as no cookies
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _cookie_header(name: str, value: str, path: str = "/") -> tuple[bytes, bytes]:
    return (
        b"set-cookie",
        f"{name}={value}; Path={path}; HttpOnly; SameSite=Strict".encode("latin-1"),
    )


_Answer = tuple[int, str, list[tuple[bytes, bytes]]]
"""A plain-text response: status, body, extra headers."""


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *HEADERS,
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


HOOKS_PREFIX = "/hooks/"
"""Webhook endpoints: they authenticate each request by its signature (`crewchief.web.hooks`)."""


class AccessGuard:
    """ASGI middleware: authentication, Host check, the CSRF nonce cookie, security headers."""

    def __init__(self, app: ASGIApp, *, token: str | None) -> None:
        self.app = app
        self.token = token
        self.digest = token_digest(token) if token else None

    def _authorized(self, headers: dict[bytes, bytes], cookies: dict[str, str]) -> bool:
        assert self.token is not None and self.digest is not None
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), self.token.encode()
        ):
            return True
        return hmac.compare_digest(cookies.get(AUTH_COOKIE, "").encode(), self.digest.encode())

    def _login(self, scope: Scope) -> _Answer:
        """Without a valid token: `?token=` on a GET trades the token for a cookie (and a redirect
        that drops it from the address bar); anything else is a 401."""
        assert self.token is not None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = next((v for k, v in query if k == "token"), None)
        if (
            given is not None
            and scope["method"] == "GET"
            and self.digest is not None
            and hmac.compare_digest(given.encode(), self.token.encode())
        ):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            # one leading slash: "//host" would be a redirect to another site
            location = "/" + quote(scope["path"].lstrip("/")) + (f"?{rest}" if rest else "")
            cookie = _cookie_header(AUTH_COOKIE, self.digest)
            return 303, "logged in\n", [(b"location", location.encode()), cookie]
        return (
            401,
            "a token is required: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN\n",
            [(b"www-authenticate", b"Bearer")],
        )

    def _refusal(
        self, scope: Scope, headers: dict[bytes, bytes], cookies: dict[str, str]
    ) -> _Answer | None:
        """The answer that ends a request before the app sees it, if any: a Host name beyond
        loopback when no token is set (DNS rebinding), a missing token, a cross-site POST."""
        if scope["path"].startswith(HOOKS_PREFIX) and scope["method"] == "POST":
            return None  # a webhook carries no token or cookie: its signature is checked instead
        if self.token is None:
            host = _hostname(headers.get(b"host", b"").decode("latin-1"))
            if not is_loopback(host):
                return 403, "this server answers only to a loopback Host name\n", []
        elif not self._authorized(headers, cookies):
            return self._login(scope)
        if scope["method"] == "POST":
            origin = headers.get(b"origin", b"").decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if origin and origin != "null" and origin.split("://", 1)[-1] != host:
                return 403, "cross-site request refused\n", []
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cookies = _cookies(headers)
        refusal = self._refusal(scope, headers, cookies)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        nonce = cookies.get(CSRF_COOKIE)
        fresh = None
        if not nonce or len(nonce) > 100:
            nonce = fresh = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_nonce"] = nonce
        scope["state"]["csrf_cookie_sent"] = fresh is None
        await self.app(scope, receive, _with_security_headers(send, fresh))


def _with_security_headers(send: Send, fresh_nonce: str | None) -> Send:
    """`send`, adding the security headers (and a new CSRF nonce cookie) to the response start;
    headers the app set itself win, except cookies, which add up."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = list(HEADERS)
            if fresh_nonce is not None:
                extra.append(_cookie_header(CSRF_COOKIE, fresh_nonce))
            names = {name for name, _ in message.get("headers", [])}
            message["headers"] = [
                *message.get("headers", []),
                *(h for h in extra if h[0] not in names or h[0] == b"set-cookie"),
            ]
        await send(message)

    return send_with_headers
