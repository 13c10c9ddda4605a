"""`otdiag find-trace`: fetch traces back from Jaeger, show them, and say what is wrong with them."""

from __future__ import annotations

import contextlib
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from otdiag import redact
from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode

if TYPE_CHECKING:
    from otdiag.jaeger.client import SearchQuery


def _time(text: str, option: str) -> int:
    """RFC 3339 / ISO 8601 (naive means UTC) or Unix seconds -> Unix nanoseconds."""
    raw = text.strip()
    ns: int | None = None
    with contextlib.suppress(ValueError, OverflowError):
        ns = int(float(raw) * 1e9)
    if ns is None:
        try:
            dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"{option}: {text!r} is not a time (RFC 3339 like 2026-01-02T15:04:05Z, or Unix seconds)"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        ns = int(dt.timestamp() * 1e9)
    if not 0 <= ns <= 253402300799 * 10**9:
        raise UsageError(f"{option}: {text!r} is outside the years 1970-9999")
    return ns


def find_trace(
    trace_id: Annotated[
        str | None,
        typer.Argument(
            metavar="TRACE_ID", help="1-32 hex digits, or a W3C traceparent. Omit to search.", show_default=False
        ),
    ] = None,
    jaeger_url: Annotated[
        str | None,
        typer.Option(help="Jaeger's query URL (default: OTDIAG_JAEGER_URL, else http://localhost:16686)."),
    ] = None,
    service: Annotated[str | None, typer.Option(metavar="NAME", help="Search: the service name.")] = None,
    operation: Annotated[str | None, typer.Option(metavar="NAME", help="Search: the span (operation) name.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Search: KEY=VALUE span attribute (repeatable).")
    ] = None,
    lookback: Annotated[
        str, typer.Option(help="Search: how far back from now (30m, 1h, 2d).", metavar=common.DURATION)
    ] = "1h",
    start: Annotated[str | None, typer.Option(help="Search: earliest start time (RFC 3339 or Unix seconds).")] = None,
    end: Annotated[str | None, typer.Option(help="Search: latest start time (default: now).")] = None,
    limit: Annotated[int, typer.Option(help="Search: at most this many traces.")] = 20,
    min_duration: Annotated[
        str | None, typer.Option(help="Search: shortest trace duration (e.g. 10ms).", metavar=common.DURATION)
    ] = None,
    max_duration: Annotated[
        str | None, typer.Option(help="Search: longest trace duration.", metavar=common.DURATION)
    ] = None,
    wait: Annotated[
        str | None,
        typer.Option(help="Poll until the trace shows up or this much time passes (30s).", metavar=common.DURATION),
    ] = None,
    max_spans: Annotated[int, typer.Option(help="Show at most this many span rows.")] = 200,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show span attributes and status messages.")] = False,
    raw: Annotated[bool, typer.Option(help="Print the server's own JSON, as returned.")] = False,
    timeout: Annotated[str, typer.Option(help=common.TIMEOUT_HELP, metavar=common.DURATION)] = "10s",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Fetch traces back from Jaeger, show them as a waterfall, and say what is wrong with them.

    Examples:

    \b
      otdiag find-trace 4bf92f3577b34da6a3ce929d0e0e4736 --wait 30s
      otdiag find-trace --service checkout --tag http.status_code=500 \\
          --lookback 2h
    """

    def body() -> ExitCode:
        from otdiag.jaeger.client import JaegerClient
        from otdiag.jaeger.lookup import find_by_id, search
        from otdiag.jaeger.trace import parse_trace_id
        from otdiag.render import human
        from otdiag.render.find import print_find

        timeout_s = common.timeout(timeout)
        url = common.jaeger_url_option(jaeger_url)
        if max_spans < 1 or limit < 1:
            raise UsageError("--max-spans and --limit must be at least 1")
        wait_s = common.duration(wait, "--wait") if wait else 0.0
        client = JaegerClient(url, timeout=timeout_s)
        if trace_id is not None:
            tid = parse_trace_id(trace_id)
            spinner = human.Spinner(human.make_console(stderr=True))
            with spinner.running(f"looking for trace {tid}"):
                result = find_by_id(client, url, tid, wait_s=wait_s, analyse=not raw, progress=spinner)
        else:
            q = _query(service, operation, tag, lookback, start, end, limit, min_duration, max_duration)
            result = search(client, url, q)
        fetched = result.fetched
        if raw and fetched is not None:
            sys.stdout.write(redact.json_dumps(fetched.raw) + "\n")
            return ExitCode.OK if fetched.traces else ExitCode.PROBLEM
        return common.emit(
            result, as_json=as_json, render=lambda con, r: print_find(con, r, max_spans=max_spans, verbose=verbose)
        )

    common.run(body)


def _query(
    service: str | None,
    operation: str | None,
    tag: list[str] | None,
    lookback: str,
    start: str | None,
    end: str | None,
    limit: int,
    min_duration: str | None,
    max_duration: str | None,
) -> SearchQuery:
    """The search the options describe, every time and duration checked."""
    from otdiag import durations
    from otdiag.jaeger.client import SearchQuery

    if not service:
        raise UsageError("give a trace ID, or --service to search")
    tags = common.pairs(tag, "--tag")
    end_ns = _time(end, "--end") if end else time.time_ns()
    start_ns = _time(start, "--start") if start else end_ns - int(durations.parse(lookback, "--lookback") * 1e9)
    if start_ns >= end_ns:
        raise UsageError("--start must be before --end")
    return SearchQuery(
        service=service,
        operation=operation,
        tags=tags,
        start_unix_nano=start_ns,
        end_unix_nano=end_ns,
        limit=limit,
        min_duration=durations.go(durations.parse(min_duration, "--min-duration")) if min_duration else None,
        max_duration=durations.go(durations.parse(max_duration, "--max-duration")) if max_duration else None,
    )
