"""Entry point: builds the typer app and turns errors into the documented exit codes.

0 ok, 1 gate blocked, 2 usage or input error (one line saying what to fix), 3 internal error (the
traceback goes to a log file whose path is printed).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

import typer

from crewchief import __version__
from crewchief.errors import CrewchiefError, ExitCode
from crewchief.spec.errors import SpecError
from crewchief.textsafe import visible

app = typer.Typer(
    name="crewchief",
    help="Run coding agents on tasks, gate every change with evidence, review what matters.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crewchief {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """crewchief: the control plane for agent-written changes."""


# Subcommands are imported only when used: `crewchief gate` in CI must not pay for the store,
# the web UI or the agents (SQLAlchemy and Alembic alone cost half a second of start-up).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("crewchief.cli.init", "init_command"),
    "doctor": ("crewchief.cli.doctor", "doctor_command"),
    "task": ("crewchief.cli.task", "app"),
    "run": ("crewchief.cli.run", "run_command"),
    "status": ("crewchief.cli.status", "status_command"),
    "logs": ("crewchief.cli.status", "logs_command"),
    "brief": ("crewchief.cli.brief", "brief_command"),
    "gate": ("crewchief.cli.gate", "gate_command"),
    "review": ("crewchief.cli.review", "review_command"),
    "show": ("crewchief.cli.review", "show_command"),
    "approve": ("crewchief.cli.review", "approve_command"),
    "reject": ("crewchief.cli.review", "reject_command"),
    "push": ("crewchief.cli.review", "push_command"),
    "pr": ("crewchief.cli.review", "pr_command"),
    "sync": ("crewchief.cli.review", "sync_command"),
    "serve": ("crewchief.cli.serve", "serve_command"),
    "demo": ("crewchief.cli.demo", "demo_command"),
    "gc": ("crewchief.cli.gc", "gc_command"),
    "rules": ("crewchief.cli.rules", "rules_command"),
    "architecture": ("crewchief.cli.architecture", "app"),
    "guard": ("crewchief.cli.guard", "app"),
}
_registered: set[str] = set()


def _register(argv: list[str] | None = None) -> None:
    """Register the subcommand named in `argv` (all of them when none is, e.g. for --help)."""
    words = [a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("-")]
    wanted = [words[0]] if words and words[0] in COMMANDS else list(COMMANDS)
    for name in wanted:
        if name in _registered:
            continue
        module, attr = COMMANDS[name]
        target = getattr(importlib.import_module(module), attr)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
        _registered.add(name)


def crash_log_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "crewchief" / "crashes"


def _log_crash(exc: BaseException) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    text = "".join(traceback.format_exception(exc))
    for folder in (crash_log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crewchief-crash-{stamp}-{os.getpid()}.log"
            path.write_text(f"crewchief {__version__}\nargv: {sys.argv!r}\n\n{text}")
            return path
        except OSError:
            continue
    raise exc


def main(argv: list[str] | None = None) -> None:
    _register(argv)
    try:
        app(args=argv, prog_name="crewchief")
    except SystemExit:
        raise
    except (CrewchiefError, SpecError) as exc:
        code = exc.exit_code if isinstance(exc, CrewchiefError) else ExitCode.USAGE
        if code == ExitCode.INTERNAL:
            path = _log_crash(exc)
            typer.echo(
                f"crewchief: internal error: {visible(str(exc).splitlines()[0])} "
                f"(traceback in {path})",
                err=True,
            )
        else:
            typer.echo(f"crewchief: error: {visible(str(exc), 1000)}", err=True)
        sys.exit(int(code))
    except KeyboardInterrupt:
        typer.echo("crewchief: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        path = _log_crash(exc)
        typer.echo(
            f"crewchief: internal error: {type(exc).__name__}: {visible(str(exc), 300)} "
            f"(traceback in {path}; please report it)",
            err=True,
        )
        sys.exit(int(ExitCode.INTERNAL))
