"""A persistent memo for check results, keyed by blob ids and the policy digest.

Static checks are pure functions of blob contents, so a second gate run on the same change (or a
batch of runs sharing a base) reuses their results. One SQLite file under the repo's git dir; all
writes go through one connection guarded by a lock, and a corrupt file is replaced, not fatal.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def _flat(key: Sequence[str]) -> str:
    """One text key; file names that are not UTF-8 (lone surrogates) become escapes SQLite accepts."""
    return "\x1f".join(
        k.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") for k in key
    )


class NullCache:
    """Computes every time; what tests and `--no-cache` use."""

    def memo(self, key: Sequence[str], compute: Callable[[], Any]) -> Any:
        return compute()

    def get(self, key: Sequence[str]) -> Any | None:
        """The stored value, or None (a check that batches work looks before it computes)."""
        return None

    def put(self, key: Sequence[str], value: Any) -> Any:
        """Store and return `value` as it will read back (JSON round trip)."""
        return json.loads(json.dumps(value))

    def close(self) -> None:
        return None


class Cache(NullCache):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError:
            path.unlink(missing_ok=True)
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
        return db

    def memo(self, key: Sequence[str], compute: Callable[[], Any]) -> Any:
        found = self.get(key)
        if found is not None:
            return found
        return self.put(key, compute())

    def get(self, key: Sequence[str]) -> Any | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM memo WHERE key = ?", (_flat(key),)).fetchone()
        return json.loads(row[0]) if row is not None else None

    def put(self, key: Sequence[str], value: Any) -> Any:
        encoded = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO memo (key, value) VALUES (?, ?)", (_flat(key), encoded)
            )
        return json.loads(encoded)

    def close(self) -> None:
        with self._lock:
            self._db.close()
