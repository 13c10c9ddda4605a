"""What every command shares: option parsing helpers, the error boundary, output."""

from __future__ import annotations

import math
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

import typer

from otdiag.errors import UsageError
from otdiag.model import ExitCode, Report
from otdiag.render import json as json_view

if TYPE_CHECKING:
    from otdiag.render import human

TIMEOUT_HELP = "How long each network call may take: 5s, 500ms, 1m (every call is bounded by it)."


def seconds(value: str | float) -> float:
    """A duration option: `30s`, `500ms`, `1h`, `2h30m` or a bare number of seconds."""
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)  # a bare number: its range is the command's to check, with its own message
    except ValueError:
        pass
    from otdiag import durations

    try:
        return durations.parse(value, "duration")
    except UsageError as exc:
        raise typer.BadParameter(str(exc).removeprefix("duration: ")) from None


DURATION = "DURATION"


def _stderr() -> tuple[ModuleType, human.Console]:
    """The human view and a console on stderr, imported (rich) only when there is something to say."""
    from otdiag.render import human

    return human, human.make_console(stderr=True)


def run(body: Callable[[], ExitCode], *, debug: bool = False) -> NoReturn:
    """The one error boundary: usage errors exit 2, Ctrl-C 130, bugs 3; never a traceback unless --debug."""
    try:
        code = body()
    except UsageError as exc:
        human, err = _stderr()
        err.print(f"[bold red]otdiag:[/] {human.escape(str(exc))}")
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        human, err = _stderr()
        err.print("[yellow]otdiag: interrupted[/]")
        code = ExitCode.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the boundary: one line, not a traceback
        if debug or os.environ.get("OTDIAG_DEBUG"):
            traceback.print_exc()
        human, err = _stderr()
        err.print(
            f"[bold red]otdiag: internal error:[/] {human.escape(type(exc).__name__)}: "
            f"{human.escape(str(exc)[:300])}"
            " (run with OTDIAG_DEBUG=1 for the traceback, and please report it)"
        )
        code = ExitCode.INTERNAL
    raise typer.Exit(int(code))


def parse_headers(values: list[str] | None, option: str = "--header") -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option}: {name.strip() or item!r} must be written NAME=VALUE")
        if any(ch.isspace() for ch in name.strip()):
            raise UsageError(f"{option}: header name {name.strip()!r} contains spaces")
        out[name.strip()] = value.strip()
    return out


def check_timeout(timeout: float, option: str = "--timeout") -> float:
    if not math.isfinite(timeout) or timeout <= 0 or timeout > 3600:
        raise UsageError(f"{option}: {timeout:g} is not a positive number of seconds (at most 3600)")
    return timeout


def readable_file(path: str | None, option: str) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{option}: {path} does not exist or is not a file")
    if not os.access(p, os.R_OK):
        raise UsageError(f"{option}: {path} is not readable")
    return str(p)


def emit(report: Report, *, as_json: bool, render: Callable[[human.Console, Report], None]) -> ExitCode:
    """Report to stdout (JSON or human) and return the exit code it implies."""
    if as_json:
        sys.stdout.write(json_view.dumps(report) + "\n")
        sys.stdout.flush()
    else:
        from otdiag.render import human

        render(human.make_console(), report)
    return ExitCode.OK if report.ok else ExitCode.PROBLEM
