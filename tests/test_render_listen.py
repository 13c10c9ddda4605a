"""`otdiag listen`'s human views on fixed-width terminals (80 and 120 columns), as a user's terminal shows them.

A console of a fixed width writes into a buffer (as Rich's own tests do); each test asserts what a reader
needs at that width: addresses and trace IDs whole (they are pasted back), names cut with a mark, findings
with their fixes, and no line wider than the terminal.
"""

from __future__ import annotations

import io
import time

import pytest
from rich.cells import cell_len

from otdiag import catalogue as c
from otdiag.listen.server import Bound
from otdiag.listen.store import Arrival, Transport
from otdiag.listen.summary import ListenResult
from otdiag.net.endpoints import HostPort
from otdiag.render import human
from otdiag.render import listen as view

WIDTHS = (80, 120)
TID = "4bf92f3577b34da6a3ce929d0e0e4736"
LONG_SERVICE = "checkout-" + "s" * 240
LONG_NAME = "oteldemo.CheckoutService/PlaceOrder-" + "x" * 240


def terminal(width: int) -> tuple[human.Console, io.StringIO]:
    """A terminal of `width` columns without colour (what NO_COLOR shows)."""
    buf = io.StringIO()
    console = human.Console(file=buf, width=width, force_terminal=True, color_system=None, highlight=False, emoji=False)
    return console, buf


def lines_of(buf: io.StringIO, width: int) -> list[str]:
    lines = buf.getvalue().splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, too_wide
    return lines


def arrival(**changes: object) -> Arrival:
    fields: dict[str, object] = {
        "received": time.mktime((2026, 12, 1, 14, 30, 5, 0, 0, -1)) + 0.042,
        "transport": Transport.GRPC,
        "service": LONG_SERVICE,
        "service_raw": LONG_SERVICE,
        "trace_id": TID,
        "span_id": "00f067aa0ba902b7",
        "parent_span_id": "53995c3f42cd8ad8",
        "name": LONG_NAME,
        "kind": "server",
        "start_ns": 1_000_000_000,
        "end_ns": 1_001_500_000,
        "status_code": 2,
        "status_message": "payment declined",
        "attributes": (("http.request.method", "POST"), ("http.route", "/api/checkout")),
    }
    fields.update(changes)
    return Arrival(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_banner_says_where_it_receives_and_warns_about_open_addresses(width: int) -> None:
    console, buf = terminal(width)
    bound = Bound(grpc=HostPort("0.0.0.0", 4317), http=HostPort("127.0.0.1", 4318), query=HostPort("::1", 16686),
                  mux=None)  # fmt: skip
    view.print_banner(console, bound, 5000)
    lines = lines_of(buf, width)
    assert lines[0] == "otdiag listen — receiving OTLP traces"
    assert "  OTLP/gRPC  0.0.0.0:4317" in lines
    assert "  OTLP/HTTP  http://127.0.0.1:4318/v1/traces" in lines
    query = next(line for line in lines if "Jaeger query API" in line)
    assert "http://[::1]:16686" in query
    text = " ".join(line.strip() for line in lines)
    assert "(--jaeger-url http://[::1]:16686)" in text, "the flag to query it can be pasted back"
    assert "0.0.0.0:4317 is reachable from other machines" in text
    assert text.count("reachable from other machines") == 1, "loopback addresses get no warning"
    assert lines[-1].strip().startswith("keeping up to 5000 spans; Ctrl-C to stop")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_banner_leaves_out_what_is_off(width: int) -> None:
    console, buf = terminal(width)
    view.print_banner(console, Bound(grpc=HostPort("127.0.0.1", 4317), http=None, query=None, mux=None), 100_000)
    text = "\n".join(lines_of(buf, width))
    assert "OTLP/gRPC  127.0.0.1:4317" in text
    assert "OTLP/HTTP" not in text and "Jaeger query API" not in text and "reachable" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_an_arrival_with_long_names_keeps_the_trace_id_whole_and_fits(width: int) -> None:
    console, buf = terminal(width)
    view.print_arrival(console, arrival())
    lines = lines_of(buf, width)
    assert lines[0].startswith(time.strftime("%H:%M:%S", time.localtime(arrival().received)) + ".042")
    assert any(TID in line for line in lines), "the trace ID is on one line, whole, to paste into find-trace"
    # Wrapped lines hang under the text after the time; a name that fits the line is never broken.
    folded = " ".join(line.strip() for line in lines)
    assert LONG_SERVICE[:60] + "…" in folded and LONG_SERVICE[:61] not in folded, "on a terminal names stop at 60"
    assert LONG_NAME[:60] + "… server" in folded
    assert len(lines) <= 5, "one span stays a few lines on a terminal (hanging under the text after the time)"
    words = " ".join(" ".join(lines).split())
    assert words.endswith(
        f"… server trace {TID} ← 53995c3f 1.5ms error payment declined http.request.method=POST "
        "http.route=/api/checkout"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_short_arrival_says_when_service_name_is_missing(width: int) -> None:
    console, buf = terminal(width)
    a = arrival(service="missing-service-name", service_raw=None, name="GET /", parent_span_id="0" * 16,
                status_code=0, status_message="", attributes=(), end_ns=1_000_000_250)  # fmt: skip
    view.print_arrival(console, a)
    lines = lines_of(buf, width)
    assert len(lines) == (1 if width >= 120 else 2), lines
    assert any(TID in line for line in lines), "wrapped at a space: the trace ID stays whole"
    words = " ".join(" ".join(lines).split())
    assert words.endswith(f".042 missing-service-name (no service.name) GET / server trace {TID} 0µs")
    assert "←" not in words, "a root span names no parent"


def result(**changes: object) -> ListenResult:
    ops = {f"GET /api/items/{i}": 20 - i for i in range(18)}
    fields: dict[str, object] = {
        "traces": 12,
        "spans": 1234,
        "services": {"cart": 1, LONG_SERVICE: 1233},
        "operations": {"cart": {"AddItem": 1}, LONG_SERVICE: ops},
        "transports": {"grpc": 1200, "http/protobuf": 34},
        "requests": {"grpc OK": 10, "http/protobuf 200": 2},
        "orphan_spans": 1,
        "held_traces": 9,
        "held_spans": 1000,
        "evicted_traces": 3,
        "evicted_spans": 234,
        "first_received": 1.0,
        "last_received": 2.0,
        "findings": (
            c.LISTEN_EVICTED("3 trace(s) (234 spans) were dropped to stay within --max-spans 1000."),
            c.TRACE_ORPHANS(
                "1 span(s) name a parent span that was not received.",
                evidence=[f"cart: 'AddItem' (trace {TID}) has parent 53995c3f42cd8ad8, not received"],
            ),
            c.APP_ZERO_TRACE_ID("2 span(s) arrived with an all-zero or empty trace ID."),
        ),
    }
    fields.update(changes)
    return ListenResult(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_summary_counts_lists_operations_and_gives_each_finding_its_fix(width: int) -> None:
    console, buf = terminal(width)
    view.print_final(console, result())
    lines = lines_of(buf, width)
    assert lines[:3] == ["", "Summary", "  12 traces, 1,234 spans from 2 services; held now: 9 traces"]
    assert "  cart: 1 span" in lines and "         1  AddItem" in lines
    assert "        20  GET /api/items/0" in lines
    shown = [line.split("  ")[-1] for line in lines if "GET /api/items/" in line]
    assert shown == [f"GET /api/items/{i}" for i in range(15)], "the first 15 operations, in order"
    assert "    … 3 more operations" in lines, "the rest counted"
    assert "  received over grpc: 1200, http/protobuf: 34" in lines
    text = "\n".join(lines)
    # Errors first, under the guide's headings; each finding with its code and its fix.
    assert text.index("Spans are not being created") < text.index("Notes")  # a note alone gets no heading of its own
    assert text.index("(app.zero-trace-id)") < text.index("(trace.orphan-spans)") < text.index("(listen.evicted)")
    assert text.count("fix: ") == 3
    assert TID in text, "the evidence keeps the full trace ID"
    assert "No problems seen" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_summary_without_findings_says_so(width: int) -> None:
    console, buf = terminal(width)
    quiet = result(findings=(), evicted_traces=0, evicted_spans=0, operations={"cart": {"AddItem": 1}},
                   services={"cart": 1}, traces=1, spans=1, transports={})  # fmt: skip
    view.print_summary(console, quiet, "Summary")
    lines = lines_of(buf, width)
    assert lines == ["Summary", "  1 trace, 1 span from 1 service", "  cart: 1 span", "         1  AddItem", "",
                     "  No problems seen in the received spans."]  # fmt: skip


def test_into_a_pipe_an_arrival_keeps_names_up_to_200_characters() -> None:
    buf = io.StringIO()
    console = human.make_console(width=80, no_color=True)  # not a terminal, as into a pipe
    console.file = buf
    assert not console.is_terminal
    view.print_arrival(console, arrival())
    assert all(cell_len(line) <= 80 for line in buf.getvalue().splitlines()), "a pipe wraps at its width too"
    # A 200-character name is one word longer than the line: broken (at a dash, else the width), never cut short.
    text = "".join(line.strip() for line in buf.getvalue().splitlines())
    assert LONG_SERVICE[:200] + "…" in text and LONG_NAME[:200] + "…" in text
