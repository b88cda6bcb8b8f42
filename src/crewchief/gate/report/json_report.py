"""`crewchief.gate/v1`: the documented JSON report (see DESIGN.md)."""

from __future__ import annotations

import json

from crewchief.gate.findings import Report


def render_json(report: Report) -> str:
    # ensure_ascii keeps hostile characters (bidi controls, escapes) as \u escapes in the file.
    return json.dumps(report.to_json(), indent=2, ensure_ascii=True) + "\n"
