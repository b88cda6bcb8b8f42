"""`approve`: land a run's change on its target branch, safely.

The change is replayed onto the target's current tip in a scratch worktree when the target moved
since the run started, and gated again there (a change that was fine on an old base may not be on
the new one). A conflict or a blocking re-gate leaves everything as it was. The landed commit is
built with `git commit-tree` (no hooks, no work tree), the target ref is moved with a
compare-and-set, and if the target is checked out somewhere it is fast-forwarded there instead, so
a user's checkout never silently disagrees with its branch.

A change already on the target (its tree is the target's tree once replayed: the same fix landed
from elsewhere, or the run changed nothing) is refused with `NothingToLand`: nothing is landed and
nothing is recorded, rather than an empty commit. When a run lands, the task's other candidates for
the same target leave the queue as `superseded`, in the same transaction as the merge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from crewchief import git
from crewchief.errors import UserError
from crewchief.store import RunState, Store
from crewchief.store.models import RunRow
from crewchief.textsafe import safe_trailer_value
from crewchief.workspace.worktree import add_worktree

NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


class Strategy(StrEnum):
    squash = "squash"
    rebase = "rebase"
    merge = "merge"


class NothingToLand(UserError):
    """Approving a run whose change is already on its target: there is nothing to land. A
    `UserError` (exit 2, nothing changed), since landing an empty commit would say otherwise."""


@dataclass(frozen=True)
class Landed:
    commit: str
    target: str
    rebased: bool
    report: dict[str, Any] | None
    superseded: tuple[int, ...] = ()
    """The task's other candidates that left the queue because this run landed."""


Regate = Callable[[Path, str, str, str], dict[str, Any]]
"""(repo, base commit, head commit, task id) -> gate report JSON."""


def identity(repo: Path, who: str | None) -> tuple[str, str]:
    name = git.run(repo, "config", "user.name", check=False).text().strip()
    email = git.run(repo, "config", "user.email", check=False).text().strip()
    if who:
        name = who
    return name or "crewchief reviewer", email or "reviewer@localhost"


def trailers(run: RunRow, approver: str) -> str:
    lines = [
        f"Crewchief-Run: {run.id}",
        f"Crewchief-Task: {run.task_id}",
        f"Crewchief-Agent: {run.agent}",
    ]
    if run.model:
        lines.append(f"Crewchief-Model: {safe_trailer_value(run.model)}")
    lines.append(f"Crewchief-Approved-By: {approver.splitlines()[0] if approver else 'unknown'}")
    return "\n".join(lines)


def _checked_out_at(repo: Path, branch: str) -> Path | None:
    out = git.run(repo, "worktree", "list", "--porcelain").text()
    current: Path | None = None
    for line in out.splitlines():
        if line.startswith("worktree "):
            current = Path(line[len("worktree ") :])
        elif line == f"branch refs/heads/{branch}":
            return current
    return None


def _replay(repo: Path, base: str, head: str, onto: str) -> str:
    """Cherry-pick base..head onto `onto` in a scratch worktree; the new tip, or UserError on conflict."""
    tree = add_worktree(repo, onto, prefix="land-")
    try:
        env = {
            "GIT_AUTHOR_NAME": "crewchief",
            "GIT_AUTHOR_EMAIL": "crewchief@localhost",
            "GIT_COMMITTER_NAME": "crewchief",
            "GIT_COMMITTER_EMAIL": "crewchief@localhost",
        }
        outcome = git.run(
            tree.path,
            *NO_HOOKS,
            "cherry-pick",
            "--allow-empty",
            "--keep-redundant-commits",
            f"{base}..{head}",
            env=env,
            check=False,
        )
        if not outcome.ok:
            conflicted = (
                git.run(tree.path, "diff", "--name-only", "--diff-filter=U", check=False)
                .text()
                .split()
            )
            git.run(tree.path, "cherry-pick", "--abort", check=False)
            files = ", ".join(conflicted[:5]) or "see git output"
            raise UserError(
                f"the change conflicts with the target's new commits ({files}); nothing was "
                "changed — reject it with feedback so the agent redoes it on the new base"
            )
        return git.run(tree.path, "rev-parse", "HEAD").text().strip()
    finally:
        tree.remove()


def gate_replayed(repo: Path, base: str, head: str, task: str) -> dict[str, Any]:
    """The `Regate` the CLI and the web UI use: the whole gate, as `crewchief gate` runs it, on a
    change replayed onto a target that moved (a change fine on an old base may not be on the new)."""
    from crewchief.gate.engine import GateRequest, run_gate

    return run_gate(GateRequest(repo=repo, base=base, head=head, task=task)).to_json()


def _landable(store: Store, repo: Path, run_id: int, force: bool) -> tuple[RunRow, str]:
    """The run, if it may land (awaiting review, not blocked unless forced, its branch where the
    gate left it), and the commit the gate judged."""
    run = store.run(run_id)
    if run.state != RunState.AWAITING_REVIEW.value:
        raise UserError(f"run {run_id} is {run.state}; only runs awaiting review can be approved")
    if run.verdict == "block" and not force:
        raise UserError(
            f"run {run_id} was blocked by the gate; read 'crewchief show {run_id}', "
            "and pass --force to land it anyway"
        )
    if not (run.branch and run.base_commit and run.base_ref):
        raise UserError(f"run {run_id} has no branch or base recorded; it cannot be landed")
    if git.run(repo, "check-ref-format", "--branch", run.base_ref, check=False).returncode != 0:
        raise UserError(f"run {run_id} targets '{run.base_ref}', which is not a branch name")
    if not run.head_commit:
        raise UserError(f"run {run_id} has no gated commit recorded; it cannot be landed")
    head = run.head_commit  # what the gate judged, whatever the branch points to now
    branch_tip = (
        git.run(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{run.branch}", check=False)
        .text()
        .strip()
    )
    if branch_tip and branch_tip != head:
        raise UserError(
            f"branch {run.branch} moved since run {run_id} was gated ({head[:12]} -> "
            f"{branch_tip[:12]}); nothing was landed — re-gate it or reject the run"
        )
    return run, head


def _refuse_if_already_there(repo: Path, run: RunRow, head: str, target_tip: str) -> None:
    """Refuse to land a change that would not change the target's tree (see `NothingToLand`)."""
    trees = git.run(repo, "rev-parse", f"{head}^{{tree}}", f"{target_tip}^{{tree}}").text().split()
    if len(trees) == 2 and trees[0] == trees[1]:
        raise NothingToLand(
            f"run {run.id} changes nothing on {run.base_ref}: its change is already there "
            f"(or it is empty); nothing was landed — close it with 'crewchief reject {run.id} "
            "--no-retry --feedback TEXT'"
        )


def _regate_replayed(
    store: Store,
    repo: Path,
    run: RunRow,
    head: str,
    target_tip: str,
    *,
    regate: Regate | None,
    force: bool,
) -> dict[str, Any] | None:
    """Gate the change replayed onto the target's new tip; a block leaves all as it was."""
    assert run.base_ref is not None
    if regate is None:
        return None
    report = regate(repo, target_tip, head, run.task_id)
    store.save_report(run.id, report)
    if report["verdict"] == "block" and not force:
        raise UserError(
            f"after replaying onto the new {run.base_ref}, the gate blocks run {run.id}; "
            f"nothing was landed (see 'crewchief show {run.id}')"
        )
    return report


def _landing_commit(
    repo: Path,
    run: RunRow,
    head: str,
    target_tip: str,
    strategy: Strategy,
    person: tuple[str, str],
    title: str | None,
) -> str:
    """The commit to put on the target, built with `commit-tree` (no hooks, no work tree)."""
    name, email = person
    approver = f"{name} <{email}>"
    messages = git.run(repo, "log", "--format=%B%x00", f"{target_tip}..{head}").text().split("\0")
    body = next((m.strip() for m in messages if m.strip()), f"crewchief run {run.id}")
    subject = title or body.splitlines()[0]
    message = f"{subject}\n\n{trailers(run, approver)}\n"
    env = {
        "GIT_AUTHOR_NAME": f"{run.agent} (crewchief)",
        "GIT_AUTHOR_EMAIL": "agent@crewchief.invalid",
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    tree = git.run(repo, "rev-parse", f"{head}^{{tree}}").text().strip()
    parents = ["-p", target_tip] + (["-p", head] if strategy == Strategy.merge else [])
    if strategy == Strategy.rebase:
        count = int(
            git.run(repo, "rev-list", "--count", f"{target_tip}..{head}").text().strip() or 0
        )
        if count > 1:
            raise UserError(
                "--rebase lands one commit per run and this run has several; use --squash"
            )
    return git.run(repo, "commit-tree", tree, *parents, "-m", message, env=env).text().strip()


def _move_target(repo: Path, target: str, commit: str, target_tip: str) -> None:
    """Point `target` at `commit`: fast-forward the checkout that has it, else compare-and-set the
    ref, so a user's checkout never silently disagrees with its branch."""
    checkout = _checked_out_at(repo, target)
    if checkout is None:
        git.run(repo, "update-ref", f"refs/heads/{target}", commit, target_tip)
        return
    dirty = git.run(checkout, "status", "--porcelain", "--untracked-files=no").text().strip()
    if dirty:
        raise UserError(
            f"'{target}' is checked out at {checkout} with uncommitted changes; "
            "commit or stash them, then approve again"
        )
    git.run(checkout, *NO_HOOKS, "merge", "--ff-only", "-q", commit)


def approve(
    store: Store,
    repo: Path,
    run_id: int,
    *,
    strategy: Strategy = Strategy.squash,
    who: str | None = None,
    regate: Regate | None = None,
    force: bool = False,
    title: str | None = None,
) -> Landed:
    """Land run `run_id` on its target (see the module docstring); `regate=None` lands a replayed
    change without gating it again."""
    run, head = _landable(store, repo, run_id, force)
    assert run.base_ref is not None
    target = run.base_ref
    target_tip = git.resolve_commit(repo, target)
    report: dict[str, Any] | None = None
    rebased = target_tip != run.base_commit
    if rebased:
        assert run.base_commit is not None
        head = _replay(repo, run.base_commit, head, target_tip)
    _refuse_if_already_there(repo, run, head, target_tip)
    if rebased:
        report = _regate_replayed(store, repo, run, head, target_tip, regate=regate, force=force)
    person = identity(repo, who)
    approver = f"{person[0]} <{person[1]}>"
    commit = _landing_commit(repo, run, head, target_tip, strategy, person, title)
    store.transition(
        run.id, RunState.APPROVED, f"approved by {approver}", expect=[RunState.AWAITING_REVIEW]
    )
    try:
        _move_target(repo, target, commit, target_tip)
    except Exception:
        store.transition(
            run.id,
            RunState.AWAITING_REVIEW,
            "landing failed; back to review",
            expect=[RunState.APPROVED],
        )
        raise
    store.record_decision(run.id, "approve", approver, merge_commit=commit)
    superseded = store.merge_run(
        run.id,
        f"landed on {target} as {commit[:12]} ({strategy.value})",
        head_commit=head,
    )
    return Landed(commit, target, rebased, report, tuple(superseded))
