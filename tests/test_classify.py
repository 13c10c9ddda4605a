"""The one export-failure classifier (otdiag/otlp/classify.py): structured failures and any runtime's error text.

The error lines are the ones the SDKs print (Python 1.45 exporters, Node's OTLPExporterError, the Java agent,
Go's otlptrace exporters): each must get the finding code `send-test-span` gives for the same failure on the
wire, and the same fix.
"""

from __future__ import annotations

import pytest

from otdiag.model import Protocol
from otdiag.net.transport import Cause
from otdiag.otlp.classify import Failure, classify, classify_text, scrub_error

GRPC, HTTP = Protocol.GRPC, Protocol.HTTP_PROTOBUF

# failure, code, words the message or fix must contain
STRUCTURED = [
    (Failure(HTTP, "http://h:4318", http_status=404), "ingest.path-missing", "/v1/traces"),
    (Failure(HTTP, "http://h:4318/", http_status=404), "ingest.path-missing", "/v1/traces"),
    (Failure(HTTP, "http://h:4318/v1/traces/v1/traces", http_status=404), "ingest.path-doubled", "twice"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=404), "ingest.no-traces-pipeline", "traces pipeline"),
    (Failure(HTTP, "http://h:4318/v1/traces/", http_status=404), "ingest.http-404", "trailing slash"),
    (Failure(HTTP, "http://h:4318/otlp/v1/traces", http_status=404), "ingest.http-404", "prefix"),
    (Failure(HTTP, "http://h:4318/x", http_status=404), "ingest.http-404", "/x"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=415), "ingest.http-415", "Content-Type"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=401), "ingest.auth", "credentials"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=403), "ingest.auth", "credentials"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=413), "ingest.too-large", "too large"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=405), "ingest.http-405", "POST"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=400, message="http: request body too large"),
     "ingest.too-large", "too large"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=400, message="Client sent an HTTP request to an HTTPS server"),
     "ingest.plaintext-to-tls", "https://"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=400), "ingest.http-400", "decode"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=503, retry_after="5"), "collector.refusing", "Retry-After"),
    (Failure(HTTP, "http://h:4318/v1/traces", http_status=502), "ingest.http-error", "proxy"),
    (Failure(GRPC, "h:4317", cause=Cause.REFUSED), "ingest.refused", "Nothing listens"),
    (Failure(GRPC, "h:4317", cause=Cause.DNS), "ingest.dns", "'h'"),
    (Failure(GRPC, "h:4317", cause=Cause.UNREACHABLE), "ingest.unreachable", "route"),
    (Failure(GRPC, "h:4317", cause=Cause.CONNECT_TIMEOUT), "ingest.timeout", "timed out"),
    (Failure(GRPC, "h:4317", cause=Cause.CONNECT_TIMEOUT, tcp_accepts=True), "ingest.no-answer", "accepted"),
    (Failure(GRPC, "h:4317", cause=Cause.CONNECT_TIMEOUT, tls=True, plaintext_receiver=True),
     "ingest.tls-to-plaintext", "insecure"),
    (Failure(GRPC, "h:4317", cause=Cause.TLS_TO_PLAINTEXT), "ingest.tls-to-plaintext", "OTEL_EXPORTER_OTLP_INSECURE"),
    (Failure(HTTP, "https://h:4318/v1/traces", cause=Cause.TLS_TO_PLAINTEXT), "ingest.tls-to-plaintext", "http://"),
    (Failure(GRPC, "h:4317", cause=Cause.TLS_UNKNOWN_CA), "ingest.tls-unknown-ca", "CA"),
    (Failure(GRPC, "h:4317", cause=Cause.TLS_EXPIRED), "ingest.tls-expired", "expired"),
    (Failure(GRPC, "h:4317", cause=Cause.TLS_HOSTNAME), "ingest.tls-hostname", "host name"),
    (Failure(GRPC, "h:4317", cause=Cause.TLS_CLIENT_CERT), "ingest.tls-client-cert", "mTLS"),
    (Failure(GRPC, "h:4317", cause=Cause.CLOSED, port_speaks="tls", tls=False), "ingest.plaintext-to-tls", "TLS"),
    (Failure(GRPC, "h:4318", cause=Cause.PROTOCOL, port_speaks="http/1.1"), "ingest.grpc-to-http-port", "4317"),
    (Failure(HTTP, "http://h:4317/v1/traces", cause=Cause.CLOSED, port_speaks="h2c"), "ingest.http-to-grpc-port",
     "4318"),
    (Failure(GRPC, "h:4317", cause=Cause.CLOSED, port_speaks="closed"), "ingest.connection-closed", "closed"),
    (Failure(GRPC, "h:4317", grpc_code="UNAUTHENTICATED"), "ingest.auth", "credentials"),
    (Failure(GRPC, "h:4317", grpc_code="RESOURCE_EXHAUSTED", message="grpc: received message larger than max"),
     "ingest.too-large", "too large"),
    (Failure(GRPC, "h:4317", grpc_code="UNIMPLEMENTED"), "ingest.no-traces-pipeline", "trace service"),
    (Failure(GRPC, "h:4317", grpc_code="UNAVAILABLE"), "collector.refusing", "refused"),
    (Failure(GRPC, "h:4317", grpc_code="UNAVAILABLE", client_side=True), "ingest.refused", "insecure"),
    (Failure(GRPC, "h:4317", grpc_code="UNAVAILABLE", message="sending queue is full"), "export.queue-full", "queue"),
]  # fmt: skip


@pytest.mark.parametrize(("failure", "code", "says"), STRUCTURED, ids=[f"{s[1]}-{i}" for i, s in enumerate(STRUCTURED)])
def test_each_structured_failure_gets_its_code_and_specific_words(failure: Failure, code: str, says: str) -> None:
    got = classify(failure)
    assert got.code == code, got
    assert says in got.message + " " + got.fix, got


def test_a_base_endpoint_given_in_code_names_the_path_and_the_constructor() -> None:
    got = classify(Failure(HTTP, "http://127.0.0.1:4318", http_status=404, set_in_code=True))
    assert got.code == "ingest.path-missing"
    assert "http://127.0.0.1:4318/v1/traces" in got.fix and "endpoint=" in got.fix
    assert "posted to /" in got.message


# One line per runtime and failure, as the SDKs print them; what `send-test-span` calls the same failure.
TEXTS = [
    # Python (opentelemetry-exporter-otlp 1.45)
    ("Failed to export span batch code: 404, reason: 404 page not found", {"target": "http://127.0.0.1:9/"},
     "ingest.path-missing"),
    ("Failed to export span batch code: 415, reason: unsupported", {}, "ingest.http-415"),
    ("Transient error StatusCode.UNAVAILABLE encountered while exporting traces to localhost:4317, retrying in 1s.",
     {}, "ingest.refused"),
    ("Failed to export traces to localhost:4317, error code: StatusCode.UNIMPLEMENTED", {},
     "ingest.no-traces-pipeline"),
    ("Failed to export traces to localhost:4317, error code: StatusCode.UNAUTHENTICATED", {}, "ingest.auth"),
    ("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /v1/traces (Caused by "
     "NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))", {},
     "ingest.refused"),
    ("Transient error StatusCode.DEADLINE_EXCEEDED encountered while exporting traces to 127.0.0.1:5000",
     {"tls": True, "plaintext_receiver": True}, "ingest.tls-to-plaintext"),
    # Node (@opentelemetry/exporter-trace-otlp-*)
    ("OTLPExporterError: Not Found\n    at IncomingMessage.<anonymous> { code: '404', data: '404 page not found' }",
     {"target": "http://localhost:4318/v1/traces/v1/traces"}, "ingest.path-doubled"),
    ("Error: 14 UNAVAILABLE: No connection established", {}, "ingest.refused"),
    ("Error: connect ECONNREFUSED 127.0.0.1:4318", {}, "ingest.refused"),
    ("Error: getaddrinfo ENOTFOUND otel-collector", {}, "ingest.dns"),
    ("OTLPExporterError: Unsupported Media Type { code: '415' }", {}, "ingest.http-415"),
    ("Error: 16 UNAUTHENTICATED: missing token", {}, "ingest.auth"),
    ("Error: write EPROTO 80ABE1C1:error:0A00010B:SSL routines:ssl3_get_record:wrong version number", {},
     "ingest.tls-to-plaintext"),
    # Java agent 2.x
    ("Failed to export spans. Server responded with HTTP status code 404. Error message: Not Found",
     {"target": "http://collector:4318"}, "ingest.path-missing"),
    ("Failed to export spans. Server responded with gRPC status code 16. Error message: unauthenticated", {},
     "ingest.auth"),
    ("Failed to export spans. The request could not be executed. Full error message: Failed to connect to "
     "localhost/127.0.0.1:4318", {}, "ingest.refused"),
    ("java.net.UnknownHostException: otel-collector: Name or service not known", {}, "ingest.dns"),
    ("javax.net.ssl.SSLException: Unsupported or unrecognized SSL message", {}, "ingest.tls-to-plaintext"),
    ("Failed to export spans. Server responded with HTTP status code 413. Error message: too large", {},
     "ingest.too-large"),
    # Go (otlptracehttp / otlptracegrpc)
    ("traces export: failed to send to http://localhost:4318/v1/traces/v1/traces: 404 Not Found", {},
     "ingest.path-doubled"),
    ("traces export: rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while "
     "dialing: dial tcp 127.0.0.1:4317: connect: connection refused\"", {}, "ingest.refused"),
    ("traces export: rpc error: code = Unimplemented desc = unknown service", {}, "ingest.no-traces-pipeline"),
    ("traces export: Post \"https://localhost:4318/v1/traces\": http: server gave HTTP response to HTTPS client",
     {}, "ingest.tls-to-plaintext"),
    ("traces export: Post \"http://localhost:4317/v1/traces\": dial tcp: lookup collector on 127.0.0.11:53: "
     "no such host", {}, "ingest.dns"),
    ("traces export: failed to send to http://localhost:4318/v1/traces: 400 Bad Request (Client sent an HTTP "
     "request to an HTTPS server.)", {}, "ingest.plaintext-to-tls"),
    ("traces export: context deadline exceeded: rpc error: code = DeadlineExceeded desc = context deadline exceeded",
     {}, "ingest.no-answer"),
    ("traces export: failed to send to http://localhost:4318/v1/traces: 401 Unauthorized", {}, "ingest.auth"),
    # A header value the HTTP client refused to send
    ("Invalid leading whitespace, reserved character(s), or return character(s) in header value: 'Bearer s3cr3t\\n'",
     {}, "ingest.bad-header"),
    # The wrong port for the protocol, as each runtime words it (lines from real apps under otdiag run)
    ("14 UNAVAILABLE: No connection established. Last error: Protocol error (2026-12-07T22:44:25.515Z). "
     "Resolution note: ", {"target": "127.0.0.1:4318"}, "ingest.grpc-to-http-port"),
    ("Parse Error: Expected HTTP/, RTSP/ or ICE/", {"target": "http://127.0.0.1:4317/v1/traces"},
     "ingest.http-to-grpc-port"),
    ('2026/12/07 22:44:26 traces export: rpc error: code = Unavailable desc = connection error: desc = "error '
     'reading server preface: http2: frame too large"', {}, "ingest.grpc-to-http-port"),
    ("failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:4318: Trying to connect an http1.x "
     "server", {}, "ingest.grpc-to-http-port"),
    # A Go log line's clock is not a host:port
    ('2026/12/07 22:06:01 traces export: rpc error: code = Unavailable desc = connection error: desc = "transport: '
     'Error while dialing: dial tcp 127.0.0.1:4318: connect: connection refused"', {}, "ingest.refused"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "context", "code"), TEXTS, ids=[f"{t[2]}-{i}" for i, t in enumerate(TEXTS)])
def test_any_runtimes_error_line_gets_the_same_code(text: str, context: dict[str, object], code: str) -> None:
    got = classify_text(text, **context)
    assert got is not None, text
    assert got.code == code, (text, got)


def test_the_text_and_the_wire_give_the_same_fix() -> None:
    wire = classify(Failure(GRPC, "localhost:4317", cause=Cause.REFUSED))
    text = classify_text("connect ECONNREFUSED localhost:4317")
    assert text is not None and (text.code, text.fix) == (wire.code, wire.fix)
    assert text.message == wire.message


@pytest.mark.parametrize(
    "text",
    ["hello world 404", "Started in 404 ms", "INFO: server listening on :8080", "", "ValueError: bad input"],
)
def test_lines_that_name_no_export_failure_are_not_classified(text: str) -> None:
    assert classify_text(text) is None


def test_a_header_value_quoted_in_an_error_is_never_kept() -> None:
    line = "ValueError: Invalid header value: 'Bearer hunter2\\r\\n' for key authorization"
    assert "hunter2" not in scrub_error(line)
    got = classify_text(line)
    assert got is not None and "hunter2" not in got.message + got.fix


def test_an_http2_settings_frame_quoted_as_a_status_line_is_the_grpc_port() -> None:
    """Python's http.client and Go's net/http quote the gRPC port's first frame as a bad status line."""
    import http.client

    from otdiag.otlp.classify import classify_text
    from tests.listen_helpers import listening

    with listening() as lp:
        assert lp.bound.grpc is not None
        conn = http.client.HTTPConnection(lp.bound.grpc.host, lp.bound.grpc.port, timeout=5)
        try:
            conn.request("POST", "/v1/traces", body=b"\x0a\x00", headers={"Content-Type": "application/x-protobuf"})
            conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            said = f"Transient error ('Connection aborted.', {exc!r}) encountered while exporting spans batch"
        else:
            raise AssertionError("a gRPC port answered HTTP/1.1")
        finally:
            conn.close()
    got = classify_text(said, target=f"http://{lp.bound.grpc}/v1/traces")
    assert got is not None and got.code == "ingest.http-to-grpc-port", said


def test_a_log_lines_clock_is_never_taken_for_the_target() -> None:
    from otdiag.otlp.classify import parse_text

    said = parse_text("2026/12/07 22:11:02 traces export: rpc error: code = Unauthenticated desc = bad token")
    assert said is not None and said.target == ""
    dialed = parse_text("2026/12/07 22:06:01 traces export: dial tcp 127.0.0.1:4318: connect: connection refused")
    assert dialed is not None and dialed.target == "127.0.0.1:4318"
