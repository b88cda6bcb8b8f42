"""Gate a GitHub pull request, whoever wrote it, and post the report on it: what the webhook
receiver (`crewchief.web.hooks`) does for every opened or updated pull request.

The pull request's head is fetched from the repository's `origin` (`refs/pull/N/head`, which GitHub
keeps for forks too) into `refs/crewchief/pull/N`, and gated against the base commit the event
names. Only the static checks run unless the server was started with full gates allowed: a pull
request from anyone must not run its code on the reviewers' server by default.

Jobs run one at a time on one worker thread, in arrival order: a burst of pushes queues rather than
gating in parallel on a shared repository. `drain()` waits for the queue to empty (tests use it;
nothing waits on a clock).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crewchief import git
from crewchief.errors import CrewchiefError
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Report
from crewchief.gate.report import render_markdown
from crewchief.github import GitHub, upsert_comment

LOG = logging.getLogger("crewchief.webhooks")


@dataclass(frozen=True)
class PullRequestJob:
    repository: str
    """OWNER/NAME, as GitHub names it."""
    number: int
    base_sha: str
    head_sha: str
    delivery: str


@dataclass
class PullRequestGates:
    repo: Path
    full_gates: bool = False
    github: Callable[[], GitHub] = GitHub.from_env

    def __post_init__(self) -> None:
        self._queue: queue.Queue[PullRequestJob] = queue.Queue()
        self.reports: dict[str, Report] = {}
        """Last report per delivery id (what the server shows and tests read)."""
        self.failures: dict[str, str] = {}
        self._worker = threading.Thread(target=self._work, daemon=True, name="pr-gates")
        self._worker.start()

    def submit(self, job: PullRequestJob) -> None:
        self._queue.put(job)

    def drain(self) -> None:
        self._queue.join()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._gate_and_post(job)
            except (CrewchiefError, OSError) as exc:
                self.failures[job.delivery] = str(exc)
                LOG.warning("pull request %s#%d not gated: %s", job.repository, job.number, exc)
            finally:
                self._queue.task_done()

    def _gate_and_post(self, job: PullRequestJob) -> None:
        ref = f"refs/crewchief/pull/{job.number}"
        git.run(
            self.repo, "fetch", "--quiet", "--no-tags", "origin",
            f"+refs/pull/{job.number}/head:{ref}", timeout=600,
        )  # fmt: skip
        head = git.resolve_commit(self.repo, ref)
        if head != job.head_sha:
            LOG.info("pull request #%d moved on since the event; gating %s", job.number, head)
        report = run_gate(
            GateRequest(repo=self.repo, base=job.base_sha, head=head, static=not self.full_gates)
        )
        self.reports[job.delivery] = report
        link = f"https://github.com/{job.repository}/blob/{head}"
        body = render_markdown(report, link_base=link)
        upsert_comment(self.github(), job.repository, job.number, body)
