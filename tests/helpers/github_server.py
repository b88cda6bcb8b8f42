"""A GitHub-shaped REST server on loopback for tests: it answers a script of expected calls in order,
records each request (method, path, headers, JSON body) and refuses anything off-script, so a test
sees exactly what crewchief sent. No test reaches the network.

`github_server` is the bare server (for a client built by hand, or a subprocess given the URL);
`github_api` also points crewchief, run in this process, at it through the environment."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "t0ken"
"""The token tests hand crewchief; the server does not check it, a test asserts it was sent as given."""


@dataclass
class Reply:
    method: str
    path: str
    """The request path expected, query string included."""
    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    cut_after: int | None = None
    """Promise a 100-byte body, send only this many bytes of it and hang up: a reply cut short."""


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: Any


@dataclass
class Script:
    replies: list[Reply]
    seen: list[Seen] = field(default_factory=list)
    off_script: list[str] = field(default_factory=list)
    url: str = ""

    def done(self) -> bool:
        return not self.replies and not self.off_script


@contextmanager
def github_server(replies: list[Reply]) -> Iterator[Script]:
    script = Script(list(replies))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            with lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                script.seen.append(Seen(self.command, self.path, headers, body))
                expected = script.replies[0] if script.replies else None
                if expected is None or (expected.method, expected.path) != (
                    self.command,
                    self.path,
                ):
                    script.off_script.append(f"{self.command} {self.path}")
                    expected = Reply(self.command, self.path, 418, {"message": "off script"})
                else:
                    script.replies.pop(0)
            payload = json.dumps(expected.body).encode() if expected.body is not None else b""
            self.send_response(expected.status)
            self.send_header("Content-Type", "application/json")
            cut = expected.cut_after
            self.send_header("Content-Length", str(len(payload) if cut is None else 100))
            for key, value in expected.headers.items():
                self.send_header(key, value.replace("{url}", script.url))
            self.end_headers()
            self.wfile.write(payload if cut is None else payload[:cut])
            if cut is not None:
                self.close_connection = True

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    script.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def github_api(
    monkeypatch: pytest.MonkeyPatch, replies: list[Reply], **env: str
) -> Iterator[Script]:
    """`github_server`, with crewchief in this process sent to it the way an Actions runner sends
    it: `GITHUB_API_URL` and `GITHUB_TOKEN` (`TOKEN`) set, and each of `env` (`GITHUB_REPOSITORY`,
    `GITHUB_EVENT_PATH`, ...) too. The variables outlive the block until the test ends, as
    monkeypatch's do; a second block in the same test points them at its own server."""
    with github_server(replies) as script:
        for key, value in {"GITHUB_API_URL": script.url, "GITHUB_TOKEN": TOKEN, **env}.items():
            monkeypatch.setenv(key, value)
        yield script
