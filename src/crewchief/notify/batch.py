"""Send the brief when a `crewchief run` batch ends, and when its `--until` deadline passes.

At the deadline no new run starts but runs in flight finish within their own budgets, which can
take a while: the lead who said "until 07:00" hears at 07:00 (the brief lists what is still
running), and again when the batch ends. The brief's window is the batch: runs queued, started or
ended since it began. A brief with nothing in it (no run worked, queued or running) is not sent,
so a `crewchief run` on an empty queue from cron stays quiet.

Nothing here may fail the batch: any error, on the wire or in building the brief, becomes one
warning line, and the batch's result and exit code are what they would have been.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from crewchief.notify import send_brief
from crewchief.notify.delivery import Delivery, Sleep
from crewchief.review.brief import collect
from crewchief.spec.policy import NotifyPolicy
from crewchief.store import Store
from crewchief.textsafe import visible

Say = Callable[[Delivery | str], None]
"""Where outcomes go: a `Delivery`, or a warning line about a notification that could not be built."""


class BatchNotice:
    """One batch's notifications: the brief of the runs since the batch began, sent from a timer
    thread at the deadline (if the batch is still working then) and from the caller at the end.
    A lock keeps the two from interleaving; the end waits for a deadline send in progress."""

    def __init__(
        self,
        store: Store,
        policy: NotifyPolicy,
        deadline: dt.datetime | None,
        say: Say,
        *,
        env: Mapping[str, str] | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.store = store
        self.policy = policy
        self.deadline = deadline
        self.say = say
        self.env = env
        self.sleep = sleep
        self.since = dt.datetime.now(dt.UTC)
        self._lock = threading.Lock()
        self._ended = False
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        """Arm the deadline's notification, if there is a deadline still to come."""
        if not self.policy.configured or self.deadline is None:
            return
        left = (self.deadline - dt.datetime.now(dt.UTC)).total_seconds()
        if left <= 0:
            return  # the batch ends at once, and says so then
        self._timer = threading.Timer(left, self._deadline_passed)
        self._timer.daemon = True
        self._timer.name = "notify-deadline"
        self._timer.start()

    def _deadline_passed(self) -> None:
        with self._lock:
            if not self._ended:
                assert self.deadline is not None
                at = self.deadline.astimezone().strftime("%H:%M")
                self._send(f"crewchief: deadline {at} passed")

    def end(self, *, send: bool = True) -> None:
        """The batch is over: stop the deadline's timer and (unless `send` is false, as after an
        interrupt) send the batch's brief. Waits for a deadline notification being sent."""
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._ended = True
            if send and self.policy.configured:
                self._send("crewchief: batch ended")

    def _send(self, headline: str) -> None:
        try:
            brief = collect(self.store, self.since, dt.datetime.now(dt.UTC))
            if not (brief.ready or brief.review or brief.gave_up or brief.running):
                return
            for delivery in send_brief(
                brief, self.policy, headline, env=self.env, sleep=self.sleep
            ):
                self.say(delivery)
        except Exception as exc:  # a notification never fails the batch
            self.say(f"notify: not sent: {type(exc).__name__}: {visible(str(exc), 200)}")


@contextmanager
def notify_batch(
    store: Store,
    policy: NotifyPolicy,
    deadline: dt.datetime | None,
    say: Say,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Sleep = time.sleep,
) -> Iterator[BatchNotice]:
    """Around the work of a batch: arms the deadline's notification, sends the batch's brief when
    the block ends normally, and only stops the timer when it raises (an interrupt, a crash)."""
    notice = BatchNotice(store, policy, deadline, say, env=env, sleep=sleep)
    notice.start()
    try:
        yield notice
    except BaseException:
        notice.end(send=False)
        raise
    notice.end()
