"""Decisions from the browser: approve and reject, POST only, each behind the CSRF check.

Both go through `crewchief.review` exactly as the CLI does (landing with a re-gate when the target
moved; rejection queueing the next attempt with the feedback). A refusal (blocked run, conflict,
wrong state) is shown as a page saying why; nothing changed.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from crewchief.errors import UserError
from crewchief.review.decide import reject
from crewchief.review.land import approve, identity
from crewchief.web.app import WebContext
from crewchief.web.pages import context, render
from crewchief.web.security import CSRF_FIELD, csrf_valid

router = APIRouter()

MAX_FORM_BYTES = 64 * 1024
MAX_FEEDBACK_CHARS = 20_000


class FormError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request) -> dict[str, str]:
    """A url-encoded form, size-capped, after checking its CSRF token (403 when it is wrong)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(413, "form too large\n")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and kind != "application/x-www-form-urlencoded":
        raise FormError(415, "send the form url-encoded\n")
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    ctx = context(request)
    nonce = request.state.csrf_nonce if request.state.csrf_cookie_sent else None
    if not csrf_valid(ctx.secret, nonce, form.get(CSRF_FIELD)):
        raise FormError(403, "missing or wrong CSRF token: reload the page and try again\n")
    return form


def reviewer(ctx: WebContext) -> str:
    """`Name <email>` as `crewchief reject` records it: the configured name, git's email."""
    name, email = identity(ctx.repo, ctx.who)
    return f"{name} <{email}>"


def refused(request: Request, run_id: int, exc: Exception) -> HTMLResponse:
    return render(
        request,
        "message.html",
        409,
        title="Nothing was changed",
        message=str(exc),
        back=f"/runs/{run_id}",
    )


@router.post("/runs/{run_id}/approve")
async def approve_run(request: Request, run_id: int) -> Response:
    try:
        form = await read_form(request)
    except FormError as exc:
        return PlainTextResponse(str(exc), exc.status)
    ctx = context(request)

    def land() -> None:
        with ctx.actions:
            run = ctx.store.run(run_id)
            task = ctx.store.task(run.task_id)
            approve(
                ctx.store,
                ctx.repo,
                run_id,
                who=ctx.who,
                regate=ctx.regate,
                force=form.get("force") == "1",
                title=task.title if task else None,
            )

    try:
        await run_in_threadpool(land)
    except UserError as exc:
        return refused(request, run_id, exc)
    return RedirectResponse(f"/runs/{run_id}?done=approved", status_code=303)


@router.post("/runs/{run_id}/reject")
async def reject_run(request: Request, run_id: int) -> Response:
    try:
        form = await read_form(request)
    except FormError as exc:
        return PlainTextResponse(str(exc), exc.status)
    ctx = context(request)
    feedback = form.get("feedback", "").replace("\r\n", "\n")
    if len(feedback) > MAX_FEEDBACK_CHARS:
        return refused(
            request, run_id, UserError("the feedback is too long (20,000 characters at most)")
        )

    def decide() -> None:
        with ctx.actions:
            reject(ctx.store, run_id, feedback, reviewer(ctx), retry=form.get("no_retry") != "1")

    try:
        await run_in_threadpool(decide)
    except UserError as exc:
        return refused(request, run_id, exc)
    return RedirectResponse(f"/runs/{run_id}?done=rejected", status_code=303)
