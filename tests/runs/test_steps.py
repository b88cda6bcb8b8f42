"""The steps of a run one at a time, each on a real repository: resolving the plan, preparing the
worktree, rendering the prompt, the agent's environment and launch, and containment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from crewchief import proc, statepaths
from crewchief.runs import contain
from crewchief.runs.execute import (
    TRANSCRIPT,
    RunContext,
    RunOptions,
    prepare_worktree,
    remove_run_tree,
    render_invocation,
    resolve_plan,
)
from crewchief.spec.policy import AgentPolicy
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
