"""`POST /hooks/github`: GitHub's webhook, so every pull request opened or updated on the served
repository is gated and gets the report as a comment, whoever (or whatever agent) wrote it.

GitHub signs each delivery with the shared secret (`X-Hub-Signature-256`, HMAC-SHA256 of the body);
a delivery without a signature or with a wrong one is refused with 401 and logged, and with no
secret configured the endpoint refuses everything (503) rather than trust anyone. The web token
does not apply here (GitHub cannot send it); the signature is the authentication. A delivery id
seen before (GitHub redelivers, and an attacker can replay a captured request) is acknowledged and
not processed again; the ids are kept in the repository's state folder, so a restart does not
forget them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from crewchief import git
from crewchief.errors import UserError
from crewchief.review.pr_gate import PullRequestGates, PullRequestJob
from crewchief.review.remote import owner_repo
from crewchief.statepaths import state_dir
from crewchief.textsafe import visible

router = APIRouter()
LOG = logging.getLogger("crewchief.webhooks")
GATED_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
MAX_BODY = 25 * 1024 * 1024
"""GitHub caps a webhook payload at 25 MB; anything larger is not from GitHub."""
_KEEP_IDS = 10_000


class Deliveries:
    """Delivery ids already processed, in a file under the state folder (newest last)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def first_time(self, delivery: str) -> bool:
        """Record `delivery`; False if it was recorded before."""
        with self._lock:
            known = self.path.read_text("utf-8").split() if self.path.exists() else []
            if delivery in known:
                return False
            known = [*known[-(_KEEP_IDS - 1) :], delivery]
            self.path.write_text("\n".join(known) + "\n", "utf-8")
            return True


class GitHubHooks:
    def __init__(self, repo: Path, secret: str | None, gates: PullRequestGates) -> None:
        self.repo = repo
        self.secret = secret.encode() if secret else None
        self.gates = gates
        self.deliveries = Deliveries(state_dir(repo) / "github-deliveries.txt")

    def signed(self, body: bytes, signature: str) -> bool:
        assert self.secret is not None
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("latin-1", "replace"))

    def this_repository(self) -> str | None:
        """OWNER/NAME of the served repository's `origin`; None when it names none."""
        url = git.run(self.repo, "remote", "get-url", "origin", check=False).text().strip()
        try:
            owner, name = owner_repo(url) if url else ("", "")
        except UserError:
            return None
        return f"{owner}/{name}" if owner else None


def _answer(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text + "\n", status_code=status)


def _refuse(request: Request, status: int, why: str) -> PlainTextResponse:
    client = request.client.host if request.client else "?"
    delivery = visible(request.headers.get("x-github-delivery", "-"), 80)
    LOG.warning("webhook refused (%s) from %s, delivery %s", why, client, delivery)
    return _answer(status, why)


def _job(payload: Any, delivery: str) -> PullRequestJob | None:
    """The gate a pull_request event asks for, or None for an event with nothing to gate."""
    if not isinstance(payload, dict) or payload.get("action") not in GATED_ACTIONS:
        return None
    pr, repo = payload.get("pull_request"), payload.get("repository")
    if not isinstance(pr, dict) or not isinstance(repo, dict):
        return None
    try:
        return PullRequestJob(
            repository=str(repo["full_name"]),
            number=int(pr["number"]),
            base_sha=str(pr["base"]["sha"]),
            head_sha=str(pr["head"]["sha"]),
            delivery=delivery,
        )
    except (KeyError, TypeError, ValueError):
        return None


@router.post("/hooks/github")
async def github_hook(request: Request) -> PlainTextResponse:
    hooks: GitHubHooks | None = getattr(request.app.state, "github_hooks", None)
    if hooks is None or hooks.secret is None:
        return _refuse(request, 503, "webhooks are off: start serve with CREWCHIEF_WEBHOOK_SECRET")
    body = await request.body()
    if len(body) > MAX_BODY:
        return _refuse(request, 413, "payload too large")
    signature = request.headers.get("x-hub-signature-256")
    if not signature:
        return _refuse(request, 401, "unsigned delivery")
    if not hooks.signed(body, signature):
        return _refuse(request, 401, "signature does not match")
    event = request.headers.get("x-github-event", "")
    delivery = request.headers.get("x-github-delivery", "")
    if event == "ping":
        return _answer(200, "pong")
    if not delivery or not hooks.deliveries.first_time(delivery):
        return _answer(200, "already processed")
    try:
        payload = json.loads(body)
    except ValueError:
        return _refuse(request, 400, "the body is not JSON")
    job = _job(payload, delivery) if event == "pull_request" else None
    if job is None:
        return _answer(202, "nothing to gate")
    if job.repository.lower() != (hooks.this_repository() or "").lower():
        return _answer(202, "not this server's repository")
    hooks.gates.submit(job)
    return _answer(202, f"gating pull request #{job.number}")
