"""The sandbox's pieces on their own: the probe, the command line, the sanitised git config, the
environment allowlist."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest

from crewchief.workspace import envpolicy, sandbox


def test_envpolicy_keeps_only_the_allowlist_and_named_credentials(tmp_path) -> None:
    host = {
        "PATH": "/usr/bin",
        "LANG": "C.UTF-8",
        "LC_TIME": "C",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "GITHUB_TOKEN": "ghp_x",
        "SSH_AUTH_SOCK": "/run/agent.sock",
        "ANTHROPIC_API_KEY": "sk-ant",
        "HOME": "/root",
    }
    env = envpolicy.agent_env(
        run_dir=tmp_path, pass_env=["ANTHROPIC_API_KEY", "MISSING"], extra={"X": "1"}, host=host
    )
    assert env["ANTHROPIC_API_KEY"] == "sk-ant"
    for name in ("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "SSH_AUTH_SOCK", "MISSING"):
        assert name not in env
    assert env["HOME"] == str(tmp_path / "home") and (tmp_path / "home").is_dir()
    assert env["TMPDIR"] == str(tmp_path / "tmp")
    assert (env["LANG"], env["LC_TIME"], env["X"], env["GIT_TERMINAL_PROMPT"]) == (
        "C.UTF-8",
        "C",
        "1",
        "0",
    )


def test_sanitized_config_keeps_the_format_and_drops_remotes_and_commands(repo) -> None:
    repo.git("remote", "add", "origin", "https://user:tok3n@example.com/x.git")
    repo.git("config", "core.fsmonitor", "/tmp/evil")
    repo.git("config", "core.sshCommand", "evil")
    repo.git("config", "filter.evil.clean", "evil")
    repo.git("config", "credential.helper", "store")
    repo.git("config", "core.quotepath", 'we"ird\\value')
    common = repo.path / ".git"
    text = sandbox.sanitized_git_config(common)
    assert b"tok3n" not in text and b"evil" not in text and b"credential" not in text
    target = repo.path / "clean.config"
    target.write_bytes(text)
    listed = subprocess.run(
        ["git", "config", "--file", str(target), "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "core.repositoryformatversion=0" in listed
    assert 'core.quotepath=we"ird\\value' in listed


def _layout(tmp_path: Path, home: Path | None) -> sandbox.Layout:
    common = tmp_path / "checkout" / ".git"
    state = common / "crewchief"
    return sandbox.Layout(
        worktree=state / "run-trees" / "run1-x",
        run_dir=state / "runs" / "1",
        checkout=tmp_path / "checkout",
        git_common=common,
        state_dir=state,
        admin_dir=common / "worktrees" / "run1-x",
        private_admin=state / "runs" / "1" / "gitdir",
        git_config=state / "runs" / "1" / "git.config",
        home=home,
        network=False,
    )


def test_bwrap_command_hides_broadly_then_binds_back_narrowly(tmp_path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    layout = _layout(tmp_path, home)
    argv = sandbox.bwrap_argv(["agent", "--go"], layout, sandbox.Probe(True))
    text = " ".join(argv)
    assert argv[-3:] == ("--", "agent", "--go")
    assert "--unshare-net" in argv and "--die-with-parent" in argv and "--unshare-pid" in argv
    order = [
        f"--tmpfs {layout.checkout}",
        f"--ro-bind {layout.git_common} {layout.git_common}",
        f"--tmpfs {layout.state_dir}",
        f"--bind {layout.worktree} {layout.worktree}",
        f"--remount-ro {layout.checkout}",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert f"--tmpfs {home}" in text


@pytest.mark.skipif(not sandbox.probe().available, reason="no bubblewrap sandbox here")
def test_probe_and_a_real_sandbox_hide_the_home_folder(tmp_path, monkeypatch) -> None:
    home = tmp_path / "realhome"
    home.mkdir()
    (home / "secret.txt").write_text("do not read")
    checkout = tmp_path / "checkout"
    common = checkout / ".git"
    for path in (common / "crewchief" / "runs" / "1", common / "worktrees" / "w"):
        path.mkdir(parents=True)
    tree = common / "crewchief" / "run-trees" / "run1-x"
    tree.mkdir(parents=True)
    (common / "config").write_text("")
    config = common / "crewchief" / "runs" / "1" / "git.config"
    config.write_text("")
    layout = sandbox.Layout(
        worktree=tree,
        run_dir=common / "crewchief" / "runs" / "1",
        checkout=checkout,
        git_common=common,
        state_dir=common / "crewchief",
        admin_dir=common / "worktrees" / "w",
        private_admin=common / "crewchief" / "runs" / "1",
        git_config=config,
        home=home,
        network=True,
    )
    script = (
        "import os, pathlib; "
        f"print(sorted(os.listdir({str(home)!r}))); "
        "pathlib.Path('made.txt').write_text('ok')"
    )
    import sys

    command = [sys.executable, "-c", script]
    # The interpreter may itself live under a hidden place (a checkout under /tmp in CI).
    layout = dataclasses.replace(layout, visible=sandbox.visible_again(layout, command, os.defpath))
    argv = sandbox.bwrap_argv(command, layout, sandbox.probe())
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tree / "made.txt").read_text() == "ok"


def test_describe_says_when_there_is_no_sandbox() -> None:
    assert sandbox.describe(False, "off", True).startswith("no sandbox (disabled by policy)")
    assert sandbox.describe(True, "auto", False) == "bubblewrap sandbox, network off"


def test_secret_folders_are_hidden_last_and_never_shown_again(tmp_path) -> None:
    """Hidden acceptance tests: their folder is made empty after every bind (so a writable or
    visible path around it cannot show it again), and a program inside it is not made visible."""
    secret = tmp_path / "hidden-tests"
    (secret / "bin").mkdir(parents=True)
    tool = secret / "bin" / "tool"
    tool.write_text("#!/bin/sh\n")
    layout = dataclasses.replace(_layout(tmp_path, None), secret=(secret,))
    assert sandbox.visible_again(layout, [str(tool)], f"{secret / 'bin'}") == []
    text = " ".join(sandbox.bwrap_argv(["agent"], layout, sandbox.Probe(True)))
    last_bind = text.rindex(f"--bind {layout.run_dir} {layout.run_dir}")
    assert last_bind < text.index(f"--tmpfs {secret}") < text.index(f"--remount-ro {secret}")
