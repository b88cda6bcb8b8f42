"""The scenario suite's one expensive fixture: the real projects as git repositories, built once per
session (per xdist worker) and shared by every scenario."""

from __future__ import annotations

import pytest

from tests.scenarios.projects import Workbench


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Workbench:
    # The autouse `_git_identity` fixture is function-scoped, so the workbench carries its own git
    # environment (fixed identity, no user config) and passes it to every git call it makes.
    return Workbench(tmp_path_factory.mktemp("scenario-projects"))
