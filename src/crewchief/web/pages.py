"""The pages (GET only: reading never changes anything): home (the morning brief above the
queue), run, tasks, evidence, JSON."""

from __future__ import annotations

import datetime as dt
import functools
import os
import stat
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from sqlalchemy import func, select

from crewchief import git
from crewchief.errors import UserError
from crewchief.review import brief as briefing
from crewchief.review.decide import feedback_history
from crewchief.review.queue import review_document
from crewchief.review.show import diff_text, transcript_tail
from crewchief.store import RunState
from crewchief.store.db import run_to_json
from crewchief.store.models import RunRow
from crewchief.tasks.catalog import load_catalog
from crewchief.web import diffview
from crewchief.web.app import WebContext
from crewchief.web.queueview import Query, Snapshot, queue_page, snapshot
from crewchief.web.security import csrf_token
from crewchief.web.snapshot import load_awaiting, no_gc_pauses

router = APIRouter()

AWAITING = [RunState.AWAITING_REVIEW]
LIVE_STATES = frozenset({"queued", "preparing", "running", "validating"})
TRANSCRIPT_LINES = 200
BRIEF_ROWS = 25
"""Runs shown per section of the home page's brief: the queue below must stay in sight."""
EVIDENCE_BYTES = 2 * 1024 * 1024


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    ctx = context(request)
    nonce = request.state.csrf_nonce
    html = ctx.templates.get_template(name).render(
        csrf_token=csrf_token(ctx.secret, nonce), path=request.url.path, **values
    )
    return HTMLResponse(html, status, headers={"cache-control": "no-store"})


def not_found(request: Request, message: str) -> HTMLResponse:
    return render(request, "message.html", 404, title="Not found", message=message, back="/")


def whole_queue(ctx: WebContext) -> Snapshot:
    def compute() -> Snapshot:
        with no_gc_pauses():
            return snapshot(load_awaiting(ctx.store))

    return ctx.cache.get("queue", compute)


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    *,
    verdict: str = "",
    agent: str = "",
    task: str = "",
    sort: str = "rank",
    desc: bool = False,
    page: int = 1,
    since: str = "",
) -> HTMLResponse:
    """Home: the morning brief (since `since`, as `crewchief brief --since` takes it; 18:00 by
    default), then the whole review queue, filtered and sorted."""
    ctx = context(request)
    now = dt.datetime.now(dt.UTC)
    try:
        start = briefing.parse_since(since or briefing.DEFAULT_SINCE, now)
    except UserError as exc:
        return render(request, "message.html", 400, title="Bad request", message=str(exc), back="/")
    query = Query(verdict, agent, task, sort, desc, page)
    data = queue_page(whole_queue(ctx), query)
    brief = briefing.brief_view(briefing.collect(ctx.store, start, now), limit=BRIEF_ROWS)
    return render(request, "queue.html", q=query, data=data, brief=brief, links=True)


@router.get("/next")
def next_run(request: Request) -> RedirectResponse:
    """The top of the queue (where `n` goes after a decision)."""
    rows = whole_queue(context(request)).rows
    return RedirectResponse(f"/runs/{rows[0].run.id}" if rows else "/", status_code=303)


@router.get("/api/queue")
def api_queue(request: Request) -> JSONResponse:
    return JSONResponse(review_document(context(request).store.runs(AWAITING)))


@router.get("/api/runs/{run_id}")
def api_run(request: Request, run_id: int) -> JSONResponse:
    ctx = context(request)
    try:
        run = ctx.store.run(run_id)
    except UserError as exc:
        return JSONResponse({"error": str(exc)}, 404)
    return JSONResponse(
        {
            "schema": "crewchief.run/v1",
            "run": run_to_json(run),
            "report": ctx.store.latest_report(run_id),
        }
    )


def _commits(ctx: WebContext, run: RunRow) -> list[tuple[str, str]]:
    """The run's commits (id, message): agent-written text, shown escaped."""
    if not (run.base_commit and run.head_commit):
        return []
    try:
        out = git.run(
            ctx.repo,
            "log",
            "-n",
            "50",
            "--format=%H%x00%B%x1e",
            f"{run.base_commit}..{run.head_commit}",
        ).stdout.decode("utf-8", "surrogateescape")
    except UserError:
        return []
    commits = []
    for entry in out.split("\x1e"):
        sha, _, message = entry.strip("\n").partition("\0")
        if sha:
            commits.append((sha[:12], message.strip()[:5000]))
    return commits


def _prepare(ctx: WebContext, base: str, head: str) -> diffview.Parsed:
    text = diff_text(ctx.repo, base, head)
    with no_gc_pauses():
        return diffview.prepare(text)


def _diff(
    ctx: WebContext, run: RunRow, report: dict[str, Any] | None
) -> tuple[diffview.DiffView | None, str]:
    if not (run.base_commit and run.head_commit):
        return None, "no change recorded yet"
    base, head = run.base_commit, run.head_commit
    try:
        parsed = ctx.diffs.get((base, head), lambda: _prepare(ctx, base, head))
    except UserError as exc:
        return None, f"the diff is not available: {exc}"
    return diffview.place(parsed, report), ""


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: int, view: str = "unified", done: str = "") -> HTMLResponse:
    ctx = context(request)
    try:
        run = ctx.store.run(run_id)
    except UserError:
        return not_found(request, f"There is no run {run_id}.")
    report = ctx.store.latest_report(run_id)
    findings = diffview.number_findings(report)
    diff, diff_note = _diff(ctx, run, report)
    decisions = ctx.store.decisions(run_id)
    transcript = transcript_tail(run, TRANSCRIPT_LINES)
    size = _size(run.transcript)
    task = ctx.store.task(run.task_id)
    objective = (task.spec or {}).get("objective") if task else None
    return render(
        request,
        "run.html",
        run=run,
        task=task,
        objective=objective if isinstance(objective, str) else None,
        report=report,
        findings=findings,
        checks=_checks(report, findings),
        diff=diff,
        diff_note=diff_note,
        commits=_commits(ctx, run),
        view="split" if view == "split" else "unified",
        events=ctx.store.events(run_id),
        decisions=decisions,
        history=feedback_history(ctx.store, run),
        superseded=ctx.store.superseded_by(run_id) if run.state == "merged" else [],
        transcript=transcript,
        transcript_size=size,
        live=run.state in LIVE_STATES,
        done=done if done in ("approved", "rejected") else "",
        awaiting=run.state == RunState.AWAITING_REVIEW.value,
    )


def _size(path: str | None) -> int:
    try:
        return Path(path).stat().st_size if path else 0
    except OSError:
        return 0


def _checks(report: dict[str, Any] | None, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The gate's checks with the anchors of their findings and links to their evidence files."""
    out = []
    for index, check in enumerate((report or {}).get("checks", [])):
        out.append(
            {
                "index": index,
                "name": check.get("name", "?"),
                "status": check.get("status", "?"),
                "duration_s": check.get("duration_s"),
                "detail": check.get("detail", ""),
                "findings": [f for f in findings if f.get("check") == check.get("name")],
                "evidence": [
                    (number, Path(str(p)).name)
                    for number, p in enumerate(check.get("evidence", []))
                ],
            }
        )
    return out


def _evidence_allowed(path: Path, root: Path) -> bool:
    """Only the gate's evidence folders (`evidence/<gate>/`, `runs/<id>/evidence/`), only regular
    files, and no symlink anywhere on the way: agent code ran where evidence is written."""
    if not path.is_absolute() or ".." in path.parts:
        return False
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    parts = rel.parts
    in_gate = len(parts) >= 3 and parts[0] == "evidence"
    in_run = len(parts) >= 4 and parts[0] == "runs" and parts[2] == "evidence"
    if not (in_gate or in_run):
        return False
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return False
    return path.is_file()


@router.get("/runs/{run_id}/evidence/{check}/{number}")
def evidence(request: Request, run_id: int, check: int, number: int) -> Response:
    """One evidence file of one check, as plain text; only files inside crewchief's own folder."""
    ctx = context(request)
    report = ctx.store.latest_report(run_id) or {}
    try:
        raw = report["checks"][check]["evidence"][number]
    except (KeyError, IndexError, TypeError):
        return PlainTextResponse("no such evidence\n", 404)
    path = Path(str(raw))
    if not _evidence_allowed(path, ctx.evidence_root):
        return PlainTextResponse("this evidence file is not available\n", 404)
    try:
        # O_NOFOLLOW: the file was checked above; a symlink swapped in since is not followed.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return PlainTextResponse("this evidence file is not available\n", 404)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return PlainTextResponse("this evidence file is not available\n", 404)
        size = os.fstat(fh.fileno()).st_size
        fh.seek(max(0, size - EVIDENCE_BYTES))
        data = fh.read()
    note = f"[first {size - len(data)} bytes not shown]\n".encode() if size > len(data) else b""
    return Response(
        note + data,
        media_type="text/plain; charset=utf-8",
        headers={
            "content-security-policy": "sandbox; default-src 'none'",
            "cache-control": "no-store",
        },
    )


@router.get("/tasks", response_class=HTMLResponse)
def tasks(request: Request) -> HTMLResponse:
    ctx = context(request)
    catalog = load_catalog(ctx.repo)
    counts: dict[str, dict[str, int]] = {}
    latest: dict[str, int] = {}
    with ctx.store.session() as s:
        for task_id, state, count, last in s.execute(
            select(RunRow.task_id, RunRow.state, func.count(), func.max(RunRow.id)).group_by(
                RunRow.task_id, RunRow.state
            )
        ):
            counts.setdefault(task_id, {})[state] = count
            latest[task_id] = max(latest.get(task_id, 0), last)
    ids = sorted(set(catalog.tasks) | set(counts))
    rows = [
        {
            "id": task_id,
            "task": catalog.tasks.get(task_id),
            "counts": counts.get(task_id, {}),
            "latest": latest.get(task_id),
        }
        for task_id in ids
    ]
    errors = [str(message) for message in catalog.errors.values()]
    return render(request, "tasks.html", rows=rows, errors=errors)


@router.get("/highlight.css")
def highlight_css() -> Response:
    return Response(
        _pygments_css(), media_type="text/css", headers={"cache-control": "max-age=3600"}
    )


@functools.cache
def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style="default").get_style_defs(".code")  # type: ignore[no-untyped-call]
    return str(light)
