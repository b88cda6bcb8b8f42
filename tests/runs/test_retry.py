"""Transient agent failures are retried with backoff by the scheduler, with the real runner."""

from __future__ import annotations

import pytest

from crewchief.runs.execute import RunOptions, execute_run
from crewchief.runs.scheduler import Scheduler
from crewchief.store import RunState

FLAKY_AGENT = """
import os, pathlib, sys
marker = pathlib.Path(os.environ["CREWCHIEF_RUN_DIR"]).parent / "rate-limited-once"
if not marker.exists():
    marker.write_text("x")
    print("Error: 429 Too Many Requests (rate limit exceeded)")
    sys.exit(1)
path = pathlib.Path("src/app.py")
path.write_text('def add(a, b):\\n    \\"\\"\\"Sum.\\"\\"\\"\\n    return a + b\\n')
"""


def test_rate_limited_agent_is_retried_after_backoff(make_project) -> None:
    project = make_project(FLAKY_AGENT)
    first = project.queue(base_ref="main")
    options = RunOptions(static_gate=True, sandbox="off")
    scheduler = Scheduler(
        project.store,
        project.path,
        lambda run_id: execute_run(project.store, project.path, run_id, options=options),
        poll_s=0.05,
        retry_base_s=0.5,
    )
    batch = scheduler.run()
    runs = [project.store.run(r) for r in sorted(batch.run_ids)]
    assert [r.state for r in runs] == ["failed", "awaiting_review"]
    assert runs[0].reason.startswith("transient: ")
    assert runs[1].retries == 1 and runs[1].attempt == runs[0].attempt
    retry_event = project.store.events(runs[1].id)[0].message
    assert f"retry 1 of run {first}" in retry_event
    assert runs[1].started_at is not None


def test_gives_up_after_max_retries(make_project) -> None:
    always = "import sys\nprint('ECONNRESET: connection reset by peer; rate limit')\nsys.exit(2)\n"
    project = make_project(always)
    project.queue(base_ref="main")
    options = RunOptions(static_gate=True, sandbox="off")
    batch = Scheduler(
        project.store,
        project.path,
        lambda run_id: execute_run(project.store, project.path, run_id, options=options),
        poll_s=0.02,
        retry_base_s=0.05,
        max_retries=2,
    ).run()
    states = [project.store.run(r).state for r in sorted(batch.run_ids)]
    assert states == [RunState.FAILED.value] * 3
    assert any("gave up after 2 retries" in w for w in batch.warnings)


def test_rejection_feedback_and_findings_reach_the_next_attempts_prompt(make_project) -> None:
    from crewchief.review.decide import reject

    agent = (
        "import pathlib\n"
        "pathlib.Path('src/app.py').write_text('def add(a, b):\\n    return a + b + 0\\n')\n"
        "pathlib.Path('CODEOWNERS').write_text('* @agent\\n')\n"
    )
    project = make_project(agent)
    first = project.queue(base_ref="main")
    assert project.execute(first, sandbox="off") == RunState.AWAITING_REVIEW
    second = reject(project.store, first, "Leave CODEOWNERS alone; only src/app.py.", "rita")
    assert second is not None
    project.execute(second, sandbox="off")
    prompt = (project.path / ".git" / "crewchief" / "runs" / str(second) / "prompt.md").read_text()
    assert "Leave CODEOWNERS alone; only src/app.py." in prompt
    assert '"feedback":' not in prompt  # rendered as text, not as the stored JSON
    assert "protected-path" in prompt  # the gate's blocking finding on the rejected attempt


TWO_AGENTS = """
[agents.other]
type = "command"
command = {command}
"""


def test_feedback_on_any_attempt_reaches_every_later_attempt_whichever_agent(
    make_project,
) -> None:
    """Feedback lives in the decisions, not in one agent's retry chain: a fresh run on another
    agent, and that agent's own retry, both carry what was said about the first agent's attempt."""
    import json
    import sys

    from crewchief.review.decide import reject

    agent = "import pathlib\npathlib.Path('src/app.py').write_text('def add(a, b):\\n    return b + a\\n')\n"
    project = make_project(agent)
    policy = (project.path / "crewchief.toml").read_text()
    command = json.dumps([sys.executable, str(project.agent), "{prompt_file}"])
    project.repo.commit(
        {"crewchief.toml": policy + TWO_AGENTS.format(command=command)}, "a second agent"
    )
    first = project.queue(base_ref="main")
    assert project.execute(first, sandbox="off") == RunState.AWAITING_REVIEW
    assert (
        reject(project.store, first, "Keep the order a + b.\nAnd say why.", "rita", retry=False)
        is None
    )
    fresh = project.store.queue_run(project.task_id, "other", base_ref="main")
    assert project.execute(fresh, sandbox="off") == RunState.AWAITING_REVIEW
    retry = reject(project.store, fresh, "Still reordered.", "sam")
    assert retry is not None and project.store.run(retry).agent == "other"
    assert project.execute(retry, sandbox="off") == RunState.AWAITING_REVIEW

    def prompt(run_id: int) -> str:
        return (
            project.path / ".git" / "crewchief" / "runs" / str(run_id) / "prompt.md"
        ).read_text()

    fresh_prompt, retry_prompt = prompt(fresh), prompt(retry)
    assert "attempt 1 (by agent bot): Keep the order a + b.\n> And say why." in fresh_prompt
    assert "attempt 1 (by agent bot): Keep the order a + b." in retry_prompt
    assert "attempt 2: Still reordered." in retry_prompt
    assert retry_prompt.index("Keep the order") < retry_prompt.index("Still reordered")
    assert retry_prompt.count("Keep the order") == 1


@pytest.mark.parametrize("clean_first", [True, False])
def test_a_retry_is_told_its_own_agents_findings_when_several_agents_tried(
    make_project, clean_first: bool
) -> None:
    """Two agents tried the task (in either order); the retry of the clean one must not be told
    the other's blocking findings as if they were its own."""
    import json
    import sys

    from crewchief.review.decide import reject

    agent = (
        "import pathlib, sys\n"
        "pathlib.Path('src/app.py').write_text('def add(a, b):\\n    return b + a\\n')\n"
        "if 'clean' not in sys.argv:\n"
        "    pathlib.Path('CODEOWNERS').write_text('* @agent\\n')\n"
    )
    project = make_project(agent)
    policy = (project.path / "crewchief.toml").read_text()
    command = json.dumps([sys.executable, str(project.agent), "{prompt_file}", "clean"])
    project.repo.commit(
        {"crewchief.toml": policy + TWO_AGENTS.format(command=command)}, "a second agent"
    )
    if clean_first:
        clean = project.store.queue_run(project.task_id, "other", base_ref="main")
        messy = project.queue(base_ref="main")
    else:
        messy = project.queue(base_ref="main")
        clean = project.store.queue_run(project.task_id, "other", base_ref="main")
    for run_id in sorted((messy, clean)):
        project.execute(run_id, sandbox="off")
    messy_report = project.store.latest_report(messy) or {}
    assert any(f["rule"] == "protected-path" for f in messy_report.get("findings", []))
    clean_report = project.store.latest_report(clean) or {}
    assert not any(f["rule"] == "protected-path" for f in clean_report.get("findings", [])), (
        clean_report
    )
    retry = reject(project.store, clean, "Keep the order a + b.", "rita")
    assert retry is not None and project.store.run(retry).agent == "other"
    project.execute(retry, sandbox="off")
    prompt = (project.path / ".git" / "crewchief" / "runs" / str(retry) / "prompt.md").read_text()
    assert "Keep the order a + b." in prompt
    assert "protected-path" not in prompt
