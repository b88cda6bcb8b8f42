"""Expensive session fixtures built once per test run, not once per xdist worker.

A replayed release or a peer project takes a PyPI sdist, a git history and a virtualenv to build,
and its gate cache (the base suite's outcomes) lives in the repository. Built per worker, every
project is built twice and its base suite runs twice. Built here, the first worker to ask builds it
under a file lock in the folder all workers share, and the others load what it left.
"""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

PLAIN_INSTALL_KEY = "crewchief-user"
"""The `built_once` key of crewchief as a user installs it (its own virtualenv, `pip install
<source>`, no extras). The replay suite and the demo test share it so a run builds that virtualenv
once; two spellings of it would build it twice."""


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run sees (the run's basetemp, above the workers' own)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(factory: pytest.TempPathFactory, key: str, build: Callable[[Path], T]) -> T:
    """`build(folder)` run by one worker of the run; the others wait for it and get its result.
    A build that raises leaves nothing behind, so the next worker to ask tries again (and fails
    the same way, with its own traceback)."""
    root = shared_root(factory)
    done = root / f"shared-{key}.pickle"
    with (root / f"shared-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            value: T = pickle.loads(done.read_bytes())
            return value
        folder = root / f"shared-{key}"
        folder.mkdir(exist_ok=True)
        value = build(folder)
        done.write_bytes(pickle.dumps(value))
        return value
