"""Real releases replayed as tasks and gated the way a user runs crewchief (see harness.py).

For each project: the later release's real source change never blocks; a no-op change and a
change that deletes the tests that judge it always block. The proof that the acceptance tests fail
on the earlier release's code and pass on the later one is part of building each case, and is
asserted again here so the suite cannot go vacuous.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.shared import PLAIN_INSTALL_KEY, built_once
from tests.replay import harness

pytestmark = [pytest.mark.slow, pytest.mark.network]

ReplayFactory = Callable[[str], harness.Replay]

HISTORY = """Why no case is expected to fail any more.

The fix and no-op cases first failed because the gate ran crewchief's interpreter; the project's
`.venv/` is found now. Then the no-op cases got `review` instead of `block`: their acceptance tests
fail at collection (they import a name only the fix adds) at base and at head alike, and the
acceptance check read "base and head fail the same way before any test runs" as a broken
configuration. It now blames the environment only when the base suite cannot start either, or the
missing module is not the project's own."""


@pytest.fixture(scope="session")
def crewchief(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """crewchief installed by `pip install <source>`, no extras, in its own virtualenv (one for
    the whole run)."""
    return built_once(
        tmp_path_factory, PLAIN_INSTALL_KEY, lambda f: harness.install_crewchief(f / "venv")
    )


@pytest.fixture(scope="session")
def replays(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayFactory]:
    """Each project built once per run, on first use, whichever worker asks (its `.venv/`
    included); its gates share the repository's base-suite cache."""
    built: dict[str, harness.Replay] = {}

    def get(name: str) -> harness.Replay:
        if name not in built:
            project = harness.PROJECTS[name]
            built[name] = built_once(
                tmp_path_factory, f"replay-{name}", lambda f: harness.build(project, f)
            )
        return built[name]

    yield get


def _cases() -> Iterator[object]:
    for name in harness.PROJECTS:
        for head in harness.HEADS:
            yield pytest.param(name, head, id=f"{name}-{head}")


@pytest.mark.parametrize("name", list(harness.PROJECTS))
def test_the_acceptance_tests_fail_on_the_old_code_and_pass_on_the_new(
    replays: ReplayFactory, name: str
) -> None:
    replay = replays(name)
    assert replay.acceptance
    assert set(replay.acceptance) <= set(replay.failing_at_old) & set(replay.passing_at_new)
    task = replay.repo / ".crewchief" / "tasks" / f"{replay.project.task_id}.md"
    assert all(entry in task.read_text() for entry in replay.acceptance)
    for rel in replay.changed_tests:
        shipped = replay.repo / ".crewchief" / "tasks" / replay.project.task_id / rel
        assert shipped.is_file()


@pytest.mark.parametrize(("name", "head"), list(_cases()))
def test_gate_verdict(
    replays: ReplayFactory, crewchief: Path, tmp_path: Path, name: str, head: str
) -> None:
    replay = replays(name)
    gated = harness.gate(crewchief, replay, replay.heads[head], tmp_path / "home")
    assert harness.as_expected(head, gated), gated.describe()
