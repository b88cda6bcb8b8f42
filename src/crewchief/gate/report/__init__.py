"""Renderings of a gate `Report`: text for people, JSON for tools, SARIF for code-scanning UIs."""

from __future__ import annotations

from crewchief.gate.report.json_report import render_json
from crewchief.gate.report.sarif import render_sarif
from crewchief.gate.report.text import render_text

__all__ = ["render_json", "render_sarif", "render_text"]
