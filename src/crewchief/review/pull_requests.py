"""Review on GitHub, decide in either place: `crewchief pr` opens a run as a pull request carrying
the gate's report and verdict, and `crewchief sync` brings back what people did there.

- A pull request merged on GitHub marks its run merged, with the person who merged it as the
  decision's author (the merge happened on GitHub: nothing is landed locally; `git pull` brings it).
- A pull request closed without merging marks the run rejected, with no new attempt.
- A pull request labelled `crewchief:retry` is rejected with its review comments as the feedback,
  which queues the next attempt exactly as `crewchief reject` does; the label is removed so the
  same feedback is not sent twice.
- A decided run whose task was imported from an issue (`task import github`) gets its outcome
  commented on that issue, once. An issue deleted since is recorded as such, said once, and not
  tried again; a failure that may pass (GitHub's 5xx, a token that cannot see the repository)
  is tried again at the next sync.

Everything a person or an agent wrote on GitHub is stored as text and escaped where shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crewchief import git
from crewchief.errors import UserError
from crewchief.gate.findings import Report
from crewchief.gate.report import render_markdown
from crewchief.github import GitHub, GitHubError, set_status, upsert_comment
from crewchief.review.decide import reject
from crewchief.review.remote import github_repository, open_pull_request, push
from crewchief.store import RunState
from crewchief.store.db import Store
from crewchief.store.models import RunRow
from crewchief.tasks.from_issues import ISSUE_URL, fetch_issue
from crewchief.textsafe import markdown_inline

RETRY_LABEL = "crewchief:retry"
_FEEDBACK_LIMIT = 8000


def _body(run: RunRow, report: dict[str, Any] | None, repository: str) -> str:
    header = (
        f"Opened by crewchief: agent {markdown_inline(run.agent, 80)}, attempt {run.attempt}, "
        f"run {run.id}.\n\n"
    )
    if not report:
        return header + "The run has no gate report yet.\n"
    link = f"https://github.com/{repository}/blob/{run.head_commit}" if run.head_commit else None
    return header + render_markdown(Report.from_json(report), link_base=link)


def open_run(store: Store, repo: Path, run_id: int, remote: str, gh: GitHub) -> str:
    """Push the run, open its pull request with the report, set the verdict as the head's commit
    status, and record the pull request on the run; returns its URL."""
    run = store.run(run_id)
    if run.pr_url:
        raise UserError(f"run {run.id} already has a pull request: {run.pr_url}")
    push(repo, run, remote)
    repository = github_repository(repo, remote)
    report = store.latest_report(run.id)
    task = store.task(run.task_id)
    made = open_pull_request(
        gh,
        repository,
        run,
        title=task.title if task else f"crewchief run {run.id}",
        body=_body(run, report, repository),
    )
    url = str(made.get("html_url") or "")
    store.update_run(run.id, pr_url=url or None)
    head = run.head_commit or git.resolve_commit(repo, f"refs/heads/{run.branch}")
    if report:
        set_status(gh, repository, head, str(report.get("verdict")), report.get("risk"), url)
    return url


@dataclass(frozen=True)
class Synced:
    run_id: int
    outcome: str
    """merged, rejected, retried (with the next run's id), open, or what failed."""


def _number(url: str) -> tuple[str, int]:
    """OWNER/NAME and number from a pull request's html URL."""
    parts = url.rstrip("/").split("/")
    try:
        return f"{parts[-4]}/{parts[-3]}", int(parts[-1])
    except (IndexError, ValueError):
        raise UserError(f"cannot read a pull request from {url!r}") from None


def _review_feedback(gh: GitHub, repository: str, number: int) -> str:
    """The reviews' bodies and the line comments, oldest first, as one feedback text."""
    parts: list[str] = []
    for review in gh.paginate(f"/repos/{repository}/pulls/{number}/reviews"):
        if isinstance(review, dict) and str(review.get("body") or "").strip():
            who = (review.get("user") or {}).get("login", "?")
            parts.append(f"{who}: {review['body'].strip()}")
    for comment in gh.paginate(f"/repos/{repository}/pulls/{number}/comments"):
        if isinstance(comment, dict) and str(comment.get("body") or "").strip():
            where = f"{comment.get('path', '?')}:{comment.get('line') or comment.get('original_line') or '?'}"
            parts.append(f"{where}: {comment['body'].strip()}")
    return "\n".join(parts)[:_FEEDBACK_LIMIT]


def _sync_one(store: Store, gh: GitHub, run: RunRow) -> Synced:
    assert run.pr_url is not None
    repository, number = _number(run.pr_url)
    pr = gh.call("GET", f"/repos/{repository}/pulls/{number}").data
    if not isinstance(pr, dict):
        return Synced(run.id, "unreadable answer from GitHub")
    if pr.get("merged"):
        who = str((pr.get("merged_by") or {}).get("login") or "github")
        sha = str(pr.get("merge_commit_sha") or "")
        store.transition(run.id, RunState.APPROVED, f"merged on GitHub by {who}",
                         expect=[RunState.AWAITING_REVIEW])  # fmt: skip
        store.record_decision(run.id, "approve", f"{who} (GitHub)", merge_commit=sha or None)
        store.merge_run(run.id, f"merged on GitHub as {sha[:12]} by {who}")
        return Synced(run.id, "merged")
    if pr.get("state") == "closed":
        reject(store, run.id, "closed on GitHub without merging", "github", retry=False)
        return Synced(run.id, "rejected")
    labels = {str(label.get("name")) for label in pr.get("labels") or [] if isinstance(label, dict)}
    if RETRY_LABEL in labels:
        feedback = _review_feedback(gh, repository, number)
        if not feedback:
            return Synced(run.id, f"labelled {RETRY_LABEL} but has no review comments: not retried")
        next_run = reject(store, run.id, feedback, "github")
        gh.call(
            "DELETE",
            f"/repos/{repository}/issues/{number}/labels/{RETRY_LABEL.replace(':', '%3A')}",
        )
        return Synced(run.id, f"retried as run {next_run}")
    return Synced(run.id, "open")


def _outcome_text(store: Store, run: RunRow) -> str:
    what = {"merged": "was merged", "rejected": "was rejected"}.get(run.state, run.state)
    lines = [
        f"crewchief run {run.id} (agent {markdown_inline(run.agent, 80)}, attempt {run.attempt}) "
        f"{what}."
    ]
    decisions = store.decisions(run.id)
    if decisions and decisions[-1].merge_commit:
        lines.append(f"Merge commit: `{decisions[-1].merge_commit[:12]}`.")
    if decisions and decisions[-1].feedback:
        lines.append(f"Feedback: {markdown_inline(decisions[-1].feedback, 600)}")
    return "\n\n".join(lines)


def _gone(gh: GitHub, repository: str, number: int, exc: GitHubError) -> bool:
    """Whether a failed comment failed because the issue is gone for good."""
    if exc.status not in (404, 410):
        return False
    try:
        return fetch_issue(gh, repository, number) is None
    except GitHubError:
        return False


def _post_one(gh: GitHub, store: Store, run: RunRow, repository: str, number: int) -> str:
    """The outcome posted, else why not; raises GitHubError for what the next sync may retry."""
    marker = f"<!-- crewchief-run-{run.id} -->"
    try:
        upsert_comment(gh, repository, number, _outcome_text(store, run), marker=marker)
    except GitHubError as exc:
        if not _gone(gh, repository, number, exc):
            raise
        return f"issue #{number} was deleted; not tried again"
    return f"posted on issue #{number}"


def post_outcomes(store: Store, gh: GitHub, posted: Path) -> list[Synced]:
    """Comment each decided run's outcome on the issue its task was imported from, once. `posted`
    keeps a line per run done with, its id first: posted, or its issue found deleted."""
    lines = posted.read_text("utf-8").splitlines() if posted.exists() else []
    done = {line.split()[0] for line in lines if line.strip()}
    results = []
    for run in store.runs([RunState.MERGED, RunState.REJECTED]):
        task = store.task(run.task_id)
        match = ISSUE_URL.match(str((task.spec if task else {}).get("source") or ""))
        if not match or str(run.id) in done:
            continue
        try:
            what = _post_one(gh, store, run, match.group(1), int(match.group(2)))
        except GitHubError as exc:
            results.append(Synced(run.id, f"outcome not posted: {exc}"))
            continue
        done.add(str(run.id))
        with posted.open("a", encoding="utf-8") as out:
            out.write(f"{run.id} {what}\n")
        said = f"outcome {what}" if what.startswith("posted") else f"outcome not posted: {what}"
        results.append(Synced(run.id, said))
    return results


def sync(store: Store, gh: GitHub, posted: Path | None = None) -> list[Synced]:
    """Bring back what happened on GitHub to every run awaiting review with a pull request. A
    pull request that fails (deleted, no access) is reported and the others still sync. With
    `posted`, also comment decided runs' outcomes on the issues their tasks came from."""
    results = []
    for listed in store.runs([RunState.AWAITING_REVIEW]):
        run = store.run(listed.id)  # an earlier merge in this loop may have superseded it
        if not run.pr_url or run.state != RunState.AWAITING_REVIEW.value:
            continue
        try:
            results.append(_sync_one(store, gh, run))
        except GitHubError as exc:
            results.append(Synced(run.id, str(exc)))
    if posted is not None:
        results.extend(post_outcomes(store, gh, posted))
    return results
