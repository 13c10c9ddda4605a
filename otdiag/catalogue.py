"""Every finding otdiag can report, with its stable code, stage, guide and fix.

A `Kind` is declared once here (or in the module that owns a family of
checks, registered in the same table) and called to make a `Finding`.
docs/findings.md is generated from this table and checked by a test, so a code
is documented as soon as it exists. Codes are never renamed or reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from otdiag.model import Finding, Guide, Location, Severity, Stage

KINDS: dict[str, Kind] = {}


@dataclass(frozen=True)
class Kind:
    code: str
    severity: Severity
    stage: Stage
    guide: Guide | None
    title: str
    """What the finding means, for the documentation."""
    hint: str
    """The default fix, in one line."""

    def __call__(
        self,
        message: str,
        *,
        hint: str | None = None,
        target: str | None = None,
        location: Location | None = None,
        evidence: tuple[str, ...] | list[str] = (),
        severity: Severity | None = None,
        stage: Stage | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            stage=stage or self.stage,
            guide=self.guide,
            message=message,
            hint=hint or self.hint,
            target=target,
            location=location,
            evidence=tuple(evidence),
        )


def kind(code: str, severity: Severity, stage: Stage, guide: Guide | None, title: str, hint: str) -> Kind:
    if code in KINDS:
        raise ValueError(f"finding code {code!r} declared twice")
    k = Kind(code, severity, stage, guide, title, hint)
    KINDS[code] = k
    return k


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
COLLECTED, IN_JAEGER, CREATED = (
    Guide.TRACES_NOT_COLLECTED,
    Guide.TRACES_NOT_IN_JAEGER,
    Guide.SPANS_NOT_CREATED,
)

# --- app -> collector (heading 1: traces are not being collected) -----------------------------------

INGEST_REFUSED = kind(
    "ingest.refused",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "Nothing listens at the OTLP endpoint the app sends to.",
    "Start the collector, or point the exporter at the address it listens on (OTLP gRPC 4317, HTTP 4318).",
)
COLLECTOR_DOWN = kind(
    "ingest.collector-down",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "Neither OTLP port nor the health endpoint answers: the collector is not running there.",
    "Start the collector (or publish its ports), then run otdiag check again.",
)
INGEST_TIMEOUT = kind(
    "ingest.timeout",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The connection attempt got no answer at all: a firewall, a wrong address or a black hole.",
    "Check the host and port, and any firewall or network policy between the app and the collector.",
)
INGEST_SLOW = kind(
    "ingest.no-answer",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The connection was accepted but the receiver did not answer in time.",
    "The process on that port is hung or is not an OTLP receiver; check it, or raise --timeout.",
)
INGEST_DNS = kind(
    "ingest.dns",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The collector's host name does not resolve.",
    "Fix the host name (inside a container, use the service name, not localhost).",
)
INGEST_UNREACHABLE = kind(
    "ingest.unreachable",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "There is no network route to the collector's address.",
    "Check the address and the network between the app and the collector.",
)
INGEST_TLS_TO_PLAINTEXT = kind(
    "ingest.tls-to-plaintext",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The exporter speaks TLS, but the receiver's port is plaintext.",
    "Use an http:// endpoint, or OTEL_EXPORTER_OTLP_INSECURE=true for a scheme-less gRPC endpoint.",
)
INGEST_PLAINTEXT_TO_TLS = kind(
    "ingest.plaintext-to-tls",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The exporter speaks plaintext, but the receiver's port expects TLS.",
    "Use an https:// endpoint (and --ca-file / OTEL_EXPORTER_OTLP_CERTIFICATE for a private CA).",
)
INGEST_TLS_UNKNOWN_CA = kind(
    "ingest.tls-unknown-ca",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver's certificate is signed by a CA the exporter does not trust.",
    "Pass the CA with --ca-file (OTEL_EXPORTER_OTLP_CERTIFICATE for the app).",
)
INGEST_TLS_EXPIRED = kind(
    "ingest.tls-expired",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver's certificate has expired (or is not valid yet).",
    "Renew the collector's server certificate.",
)
INGEST_TLS_HOSTNAME = kind(
    "ingest.tls-hostname",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver's certificate does not name the host the exporter connects to.",
    "Connect with a host name the certificate lists, or reissue it with that name in its SANs.",
)
INGEST_TLS_CLIENT_CERT = kind(
    "ingest.tls-client-cert",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver requires a client certificate (mTLS) and did not accept the exporter's.",
    "Pass --cert-file and --key-file (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE / _CLIENT_KEY for the app).",
)
INGEST_TLS_OTHER = kind(
    "ingest.tls-failed",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The TLS handshake with the receiver failed.",
    "Compare the exporter's TLS settings with the receiver's tls block.",
)
INGEST_GRPC_TO_HTTP = kind(
    "ingest.grpc-to-http-port",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "A gRPC exporter is pointed at a port that speaks HTTP/1.1 (OTLP/HTTP, 4318?).",
    "Send gRPC to the gRPC port (4317), or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf.",
)
INGEST_HTTP_TO_GRPC = kind(
    "ingest.http-to-grpc-port",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "An OTLP/HTTP exporter is pointed at a port that speaks gRPC (4317?).",
    "Send OTLP/HTTP to the HTTP port (4318), or set OTEL_EXPORTER_OTLP_PROTOCOL=grpc.",
)
INGEST_CLOSED = kind(
    "ingest.connection-closed",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver closed the connection without answering.",
    "Check that the port is an OTLP receiver and that protocol and TLS settings match it.",
)
INGEST_NOT_OTLP = kind(
    "ingest.not-otlp",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The port answered, but not as an OTLP receiver.",
    "Point the exporter at the collector's OTLP receiver (4317 gRPC, 4318 HTTP).",
)
INGEST_PATH_DOUBLED = kind(
    "ingest.path-doubled",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The URL ends in /v1/traces/v1/traces: the signal path was added to an endpoint that already had it.",
    "Set OTEL_EXPORTER_OTLP_ENDPOINT to the base URL (http://host:4318) - the SDK appends /v1/traces.",
)
INGEST_PATH_MISSING = kind(
    "ingest.path-missing",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The URL has no /v1/traces path; a per-signal endpoint is used exactly as given.",
    "Add /v1/traces to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or use OTEL_EXPORTER_OTLP_ENDPOINT.",
)
INGEST_NOT_FOUND = kind(
    "ingest.http-404",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver answered 404: wrong path, or no traces pipeline uses this receiver.",
    "POST to /v1/traces, and check that the receiver is listed in a traces pipeline.",
)
INGEST_METHOD = kind(
    "ingest.http-405",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver answered 405 Method Not Allowed.",
    "OTLP/HTTP exports are POST requests to /v1/traces.",
)
INGEST_MEDIA_TYPE = kind(
    "ingest.http-415",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver rejected the Content-Type (415).",
    "Send application/x-protobuf or application/json.",
)
INGEST_BAD_REQUEST = kind(
    "ingest.http-400",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver could not decode the request (400).",
    "Check the encoding matches the Content-Type (OTLP/JSON needs hex IDs and lowerCamelCase).",
)
INGEST_AUTH = kind(
    "ingest.auth",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver refused the request's credentials (401/403, UNAUTHENTICATED/PERMISSION_DENIED).",
    "Send the header the receiver's authenticator expects (--header / OTEL_EXPORTER_OTLP_HEADERS).",
)
INGEST_TOO_LARGE = kind(
    "ingest.too-large",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The request is larger than the receiver accepts (413 / RESOURCE_EXHAUSTED).",
    "Send smaller batches, enable compression, or raise max_recv_msg_size_mib on the receiver.",
)
INGEST_REJECTED = kind(
    "ingest.http-error",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver answered the export with an error.",
    "Read the receiver's message; check the collector's logs for the request.",
)
INGEST_PARTIAL = kind(
    "ingest.partial-success",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver accepted the request but rejected some spans (OTLP partial success).",
    "Read the receiver's message; it names why those spans were dropped.",
)
COLLECTOR_REFUSING = kind(
    "collector.refusing",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "The collector is reachable but refuses data (429/503/UNAVAILABLE): memory_limiter or a full pipeline.",
    "Check memory_limiter limits and exporter queues: the collector is overloaded or its exporter stuck.",
)

# --- collector health ---------------------------------------------------------------------------

COLLECTOR_UNHEALTHY = kind(
    "collector.unhealthy",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "The collector's health endpoint reports it is not healthy.",
    "Read the component status it lists and the collector's logs.",
)
COLLECTOR_NO_HEALTH = kind(
    "collector.health-unreachable",
    INFO,
    Stage.COLLECTOR,
    COLLECTED,
    "The collector's health endpoint does not answer (health_check / healthcheckv2 not enabled?).",
    "Enable the health_check extension to let tools see the collector's state.",
)

# --- Jaeger (heading 2: traces are not displayed in Jaeger) ------------------------------------------

JAEGER_UNREACHABLE = kind(
    "jaeger.unreachable",
    E,
    Stage.JAEGER,
    IN_JAEGER,
    "Jaeger's query service does not answer: Jaeger is not running there, or the URL is wrong.",
    "Start Jaeger, or pass the query URL with --jaeger-url (default port 16686).",
)
JAEGER_NOT_QUERY = kind(
    "jaeger.not-query-api",
    E,
    Stage.JAEGER,
    IN_JAEGER,
    "The URL answers, but not as Jaeger's query API.",
    "Point --jaeger-url at Jaeger's query port (16686), not at an OTLP or collector port.",
)
JAEGER_ERROR = kind(
    "jaeger.query-error",
    E,
    Stage.JAEGER,
    IN_JAEGER,
    "Jaeger's query API answered with a server error (storage problem?).",
    "Read Jaeger's log; check its storage backend is reachable and configured.",
)

INGEST_NO_TRACES = kind(
    "ingest.no-traces-pipeline",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver answers but does not take traces: it is not in any traces pipeline.",
    "Add the receiver to service.pipelines.traces.receivers in the collector's config.",
)


# --- settings and the app's environment (heading 3: spans are not being created) ---------------------

SETTINGS_NOTE = kind(
    "app.export-setting-ignored",
    W,
    Stage.APP,
    CREATED,
    "An OTLP export setting (flag or OTEL_* variable) could not be used as written.",
    "Fix the value named in the message; the SDK drops or ignores it the same way.",
)


# Modules that declare finding kinds of their own, in the same table.
_DECLARING_MODULES: tuple[str, ...] = ("otdiag.validate.kinds",)


def load_all() -> dict[str, Kind]:
    """Every kind otdiag knows, including those declared outside this module."""
    import importlib

    for name in _DECLARING_MODULES:
        importlib.import_module(name)
    return KINDS
