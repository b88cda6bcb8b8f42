"""Only what the change introduces: match findings between base and head by identity, not line.

Two findings are the same when they share rule and fingerprint (a hash of the code they point at).
Matching is by multiset, so a change that copies a bad line a second time still reports the copy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


def introduced(base: Iterable[T], head: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    remaining = Counter(key(item) for item in base)
    fresh: list[T] = []
    for item in head:
        k = key(item)
        if remaining[k] > 0:
            remaining[k] -= 1
        else:
            fresh.append(item)
    return fresh
