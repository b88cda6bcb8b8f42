"""What one notification channel did, and the bounded retry both channels share.

A notification is a courtesy, never part of the batch's result: each channel reports a `Delivery`
that the caller prints as one line, and nothing here raises for a failure on the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Delivery:
    channel: Literal["webhook", "email"]
    target: str
    """Where it went, safe to print: a webhook URL without its secret path, or the addresses."""
    ok: bool
    detail: str
    """What the other end said (`HTTP 200`, `HTTP 404 no_service`, `connection refused`)."""
    tries: int

    def line(self) -> str:
        """One line for a log or a terminal."""
        tries = f" after {self.tries} tries" if self.tries > 1 else ""
        if self.ok:
            return f"notified {self.channel} {self.target} ({self.detail}{tries})"
        return f"notify: {self.channel} {self.target} failed{tries}: {self.detail}"


@dataclass(frozen=True)
class Attempt:
    """One try's outcome: `transient` ones are tried again, after `wait` seconds when the other
    end said how long (a `Retry-After`), else after the backoff."""

    ok: bool
    detail: str
    transient: bool = False
    wait: float | None = None


@dataclass(frozen=True)
class Tries:
    retries: int
    max_wait_s: float
    sleep: Sleep

    def wait_before(self, retry: int, asked: float | None) -> float:
        """Seconds before retry number `retry` (0-based): what was asked, else 1, 2, 4...; never
        more than `max_wait_s`, never negative."""
        wanted = asked if asked is not None else float(2**retry)
        return max(0.0, min(wanted, self.max_wait_s))


def with_retries(
    channel: Literal["webhook", "email"], target: str, tries: Tries, once: Callable[[], Attempt]
) -> Delivery:
    """Call `once` until it succeeds, fails for good, or `tries.retries` retries are spent."""
    attempt = once()
    count = 1
    while not attempt.ok and attempt.transient and count <= tries.retries:
        tries.sleep(tries.wait_before(count - 1, attempt.wait))
        attempt = once()
        count += 1
    return Delivery(channel, target, attempt.ok, attempt.detail, count)
