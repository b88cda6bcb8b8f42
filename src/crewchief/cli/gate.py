"""`crewchief gate`: validate a change against policy and task; exit 1 when it blocks."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path

import typer

from crewchief.errors import ExitCode, UserError
from crewchief.gate import registry
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Report, Verdict
from crewchief.gate.report import (
    render_codequality,
    render_github,
    render_json,
    render_markdown,
    render_sarif,
    render_text,
)
from crewchief.github import GitHub, upsert_comment


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"
    github = "github"
    codequality = "codequality"


def gate_command(
    base: str | None = typer.Option(
        None,
        "--base",
        help="Ref the change is compared with (default: upstream, origin/HEAD, main or master).",
    ),
    head: str | None = typer.Option(None, "--head", help="Ref of the change (default HEAD)."),
    worktree: bool = typer.Option(
        False,
        "--worktree",
        help="Gate the work tree, uncommitted changes included, instead of a commit.",
    ),
    staged: bool = typer.Option(
        False,
        "--staged",
        help="Gate what is staged (the next commit) against HEAD, or --base: a pre-commit hook.",
    ),
    task: str | None = typer.Option(
        None,
        "--task",
        help="Task id; its scope and checks apply (read from .crewchief/tasks/ at the base).",
    ),
    only: str | None = typer.Option(None, "--only", help="Comma-separated checks to run."),
    skip: str | None = typer.Option(None, "--skip", help="Comma-separated checks not to run."),
    fmt: Format = typer.Option(
        Format.text,
        "--format",
        help="Report format: text, json, sarif, markdown (a pull-request comment), github (Actions "
        "annotations on the diff), codequality (GitLab's Code Quality report).",
    ),
    output: Path | None = typer.Option(None, "--output", help="Write the report to this file."),
    repo: Path = typer.Option(Path("."), "--repo", help="Repository to gate (default: here)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute every check result."),
    static: bool = typer.Option(
        False,
        "--static",
        help="Static checks only: run no tests, benchmarks or acceptance commands.",
    ),
    comment: bool = typer.Option(
        False,
        "--comment",
        help="Also post the report as one pull-request comment, edited in place by later gates "
        "(GITHUB_TOKEN, GITHUB_REPOSITORY, and --pr or the Actions event payload).",
    ),
    pr: int | None = typer.Option(None, "--pr", help="Pull request number for --comment."),
    also: list[str] = typer.Option(
        [],
        "--also",
        help="Also write the report as FORMAT=PATH (repeatable), such as --also sarif=gate.sarif: "
        "one gate, several renderings.",
    ),
) -> None:
    """Validate a change (base..head) against the policy and task.

    Exit codes: 0 pass or review, 1 block, 2 usage or input error, 3 internal error.
    """
    extra = _parse_also(also)
    request = GateRequest(
        repo=repo,
        base=base,
        head=head,
        worktree=worktree,
        staged=staged,
        task=task,
        only=registry.parse_names(only, "--only"),
        skip=registry.parse_names(skip, "--skip"),
        use_cache=not no_cache,
        static=static,
    )
    report = run_gate(request)
    _deliver(report, fmt, output, extra, staged=staged, comment=comment, pr=pr)
    raise typer.Exit(int(ExitCode.BLOCKED if report.verdict == Verdict.BLOCK else ExitCode.OK))


def _deliver(
    report: Report,
    fmt: Format,
    output: Path | None,
    extra: list[tuple[Format, Path]],
    *,
    staged: bool,
    comment: bool,
    pr: int | None,
) -> None:
    """Everything the gate's result goes to: stdout or `--output`, each `--also`, the PR comment,
    and for a blocked staged change the line a pre-commit user needs."""
    _emit(report, fmt, output)
    for extra_fmt, path in extra:
        _write(path, _render(report, extra_fmt), "--also")
    if comment:
        _post_comment(report, pr)
    if staged and report.verdict == Verdict.BLOCK:
        typer.echo(
            "crewchief: the staged change is blocked; fix what is marked BLOCK above, "
            "'git add' it and commit again",
            err=True,
        )


def _github_blob_url(head: str) -> str | None:
    """Where the head's files are on GitHub, when running in GitHub Actions (the runner sets
    these variables), so a PR comment's locations link to the lines."""
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if not server or not repository:
        return None
    return f"{server.rstrip('/')}/{repository}/blob/{head}"


def _pull_request_number(pr: int | None) -> int:
    """`--pr`, else the number in the Actions event payload (pull_request and issue events)."""
    if pr is not None:
        return pr
    event = os.environ.get("GITHUB_EVENT_PATH")
    if event:
        try:
            payload = json.loads(Path(event).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UserError(f"GITHUB_EVENT_PATH {event}: cannot read the event: {exc}") from exc
        number = (payload.get("pull_request") or {}).get("number") or payload.get("number")
        if isinstance(number, int):
            return number
    raise UserError("--comment: no pull request number; pass --pr N (or run in a PR workflow)")


def _post_comment(report: Report, pr: int | None) -> None:
    repository = os.environ.get("GITHUB_REPOSITORY")
    if not repository:
        raise UserError("--comment: set GITHUB_REPOSITORY to OWNER/NAME (Actions sets it)")
    number = _pull_request_number(pr)
    body = render_markdown(report, link_base=_github_blob_url(report.head))
    url = upsert_comment(GitHub.from_env(), repository, number, body)
    typer.echo(f"report posted on pull request #{number}: {url}", err=True)


def _render(report: Report, fmt: Format, *, color: bool = False) -> str:
    if fmt == Format.json:
        return render_json(report)
    if fmt == Format.sarif:
        return render_sarif(report)
    if fmt == Format.markdown:
        return render_markdown(report, link_base=_github_blob_url(report.head))
    if fmt == Format.github:
        return render_github(report)
    if fmt == Format.codequality:
        return render_codequality(report)
    return render_text(report, color=color)


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot write: {exc.strerror}") from exc


def _parse_also(values: list[str]) -> list[tuple[Format, Path]]:
    """`--also sarif=gate.sarif`: checked before the gate runs, so a typo costs no gate."""
    parsed = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not path or name not in Format.__members__:
            known = ", ".join(Format.__members__)
            raise UserError(f"--also {value!r}: write it as FORMAT=PATH, FORMAT one of {known}")
        parsed.append((Format(name), Path(path)))
    return parsed


def _emit(report: Report, fmt: Format, output: Path | None) -> None:
    """The report on stdout, or in `output` with a one-line summary on stderr (so CI logs still
    say what the gate decided)."""
    rendered = _render(report, fmt, color=output is None and sys.stdout.isatty())
    if output is None:
        sys.stdout.write(rendered)
        return
    _write(output, rendered, "--output")
    typer.echo(
        f"{report.verdict.value} (risk {report.risk}): {len(report.findings)} findings; "
        f"report written to {output}",
        err=True,
    )
