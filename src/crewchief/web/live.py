"""Server-sent events for a run in progress: its state as it changes, its transcript as it grows.

The store is polled (every half second by default) rather than notified, because the runner is
another process; the stream ends once the run leaves the states in which it can still change by
itself, and the page then reloads to show the report.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from crewchief.errors import UserError
from crewchief.textsafe import visible
from crewchief.web.app import WebContext
from crewchief.web.pages import LIVE_STATES, context

router = APIRouter()

CHUNK = 64 * 1024
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 3600.0
"""The browser's EventSource reconnects by itself after this."""


def event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def read_growth(path: str | None, offset: int) -> tuple[list[str], int]:
    """Complete new lines of the transcript after `offset` (a partial last line waits)."""
    if not path:
        return [], offset
    try:
        file = Path(path)
        size = file.stat().st_size
        if size < offset:  # truncated or replaced: start again
            offset = 0
        if size == offset:
            return [], offset
        with open(file, "rb") as fh:
            fh.seek(offset)
            data = fh.read(CHUNK)
    except OSError:
        return [], offset
    cut = data.rfind(b"\n")
    if cut == -1 and len(data) < CHUNK:
        return [], offset
    usable = data if cut == -1 else data[: cut + 1]
    lines = usable.decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [visible(line, 2000) for line in lines], offset + len(usable)


async def stream(
    request: Request, ctx: WebContext, run_id: int, offset: int | None
) -> AsyncIterator[bytes]:
    last: tuple[str, str | None, int | None] | None = None
    started = time.monotonic()
    quiet = started
    while time.monotonic() - started < MAX_STREAM_SECONDS:
        try:
            run = await run_in_threadpool(ctx.store.run, run_id)
        except UserError:
            yield event("end", {"state": None})
            return
        state = (run.state, run.verdict, run.risk)
        if state != last:
            last = state
            quiet = time.monotonic()
            yield event("state", {"state": run.state, "verdict": run.verdict, "risk": run.risk})
        if offset is None:
            offset = 0
            try:
                offset = Path(run.transcript).stat().st_size if run.transcript else 0
            except OSError:
                offset = 0
        lines, offset = await run_in_threadpool(read_growth, run.transcript, offset)
        if lines:
            quiet = time.monotonic()
            yield event("transcript", {"lines": lines, "offset": offset})
        if run.state not in LIVE_STATES:
            yield event("end", {"state": run.state})
            return
        if time.monotonic() - quiet > KEEPALIVE_SECONDS:
            quiet = time.monotonic()
            yield b": keepalive\n\n"
        if await request.is_disconnected():
            return
        await asyncio.sleep(ctx.poll_seconds)


@router.get("/runs/{run_id}/events")
async def run_events(request: Request, run_id: int, offset: int | None = None) -> StreamingResponse:
    ctx = context(request)
    return StreamingResponse(
        stream(request, ctx, run_id, offset),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )
