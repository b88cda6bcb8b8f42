"""Runs as the runner leaves them, in real repositories, and the web app around them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from crewchief.web.app import create_app
from tests.helpers.repo import Repo
from tests.helpers.runfactory import fake_run

__all__ = ["BASE", "EVAL", "GOOD", "client", "fake_run"]

TASK = (
    "---\nid: {id}\ntitle: Greet politely\nscope: [app.py]\n---\n`greet('x')` returns 'hello x'.\n"
)
BASE = {
    "app.py": "def greet(name):\n    return 'hi ' + name\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
    **{f".crewchief/tasks/{t}.md": TASK.format(id=t) for t in ("greet", "other")},
}
GOOD = {"app.py": "def greet(name):\n    return 'hello ' + name\n"}
EVAL = {"app.py": "def greet(name):\n    eval(name)\n    return 'hello ' + name\n"}


@contextmanager
def client(repo: Repo, token: str | None = None, **options: Any) -> Iterator[httpx.Client]:
    """An HTTP client (with a cookie jar) talking to the app on a real loopback socket."""
    options.setdefault("regate", None)
    with (
        live_server(create_app(repo.path, token, **options)) as url,
        httpx.Client(base_url=url, follow_redirects=False, timeout=60) as http,
    ):
        yield http


CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread, a free loopback port); yields its URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the web server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def transcript_file(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)
