"""The steps of a run one at a time, each on a real repository: resolving the plan, preparing the
worktree, rendering the prompt, the agent's environment and launch, containment, running the agent
under its budget, committing its work, judging the agent and handing the commit to the gate."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crewchief import proc, statepaths
from crewchief.agents.base import Agent, AgentCommand, Invocation, Usage
from crewchief.agents.registry import resolve_agent
from crewchief.runs import contain
from crewchief.runs.execute import (
    TRANSCRIPT,
    TRANSIENT,
    Plan,
    RunContext,
    RunFailed,
    RunOptions,
    _branch_name,
    _commit,
    _judge_agent,
    _launch,
    _run,
    _validate,
    prepare_worktree,
    remove_run_tree,
    render_invocation,
    resolve_plan,
)
from crewchief.spec.policy import AgentPolicy
from crewchief.store import RunState
from crewchief.workspace import agent_env
from crewchief.workspace.agent_env import AgentSpace
from crewchief.workspace.worktree import add_worktree
from tests.helpers.repo import Repo
from tests.runs.conftest import Project

NOOP = "print('nothing')\n"


def context(project: Project, run_id: int, **options: Any) -> RunContext:
    run_dir = statepaths.run_dir(project.path, run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    return RunContext(
        project.store, project.path, run_id, RunOptions(**options), run_dir, run_dir / TRANSCRIPT
    )


def space_of(repo: Repo, run_id: int = 1) -> AgentSpace:
    tree = add_worktree(
        repo.path,
        "HEAD",
        root=statepaths.run_trees_dir(repo.path),
        prefix=statepaths.run_tree_prefix(run_id),
    )
    run_dir = statepaths.run_dir(repo.path, run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    return AgentSpace.of(repo.path, tree.path, run_dir)


# --- resolve_plan --------------------------------------------------------------------------------


def test_plan_reads_the_policy_at_the_base_and_options_override_it(make_project) -> None:
    project = make_project(NOOP, budget={"minutes": 5})
    base = project.repo.git("rev-parse", "HEAD")
    # An uncommitted edit of the policy is not what judges or runs the agent.
    policy = (project.path / "crewchief.toml").read_text()
    (project.path / "crewchief.toml").write_text(policy + '[runs]\nsandbox = "off"\n')
    run_id = project.queue()

    plan = resolve_plan(project.store, project.path, run_id, RunOptions())
    assert (plan.base, plan.sandbox, plan.network, plan.setup, plan.minutes) == (
        base,
        "auto",
        True,
        (),
        5,
    )
    assert plan.task.id == "fix-app" and plan.row.id == run_id

    options = RunOptions(sandbox="required", network=False, setup=["make"])
    plan = resolve_plan(project.store, project.path, run_id, options)
    assert (plan.sandbox, plan.network, plan.setup) == ("required", False, ("make",))


def test_plan_of_a_task_without_a_budget_takes_the_default_minutes(make_project) -> None:
    project = make_project(NOOP)
    plan = resolve_plan(project.store, project.path, project.queue(), RunOptions(default_minutes=7))
    assert plan.minutes == 7


# --- prepare_worktree ----------------------------------------------------------------------------


def test_worktree_is_detached_at_the_base_with_the_branch_there(make_project) -> None:
    project = make_project(NOOP)
    run_id = project.queue()
    ctx = context(project, run_id)
    plan = resolve_plan(project.store, project.path, run_id, ctx.options)
    space, excludes = prepare_worktree(ctx, plan)
    try:
        assert space.worktree.parent == statepaths.run_trees_dir(project.path)
        assert space.worktree.name.startswith(f"run{run_id}-")
        tree = Repo(space.worktree)
        assert tree.git("rev-parse", "HEAD") == plan.base
        assert tree.git("rev-parse", "--abbrev-ref", "HEAD") == "HEAD"  # detached
        assert project.repo.git("rev-parse", "crewchief/fix-app/1") == plan.base
        run = project.store.run(run_id)
        assert (run.branch, run.worktree) == ("crewchief/fix-app/1", str(space.worktree))
        assert (ctx.run_dir / "crewchief.index").is_file()
        assert excludes is None
    finally:
        assert ctx.tree is not None
        remove_run_tree(ctx.tree)


def test_per_run_setup_output_is_excluded_from_the_commit(make_project) -> None:
    project = make_project(NOOP)
    run_id = project.queue()
    make = f"{sys.executable} -c \"open('made by setup.txt', 'w').write('x')\""
    ctx = context(project, run_id, setup=[make])
    plan = resolve_plan(project.store, project.path, run_id, ctx.options)
    space, excludes = prepare_worktree(ctx, plan)
    try:
        assert (space.worktree / "made by setup.txt").is_file()
        assert excludes is not None
        assert excludes.read_text().splitlines() == ["/made by setup.txt"]
        assert "per-run setup" in ctx.transcript.read_text()
    finally:
        assert ctx.tree is not None
        remove_run_tree(ctx.tree)


def test_runs_of_one_task_prepared_at_once_get_their_own_branches(make_project) -> None:
    # Best of two agents on one task: both runs are attempt 1 and neither has a branch on record
    # yet, as when two workers prepare them at the same moment (the second's commit used to move
    # the first's branch, so the first could no longer be approved).
    project = make_project(NOOP)
    first, second = project.queue(attempt=1), project.queue(attempt=1)
    plans = [resolve_plan(project.store, project.path, r, RunOptions()) for r in (second, first)]
    names = [_branch_name(project.store, plan.row, plan.task) for plan in plans]
    assert names == [f"crewchief/fix-app/1-run{second}", "crewchief/fix-app/1"]


# --- render_invocation ---------------------------------------------------------------------------


def test_the_prompt_is_rendered_into_the_run_folder(make_project) -> None:
    project = make_project(NOOP)
    run_id = project.queue()

    def renderer(task: Any, row: Any, policy: Any, **_: Any) -> str:
        return f"do {task.id} (attempt {row.attempt})"

    ctx = context(project, run_id, prompt_renderer=renderer)
    plan = resolve_plan(project.store, project.path, run_id, ctx.options)
    invocation = render_invocation(ctx, plan, project.path, AgentPolicy(type="command"))
    assert invocation.prompt == "do fix-app (attempt 1)"
    assert invocation.prompt_file == ctx.run_dir / "prompt.md"
    assert invocation.prompt_file.read_text() == invocation.prompt
    assert (invocation.name, invocation.run_id) == ("bot", run_id)


def test_the_default_prompt_carries_the_objective(make_project) -> None:
    project = make_project(NOOP)
    run_id = project.queue()
    ctx = context(project, run_id)
    plan = resolve_plan(project.store, project.path, run_id, ctx.options)
    invocation = render_invocation(ctx, plan, project.path, AgentPolicy(type="command"))
    assert "Make add() document itself." in invocation.prompt


# --- agent_env -----------------------------------------------------------------------------------


def test_the_agent_environment_keeps_its_git_contained(repo: Repo) -> None:
    space = space_of(repo)
    env = agent_env.agent_environment(
        space,
        agent_name="bot",
        extra={"GIT_OBJECT_DIRECTORY": "/elsewhere", "CREWCHIEF_TASK": "forged", "MINE": "1"},
        crewchief={"CREWCHIEF_TASK": "fix-app"},
    )
    assert env["GIT_OBJECT_DIRECTORY"] == str(space.objects)
    assert env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] == str(space.git_common / "objects")
    assert (env["CREWCHIEF_TASK"], env["MINE"]) == ("fix-app", "1")
    assert env["GIT_CONFIG_VALUE_0"] == "never" and env["GIT_AUTHOR_NAME"] == "bot"
    assert env["HOME"].startswith(str(space.run_dir))
    assert env["PATH"].split(os.pathsep)[0] == str(space.run_dir / "bin")
    done = proc.run(proc.Request(("git", "status", "--short"), cwd=space.worktree, env=env))
    assert done.ok, done.stderr
    assert space.git_log.read_text() == "git status --short\n"


def test_launch_without_a_sandbox_runs_the_command_as_is(repo: Repo) -> None:
    space = space_of(repo)
    launch = agent_env.launch(
        space, ["agent", "--go"], {"PATH": "/usr/bin"}, mode="off", network=True
    )
    assert launch.argv == ("agent", "--go") and not launch.sandboxed
    assert launch.agent_head == space.admin_dir / "HEAD"
    assert launch.how.startswith("no sandbox (disabled by policy)")


def test_launch_in_the_sandbox_gives_a_private_git_admin_and_config(repo: Repo, mode) -> None:
    repo.git("remote", "add", "origin", "https://example.com/secret.git")
    space = space_of(repo)
    chosen = "required" if mode == "bwrap" else "off"
    launch = agent_env.launch(space, ["true"], {"PATH": os.defpath}, mode=chosen, network=True)  # type: ignore[arg-type]
    assert launch.sandboxed == (mode == "bwrap")
    if launch.sandboxed:
        assert launch.argv[0].endswith("bwrap") and launch.argv[-1] == "true"
        assert launch.agent_head == space.run_dir / "gitdir" / "HEAD"
        assert launch.agent_head.read_text() == (space.admin_dir / "HEAD").read_text()
        config = (space.run_dir / "git.config").read_text()
        assert "example.com" not in config and "[core]" in config
        done = proc.run(proc.Request(launch.argv, env=launch.env))
        assert done.ok, done.stderr
    else:
        assert launch.argv == ("true",)


def test_a_worktree_without_a_gitdir_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("not a link\n")
    with pytest.raises(ValueError, match="not a worktree link"):
        agent_env.admin_dir(tmp_path)


# --- contain -------------------------------------------------------------------------------------


def test_watch_restores_git_files_and_records_refs_pushes_and_checkout(repo: Repo) -> None:
    space = space_of(repo)
    common = space.git_common
    config_before = (common / "config").read_bytes()
    watch = contain.Watch.take(repo.path, common, sandboxed=False)
    (common / "hooks" / "pre-commit").write_text("#!/bin/sh\necho pwned\n")
    with open(common / "config", "a") as fh:
        fh.write("[core]\n\tfsmonitor = /tmp/evil\n")
    repo.commit({"README.md": "# changed by the agent\n"}, "agent moved main")
    space.git_log.write_text("git status\ngit push origin main\n")

    found = watch.check(
        git_log=space.git_log,
        objects=space.objects,
        agent_head=space.admin_dir / "HEAD",
        base=repo.git("rev-parse", "HEAD~1"),
    )
    assert found.problems[0] == (
        "the agent changed the repository's shared git files (restored): config, hooks/pre-commit"
    )
    assert "the user's checkout changed" in found.problems[1]
    assert not (common / "hooks" / "pre-commit").exists()
    assert (common / "config").read_bytes() == config_before
    assert found.events[0].startswith("refs changed while the agent ran") and (
        "refs/heads/main" in found.events[0]
    )
    assert "pushing is blocked" in found.events[1]
    assert found.notes == ("agent tried: git push origin main",)


def test_a_sandboxed_watch_only_guards_the_git_files(repo: Repo) -> None:
    common = statepaths.git_dir(repo.path)
    watch = contain.Watch.take(repo.path, common, sandboxed=True)
    repo.commit({"README.md": "# moved\n"}, "the user commits during the night")
    log = statepaths.run_dir(repo.path, 1)
    log.mkdir(parents=True, exist_ok=True)
    found = watch.check(
        git_log=log / "none.log",
        objects=log / "objects",
        agent_head=log / "HEAD",
        base=repo.git("rev-parse", "HEAD"),
    )
    assert found == contain.Containment()


def test_the_agents_own_commits_are_read_for_the_transcript(repo: Repo) -> None:
    base = repo.git("rev-parse", "HEAD")
    tree = repo.git("rev-parse", "HEAD^{tree}")
    own = repo.git("commit-tree", tree, "-p", base, "-m", "agent: sneaky commit")
    head_file = statepaths.run_dir(repo.path, 1) / "HEAD"
    head_file.parent.mkdir(parents=True, exist_ok=True)
    head_file.write_text(own + "\n")
    common = statepaths.git_dir(repo.path)
    log = contain.agent_commit_log(common, head_file.parent / "objects", head_file, base)
    assert f"commit {own}" in log and "agent: sneaky commit" in log
    head_file.write_text(base + "\n")
    assert contain.agent_commit_log(common, head_file.parent / "objects", head_file, base) == ""
    head_file.write_text("ref: refs/heads/main\n")
    assert contain.agent_commit_log(common, head_file.parent / "objects", head_file, base) == ""


def test_a_snapshot_puts_back_links_and_executables(repo: Repo) -> None:
    common = statepaths.git_dir(repo.path)
    hook = common / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    (common / "info" / "link").symlink_to("../config")
    snapshot = contain.GitDirSnapshot.take(common)
    hook.unlink()
    (common / "info" / "link").unlink()
    (common / "info" / "link").write_text("not a link any more")
    assert snapshot.restore() == ["hooks/post-checkout", "info/link"]
    assert os.access(hook, os.X_OK) and hook.read_text().endswith("exit 0\n")
    assert os.readlink(common / "info" / "link") == "../config"
    assert snapshot.restore() == []


def test_worktree_intact(repo: Repo, tmp_path: Path) -> None:
    space = space_of(repo)
    assert contain.worktree_intact(space.worktree)
    link = tmp_path / "link"
    link.symlink_to(space.worktree)
    assert not contain.worktree_intact(link)
    assert not contain.worktree_intact(tmp_path)


# --- _run, _commit, _judge_agent, _validate -------------------------------------------------------


@dataclass
class Started:
    """A run taken through the steps before the agent runs, as `_execute` takes it."""

    ctx: RunContext
    plan: Plan
    space: AgentSpace
    agent: Agent
    invocation: Invocation
    command: AgentCommand
    launch: agent_env.Launch
    token: str

    def run_agent(self) -> proc.StreamOutcome:
        ran = _run(
            self.ctx,
            self.plan,
            self.agent,
            self.invocation,
            self.command,
            self.launch,
            self.token,
        )
        return ran.outcome


@pytest.fixture
def start(make_project) -> Iterator[Any]:
    trees: list[RunContext] = []

    def factory(agent_code: str, **options: Any) -> Started:
        project = make_project(agent_code)
        run_id = project.queue()
        ctx = context(project, run_id, sandbox="off", **options)
        plan = resolve_plan(project.store, project.path, run_id, ctx.options)
        project.store.transition(run_id, RunState.PREPARING, "preparing", expect=[RunState.QUEUED])
        space, _excludes = prepare_worktree(ctx, plan)
        trees.append(ctx)
        agent, config = resolve_agent(plan.row.agent, plan.policy)
        invocation = render_invocation(ctx, plan, space.worktree, config)
        command = agent.command(invocation)
        token = uuid.uuid4().hex
        launch = _launch(ctx, plan, space, invocation, command, token)
        return Started(ctx, plan, space, agent, invocation, command, launch, token)

    yield factory
    for ctx in trees:
        if ctx.tree is not None:
            remove_run_tree(ctx.tree)


WRITER = """
import pathlib
print("hello from the agent")
pathlib.Path("src/app.py").write_text("def add(a, b):\\n    return b + a\\n")
"""


def test_the_agent_runs_with_its_output_in_the_transcript(start) -> None:
    run = start(WRITER)
    outcome = run.run_agent()
    assert (outcome.returncode, outcome.timed_out, outcome.stopped) == (0, False, None)
    transcript = run.ctx.transcript.read_text()
    assert "hello from the agent" in transcript
    assert "# time budget: 60 min" in transcript
    row = run.ctx.store.run(run.ctx.run_id)
    assert (row.state, row.pid) == (RunState.RUNNING.value, None)
    assert (run.space.worktree / "src/app.py").read_text() == "def add(a, b):\n    return b + a\n"


def test_an_agent_past_its_time_budget_is_stopped_and_judged_timed_out(start) -> None:
    run = start("import time\ntime.sleep(60)\n", default_minutes=0.02, kill_grace_s=0.2)
    outcome = run.run_agent()
    assert outcome.timed_out
    assert outcome.duration_s < 30
    with pytest.raises(RunFailed, match=r"past its time budget of 0\.02 min") as caught:
        _judge_agent(run.agent, outcome, run.plan, (), None)
    assert caught.value.state == RunState.TIMED_OUT


def test_the_work_is_one_crewchief_commit_on_the_run_branch(start) -> None:
    run = start(WRITER)
    usage = Usage(model="m-1")
    assert _commit(run.ctx, run.plan, run.space, usage, None) is None, "nothing changed yet"
    outcome = run.run_agent()
    head = _commit(run.ctx, run.plan, run.space, usage, None)
    assert head is not None
    _judge_agent(run.agent, outcome, run.plan, (), head)  # finished well: no RunFailed
    repo = Repo(run.ctx.repo)
    assert repo.git("rev-parse", f"{head}^") == run.plan.base
    assert repo.git("rev-parse", "crewchief/fix-app/1") == head
    assert repo.git("diff", "--name-only", run.plan.base, head) == "src/app.py"
    message = repo.git("log", "-1", "--format=%B", head)
    assert f"Crewchief-Run: {run.ctx.run_id}" in message and "Crewchief-Model: m-1" in message
    assert run.ctx.store.run(run.ctx.run_id).head_commit == head


class _Flaky:
    """Just enough of an agent for `_judge_agent`: a rate limit in its output is transient."""

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return b"rate limit" in output


@pytest.mark.parametrize(
    ("outcome", "problems", "head", "reason", "state"),
    [
        ({"timed_out": True}, (), "c0", "past its time budget of 5 min", RunState.TIMED_OUT),
        ({"stopped": "cost budget spent"}, (), "c0", "stopped: cost budget spent", None),
        ({"returncode": 2}, (), "c0", "^the agent exited with code 2$", None),
        (
            {"returncode": 1, "output": b"rate limit"},
            (),
            "c0",
            f"^{TRANSIENT}the agent exited",
            None,
        ),
        ({}, ("pushed", "moved main"), "c0", "^pushed; moved main$", None),
        ({}, (), None, "^the agent changed nothing$", None),
    ],
)
def test_judging_the_agent(make_project, outcome, problems, head, reason, state) -> None:
    project = make_project(NOOP, budget={"minutes": 5})
    plan = resolve_plan(project.store, project.path, project.queue(), RunOptions())
    ended = proc.StreamOutcome(**{"returncode": 0, "output": b"", "duration_s": 1.0, **outcome})
    with pytest.raises(RunFailed, match=reason) as caught:
        _judge_agent(_Flaky(), ended, plan, problems, head)  # type: ignore[arg-type]
    assert caught.value.state == (state or RunState.FAILED)


@pytest.mark.parametrize("gate", [False, True])
def test_validate_gates_the_commit_and_hands_it_to_review(start, gate) -> None:
    run = start(WRITER, gate=gate, static_gate=True)
    run.run_agent()
    head = _commit(run.ctx, run.plan, run.space, Usage(), None)
    assert _validate(run.ctx, run.plan, head) == RunState.AWAITING_REVIEW
    row = run.ctx.store.run(run.ctx.run_id)
    assert (row.state, row.worktree) == (RunState.AWAITING_REVIEW.value, None)
    report = run.ctx.store.latest_report(run.ctx.run_id)
    last = [e.message for e in run.ctx.store.events(run.ctx.run_id)][-1]
    if gate:
        assert report is not None and report["head"] == head
        assert report["run"]["id"] == run.ctx.run_id
        assert last == f"awaiting review: gate {report['verdict']}, risk {report['risk']}"
    else:
        assert report is None
        assert last == "awaiting review: gate not run"
