"""`otdiag run -- COMMAND [ARGS...]`: run an app against a private OTLP receiver; report what it emitted."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import IO, Annotated, Any

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Protocol, Report
from otdiag.render import human


def _stderr_sink() -> Any:
    buffer = getattr(sys.stderr, "buffer", None)

    def sink(raw: bytes) -> None:
        if buffer is not None:
            buffer.write(raw)
            buffer.flush()
        else:
            sys.stderr.write(raw.decode("utf-8", errors="replace"))

    return sink


def _app_stdout(as_json: bool) -> IO[bytes] | int | None:
    if not as_json:
        return None
    try:
        return sys.stderr.fileno()  # keep stdout for the one JSON document
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL


def run_command(
    command: Annotated[list[str], typer.Argument(help="The command to run, after --.", show_default=False)],
    protocol: Annotated[
        Protocol | None,
        typer.Option(help="Set OTEL_EXPORTER_OTLP_PROTOCOL for the app (default: keep the app's own)."),
    ] = None,
    service_name: Annotated[
        str,
        typer.Option(
            "--service-name", "--service", help="OTEL_SERVICE_NAME to set when the app's environment has none."
        ),
    ] = "otdiag-run",
    default_service_name: Annotated[
        bool,
        typer.Option(help="Set OTEL_SERVICE_NAME when unset (--no-default-service-name shows unknown_service)."),
    ] = True,
    grace: Annotated[
        float,
        typer.Option(
            help="How long to wait after the app exits, for late exports.",
            parser=common.seconds,
            metavar=common.DURATION,
        ),
    ] = 1.0,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Stop the app (SIGTERM, then SIGKILL) after this long (30s, 2m).",
            parser=common.seconds,
            metavar=common.DURATION,
        ),
    ] = None,
    kill_after: Annotated[
        float,
        typer.Option(help="Seconds the app gets to exit after SIGTERM/SIGINT before SIGKILL to its process group."),
    ] = 5.0,
    observe: Annotated[
        bool,
        typer.Option(help="Load otdiag's in-process observer into Python apps (--no-observe: receiver only)."),
    ] = True,
    default_ports: Annotated[
        bool,
        typer.Option(
            help="Also receive on 127.0.0.1:4317 (gRPC) and :4318 (HTTP) when free, for hard-coded endpoints."
        ),
    ] = False,
    max_spans: Annotated[int, typer.Option(help="Spans kept in memory while the app runs.")] = 100_000,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON report on stdout (the app's stdout goes to stderr)."),
    ] = False,
) -> None:
    """Run an app with its OpenTelemetry SDK pointed at a private receiver, then say what it emitted.

    The receiver listens on a free loopback port that speaks OTLP/gRPC and OTLP/HTTP;
    OTEL_EXPORTER_OTLP_ENDPOINT points there (and OTEL_SERVICE_NAME gets a default
    only if the app has none). A Python app also gets otdiag's in-process observer
    (a sitecustomize, chained to the app's own), which sees the provider, sampler,
    processors, exporters and what happened to each span, with file:line. After the
    app exits (plus --grace seconds) the report lists spans per service and name,
    and the root cause first: a crash, the removed Jaeger exporter, version skew,
    no provider, sampler off, spans never ended, exit before the flush, export
    failures. Exit 0 when spans arrived without errors, 1 otherwise; SIGINT or
    SIGTERM to otdiag stops the app (SIGKILL after --kill-after), reports, exits 130.

    Examples:

    \b
      otdiag run -- python app.py
      otdiag run --json -- opentelemetry-instrument python manage.py runjob
    """

    def body() -> ExitCode:
        from otdiag import run as core
        from otdiag.listen.server import Address, BindError, Listener
        from otdiag.listen.store import SpanStore

        if not command:
            raise UsageError("give the command to run after --, e.g. otdiag run -- python app.py")
        if max_spans < 1:
            raise UsageError(f"--max-spans: {max_spans} must be at least 1")
        if not 0 <= grace <= 60:
            raise UsageError(f"--grace: {grace:g} must be between 0 and 60 seconds")
        if timeout is not None:
            common.check_timeout(timeout)
        if not 0 <= kill_after <= 600:
            raise UsageError(f"--kill-after: {kill_after:g} must be between 0 and 600 seconds")
        store = SpanStore(max_spans)
        listener = None
        defaults: list[str] = []
        if default_ports:
            # Apps that hard-code the default endpoint (localhost:4317 / :4318) reach otdiag too, when free.
            try:
                listener = Listener(
                    store, mux=Address("127.0.0.1", 0), grpc=Address("127.0.0.1", 4317),
                    http=Address("127.0.0.1", 4318),
                )  # fmt: skip
                listener.start()
                defaults = ["127.0.0.1:4317", "127.0.0.1:4318"]
            except BindError:
                listener = None
        if listener is None:
            listener = Listener(store, mux=Address("127.0.0.1", 0))
            try:
                listener.start()
            except BindError as exc:
                raise UsageError(str(exc)) from None
        bound = listener.bound
        assert bound is not None and bound.mux is not None
        endpoint = f"http://{bound.mux}"
        err = human.make_console(stderr=True)
        shown = human.escape(" ".join(core.scrub_argv(command)))
        also = f", also the default ports {' and '.join(defaults)}" if defaults else ""
        err.print(f"[dim]otdiag run: OTLP receiver at {endpoint} (gRPC and HTTP{also}); running {shown}[/]")
        try:
            result = core.run_app(
                command, store, endpoint, env=os.environ, protocol=protocol,
                default_service=service_name if default_service_name else None, grace=grace, timeout=timeout,
                kill_after=kill_after, observe=observe, stdout=_app_stdout(as_json), stderr_sink=_stderr_sink(),
                also_receiving=defaults,
            )  # fmt: skip
        finally:
            listener.stop()
        report = Report("run", result.findings, result.to_json())
        code = common.emit(report, as_json=as_json, render=human.print_run)
        if result.stopped in ("SIGINT", "SIGTERM"):
            return ExitCode.INTERRUPTED
        return code

    common.run(body)
