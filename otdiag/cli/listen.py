"""`otdiag listen`: a local OTLP receiver with a Jaeger-compatible query API, showing spans as they arrive."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from otdiag import redact
from otdiag.cli import common
from otdiag.cli.main import Program
from otdiag.errors import UsageError
from otdiag.model import ExitCode
from otdiag.net.endpoints import listen_address
from otdiag.render import human

if TYPE_CHECKING:
    from otdiag.listen.refused import RefusedRequest
    from otdiag.listen.session import ListenRequest
    from otdiag.listen.store import Arrival


def listen(
    ctx: typer.Context,
    grpc_endpoint: Annotated[
        str, typer.Option(help="OTLP/gRPC receiver address, HOST:PORT, or 'off'.")
    ] = "127.0.0.1:4317",
    http_endpoint: Annotated[
        str, typer.Option(help="OTLP/HTTP receiver address (POST /v1/traces), HOST:PORT, or 'off'.")
    ] = "127.0.0.1:4318",
    query_endpoint: Annotated[
        str, typer.Option(help="Jaeger-compatible query API address (/api/v3/..., /api/...), or 'off'.")
    ] = "127.0.0.1:16686",
    max_spans: Annotated[
        int, typer.Option(help="Spans kept in memory; beyond it the oldest traces are dropped (and counted).")
    ] = 100_000,
    json_lines: Annotated[
        bool,
        typer.Option("--json-lines", help="One JSON object per received span on stdout, then a summary."),
    ] = False,
    quiet: Annotated[bool, typer.Option(help="Do not show spans as they arrive; only the summary.")] = False,
    save: Annotated[
        str | None,
        typer.Option(
            help="Also write every accepted request to FILE, one OTLP JSON line each (what otdiag replay reads).",
            metavar="FILE",
        ),
    ] = None,
    stop_after: Annotated[
        str | None,
        typer.Option(help="Stop after this long (30s, 2m), print the summary and exit 0.", metavar=common.DURATION),
    ] = None,
) -> None:
    """Receive OTLP traces locally, show each span as it arrives, and answer Jaeger's query API.

    Point an app (or otdiag send-test-span) at it, then query it like Jaeger
    (otdiag find-trace, curl .../api/v3/traces/ID). It answers exactly as the
    collector's OTLP receiver does, so exporters behave as they would in production.
    Ctrl-C (or SIGTERM, SIGHUP) stops it: the summary is printed, then it exits 130;
    with --stop-after it exits 0. Loopback only unless you give another address.

    Examples:

    \b
      otdiag listen
      otdiag listen --grpc-endpoint 0.0.0.0:4317 --http-endpoint 0.0.0.0:4318
      otdiag listen --json-lines --query-endpoint off
    """

    hard_exit = isinstance(ctx.obj, Program) and ctx.obj.hard_exit

    def body() -> ExitCode:
        from otdiag.listen import session
        from otdiag.listen.server import BindError
        from otdiag.render import listen as view

        stop_s = common.timeout(stop_after, "--stop-after") if stop_after is not None else None
        request = _request(grpc_endpoint, http_endpoint, query_endpoint, max_spans, stop_s, save)
        live = session.Session(request)
        try:
            bound = live.start(live=not quiet)
        except BindError as exc:
            raise UsageError(str(exc)) from None
        err, out = human.make_console(stderr=True), human.make_console()
        view.print_banner(err, bound, max_spans)
        show = _print_span if json_lines else partial(view.print_arrival, out)
        flush = sys.stdout.flush if json_lines else None
        refused = _print_refused if json_lines else partial(view.print_refused, err)
        code = live.run(None if quiet else show, flush=flush, hard_exit=hard_exit, show_refused=refused)
        result = live.summary()
        view.print_dropped(err, live.dropped)
        if live.saved is not None:
            skipped = f", {live.saved.skipped} not written (size cap or disk)" if live.saved.skipped else ""
            err.print(
                f"[dim]otdiag listen: saved {live.saved.requests} request(s) to "
                f"{human.escape(live.saved.path)}{skipped}[/]"
            )
        if json_lines:
            _print_json_line(result.summary_json())
            sys.stdout.flush()
        with contextlib.suppress(OSError):  # the terminal is gone (SIGHUP): the JSON summary is already out
            view.print_final(err, result)
        return session.end(code, hard_exit=hard_exit)

    common.run(body)


def _request(
    grpc: str, http: str, query: str, max_spans: int, stop_after: float | None, save: str | None = None
) -> ListenRequest:
    """The options checked, in the order a user reads them: one line (exit 2) for the first one wrong."""
    from otdiag.listen.session import ListenRequest

    if max_spans < 1:
        raise UsageError(f"--max-spans: {max_spans} must be at least 1")
    if stop_after is not None:
        common.check_timeout(stop_after, "--stop-after")
    request = ListenRequest(
        grpc=listen_address(grpc, "--grpc-endpoint"),
        http=listen_address(http, "--http-endpoint"),
        query=listen_address(query, "--query-endpoint"),
        max_spans=max_spans,
        stop_after=stop_after,
        save=save,
    )
    if request.grpc is None and request.http is None:
        raise UsageError("--grpc-endpoint and --http-endpoint are both off: nothing would receive spans")
    return request


def _print_span(a: Arrival) -> None:
    _print_json_line(a.to_json())


def _print_refused(r: RefusedRequest) -> None:
    _print_json_line({"type": "refused", **r.to_json()})


def _print_json_line(doc: Mapping[str, object]) -> None:
    """One line of --json-lines: a span as it arrived, or the summary."""
    sys.stdout.write(redact.json_dumps(doc, indent=None) + "\n")
