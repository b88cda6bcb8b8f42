"""The gate report for a person at a terminal: verdict first, then what to look at and where."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crewchief.gate.findings import CheckStatus, Finding, Report, Severity, Verdict
from crewchief.textsafe import visible

_VERDICT_STYLE = {
    Verdict.PASS: "bold green",
    Verdict.REVIEW: "bold yellow",
    Verdict.BLOCK: "bold red",
}
_STATUS_STYLE = {
    CheckStatus.PASSED: "green",
    CheckStatus.WARNED: "yellow",
    CheckStatus.FAILED: "red",
    CheckStatus.ERROR: "magenta",
    CheckStatus.SKIPPED: "dim",
    CheckStatus.NOT_BUILT: "dim",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _safe(text: str | None, limit: int = 300) -> str:
    return escape(visible(text or "", limit))


def _location(finding: Finding) -> str:
    if not finding.path:
        return "(change)"
    where = _safe(finding.path, 160)
    return f"{where}:{finding.line}" if finding.line else where


def renderable(report: Report) -> RenderableType:
    parts: list[RenderableType] = []
    verdict = Text(
        f" {report.verdict.value.upper()} ", style=f"reverse {_VERDICT_STYLE[report.verdict]}"
    )
    header = Text.assemble(
        verdict,
        f"  risk {report.risk}/100  ",
        (f"{report.base[:12]}..{report.head[:12]}", "dim"),
        f"  {report.stats.files_changed} files, +{report.stats.lines_added} -{report.stats.lines_removed}",
    )
    if report.task:
        header.append(f"  task {visible(report.task, 80)}")
    parts.append(header)
    for note in report.notes:
        parts.append(Text(f"note: {visible(note)}", style="dim"))

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("check")
    table.add_column("status")
    table.add_column("findings", justify="right")
    table.add_column("time", justify="right")
    table.add_column("note", style="dim")
    for check in report.checks:
        blocking = sum(1 for f in check.findings if f.blocking)
        count = f"{len(check.findings)}" + (f" ({blocking} blocking)" if blocking else "")
        shown = "" if check.status in (CheckStatus.SKIPPED, CheckStatus.NOT_BUILT) else count
        table.add_row(
            check.name,
            f"[{_STATUS_STYLE[check.status]}]{check.status.value}[/]",
            shown,
            f"{check.duration_s:.2f}s" if check.duration_s else "",
            _safe(check.detail.splitlines()[0], 70) if check.detail and not check.findings else "",
        )
    parts.append(table)

    findings = sorted(
        report.findings, key=lambda f: (not f.blocking, -f.severity.rank, f.path or "")
    )
    if findings:
        parts.append(Text(""))
    for finding in findings:
        mark = "[bold red]BLOCK[/]" if finding.blocking else "     "
        sev = f"[{_SEVERITY_STYLE[finding.severity]}]{finding.severity.value:<8}[/]"
        cwe = f" [dim]{finding.cwe}[/]" if finding.cwe else ""
        parts.append(
            Text.from_markup(
                f"{mark} {sev} {_location(finding)}  [bold]{finding.check}/{finding.rule}[/]{cwe}\n"
                f"               {_safe(finding.message)}"
            )
        )
        if finding.snippet:
            parts.append(Text(f"               > {visible(finding.snippet, 160)}", style="dim"))
    for check in report.checks:
        for path in check.evidence:
            parts.append(Text(f"{check.name} evidence: {visible(path)}", style="dim"))
    return Group(*parts)


def render_text(report: Report, *, width: int = 110, color: bool = False) -> str:
    console = Console(
        width=width,
        record=True,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        file=io.StringIO(),
    )
    console.print(renderable(report))
    return console.export_text(styles=color)
