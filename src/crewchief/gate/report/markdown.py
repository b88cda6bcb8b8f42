"""The gate report as a pull-request comment: GitHub-flavoured Markdown a reviewer reads on the PR.

The verdict and the blocking findings come first, as a table whose locations link to the file
lines of the head commit; every check's findings follow, collapsed. GitHub refuses a comment over
65,536 characters, and a huge change can have thousands of findings, so the comment is built within
a budget: whatever does not fit is counted and named, never cut mid-line. Everything an agent could
have written (paths, messages, snippets, the task id) goes through `markdown_inline`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import quote

from crewchief.gate.findings import CheckResult, Finding, Report, Verdict
from crewchief.textsafe import markdown_inline, visible

COMMENT_LIMIT = 65_536
"""GitHub's limit on an issue or pull-request comment body, in characters."""
_BUDGET = COMMENT_LIMIT - 2_000
"""What the sections may use: room is kept for the closing lines."""

_VERDICT = {Verdict.PASS: "PASS", Verdict.REVIEW: "REVIEW", Verdict.BLOCK: "**BLOCK**"}


def _where(finding: Finding, link_base: str | None) -> str:
    if not finding.path:
        return "(change)"
    label = markdown_inline(finding.path + (f":{finding.line}" if finding.line else ""), 160)
    if not link_base:
        return label
    anchor = f"#L{finding.line}" if finding.line else ""
    path = quote(finding.path.encode("utf-8", "surrogateescape"), safe="/")
    return f"[{label}]({link_base.rstrip('/')}/{path}{anchor})"


def _header(report: Report) -> list[str]:
    stats = report.stats
    lines = [
        f"### crewchief gate: {_VERDICT[report.verdict]} · risk {report.risk}/100",
        "",
        f"`{report.base[:12]}..{report.head[:12]}` · {stats.files_changed} files, "
        f"+{stats.lines_added} −{stats.lines_removed}"
        + (f" · task {markdown_inline(report.task, 80)}" if report.task else ""),
    ]
    lines.extend(f"> {markdown_inline(note)}" for note in report.notes)
    return lines


def _blocking_row(finding: Finding, link_base: str | None) -> str:
    return (
        f"| {finding.severity.value} | {markdown_inline(finding.check, 40)} | "
        f"{markdown_inline(finding.rule, 80)} | {_where(finding, link_base)} | "
        f"{markdown_inline(finding.message, 240)} |"
    )


def _finding_item(finding: Finding, link_base: str | None) -> str:
    mark = "**blocking** " if finding.blocking else ""
    cwe = f" {markdown_inline(finding.cwe, 20)}" if finding.cwe else ""
    return (
        f"- {mark}{finding.severity.value} {_where(finding, link_base)} "
        f"{markdown_inline(finding.rule, 80)}{cwe}: {markdown_inline(finding.message, 400)}"
    )


def _check_section(check: CheckResult, link_base: str | None) -> list[str]:
    blocking = sum(1 for f in check.findings if f.blocking)
    count = f"{len(check.findings)} findings" + (f", {blocking} blocking" if blocking else "")
    detail = markdown_inline(check.detail.splitlines()[0], 160) if check.detail else ""
    # The summary sits inside an HTML block, where Markdown escapes would show: HTML-escape it.
    lines = [
        f"<details><summary>{html.escape(visible(check.name, 40))}: {check.status.value} · "
        f"{count}</summary>",
        "",
    ]
    if detail:
        lines.append(detail)
    lines.extend(_finding_item(f, link_base) for f in check.findings)
    lines.extend(["", "</details>"])
    return lines


class _Budget:
    """Lines added while they fit; what did not fit is counted for the closing note."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self.left = limit

    def add(self, lines: Iterable[str]) -> bool:
        block = list(lines)
        size = sum(len(line) + 1 for line in block)
        if size > self.left:
            return False
        self.lines.extend(block)
        self.left -= size
        return True


def render_markdown(report: Report, *, link_base: str | None = None) -> str:
    """The comment body. `link_base` (such as `https://github.com/o/r/blob/<head sha>`) makes each
    location a link to that line; without it locations are plain text."""
    out = _Budget(_BUDGET)
    out.add(_header(report))
    blocking = sorted(
        (f for f in report.findings if f.blocking), key=lambda f: (-f.severity.rank, f.path or "")
    )
    out.add(["", "**Blocking findings**" if blocking else "No blocking findings.", ""])
    if blocking:
        out.add(["| severity | check | rule | where | what |", "| --- | --- | --- | --- | --- |"])
    shown = 0
    while shown < len(blocking) and out.add([_blocking_row(blocking[shown], link_base)]):
        shown += 1
    rows_left = blocking[shown:]
    out.add([""])
    sections_left = [
        c.name for c in report.checks if c.findings and not out.add(_check_section(c, link_base))
    ]
    closing = []
    if rows_left:
        closing.append(f"{len(rows_left)} more blocking findings are not listed here.")
    if sections_left:
        closing.append(
            f"Details of {len(sections_left)} checks ({markdown_inline(', '.join(sections_left))})"
            " are left out to stay under GitHub's comment limit."
        )
    if closing:
        closing.append("The JSON or SARIF report (`crewchief gate --format json`) has everything.")
        out.lines.extend(["", *closing])
    return "\n".join(out.lines) + "\n"
