"""`otdiag listen`: a local OTLP receiver with a Jaeger-compatible query API, showing spans as they arrive."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
import time
from types import FrameType
from typing import Annotated, Any

import typer

from otdiag import redact
from otdiag.cli import common
from otdiag.endpoints import listen_address
from otdiag.errors import UsageError
from otdiag.model import ExitCode, order_findings
from otdiag.render import human

_QUEUE_LIMIT = 20_000


def arrival_json(a: Any) -> dict[str, Any]:
    return {
        "type": "span",
        "received": round(a.received, 3),
        "transport": a.transport.value,
        "service": a.service,
        "service_name_set": a.service_raw is not None,
        "name": a.name,
        "kind": a.kind,
        "trace_id": a.trace_id,
        "span_id": a.span_id,
        "parent_span_id": a.parent_span_id or None,
        "duration_ms": round(max(0, a.end_ns - a.start_ns) / 1e6, 3),
        "status": {0: "unset", 1: "ok", 2: "error"}.get(a.status_code, "unset"),
        "status_message": a.status_message or None,
        "attributes": dict(a.attributes),
    }


class _Stop(Exception):
    pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Besides Ctrl-C, what ends listen with its summary: SIGTERM, and SIGHUP (the terminal went away)."""


def _exit_now(signum: int, frame: FrameType | None) -> None:
    """A second Ctrl-C (or SIGTERM/SIGHUP) while the summary is on its way: stop at once, exit 130."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(int(ExitCode.INTERRUPTED))


def listen(
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
    stop_after: Annotated[
        float | None,
        typer.Option(
            help="Stop after this long (30s, 2m), print the summary and exit 0.",
            parser=common.seconds,
            metavar=common.DURATION,
        ),
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

    def body() -> ExitCode:
        from otdiag.listen.server import BindError, Listener
        from otdiag.listen.store import SpanStore
        from otdiag.listen.summary import summarize

        if max_spans < 1:
            raise UsageError(f"--max-spans: {max_spans} must be at least 1")
        if stop_after is not None:
            common.check_timeout(stop_after, "--stop-after")
        grpc_addr = listen_address(grpc_endpoint, "--grpc-endpoint")
        http_addr = listen_address(http_endpoint, "--http-endpoint")
        query_addr = listen_address(query_endpoint, "--query-endpoint")
        if grpc_addr is None and http_addr is None:
            raise UsageError("--grpc-endpoint and --http-endpoint are both off: nothing would receive spans")
        store = SpanStore(max_spans)
        listener = Listener(store, grpc=grpc_addr, http=http_addr, query=query_addr)
        try:
            bound = listener.start()
        except BindError as exc:
            raise UsageError(str(exc)) from None
        err = human.make_console(stderr=True)
        out = human.make_console()
        lines = ["[bold]otdiag listen[/] — receiving OTLP traces"]
        if bound.grpc:
            lines.append(f"  OTLP/gRPC  {bound.grpc}")
        if bound.http:
            lines.append(f"  OTLP/HTTP  http://{bound.http}/v1/traces")
        if bound.query:
            lines.append(f"  Jaeger query API  http://{bound.query}  (--jaeger-url http://{bound.query})")
        for addr in (bound.grpc, bound.http, bound.query):
            if addr is not None and not addr.is_loopback:
                lines.append(
                    f"  [yellow]! {addr} is reachable from other machines: anyone there can send and read spans[/]"
                )
        lines.append(f"  keeping up to {max_spans} spans; Ctrl-C to stop and see the summary")
        human.print_listen_banner(err, lines)

        arrivals: queue.Queue[Any] = queue.Queue(_QUEUE_LIMIT)
        dropped = [0]
        show = not quiet

        def observe(batch: list[Any]) -> None:
            for a in batch:
                try:
                    arrivals.put_nowait(a)
                except queue.Full:
                    dropped[0] += 1

        if show:
            store.subscribe(observe)
        main = threading.current_thread() is threading.main_thread()
        previous = {s: signal.getsignal(s) for s in _STOP_SIGNALS} if main else {}
        for s in previous:
            signal.signal(s, _on_sigterm)
        deadline = time.monotonic() + stop_after if stop_after is not None else None
        code = ExitCode.OK
        try:
            while deadline is None or time.monotonic() < deadline:
                try:
                    a = arrivals.get(timeout=0.2)
                except queue.Empty:
                    continue
                _emit(a, out, json_lines)
                while True:
                    try:
                        _emit(arrivals.get_nowait(), out, json_lines)
                    except queue.Empty:
                        break
                if json_lines:
                    sys.stdout.flush()
        except KeyboardInterrupt:
            code = ExitCode.INTERRUPTED
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            if main and common.HARD_EXIT:
                # From here on the summary is written: a second signal means "now", and exits 130.
                for s in (signal.SIGINT, *_STOP_SIGNALS):
                    signal.signal(s, _exit_now)
            listener.stop()
        while not arrivals.empty():
            _emit(arrivals.get_nowait(), out, json_lines)
        summary = summarize(store)
        doc = summary.to_json()
        if dropped[0]:
            err.print(f"[dim]({dropped[0]} spans were not shown: they arrived faster than the display)[/]")
        if json_lines:
            findings = [f.to_json() for f in order_findings(summary.findings)]
            sys.stdout.write(redact.json_dumps({"type": "summary", **doc, "findings": findings}, indent=None) + "\n")
            sys.stdout.flush()
        try:
            err.print()
            human.print_summary(err, doc, summary.findings, "Summary")
        except OSError:
            pass  # the terminal is gone (SIGHUP): the JSON summary, if asked for, is already out
        if main and common.HARD_EXIT:
            # Summed up: end here. Returning would leave a window (interpreter shutdown, where signal
            # handlers are reset) in which another Ctrl-C kills the process with SIGINT instead of 130.
            with contextlib.suppress(OSError):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(int(code))
        return code

    common.run(body)


def _emit(a: Any, out: human.Console, json_lines: bool) -> None:
    if json_lines:
        sys.stdout.write(redact.json_dumps(arrival_json(a), indent=None) + "\n")
    else:
        human.print_arrival(out, a)
