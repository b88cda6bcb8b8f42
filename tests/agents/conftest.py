"""Fixtures for agent adapters: invocations in real worktrees, the installed agent programs, and a
scripted model server."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from crewchief import proc
from crewchief.agents.base import Agent, Invocation
from crewchief.agents.prompt import PromptInputs, render_prompt
from crewchief.spec.policy import AgentPolicy
from crewchief.spec.task import Task
from crewchief.workspace.worktree import add_worktree
from tests.helpers.modelserver import Reply, ScriptedModelServer
from tests.helpers.repo import Repo

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".cache" / "agents" / "node_modules" / ".bin"

InvocationFactory = Callable[..., Invocation]


def agent_binary(name: str) -> str:
    """The installed agent program; a missing one fails the test (CI must install it)."""
    folder = Path(os.environ.get("CREWCHIEF_AGENTS_BIN") or DEFAULT_BIN)
    path = folder / name
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"the real '{name}' program is not installed at {path}; run scripts/install-agents.sh "
            "(make test does) or point CREWCHIEF_AGENTS_BIN at a folder holding it"
        )
    return str(path)


@pytest.fixture
def make_invocation(make_repo: Callable[..., Repo], tmp_path: Path) -> InvocationFactory:
    """Factory: a repo with `files`, a detached worktree of it, a run folder and a rendered prompt."""
    counter = iter(range(100))

    def factory(
        *,
        config: AgentPolicy,
        task: Task | None = None,
        files: dict[str | bytes, str | bytes | None] | None = None,
        name: str = "agent",
    ) -> Invocation:
        n = next(counter)
        repo = make_repo(files or {"README.md": "# sample\n", "src/app.py": "VALUE = 1\n"})
        worktree = add_worktree(repo.path, "HEAD", root=tmp_path / f"worktrees{n}")
        run_dir = tmp_path / f"run{n}"
        (run_dir / "home").mkdir(parents=True)
        (run_dir / "tmp").mkdir()
        task = task or Task(id="demo-task", title="Demo task", objective="Make the change.")
        prompt = render_prompt(PromptInputs(task))
        prompt_file = run_dir / "prompt.md"
        prompt_file.write_text(prompt)
        return Invocation(
            run_id=n + 1,
            task=task,
            prompt=prompt,
            prompt_file=prompt_file,
            worktree=worktree.path,
            run_dir=run_dir,
            config=config,
            name=name,
        )

    return factory


def run_agent(agent: Agent, invocation: Invocation, timeout: float = 180) -> proc.Outcome:
    """Run the agent the way a runner does: in the worktree, with a small explicit environment."""
    command = agent.command(invocation)
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "HOME": str(invocation.run_dir / "home"),
        "TMPDIR": str(invocation.run_dir / "tmp"),
        "LANG": "C.UTF-8",
        **command.env,
    }
    request = proc.Request(
        command.argv, cwd=invocation.worktree, env=env, timeout=timeout, stdin=command.stdin
    )
    outcome = proc.run(request)
    (invocation.run_dir / "transcript.jsonl").write_bytes(outcome.stdout)
    return outcome


@pytest.fixture
def model_server() -> Iterator[Callable[..., ScriptedModelServer]]:
    servers: list[ScriptedModelServer] = []

    def start(script: Sequence[Reply], **kwargs: str) -> ScriptedModelServer:
        server = ScriptedModelServer(script, **kwargs).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
