"""Executes one run: claim it, give the agent a worktree, run it contained, commit, gate, record.

`execute_run` moves a queued run through `preparing → running → validating → awaiting_review`, or
ends it as `failed` / `timed_out` with a reason a person can act on. Every step is recorded in the
store as it happens (state changes are compare-and-set events; the agent's pid is stored before it
can do anything), so a crash at any point leaves what `recovery.recover` needs. Whatever happens,
the worktree is removed at the end; the branch, the transcript and the report stay.

Files of a run live in `<git dir>/crewchief/runs/<id>/` (prompt, transcript, gate evidence), its
worktree in `<git dir>/crewchief/run-trees/`, both outside the user's checkout. The worktree is
checked out detached at the base: the branch `crewchief/<task>/<attempt>` is created at the base
and only ever moved by crewchief, to its one commit of the agent's work.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from crewchief import git, proc
from crewchief.agents.base import Agent, Invocation, Usage
from crewchief.errors import UserError
from crewchief.gate.engine import GateRequest, load_base_policy, run_gate
from crewchief.gate.reader import read_files_at
from crewchief.runs import commit as commits
from crewchief.spec.policy import AgentPolicy, Policy
from crewchief.spec.task import TASK_DIR, Task
from crewchief.store import RunState, Store
from crewchief.store.db import TransitionError
from crewchief.store.models import RunRow
from crewchief.workspace import envpolicy, sandbox
from crewchief.workspace.worktree import Worktree, add_worktree, crewchief_dir

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
OWNER_FILE = "owner.json"
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
    output_cap: int = 8 * 1024 * 1024
    kill_grace_s: float = 2.0
    usage_interval_s: float = 1.0
    """How often the cost budget is checked against the agent's output so far."""
    gate: bool = True
    static_gate: bool = False
    """Only the static checks (no tests run), as in `crewchief gate --static`."""
    prompt_renderer: PromptRenderer | None = None
    keep_worktree: bool = False
    """For debugging: leave the worktree in place (recovery or `prune_worktrees` removes it)."""


def run_dir_of(repo: Path, run_id: int) -> Path:
    return crewchief_dir(repo) / "runs" / str(run_id)


def run_trees_dir(repo: Path) -> Path:
    return crewchief_dir(repo) / "run-trees"


class RunFailed(Exception):
    """Ends a run as failed (or timed out) with a reason; raised anywhere in the run's steps."""

    def __init__(self, reason: str, state: RunState = RunState.FAILED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state


@dataclass
class _Run:
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
    """Claim a queued run and take it to `awaiting_review`, `failed` or `timed_out`.

    Raises `TransitionError` when the run is not queued (another worker claimed it first). Any
    other problem ends the run with a reason and returns the final state. An interrupt
    (KeyboardInterrupt, SystemExit) re-queues the run before it propagates.
    """
    options = options or RunOptions()
    if agent_factory is None:
        from crewchief.agents.registry import resolve_agent

        agent_factory = resolve_agent
    repo = git.toplevel(repo)
    run_dir = run_dir_of(repo, run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    ctx = _Run(store, repo, run_id, options, run_dir, run_dir / TRANSCRIPT)
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


def _end(ctx: _Run, state: RunState, reason: str) -> RunState:
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


def _cleanup(ctx: _Run) -> None:
    if ctx.tree is not None and not ctx.options.keep_worktree:
        remove_run_tree(ctx.tree)
    for name in ("objects", "gitdir", "home", "tmp", "bin", "crewchief.index", "git.config"):
        path = ctx.run_dir / name
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


def _execute(ctx: _Run, agent_factory: AgentFactory) -> RunState:
    store, repo, run_id = ctx.store, ctx.repo, ctx.run_id
    row = store.run(run_id)
    task = _load_task(store, row)
    base = row.base_commit or git.resolve_commit(repo, task.base or row.base_ref or "HEAD")
    policy, _source = load_base_policy(repo, base)
    mode: sandbox.SandboxMode = ctx.options.sandbox or policy.runs.sandbox
    network = policy.runs.network if ctx.options.network is None else ctx.options.network
    setup = list(policy.runs.setup) if ctx.options.setup is None else ctx.options.setup
    _rotate_transcript(ctx)

    branch = _branch_name(store, row, task)
    state_dir = ctx.run_dir.parent.parent  # <git common dir>/crewchief
    common = state_dir.parent
    tree = add_worktree(repo, base, root=state_dir / "run-trees", prefix=f"run{run_id}-")
    ctx.tree = tree
    git.run(repo, *commits.SAFE_FLAGS, "branch", "-f", "--no-track", branch, base)
    store.update_run(run_id, branch=branch, base_commit=base, worktree=str(tree.path))
    admin = _admin_dir(tree.path)

    excludes = _run_setup(ctx, tree.path, setup) if setup else None
    # crewchief's own index for the commit starts as a copy of the fresh checkout's, taken before
    # the agent runs: its stat data spares hashing every unchanged file again.
    shutil.copyfile(admin / "index", ctx.run_dir / "crewchief.index")

    agent, config = agent_factory(row.agent, policy)
    renderer = ctx.options.prompt_renderer or render_run_prompt
    prompt = renderer(task, row, policy, base=base, store=store, repo=repo)
    prompt_file = ctx.run_dir / "prompt.md"
    prompt_file.write_text(prompt, encoding="utf-8")

    invocation = Invocation(
        run_id=run_id,
        task=task,
        prompt=prompt,
        prompt_file=prompt_file,
        worktree=tree.path,
        run_dir=ctx.run_dir,
        config=config,
        name=row.agent,
    )
    command = agent.command(invocation)
    token = uuid.uuid4().hex
    objects = ctx.run_dir / "objects"
    for sub in ("pack", "info"):
        (objects / sub).mkdir(parents=True, exist_ok=True)
    git_log = ctx.run_dir / "git-commands.log"
    shim = _git_shim(ctx.run_dir)
    env = envpolicy.agent_env(
        run_dir=ctx.run_dir,
        pass_env=config.pass_env,
        extra={
            **config.env,
            **command.env,
            **envpolicy.git_identity(row.agent),
            "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            "CREWCHIEF_RUN_ID": str(run_id),
            "CREWCHIEF_RUN_TOKEN": token,
            "CREWCHIEF_TASK": task.id,
            "CREWCHIEF_PROMPT_FILE": str(prompt_file),
            "CREWCHIEF_GIT_LOG": str(git_log),
            "GIT_OBJECT_DIRECTORY": str(objects),
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(common / "objects"),
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "protocol.allow",
            "GIT_CONFIG_VALUE_0": "never",
            "GIT_CONFIG_KEY_1": "core.hooksPath",
            "GIT_CONFIG_VALUE_1": "/dev/null",
        },
    )
    try:
        sandboxed = sandbox.use_bwrap(mode, network)
    except sandbox.SandboxUnavailable as exc:
        raise RunFailed(str(exc)) from exc
    how = sandbox.describe(sandboxed, mode, network)
    argv: tuple[str, ...] = tuple(command.argv)
    agent_head = admin / "HEAD"
    if sandboxed:
        private_admin = ctx.run_dir / "gitdir"
        sandbox.private_admin_copy(admin, private_admin)
        git_config = ctx.run_dir / "git.config"
        git_config.write_bytes(sandbox.sanitized_git_config(common))
        layout = sandbox.Layout(
            worktree=tree.path,
            run_dir=ctx.run_dir,
            checkout=repo,
            git_common=common,
            state_dir=state_dir,
            admin_dir=admin,
            private_admin=private_admin,
            git_config=git_config,
            home=sandbox.home_dir(),
            writable=tuple(p for p in command.extra_writable if p.exists()),
            network=network,
        )
        layout = replace(
            layout, visible=sandbox.visible_again(layout, argv, env.get("PATH", os.defpath))
        )
        argv = sandbox.bwrap_argv(argv, layout, sandbox.probe())
        agent_head = private_admin / "HEAD"
    ctx.notes.append(how)
    guard = commits.GitDirSnapshot.take(common)
    checkout_before = None if sandboxed else git.head_tree_of_worktree(repo)
    refs_before = None if sandboxed else _refs(repo)

    minutes = task.budget.minutes or ctx.options.default_minutes
    store.transition(run_id, RunState.RUNNING, f"running: {how}", expect=[RunState.PREPARING])
    ctx.log(f"$ {shlex.join(command.argv)}\n# {how}\n# time budget: {minutes:g} min\n")
    outcome = _run_agent(
        ctx,
        agent,
        invocation=invocation,
        argv=argv,
        env=env,
        stdin=command.stdin,
        minutes=minutes,
        token=token,
    )
    store.update_run(run_id, pid=None)

    # --- after the agent: contain, record, then judge --------------------------------------------
    usage = _usage(agent, outcome.output, invocation)
    store.update_run(
        run_id,
        model=usage.model,
        tokens_in=usage.input_tokens,
        tokens_out=usage.output_tokens,
        cost_usd=usage.cost_usd,
        transcript=str(ctx.transcript),
    )
    tampered = guard.restore()
    problems: list[str] = []
    if tampered:
        problems.append(
            "the agent changed the repository's shared git files (restored): " + ", ".join(tampered)
        )
    if checkout_before is not None and git.head_tree_of_worktree(repo) != checkout_before:
        problems.append("the user's checkout changed while the agent ran (no sandbox here)")
    if refs_before is not None:
        after = _refs(repo)
        moved = sorted(r for r in {*refs_before, *after} if refs_before.get(r) != after.get(r))
        if moved:
            # The user may commit during a night run too, so this is on record, not a failure.
            ctx.event(
                "refs changed while the agent ran (no sandbox here): " + ", ".join(moved[:20])
            )
    pushes = _git_commands(git_log, "push")
    if pushes:
        ctx.event(f"the agent ran {pushes[0][:200]!r}: pushing is blocked for agents")
        ctx.notes.append(f"agent tried: {pushes[0][:200]}")
    own = commits.agent_commit_log(common, objects, agent_head, base)
    if own:
        ctx.log("\n# commits the agent made itself (not kept on the branch):\n" + own)
        ctx.event("the agent committed by itself; its commits were replaced by crewchief's")

    if tree.path.is_symlink() or not (tree.path / ".git").is_file():
        raise RunFailed("the agent deleted (or replaced) its worktree; nothing was committed")

    head = _commit(
        ctx,
        common=common,
        worktree=tree.path,
        base=base,
        task=task,
        row=row,
        usage=usage,
        excludes=excludes,
    )
    for problem in problems:
        ctx.event(problem)
    if outcome.timed_out:
        raise RunFailed(
            f"the agent ran past its time budget of {minutes:g} min and was stopped",
            RunState.TIMED_OUT,
        )
    if outcome.stopped:
        raise RunFailed(f"the agent was stopped: {outcome.stopped}")
    if outcome.returncode != 0:
        reason = f"the agent exited with code {outcome.returncode}"
        if _transient(agent, outcome):
            reason = TRANSIENT + reason
        raise RunFailed(reason)
    if problems:
        raise RunFailed("; ".join(problems))
    if head is None:
        raise RunFailed("the agent changed nothing")

    store.transition(run_id, RunState.VALIDATING, "validating", expect=[RunState.RUNNING])
    if ctx.options.gate:
        report = _gate(ctx, base, head, task)
        store.save_report(run_id, report)
        summary = f"awaiting review: gate {report['verdict']}, risk {report['risk']}"
    else:
        summary = "awaiting review: gate not run"
    store.transition(
        run_id, RunState.AWAITING_REVIEW, summary, expect=[RunState.VALIDATING], worktree=None
    )
    return RunState.AWAITING_REVIEW


def _refs(repo: Path) -> dict[str, str]:
    """Every ref but the run branches (which other runs move), to notice an agent moving one."""
    out = git.run(repo, "for-each-ref", "--format=%(refname) %(objectname)").text()
    pairs = (line.split(" ", 1) for line in out.splitlines() if " " in line)
    return {name: oid for name, oid in pairs if not name.startswith("refs/heads/crewchief/")}


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
    """`crewchief/<task>/<attempt>`, unless another run already owns that name."""
    name = f"crewchief/{task.id}/{row.attempt}"
    clash = any(r.branch == name and r.id != row.id for r in store.runs())
    return f"{name}-run{row.id}" if clash else name


def _admin_dir(worktree: Path) -> Path:
    text = (worktree / ".git").read_text(encoding="utf-8").strip()
    if not text.startswith("gitdir:"):
        raise RunFailed(f"{worktree}/.git is not a worktree link")
    return Path(text.removeprefix("gitdir:").strip()).resolve()


def _rotate_transcript(ctx: _Run) -> None:
    """An interrupted attempt's transcript is kept beside the new one, never overwritten."""
    if ctx.transcript.exists():
        n = 1
        while (ctx.run_dir / f"transcript.interrupted-{n}.log").exists():
            n += 1
        ctx.transcript.rename(ctx.run_dir / f"transcript.interrupted-{n}.log")


def _git_shim(run_dir: Path) -> Path:
    """A `git` first on the agent's PATH that logs each call, so a push attempt is on record."""
    real = shutil.which("git") or "/usr/bin/git"
    folder = run_dir / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "git"
    script.write_text(
        "#!/bin/sh\n"
        'printf "git %s\\n" "$*" >> "$CREWCHIEF_GIT_LOG" 2>/dev/null\n'
        f'exec {shlex.quote(real)} "$@"\n'
    )
    script.chmod(0o755)
    return folder


def _git_commands(log: Path, verb: str) -> list[str]:
    try:
        text = log.read_bytes()[:65536].decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if verb in line.split()[1:3]]


def _run_setup(ctx: _Run, worktree: Path, setup: Sequence[str]) -> Path:
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
                output_cap=ctx.options.output_cap,
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


def _run_agent(
    ctx: _Run,
    agent: Agent,
    *,
    invocation: Invocation,
    argv: tuple[str, ...],
    env: Mapping[str, str],
    stdin: bytes | None,
    minutes: float,
    token: str,
) -> proc.StreamOutcome:
    budget = invocation.task.budget
    last_usage = [0.0]
    last_tick = [time.monotonic()]

    def on_start(pid: int) -> None:
        (ctx.run_dir / OWNER_FILE).write_text(
            json.dumps({"pid": pid, "owner": os.getpid(), "token": token})
        )
        ctx.store.update_run(ctx.run_id, pid=pid)

    def on_output(output: bytes) -> str | None:
        if budget.usd is None and budget.tokens is None:
            return None
        now = time.monotonic()
        if now - last_usage[0] < ctx.options.usage_interval_s:
            return None
        last_usage[0] = now
        return _over_budget(_usage(agent, output, invocation), invocation.task)

    def on_tick() -> str | None:
        now = time.monotonic()
        if now - last_tick[0] < 2.0:
            return None
        last_tick[0] = now
        if ctx.store.run(ctx.run_id).state == RunState.CANCELLED.value:
            return "the run was cancelled"
        return None

    with open(ctx.transcript, "ab") as sink:
        outcome = proc.stream(
            proc.Request(
                argv,
                cwd=invocation.worktree,
                env=env,
                timeout=minutes * 60,
                stdin=stdin,
                output_cap=ctx.options.output_cap,
            ),
            sink,
            on_start=on_start,
            on_output=on_output,
            on_tick=on_tick,
            grace=ctx.options.kill_grace_s,
        )
        end = (
            f"\n# exit: {outcome.returncode}  duration: {outcome.duration_s:.2f}s"
            f"{'  TIMED OUT' if outcome.timed_out else ''}"
            f"{f'  STOPPED: {outcome.stopped}' if outcome.stopped else ''}\n"
        )
        sink.write(end.encode())
    if not outcome.stopped and not outcome.timed_out:
        over = _over_budget(_usage(agent, outcome.output, invocation), invocation.task)
        if over:
            return proc.StreamOutcome(
                outcome.returncode, outcome.output, outcome.duration_s, stopped=over
            )
    return outcome


def _usage(agent: Agent, output: bytes, invocation: Invocation) -> Usage:
    """The agent's own account of its usage; a parser that chokes on hostile output counts as none."""
    try:
        return agent.usage(output, invocation)
    except Exception:
        return Usage()


def _over_budget(usage: Usage, task: Task) -> str | None:
    budget = task.budget
    if budget.usd is not None and usage.cost_usd is not None and usage.cost_usd > budget.usd:
        return f"cost budget passed: ${usage.cost_usd:.2f} > ${budget.usd:.2f}"
    tokens = (usage.input_tokens or 0) + (usage.output_tokens or 0)
    if budget.tokens is not None and tokens > budget.tokens:
        return f"token budget passed: {tokens} > {budget.tokens}"
    return None


def _transient(agent: Agent, outcome: proc.StreamOutcome) -> bool:
    try:
        return bool(agent.transient(outcome.output, outcome.returncode))
    except Exception:
        return False


def _commit(
    ctx: _Run,
    *,
    common: Path,
    worktree: Path,
    base: str,
    task: Task,
    row: RunRow,
    usage: Usage,
    excludes: Path | None,
) -> str | None:
    """Commit the worktree as one crewchief commit on the run branch; None when nothing changed."""
    rg = commits.RunGit(common, worktree, ctx.run_dir / "crewchief.index", excludes)
    tree = commits.tree_of_worktree(rg, base)
    if tree == rg.run("rev-parse", f"{base}^{{tree}}"):
        return None
    text = commits.message(
        run_id=row.id,
        task_id=task.id,
        title=task.title,
        agent=row.agent,
        model=usage.model,
        attempt=row.attempt,
    )
    head = commits.commit_tree(rg, tree, base, text)
    branch = ctx.store.run(ctx.run_id).branch
    if branch:
        commits.set_branch(rg, branch, head)
    ctx.store.update_run(ctx.run_id, head_commit=head)
    return head


def _gate(ctx: _Run, base: str, head: str, task: Task) -> dict[str, Any]:
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
        evidence_dir=ctx.run_dir / "evidence",
    )
    try:
        report = run_gate(request).to_json()
    except Exception as exc:
        raise RunFailed(f"the gate could not run: {exc}") from exc
    report["run"] = {"id": ctx.run_id, "notes": notes}
    return report


def render_run_prompt(
    task: Task, row: RunRow, policy: Policy, *, base: str, store: Store, repo: Path
) -> str:
    """The agents' prompt template (the repository's override at the base, else the built-in),
    with the reviewer's feedback and the previous attempt's blocking findings on a retry."""
    from crewchief.agents.prompt import OVERRIDE_PATH, PromptInputs, render_prompt
    from crewchief.gate.findings import Finding
    from crewchief.review.decide import feedback_history

    findings: list[Finding] = []
    if row.attempt > 1:
        earlier = [r for r in store.runs() if r.task_id == row.task_id and r.attempt < row.attempt]
        if earlier:
            report = store.latest_report(max(earlier, key=lambda r: r.attempt).id) or {}
            for item in report.get("findings", []):
                with contextlib.suppress(Exception):
                    findings.append(Finding.from_json(item))
    override = read_files_at(repo, base, [OVERRIDE_PATH])[OVERRIDE_PATH]
    inputs = PromptInputs(
        task=task,
        scope=policy.scope,
        feedback=[
            f"attempt {h.get('attempt', '?')}: {h.get('feedback', '')}"
            for h in feedback_history(row)
        ],
        findings=findings,
        attempt=row.attempt,
    )
    template = override.decode("utf-8", "replace") if override is not None else None
    return render_prompt(inputs, template)
