"""Each project built once per session (per xdist worker), on first use, with every case's branch."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.adversarial import harness

Projects = Callable[[str], harness.Built]


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Projects]:
    built: dict[str, harness.Built] = {}

    def get(name: str) -> harness.Built:
        if name not in built:
            built[name] = harness.build(name, tmp_path_factory.mktemp(f"adv-{name}"))
        return built[name]

    yield get
