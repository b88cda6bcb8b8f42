"""Each project built once per run (whichever xdist worker asks first), with every case's branch."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.adversarial import harness
from tests.helpers.shared import built_once

Projects = Callable[[str], harness.Built]


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Projects]:
    built: dict[str, harness.Built] = {}

    def get(name: str) -> harness.Built:
        if name not in built:
            project = name
            built[name] = built_once(
                tmp_path_factory, f"adv-{name}", lambda f: harness.build(project, f)
            )
        return built[name]

    yield get
