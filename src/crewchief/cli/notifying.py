"""The CLI's side of notifications: where `[notify]` comes from and how an outcome is printed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from crewchief.cli.common import worktree_policy
from crewchief.notify.batch import BatchNotice, notify_batch
from crewchief.notify.delivery import Delivery
from crewchief.store import Store


def print_delivery(console: Console, outcome: Delivery | str) -> None:
    """One line: dim when sent, a warning when not (the text may quote a server: escaped)."""
    if isinstance(outcome, Delivery) and outcome.ok:
        console.print(f"[dim]{escape(outcome.line())}[/]")
        return
    line = outcome.line() if isinstance(outcome, Delivery) else outcome
    console.print(f"[yellow]warning:[/] {escape(line)}")


@contextmanager
def batch_notifications(
    root: Path, store: Store, deadline: dt.datetime | None, console: Console
) -> Iterator[BatchNotice]:
    """`notify_batch` with the work tree's `[notify]` (a malformed one is exit 2 before any run)."""
    policy = worktree_policy(root).notify
    with notify_batch(store, policy, deadline, lambda o: print_delivery(console, o)) as notice:
        yield notice
