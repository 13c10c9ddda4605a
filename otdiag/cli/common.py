"""What every command shares: option parsing helpers, the error boundary, output."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from otdiag import redact
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Result
from otdiag.render import json as json_view

if TYPE_CHECKING:
    from otdiag.render import human

TIMEOUT_HELP = "How long each network call may take: 5s, 500ms, 1m (every call is bounded by it)."
HEADER_HELP = "A header for every OTLP request: NAME=VALUE or curl's 'Name: value' (repeatable)."


def duration(text: str, option: str, *, most: float | None = None, zero: bool = True) -> float:
    """A duration option in seconds: `30s`, `500ms`, `1h`, `2h30m` (a bare number other than 0 is refused).

    One rule for every duration otdiag reads (otdiag.durations): the unit is written, as Go and the
    collector want it. `most` bounds it; without `zero`, 0 is refused too.
    """
    from otdiag import durations

    seconds = durations.parse(text, option)
    if (not zero and seconds <= 0) or (most is not None and seconds > most):
        bounds = ([] if zero else ["more than 0s"]) + ([] if most is None else [f"at most {durations.text(most)}"])
        raise UsageError(f"{option}: {text.strip()!r} must be {' and '.join(bounds)}")
    return seconds


def timeout(text: str, option: str = "--timeout") -> float:
    """A timeout option: more than 0, at most an hour.

    The CLI contract wrote `--timeout SECONDS` for check and send-test-span, so a bare number there is
    still read as seconds, with a one-line note on stderr (the deprecation path the contract asks for).
    """
    raw = text.strip()
    if option == "--timeout" and _BARE_SECONDS.fullmatch(raw) and float(raw) > 0:
        sys.stderr.write(f"otdiag: --timeout {raw} is read as {float(raw):g}s; write the unit ({float(raw):g}s)\n")
        raw = f"{float(raw):g}s"
    return duration(raw, option, most=MAX_TIMEOUT_S, zero=False)


_BARE_SECONDS = re.compile(r"\d{1,9}(?:\.\d{1,9})?")


MAX_TIMEOUT_S = 3600.0
DURATION = "DURATION"


def _stderr() -> tuple[ModuleType, human.Console]:
    """The human view and a console on stderr, imported (rich) only when there is something to say."""
    from otdiag.render import human

    return human, human.make_console(stderr=True)


def remember_env_secrets(env: Mapping[str, str]) -> None:
    """Secrets an environment holds (OTLP headers, passwords in URLs): never shown, whatever the path."""
    for name, value in env.items():
        if not value:
            continue
        upper = name.upper()
        if upper.startswith(("OTEL_", "OTDIAG_")):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise UsageError(f"{redact.printable(name)} is not valid UTF-8 text") from None
        if upper.endswith("HEADERS") and upper.startswith("OTEL_"):
            from otdiag.app.export_settings import parse_headers as parse_otlp_headers

            headers, _ = parse_otlp_headers(value, check=False)
            redact.remember_headers(headers)
        elif "@" in value and "://" in value:
            redact.remember_url(value)
        elif redact.secret_name(name):
            redact.remember(value)


def run(body: Callable[[], ExitCode], *, debug: bool = False) -> NoReturn:
    """A command's error boundary: usage errors are 2, Ctrl-C 130, bugs 3 (never a traceback unless --debug).

    The code goes to otdiag.cli.main.main as typer.Exit: that is where the process ends.
    """
    try:
        remember_env_secrets(os.environ)
        code = body()
        try:
            sys.stdout.flush()  # what is still buffered goes out inside the boundary, its failure too
        except OSError as exc:
            code = output_failure(exc, reader_gone=code) or ExitCode.INTERNAL
    except UsageError as exc:
        human, err = _stderr()
        human.hang(err, "[bold red]otdiag:[/] ", human.escape(str(exc)))  # wrapped at the width, hanging
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        human, err = _stderr()
        err.print("[yellow]otdiag: interrupted[/]")
        code = ExitCode.INTERRUPTED  # the program (otdiag.cli.main) then ends the process at once
    except Exception as exc:  # noqa: BLE001 - the boundary: one line, not a traceback
        failed = output_failure(exc)
        if failed is not None:
            raise typer.Exit(int(failed)) from None
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


def pairs(values: list[str] | None, option: str, *, form: str = "KEY=VALUE", secret: bool = False) -> dict[str, str]:
    """Repeated `KEY=VALUE` options as a dict (names stripped, values as given).

    With `secret`, a malformed item is echoed only when it looks like a name: anything else may be a
    secret value (a header given without its name), so it is shown by its position instead.
    """
    out: dict[str, str] = {}
    for n, item in enumerate(values or [], 1):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            shown = f"#{n}" if secret and not re.fullmatch(r"[A-Za-z0-9-]{1,40}", item) else repr(item)
            raise UsageError(f"{option}: {shown} must be written {form}")
        out[name.strip()] = value
    return out


_WRITE_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG})


def output_failure(exc: BaseException, *, reader_gone: ExitCode = ExitCode.OK) -> ExitCode | None:
    """When `exc` is output that cannot go out, say so in one line and give the exit code; else None.

    A reader that goes away (`otdiag ... | head`) ends the output quietly, as it ends any filter's,
    with `reader_gone` (the report's own code once there is a report). Output that cannot be written
    (a full disk, an I/O error) is the invocation's problem, not otdiag's: exit 2 with one line. Network
    failures never arrive here as bare OSErrors: the transports turn them into findings first.
    """
    if not isinstance(exc, OSError) or not (isinstance(exc, BrokenPipeError) or exc.errno in _WRITE_FAILURES):
        return None
    # Whatever is still buffered for stdout would fail again at exit: send it nowhere.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if isinstance(exc, BrokenPipeError):
        return reader_gone
    with contextlib.suppress(OSError):
        sys.stderr.write(f"otdiag: cannot write the output: {exc.strerror or exc}\n")
        sys.stderr.flush()
    return ExitCode.USAGE


def _curl_form(values: list[str] | None) -> list[str] | None:
    """`Name: value` (curl's form) read as `Name=value`; `Name=value` (the OTLP variables' form) as is."""
    if values is None:
        return None
    out = []
    for given in values:
        colon, equals = given.find(":"), given.find("=")
        if colon > 0 and (equals < 0 or colon < equals) and " " not in given[:colon].strip():
            name, _, value = given.partition(":")
            out.append(f"{name.strip()}={value.strip()}")
        else:
            out.append(given)
    return out


def parse_headers(values: list[str] | None, option: str = "--header") -> dict[str, str]:
    from otdiag.app.export_settings import check_header

    out = {
        name: value.strip() for name, value in pairs(_curl_form(values), option, form="NAME=VALUE", secret=True).items()
    }
    for n, (name, value) in enumerate(out.items(), 1):
        redact.remember_headers({name: value})
        check_header(name, value, f"{option} #{n}")
    return out


DEFAULT_JAEGER = "http://localhost:16686"


def jaeger_url_option(value: str | None) -> str:
    """--jaeger-url, else OTDIAG_JAEGER_URL, else Jaeger's default query address on this host."""
    from otdiag.net.endpoints import http_url

    if value:
        return http_url(value, option="--jaeger-url")
    env = os.environ.get("OTDIAG_JAEGER_URL")
    if env:
        return http_url(env, option="OTDIAG_JAEGER_URL")
    return DEFAULT_JAEGER


def check_timeout(timeout: float, option: str = "--timeout") -> float:
    """A timeout already in seconds (a request built in code): more than 0, at most an hour."""
    from otdiag import durations

    if not math.isfinite(timeout) or timeout <= 0 or timeout > MAX_TIMEOUT_S:
        shown = durations.text(timeout) if math.isfinite(timeout) and timeout >= 0 else f"{timeout:g}s"
        raise UsageError(f"{option}: {shown} must be more than 0s and at most 1h")
    return timeout


MAX_PEM_BYTES = 16 * 1024 * 1024


def readable_file(path: str | None, option: str) -> str | None:
    """A regular, readable file of a sane size (certificates, keys): devices and FIFOs are refused."""
    if path is None:
        return None
    p = Path(path)
    shown = redact.printable(path[:200])
    try:
        if not p.is_file():
            raise UsageError(f"{option}: {shown} does not exist or is not a regular file")
        if not os.access(p, os.R_OK):
            raise UsageError(f"{option}: {shown} is not readable")
        if p.stat().st_size > MAX_PEM_BYTES:
            raise UsageError(f"{option}: {shown} is larger than {MAX_PEM_BYTES // 1048576} MiB")
    except (OSError, ValueError) as exc:
        raise UsageError(f"{option}: {shown} cannot be used ({getattr(exc, 'strerror', None) or exc})") from None
    return str(p)


R = TypeVar("R", bound=Result)


def emit(report: R, *, as_json: bool, render: Callable[[human.Console, R], None]) -> ExitCode:
    """Report to stdout (JSON or human) and return the exit code it implies."""
    code = ExitCode.OK if report.ok else ExitCode.PROBLEM
    try:
        if as_json:
            sys.stdout.write(json_view.dumps(report) + "\n")
            sys.stdout.flush()
        else:
            from otdiag.render import human

            render(human.make_console(), report)
            sys.stdout.flush()
    except OSError as exc:
        failed = output_failure(exc, reader_gone=code)
        if failed is None:
            raise
        return failed
    return code
