"""`create_app` builds the review UI for one repository; `serve` runs it until interrupted.

The UI reads the store and the repository, and decides: approve and reject go through
`crewchief.review` exactly as the CLI does. It queues work; it never runs an agent.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from crewchief import git, statepaths
from crewchief.errors import UserError
from crewchief.review.land import Regate, gate_replayed
from crewchief.store import Store, open_store
from crewchief.web import filters
from crewchief.web.diffview import DiffCache
from crewchief.web.security import AccessGuard, is_loopback
from crewchief.web.snapshot import ChangeCache

HERE = Path(__file__).parent
POLL_SECONDS = 0.5


@dataclass
class WebContext:
    """What every request handler needs; one per app."""

    repo: Path
    store: Store
    templates: Environment
    secret: bytes
    regate: Regate | None
    who: str | None
    poll_seconds: float
    evidence_root: Path
    cache: ChangeCache
    diffs: DiffCache = field(default_factory=DiffCache)
    actions: threading.Lock = field(default_factory=threading.Lock)
    """Decisions are taken one at a time: landing moves refs in one repository."""


def templates() -> Environment:
    env = Environment(
        # The package's shared templates second: the morning brief's sections, which
        # `crewchief brief --format html` renders too.
        loader=ChoiceLoader(
            [FileSystemLoader(HERE / "templates"), FileSystemLoader(HERE.parent / "templates")]
        ),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters.FILTERS)
    env.globals.update(filters.GLOBALS)
    return env


WEBHOOK_SECRET_ENV = "CREWCHIEF_WEBHOOK_SECRET"


def create_app(
    repo_root: Path,
    token: str | None = None,
    *,
    store: Store | None = None,
    regate: Regate | None = gate_replayed,
    who: str | None = None,
    poll_seconds: float = POLL_SECONDS,
    webhook_secret: str | None = None,
    webhook_full_gates: bool = False,
) -> FastAPI:
    """The review UI for `repo_root`. `token`, when given, is required on every request;
    `regate=None` lands a replayed change without gating it again (tests only);
    `webhook_secret` turns on `POST /hooks/github` (see `crewchief.web.hooks`)."""
    from crewchief.review.pr_gate import PullRequestGates
    from crewchief.web import actions, hooks, live, pages

    root = git.toplevel(repo_root)
    store = store or open_store(root)
    ctx = WebContext(
        repo=root,
        store=store,
        templates=templates(),
        secret=secrets.token_bytes(32),
        regate=regate,
        who=who,
        poll_seconds=poll_seconds,
        evidence_root=statepaths.state_dir(root),
        cache=ChangeCache(store),
    )
    app = FastAPI(
        title="crewchief review", docs_url=None, redoc_url=None, openapi_url=None
    )  # the docs pages load scripts from a CDN: the UI works offline and has none
    app.state.ctx = ctx
    app.state.github_hooks = (
        hooks.GitHubHooks(root, webhook_secret, PullRequestGates(root, webhook_full_gates))
        if webhook_secret
        else None
    )
    app.include_router(hooks.router)
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.include_router(live.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(AccessGuard, token=token)
    return app


def check_binding(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise UserError(
            f"serving on {host} (beyond this machine) needs a token: pass --token or set "
            "CREWCHIEF_WEB_TOKEN, or bind 127.0.0.1"
        )


def serve(
    repo: Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    *,
    webhook_secret: str | None = None,
    webhook_full_gates: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the UI until interrupted; refuses to bind beyond loopback without a token."""
    import uvicorn

    check_binding(host, token)
    app = create_app(
        repo, token, webhook_secret=webhook_secret, webhook_full_gates=webhook_full_gates
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        # The token itself is never printed (logs keep it): the user has it.
        on_ready(f"http://{shown}:{port}/" + ("?token=<your token>" if token else ""))
    server.run()
