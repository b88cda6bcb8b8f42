"""A scripted model server on loopback: the real agent programs talk to it instead of a provider.

It speaks just enough of two provider APIs for a coding agent to run a short conversation:
the Anthropic Messages API (`POST /v1/messages`, JSON or SSE), which Claude Code uses, and the OpenAI
Responses API (`POST /v1/responses`, SSE), which Codex CLI uses. Each answer of the main
conversation comes from a script (a list of `Reply`), chosen by how many tool results the agent has
sent back so far, so a retried request gets the same answer. Side requests an agent makes without
tools (titles, summaries) get a short neutral text. Everything received is recorded, with the usage
reported for it, so tests can assert the prompt reached the model and the agent's usage matches.

Bounded: loopback only, request bodies capped, a fixed number of requests served.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 8 * 1024 * 1024
MAX_REQUESTS = 500


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    freeform: str | None = None
    """For a Responses API custom (freeform) tool such as Codex's `apply_patch`: the raw input."""


@dataclass(frozen=True)
class Reply:
    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int = 1000
    output_tokens: int = 50


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body (None when empty or not JSON)."""
    reply: Reply | None = None
    """The scripted or side reply sent back (None for requests answered without a model turn)."""
    model: str | None = None

    @property
    def is_model_call(self) -> bool:
        return self.reply is not None


_SIDE_REPLY = Reply(text="ok", input_tokens=10, output_tokens=2)
_EXHAUSTED = Reply(text="The script has no more turns.", input_tokens=10, output_tokens=5)


class ScriptedModelServer:
    """Replays `script` to whichever agent connects; use as a context manager."""

    def __init__(self, script: Sequence[Reply], *, model: str = "scripted-model") -> None:
        self.script = list(script)
        self.model = model
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ScriptedModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    # What tests look at -------------------------------------------------------------------

    def model_calls(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.is_model_call]

    def scripted_calls(self) -> list[Recorded]:
        """Model calls of the main conversation (those that offered tools)."""
        return [r for r in self.model_calls() if r.reply is not _SIDE_REPLY]

    def total_tokens(self) -> tuple[int, int]:
        """(input, output) tokens this server reported over every model call."""
        calls = self.model_calls()
        return (
            sum(r.reply.input_tokens for r in calls if r.reply),
            sum(r.reply.output_tokens for r in calls if r.reply),
        )

    def unknown(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests if r.reply is None]

    def next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    # Choosing the answer ------------------------------------------------------------------

    def choose(self, results_seen: int, has_tools: bool) -> Reply:
        """The reply after `results_seen` tool results: the first turn whose calls are not all
        answered yet."""
        if not has_tools:
            return _SIDE_REPLY
        answered = 0
        for reply in self.script:
            if answered >= results_seen:
                return reply
            answered += len(reply.tool_calls)
        return _EXHAUSTED

    def record(self, entry: Recorded) -> bool:
        with self._lock:
            if len(self.requests) >= MAX_REQUESTS:
                return False
            self.requests.append(entry)
            return True


def _make_handler(server: ScriptedModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the requests list is the log

        def _read_body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: Any) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def do_HEAD(self) -> None:
            self._handle("HEAD")

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            raw = self._read_body()
            if raw is None:
                self._json(413, {"error": {"type": "too_large", "message": "body too large"}})
                return
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            entry = Recorded(method, self.path, dict(self.headers.items()), body)
            if not server.record(entry):
                self._json(429, {"error": {"type": "rate_limit", "message": "request budget"}})
                return
            path = self.path.split("?", 1)[0].rstrip("/")
            if method == "POST" and path.endswith("/messages/count_tokens"):
                self._json(200, {"input_tokens": 100})
            elif method == "POST" and path.endswith("/v1/messages") and isinstance(body, dict):
                self._anthropic(entry, body)
            elif method == "POST" and path.endswith("/responses") and isinstance(body, dict):
                self._responses(entry, body)
            elif method == "GET" and path.endswith("/models"):
                self._json(200, {"object": "list", "data": [], "models": []})
            else:
                self._json(404, {"error": {"type": "not_found", "message": "not scripted"}})

        # Anthropic Messages API -------------------------------------------------------

        def _anthropic(self, entry: Recorded, body: dict[str, Any]) -> None:
            seen = sum(
                1
                for message in body.get("messages") or ()
                if isinstance(message, dict) and isinstance(message.get("content"), list)
                for block in message["content"]
                if isinstance(block, dict) and block.get("type") == "tool_result"
            )
            reply = server.choose(seen, bool(body.get("tools")))
            entry.reply, entry.model = reply, str(body.get("model") or server.model)
            content: list[dict[str, Any]] = []
            if reply.text is not None:
                content.append({"type": "text", "text": reply.text})
            for call in reply.tool_calls:
                content.append(
                    {
                        "type": "tool_use",
                        "id": server.next_id("toolu"),
                        "name": call.name,
                        "input": call.arguments,
                    }
                )
            usage = {
                "input_tokens": reply.input_tokens,
                "output_tokens": reply.output_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            }
            message = {
                "id": server.next_id("msg"),
                "type": "message",
                "role": "assistant",
                "model": entry.model,
                "content": content,
                "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
                "stop_sequence": None,
                "usage": usage,
            }
            if not body.get("stream"):
                self._json(200, message)
                return
            self._send(200, b"".join(_anthropic_events(message)), "text/event-stream")

        # OpenAI Responses API ---------------------------------------------------------

        def _responses(self, entry: Recorded, body: dict[str, Any]) -> None:
            items = body.get("input")
            seen = sum(
                1
                for item in (items if isinstance(items, list) else ())
                if isinstance(item, dict) and str(item.get("type", "")).endswith("call_output")
            )
            reply = server.choose(seen, bool(body.get("tools")))
            entry.reply, entry.model = reply, str(body.get("model") or server.model)
            output: list[dict[str, Any]] = []
            for call in reply.tool_calls:
                if call.freeform is not None:
                    output.append(
                        {
                            "type": "custom_tool_call",
                            "id": server.next_id("ctc"),
                            "call_id": server.next_id("call"),
                            "name": call.name,
                            "input": call.freeform,
                            "status": "completed",
                        }
                    )
                else:
                    output.append(
                        {
                            "type": "function_call",
                            "id": server.next_id("fc"),
                            "call_id": server.next_id("call"),
                            "name": call.name,
                            "arguments": json.dumps(call.arguments),
                            "status": "completed",
                        }
                    )
            if reply.text is not None:
                output.append(
                    {
                        "type": "message",
                        "id": server.next_id("msg"),
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
                    }
                )
            response = {
                "id": server.next_id("resp"),
                "object": "response",
                "status": "completed",
                "model": entry.model,
                "output": output,
                "usage": {
                    "input_tokens": reply.input_tokens,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": reply.output_tokens,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": reply.input_tokens + reply.output_tokens,
                },
            }
            if body.get("stream") is False:
                self._json(200, response)
                return
            self._send(200, b"".join(_responses_events(response)), "text/event-stream")

    return Handler


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _anthropic_events(message: dict[str, Any]) -> Iterator[bytes]:
    start = {**message, "content": [], "stop_reason": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    yield _sse("message_start", {"type": "message_start", "message": start})
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            empty: dict[str, Any] = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            empty = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield _sse(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": empty},
        )
        yield _sse(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )
        yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        },
    )
    yield _sse("message_stop", {"type": "message_stop"})


def _responses_events(response: dict[str, Any]) -> Iterator[bytes]:
    pending = {**response, "status": "in_progress", "output": [], "usage": None}
    yield _sse("response.created", {"type": "response.created", "response": pending})
    for index, item in enumerate(response["output"]):
        yield _sse(
            "response.output_item.added",
            {"type": "response.output_item.added", "output_index": index, "item": item},
        )
        yield _sse(
            "response.output_item.done",
            {"type": "response.output_item.done", "output_index": index, "item": item},
        )
    yield _sse("response.completed", {"type": "response.completed", "response": response})
