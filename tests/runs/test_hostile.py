"""Hostile agents: each is contained (or, without a sandbox, detected), recorded and reported, and
the user's checkout and the repository's shared git files stay as they were."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from crewchief import statepaths
from crewchief.store import RunState
from tests.runs.conftest import Project
from tests.runs.test_runner import sandbox_option, worktrees

LEGIT = "pathlib.Path('src/app.py').write_text('def add(a, b):\\n    return b + a\\n')\n"


def _run(project: Project, mode: str) -> tuple[RunState, str]:
    run_id = project.queue()
    state = project.execute(run_id, sandbox=sandbox_option(mode))
    return state, project.store.run(run_id).reason or ""


def test_agent_that_deletes_its_worktree_fails_and_nothing_else_is_touched(
    make_project, mode
) -> None:
    project = make_project(
        """
        import os, shutil
        shutil.rmtree(os.getcwd(), ignore_errors=True)
        print("deleted", os.listdir(os.getcwd()) if os.path.exists(os.getcwd()) else "all")
        """
    )
    base = project.repo.git("rev-parse", "HEAD")
    state, reason = _run(project, mode)
    assert state == RunState.FAILED
    assert reason == "the agent deleted (or replaced) its worktree; nothing was committed"
    assert worktrees(project) == [str(project.path)]
    assert project.repo.git("status", "--porcelain") == ""
    assert project.repo.git("rev-parse", "crewchief/fix-app/1") == base  # no commit made


def test_writes_outside_the_worktree_are_prevented_or_detected(
    make_project, mode, tmp_path
) -> None:
    home = Path(os.environ["HOME"])
    project = make_project(
        textwrap.dedent(
            """
        import json, os, pathlib
        results = {}
        for name in ("CHECKOUT", "HOME_DIR", "STATE"):
            target = pathlib.Path(os.environ["TARGET_" + name]) / "pwned.txt"
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("pwned")
                results[name] = "written"
            except OSError as exc:
                results[name] = type(exc).__name__
        results["checkout_listing"] = sorted(os.listdir(os.environ["TARGET_CHECKOUT"]))
        print("RESULTS " + json.dumps(results))
        """
        )
        + LEGIT,
        agent_env={},
    )
    state_target = statepaths.run_dir(project.path, 999)
    project.repo.commit(
        {
            "crewchief.toml": project.repo.path.joinpath("crewchief.toml")
            .read_text()
            .replace(
                "env = {  }",
                f'env = {{ TARGET_CHECKOUT = "{project.path}", TARGET_HOME_DIR = "{home}", '
                f'TARGET_STATE = "{state_target}" }}',
            )
        },
        "targets",
    )
    state, reason = _run(project, mode)
    transcript = (statepaths.run_dir(project.path, 1) / "transcript.log").read_text()
    if mode == "bwrap":
        assert state == RunState.AWAITING_REVIEW, reason
        assert not (project.path / "pwned.txt").exists()
        assert not (home / "pwned.txt").exists()
        assert not (state_target / "pwned.txt").exists()
        # The checkout's files are hidden; only its git directory is there, read-only.
        assert '"checkout_listing": [".git"]' in transcript
        assert '"CHECKOUT": "OSError"' in transcript
        assert project.repo.git("status", "--porcelain") == ""
    else:
        # No sandbox: the write happens, and the run is failed for it.
        assert state == RunState.FAILED
        assert "the user's checkout changed while the agent ran" in reason
        assert (project.path / "pwned.txt").exists()
        (home / "pwned.txt").unlink()


@pytest.fixture
def remote(make_project, tmp_path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    return bare


def test_git_push_never_reaches_the_remote_and_is_recorded(make_project, mode, remote) -> None:
    bypass = ""
    if mode == "bwrap":
        # In the sandbox even a push that strips crewchief's git settings and the git shim fails.
        bypass = f"""
env = {{k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG")}}
r = subprocess.run(["/usr/bin/git", "-c", "protocol.allow=always", "push", "{remote}",
                    "HEAD:refs/heads/stolen2"], env=env, capture_output=True, text=True)
print("bypass push exit", r.returncode, r.stderr.strip()[-200:])
"""
    project = make_project(
        "import os, pathlib, subprocess\n"
        + LEGIT
        + "subprocess.run(['git', 'add', '-A'])\n"
        + "subprocess.run(['git', 'commit', '-qm', 'agent work'])\n"
        + "r = subprocess.run(['git', 'push', 'origin', 'HEAD:refs/heads/stolen'],"
        + " capture_output=True, text=True)\n"
        + "print('push exit', r.returncode, r.stderr.strip()[-200:])\n"
        + bypass
    )
    project.repo.git("remote", "add", "origin", str(remote))
    state, reason = _run(project, mode)
    assert state == RunState.AWAITING_REVIEW, reason
    refs = subprocess.run(
        ["git", "-C", str(remote), "for-each-ref"], capture_output=True, text=True, check=True
    )
    assert refs.stdout == ""
    events = project.events(1)
    assert any("the agent ran 'git push origin HEAD:refs/heads/stolen'" in e for e in events)
    transcript = (statepaths.run_dir(project.path, 1) / "transcript.log").read_text()
    assert "push exit 128" in transcript
    if mode == "bwrap":
        assert "bypass push exit 128" in transcript


def test_hooks_and_config_edits_never_run_and_are_restored(make_project, mode, tmp_path) -> None:
    marker = tmp_path / "hook-ran"
    hook = f"#!/bin/sh\ntouch {marker}\n"
    project = make_project(
        f"""
        import os, pathlib, subprocess
        common = pathlib.Path(subprocess.run(["git", "rev-parse", "--git-common-dir"],
                              capture_output=True, text=True).stdout.strip()).resolve()
        for name in ("pre-commit", "post-checkout", "reference-transaction", "post-commit"):
            try:
                path = common / "hooks" / name
                path.write_text({hook!r})
                path.chmod(0o755)
                print("wrote hook", name)
            except OSError as exc:
                print("hook refused", name, type(exc).__name__)
        try:
            with open(common / "config", "a") as fh:
                fh.write("[core]\\n\\tfsmonitor = {marker}.fsmonitor\\n")
                fh.write('[filter "evil"]\\n\\tclean = sh -c "touch {marker}; cat"\\n')
            print("wrote config")
        except OSError as exc:
            print("config refused", type(exc).__name__)
        pathlib.Path(".gitattributes").write_text("* filter=evil\\n")
        """
        + LEGIT
    )
    common = project.path / ".git"
    hooks_before = sorted(p.name for p in (common / "hooks").iterdir())
    config_before = (common / "config").read_bytes()
    state, reason = _run(project, mode)
    assert not marker.exists(), "a hook or filter the agent planted ran outside the sandbox"
    assert sorted(p.name for p in (common / "hooks").iterdir()) == hooks_before
    assert (common / "config").read_bytes() == config_before
    transcript = (statepaths.run_dir(project.path, 1) / "transcript.log").read_text()
    if mode == "bwrap":
        assert "hook refused pre-commit OSError" in transcript
        assert "config refused OSError" in transcript
        assert state == RunState.AWAITING_REVIEW, reason
    else:
        assert "wrote hook pre-commit" in transcript
        assert state == RunState.FAILED
        assert reason.startswith("the agent changed the repository's shared git files (restored)")
        assert "hooks/pre-commit" in reason and "config" in reason
    # The user's own next commit does not run the planted hook either.
    project.repo.commit({"after.txt": "x\n"}, "user commit")
    assert not marker.exists()


def test_agent_commits_are_replaced_by_one_crewchief_commit(make_project, mode) -> None:
    project = make_project(
        "import pathlib, subprocess\n"
        + LEGIT
        + "subprocess.run(['git', 'add', '-A'], check=True)\n"
        + "subprocess.run(['git', 'commit', '-qm', 'agent says hi'], check=True)\n"
        + "pathlib.Path('src/more.py').write_text('MORE = 1\\n')\n"
        + "subprocess.run(['git', 'add', '-A'], check=True)\n"
        + "subprocess.run(['git', 'commit', '-qm', 'agent says bye'], check=True)\n"
    )
    base = project.repo.git("rev-parse", "HEAD")
    state, reason = _run(project, mode)
    assert state == RunState.AWAITING_REVIEW, reason
    run = project.store.run(1)
    assert project.repo.git("rev-parse", f"{run.branch}^") == base
    log = project.repo.git("log", "--format=%s", f"{base}..{run.branch}")
    assert log == "Improve app"
    changed = project.repo.git("diff", "--name-only", base, run.branch or "").split()
    assert changed == ["src/app.py", "src/more.py"]
    transcript = Path(run.transcript or "").read_text()
    assert "agent says hi" in transcript and "agent says bye" in transcript
    assert any("committed by itself" in e for e in project.events(1))
    # The agent's objects stayed in its private folder: none of its commits is in the repository.
    missing = subprocess.run(
        ["git", "-C", str(project.path), "cat-file", "-e", "HEAD"], check=False
    )
    assert missing.returncode == 0
    assert "agent says" not in project.repo.git("log", "--all", "--format=%s")


def test_host_secrets_are_not_visible_to_the_agent(make_project, mode, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2-host-secret")
    monkeypatch.setenv("BOT_API_KEY", "the-agents-own-key")
    project = make_project(
        """
        import json, os, pathlib
        pathlib.Path("env.json").write_text(json.dumps(dict(os.environ), sort_keys=True))
        """,
        pass_env=["BOT_API_KEY", "NOT_SET_ANYWHERE"],
        agent_env={"BOT_MODE": "night"},
    )
    state, reason = _run(project, mode)
    assert state == RunState.AWAITING_REVIEW, reason
    import json

    env = json.loads(project.repo.git("show", "crewchief/fix-app/1:env.json"))
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert "hunter2-host-secret" not in json.dumps(env)
    assert env["BOT_API_KEY"] == "the-agents-own-key"
    assert env["BOT_MODE"] == "night"
    assert "NOT_SET_ANYWHERE" not in env
    assert env["HOME"].startswith(str(statepaths.run_dir(project.path, 1)))
    assert env["HOME"] != os.environ["HOME"]
    assert not any(k.startswith("PYTEST") for k in env)
