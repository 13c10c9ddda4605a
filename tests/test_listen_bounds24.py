"""`listen` answers hostile requests like the collector and Jaeger, within bounds (issue 24, class 4).

The chunked-framing answers were checked against the real collector v0.155 with the same bytes (a 400
with a google.rpc.Status naming Go's reader error, connection closed); the collector answered 200 to an
attribute nested 60, 2,600 and 700,000 levels deep. Bounds are asserted as sizes; time only as a ratio.
"""

from __future__ import annotations

import json
import signal
import time
import tracemalloc

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otdiag.listen import otlp_decode, store
from otdiag.listen.httpserver import MAX_HEADER_BYTES, _parse_head
from otdiag.model import ExitCode
from tests.listen_helpers import listening, post, raw_exchange
from tests.test_listen_cli import listen_process

TID, SID = "0" * 31 + "1", "0" * 15 + "1"
CHUNKED = b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("framing", "message"),
    [
        (b"zz\r\n", "invalid byte in chunk length"),
        (b"0x2\r\n{}\r\n0\r\n\r\n", "invalid byte in chunk length"),
        (b"+2\r\n{}\r\n0\r\n\r\n", "invalid byte in chunk length"),
        (b"f" * 40 + b"\r\n", "http chunk length too large"),
        (b"0" * 16 + b"2\r\n{}\r\n0\r\n\r\n", "http chunk length too large"),
        (b"1;" + b"a" * (2 << 20) + b"\r\n", "header line too long"),
        (b"2;" + b"a" * 5000 + b"\r\n{}\r\n0\r\n\r\n", "header line too long"),
        (b"2\r\n{}XX0\r\n\r\n", "malformed chunked encoding"),
        (b"2\n{}\n0\n\n", "chunked line ends with bare LF"),
    ],
)
def test_broken_chunked_framing_gets_the_collectors_400(framing: bytes, message: str) -> None:
    with listening() as r:
        ans = raw_exchange(r.http, CHUNKED + framing)
        assert r.store.stats.requests == {"http/json 400": 1}
    assert ans.status == 400
    assert json.loads(ans.body) == {"code": 3, "message": message}
    assert ans.headers.get("connection") == "close"


def test_good_chunked_framing_is_taken() -> None:
    with listening() as r:
        assert raw_exchange(r.http, CHUNKED + b"2 \r\n{}\r\n0\r\n\r\n").status == 200


def _nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {"stringValue": "leaf"}
    for _ in range(depth):
        value = {"kvlistValue": {"values": [{"key": "k", "value": value}]}}
    return value


def _export(value: object) -> bytes:
    span = {"traceId": TID, "spanId": SID, "name": "deep", "attributes": [{"key": "a", "value": value}]}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


def _depth(value: AnyValue) -> tuple[int, str]:
    """How many kvlist levels, and the string at the bottom."""
    n = 0
    while value.WhichOneof("value") == "kvlist_value" and value.kvlist_value.values:
        value = value.kvlist_value.values[0].value
        n += 1
    return n, value.string_value


def test_a_span_nested_60_deep_is_taken_and_kept_cut() -> None:
    with listening() as r:
        ans = raw_exchange(r.http, post("/v1/traces", _export(_nested(60)), "application/json"))
        assert ans.status == 200, ans.body
        trace = r.store.get(bytes.fromhex(TID))
        assert trace is not None
        _, _, rec = next(trace.records())
        # The query API reads it back: cut within the runtime's depth, with the marker at the cut.
        doc = httpx.get(f"{r.query_url}/api/v3/traces/{TID}", timeout=10).json()
    assert doc["result"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] == "deep"
    span = ExportTraceServiceRequest()
    span.resource_spans.add().scope_spans.add().spans.append(_span_of(rec.raw))
    levels, leaf = _depth(span.resource_spans[0].scope_spans[0].spans[0].attributes[0].value)
    assert 20 <= levels < otlp_decode.MAX_DEPTH // 3
    assert leaf == otlp_decode.CUT_MARKER


def _span_of(raw: bytes) -> Span:
    s = Span()
    s.ParseFromString(raw)
    return s


@pytest.mark.parametrize("depth", [30, 300, 3000])
def test_deep_json_values_decode_without_recursion(depth: int) -> None:
    req = otlp_decode.decode_json(_export(_nested(depth)) if depth < 200 else _deep_text(depth))
    levels, leaf = _depth(req.resource_spans[0].scope_spans[0].spans[0].attributes[0].value)
    assert levels == depth if depth == 30 else (levels < otlp_decode.MAX_DEPTH // 3 and leaf == otlp_decode.CUT_MARKER)
    assert len(req.SerializeToString()) < 4096


def _deep_text(depth: int) -> bytes:
    head = '{"kvlistValue":{"values":[{"key":"k","value":' * depth
    tail = "}]}}" * depth
    return _export("@").replace(b'"@"', (head + '{"stringValue":"leaf"}' + tail).encode())


def _ld(field: int, payload: bytes) -> bytes:
    return otlp_decode._put_varint(field << 3 | 2) + otlp_decode._put_varint(len(payload)) + payload


def test_deep_protobuf_is_taken_cut_and_kept_re_encoded() -> None:
    value = _ld(1, b"leaf")
    for _ in range(5000):
        value = _ld(5, _ld(1, value))  # AnyValue.array_value.values
    span = _ld(1, bytes.fromhex(TID)) + _ld(2, bytes.fromhex(SID)) + _ld(5, b"x") + _ld(9, _ld(1, b"a") + _ld(2, value))
    body = _ld(1, _ld(2, _ld(2, span)))
    req, kept = otlp_decode.decode_protobuf_kept(body)
    assert kept is None  # the store keeps the cut request, not the body
    assert len(req.SerializeToString()) < 1024
    with listening() as r:
        assert raw_exchange(r.http, post("/v1/traces", body, "application/x-protobuf")).status == 200
        assert r.store.span_count == 1


Q = "query.start_time_min=2020-01-01T00:00:00Z&query.start_time_max=2030-01-01T00:00:00Z"
DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("path", "words"),
    [
        (f"/api/v3/traces?{Q}&query.num_traces=" + "9" * 5000, "value out of range"),
        (f"/api/v3/traces?{Q}&query.num_traces=99999999999999999999", "value out of range"),
        (f"/api/v3/traces?{Q}&query.num_traces=%C2%B2", "invalid syntax"),
        (f"/api/v3/traces?{Q}&query.attributes=" + DEEP, "cannot unmarshal"),
        ("/api/traces?service=a&tags=" + DEEP, "cannot unmarshal"),
        ("/api/traces?service=a&limit=" + "9" * 5000, "value out of range"),
        ("/api/traces?service=a&start=" + "9" * 30, "value out of range"),
    ],
)
def test_query_parameters_out_of_bounds_get_jaegers_400(path: str, words: str) -> None:
    with listening() as r:
        ans = httpx.get(r.query_url + path, timeout=10)
    assert ans.status_code == 400
    assert words in ans.text


def test_repeated_headers_are_parsed_in_linear_time() -> None:
    def work(n: int) -> float:
        head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"a: b\r\n" * n
        started = time.perf_counter()
        req = _parse_head(head[:-2], "")
        assert len(req.header("a")) == 3 * n - 2
        return time.perf_counter() - started

    small, big = min(work(10_000) for _ in range(3)), min(work(160_000) for _ in range(3))
    assert big < small * 16 * 3, (small, big)  # linear: 16 times the work; quadratic: 256 times


def test_headers_over_a_mebibyte_get_431() -> None:
    head = b"GET /api/v3/services HTTP/1.1\r\nHost: x\r\n" + b"x-pad: " + b"a" * (MAX_HEADER_BYTES + 8192) + b"\r\n\r\n"
    with listening() as r:
        ans = raw_exchange(r.query_url.removeprefix("http://"), head)
        assert ans.status == 431
        assert httpx.get(f"{r.query_url}/api/v3/services", timeout=10).status_code == 200


def _span_request(i: int, size: int) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add(key="service.name")
    kv.value.string_value = f"{i}-" + "s" * size
    span = rs.scope_spans.add().spans.add(name=f"{i}-" + "n" * size)
    span.trace_id = i.to_bytes(16, "big")
    span.span_id = (i + 1).to_bytes(8, "big")
    span.start_time_unix_nano, span.end_time_unix_nano = 1, 2
    return req


def test_totals_keep_bounded_bytes_of_huge_names() -> None:
    spans, size = 150, 200_000
    tracemalloc.start()
    try:
        s = store.SpanStore(max_spans=10)
        base = tracemalloc.get_traced_memory()[0]
        for i in range(spans):
            s.write(_span_request(i, size), store.Transport.GRPC)
        kept = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    # Held: 10 spans of 2 x 200 kB. The totals of 150 services and operations add a few hundred bytes each.
    assert kept < 10 * 2 * size * 3, kept
    assert s.stats.spans == spans and len(s.stats.by_service) == spans
    assert max(len(k) for k in s.stats.by_service) < store.MAX_KEY_CHARS + 40
    assert max(len(name) for (_, name) in s.stats.by_operation) < store.MAX_KEY_CHARS + 40


def test_ctrl_c_during_a_hostile_summary_exits_130_with_a_bounded_summary() -> None:
    with listen_process("--quiet", "--json-lines", "--max-spans", "10") as lp:
        for i in range(40):
            body = _span_request(i, 300_000).SerializeToString()
            assert httpx.post(f"http://{lp.http}/v1/traces", content=body, timeout=30,
                              headers={"Content-Type": "application/x-protobuf"}).status_code == 200  # fmt: skip
        started = time.monotonic()
        code, out, err = lp.interrupt(signal.SIGINT)
        took = time.monotonic() - started
    assert code == ExitCode.INTERRUPTED, err[-2000:]
    assert took < 15  # the bound of the test's own wait; the summary takes well under a second
    summary = json.loads(out.splitlines()[-1])
    assert summary["spans"] == 40 and len(summary["services"]) == 40
    assert len(out) < 40 * 3 * (store.MAX_KEY_CHARS + 100), len(out)
    assert len(err) < 200_000, len(err)
