"""One run end to end with real agent programs: the happy path, budgets, crashes, floods."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from crewchief import statepaths
from crewchief.agents.base import AgentCommand, Invocation, Usage
from crewchief.runs.execute import RunOptions, execute_run
from crewchief.spec.policy import AgentPolicy, Policy
from crewchief.store import RunState
from tests.runs.conftest import Project

GOOD = """
import pathlib, sys
prompt = pathlib.Path(sys.argv[1]).read_text()
print("read prompt:", prompt.splitlines()[0])
path = pathlib.Path("src/app.py")
path.write_text('def add(a, b):\\n    \"\"\"Sum of a and b.\"\"\"\\n    return a + b\\n')
pathlib.Path("src/new_module.py").write_text("VALUE = 1\\n")
print("done")
"""


def sandbox_option(mode: str) -> str:
    return "required" if mode == "bwrap" else "off"


def worktrees(project: Project) -> list[str]:
    return [
        line.split(" ", 1)[1]
        for line in project.repo.git("worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def test_good_agent_reaches_review_with_one_trailered_commit(make_project, mode) -> None:
    project = make_project(GOOD)
    base = project.repo.git("rev-parse", "HEAD")
    run_id = project.queue()
    state = project.execute(run_id, sandbox=sandbox_option(mode))
    run = project.store.run(run_id)
    assert state == RunState.AWAITING_REVIEW, run.reason
    assert run.branch == "crewchief/fix-app/1"
    assert run.base_commit == base and run.head_commit
    assert project.repo.git("rev-parse", run.branch) == run.head_commit
    assert project.repo.git("rev-parse", f"{run.branch}^") == base
    message = project.repo.git("log", "-1", "--format=%B", run.branch)
    for trailer in (
        f"Crewchief-Run: {run_id}",
        "Crewchief-Task: fix-app",
        "Crewchief-Agent: bot",
        "Crewchief-Model: unknown",
    ):
        assert trailer in message
    assert project.repo.git("log", "-1", "--format=%an <%ae>", run.branch) == (
        "crewchief <crewchief@localhost>"
    )
    changed = project.repo.git("diff", "--name-only", base, run.branch).split()
    assert changed == ["src/app.py", "src/new_module.py"]
    report = project.store.latest_report(run_id)
    assert report is not None and report["head"] == run.head_commit
    assert report["task"] == "fix-app"
    assert run.verdict == report["verdict"]
    transcript = Path(run.transcript or "").read_text()
    assert "read prompt: # " in transcript and "done" in transcript
    assert worktrees(project) == [str(project.path)]  # the run's worktree is gone
    assert run.worktree is None and run.pid is None
    states = [e.to_state for e in project.store.events(run_id)]
    assert states[:2] == ["queued", "preparing"]
    assert states[-3:] == ["running", "validating", "awaiting_review"]
    assert project.repo.git("status", "--porcelain") == ""  # the checkout is untouched
    assert project.repo.git("rev-parse", "HEAD") == base


def test_prompt_file_is_outside_the_worktree_and_carries_feedback(make_project) -> None:
    project = make_project(
        """
        import os, pathlib, sys
        pathlib.Path("seen.txt").write_text(sys.argv[1] + "\\n" + os.environ["CREWCHIEF_PROMPT_FILE"])
        """
    )
    run_id = project.queue(feedback="Please keep the signature unchanged.")
    assert project.execute(run_id) == RunState.AWAITING_REVIEW
    run = project.store.run(run_id)
    seen = project.repo.git("show", f"{run.branch}:seen.txt").splitlines()
    prompt_file = statepaths.run_dir(project.path, run_id) / "prompt.md"
    assert seen == [str(prompt_file), str(prompt_file)]
    prompt = prompt_file.read_text()
    assert "Make add() document itself." in prompt
    assert "Please keep the signature unchanged." in prompt


def test_out_of_scope_change_is_gated_and_blocked(make_project) -> None:
    project = make_project(
        """
        import pathlib
        pathlib.Path("crewchief.toml").write_text("[scope]\\nallow = ['**']\\n")
        pathlib.Path("docs").mkdir()
        pathlib.Path("docs/notes.md").write_text("hi\\n")
        """
    )
    run_id = project.queue()
    assert project.execute(run_id) == RunState.AWAITING_REVIEW
    report = project.store.latest_report(run_id)
    assert report is not None and report["verdict"] == "block"
    rules = {(f["check"], f["rule"]) for f in report["findings"]}
    assert any(check == "scope" for check, _ in rules)


def test_hanging_agent_times_out_and_leaves_no_process(make_project, mode) -> None:
    project = make_project(
        """
        import os, pathlib, subprocess, sys, time
        pathlib.Path("partial.txt").write_text("started\\n")
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pathlib.Path(os.environ["CREWCHIEF_RUN_DIR"], "child.pid").write_text(str(child.pid))
        print("sleeping", flush=True)
        time.sleep(600)
        """,
        budget={"minutes": 0.03},
    )
    run_id = project.queue()
    started = time.monotonic()
    state = project.execute(run_id, sandbox=sandbox_option(mode), kill_grace_s=0.5)
    assert time.monotonic() - started < 30
    run = project.store.run(run_id)
    assert state == RunState.TIMED_OUT
    assert run.reason and "time budget of 0.03 min" in run.reason
    assert "sleeping" in Path(run.transcript or "").read_text()
    assert worktrees(project) == [str(project.path)]
    # The partial work is kept on the branch as evidence.
    assert project.repo.git("show", f"{run.branch}:partial.txt") == "started"
    assert not _agent_processes(project, run_id)


def _agent_processes(project: Project, run_id: int) -> list[int]:
    """Live processes started for this run (tests run in parallel, so the run id is not enough)."""
    marker = (
        f"CREWCHIEF_PROMPT_FILE={statepaths.run_dir(project.path, run_id) / 'prompt.md'}".encode()
    )
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                stat = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            zombie = stat[stat.rfind(b")") + 2 :][:1] == b"Z"
            if marker in environ.split(b"\0") and not zombie:
                found.append(int(entry))
    return found


def test_crashing_agent_fails_with_its_exit_code(make_project) -> None:
    project = make_project(
        """
        import pathlib, sys
        pathlib.Path("src/app.py").write_text("broken(\\n")
        print("Traceback: something went wrong", file=sys.stderr)
        sys.exit(3)
        """
    )
    run_id = project.queue()
    assert project.execute(run_id) == RunState.FAILED
    run = project.store.run(run_id)
    assert run.reason == "the agent exited with code 3"
    assert "something went wrong" in Path(run.transcript or "").read_text()
    assert project.store.latest_report(run_id) is None


def test_transient_failure_is_marked_for_retry(make_project) -> None:
    project = make_project(
        """
        import sys
        print("Error: 429 Too Many Requests (rate limit)")
        sys.exit(1)
        """
    )
    run_id = project.queue()
    assert project.execute(run_id) == RunState.FAILED
    assert project.store.run(run_id).reason == "transient: the agent exited with code 1"


FLOOD = """#!{python}
import json, pathlib, sys
sys.stdin.read()
pathlib.Path("src/app.py").write_text("def add(a, b):\\n    return b + a\\n")
out = sys.stdout.buffer
def emit(event):
    out.write(json.dumps(event).encode() + b"\\n")
emit({{"type": "system", "subtype": "init", "model": "claude-flood-1"}})
out.write(b"\\xff\\xfe not UTF-8\\n")
pad = "x" * 1000
i = 0
while {more}:
    i += 1
    emit({{"type": "assistant", "message": {{"id": f"m{{i}}", "content": [{{"text": pad}}],
          "usage": {{"input_tokens": 1, "output_tokens": 1}}}}}})
    if i == 18000:
        emit({{"type": "result", "total_cost_usd": 0.42,
              "usage": {{"input_tokens": 1234, "output_tokens": 567}}}})
emit({{"type": "user", "message": {{"content": "THE LAST EVENT"}}}})
"""


def flood_project(make_project: Any, tmp_path: Path, more: str, **kwargs: Any) -> Project:
    """A fake `claude` printing stream-json (about 1 KB an event) until `more` is false.

    Its interpreter is named by its real path: the sandbox shows the agent's own program but
    hides a checkout under /tmp, so the virtualenv's `python` link there would not be found."""
    script = tmp_path / "claude"
    script.write_text(FLOOD.format(python=os.path.realpath(sys.executable), more=more))
    script.chmod(0o755)
    policy = (
        f'[runs]\ntranscript_cap_mb = 1\n[agents.bot]\ntype = "claude-code"\nbinary = "{script}"\n'
    )
    project: Project = make_project(GOOD, files={"crewchief.toml": policy}, **kwargs)
    return project


def test_a_40_mb_transcript_completes_with_its_cost_parsed_and_the_file_capped(
    make_project, tmp_path
) -> None:
    """Output volume never stops an agent; the `result` event, in the dropped middle, still counts."""
    project = flood_project(make_project, tmp_path, "i < 36000")  # about 40 MB
    run_id = project.queue()
    assert project.execute(run_id) == RunState.AWAITING_REVIEW
    run = project.store.run(run_id)
    assert (run.cost_usd, run.tokens_in, run.tokens_out) == (0.42, 1234, 567)
    assert run.model == "claude-flood-1"
    data = Path(run.transcript or "").read_bytes()
    cap = 1024 * 1024
    assert len(data) < cap + 4096  # the cap, the marker, crewchief's header and footer lines
    dropped = re.findall(rb"\n\[crewchief: ([\d.]+) MB of output dropped here\]\n", data)
    assert len(dropped) == 1 and 36 < float(dropped[0]) < 40
    head, tail = data.split(b"of output dropped here]")
    assert b'"model": "claude-flood-1"' in head and b"\xff\xfe not UTF-8" in head
    assert b"THE LAST EVENT" in tail and b"# exit: 0" in tail
    assert b'"type": "result"' not in data  # parsed as it flowed, not read back from the file
    assert any("more than the transcript keeps" in e for e in project.events(run_id))


def test_a_flood_is_stopped_by_its_token_budget_not_its_volume(make_project, tmp_path) -> None:
    project = flood_project(make_project, tmp_path, "True", budget={"tokens": 3000})
    run_id = project.queue()
    state = project.execute(run_id, usage_interval_s=0.0, kill_grace_s=0.5)
    run = project.store.run(run_id)
    assert state == RunState.FAILED
    assert run.reason and "token budget passed" in run.reason
    assert Path(run.transcript or "").stat().st_size < 1024 * 1024 + 4096
    assert not _agent_processes(project, run_id)


def test_agent_that_changes_nothing_fails(make_project) -> None:
    project = make_project("print('nothing to do')\n")
    run_id = project.queue()
    assert project.execute(run_id) == RunState.FAILED
    assert project.store.run(run_id).reason == "the agent changed nothing"


def test_malformed_task_in_store_fails_the_run_with_a_reason(make_project) -> None:
    project = make_project(GOOD)
    project.store.upsert_task("fix-app", "Improve app", 3, {"id": "Bad Id!", "title": 3})
    run_id = project.queue()
    assert project.execute(run_id) == RunState.FAILED
    reason = project.store.run(run_id).reason or ""
    assert reason.startswith("task 'fix-app' is malformed")
    assert worktrees(project) == [str(project.path)]


def test_unknown_agent_fails_with_the_registry_message(make_project) -> None:
    project = make_project(GOOD)
    run_id = project.store.queue_run("fix-app", "nobody")
    assert project.execute(run_id) == RunState.FAILED
    assert "unknown agent 'nobody'" in (project.store.run(run_id).reason or "")


def test_a_run_is_claimed_once(make_project) -> None:
    project = make_project(GOOD)
    run_id = project.queue()
    assert project.execute(run_id) == RunState.AWAITING_REVIEW
    from crewchief.store.db import TransitionError

    try:
        project.execute(run_id)
    except TransitionError as exc:
        assert "not queued" in str(exc)
    else:
        raise AssertionError("a finished run was executed again")


class CostlyAgent:
    """A command agent that reports cost as `cost=<usd>` lines, like a JSON-emitting agent would."""

    type: ClassVar[str] = "costly"

    def __init__(self, script: Path) -> None:
        self.script = script

    def command(self, invocation: Invocation) -> AgentCommand:
        import sys

        return AgentCommand(argv=(sys.executable, str(self.script)))

    def usage(self, output: bytes, invocation: Invocation) -> Usage:
        lines = output.split(b"\n")[:-1]  # the last line may be cut short
        costs = [float(line[5:]) for line in lines if line.startswith(b"cost=")]
        return Usage(model="costly-1", cost_usd=max(costs) if costs else None)

    def transient(self, output: bytes, exit_code: int | None) -> bool:
        return False


def test_cost_budget_stops_the_agent(make_project, tmp_path) -> None:
    script = tmp_path / "costly.py"
    script.write_text(
        "import pathlib, time\n"
        "pathlib.Path('src/app.py').write_text('x = 1\\n')\n"
        "for i in range(1, 100):\n"
        "    print(f'cost={i * 0.5}', flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    project = make_project(GOOD, budget={"usd": 1.0})

    def factory(name: str, policy: Policy) -> Any:
        return CostlyAgent(script), AgentPolicy(type="costly")

    run_id = project.queue()
    state = execute_run(
        project.store,
        project.path,
        run_id,
        agent_factory=factory,
        options=RunOptions(static_gate=True, usage_interval_s=0.0, kill_grace_s=0.5),
    )
    run = project.store.run(run_id)
    assert state == RunState.FAILED
    assert run.reason and "cost budget passed" in run.reason
    assert run.cost_usd is not None and 1.0 < run.cost_usd < 5
    assert run.model == "costly-1"


def test_cancelled_run_stops_its_agent(make_project) -> None:
    import threading

    project = make_project("import time\ntime.sleep(60)\n")
    run_id = project.queue()
    result: list[RunState] = []
    worker = threading.Thread(target=lambda: result.append(project.execute(run_id)))
    worker.start()
    deadline = time.monotonic() + 20
    while project.store.run(run_id).state != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    project.store.transition(run_id, RunState.CANCELLED, "cancelled by alice")
    worker.join(30)
    assert result == [RunState.CANCELLED]
    assert not _agent_processes(project, run_id)
    assert worktrees(project) == [str(project.path)]


def test_per_run_setup_runs_and_its_files_are_not_committed(make_project) -> None:
    project = make_project(
        """
        import pathlib
        assert pathlib.Path(".env").read_text() == "TOKEN=dev\\n"
        pathlib.Path("src/app.py").write_text("x = 2\\n")
        """
    )
    run_id = project.queue()
    setup = ["python3 -c \"open('.env', 'w').write('TOKEN=dev\\\\n')\""]
    assert project.execute(run_id, setup=setup) == RunState.AWAITING_REVIEW, project.store.run(
        run_id
    ).reason
    run = project.store.run(run_id)
    changed = project.repo.git("diff", "--name-only", run.base_commit or "", run.branch or "")
    assert changed.split() == ["src/app.py"]


def test_failing_setup_fails_the_run(make_project) -> None:
    project = make_project(GOOD)
    run_id = project.queue()
    state = project.execute(run_id, setup=["python3 -c 'raise SystemExit(4)'"])
    assert state == RunState.FAILED
    assert "per-run setup command" in (project.store.run(run_id).reason or "")
