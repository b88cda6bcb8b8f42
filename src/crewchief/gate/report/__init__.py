"""Renderings of a gate `Report`: text for people, JSON for tools, SARIF for code-scanning UIs,
Markdown for a pull-request comment, workflow commands for GitHub Actions annotations, Code
Quality JSON for GitLab merge requests."""

from __future__ import annotations

from crewchief.gate.report.codequality import render_codequality
from crewchief.gate.report.github import render_github
from crewchief.gate.report.json_report import render_json
from crewchief.gate.report.markdown import render_markdown
from crewchief.gate.report.sarif import render_sarif
from crewchief.gate.report.text import render_text

__all__ = [
    "render_codequality",
    "render_github",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_text",
]
