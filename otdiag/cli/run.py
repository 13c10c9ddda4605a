"""`otdiag run -- COMMAND [ARGS...]`: run an app against a private OTLP receiver; report what it emitted."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Protocol

if TYPE_CHECKING:
    from otdiag.app.runner import RunRequest


def run_command(
    command: Annotated[
        list[str], typer.Argument(metavar="COMMAND", help="The app's command line, after --.", show_default=False)
    ],
    protocol: Annotated[
        Protocol | None,
        typer.Option(help="Set OTEL_EXPORTER_OTLP_PROTOCOL for the app (default: keep the app's own)."),
    ] = None,
    service_name: Annotated[
        str,
        typer.Option(
            "--service-name",
            "--service",
            metavar="NAME",
            help="OTEL_SERVICE_NAME to set when the app's environment has none.",
        ),
    ] = "otdiag-run",
    default_service_name: Annotated[
        bool,
        typer.Option(help="Set OTEL_SERVICE_NAME when unset (--no-default-service-name shows unknown_service)."),
    ] = True,
    grace: Annotated[
        str, typer.Option(help="How long to wait after the app exits, for late exports.", metavar=common.DURATION)
    ] = "1s",
    timeout: Annotated[
        str | None,
        typer.Option(help="Stop the app (SIGTERM, then SIGKILL) after this long (30s, 2m).", metavar=common.DURATION),
    ] = None,
    kill_after: Annotated[
        str,
        typer.Option(
            help="How long the app gets to exit after SIGTERM/SIGINT, before SIGKILL to its process group.",
            metavar=common.DURATION,
        ),
    ] = "5s",
    observe: Annotated[
        bool,
        typer.Option(help="Watch the app: from inside (Python, Node.js, Java), its binary (Go); off: receiver only."),
    ] = True,
    default_ports: Annotated[
        bool,
        typer.Option(
            help="Also receive on 127.0.0.1:4317 (gRPC) and :4318 (HTTP) when free, for hard-coded endpoints."
        ),
    ] = False,
    max_spans: Annotated[int, typer.Option(help="Spans kept in memory while the app runs.")] = 100_000,
    save: Annotated[
        str | None,
        typer.Option(
            help="Also write every request the app sent to FILE, one OTLP JSON line each (for otdiag replay).",
            metavar="FILE",
        ),
    ] = None,
    keep_open: Annotated[
        bool,
        typer.Option(
            help="After the report, keep the receiver and a Jaeger-compatible query API open (for find-trace"
            " --jaeger-url) until Ctrl-C; the exit code stays the report's."
        ),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON report on stdout (the app's stdout goes to stderr)."),
    ] = False,
) -> None:
    """Run an app with its OpenTelemetry SDK pointed at a private receiver, then say what it emitted.

    The receiver listens on a free loopback port that speaks OTLP/gRPC and
    OTLP/HTTP; OTEL_EXPORTER_OTLP_ENDPOINT points there (OTEL_SERVICE_NAME gets a
    default only if the app has none). otdiag also watches the app: Python
    through a sitecustomize, Node.js through a --require preload, Java through -D
    properties and an agent, Go through its build info and stderr. The report
    puts the root cause first, with file:line where the app shows it.
    Exit 0 when spans arrived without errors, 1 otherwise; SIGINT or SIGTERM to
    otdiag stops the app (SIGKILL after --kill-after), reports, exits 130.

    Examples:

    \b
      otdiag run -- python app.py
      otdiag run --json -- opentelemetry-instrument python manage.py runjob
    """

    def body() -> ExitCode:
        from otdiag.app import runner as core
        from otdiag.render import human
        from otdiag.render import run as view

        request = core.RunRequest(
            command=tuple(command or ()), protocol=protocol,
            default_service=service_name if default_service_name else None,
            grace=common.duration(grace, "--grace", most=60.0),
            timeout=common.timeout(timeout) if timeout is not None else None,
            kill_after=common.duration(kill_after, "--kill-after", most=600.0),
            observe=observe, default_ports=default_ports, max_spans=max_spans,
            stdout_to_stderr=as_json, keep_open=keep_open, save=save,
        )  # fmt: skip
        _check(request)
        err = human.make_console(stderr=True)
        codes: list[ExitCode] = []
        result = core.run(
            request,
            env=os.environ,
            on_start=lambda started: view.print_start(err, started),
            on_result=lambda result: codes.append(common.emit(result, as_json=as_json, render=view.print_run)),
            on_kept_open=lambda kept: view.print_kept_open(err, kept),
        )
        return ExitCode.INTERRUPTED if result.app.interrupted else codes[0]

    common.run(body)


def _check(request: RunRequest) -> None:
    """Usage errors (exit 2) in the request, before anything starts."""
    if not request.command:
        raise UsageError("give the command to run after --, e.g. otdiag run -- python app.py")
    if request.max_spans < 1:
        raise UsageError(f"--max-spans: {request.max_spans} must be at least 1")
    if not 0 <= request.grace <= 60:
        raise UsageError(f"--grace: {request.grace:g}s must be between 0s and 1m")
    if request.timeout is not None:
        common.check_timeout(request.timeout)
    if not 0 <= request.kill_after <= 600:
        raise UsageError(f"--kill-after: {request.kill_after:g}s must be between 0s and 10m")
