"""Hidden acceptance tests against a real agent program that goes looking for them.

The probing agent tries every way we know to read the hidden tests: the path in its worktree, the
folder outside the repository, `git show`, `git log -p --all` and `find /`. Each claim is shown
both ways: without the protection (the sandbox turned off) the same agent does read the folder
outside the repository, so the sandboxed run's silence is the protection, not a broken probe.
Tests in the repository are another matter: git hands them to any agent that asks, and the test
says so rather than pretend.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from crewchief.store import RunState
from crewchief.workspace import sandbox

TASK = "fix-app"
IN_REPO = f".crewchief/tasks/{TASK}/hidden/tests/test_inrepo_secret.py"
IN_REPO_MARK = "INREPO-MARKER-31337"
HOST_MARK = "HOST-MARKER-271828"

PROBE = f"""
import json, os, pathlib, subprocess
root = pathlib.Path(os.environ["HIDDEN_ROOT"])
host = root / "{TASK}" / "tests" / "test_host_secret.py"
found = {{}}

def attempt(name, fn):
    try:
        found[name] = fn()
    except Exception as exc:
        found[name] = "ERROR " + type(exc).__name__

def sh(*argv):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return done.stdout

attempt("worktree_file", lambda: pathlib.Path("{IN_REPO}").read_text())
attempt("host_file", lambda: host.read_text())
attempt("host_listing", lambda: sorted(os.listdir(root)))
attempt("git_show", lambda: sh("git", "show", "HEAD:{IN_REPO}"))
attempt("git_log", lambda: sh("git", "log", "-p", "--all"))
attempt("git_status", lambda: sh("git", "status", "--porcelain"))
attempt("find", lambda: sh("find", "/", "(", "-path", "/proc", "-o", "-path", "/sys", ")",
                           "-prune", "-o", "-name", "test_*_secret.py", "-print"))
pathlib.Path("src/probe.json").write_text(json.dumps(found))
"""


@pytest.fixture
def hidden_root() -> Iterator[Path]:
    """A folder outside /tmp and $HOME (both hidden from every sandboxed agent anyway), so only
    the hidden-tests protection can keep the agent out of it."""
    root = Path(tempfile.mkdtemp(prefix="crewchief-hidden-", dir="/var/tmp"))
    (root / TASK / "tests").mkdir(parents=True)
    (root / TASK / "tests" / "test_host_secret.py").write_text(
        f"def test_secret():\n    assert '{_mark(root)}'\n"
    )
    yield root
    shutil.rmtree(root)


def _mark(root: Path) -> str:
    """This test's secret: another test's hidden folder may sit beside it in /var/tmp (xdist runs
    tests side by side), and what a sandbox must hide is this run's folder, not every folder."""
    return f"{HOST_MARK}-{root.name}"


def _probe_project(make_project, root: Path):
    project = make_project(
        PROBE,
        files={IN_REPO: f"def test_in_repo():\n    assert '{IN_REPO_MARK}'\n"},
        agent_env={"HIDDEN_ROOT": str(root)},
    )
    policy = (project.path / "crewchief.toml").read_text()
    project.repo.commit(
        {"crewchief.toml": policy + f"\n[tests]\nhidden_dir = {json.dumps(str(root))}\n"},
        "hidden tests outside the repository",
    )
    return project


def _probe(project, run_id: int) -> dict[str, object]:
    branch = project.store.run(run_id).branch
    found: dict[str, object] = json.loads(project.repo.git("show", f"{branch}:src/probe.json"))
    return found


def test_without_the_sandbox_the_agent_reads_the_hidden_folder(make_project, hidden_root) -> None:
    """The control: the probe works, and `sandbox = "off"` really exposes the folder (the run
    says so in its notes)."""
    project = _probe_project(make_project, hidden_root)
    run = project.queue(base_ref="main")
    assert project.execute(run, sandbox="off") == RunState.AWAITING_REVIEW
    found = _probe(project, run)
    assert _mark(hidden_root) in str(found["host_file"])
    assert found["host_listing"] == [TASK]
    assert f"{hidden_root}/{TASK}/tests/test_host_secret.py" in str(found["find"])
    notes = project.store.latest_report(run)["run"]["notes"]
    assert any("were readable by the agent" in n for n in notes)


def test_sandboxed_agent_cannot_read_hidden_tests_outside_the_repo(
    make_project, hidden_root
) -> None:
    if not sandbox.probe().available:
        pytest.skip(f"no bubblewrap sandbox here: {sandbox.probe().detail}")
    project = _probe_project(make_project, hidden_root)
    run = project.queue(base_ref="main")
    assert project.execute(run, sandbox="required") == RunState.AWAITING_REVIEW
    found = _probe(project, run)
    assert str(found["host_file"]).startswith("ERROR")
    assert found["host_listing"] == []
    everything = json.dumps(found)
    assert _mark(hidden_root) not in everything
    assert str(hidden_root) not in str(found["find"])  # (the policy in `git log` does name it)
    # The in-repository folder is gone from the worktree, and git status does not list it as
    # deleted; but git itself still has it: the honest limit of hidden tests in the repository.
    assert str(found["worktree_file"]).startswith("ERROR")
    assert "hidden" not in str(found["git_status"])
    assert IN_REPO_MARK in str(found["git_show"]) and IN_REPO_MARK in str(found["git_log"])
    notes = project.store.latest_report(run)["run"]["notes"]
    assert any("an agent can still read them through git" in n for n in notes)
    # The run's commit keeps the in-repository hidden tests (no deletion in a protected path).
    branch = project.store.run(run).branch
    assert IN_REPO_MARK in project.repo.git("show", f"{branch}:{IN_REPO}")
    assert project.repo.git("diff", "--name-only", f"main..{branch}") == "src/probe.json"


def test_an_unsandboxed_run_is_refused_unless_the_policy_says_off(
    make_project, hidden_root, monkeypatch
) -> None:
    """With hidden tests outside the repository, a machine without bubblewrap would let the agent
    read them: `auto` refuses to start the agent rather than quietly expose them."""
    project = _probe_project(make_project, hidden_root)
    missing = sandbox.Probe(False, detail="bwrap not found on PATH")
    monkeypatch.setattr(sandbox, "probe", lambda: missing)
    run = project.queue(base_ref="main")
    assert project.execute(run, sandbox="auto") == RunState.FAILED
    reason = project.store.run(run).reason
    assert "hidden acceptance tests" in reason and "would be readable" in reason


CODE = "def double(x):\n    return x + 2\n"
VISIBLE = "from mathx import double\n\n\ndef test_example():\n    assert double(5) == 10\n"
HIDDEN = (
    "from mathx import double\n\n\ndef test_more_inputs():\n    assert double(12345) == 24690\n"
)
CHEAT = (
    "import pathlib\n"
    "pathlib.Path('src/mathx.py').write_text("
    "'def double(x):\\n    return 10 if x == 5 else x + 2\\n')\n"
)


def test_a_failing_hidden_test_reaches_the_next_attempt_without_a_name(
    make_project, hidden_root
) -> None:
    """An agent that special-cases the visible example is blocked by the hidden test, and the
    retry's prompt says a hidden acceptance test failed, without its name, path or literals."""
    from crewchief.review.decide import reject

    shutil.rmtree(hidden_root / TASK)
    (hidden_root / TASK / "tests").mkdir(parents=True)
    (hidden_root / TASK / "tests" / "test_mathx_hidden.py").write_text(HIDDEN)
    project = make_project(
        CHEAT,
        files={
            "src/mathx.py": CODE,
            "pytest.ini": "[pytest]\npythonpath = src\n",
            f".crewchief/tasks/{TASK}/tests/test_mathx.py": VISIBLE,
        },
    )
    policy = (project.path / "crewchief.toml").read_text()
    task = (project.path / f".crewchief/tasks/{TASK}.md").read_text()
    task = task.replace("agent: bot\n", "agent: bot\nacceptance: [tests/test_mathx.py]\n")
    project.repo.commit(
        {
            "crewchief.toml": policy
            + f'\n[tests]\ncommand = "{sys.executable} -m pytest -q"\n'
            + f"hidden_dir = {json.dumps(str(hidden_root))}\n",
            f".crewchief/tasks/{TASK}.md": task,
        },
        "acceptance",
    )
    first = project.queue(base_ref="main")
    assert project.execute(first, sandbox="off", static_gate=False) == RunState.AWAITING_REVIEW
    report = project.store.latest_report(first)
    failed = [f for f in report["findings"] if f["rule"] == "acceptance-failed"]
    assert [f["message"].split(",")[0] for f in failed] == [
        "a hidden acceptance test fails at head"
    ]
    secrets = ("test_mathx_hidden", "test_more_inputs", "12345", "24690", str(hidden_root))
    assert not [s for s in secrets if s in json.dumps(report["findings"])]
    second = reject(project.store, first, "Fix the general case.", "rita")
    assert second is not None
    project.execute(second, sandbox="off")
    prompt = (project.path / ".git" / "crewchief" / "runs" / str(second) / "prompt.md").read_text()
    assert "a hidden acceptance test fails at head" in prompt
    assert not [s for s in secrets if s in prompt]


def test_the_prompt_never_lists_an_entry_naming_a_hidden_test(make_project) -> None:
    """A task author who lists a hidden test anyway (lint warns) still does not get it shown."""
    project = make_project(
        "import pathlib\npathlib.Path('src/app.py').write_text('def add(a, b):\\n    return b + a\\n')\n",
        files={IN_REPO: f"def test_in_repo():\n    assert '{IN_REPO_MARK}'\n"},
    )
    spec = project.store.task(TASK).spec
    listed = ["tests/test_app.py::test_add", "tests/test_inrepo_secret.py::test_in_repo"]
    project.store.upsert_task(TASK, spec["title"], spec["priority"], {**spec, "acceptance": listed})
    run = project.queue(base_ref="main")
    assert project.execute(run, sandbox="off") == RunState.AWAITING_REVIEW
    prompt = (project.path / ".git" / "crewchief" / "runs" / str(run) / "prompt.md").read_text()
    assert "tests/test_app.py::test_add" in prompt
    assert "test_inrepo_secret" not in prompt and "hidden" not in prompt
