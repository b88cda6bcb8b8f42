"""`crewchief serve`: the browser review UI on this repository's runs."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from crewchief.cli.common import repo_root


def serve_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind (beyond loopback needs a token)."
    ),
    port: int = typer.Option(8765, "--port", help="Port to listen on."),
    token: str | None = typer.Option(
        None,
        "--token",
        help="Required on every request (Bearer header, or ?token= once); default: CREWCHIEF_WEB_TOKEN.",
    ),
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: here)."),
    webhook_full_gates: bool = typer.Option(
        False,
        "--webhook-full-gates",
        help="Pull requests gated by the GitHub webhook run the whole gate, tests included "
        "(default: static checks only, since anyone's code would run here).",
    ),
) -> None:
    """Serve the review queue, runs and tasks in a browser; decisions as in `approve`/`reject`.

    With CREWCHIEF_WEBHOOK_SECRET set, POST /hooks/github gates every pull request GitHub reports
    opened or updated and comments the report (GITHUB_TOKEN to post)."""
    from crewchief.web.app import WEBHOOK_SECRET_ENV, check_binding, serve
    from crewchief.web.security import TOKEN_ENV

    token = token or os.environ.get(TOKEN_ENV) or None
    check_binding(host, token)
    root = repo_root(repo)
    serve(
        root,
        host,
        port,
        token,
        webhook_secret=os.environ.get(WEBHOOK_SECRET_ENV) or None,
        webhook_full_gates=webhook_full_gates,
        on_ready=lambda url: typer.echo(f"crewchief review UI: {url} (ctrl-c stops)"),
    )
