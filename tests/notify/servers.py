"""A mail server on loopback (aiosmtpd) that keeps what it receives, and a port nothing listens
on. The webhook side uses `tests.helpers.github_server`, a scripted HTTP server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A port on loopback that was free a moment ago (aiosmtpd's controller wants one named)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def closed_url(path: str = "/services/T0/B0/secret") -> str:
    """An http URL on loopback where nothing listens: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}{path}"


@dataclass
class Mailbox:
    port: int
    replies: list[str] = field(default_factory=list)
    """What the server answers to DATA, in order (then 250): "451 ..." is a transient refusal."""
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    data_calls: int = 0


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.data_calls += 1
        if self.box.replies:
            return self.box.replies.pop(0)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.box.received.append(parsed)
        self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server(user: str = "lead", password: str = "s3cret") -> Iterator[Mailbox]:
    """A plain SMTP server on 127.0.0.1 (no STARTTLS); AUTH LOGIN/PLAIN accepts `user` and
    `password` only and records every attempt."""
    box = Mailbox(free_port())

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword):
            box.logins.append((data.login.decode(), data.password.decode()))
            ok = (data.login.decode(), data.password.decode()) == (user, password)
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
