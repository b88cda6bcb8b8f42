"""Executes one run: claim it, give the agent a worktree, run it contained, commit, gate, record.

`execute_run` moves a queued run through `preparing → running → validating → awaiting_review`, or
ends it as `failed` / `timed_out` with a reason a person can act on. Every step is recorded in the
store as it happens (state changes are compare-and-set events; the agent's pid is stored before it
can do anything), so a crash at any point leaves what `recovery.recover` needs. Whatever happens,
the worktree is removed at the end; the branch, the transcript and the report stay.

`_execute` is the sequence of steps, each a function that can be tried alone: `resolve_plan` (task,
base, the base's policy, the options), `prepare_worktree` (worktree, branch, per-run setup),
`render_invocation` (the prompt), `_launch` (environment and sandbox: `workspace.agent_env`), `_run`
(the agent under its budgets: `runs.supervise`), `_contain` (what it did outside its worktree:
`runs.contain`), `_commit`, `_judge_agent` and `_validate` (the gate).

Files of a run live in `<git dir>/crewchief/runs/<id>/` (prompt, transcript, gate evidence), its
worktree in `<git dir>/crewchief/run-trees/`, both outside the user's checkout. The worktree is
checked out detached at the base: the branch `crewchief/<task>/<attempt>` is created at the base
and only ever moved by crewchief, to its one commit of the agent's work.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import shutil
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from crewchief import git, proc, statepaths
from crewchief.agents.base import Agent, AgentCommand, Invocation, Usage
from crewchief.errors import UserError
from crewchief.gate.checks.acceptance import hidden
from crewchief.gate.engine import GateRequest, load_base_policy, run_gate
from crewchief.gate.reader import read_files_at
from crewchief.runs import commit as commits
from crewchief.runs import contain, supervise
from crewchief.spec.policy import AgentPolicy, Policy
from crewchief.spec.task import TASK_DIR, Task
from crewchief.store import RunState, Store
from crewchief.store.db import TransitionError, superseded_reason
from crewchief.store.models import RunRow
from crewchief.transcript import human_size
from crewchief.workspace import agent_env, envpolicy, sandbox
from crewchief.workspace.agent_env import AgentSpace
from crewchief.workspace.worktree import Worktree, add_worktree

AgentFactory = Callable[[str, Policy], tuple[Agent, AgentPolicy]]
"""Resolves a run's agent name to its adapter and settings, given the base policy
(`crewchief.agents.registry.resolve_agent`)."""


class PromptRenderer(Protocol):
    def __call__(
        self, task: Task, row: RunRow, policy: Policy, *, base: str, store: Store, repo: Path
    ) -> str: ...


ACTIVE = (RunState.PREPARING, RunState.RUNNING, RunState.VALIDATING)
TRANSCRIPT = "transcript.log"
OWNER_LOCK = "owner.lock"
SCRATCH = ("objects", "gitdir", "home", "tmp", "bin", "crewchief.index", "git.config")
"""What a run folder holds only while an agent works in it."""
TRANSIENT = "transient: "
"""Prefix of the reason of a failure worth retrying with backoff (rate limit, network)."""


@dataclass(frozen=True)
class RunOptions:
    sandbox: sandbox.SandboxMode | None = None
    """auto | required | off; None reads `[runs] sandbox` from the policy (default auto)."""
    network: bool | None = None
    """None reads `[runs] network` from the policy (default on: agents talk to their model API)."""
    setup: Sequence[str] | None = None
    """Per-run setup commands; None reads `[runs] setup` from the policy."""
    setup_timeout_s: float = 1800
    default_minutes: float = 60
    """Time budget of a task that names none."""
    output_cap: int | None = None
    """Bytes of the agent's output the transcript keeps (its head and tail) and of each setup
    command's; None reads `[runs] transcript_cap_mb` from the policy (default 8)."""
    kill_grace_s: float = 2.0
    usage_interval_s: float = 1.0
    """How often the cost budget is checked against the agent's output so far."""
    gate: bool = True
    static_gate: bool = False
    """Only the static checks (no tests run), as in `crewchief gate --static`."""
    prompt_renderer: PromptRenderer | None = None
    keep_worktree: bool = False
    """For debugging: leave the worktree in place (recovery or `prune_worktrees` removes it)."""


DEFAULT_OUTPUT_CAP = 8 * 1024 * 1024


class RunFailed(Exception):
    """Ends a run as failed (or timed out) with a reason; raised anywhere in the run's steps."""

    def __init__(self, reason: str, state: RunState = RunState.FAILED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state


@dataclass
class RunContext:
    """What every step of one run shares; mutable because the steps fill in the worktree (for the
    cleanup) and the notes (for the gate report)."""

    store: Store
    repo: Path
    run_id: int
    options: RunOptions
    run_dir: Path
    transcript: Path
    tree: Worktree | None = None
    notes: list[str] = field(default_factory=list)

    def event(self, message: str) -> None:
        """A note in the run's history without a state change."""
        state = RunState(self.store.run(self.run_id).state)
        with contextlib.suppress(TransitionError):
            self.store.transition(self.run_id, state, message, expect=[state])

    def log(self, text: str) -> None:
        with open(self.transcript, "ab") as fh:
            fh.write(text.encode("utf-8", "replace"))


def execute_run(
    store: Store,
    repo: Path,
    run_id: int,
    *,
    agent_factory: AgentFactory | None = None,
    options: RunOptions | None = None,
) -> RunState:
    """Claim a queued run and take it to `awaiting_review`, `failed`, `timed_out` or `superseded`.

    Raises `TransitionError` when the run is not queued (another worker claimed it first). Any
    other problem ends the run with a reason and returns the final state. An interrupt
    (KeyboardInterrupt, SystemExit) re-queues the run before it propagates.
    """
    options = options or RunOptions()
    if agent_factory is None:
        from crewchief.agents.registry import resolve_agent

        agent_factory = resolve_agent
    repo = git.toplevel(repo)
    run_dir = statepaths.run_dir(repo, run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(store, repo, run_id, options, run_dir, run_dir / TRANSCRIPT)
    # The lock comes first: recovery must never see a claimed run without a live owner.
    with _owner_lock(run_dir, run_id):
        store.transition(
            run_id, RunState.PREPARING, "preparing", expect=[RunState.QUEUED], owner_pid=os.getpid()
        )
        try:
            return _execute(ctx, agent_factory)
        except RunFailed as exc:
            return _end(ctx, exc.state, exc.reason)
        except Exception as exc:
            lines = str(exc).strip().splitlines()
            detail = lines[0] if lines else ""
            if not isinstance(exc, UserError | ValueError):
                # A bug, not a verdict on the agent: keep the traceback where the reason says.
                crash = run_dir / "crash.log"
                crash.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
                detail = f"internal error {type(exc).__name__}: {detail} (traceback in {crash})"
            return _end(ctx, RunState.FAILED, detail)
        except BaseException:
            with contextlib.suppress(Exception):
                store.transition(
                    run_id,
                    RunState.QUEUED,
                    "interrupted: re-queued (crewchief stopped)",
                    expect=ACTIVE,
                    pid=None,
                    owner_pid=None,
                    worktree=None,
                )
            raise
        finally:
            _cleanup(ctx)


def _end(ctx: RunContext, state: RunState, reason: str) -> RunState:
    # When the run was cancelled (or otherwise moved on) meanwhile, its state stands.
    with contextlib.suppress(TransitionError):
        ctx.store.transition(
            ctx.run_id, state, reason, expect=ACTIVE, reason=reason, pid=None, worktree=None
        )
    return RunState(ctx.store.run(ctx.run_id).state)


@contextlib.contextmanager
def _owner_lock(run_dir: Path, run_id: int) -> Iterator[None]:
    """Held while a process works on the run; recovery knows an owner is gone when it is free
    (the kernel drops it with the process, whatever its pid is reused for later)."""
    with open(run_dir / OWNER_LOCK, "wb") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TransitionError(f"run {run_id} is being worked on by another process") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cleanup(ctx: RunContext) -> None:
    if ctx.tree is not None and not ctx.options.keep_worktree:
        remove_run_tree(ctx.tree)
    scrub_run_dir(ctx.run_dir)


def scrub_run_dir(run_dir: Path) -> None:
    """Drop an attempt's scratch (the agent's objects, home, git copies); keep its prompt,
    transcript and evidence."""
    for name in SCRATCH:
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def remove_run_tree(tree: Worktree) -> None:
    """Remove a run's worktree without following anything the agent put in its place."""
    if tree.path.is_symlink():
        tree.path.unlink()
    tree.remove()


# --- the steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a run works from, resolved once before anything is created: the task as queued, the
    base commit, the base's policy (never the checkout's) and the options that override it."""

    row: RunRow
    task: Task
    base: str
    policy: Policy
    sandbox: sandbox.SandboxMode
    network: bool
    setup: tuple[str, ...]
    minutes: float
    """The agent's time budget."""
    output_cap: int = DEFAULT_OUTPUT_CAP
    """Bytes of the agent's output its transcript keeps (the head and the tail)."""
    hidden: hidden.HiddenTests = field(default_factory=hidden.HiddenTests)
    """The task's hidden acceptance tests: kept out of the agent's worktree, sandbox and prompt."""


def _execute(ctx: RunContext, agent_factory: AgentFactory) -> RunState:
    plan = resolve_plan(ctx.store, ctx.repo, ctx.run_id, ctx.options)
    _rotate_transcript(ctx)
    space, excludes = prepare_worktree(ctx, plan)
    agent, config = agent_factory(plan.row.agent, plan.policy)
    invocation = render_invocation(ctx, plan, space.worktree, config)
    command = agent.command(invocation)
    token = uuid.uuid4().hex
    launch = _launch(ctx, plan, space, invocation, command, token)
    watch = contain.Watch.take(ctx.repo, space.git_common, sandboxed=launch.sandboxed)
    ran = _run(ctx, plan, agent, invocation, command, launch, token)
    outcome = ran.outcome
    usage = _record_usage(ctx, ran.usage)
    problems = _contain(ctx, watch, space, launch, plan.base)
    head = _commit(ctx, plan, space, usage, excludes)
    for problem in problems:
        ctx.event(problem)
    _judge_agent(agent, outcome, plan, problems, head)
    return _validate(ctx, plan, head)


def resolve_plan(store: Store, repo: Path, run_id: int, options: RunOptions) -> Plan:
    """The run's task, base and policy; the options win over `[runs]` where they are given."""
    row = store.run(run_id)
    task = _load_task(store, row)
    base = row.base_commit or git.resolve_commit(repo, task.base or row.base_ref or "HEAD")
    policy, _source = load_base_policy(repo, base)
    secret = hidden.load(repo, base, task.id, policy.tests.hidden_dir)
    return Plan(
        row=row,
        task=task,
        base=base,
        policy=policy,
        sandbox=options.sandbox or policy.runs.sandbox,
        network=policy.runs.network if options.network is None else options.network,
        setup=tuple(policy.runs.setup if options.setup is None else options.setup),
        minutes=task.budget.minutes or options.default_minutes,
        output_cap=options.output_cap or int(policy.runs.transcript_cap_mb * 1024 * 1024),
        hidden=secret,
    )


def prepare_worktree(ctx: RunContext, plan: Plan) -> tuple[AgentSpace, Path | None]:
    """The run's worktree, detached at the base, its branch at the base, per-run setup done.

    Returns where the agent works and the excludes file of what setup created (None without setup).
    """
    branch = _branch_name(ctx.store, plan.row, plan.task)
    tree = add_worktree(
        ctx.repo,
        plan.base,
        root=statepaths.run_trees_dir(ctx.repo),
        prefix=statepaths.run_tree_prefix(ctx.run_id),
    )
    ctx.tree = tree
    git.run(ctx.repo, *commits.SAFE_FLAGS, "branch", "-f", "--no-track", branch, plan.base)
    ctx.store.update_run(ctx.run_id, branch=branch, base_commit=plan.base, worktree=str(tree.path))
    space = AgentSpace.of(ctx.repo, tree.path, ctx.run_dir)
    if plan.hidden.in_repo:
        _remove_hidden(tree.path, plan.hidden.in_repo)
        ctx.notes.append(hidden.IN_REPO_NOTE.format(path=hidden.repo_prefix(plan.task.id)))
    excludes = _run_setup(ctx, tree.path, plan.setup, plan.output_cap) if plan.setup else None
    # crewchief's own index for the commit starts as a copy of the fresh checkout's, taken before
    # the agent runs: its stat data spares hashing every unchanged file again.
    shutil.copyfile(space.admin_dir / "index", ctx.run_dir / "crewchief.index")
    return space, excludes


def _remove_hidden(worktree: Path, paths: Sequence[str]) -> None:
    """Delete the in-repository hidden tests from the agent's worktree, marked skip-worktree in
    its index (copied into crewchief's own next), so neither the agent's `git status` nor the run's
    commit sees them as deleted."""
    git.run(worktree, *commits.SAFE_FLAGS, "update-index", "--skip-worktree", "--", *paths)
    for rel in paths:
        (worktree / rel).unlink(missing_ok=True)
    folder = worktree / paths[0].split(f"/{hidden.HIDDEN}/", 1)[0] / hidden.HIDDEN
    for current, _dirs, _files in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(current)


def render_invocation(
    ctx: RunContext, plan: Plan, worktree: Path, config: AgentPolicy
) -> Invocation:
    """Render the prompt into the run folder and describe the call for the agent's adapter."""
    renderer = ctx.options.prompt_renderer or render_run_prompt
    # An entry naming a hidden test is never shown: it runs at the gate all the same.
    task = plan.task.model_copy(
        update={"acceptance": [e for e in plan.task.acceptance if not plan.hidden.covers(e)]}
    )
    prompt = renderer(task, plan.row, plan.policy, base=plan.base, store=ctx.store, repo=ctx.repo)
    prompt_file = ctx.run_dir / "prompt.md"
    prompt_file.write_text(prompt, encoding="utf-8")
    return Invocation(
        run_id=ctx.run_id,
        task=task,
        prompt=prompt,
        prompt_file=prompt_file,
        worktree=worktree,
        run_dir=ctx.run_dir,
        config=config,
        name=plan.row.agent,
    )


def _launch(
    ctx: RunContext,
    plan: Plan,
    space: AgentSpace,
    invocation: Invocation,
    command: AgentCommand,
    token: str,
) -> agent_env.Launch:
    env = agent_env.agent_environment(
        space,
        agent_name=plan.row.agent,
        pass_env=invocation.config.pass_env,
        extra={**invocation.config.env, **command.env},
        crewchief={
            "CREWCHIEF_RUN_ID": str(ctx.run_id),
            "CREWCHIEF_RUN_TOKEN": token,
            "CREWCHIEF_TASK": plan.task.id,
            "CREWCHIEF_PROMPT_FILE": str(invocation.prompt_file),
        },
    )
    try:
        launch = agent_env.launch(
            space,
            command.argv,
            env,
            mode=plan.sandbox,
            network=plan.network,
            extra_writable=command.extra_writable,
            secret=[plan.hidden.host_root] if plan.hidden.host_root else [],
        )
    except sandbox.SandboxUnavailable as exc:
        raise RunFailed(str(exc)) from exc
    ctx.notes.append(launch.how)
    if plan.hidden.host_root and not launch.sandboxed:
        ctx.notes.append(
            f"no sandbox (policy): the hidden acceptance tests in {plan.hidden.host_root} were "
            "readable by the agent"
        )
    return launch


def _run(
    ctx: RunContext,
    plan: Plan,
    agent: Agent,
    invocation: Invocation,
    command: AgentCommand,
    launch: agent_env.Launch,
    token: str,
) -> supervise.Supervised:
    """Move the run to `running` and run the agent to its end (or its budget's)."""
    ctx.store.transition(
        ctx.run_id, RunState.RUNNING, f"running: {launch.how}", expect=[RunState.PREPARING]
    )
    ctx.log(f"$ {shlex.join(command.argv)}\n# {launch.how}\n# time budget: {plan.minutes:g} min\n")
    ran = supervise.supervise(
        ctx.store,
        ctx.run_id,
        agent=agent,
        invocation=invocation,
        launched=supervise.Launched(launch.argv, launch.env, command.stdin, token),
        limits=supervise.Limits(
            minutes=plan.minutes,
            output_cap=plan.output_cap,
            kill_grace_s=ctx.options.kill_grace_s,
            usage_interval_s=ctx.options.usage_interval_s,
        ),
        transcript=ctx.transcript,
    )
    ctx.store.update_run(ctx.run_id, pid=None)
    if ran.outcome.dropped:
        ctx.event(
            f"the agent printed {human_size(ran.outcome.dropped)} more than the transcript keeps: "
            "its middle was dropped (the usage was read from all of it)"
        )
    return ran


def _record_usage(ctx: RunContext, usage: Usage) -> Usage:
    ctx.store.update_run(
        ctx.run_id,
        model=usage.model,
        tokens_in=usage.input_tokens,
        tokens_out=usage.output_tokens,
        cost_usd=usage.cost_usd,
        transcript=str(ctx.transcript),
    )
    return usage


def _contain(
    ctx: RunContext, watch: contain.Watch, space: AgentSpace, launch: agent_env.Launch, base: str
) -> tuple[str, ...]:
    """Put right and record what the agent did outside its worktree; return the problems that
    fail the run once its work is committed. A worktree the agent destroyed fails it now."""
    found = watch.check(
        git_log=space.git_log, objects=space.objects, agent_head=launch.agent_head, base=base
    )
    if found.agent_commits:
        ctx.log(
            "\n# commits the agent made itself (not kept on the branch):\n" + found.agent_commits
        )
    for event in found.events:
        ctx.event(event)
    ctx.notes.extend(found.notes)
    if not contain.worktree_intact(space.worktree):
        raise RunFailed("the agent deleted (or replaced) its worktree; nothing was committed")
    return found.problems


def _judge_agent(
    agent: Agent,
    outcome: proc.StreamOutcome,
    plan: Plan,
    problems: Sequence[str],
    head: str | None,
) -> None:
    """Fail the run when the agent did not finish well, broke containment or changed nothing."""
    if outcome.timed_out:
        raise RunFailed(
            f"the agent ran past its time budget of {plan.minutes:g} min and was stopped",
            RunState.TIMED_OUT,
        )
    if outcome.stopped:
        raise RunFailed(f"the agent was stopped: {outcome.stopped}")
    if outcome.returncode != 0:
        reason = f"the agent exited with code {outcome.returncode}"
        if supervise.transient(agent, outcome):
            reason = TRANSIENT + reason
        raise RunFailed(reason)
    if problems:
        raise RunFailed("; ".join(problems))
    if head is None:
        raise RunFailed("the agent changed nothing")


def _validate(ctx: RunContext, plan: Plan, head: str | None) -> RunState:
    """Gate the run's commit and hand it to review, unless another run of the task was merged
    meanwhile (then this candidate is superseded: checked before the gate, to save its time, and
    after, since a merge may land while the gate runs)."""
    ctx.store.transition(ctx.run_id, RunState.VALIDATING, "validating", expect=[RunState.RUNNING])
    if _supersede_if_merged(ctx):
        return RunState.SUPERSEDED
    if ctx.options.gate and head is not None:
        report = _gate(ctx, plan.base, head, plan.task)
        ctx.store.save_report(ctx.run_id, report)
        summary = f"awaiting review: gate {report['verdict']}, risk {report['risk']}"
    else:
        summary = "awaiting review: gate not run"
    if _supersede_if_merged(ctx):
        return RunState.SUPERSEDED
    ctx.store.transition(
        ctx.run_id,
        RunState.AWAITING_REVIEW,
        summary,
        expect=[RunState.VALIDATING],
        worktree=None,
    )
    return RunState.AWAITING_REVIEW


def _supersede_if_merged(ctx: RunContext) -> bool:
    """End a validating run as `superseded` when a run of its task was merged on its target
    after it was queued: its change would enter the review queue for a task already decided."""
    merged = ctx.store.merged_since(ctx.run_id)
    if merged is None:
        return False
    reason = superseded_reason(merged, ctx.store.run(merged).base_ref)
    ctx.store.transition(
        ctx.run_id,
        RunState.SUPERSEDED,
        reason,
        expect=[RunState.VALIDATING],
        reason=reason,
        pid=None,
        worktree=None,
    )
    return True


def _load_task(store: Store, row: RunRow) -> Task:
    task_row = store.task(row.task_id)
    if task_row is None:
        raise RunFailed(f"task '{row.task_id}' is not in the store")
    try:
        return Task.model_validate(task_row.spec)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise RunFailed(f"task '{row.task_id}' is malformed: {' '.join(first[:3])}") from exc


def _branch_name(store: Store, row: RunRow, task: Task) -> str:
    """`crewchief/<task>/<attempt>`, unless another run owns that name or may take it.

    Runs of the same task and attempt (several agents on one task) prepared at the same time each
    see the name free before either records it; so only the first queued of them takes it and the
    others add their id, whatever order they are prepared in."""
    name = f"crewchief/{task.id}/{row.attempt}"
    clash = any(
        r.id != row.id
        and (
            r.branch == name
            or (r.task_id == row.task_id and r.attempt == row.attempt and r.id < row.id)
        )
        for r in store.runs()
    )
    return f"{name}-run{row.id}" if clash else name


def _rotate_transcript(ctx: RunContext) -> None:
    """An interrupted attempt's transcript is kept beside the new one, never overwritten."""
    if ctx.transcript.exists():
        n = 1
        while (ctx.run_dir / f"transcript.interrupted-{n}.log").exists():
            n += 1
        ctx.transcript.rename(ctx.run_dir / f"transcript.interrupted-{n}.log")


def _run_setup(ctx: RunContext, worktree: Path, setup: Sequence[str], output_cap: int) -> Path:
    """Run `[runs] setup` in the worktree; what it creates is excluded from the agent's commit."""
    from crewchief.workspace.checkouts import split_command

    env = envpolicy.agent_env(run_dir=ctx.run_dir)
    for line in setup:
        argv = split_command(line)
        ctx.log(f"$ {line}   # per-run setup\n")
        outcome = proc.run(
            proc.Request(
                tuple(argv),
                cwd=worktree,
                env=env,
                timeout=ctx.options.setup_timeout_s,
                output_cap=output_cap,
                merge_stderr=True,
            )
        )
        ctx.log(outcome.stdout.decode("utf-8", "replace"))
        if not outcome.ok:
            why = "timed out" if outcome.timed_out else f"exit {outcome.returncode}"
            raise RunFailed(f"per-run setup command {line!r} failed ({why}); see the transcript")
    created = git.run(
        worktree,
        *commits.SAFE_FLAGS,
        "ls-files",
        "-z",
        "--others",
        "--exclude-standard",
        "--directory",
    ).stdout
    excludes = ctx.run_dir / "setup.exclude"
    lines = ["/" + git.decode_path(p) for p in created.split(b"\0") if p]
    excludes.write_text("".join(f"{_glob_escape(p)}\n" for p in lines), "utf-8", "surrogateescape")
    return excludes


def _glob_escape(path: str) -> str:
    return "".join(f"\\{c}" if c in "*?[]\\!#" else c for c in path)


def _commit(
    ctx: RunContext, plan: Plan, space: AgentSpace, usage: Usage, excludes: Path | None
) -> str | None:
    """Commit the worktree as one crewchief commit on the run branch; None when nothing changed."""
    rg = commits.RunGit(space.git_common, space.worktree, ctx.run_dir / "crewchief.index", excludes)
    tree = commits.tree_of_worktree(rg, plan.base)
    if tree == rg.run("rev-parse", f"{plan.base}^{{tree}}"):
        return None
    text = commits.message(
        run_id=plan.row.id,
        task_id=plan.task.id,
        title=plan.task.title,
        agent=plan.row.agent,
        model=usage.model,
        attempt=plan.row.attempt,
    )
    head = commits.commit_tree(rg, tree, plan.base, text)
    branch = ctx.store.run(ctx.run_id).branch
    if branch:
        commits.set_branch(rg, branch, head)
    ctx.store.update_run(ctx.run_id, head_commit=head)
    return head


def _gate(ctx: RunContext, base: str, head: str, task: Task) -> dict[str, Any]:
    path = f"{TASK_DIR}/{task.id}.md"
    at_base = read_files_at(ctx.repo, base, [path])[path] is not None
    notes = list(ctx.notes)
    if not at_base:
        notes.append(f"{path} is not in the base commit: the gate ran without the task")
    request = GateRequest(
        ctx.repo,
        base=base,
        head=head,
        task=task.id if at_base else None,
        static=ctx.options.static_gate,
        evidence_dir=statepaths.run_evidence_dir(ctx.repo, ctx.run_id),
    )
    try:
        report = run_gate(request).to_json()
    except Exception as exc:
        raise RunFailed(f"the gate could not run: {exc}") from exc
    report["run"] = {"id": ctx.run_id, "notes": notes}
    return report


def _by_agent(entry: dict[str, Any], agent: str) -> str:
    """Name the agent when the feedback was on another agent's attempt, so this one knows the
    criticism is of a change it has not seen."""
    other = entry.get("agent")
    return f" (by agent {other})" if isinstance(other, str) and other != agent else ""


def _previous_run(store: Store, row: RunRow) -> RunRow | None:
    """The run whose findings a retry is told about: the rejected run it was queued for, when a
    rejection queued it; else, of the task's latest earlier attempt, this agent's own run when it
    had one (several agents may have tried that attempt), else the most recent."""
    from crewchief.review.decide import carried_feedback

    carried = carried_feedback(row)
    parent = carried[-1].get("run") if carried else None
    earlier = [r for r in store.runs() if r.task_id == row.task_id and r.attempt < row.attempt]
    for run in earlier:
        if run.id == parent:
            return run
    if not earlier:
        return None
    latest = max(r.attempt for r in earlier)
    candidates = [r for r in earlier if r.attempt == latest]
    own = [r for r in candidates if r.agent == row.agent]
    return max(own or candidates, key=lambda r: r.id)


def render_run_prompt(
    task: Task, row: RunRow, policy: Policy, *, base: str, store: Store, repo: Path
) -> str:
    """The agents' prompt template (the repository's override at the base, else the built-in),
    with the reviewer's feedback and the previous attempt's blocking findings on a retry, and the
    import contracts in force read at the base as the architecture check reads them."""
    from crewchief.agents.prompt import (
        OVERRIDE_PATH,
        FindingSummary,
        PromptInputs,
        render_prompt,
    )
    from crewchief.gate.checks.architecture.contracts import CONFIG_FILES, in_force
    from crewchief.review.decide import feedback_history

    findings: list[FindingSummary] = []
    previous = _previous_run(store, row) if row.attempt > 1 else None
    if previous is not None:
        report = store.latest_report(previous.id) or {}
        for item in report.get("findings", []):
            with contextlib.suppress(Exception):
                findings.append(FindingSummary.from_json(item))
    at_base = read_files_at(repo, base, [OVERRIDE_PATH, *CONFIG_FILES])
    override = at_base.pop(OVERRIDE_PATH)
    try:
        contracts = in_force(policy, at_base)
    except UserError:
        contracts = None  # the architecture check reports contracts it cannot read
    inputs = PromptInputs(
        task=task,
        scope=policy.scope,
        feedback=[
            f"attempt {h.get('attempt', '?')}{_by_agent(h, row.agent)}: {h.get('feedback', '')}"
            for h in feedback_history(store, row)
        ],
        findings=findings,
        attempt=row.attempt,
        contracts=contracts.specs if contracts else (),
        api=policy.api,
    )
    template = override.decode("utf-8", "replace") if override is not None else None
    return render_prompt(inputs, template)
