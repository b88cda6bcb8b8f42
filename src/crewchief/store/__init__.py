"""The single source of truth for tasks, runs, events, reports, findings and decisions.

SQLAlchemy on SQLite (WAL) in `.crewchief/state.db` by default, or any SQLAlchemy URL (PostgreSQL)
from `CREWCHIEF_DATABASE_URL`. The schema is managed by Alembic migrations, applied on open.
"""

from __future__ import annotations

from crewchief.store.db import Store, open_store
from crewchief.store.states import RunState, can_transition

__all__ = ["RunState", "Store", "can_transition", "open_store"]
