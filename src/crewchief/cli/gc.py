"""`crewchief gc`: remove finished runs' worktrees, old run branches, old evidence and environments."""

from __future__ import annotations

from pathlib import Path

import typer

from crewchief.cli.common import ListFormat, print_json, repo_root
from crewchief.errors import UserError
from crewchief.runs.gc import KINDS, GcOptions, GcResult, collect
from crewchief.store import open_store
from crewchief.textsafe import visible

SCHEMA = "crewchief.gc/v1"


def gc_command(
    repo: Path = typer.Option(Path("."), "--repo", help="Repository (default: here)."),
    older_than: float = typer.Option(
        14.0,
        "--older-than",
        metavar="DAYS",
        help="Branches of merged, rejected or superseded runs, evidence and environments older than this go.",
    ),
    max_size: float | None = typer.Option(
        None,
        "--max-size",
        metavar="MB",
        help="Then remove the oldest evidence and environments until they fit in this.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; delete nothing."),
    fmt: ListFormat = typer.Option(ListFormat.text, "--format", help="Output format."),
) -> None:
    """Free the disk finished runs and old gates hold (never a run in progress or in review)."""
    if older_than < 0 or (max_size is not None and max_size < 0):
        raise UserError("--older-than and --max-size take a number of days / MB, 0 or more")
    root = repo_root(repo)
    options = GcOptions(
        older_than_days=older_than,
        max_size_bytes=None if max_size is None else int(max_size * 1024 * 1024),
        dry_run=dry_run,
    )
    store = open_store(root)
    try:
        result = collect(store, root, options)
    finally:
        store.close()
    if fmt == ListFormat.json:
        print_json(SCHEMA, result.to_json())
        return
    typer.echo(render_text(result))


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def render_text(result: GcResult) -> str:
    verb = "would free" if result.dry_run else "freed"
    lines = [f"crewchief gc{' --dry-run: nothing was deleted' if result.dry_run else ''}"]
    for item in result.removed:
        shown = _bytes_cell(item.kind, item.size)
        lines.append(f"  {item.kind:<9} {visible(item.target)}  ({shown}; {visible(item.reason)})")
    freed, kept = result.totals(), result.totals(result.kept)
    lines.append(f"{'kind':<10}{verb:>12}{'size':>12}{'kept':>8}{'size':>12}")
    for kind in KINDS:
        (count, size), (kept_count, kept_size) = freed[kind], kept[kind]
        lines.append(
            f"{kind:<10}{count:>12}{_bytes_cell(kind, size):>12}"
            f"{kept_count:>8}{_bytes_cell(kind, kept_size):>12}"
        )
    total = sum(size for _count, size in freed.values())
    lines.append(f"{verb}: {human_bytes(total)} (a branch's objects go when git gc runs)")
    return "\n".join(lines)


def _bytes_cell(kind: str, size: int) -> str:
    return "-" if kind == "branches" else human_bytes(size)
