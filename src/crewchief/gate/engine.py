"""Runs the gate: resolve refs, read policy and task from the base, read the change once, run the
checks concurrently, decide."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from crewchief import git, statepaths
from crewchief.errors import GitInputError, UserError
from crewchief.gate import registry
from crewchief.gate.analysis import astlock, pysource
from crewchief.gate.cache import Cache, NullCache
from crewchief.gate.change import Change
from crewchief.gate.check import Check, CheckContext, CheckSkipped, GateSession, is_exclusive
from crewchief.gate.findings import CheckResult, CheckStatus, Finding, Report, Severity, Stats
from crewchief.gate.reader import read_change, read_files_at
from crewchief.gate.reconcile import decided_by_oracle
from crewchief.gate.verdict import decide, risk_score, status_of
from crewchief.spec.policy import POLICY_FILE, PYPROJECT, Policy, load_policy
from crewchief.spec.task import TASK_DIR, TASK_ID, Task, parse_task
from crewchief.workspace.checkouts import Checkouts

DEFAULT_BASES = ("@{upstream}", "origin/HEAD", "main", "master")


@dataclass(frozen=True)
class GateRequest:
    repo: Path
    base: str | None = None
    head: str | None = None
    worktree: bool = False
    staged: bool = False
    """Gate the index against HEAD (or `base`): what the next commit would record."""
    task: str | None = None
    only: Sequence[str] = ()
    skip: Sequence[str] = ()
    use_cache: bool = True
    static: bool = False
    """Run only the static checks (no worktrees, no commands)."""
    evidence_dir: Path | None = None
    """Where dynamic checks leave logs and samples (default: under .git/crewchief/evidence/)."""


@dataclass(frozen=True)
class Resolved:
    repo: Path
    base: str
    head: str
    """A commit id, or a tree id when gating the work tree."""
    head_label: str
    notes: tuple[str, ...]


def resolve(request: GateRequest) -> Resolved:
    repo = git.toplevel(request.repo)
    notes: list[str] = []
    if sum((bool(request.head), request.worktree, request.staged)) > 1:
        raise UserError(
            "--head, --worktree and --staged are exclusive: gate a commit, the work tree or the "
            "staged change"
        )
    head_ref = request.head or "HEAD"
    if request.staged and not git.has_commits(repo):
        raise UserError(
            "--staged: the repository has no commit yet, so there is nothing to compare the "
            "staged change with; gate from the second commit on"
        )
    head_commit = git.resolve_commit(repo, head_ref)
    if request.base:
        base_commit = git.resolve_commit(repo, request.base)
    elif request.staged:
        base_commit = head_commit
    else:
        for candidate in DEFAULT_BASES:
            try:
                base_commit = git.resolve_commit(repo, candidate)
                notes.append(f"no --base given: using {candidate}")
                break
            except GitInputError:
                continue
        else:
            raise UserError(
                "no base to compare with: pass --base REF (for example --base origin/main)"
            )
    fork = git.merge_base(repo, base_commit, head_commit)
    if fork is None:
        if git.is_shallow(repo):
            raise GitInputError(
                "shallow clone: base and head share no fetched history; fetch more "
                "('git fetch --deepen=100' or fetch-depth: 0 in CI)"
            )
        raise GitInputError(
            f"'{request.base}' and '{head_ref}' share no history; pick a base on the same line"
        )
    if fork != base_commit:
        notes.append(
            f"base moved since the change forked: comparing with the fork point {fork[:12]}"
        )
    head, label = head_commit, head_ref
    if request.worktree:
        head, label = git.head_tree_of_worktree(repo), "work tree"
    elif request.staged:
        head, label = git.index_tree(repo), "staged change"
    return Resolved(repo, fork, head, label, tuple(notes))


def load_base_policy(repo: Path, base: str) -> tuple[Policy, str | None]:
    """The policy as it is at the base commit: a change cannot loosen the rules that judge it."""
    return load_policy(read_files_at(repo, base, [POLICY_FILE, PYPROJECT]))


def load_base_task(repo: Path, base: str, task_id: str) -> Task:
    if not TASK_ID.match(task_id):
        raise UserError(
            f"--task '{task_id}': a task id is lower-case letters, digits, '.', '_' and '-'"
        )
    path = f"{TASK_DIR}/{task_id}.md"
    data = read_files_at(repo, base, [path])[path]
    if data is None:
        raise UserError(f"task '{task_id}' not found at base {base[:12]}: commit {path} first")
    task = parse_task(data, path)
    if task.id != task_id:
        raise UserError(
            f"{path}: id is '{task.id}' but the file is named '{task_id}'; make them agree"
        )
    return task


def cache_path(repo: Path) -> Path:
    return statepaths.gate_cache(repo)


def _wants_dynamic(request: GateRequest, policy: Policy) -> bool:
    if request.static:
        return False
    wanted = [
        n
        for n in (request.only or registry.all_names())
        if n not in {*request.skip, *policy.gate.skip}
    ]
    checks = registry.available_checks()
    return any(name in checks and checks[name].kind == "dynamic" for name in wanted)


def _evidence_dir(repo: Path, head: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return statepaths.evidence_dir(repo) / f"{stamp}-{head[:12]}-{os.getpid()}"


def run_gate(request: GateRequest, session: GateSession | None = None) -> Report:
    started = time.monotonic()
    resolved = resolve(request)
    policy, policy_source = load_base_policy(resolved.repo, resolved.base)
    task = load_base_task(resolved.repo, resolved.base, request.task) if request.task else None
    change = read_change(resolved.repo, resolved.base, resolved.head)
    cache: NullCache = Cache(cache_path(resolved.repo)) if request.use_cache else NullCache()
    checkouts: Checkouts | None = None
    notes = list(resolved.notes)
    if session is None and _wants_dynamic(request, policy):
        evidence = request.evidence_dir or _evidence_dir(resolved.repo, resolved.head)
        checkouts = Checkouts(resolved.repo, policy, evidence)
        session = GateSession(checkouts, resolved.base, resolved.head)
    try:
        report = gate_change(
            change,
            policy,
            task,
            only=request.only,
            skip=[*request.skip, *policy.gate.skip],
            cache=cache,
            session=session,
            policy_source=policy_source,
            notes=notes,
        )
    finally:
        if checkouts is not None:
            checkouts.close()
        cache.close()
        pysource.forget_parsed()
    if checkouts is not None and checkouts.evidence_dir.exists():
        report = replace(report, notes=(*report.notes, f"evidence: {checkouts.evidence_dir}"))
    return replace(report, duration_s=time.monotonic() - started)


def _run_one(check: Check, ctx: CheckContext) -> CheckResult:
    start = time.monotonic()
    ctx = replace(ctx, details=[])

    def evidence() -> tuple[str, ...]:
        return ctx.session.evidence_for(check.name) if ctx.session else ()

    try:
        findings = tuple(check.run(ctx))
    except CheckSkipped as exc:
        elapsed = time.monotonic() - start
        return CheckResult(
            check.name, CheckStatus.SKIPPED, elapsed, detail=str(exc), evidence=evidence()
        )
    except UserError as exc:
        return _errored(check.name, start, str(exc), evidence())
    except Exception as exc:  # a crashing check must never read as a pass
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return _errored(check.name, start, f"{detail}\n{traceback.format_exc()}", evidence())
    status = status_of(findings)
    elapsed = time.monotonic() - start
    return CheckResult(check.name, status, elapsed, findings, "\n".join(ctx.details), evidence())


def _errored(name: str, start: float, detail: str, evidence: tuple[str, ...] = ()) -> CheckResult:
    first = detail.strip().splitlines()[0] if detail.strip() else "unknown error"
    message = f"the {name} check could not run: {first}"
    finding = Finding(name, "check-error", Severity.MEDIUM, message)
    elapsed = time.monotonic() - start
    return CheckResult(name, CheckStatus.ERROR, elapsed, (finding,), detail, evidence)


def _triage(
    wanted: Sequence[str],
    available: dict[str, Check],
    broken: dict[str, str],
    session: GateSession | None,
) -> tuple[dict[str, CheckResult], list[Check]]:
    """The results known without running anything (load errors, checks this version lacks,
    dynamic checks without a session), and the checks left to run."""
    results: dict[str, CheckResult] = {}
    runnable: list[Check] = []
    for name in wanted:
        check = available.get(name)
        if name in broken:
            results[name] = _errored(name, time.monotonic(), broken[name])
        elif check is None:
            results[name] = CheckResult(
                name, CheckStatus.NOT_BUILT, 0.0, detail="not provided by this version of crewchief"
            )
        elif check.kind == "dynamic" and session is None:
            detail = "dynamic check: not run (--static, or no gate session)"
            results[name] = CheckResult(name, CheckStatus.SKIPPED, 0.0, detail=detail)
        else:
            runnable.append(check)
    return results, runnable


def _run_checks(runnable: Sequence[Check], ctx: CheckContext) -> dict[str, CheckResult]:
    """Run the checks concurrently, then the exclusive ones (they measure time) alone, after the
    rest, so the others' load does not add noise to their samples."""
    results: dict[str, CheckResult] = {}
    alone = [c for c in runnable if is_exclusive(c)]
    together = [c for c in runnable if not is_exclusive(c)]
    if together:
        with ThreadPoolExecutor(max_workers=len(together), thread_name_prefix="check") as pool:
            for result in pool.map(lambda c: _run_one(c, ctx), together):
                results[result.name] = result
    for check in alone:
        results[check.name] = _run_one(check, ctx)
    return results


def gate_change(
    change: Change,
    policy: Policy,
    task: Task | None = None,
    *,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    cache: NullCache | None = None,
    session: GateSession | None = None,
    policy_source: str | None = None,
    notes: Sequence[str] = (),
    checks: dict[str, Check] | None = None,
) -> Report:
    """The pure part of the gate: a change, a policy and a task in, a report out."""
    started = time.monotonic()
    astlock.install()
    available = checks if checks is not None else registry.available_checks()
    broken = registry.load_errors() if checks is None else {}
    wanted = [n for n in (only or registry.all_names()) if n not in set(skip)]
    results, runnable = _triage(wanted, available, broken, session)
    running = frozenset(c.name for c in runnable)
    ctx = CheckContext(change, policy, task, cache or NullCache(), session, running)
    results.update(_run_checks(runnable, ctx))
    results = decided_by_oracle(results, session, task)
    ordered = tuple(results[n] for n in wanted if n in results)
    findings = [f for c in ordered for f in c.findings]
    stats = Stats(len(change.files), change.lines_added, change.lines_removed)
    risk = risk_score(findings, stats)
    return Report(
        base=change.base,
        head=change.head,
        verdict=decide(ordered, risk, policy.gate.review_at_risk),
        risk=risk,
        checks=ordered,
        stats=stats,
        task=task.id if task else None,
        policy_source=policy_source,
        notes=tuple(notes),
        duration_s=time.monotonic() - started,
    )
