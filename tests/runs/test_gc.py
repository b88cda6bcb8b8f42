"""`crewchief gc` on a real repository with real runs: what goes, what stays, dry runs, JSON."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

import pytest

from crewchief import statepaths
from crewchief.runs.gc import GcOptions, collect
from crewchief.store import RunState
from tests.helpers.cli import run_cli
from tests.helpers.schemas import assert_matches
from tests.runs.conftest import Project

EDIT = """
import pathlib
pathlib.Path("src/app.py").write_text("def add(a, b):\\n    return b + a\\n")
"""
DAY = 86400.0


def finished_run(project: Project, end: RunState) -> int:
    """A real run taken to review, then merged or rejected as a human would."""
    run_id = project.queue()
    assert project.execute(run_id, sandbox="off") == RunState.AWAITING_REVIEW
    if end == RunState.MERGED:
        project.store.transition(run_id, RunState.APPROVED)
        project.store.transition(run_id, RunState.MERGED)
    elif end == RunState.REJECTED:
        project.store.transition(run_id, RunState.REJECTED)
    return run_id


def branch_exists(project: Project, branch: str) -> bool:
    refs = project.repo.git("for-each-ref", "--format=%(refname)", f"refs/heads/{branch}")
    return bool(refs)


def folder_with(path: Path, size: int, age_days: float) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "data.bin").write_bytes(b"x" * size)
    stamp = time.time() - age_days * DAY
    os.utime(path / "data.bin", (stamp, stamp))
    os.utime(path, (stamp, stamp))
    return path


def test_old_finished_branches_go_and_runs_in_review_keep_theirs(make_project) -> None:
    project = make_project(EDIT)
    merged = finished_run(project, RunState.MERGED)
    rejected = finished_run(project, RunState.REJECTED)
    in_review = finished_run(project, RunState.AWAITING_REVIEW)
    branches = {i: project.store.run(i).branch or "" for i in (merged, rejected, in_review)}
    later = time.time() + 20 * DAY

    dry = collect(project.store, project.path, GcOptions(dry_run=True, now=later))
    assert sorted(i.target for i in dry.removed if i.kind == "branches") == sorted(
        [branches[merged], branches[rejected]]
    )
    assert all(branch_exists(project, b) for b in branches.values())
    assert [(i.target, i.reason) for i in dry.kept if i.kind == "branches"] == [
        (branches[in_review], f"run {in_review} is awaiting_review")
    ]

    # Not old enough yet: nothing goes.
    fresh = collect(project.store, project.path, GcOptions())
    assert [i for i in fresh.removed if i.kind == "branches"] == []

    done = collect(project.store, project.path, GcOptions(now=later))
    assert done.totals()["branches"] == (2, 0)
    assert not branch_exists(project, branches[merged])
    assert not branch_exists(project, branches[rejected])
    assert branch_exists(project, branches[in_review])


def test_worktrees_of_finished_runs_go_and_active_ones_stay(make_project) -> None:
    project = make_project(EDIT)
    kept_for_review = project.queue()
    project.execute(kept_for_review, sandbox="off", keep_worktree=True)
    crashed = project.queue()
    project.store.transition(crashed, RunState.PREPARING)
    project.store.transition(crashed, RunState.FAILED)
    trees = statepaths.run_trees_dir(project.path)
    review_tree = next(trees.glob(f"{statepaths.run_tree_prefix(kept_for_review)}*"))
    project.repo.git("worktree", "add", "--detach", str(trees / f"run{crashed}-left"), "HEAD")
    stray = trees / "run999-orphan"
    project.repo.git("worktree", "add", "--detach", str(stray), "HEAD")

    result = collect(project.store, project.path, GcOptions())
    removed = sorted(Path(i.target).name for i in result.removed if i.kind == "worktrees")
    assert removed == sorted([f"run{crashed}-left", "run999-orphan"])
    assert review_tree.is_dir() and not stray.exists()
    assert result.totals()["worktrees"][1] > 0
    listed = project.repo.git("worktree", "list", "--porcelain")
    assert "run999-orphan" not in listed and review_tree.name in listed


def test_evidence_and_envs_by_age_then_by_size(make_project) -> None:
    project = make_project(EDIT)
    in_review = finished_run(project, RunState.AWAITING_REVIEW)
    rejected = finished_run(project, RunState.REJECTED)
    gates = statepaths.evidence_dir(project.path)
    old_gate = folder_with(gates / "20260101T000000-aaaa-1", 3000, age_days=30)
    mid_gate = folder_with(gates / "20260201T000000-bbbb-1", 2000, age_days=5)
    new_gate = folder_with(gates / "20260301T000000-cccc-1", 1000, age_days=1)
    review_ev = folder_with(statepaths.run_evidence_dir(project.path, in_review), 9000, 40)
    rejected_ev = folder_with(statepaths.run_evidence_dir(project.path, rejected), 500, 40)
    envs = statepaths.envs_dir(project.path)
    old_env = folder_with(envs / "old", 4000, age_days=20)
    (envs / "old.lock").write_bytes(b"")
    os.utime(envs / "old.lock", (time.time() - 20 * DAY,) * 2)
    busy_env = folder_with(envs / "busy", 8000, age_days=60)

    with open(envs / "busy.lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # 9000 (in review) + 8000 (in use) are untouchable; 1000 more fits in 18100.
        result = collect(
            project.store, project.path, GcOptions(older_than_days=14, max_size_bytes=18100)
        )

    gone = {Path(i.target) for i in result.removed}
    assert gone == {old_gate, rejected_ev, old_env, mid_gate}
    assert not old_gate.exists() and not old_env.exists() and not (envs / "old.lock").exists()
    assert new_gate.is_dir() and review_ev.is_dir() and busy_env.is_dir()
    assert result.totals()["evidence"] == (3, 5500)
    assert result.totals()["envs"] == (1, 4000)
    reasons = {Path(i.target): i.reason for i in result.removed}
    assert reasons[mid_gate].startswith("over --max-size")


def test_cli_dry_run_json_and_text(make_project, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(EDIT)
    finished_run(project, RunState.MERGED)
    old = folder_with(statepaths.evidence_dir(project.path) / "old-gate", 2048, age_days=30)

    out = run_cli(capsys, "gc", "--repo", str(project.path), "--dry-run", "--format", "json")
    assert out.code == 0, out.err
    data = json.loads(out.out)
    assert data["schema"] == "crewchief.gc/v1" and data["dry_run"] is True
    assert_matches("gc", data)
    assert data["freed"]["evidence"] == {"count": 1, "bytes": 2048}
    assert data["freed"]["branches"]["count"] == 0  # merged today: younger than 14 days
    assert old.is_dir()

    text = run_cli(capsys, "gc", "--repo", str(project.path), "--older-than", "0")
    assert text.code == 0, text.err
    assert "freed" in text.out and "branches" in text.out
    assert not old.exists()
    assert project.repo.git("for-each-ref", "refs/heads/crewchief/") == ""

    bad = run_cli(capsys, "gc", "--repo", str(project.path), "--max-size", "-1")
    assert bad.code == 2
