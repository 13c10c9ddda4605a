"""`otdiag listen`'s OTLP receivers answer exactly as the real collector's otlp receiver does.

Every request below goes byte for byte to the real collector (v0.155) and to
the listener; status line, content type and body must match. Where the
collector's text comes from Go's JSON or protobuf library (a decode error),
only the status, content type and google.rpc.Status code are compared.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Callable, Iterator

import grpc
import pytest
from google.rpc import status_pb2

from otdiag.listen.httpserver import Limits
from otdiag.listen.server import BindError, Listener
from otdiag.listen.store import SpanStore
from otdiag.model import ExitCode
from otdiag.net.endpoints import HostPort
from otdiag.otlp import encode
from otdiag.otlp.encode import SpanSpec
from tests import peers
from tests.cli_runner import run
from tests.listen_helpers import Running, listening, post, raw_exchange
from tests.sdk_app import send_span

_built = encode.build(SpanSpec(service_name="conf", with_child=True))
PB = encode.request(_built.spans).SerializeToString()
JS = encode.to_json(encode.request(_built.spans))
BIG = 21 * 1024 * 1024

# name -> (request bytes, compare bodies exactly?)
CASES: dict[str, tuple[bytes, bool]] = {
    "protobuf": (post("/v1/traces", PB, "application/x-protobuf"), True),
    "json": (post("/v1/traces", JS, "application/json"), True),
    "empty protobuf": (post("/v1/traces", b"", "application/x-protobuf"), True),
    "empty json object": (post("/v1/traces", b"{}", "application/json"), True),
    "json with charset": (post("/v1/traces", b"{}", "application/json; charset=utf-8"), True),
    "content type in capitals": (post("/v1/traces", b"{}", "Application/JSON"), True),
    "protobuf with parameters": (post("/v1/traces", b"", "application/x-protobuf; proto=x"), True),
    "unknown json fields": (post("/v1/traces", b'{"foo":1}', "application/json"), True),
    "upper-case hex IDs": (
        post(
            "/v1/traces",
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"x"}]}]}]}',
            "application/json",
        ),
        True,
    ),
    "empty IDs": (
        post(
            "/v1/traces",
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"","spanId":"","name":"x"}]}]}]}',
            "application/json",
        ),
        True,
    ),
    "enum names": (
        post(
            "/v1/traces",
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x","kind":"SPAN_KIND_SERVER","startTimeUnixNano":123}]}]}]}',
            "application/json",
        ),
        True,
    ),
    "query string": (post("/v1/traces?x=1", b"{}", "application/json"), True),
    "chunked": (
        b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        True,
    ),
    "gzip": (post("/v1/traces", gzip.compress(JS), "application/json", "Content-Encoding: gzip\r\n"), True),
    "HTTP/1.0": (
        b"POST /v1/traces HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        True,
    ),
    "wrong content type": (post("/v1/traces", b"{}", "text/plain"), True),
    "no content type": (post("/v1/traces", b"{}", None), True),
    "application/protobuf": (post("/v1/traces", b"", "application/protobuf"), True),
    "unparsable content type": (post("/v1/traces", b"", ";;;"), True),
    "GET": (b"GET /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n", True),
    "PUT": (post("/v1/traces", b"{}", "application/json", method="PUT"), True),
    "OPTIONS": (b"OPTIONS /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n", True),
    "HEAD": (b"HEAD /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n", True),
    "unknown method": (b"BREW /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n", True),
    "trailing slash": (post("/v1/traces/", b"{}", "application/json"), True),
    "root path": (post("/", b"{}", "application/json"), True),
    "GET root": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
    "metrics path": (post("/v1/metrics", b"{}", "application/json"), True),
    "doubled path": (post("/v1/traces/v1/traces", b"{}", "application/json"), True),
    "garbage request line": (b"HELLO\r\n\r\n", True),
    "no Host header": (
        b"POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        True,
    ),
    "unknown content encoding": (
        post("/v1/traces", b"{}", "application/json", "Content-Encoding: br2\r\n"),
        True,
    ),
    "broken gzip": (post("/v1/traces", b"{}", "application/json", "Content-Encoding: gzip\r\n"), True),
    "oversize json": (post("/v1/traces", b"{" + b" " * BIG + b"}", "application/json"), True),
    "oversize protobuf": (post("/v1/traces", bytes(BIG), "application/x-protobuf"), True),
    "gzip bomb": (
        post(
            "/v1/traces",
            gzip.compress(b"{" + b" " * BIG + b"}"),
            "application/json",
            "Content-Encoding: gzip\r\n",
        ),
        True,
    ),
    "bad protobuf": (post("/v1/traces", b"\xff\xff\xff\xff", "application/x-protobuf"), False),
    "bad json": (post("/v1/traces", b"{bad}", "application/json"), False),
    "empty json body": (post("/v1/traces", b"", "application/json"), False),
    "json array": (post("/v1/traces", b"[]", "application/json"), False),
    "short hex ID": (
        post(
            "/v1/traces",
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}',
            "application/json",
        ),
        False,
    ),
    "bad timestamp": (
        post(
            "/v1/traces",
            b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"abc"}]}]}]}',
            "application/json",
        ),
        False,
    ),
}


def _with_ids(trace_id: bytes, span_id: bytes = b"\x01" * 8, parent: bytes = b"") -> bytes:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.parent_span_id, span.name = trace_id, span_id, parent, "x"
    return req.SerializeToString()


# Trace and span IDs of a wrong length: the collector refuses the whole request.
BAD_IDS = {
    "15-byte trace ID": _with_ids(b"\x01" * 15),
    "17-byte trace ID": _with_ids(b"\x01" * 17),
    "32-byte trace ID": _with_ids(b"\x01" * 32),
    "9-byte span ID": _with_ids(b"\x01" * 16, b"\x01" * 9),
    "4-byte parent span ID": _with_ids(b"\x01" * 16, parent=b"\x01" * 4),
}
CASES.update({name: (post("/v1/traces", body, "application/x-protobuf"), True) for name, body in BAD_IDS.items()})


@pytest.fixture(scope="module")
def real_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[peers.Collector]:
    binary = peers.locate("otelcol")
    if binary is None:
        from tests.conftest import require_peer

        require_peer("otelcol")
        raise AssertionError("unreachable")
    col = peers.start_collector(binary, tmp_path_factory.mktemp("otelcol"), peers.collector_config(None))
    try:
        yield col
    finally:
        col.stop()


@pytest.fixture(scope="module")
def listener() -> Iterator[Running]:
    with listening() as running:
        yield running


def _shape(ans: object) -> tuple[int, str, str, str | None, str | None, str | None]:
    from tests.listen_helpers import RawAnswer

    assert isinstance(ans, RawAnswer)
    return (
        ans.status,
        ans.reason,
        ans.version,
        ans.headers.get("content-type"),
        ans.headers.get("x-content-type-options"),
        ans.headers.get("connection"),
    )


@pytest.mark.peers
@pytest.mark.parametrize("name", list(CASES))
def test_http_answers_match_the_collector(name: str, real_collector: peers.Collector, listener: Running) -> None:
    request, exact = CASES[name]
    assert real_collector.otlp_http is not None
    theirs = raw_exchange(real_collector.otlp_http, request)
    ours = raw_exchange(listener.http, request)
    assert _shape(ours) == _shape(theirs), (ours.raw[:300], theirs.raw[:300])
    if exact:
        assert ours.body == theirs.body
    elif theirs.headers.get("content-type") == "application/json":
        assert json.loads(ours.body)["code"] == json.loads(theirs.body)["code"] == 3
    else:
        ours_status, theirs_status = status_pb2.Status(), status_pb2.Status()
        ours_status.ParseFromString(ours.body)
        theirs_status.ParseFromString(theirs.body)
        assert ours_status.code == theirs_status.code == 3
        assert ours_status.message


def _grpc_call(target: str, method: str, body: bytes) -> tuple[str, str]:
    with grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)]) as ch:
        call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = ch.unary_unary(
            method, request_serializer=None, response_deserializer=None
        )
        try:
            out = call(body, timeout=5)
        except grpc.RpcError as err:
            return err.code().name, str(err.details())
        return "OK", out.hex()


EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
GRPC_CASES = {
    "spans": (EXPORT, PB, True),
    "empty request": (EXPORT, b"", True),
    "empty resource": (EXPORT, b"\x0a\x02\x12\x00", True),
    "undecodable": (EXPORT, b"\xff\xff\xff", False),
    "over 4 MiB": (EXPORT, bytes(5 << 20), False),
    "unknown method": ("/opentelemetry.proto.collector.trace.v1.TraceService/Nope", b"", False),
    "unknown service": ("/foo.Bar/Baz", b"", False),
    **{name: (EXPORT, body, True) for name, body in BAD_IDS.items()},
}


@pytest.mark.peers
@pytest.mark.parametrize("name", list(GRPC_CASES))
def test_grpc_answers_match_the_collector(name: str, real_collector: peers.Collector, listener: Running) -> None:
    method, body, exact = GRPC_CASES[name]
    assert real_collector.otlp_grpc is not None
    theirs = _grpc_call(real_collector.otlp_grpc, method, body)
    ours = _grpc_call(listener.grpc, method, body)
    assert ours[0] == theirs[0]
    if exact:
        assert ours == theirs


# --- what the listener keeps, and real clients against it ---------------------------------------------


def test_the_real_sdk_exports_to_it_over_grpc_and_http(listener: Running) -> None:
    before = listener.store.stats.spans
    tid = send_span(listener.grpc, service="sdk-grpc", name="a", children=1)
    tid2 = send_span(listener.http, protocol="http", service="sdk-http", name="b")
    assert listener.store.get(bytes.fromhex(tid)) is not None
    trace = listener.store.get(bytes.fromhex(tid2))
    assert trace is not None and trace.groups[0].service == "sdk-http"
    assert listener.store.stats.spans == before + 3


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_send_test_span_is_accepted(protocol: str, listener: Running) -> None:
    endpoint = listener.grpc if protocol == "grpc" else listener.http
    res = run("send-test-span", "--endpoint", f"http://{endpoint}", "--protocol", protocol, "--child", "--json")
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert doc["accepted"] == 2
    trace = listener.store.get(bytes.fromhex(doc["trace_id"]))
    assert trace is not None and trace.span_count == 2


def test_send_test_span_reads_the_415_like_the_collectors() -> None:
    # A receiver that answers 415 is reported with the collector's own words.
    with listening() as running:
        ans = raw_exchange(running.http, post("/v1/traces", b"{}", "text/plain"))
        assert ans.status == 415
        assert running.store.stats.requests["http/protobuf 415"] == 1


def test_load_mode_is_counted(listener: Running) -> None:
    before = listener.store.stats.spans
    res = run("send-test-span", "--endpoint", f"http://{listener.http}", "--protocol", "http/protobuf",
              "--count", "2000", "--batch-size", "500", "--json")  # fmt: skip
    assert res.exit_code == ExitCode.OK, res.stdout
    assert listener.store.stats.spans == before + 2000


# --- bad input ---------------------------------------------------------------------------------------


def test_memory_is_bounded_oldest_traces_evicted_first() -> None:
    with listening(max_spans=5) as running:
        ids = [send_span(running.grpc, service="s", name=f"t{i}", children=1) for i in range(4)]
        assert running.store.span_count <= 5
        assert running.store.get(bytes.fromhex(ids[0])) is None
        assert running.store.get(bytes.fromhex(ids[-1])) is not None
        assert running.store.stats.evicted_traces == 2
        assert running.store.stats.evicted_spans == 4
        assert running.store.stats.spans == 8


def test_one_trace_larger_than_the_bound_keeps_its_newest_spans() -> None:
    with listening(max_spans=3) as running:
        tid = send_span(running.grpc, service="s", name="big", children=5)
        trace = running.store.get(bytes.fromhex(tid))
        assert trace is not None and trace.span_count == 3
        assert running.store.stats.evicted_spans == 3


def test_a_slow_client_is_cut_off_and_others_are_served() -> None:
    limits = Limits(header_timeout=0.5, body_timeout=0.5, idle_timeout=0.5)
    with listening(limits=limits) as running:
        host, _, port = running.http.rpartition(":")
        slow = socket.create_connection((host, int(port)))
        slow.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        # Meanwhile another client is answered at once.
        ans = raw_exchange(running.http, post("/v1/traces", b"{}", "application/json"))
        assert ans.status == 200
        slow.settimeout(3)
        started = time.monotonic()
        assert slow.recv(100) == b""  # closed by the server after the body deadline
        assert time.monotonic() - started < 2.5
        slow.close()


def test_a_client_dripping_its_headers_is_cut_off() -> None:
    limits = Limits(header_timeout=0.5, idle_timeout=0.5)
    with listening(limits=limits) as running:
        host, _, port = running.http.rpartition(":")
        with socket.create_connection((host, int(port))) as s:
            s.settimeout(3)
            started = time.monotonic()
            closed = False
            for _ in range(20):
                try:
                    s.sendall(b"X")
                except OSError:
                    closed = True
                    break
                time.sleep(0.1)
                try:
                    s.setblocking(False)
                    if s.recv(1) == b"":
                        closed = True
                        break
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
            assert closed and time.monotonic() - started < 2.5


def test_headers_over_1_mib_get_431() -> None:
    with listening() as running:
        ans = raw_exchange(
            running.http, b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * (1100 * 1024) + b"\r\n\r\n"
        )
        assert ans.status == 431


def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    with listening() as running:
        host, _, port = running.http.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=3) as s:
            s.sendall(post("/v1/traces", b"{}", "application/json") * 3)
            data = b""
            while data.count(b"HTTP/1.1 200 OK") < 3:
                chunk = s.recv(65536)
                assert chunk
                data += chunk


def test_expect_100_continue() -> None:
    with listening() as running:
        host, _, port = running.http.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=3) as s:
            s.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
            )
            assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(b"{}")
            assert b"200 OK" in s.recv(1000)


def test_one_port_speaks_grpc_and_http_when_muxed() -> None:
    with listening(mux=True) as running:
        assert running.bound.mux is not None
        mux = str(running.bound.mux)
        t1 = send_span(mux, service="via-grpc")
        t2 = send_span(mux, protocol="http", service="via-http")
        assert running.store.get(bytes.fromhex(t1)) is not None
        assert running.store.get(bytes.fromhex(t2)) is not None
        assert raw_exchange(mux, b"GET /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n").status == 405


def test_a_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        for kwargs in ({"http": HostPort("127.0.0.1", port)}, {"grpc": HostPort("127.0.0.1", port)}):
            listener = Listener(SpanStore(10), **kwargs)  # type: ignore[arg-type]
            with pytest.raises(BindError, match="already in use"):
                listener.start()
            listener.stop()


def test_listen_cli_port_in_use_exits_2_with_one_line() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        res = run("listen", "--grpc-endpoint", f"127.0.0.1:{port}", "--http-endpoint", "off",
                  "--query-endpoint", "off", env={"COLUMNS": "1000"})  # fmt: skip
        assert res.exit_code == ExitCode.USAGE
        assert "already in use" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert "Traceback" not in res.stderr


Check = Callable[[], None]


@pytest.mark.parametrize("other_signals", [False, True])
def test_metrics_and_logs_are_taken_and_dropped_only_for_run(other_signals: bool) -> None:
    # `listen` answers as a traces-only collector (404, UNIMPLEMENTED); `run`'s receiver takes an
    # auto-instrumented app's metrics and logs and drops them, so its stderr is not full of 404s.
    with listening(other_signals=other_signals) as lp:
        for path in ("/v1/metrics", "/v1/logs"):
            ans = raw_exchange(lp.http, post(path, b"\x0a\x00", "application/x-protobuf"))
            assert ans.status == (200 if other_signals else 404)
            assert ans.body == (b"\x0a\x00" if other_signals else b"404 page not found\n")
        for service in ("metrics.v1.MetricsService", "logs.v1.LogsService"):
            code, body = _grpc_call(lp.grpc, f"/opentelemetry.proto.collector.{service}/Export", b"")
            assert (code, body) == (("OK", "0a00") if other_signals else ("UNIMPLEMENTED", "Method not found!"))
        assert lp.store.span_count == 0  # dropped unread: never counted as spans
