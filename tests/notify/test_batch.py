"""The brief sent by the real `crewchief run` when its batch ends or its deadline passes, with a
command agent in a real repository; a notification that fails is one warning and nothing else."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

from crewchief.cli import run as run_cli_module
from crewchief.notify.batch import BatchNotice, notify_batch
from crewchief.spec.policy import NotifyPolicy
from crewchief.store import RunState
from tests.helpers.cli import run_cli
from tests.helpers.github_server import Reply, github_server
from tests.notify.servers import closed_url

HOOK = "/services/T0/B0/s3cretpath"
GOOD_AGENT = """
import pathlib
pathlib.Path("src/app.py").write_text('def add(a, b):\\n    \"\"\"The sum.\"\"\"\\n    return a + b\\n')
"""


def _with_notify(project, table: str) -> None:
    policy = (project.path / "crewchief.toml").read_text() + "\n[notify]\n" + table
    project.repo.commit({"crewchief.toml": policy}, "notify the lead")


def _crewchief_run(capsys, project, *extra: str):
    args = ("run", "fix-app", "--static-gate", "--sandbox", "off", "--repo", str(project.path))
    return run_cli(capsys, *args, *extra)


def _wait_for(condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


def test_batch_end_posts_the_brief(capsys, make_project) -> None:
    project = make_project(GOOD_AGENT)
    with github_server([Reply("POST", HOOK, 200, "ok")]) as server:
        _with_notify(project, f'webhook = "{server.url}{HOOK}"\n')
        result = _crewchief_run(capsys, project)
    assert result.code == 0, result.out + result.err
    assert server.done() and len(server.seen) == 1
    [run] = project.store.runs_since(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert run.state == RunState.AWAITING_REVIEW.value
    body = server.seen[0].body
    assert body["text"].startswith("crewchief: batch ended: ")
    assert any(
        f"#{run.id} fix-app · Improve app · bot · try 1" in b["text"]["text"]
        for b in body["blocks"][2:-1]
    )
    assert f"notified webhook {server.url}/… (HTTP 200)" in result.out
    assert result.out.index("1 run(s) worked") < result.out.index("notified webhook")


def test_unreachable_webhook_is_one_warning_and_the_batch_stands(capsys, make_project) -> None:
    project = make_project(GOOD_AGENT)
    _with_notify(project, f'webhook = "{closed_url(HOOK)}"\nretries = 1\nmax_wait_s = 0\n')
    result = _crewchief_run(capsys, project)
    assert result.code == 0, result.out + result.err
    warnings = [line for line in result.out.splitlines() if "notify" in line]
    assert len(warnings) == 1 and warnings[0].startswith(
        "warning: notify: webhook http://127.0.0.1:"
    )
    assert "failed after 2 tries" in warnings[0] and "s3cretpath" not in result.out + result.err
    assert "1 run(s) worked: awaiting_review: 1" in result.out
    [run] = project.store.runs_since(dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert run.state == RunState.AWAITING_REVIEW.value and run.verdict is not None


def test_until_deadline_passed_still_sends(capsys, make_project, monkeypatch) -> None:
    """`--until` whose time has come: no run starts, the batch ends, and the brief says what waits."""
    project = make_project(GOOD_AGENT)
    passed = dt.datetime.now().astimezone() - dt.timedelta(minutes=1)
    monkeypatch.setattr(run_cli_module, "deadline_from", lambda until: passed if until else None)
    with github_server([Reply("POST", HOOK, 200)]) as server:
        _with_notify(project, f'webhook = "{server.url}{HOOK}"\nwebhook_format = "json"\n')
        result = _crewchief_run(capsys, project, "--until", "07:00")
    assert result.code == 0, result.out + result.err
    assert server.done() and len(server.seen) == 1
    document = server.seen[0].body
    assert [(r["task"], r["state"]) for r in document["running"]] == [("fix-app", "queued")]


def test_deadline_sends_while_runs_are_in_flight_then_the_end_sends_again(make_project) -> None:
    project = make_project(GOOD_AGENT)
    project.queue()
    said: list[object] = []
    replies = [Reply("POST", HOOK, 200), Reply("POST", HOOK, 200)]
    with github_server(replies) as server:
        policy = NotifyPolicy(webhook=server.url + HOOK)
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=200)
        notice = BatchNotice(project.store, policy, deadline, said.append)
        notice.start()
        _wait_for(lambda: len(server.seen) == 1)  # the batch has not ended
        notice.end()
    assert server.done() and len(said) == 2
    at = deadline.astimezone().strftime("%H:%M")
    first, second = (seen.body["text"] for seen in server.seen)
    assert first.startswith(f"crewchief: deadline {at} passed: ") and first.endswith("1 running")
    assert second.startswith("crewchief: batch ended: ")


def test_nothing_to_say_sends_nothing(make_project) -> None:
    project = make_project(GOOD_AGENT)
    said: list[object] = []
    with (
        github_server([]) as server,
        notify_batch(project.store, NotifyPolicy(webhook=server.url + HOOK), None, said.append),
    ):
        pass
    assert server.seen == [] and said == []


def test_an_interrupted_batch_sends_nothing(make_project) -> None:
    project = make_project(GOOD_AGENT)
    project.queue()
    said: list[object] = []
    with github_server([]) as server:
        policy = NotifyPolicy(webhook=server.url + HOOK)
        try:
            with notify_batch(project.store, policy, None, said.append):
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
    assert server.seen == [] and said == []


class _BrokenStore:
    """A store whose reads fail, as a locked or corrupt database would."""

    def runs_since(self, since: dt.datetime) -> list[object]:
        raise sqlite3.OperationalError("database is locked")


def test_a_brief_that_cannot_be_built_is_one_warning() -> None:
    said: list[object] = []
    policy = NotifyPolicy(webhook="http://127.0.0.1:9/hook")
    with notify_batch(_BrokenStore(), policy, None, said.append):  # type: ignore[arg-type]
        pass
    assert said == ["notify: not sent: OperationalError: database is locked"]
