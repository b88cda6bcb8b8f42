"""`show RUN`: everything a reviewer needs on one screen, agent output escaped.

The diff comes from git and is parsed with unidiff; each finding is printed under the line it is
about, so the reviewer reads evidence where the code is.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.text import Text
from unidiff.patch import PatchSet

from crewchief import git
from crewchief.store.models import RunRow
from crewchief.textsafe import visible

MAX_DIFF_LINES = 4000
DIFF_BYTES = 32 * 1024 * 1024
"""A hostile change can be gigabytes of diff; reviewers see at most this much of it."""


def diff_text(repo: Path, base: str, head: str) -> str:
    outcome = git.run(
        repo, "diff", "--no-color", "--no-ext-diff", "-M", f"{base}..{head}", output_cap=DIFF_BYTES
    )
    text = outcome.stdout.decode("utf-8", "surrogateescape")
    if outcome.truncated:
        # Keep whole lines, so the parser sees a (shorter) valid diff; say what was cut.
        text = (
            text[: text.rfind("\n") + 1]
            + f"\n[diff truncated at {DIFF_BYTES // (1024 * 1024)} MiB]\n"
        )
    return text


def findings_by_line(
    report: dict[str, Any] | None,
) -> dict[tuple[str, int | None], list[dict[str, Any]]]:
    placed: dict[tuple[str, int | None], list[dict[str, Any]]] = defaultdict(list)
    for finding in (report or {}).get("findings", []):
        placed[(finding.get("path") or "", finding.get("line"))].append(finding)
    return placed


def _finding_line(finding: dict[str, Any]) -> Text:
    mark = "BLOCK " if finding.get("blocking") else ""
    cwe = f" {finding['cwe']}" if finding.get("cwe") else ""
    return Text.assemble(
        ("      ▲ ", "bold red" if finding.get("blocking") else "yellow"),
        (
            f"{mark}{finding.get('severity', '')} {finding.get('check')}/{finding.get('rule')}{cwe}: ",
            "bold",
        ),
        visible(str(finding.get("message", "")), 500),
    )


def render_diff(diff: str, report: dict[str, Any] | None) -> list[RenderableType]:
    placed = findings_by_line(report)
    shown: set[int] = set()
    out: list[RenderableType] = []
    try:
        patch = PatchSet(diff)
    except Exception:  # unidiff cannot parse it (binary noise, odd headers): show it plain
        return [Text(visible(line, 400)) for line in diff.splitlines()[:MAX_DIFF_LINES]]
    count = 0
    for patched in patch:
        path = patched.path
        out.append(Text(f"── {visible(path, 300)}", style="bold cyan"))
        for finding in placed.get((path, None), []):
            shown.add(id(finding))
            out.append(_finding_line(finding))
        for hunk in patched:
            out.append(
                Text(
                    f"@@ -{hunk.source_start},{hunk.source_length} +{hunk.target_start},"
                    f"{hunk.target_length} @@",
                    style="dim",
                )
            )
            for line in hunk:
                count += 1
                if count > MAX_DIFF_LINES:
                    out.append(Text(f"… diff truncated at {MAX_DIFF_LINES} lines", style="dim"))
                    return out
                style = "green" if line.is_added else "red" if line.is_removed else ""
                number = line.target_line_no or line.source_line_no or ""
                out.append(
                    Text(
                        f"{number:>5} {line.line_type}{visible(line.value.rstrip(chr(10)), 400)}",
                        style=style,
                    )
                )
                if line.is_added or line.is_context:
                    for finding in placed.get((path, line.target_line_no), []):
                        if id(finding) not in shown:
                            shown.add(id(finding))
                            out.append(_finding_line(finding))
    rest = [f for group in placed.values() for f in group if id(f) not in shown]
    if rest:
        out.append(Text("── findings not on a diff line", style="bold"))
        out.extend(_finding_line(f) for f in rest)
    return out


def render_run(
    repo: Path, run: RunRow, report: dict[str, Any] | None, transcript_tail: list[str]
) -> Group:
    parts: list[RenderableType] = []
    verdict = (report or {}).get("verdict", run.verdict or "-")
    parts.append(
        Text.from_markup(
            f"[bold]run {run.id}[/] · task [bold]{escape(visible(run.task_id))}[/] · agent {escape(visible(run.agent))} · "
            f"attempt {run.attempt} · {run.state} · verdict [bold]{verdict}[/] · risk {run.risk if run.risk is not None else '-'}"
        )
    )
    duration = ""
    if run.started_at and run.ended_at:
        duration = f"{(run.ended_at - run.started_at).total_seconds():.0f}s"
    tokens = (
        f"{run.tokens_in or 0}+{run.tokens_out or 0} tokens"
        if run.tokens_in or run.tokens_out
        else "tokens -"
    )
    cost = f"${run.cost_usd:.2f}" if run.cost_usd is not None else "cost -"
    parts.append(
        Text(
            f"branch {visible(run.branch or '-')} · model {visible(run.model or '-')} · "
            f"time {duration or '-'} · {tokens} · {cost}",
            style="dim",
        )
    )
    if report:
        checks = ", ".join(f"{c['name']}={c['status']}" for c in report.get("checks", []))
        parts.append(Text(f"gate: {checks}", style="dim"))
    parts.append(Text(""))
    if run.base_commit and run.head_commit:
        parts.extend(render_diff(diff_text(repo, run.base_commit, run.head_commit), report))
    if run.transcript:
        parts.append(Text(""))
        parts.append(
            Text(
                f"transcript: {visible(run.transcript)} (last {len(transcript_tail)} lines)",
                style="bold",
            )
        )
        parts.extend(Text(visible(line, 400), style="dim") for line in transcript_tail)
    return Group(*parts)


def transcript_tail(run: RunRow, lines: int = 40) -> list[str]:
    if not run.transcript:
        return []
    path = Path(run.transcript)
    if not path.is_file():
        return []
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 128 * 1024))
        return fh.read().decode("utf-8", "replace").splitlines()[-lines:]
