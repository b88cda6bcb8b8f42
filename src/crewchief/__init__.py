"""crewchief: run coding agents on tasks, gate every change with evidence, review what matters."""

from __future__ import annotations

__version__ = "0.1.0"
