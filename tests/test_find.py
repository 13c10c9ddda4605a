"""`otdiag find-trace` against the real Jaeger v2, fed by the real SDK through the real collector.

Hand-made servers only for broken servers (HTML, junk, 500, floods, no v3).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from otdiag.jaeger.client import Api, JaegerClient
from otdiag.jaeger.trace import parse_trace_id
from otdiag.model import ExitCode
from tests import hostile, peers
from tests.bounds import within
from tests.cli_runner import Result, run
from tests.otlp_craft import S, new_id
from tests.otlp_craft import send as send_otlp
from tests.sdk_app import send_span
from tests.test_e2e_pipeline import wait_for_trace

# Every test here that starts Jaeger runs against Jaeger v2 and Jaeger v1's all-in-one.
pytestmark = pytest.mark.matrix(jaeger_peer=peers.JAEGERS)


def find(*args: str, env: dict[str, str] | None = None) -> Result:
    return run("find-trace", *args, "--json", "--timeout", "5s", env=env)


def codes(res: Result) -> list[str]:
    return [f["code"] for f in res.json()["findings"]]


# --- trace IDs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4BF92F3577B34DA6A3CE929D0E0E4736", "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("ff", "000000000000000000000000000000ff"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("  a3ce929d0e0e4736 ", "0000000000000000a3ce929d0e0e4736"),
    ],
)
def test_trace_ids_are_normalised(text: str, expected: str) -> None:
    assert parse_trace_id(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0" * 32, "all-zero"),
        ("xyz", "not 1-32 hex digits"),
        ("a" * 33, "longer than 32 hex digits"),
        ("", "empty"),
        ("00-zz-00f067aa0ba902b7-01", "not 1-32 hex digits"),
    ],
)
def test_bad_trace_ids_are_exit_2_with_one_line(text: str, message: str) -> None:
    # At 1000 columns a usage error is one line (at a narrower width it wraps, see tests/test_cli.py).
    res = run("find-trace", text, "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}", env={"COLUMNS": "1000"})
    assert res.exit_code == ExitCode.USAGE
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["abc", "--jaeger-url", "localhost:16686"], "must start with http:// or https://"),
        (["abc", "--wait", "soon"], "--wait: 'soon' is not a duration"),
        (["--service", "x", "--lookback", "-1h"], "--lookback"),
        (["--service", "x", "--start", "yesterday"], "--start: 'yesterday' is not a time"),
        (["--service", "x", "--tag", "novalue"], "KEY=VALUE"),
        ([], "give a trace ID, or --service"),
        (["abc", "--timeout", "0s"], "--timeout"),
    ],
)
def test_bad_requests_are_exit_2(args: list[str], message: str) -> None:
    res = run("find-trace", *args)
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert message in res.stderr
    assert "Traceback" not in res.stderr


# --- against the real Jaeger ---------------------------------------------------------------------------


@pytest.mark.peers
def test_found_by_id_through_v3_and_the_legacy_route(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_grpc
    tid = send_span(collector.otlp_grpc, service="shop", name="checkout", children=2)
    wait_for_trace(jaeger.query_url, tid, spans=3)

    res = find(tid, "--jaeger-url", jaeger.query_url)
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert doc["api"] == "v3" and doc["findings"] == []
    spans = doc["trace"]["spans"]
    assert doc["trace"]["trace_id"] == tid
    assert sorted(s["name"] for s in spans) == ["checkout", "checkout-child-0", "checkout-child-1"]
    root = next(s for s in spans if s["parent_span_id"] is None)
    assert all(s["parent_span_id"] == root["span_id"] for s in spans if s is not root)
    assert doc["jaeger_link"] == f"{jaeger.query_url}/trace/{tid}"

    # The legacy route gives the same normalised trace (times are rounded to microseconds there).
    legacy = JaegerClient(jaeger.query_url, api=Api.LEGACY).get_trace(tid)
    v3 = JaegerClient(jaeger.query_url, api=Api.V3).get_trace(tid)
    assert legacy is not None and v3 is not None
    assert (legacy.api, v3.api) == (Api.LEGACY, Api.V3)
    a, b = legacy.traces[0], v3.traces[0]
    key = lambda s: s.span_id  # noqa: E731
    for ls, vs in zip(sorted(a.spans, key=key), sorted(b.spans, key=key), strict=True):
        assert (ls.span_id, ls.parent_span_id, ls.service, ls.name, ls.kind) == (
            vs.span_id, vs.parent_span_id, vs.service, vs.name, vs.kind,
        )  # fmt: skip
        assert ls.start_unix_nano == vs.start_unix_nano // 1000 * 1000


@pytest.mark.peers
def test_human_output_is_a_waterfall_with_a_link(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_http
    tid = send_span(collector.otlp_http, protocol="http/protobuf", service="shop", name="checkout", children=1)
    wait_for_trace(jaeger.query_url, tid, spans=2)
    res = run("find-trace", tid, "--jaeger-url", jaeger.query_url)
    assert res.exit_code == ExitCode.OK
    lines = res.stdout.splitlines()
    # The heading wraps between words at the output's width (80 into a pipe), like every other line.
    assert " ".join(res.stdout.split()).startswith(f"trace {tid} · root shop/checkout · 2 spans · 1 service")
    child = next(line for line in lines if "checkout-child-0" in line)
    assert child.startswith("  ") and "█" in child  # indented under its parent, with a bar
    assert f"{jaeger.query_url}/trace/{tid}" in res.stdout


@pytest.mark.peers
def test_not_found_is_exit_1_with_the_right_message(jaeger: peers.Jaeger) -> None:
    res = find("4bf92f3577b34da6a3ce929d0e0e4736", "--jaeger-url", jaeger.query_url)
    assert res.exit_code == ExitCode.PROBLEM
    [f] = res.json()["findings"]
    assert (f["code"], f["stage"], f["guide"]) == ("trace.not-found", "jaeger", "traces-not-in-jaeger")
    assert "no trace 4bf92f3577b34da6a3ce929d0e0e4736" in f["message"]


@pytest.mark.peers
def test_wait_outlasts_the_collectors_batch_delay(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> None:
    cfg = peers.collector_config(jaeger.otlp_grpc, overrides={"processors": {"batch": {"timeout": "2s"}}})
    collector = start_collector(cfg)
    assert collector.otlp_grpc
    tid = send_span(collector.otlp_grpc, service="slow-batch")
    immediate = find(tid, "--jaeger-url", jaeger.query_url)
    assert immediate.exit_code == ExitCode.PROBLEM  # still held in the batch processor
    res = find(tid, "--jaeger-url", jaeger.query_url, "--wait", "15s")
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert 500 < doc["time_to_visible_ms"] < 15000


@pytest.mark.peers
def test_wait_gives_up_at_the_deadline(jaeger: peers.Jaeger) -> None:
    started = time.monotonic()
    res = find("abc123", "--jaeger-url", jaeger.query_url, "--wait", "1.5s")
    took = time.monotonic() - started
    assert res.exit_code == ExitCode.PROBLEM
    assert 1.4 < took < within(1.5), took
    assert "after waiting" in res.json()["findings"][0]["message"]


@pytest.fixture
def shop_traces(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> tuple[peers.Jaeger, list[str]]:
    """Three traces in service 'shop' (two 'checkout', one 'refund' with an error and a tag)."""
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_http
    now = time.time_ns()
    tids = [new_id(16) for _ in range(3)]
    spans = [
        S(tids[0], new_id(8), "checkout", "shop", now - 3_000_000_000, now - 2_000_000_000, attrs={"tier": "gold"}),
        S(tids[1], new_id(8), "checkout", "shop", now - 2_000_000_000, now - 1_990_000_000, attrs={"tier": "free"}),
        S(tids[2], new_id(8), "refund", "shop", now - 1_000_000_000, now - 500_000_000, error="card declined",
          attrs={"tier": "gold"}),
    ]  # fmt: skip
    send_otlp(collector.otlp_http, spans)
    for tid in tids:
        wait_for_trace(jaeger.query_url, tid)
    return jaeger, tids


@pytest.mark.peers
def test_search_by_service_operation_tag_and_duration(shop_traces: tuple[peers.Jaeger, list[str]]) -> None:
    jaeger, tids = shop_traces
    url = ["--jaeger-url", jaeger.query_url]

    def found(*args: str) -> set[str]:
        res = find("--service", "shop", *url, *args)
        assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM), res.stderr
        return {t["trace_id"] for t in res.json()["traces"]}

    assert found() == set(tids)
    assert found("--operation", "checkout") == {tids[0], tids[1]}
    assert found("--tag", "tier=gold") == {tids[0], tids[2]}
    assert found("--min-duration", "100ms") == {tids[0], tids[2]}
    assert found("--operation", "nothing-like-this") == set()
    listing = find("--service", "shop", *url).json()
    refund = next(t for t in listing["traces"] if t["trace_id"] == tids[2])
    assert (refund["errors"], refund["span_count"], refund["root"]) == (1, 1, {"service": "shop", "name": "refund"})


@pytest.mark.peers
def test_search_time_range_and_empty_result(shop_traces: tuple[peers.Jaeger, list[str]]) -> None:
    jaeger, _ = shop_traces
    long_ago = str(int(time.time()) - 7200)
    res = find(
        "--service", "shop", "--jaeger-url", jaeger.query_url, "--start", long_ago, "--end", str(int(long_ago) + 60)
    )
    assert res.exit_code == ExitCode.PROBLEM
    assert res.json()["traces"] == [] and codes(res) == ["trace.not-found"]
    res = find("--service", "no-such-service", "--jaeger-url", jaeger.query_url)
    assert res.exit_code == ExitCode.PROBLEM and codes(res) == ["trace.not-found"]


@pytest.mark.peers
def test_multi_service_trace_with_error(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_http
    now, tid = time.time_ns(), new_id(16)
    front, back = new_id(8), new_id(8)
    send_otlp(collector.otlp_http, [
        S(tid, front, "GET /cart", "frontend", now - 50_000_000, now),
        S(tid, back, "SELECT cart", "cart-db", now - 40_000_000, now - 10_000_000, parent=front, error="timeout"),
    ])  # fmt: skip
    wait_for_trace(jaeger.query_url, tid, spans=2)
    res = find(tid, "--jaeger-url", jaeger.query_url)
    doc = res.json()
    assert res.exit_code == ExitCode.OK
    assert sorted({s["service"] for s in doc["trace"]["spans"]}) == ["cart-db", "frontend"]
    assert codes(res) == ["trace.error-spans"]
    assert "timeout" in doc["findings"][0]["message"]


@pytest.mark.peers
def test_missing_parent_skew_and_unknown_service_are_reported(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_http
    now, tid = time.time_ns(), new_id(16)
    root, child, lost = new_id(8), new_id(8), new_id(8)
    send_otlp(collector.otlp_http, [
        S(tid, root, "handle", "api", now - 100_000_000, now - 50_000_000),
        # starts 30 ms before its parent: the other host's clock is behind
        S(tid, child, "query", "db", now - 130_000_000, now - 60_000_000, parent=root),
        # its parent was never sent: propagation broke, or that service does not export
        S(tid, new_id(8), "consume", "unknown_service:python", now - 20_000_000, now - 10_000_000, parent=lost),
    ])  # fmt: skip
    wait_for_trace(jaeger.query_url, tid, spans=3)
    res = find(tid, "--jaeger-url", jaeger.query_url)
    assert res.exit_code == ExitCode.OK  # the trace is there; what is wrong with it are warnings
    assert codes(res) == ["trace.orphan-spans", "trace.clock-skew", "trace.unknown-service"]
    by_code = {f["code"]: f for f in res.json()["findings"]}
    assert lost in by_code["trace.orphan-spans"]["message"]
    assert "db/query starts 30.0 ms before its parent handle" in by_code["trace.clock-skew"]["message"]
    human = run("find-trace", tid, "--jaeger-url", jaeger.query_url)
    assert "Spans are not being created" in human.stdout


@pytest.mark.peers
def test_spans_from_the_future_are_reported(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_http
    later, tid = time.time_ns() + 3600 * 10**9, new_id(16)
    send_otlp(collector.otlp_http, [S(tid, new_id(8), "tomorrow", "clocky", later, later + 1_000_000)])
    wait_for_trace(jaeger.query_url, tid)
    res = find(tid, "--jaeger-url", jaeger.query_url)
    assert codes(res) == ["trace.future-spans"]
    assert res.json()["findings"][0]["guide"] == "traces-not-in-jaeger"


@pytest.mark.peers
def test_raw_prints_the_servers_own_json(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_grpc
    tid = send_span(collector.otlp_grpc)
    wait_for_trace(jaeger.query_url, tid)
    res = run("find-trace", tid, "--jaeger-url", jaeger.query_url, "--raw")
    assert res.exit_code == ExitCode.OK
    assert json.loads(res.stdout)["result"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] == tid


@pytest.mark.peers
def test_a_url_pointing_at_the_collector_is_not_jaeger(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, _ = collector_to_jaeger
    for endpoint in (collector.otlp_http, collector.otlp_grpc):
        res = find("abc", "--jaeger-url", f"http://{endpoint}")
        assert res.exit_code == ExitCode.PROBLEM
        f = res.json()["findings"][0]
        assert (f["code"], f["stage"]) in {("jaeger.not-query-api", "jaeger"), ("jaeger.unreachable", "jaeger")}, f


@contextmanager
def filtered_jaeger(upstream: str, *, drop: Callable[[str], bool]) -> Iterator[int]:
    """A real Jaeger with some routes removed ("404 page not found"), the rest passed through."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        if drop(h.path):
            body, status, ctype = b"404 page not found\n", 404, "text/plain; charset=utf-8"
        else:
            r = httpx.get(upstream + h.path, timeout=5)
            body, status, ctype = r.content, r.status_code, r.headers.get("content-type", "")
        hostile.reply(status, body, ctype)(h)

    with hostile.http_server(respond) as port:
        yield port


@pytest.mark.peers
def test_falls_back_to_the_legacy_api_when_v3_is_missing(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_grpc
    tid = send_span(collector.otlp_grpc, service="old-jaeger")
    wait_for_trace(jaeger.query_url, tid)
    # Jaeger v1 before API v3: no /api/v3 routes.
    with filtered_jaeger(jaeger.query_url, drop=lambda p: p.startswith("/api/v3/")) as port:
        url = f"http://127.0.0.1:{port}"
        res = find(tid, "--jaeger-url", url)
        assert res.exit_code == ExitCode.OK, res.stdout
        assert res.json()["api"] == "legacy"
        listing = find("--service", "old-jaeger", "--jaeger-url", url)
        assert listing.json()["api"] == "legacy"
        assert [t["trace_id"] for t in listing.json()["traces"]] == [tid]
        missing = find("abcdef", "--jaeger-url", url)
        assert codes(missing) == ["trace.not-found"]


@pytest.mark.peers
def test_tag_search_without_legacy_search_filters_v3_results(shop_traces: tuple[peers.Jaeger, list[str]]) -> None:
    """Upstream HEAD removed the legacy search routes, and Jaeger 2.13's v3 HTTP search ignores attributes."""
    jaeger, tids = shop_traces
    no_legacy_search = lambda p: p.startswith("/api/traces?") or p.startswith("/api/services")  # noqa: E731
    with filtered_jaeger(jaeger.query_url, drop=no_legacy_search) as port:
        res = find("--service", "shop", "--tag", "tier=gold", "--jaeger-url", f"http://127.0.0.1:{port}")
    doc = res.json()
    assert doc["api"] == "v3"
    assert {t["trace_id"] for t in doc["traces"]} == {tids[0], tids[2]}


# --- broken servers ----------------------------------------------------------------------------------


def _served(respond: hostile.Responder, *args: str) -> Result:
    with hostile.http_server(respond) as port:
        return find("abc123", "--jaeger-url", f"http://127.0.0.1:{port}", *args)


@pytest.mark.parametrize(
    ("respond", "code"),
    [
        (hostile.reply(200, b"<html><body>Grafana</body></html>", "text/html"), "jaeger.not-query-api"),
        (hostile.reply(200, b"{not json", "application/json"), "jaeger.not-query-api"),
        (hostile.reply(200, b'{"result": 5}', "application/json"), "jaeger.not-query-api"),
        (hostile.reply(500, b'{"error":{"httpCode":500,"message":"cassandra: no hosts available"}}', "text/plain"),
         "jaeger.query-error"),
        (hostile.reply(404, b"404 page not found", "text/plain"), "jaeger.not-query-api"),
    ],
)  # fmt: skip
def test_broken_servers_are_classified(respond: hostile.Responder, code: str) -> None:
    res = _served(respond)
    assert res.exit_code == ExitCode.PROBLEM
    f = res.json()["findings"][0]
    assert (f["code"], f["stage"], f["guide"]) == (code, "jaeger", "traces-not-in-jaeger")


def test_storage_error_message_is_shown() -> None:
    res = _served(hostile.reply(500, b'{"error":{"httpCode":500,"message":"cassandra: no hosts available"}}', "x"))
    assert "cassandra: no hosts available" in res.json()["findings"][0]["message"]


def test_a_flood_is_capped_and_a_drip_is_cut_at_the_timeout() -> None:
    started = time.monotonic()
    res = _served(hostile.flood())
    assert res.exit_code == ExitCode.PROBLEM and time.monotonic() - started < 15
    started = time.monotonic()
    with hostile.http_server(hostile.drip()) as port:
        res = run("find-trace", "abc", "--jaeger-url", f"http://127.0.0.1:{port}", "--timeout", "1s", "--json")
    assert res.exit_code == ExitCode.PROBLEM and time.monotonic() - started < within(1)
    assert res.json()["findings"][0]["code"] == "jaeger.unreachable"


def test_unreachable_jaeger_is_one_finding() -> None:
    res = find("abc", "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}")
    f = res.json()["findings"][0]
    assert (f["code"], f["stage"], f["guide"]) == ("jaeger.unreachable", "jaeger", "traces-not-in-jaeger")
    with hostile.black_hole() as port:
        started = time.monotonic()
        res = run("find-trace", "abc", "--jaeger-url", f"http://127.0.0.1:{port}", "--timeout", "1s", "--json")
        assert time.monotonic() - started < within(1)
    assert res.json()["findings"][0]["code"] == "jaeger.unreachable"


def test_large_traces_render_within_bounds() -> None:
    """10,000 spans: collapsed siblings and --max-spans keep the output short."""
    from otdiag.jaeger.trace import Span, Trace
    from otdiag.render.human import make_console
    from otdiag.render.waterfall import print_trace

    root = Span("0" * 15 + "1", None, "svc", "batch", "server", 0, 10**9, "ok")
    kids = [Span(f"{i + 2:016x}", root.span_id, "svc", "item", "internal", i * 1000, 500, "unset") for i in range(9999)]
    import io

    out = io.StringIO()
    console = make_console(width=160)
    console.file = out
    print_trace(console, Trace("a" * 32, [root, *kids]), max_spans=50)
    text = out.getvalue()
    assert "… 9996 more svc/item" in text
    assert len(text.splitlines()) < 15
