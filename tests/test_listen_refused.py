"""`listen` and `run` show the requests they refuse: a doubled or missing path, the wrong port, TLS, a wrong type.

Each refused request is shown live (the first of its kind), listed in the summary with the fix, kept in the
store as a bounded list, and read as the finding send-test-span gives for the same failure.
"""

from __future__ import annotations

import json
import signal
import socket
import ssl
import time

import grpc
import httpx
import pytest

from otdiag.listen.refused import MAX_KINDS, RefusedLog
from otdiag.listen.summary import summarize
from otdiag.model import ExitCode
from tests.listen_helpers import listening
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
