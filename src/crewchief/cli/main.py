"""Entry point: builds the typer app and turns errors into the documented exit codes.

0 ok, 1 gate blocked, 2 usage or input error (one line saying what to fix), 3 internal error (the
traceback goes to a log file whose path is printed).
"""

from __future__ import annotations

import datetime as dt
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


_registered: list[bool] = []


def _register() -> None:
    if _registered:
        return
    _registered.append(True)
    from crewchief.cli import demo, gate, init, review, run, serve, status, task

    app.command("init")(init.init_command)
    app.add_typer(task.app, name="task")
    app.command("run")(run.run_command)
    app.command("status")(status.status_command)
    app.command("logs")(status.logs_command)
    app.command("gate")(gate.gate_command)
    app.command("review")(review.review_command)
    app.command("show")(review.show_command)
    app.command("approve")(review.approve_command)
    app.command("reject")(review.reject_command)
    app.command("push")(review.push_command)
    app.command("pr")(review.pr_command)
    app.command("serve")(serve.serve_command)
    app.command("demo")(demo.demo_command)


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
    _register()
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
