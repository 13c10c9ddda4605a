"""`otdiag listen`'s human view: where it receives, one line per span as it arrives, and the summary."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING

from otdiag.render.human import Console, escape, hang, plural, print_findings

if TYPE_CHECKING:
    from otdiag.listen.refused import RefusedRequest
    from otdiag.listen.server import Bound
    from otdiag.listen.store import Arrival
    from otdiag.listen.summary import ListenResult

_STATUS_MARK = {0: "", 1: "[green]ok[/]", 2: "[bold red]error[/]"}
OPERATIONS_SHOWN = 15
"""Operations listed per service in the summary; the rest are counted."""


def print_banner(console: Console, bound: Bound, max_spans: int) -> None:
    """What listens where (with the --jaeger-url to query it), and a warning for every address not on loopback."""
    console.print("[bold]otdiag listen[/] — receiving OTLP traces")
    if bound.grpc:
        hang(console, "  OTLP/gRPC  ", escape(str(bound.grpc)))
    if bound.http:
        hang(console, "  OTLP/HTTP  ", f"http://{escape(str(bound.http))}/v1/traces")
    if bound.query:
        query = escape(str(bound.query))
        hang(console, "  ", f"Jaeger query API  http://{query}  (--jaeger-url http://{query})")
    for addr in (bound.grpc, bound.http, bound.query):
        if addr is not None and not addr.is_loopback:
            hang(
                console,
                "  [yellow]![/] ",
                f"[yellow]{escape(str(addr))} is reachable from other machines: "
                "anyone there can send and read spans[/]",
            )
    hang(console, "  ", f"keeping up to {max_spans} spans; Ctrl-C to stop and see the summary")


_TERMINAL_NAME, _PIPE_NAME = 60, 200


def print_arrival(console: Console, a: Arrival) -> None:
    """One received span on one line: time, service, name, trace ID, duration, status, key attributes."""
    stamp = time.strftime("%H:%M:%S", time.localtime(a.received)) + f".{int(a.received * 1000) % 1000:03d}"
    # On a terminal a name stops at 60 characters, so one span stays a line or two; into a pipe, at 200.
    cap = _TERMINAL_NAME if console.is_terminal else _PIPE_NAME
    service = escape(
        _short(a.service, cap) if a.service_raw is not None else f"{_short(a.service, cap)} (no service.name)"
    )
    parent = "" if not a.parent_span_id.strip("0") else f" [dim]← {a.parent_span_id[:8]}[/]"
    status = _STATUS_MARK.get(a.status_code, "")
    if a.status_code == 2 and a.status_message:
        status += f" [red]{escape(a.status_message[:80])}[/]"
    attrs = " ".join(f"[dim]{escape(_short(k, 60))}=[/]{escape(v[:60])}" for k, v in itertools.islice(a.attributes, 20))
    hang(
        console,
        f"[dim]{stamp}[/] ",
        f"[cyan]{service}[/] [bold]{escape(_short(a.name, cap))}[/] [dim]{escape(str(a.kind))}[/] "
        f"trace {escape(a.trace_id)}{parent} {_duration(max(0, a.end_ns - a.start_ns))} "
        f"{status} {attrs}".rstrip(),
    )


def print_refused(console: Console, r: RefusedRequest) -> None:
    """A refused or misdirected request, the first time one of its kind arrives: what came, and the fix."""
    stamp = time.strftime("%H:%M:%S", time.localtime(r.first_seen))
    f = r.finding()
    hang(console, f"[dim]{stamp}[/] ", f"[bold red]✗ refused[/] {escape(r.describe())} [dim]({escape(f.code)})[/]")
    hang(console, "  [dim]fix:[/] ", escape(f.hint))


def print_dropped(console: Console, dropped: int) -> None:
    """How many spans were received but not shown (the display could not keep up); nothing when none."""
    if dropped:
        hang(console, "", f"[dim]({dropped} spans were not shown: they arrived faster than the display)[/]")


def print_final(console: Console, result: ListenResult) -> None:
    """listen's last words: a blank line, then the summary."""
    console.print()
    print_summary(console, result, "Summary")


def print_summary(console: Console, result: ListenResult, title: str) -> None:
    """The spans received: counts, operations per service, transports, then the findings (or that none)."""
    console.print(f"[bold]{escape(title)}[/]")
    held = f"; held now: {plural(result.held_traces, 'trace')}" if result.evicted_traces else ""
    hang(
        console,
        "  ",
        f"{plural(result.traces, 'trace')}, {plural(result.spans, 'span')} from "
        f"{plural(len(result.services), 'service')}{held}",
    )
    for service, ops in result.operations.items():
        hang(console, "  ", f"[cyan]{escape(_short(service))}[/]: {plural(result.services.get(service, 0), 'span')}")
        for name, n in list(ops.items())[:OPERATIONS_SHOWN]:
            hang(console, f"    {n:>6}  ", escape(_short(name)))
        if len(ops) > OPERATIONS_SHOWN:
            console.print(f"    [dim]… {plural(len(ops) - OPERATIONS_SHOWN, 'more operation')}[/]")
    if result.transports:
        shown = ", ".join(f"{k}: {v}" for k, v in result.transports.items())
        hang(console, "  ", f"[dim]received over {escape(shown)}[/]")
    console.print()
    if result.findings:
        print_findings(console, list(result.findings))
    else:
        hang(console, "  ", "[green]No problems seen in the received spans.[/]")


def _duration(ns: int) -> str:
    if ns < 1_000_000:
        return f"{ns / 1000:.0f}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.1f}ms"
    return f"{ns / 1_000_000_000:.2f}s"


def _short(text: str, limit: int = 200) -> str:
    """A name as a one-line view shows it: at most `limit` characters."""
    return text if len(text) <= limit else text[:limit] + "…"
