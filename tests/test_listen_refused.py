"""`listen` and `run` show the requests they refuse: a doubled or missing path, the wrong port, TLS, a wrong type.

Each refused request is shown live (the first of its kind), listed in the summary with the fix, kept in the
store as a bounded list, and read as the finding send-test-span gives for the same failure.
"""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
import ssl
import subprocess
import time
from typing import Any

import grpc
import httpx
import pytest

from otdiag.listen.refused import MAX_KINDS, RefusedLog
from otdiag.listen.summary import summarize
from otdiag.model import ExitCode
from tests.listen_helpers import listening
from tests.sdk_app import send_span
from tests.test_listen_cli import listen_process

SPAN = b"\x0a\x00"  # an empty ExportTraceServiceRequest: enough for the receiver to route it


def _misdirect(http: str) -> None:
    """Four mistakes users make: the path twice, no path, gRPC to the HTTP port, a wrong Content-Type."""
    proto = {"Content-Type": "application/x-protobuf"}
    assert httpx.post(f"http://{http}/v1/traces/v1/traces", content=SPAN, headers=proto).status_code == 404
    assert httpx.post(f"http://{http}/", content=SPAN, headers=proto).status_code == 404
    assert (
        httpx.post(f"http://{http}/v1/traces", content=SPAN, headers={"Content-Type": "text/plain"}).status_code == 415
    )
    with grpc.insecure_channel(http) as channel:
        call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
        )
        with pytest.raises(grpc.RpcError):
            call(SPAN, timeout=3)


EXPECTED = {"ingest.path-doubled", "ingest.path-missing", "ingest.http-415", "ingest.grpc-to-http-port"}


def test_listen_shows_refused_requests_live_and_in_the_summary_human_and_json_agree() -> None:
    with listen_process() as lp:
        _misdirect(lp.http)
        time.sleep(0.5)
        code, _, err = lp.interrupt(signal.SIGINT)
    assert code == ExitCode.INTERRUPTED
    assert err.count("✗ refused") == 4, err  # live, once per kind
    assert "No problems seen" not in err
    human = {c for c in EXPECTED if f"({c})" in err}
    with listen_process("--json-lines") as lp:
        _misdirect(lp.http)
        time.sleep(0.5)
        code2, out, _ = lp.interrupt(signal.SIGINT)
    assert code2 == code
    lines = [json.loads(line) for line in out.splitlines()]
    live = [x for x in lines if x["type"] == "refused"]
    summary = lines[-1]
    assert {x["code"] for x in live} == EXPECTED
    assert {f["code"] for f in summary["findings"]} >= EXPECTED
    assert {r["code"] for r in summary["refused"]} == EXPECTED == human
    doubled = next(r for r in summary["refused"] if r["code"] == "ingest.path-doubled")
    assert doubled["path"] == "/v1/traces/v1/traces" and doubled["status"] == "404" and doubled["count"] == 1


def test_the_summary_object_carries_the_refused_requests_as_a_typed_field() -> None:
    with listening() as lp:
        for _ in range(3):
            httpx.post(f"http://{lp.http}/", content=SPAN, headers={"Content-Type": "application/x-protobuf"})
        httpx.get(f"http://{lp.http}/favicon.ico")  # a browser, not an exporter: not listed
        result = summarize(lp.store)
    (r,) = result.refused
    assert (r.path, r.transport, r.status, r.port, r.count) == ("/", "http/protobuf", "404", "http", 3)
    assert r.first_seen <= time.time()
    assert r.finding().code == "ingest.path-missing"


def test_the_refused_list_is_bounded() -> None:
    log = RefusedLog()
    for i in range(MAX_KINDS + 10):
        log.add(path=f"/p{i}", transport="http/protobuf", status="404", port="http")
    assert len(log.items()) == MAX_KINDS and log.overflow == 10


def test_a_tls_client_hello_on_the_shared_port_fails_at_once() -> None:
    with listening(mux=True) as lp:
        assert lp.bound.mux is not None
        host, port = lp.bound.mux.host, lp.bound.mux.port
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=5) as raw, pytest.raises(ssl.SSLError) as err:
            ctx.wrap_socket(raw, server_hostname=host)
        took = time.monotonic() - started
        assert took < 1.0, took
        assert "WRONG_VERSION_NUMBER" in str(err.value).upper().replace(" ", "_")
        (r,) = summarize(lp.store).refused
        assert r.transport == "tls" and r.port == "shared"
        assert r.finding().code == "ingest.tls-to-plaintext"


def _one_span() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.get_tracer("t").start_span("checkout").end()
    return memory.get_finished_spans()


def _wrong_clients_to_the_grpc_port(grpc_at: str) -> None:
    """What users point at a gRPC port by mistake: the SDK's HTTP exporter, a gRPC exporter speaking TLS,
    curl and http.client."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    spans = _one_span()
    assert HttpExporter(endpoint=f"http://{grpc_at}/v1/traces", timeout=2).export(spans) == SpanExportResult.FAILURE
    assert GrpcExporter(endpoint=grpc_at, insecure=False, timeout=2).export(spans) == SpanExportResult.FAILURE
    curl = shutil.which("curl")
    assert curl is not None, "curl is needed for this test"
    got = subprocess.run(
        [curl, "-sS", "-m", "5", "-X", "POST", "-H", "Content-Type: application/json", "-d", "{}",
         f"http://{grpc_at}/v1/metrics"], capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert got.returncode != 0  # a gRPC port never answers HTTP/1.1
    host, _, port = grpc_at.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.request("POST", "/", body=SPAN, headers={"Content-Type": "application/x-protobuf"})
        conn.getresponse()
    conn.close()


def test_http_and_tls_sent_to_the_dedicated_grpc_port_are_refused_live_in_the_summary_and_json() -> None:
    with listen_process() as lp:
        _wrong_clients_to_the_grpc_port(lp.grpc)
        send_span(lp.grpc, service="shop", name="ok")  # real gRPC still goes through
        time.sleep(0.3)
        code, _, err = lp.interrupt(signal.SIGINT)
    assert code == ExitCode.INTERRUPTED
    assert err.count("✗ refused") == 4, err  # /v1/traces protobuf, /v1/metrics json, / protobuf, TLS
    assert "on the grpc port" in err and "No problems seen" not in err
    assert "(ingest.http-to-grpc-port)" in err and "(ingest.tls-to-plaintext)" in err
    with listen_process("--json-lines") as lp:
        _wrong_clients_to_the_grpc_port(lp.grpc)
        send_span(lp.grpc, service="shop", name="ok")
        time.sleep(0.3)
        _, out, _ = lp.interrupt(signal.SIGINT)
    lines = [json.loads(line) for line in out.splitlines()]
    live = [x for x in lines if x["type"] == "refused"]
    summary = lines[-1]
    assert summary["spans"] == 1  # the gRPC span arrived through the front
    want = {"ingest.http-to-grpc-port", "ingest.tls-to-plaintext"}
    assert {x["code"] for x in live} == want == {r["code"] for r in summary["refused"]}
    assert {f["code"] for f in summary["findings"]} >= want
    assert {r["port"] for r in summary["refused"]} == {"grpc"}
    by_path = {(r["path"], r["transport"]) for r in summary["refused"]}
    assert ("/v1/traces", "http/protobuf") in by_path and ("/v1/metrics", "http/json") in by_path
    assert ("", "tls") in by_path
    traces = next(r for r in summary["refused"] if r["path"] == "/v1/traces")
    assert traces["count"] >= 1 and traces["status"] == "closed"


def test_the_grpc_port_still_answers_http_and_tls_at_once_as_grpcio_does() -> None:
    with listening() as lp:
        assert lp.bound.grpc is not None
        host, port = lp.bound.grpc.host, lp.bound.grpc.port
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=5) as raw, pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname=host)
        assert time.monotonic() - started < 1.0
        (r,) = summarize(lp.store).refused
        assert (r.transport, r.port) == ("tls", "grpc")


def test_run_reports_an_http_exporter_hard_coded_to_the_grpc_port() -> None:
    from tests.test_observer import _default_ports_free, run

    if not _default_ports_free():
        pytest.skip("127.0.0.1:4317/4318 are taken by another process on this machine")
    rc, doc, _ = run("http_to_grpc_port.py", "--default-ports")
    assert rc == ExitCode.PROBLEM
    errors = [f["code"] for f in doc["findings"] if f["severity"] == "error"]
    assert errors == ["ingest.http-to-grpc-port"], doc["findings"]  # the observer and the receiver agree
    (r,) = doc["refused"]
    assert (r["port"], r["path"], r["code"]) == ("grpc", "/v1/traces", "ingest.http-to-grpc-port")


def test_a_request_refused_before_the_display_starts_is_still_shown_live() -> None:
    """The receivers start before the banner is printed: what arrives meanwhile is queued, not only summed up."""
    import http.client

    from otdiag.listen.session import ListenRequest, Session
    from otdiag.net.endpoints import HostPort
    from tests.peers import free_port

    port = free_port()
    session = Session(ListenRequest(None, HostPort("127.0.0.1", port), None, 100, stop_after=0.5))
    session.start(live=True)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", "/v1/traces/v1/traces", body=b"", headers={"Content-Type": "application/x-protobuf"})
    assert conn.getresponse().status == 404
    conn.close()
    shown: list[object] = []
    session.run(lambda arrival: None, show_refused=shown.append)
    assert len(shown) == 1 and "path" in str(getattr(shown[0], "code", "")) + str(shown[0])
