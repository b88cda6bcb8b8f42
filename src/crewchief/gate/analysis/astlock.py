"""One parse at a time: a workaround for a CPython 3.11 race.

The static checks run in threads, and several of them (ours, bandit, radon) call `ast.parse`. On
CPython 3.11 the AST constructor keeps its recursion-depth counter in interpreter-wide state, and two
threads building ASTs at once can corrupt it ("SystemError: AST constructor recursion depth
mismatch"), which would turn a check into an error. Parsing is a small part of each check's time,
so serialising it costs little; the wrapper is installed once, process-wide, by the gate runner.
"""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOCK = threading.RLock()
_installed: list[bool] = []


def install() -> None:
    if _installed or sys.version_info >= (3, 12):
        return
    original = ast.parse

    def parse(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return original(*args, **kwargs)

    parse.__doc__ = original.__doc__
    ast.parse = parse
    _installed.append(True)


@contextmanager
def parsing() -> Iterator[None]:
    """Hold the parse lock around code that builds ASTs without `ast.parse` (griffe compiles
    with `PyCF_ONLY_AST`), which the wrapper above cannot see."""
    with _LOCK:
        yield
