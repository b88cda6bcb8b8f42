"""The gate: validates a change (base..head) against policy and task, with evidence.

A library: it never imports the store, the web UI, the CLI, executors or agents.
"""

from __future__ import annotations

from crewchief.gate.change import Change, FileChange
from crewchief.gate.findings import CheckResult, Finding, Report, Severity, Verdict

__all__ = ["Change", "CheckResult", "FileChange", "Finding", "Report", "Severity", "Verdict"]
