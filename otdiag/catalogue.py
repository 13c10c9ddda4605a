"""Every finding otdiag can report, with its stable code, stage, guide and fix.

A `Kind` is declared once here (validate-config's family in otdiag.catalogue_config, imported
below by name), referred to by its name, and called to make a `Finding`. No other module declares one,
so the table is complete as soon as this module is imported.
docs/findings.md is generated from this table and checked by a test, so a code
is documented as soon as it exists. Codes are never renamed or reused.
"""

from __future__ import annotations

from otdiag import catalogue_config
from otdiag.finding_kind import COLLECTED, CREATED, IN_JAEGER, INFO, KINDS, E, Kind, Origin, W, kind, kind_of
from otdiag.model import Stage

__all__ = [
    "COLLECTED", "CREATED", "INFO", "IN_JAEGER", "KINDS", "E", "Kind", "Origin", "W", "catalogue_config", "kind",
    "kind_of",
]  # fmt: skip

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
    "Neither OTLP port nor the health endpoint answers: the collector is not running there (check's name for "
    "ingest.refused when every port of the collector refuses; send-test-span and run try only the export).",
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
INGEST_JAEGER_V1 = kind(
    "ingest.jaeger-v1-port",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The endpoint is one of Jaeger v1's own ports (Thrift HTTP 14268, gRPC 14250, admin 14269): no OTLP there.",
    "Send OTLP to Jaeger v1.35+'s OTLP ports (4317 gRPC, 4318 HTTP) or to a collector.",
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
INGEST_BAD_HEADER = kind(
    "ingest.bad-header",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The exporter could not send a header: its value has a newline, a leading space or another forbidden character.",
    "Strip the value in OTEL_EXPORTER_OTLP_HEADERS (or headers=): key=value pairs, comma-separated, percent-encoded.",
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
JAEGER_BAD_ANSWER = kind(
    "jaeger.bad-answer",
    E,
    Stage.JAEGER,
    IN_JAEGER,
    "Jaeger's query API answered with something that is not a well-formed answer (wrong types, "
    "impossible timestamps, nesting too deep): a broken proxy, a foreign server or a Jaeger bug.",
    "Check that --jaeger-url reaches Jaeger's query service directly (no proxy rewriting its answers); "
    "the finding quotes what it sent.",
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


# --- traces fetched back from Jaeger ---------------------------------------------------------------

TRACE_NOT_FOUND = kind(
    "trace.not-found",
    E,
    Stage.JAEGER,
    IN_JAEGER,
    "Jaeger has no trace with that ID (or none matched the search).",
    "Check the ID and time range; if the span was just sent, wait (--wait 30s) for the batch and storage delays.",
)
TRACE_ORPHANS = kind(
    "trace.orphan-spans",
    W,
    Stage.APP,
    CREATED,
    "Spans name a parent span that is not in the trace: context propagation broke, or the parent was lost.",
    "Propagate the traceparent header between services, and check the parent's service exports its spans.",
)
TRACE_ROOTS = kind(
    "trace.several-roots",
    W,
    Stage.APP,
    CREATED,
    "The trace has more than one root span.",
    "A service started a new root instead of continuing the incoming context: check propagation.",
)
TRACE_SKEW = kind(
    "trace.clock-skew",
    W,
    Stage.APP,
    None,
    "A child span starts before its parent or ends after it: the hosts' clocks disagree (or the work is async).",
    "Synchronise the hosts' clocks (NTP); for async work use a link or a FOLLOWS_FROM relationship.",
)
TRACE_ERRORS = kind(
    "trace.error-spans",
    INFO,
    Stage.APP,
    None,
    "Spans in the trace have status ERROR.",
    "Look at the error spans' status message and events.",
)
TRACE_UNKNOWN_SERVICE = kind(
    "trace.unknown-service",
    W,
    Stage.APP,
    CREATED,
    "Spans come from service unknown_service*: the app sets no service name.",
    "Set OTEL_SERVICE_NAME (or service.name in the SDK's Resource, not as a span attribute).",
)
TRACE_DUPLICATE_IDS = kind(
    "trace.duplicate-span-ids",
    W,
    Stage.APP,
    None,
    "Several spans share one span ID: a broken ID generator or spans exported twice.",
    "Use the SDK's default random ID generator; check that no span is exported by two processors.",
)
TRACE_FUTURE = kind(
    "trace.future-spans",
    W,
    Stage.APP,
    IN_JAEGER,
    "Spans start in the future: the sending host's clock is ahead, so searches by time range miss them.",
    "Synchronise the host's clock (NTP).",
)


TRACE_NOT_VISIBLE = kind(
    "trace.not-visible",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "The receiver accepted the test span, but it never became visible in Jaeger.",
    "Run otdiag check: it reads the collector's metrics to name the hop that lost it.",
)

# --- the application's OpenTelemetry environment (heading 3, and heading 1 for its export settings) ---

APP_SDK_DISABLED = kind(
    "app.sdk-disabled",
    E,
    Stage.APP,
    CREATED,
    "OTEL_SDK_DISABLED=true: the SDK hands out no-op tracers, so no span is ever recorded.",
    "Unset OTEL_SDK_DISABLED (or set it to false).",
)
APP_EXPORTER_NONE = kind(
    "app.exporter-none",
    E,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_EXPORTER selects no exporter: spans are created and thrown away.",
    "Set OTEL_TRACES_EXPORTER=otlp.",
)
APP_EXPORTER_CONSOLE = kind(
    "app.exporter-console",
    E,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_EXPORTER=console prints spans to stdout instead of sending them to the collector.",
    "Set OTEL_TRACES_EXPORTER=otlp (or otlp,console to keep both).",
)
APP_EXPORTER_JAEGER = kind(
    "app.exporter-jaeger",
    E,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_EXPORTER names the Jaeger exporter, removed from the SDKs (Python 1.22): no SDK starts.",
    "Use OTLP: OTEL_TRACES_EXPORTER=otlp and point OTEL_EXPORTER_OTLP_ENDPOINT at the collector (or Jaeger's 4317).",
)
APP_EXPORTER_UNKNOWN = kind(
    "app.exporter-unknown",
    E,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_EXPORTER names an exporter the SDK does not have: auto-instrumentation fails to start.",
    "Use otlp, console or none (names are case-sensitive in Python); install the exporter package if needed.",
)
APP_JAEGER_VARIABLES = kind(
    "app.jaeger-variables",
    W,
    Stage.APP,
    CREATED,
    "OTEL_EXPORTER_JAEGER_* variables are set, but nothing reads them any more (the Jaeger exporter was removed).",
    "Move the endpoint to OTEL_EXPORTER_OTLP_ENDPOINT (Jaeger takes OTLP on 4317/4318) and drop these variables.",
)
APP_SAMPLER_OFF = kind(
    "app.sampler-drops-all",
    E,
    Stage.APP,
    CREATED,
    "The sampler records no trace at all.",
    "Set OTEL_TRACES_SAMPLER=parentbased_always_on (the default), or a ratio above 0.",
)
APP_SAMPLER_ARG = kind(
    "app.sampler-arg-invalid",
    E,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_SAMPLER_ARG is not a ratio in [0, 1]: the Python SDK refuses to start its tracer provider.",
    "Set OTEL_TRACES_SAMPLER_ARG to a number between 0 and 1 (e.g. 0.25).",
)
APP_SAMPLER_ARG_IGNORED = kind(
    "app.sampler-arg-ignored",
    W,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_SAMPLER_ARG is set but not used as written (not a number, or the sampler takes no argument).",
    "Put the sampler name in OTEL_TRACES_SAMPLER and only the ratio in OTEL_TRACES_SAMPLER_ARG.",
)
APP_SAMPLER_LOW = kind(
    "app.sampler-low-ratio",
    W,
    Stage.APP,
    CREATED,
    "The sampler keeps only a small fraction of traces: most requests leave no trace in Jaeger.",
    "Raise OTEL_TRACES_SAMPLER_ARG while debugging (1.0 keeps everything).",
)
APP_SAMPLER_UNKNOWN = kind(
    "app.sampler-unknown",
    W,
    Stage.APP,
    CREATED,
    "OTEL_TRACES_SAMPLER names no built-in sampler: the SDK warns and uses the default.",
    "Use a built-in: always_on, always_off, traceidratio, parentbased_always_on, parentbased_traceidratio …",
)
APP_NO_SERVICE_NAME = kind(
    "app.no-service-name",
    W,
    Stage.APP,
    CREATED,
    "No service name is set: spans show up in Jaeger as unknown_service.",
    "Set OTEL_SERVICE_NAME=<your service> (a service.name span attribute does not count).",
)
APP_PROPAGATORS_NONE = kind(
    "app.propagators-none",
    W,
    Stage.APP,
    CREATED,
    "OTEL_PROPAGATORS disables context propagation: every service starts its own trace.",
    "Set OTEL_PROPAGATORS=tracecontext,baggage.",
)
APP_PROTOCOL_UNSET = kind(
    "app.protocol-unset-grpc-port",
    W,
    Stage.APP,
    COLLECTED,
    "OTEL_EXPORTER_OTLP_PROTOCOL is unset and the endpoint is a gRPC port (4317, or one that answers gRPC only): "
    "otdiag sends gRPC there, as the Python and .NET SDKs do; the Java agent 2.x, Node's SDK and Go's autoexport "
    "default to http/protobuf (the specification's default) and fail on it.",
    "Set OTEL_EXPORTER_OTLP_PROTOCOL=grpc (or use port 4318 with http/protobuf) so every SDK sends the same.",
)
APP_PROTOCOL_PORT = kind(
    "app.protocol-port-mismatch",
    E,
    Stage.APP,
    COLLECTED,
    "The export protocol does not match the endpoint's port (gRPC is 4317, OTLP/HTTP is 4318).",
    "Make OTEL_EXPORTER_OTLP_PROTOCOL and the endpoint's port agree.",
)
APP_PATH_DOUBLED = kind(
    "app.endpoint-path-doubled",
    E,
    Stage.APP,
    COLLECTED,
    "OTEL_EXPORTER_OTLP_ENDPOINT already ends in /v1/traces, and the SDK appends it again (404).",
    "Set OTEL_EXPORTER_OTLP_ENDPOINT to the base URL, e.g. http://collector:4318.",
)
APP_PATH_MISSING = kind(
    "app.traces-endpoint-no-path",
    E,
    Stage.APP,
    COLLECTED,
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT has no path; it is used as is, so the SDK POSTs to / (404).",
    "Add /v1/traces to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.",
)
APP_GRPC_TLS_DEFAULT = kind(
    "app.grpc-endpoint-means-tls",
    INFO,
    Stage.APP,
    COLLECTED,
    "The gRPC endpoint has no scheme and OTEL_EXPORTER_OTLP_INSECURE is not true, so the SDK uses TLS.",
    "For a plaintext collector use http://host:4317, or set OTEL_EXPORTER_OTLP_INSECURE=true.",
)
APP_PYTHON_DEVIATION = kind(
    "app.python-sdk-differs",
    W,
    Stage.APP,
    COLLECTED,
    "The Python SDK reads this setting differently from the specification.",
    "Write the value so that both readings agree (see the message).",
)


# --- end to end, and the collector's own view of where spans went ---------------------------------

E2E_NOT_VISIBLE = kind(
    "e2e.not-visible",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "The collector accepted the test span, but it never showed up in Jaeger, and nothing says where it went.",
    "Expose the collector's metrics (service.telemetry.metrics) and pass --collector-metrics-url for a diagnosis.",
)
COLLECTOR_DROPPED = kind(
    "collector.processor-dropped",
    E,
    Stage.COLLECTOR,
    IN_JAEGER,
    "A processor in the collector's traces pipeline dropped the test span (a sampler or a filter).",
    "Check that processor's settings (sampling_percentage, filter conditions); it discards traces on purpose.",
)
COLLECTOR_TAIL_SAMPLING = kind(
    "collector.tail-sampling-holds",
    E,
    Stage.COLLECTOR,
    IN_JAEGER,
    "tail_sampling still holds the test trace: it waits decision_wait (30 s by default) before it decides.",
    "Wait decision_wait before searching (otdiag check --wait 40s), and check the policies keep your traces.",
)
EXPORT_STUCK = kind(
    "export.not-delivering",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "The collector accepted the span, but its exporter is not delivering to Jaeger (it sits in the queue, retrying).",
    "Check the exporter's endpoint, port and TLS against Jaeger's OTLP receiver (4317 gRPC, 4318 HTTP).",
    hop=True,
)
EXPORT_FAILED = kind(
    "export.failed",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "The collector's exporter failed to send spans (otelcol_exporter_send_failed_spans rose).",
    "Read the exporter error in the collector's log; check its endpoint, port and TLS against Jaeger.",
    hop=True,
)
EXPORT_QUEUE_FULL = kind(
    "export.queue-full",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "The exporter's sending queue is full: spans are dropped (otelcol_exporter_enqueue_failed_spans > 0).",
    "Fix the exporter's destination first; then size sending_queue.queue_size to the load.",
    hop=True,
)
JAEGER_NOT_STORED = kind(
    "jaeger.not-stored",
    E,
    Stage.JAEGER,
    IN_JAEGER,
    "The collector exported the span, but Jaeger does not show it: storage, or the exporter points elsewhere.",
    "Check that the exporter targets this Jaeger, and Jaeger's storage backend and logs.",
)
COLLECTOR_PAST_REFUSALS = kind(
    "collector.refused-before",
    W,
    Stage.COLLECTOR,
    COLLECTED,
    "The collector has refused spans since it started (otelcol_receiver_refused_spans > 0): memory_limiter.",
    "Give the collector more memory or lower the load; check memory_limiter's limits.",
)
COLLECTOR_NO_METRICS = kind(
    "collector.metrics-unreachable",
    INFO,
    Stage.COLLECTOR,
    None,
    "The collector's internal metrics endpoint does not answer, so otdiag cannot see where spans go inside it.",
    "Expose service.telemetry.metrics (a prometheus pull reader) and pass --collector-metrics-url.",
)
APP_ENV_EMPTY = kind(
    "app.env-empty",
    INFO,
    Stage.APP,
    None,
    "This environment sets no OTEL_* variable, so the application's own settings were not checked.",
    "Run otdiag check in the app's environment, or pass it with --env-file.",
)

# --- per component (check.loss), across tiers (check.tiers) and fleets (collector.fleet): issue 17 -----------

COLLECTOR_NO_BACKEND = kind(
    "collector.no-trace-backend",
    E,
    Stage.COLLECTOR,
    IN_JAEGER,
    "The collector took the test span and sent it only through exporters that store nothing (debug, file, nop).",
    "Add an otlp_grpc exporter aimed at Jaeger (or the next collector) to the traces pipeline's exporters.",
)
COLLECTOR_PROCESSOR_HOLDS = kind(
    "collector.processor-holds",
    E,
    Stage.COLLECTOR,
    IN_JAEGER,
    "A processor took the test span in and has not let it out yet: it holds spans for its configured wait.",
    "Wait past the processor's wait before searching (check --wait), or shorten it (batch timeout, decision_wait).",
)
COLLECTOR_HOP_LOST = kind(
    "collector.hop-lost",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "A collector exported the test span to the next collector, which never accepted it.",
    "Check that the exporter's endpoint is the next tier's OTLP receiver (host, port, protocol).",
    hop=True,
)
CHAIN_BROKEN_HOP = kind(
    "chain.broken-hop",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "A tier's exporter points where no tier given with --config listens, and the next tier's receiver is unused.",
    "Point the exporter's endpoint at the next tier's OTLP receiver (the message names it).",
    hop=True,
)
CONFIG_NO_BACKEND = kind(
    "config.traces-no-backend",
    W,
    Stage.COLLECTOR,
    IN_JAEGER,
    "A traces pipeline exports only to debug, file or nop: no span of it ever reaches a trace backend.",
    "Add an otlp_grpc exporter aimed at Jaeger (or the next collector) to the pipeline's exporters.",
    origin=Origin.CONFIG,
)
FLEET_UNREACHABLE = kind(
    "fleet.prometheus-unreachable",
    E,
    Stage.OTDIAG,
    None,
    "Prometheus's HTTP API does not answer at --prometheus-url (or not as Prometheus).",
    "Pass Prometheus's base URL (http://prometheus:9090), the one its web UI is served at.",
    origin=Origin.FLEET,
)
FLEET_NO_COLLECTORS = kind(
    "fleet.no-collectors",
    W,
    Stage.COLLECTOR,
    None,
    "Prometheus holds no otelcol_* span series for the selector: it scrapes no collector's internal metrics.",
    "Add a scrape job for each collector's service.telemetry metrics port (8888), or fix --prometheus-selector.",
    origin=Origin.FLEET,
)
FLEET_DOWN = kind(
    "fleet.instance-down",
    W,
    Stage.COLLECTOR,
    COLLECTED,
    "Prometheus cannot scrape some collector instances (up == 0): they are down, or their metrics port is.",
    "Check those collectors are running and expose service.telemetry metrics where Prometheus scrapes them.",
    origin=Origin.FLEET,
)
FLEET_REFUSED = kind(
    "fleet.spans-refused",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "Collector instances refused spans in the window (otelcol_receiver_refused_spans rose): memory_limiter.",
    "Give those collectors more memory or more replicas; check memory_limiter and the exporters behind it.",
    origin=Origin.FLEET,
)
FLEET_DROPPED = kind(
    "fleet.spans-dropped",
    E,
    Stage.COLLECTOR,
    IN_JAEGER,
    "Processors of some collector instances let fewer spans out than came in during the window.",
    "Check those processors (samplers, filters): they discard spans, on purpose or by a wrong condition.",
    origin=Origin.FLEET,
)
FLEET_EXPORT_FAILED = kind(
    "fleet.export-failed",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "Exporters of some collector instances failed to send spans in the window (send_failed rose).",
    "Read those collectors' exporter errors; check the next tier or Jaeger answers at their endpoints.",
    origin=Origin.FLEET,
)
FLEET_QUEUE_FULL = kind(
    "fleet.queue-full",
    E,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "Exporters of some collector instances dropped spans on a full sending queue in the window.",
    "Fix what their exporters send to first; then size sending_queue.queue_size to the load.",
    origin=Origin.FLEET,
)
FLEET_QUEUE_FILLING = kind(
    "fleet.queue-filling",
    W,
    Stage.COLLECTOR_EXPORT,
    IN_JAEGER,
    "Exporter queues of some collector instances are over 80% full: spans will be dropped soon.",
    "Check the exporter's destination is healthy and fast enough; scale out the next tier.",
    origin=Origin.FLEET,
)


# The collector -> Jaeger hop fails the same ways the app -> collector hop does; the fixes are in the
# collector's exporter config instead. One export.* kind per ingest.* cause, probed from otdiag's host.
_EXPORT_HINTS = {
    "refused": "Start Jaeger, or point the exporter's endpoint at Jaeger's OTLP port (gRPC 4317, HTTP 4318).",
    "timeout": "Check the exporter's host and port and the network between the collector and Jaeger.",
    "no-answer": "The process at the exporter's endpoint is hung or is not an OTLP receiver.",
    "dns": "Fix the exporter's host name (it may only resolve inside the collector's network).",
    "unreachable": "Check the exporter's address and the network between the collector and Jaeger.",
    "tls-to-plaintext": "Jaeger's OTLP port is plaintext: set tls: {insecure: true} on the exporter.",
    "plaintext-to-tls": "Jaeger's OTLP port expects TLS: drop tls.insecure and set tls.ca_file.",
    "tls-unknown-ca": "Set the exporter's tls.ca_file to the CA that signed Jaeger's certificate.",
    "tls-expired": "Renew Jaeger's server certificate.",
    "tls-hostname": "Use a host name Jaeger's certificate lists, or set tls.server_name_override.",
    "tls-client-cert": "Give the exporter tls.cert_file and tls.key_file (Jaeger requires mTLS).",
    "tls-failed": "Compare the exporter's tls block with Jaeger's receiver TLS settings.",
    "grpc-to-http-port": "The gRPC exporter points at an HTTP port (4318, or 16686 the query UI): use Jaeger's 4317.",
    "http-to-grpc-port": "The OTLP/HTTP exporter points at a gRPC port: use 4318, or the otlp_grpc exporter.",
    "connection-closed": "Check that the exporter's endpoint is Jaeger's OTLP receiver and TLS matches.",
    "not-otlp": "The exporter's endpoint is not an OTLP receiver (16686 is Jaeger's query UI): use 4317/4318.",
    "path-doubled": "otlp_http appends /v1/traces itself: set its endpoint to the base URL.",
    "path-missing": "Set traces_endpoint to a URL ending in /v1/traces.",
    "http-404": "The exporter's URL path does not exist on Jaeger: use the base URL (http://jaeger:4318).",
    "no-traces-pipeline": "Add Jaeger's otlp receiver to its traces pipeline.",
    "auth": "Give the exporter the credentials Jaeger's receiver expects (headers or auth).",
    "too-large": "Lower batch send_batch_max_size, or raise Jaeger's max_recv_msg_size_mib.",
    "http-error": "Read Jaeger's log for the export request.",
    "jaeger-v1-port": "The exporter points at Jaeger v1's own port (14250/14268): use its OTLP port 4317 or 4318.",
}
EXPORT_KINDS: dict[str, Kind] = {}
for _suffix, _hint in _EXPORT_HINTS.items():
    _base = KINDS.get(f"ingest.{_suffix}")
    _title = _base.title if _base else "The collector's exporter cannot deliver to Jaeger."
    EXPORT_KINDS[_suffix] = kind(
        f"export.{_suffix}",
        E,
        Stage.COLLECTOR_EXPORT,
        IN_JAEGER,
        "Collector -> Jaeger: " + _title,
        _hint,
        hop=True,
        proves=True,
    )


COLLECTOR_NO_ZPAGES = kind(
    "collector.zpages-unreachable",
    INFO,
    Stage.COLLECTOR,
    None,
    "The config enables zpages, but they do not answer at the address it gives.",
    "Check the zpages extension's endpoint (it binds localhost:55679 by default).",
)

# --- inside a Python app: what otdiag run's in-process observer saw (heading 3) -------------------

APP_CRASHED = kind(
    "app.crashed",
    E,
    Stage.APP,
    CREATED,
    "The app crashed with an uncaught exception: spans it had not exported yet were lost with it.",
    "Fix the exception at the file:line shown (the traceback is on the app's stderr).",
)
APP_JAEGER_REMOVED = kind(
    "app.jaeger-exporter-removed",
    E,
    Stage.APP,
    CREATED,
    "The app uses opentelemetry-exporter-jaeger, removed from OpenTelemetry Python after its last release, "
    "1.21.0; it spoke Thrift to Jaeger v1's ports (14268 HTTP, 6831 UDP), which Jaeger v2 does not open.",
    "Export OTLP instead: BatchSpanProcessor(OTLPSpanExporter()) from "
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter, without endpoint= (it then sends to localhost:4317, "
    "or where the OTLP endpoint variable says): the collector's or Jaeger's OTLP port (4317 gRPC, 4318 HTTP).",
)
APP_OTEL_IMPORT = kind(
    "app.otel-import-failed",
    E,
    Stage.APP,
    CREATED,
    "The app imports an OpenTelemetry module that is not installed in its environment.",
    "Install the distribution that provides it in the app's environment (pip install …), or fix the import.",
)
APP_VERSION_SKEW = kind(
    "app.otel-version-skew",
    E,
    Stage.APP,
    CREATED,
    "The OpenTelemetry API, SDK and exporter distributions are at versions that do not go together.",
    "Install one release of them all: pip install -U opentelemetry-api opentelemetry-sdk opentelemetry-exporter-otlp.",
)
APP_NO_PROVIDER = kind(
    "app.no-provider",
    E,
    Stage.APP,
    CREATED,
    "The app started spans, but no SDK TracerProvider was ever set: the API's no-op tracer made them.",
    "Before taking tracers: provider = TracerProvider(); provider.add_span_processor(BatchSpanProcessor("
    "OTLPSpanExporter())); trace.set_tracer_provider(provider).",
)
APP_PROVIDER_NOT_SET = kind(
    "app.provider-not-set",
    E,
    Stage.APP,
    CREATED,
    "The app built an SDK TracerProvider but never passed it to trace.set_tracer_provider(); "
    "trace.get_tracer() hands out no-op tracers.",
    "Call trace.set_tracer_provider(provider) right after building the provider.",
)
APP_SPANS_BEFORE_PROVIDER = kind(
    "app.spans-before-provider",
    W,
    Stage.APP,
    CREATED,
    "Spans were started before the TracerProvider was set: those are no-ops and never exported.",
    "Set the TracerProvider at start-up, before the first span.",
)
APP_WORKER_NO_PROVIDER = kind(
    "app.worker-no-provider",
    E,
    Stage.APP,
    CREATED,
    "Spans were started in a child process (a multiprocessing worker, or another Python the app ran) that never "
    "set a TracerProvider: the provider the parent set lives in the parent only, so the child's spans are no-ops. "
    "A spawned (or forkserver) worker imports the app's module without running its `if __name__ == "
    '"__main__":` block.',
    "Set the provider in each worker too: Pool(initializer=setup_tracing), or at the top of the module the worker "
    "imports; flush it before the worker ends (provider.shutdown() in the worker, or a Pool without terminate()).",
)
APP_DAEMON_THREAD_CUT = kind(
    "app.daemon-thread-cut",
    E,
    Stage.APP,
    CREATED,
    "A daemon thread was still inside a span when the app exited: the interpreter stops daemon threads at exit "
    "without running their code on, so the span never ends and is never exported.",
    "Stop and join() the thread before the app exits (or make it non-daemon), so its spans end before "
    "provider.shutdown() runs.",
)
APP_PARENT_NOT_SAMPLED = kind(
    "app.parent-not-sampled",
    E,
    Stage.APP,
    CREATED,
    "Spans were dropped because their parent is not sampled (a traceparent ending in -00): the ParentBased "
    "sampler follows the parent's decision.",
    "Fix the sampler upstream, or use ParentBased(root=..., remote_parent_not_sampled=ALWAYS_ON) while debugging.",
)
APP_NO_PROCESSOR = kind(
    "app.no-span-processor",
    E,
    Stage.APP,
    CREATED,
    "The TracerProvider records spans, but no span processor was added to it: nothing is exported.",
    "provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter())) before the first span.",
)
APP_NO_SPAN_STARTED = kind(
    "app.no-span-started",
    E,
    Stage.APP,
    CREATED,
    "The SDK was set up, but the app never started a span.",
    "Start spans (with tracer.start_as_current_span(...)), or check that the instrumentation is applied "
    "before the instrumented library is used.",
)
APP_SDK_NOT_IN_INTERPRETER = kind(
    "app.sdk-not-in-interpreter",
    E,
    Stage.APP,
    CREATED,
    "The Python that ran the app has no OpenTelemetry installed, though its launcher (opentelemetry-instrument) "
    "expected it: the launcher picked another interpreter (`python` from PATH), so nothing is instrumented.",
    "Give the launcher the interpreter of the environment OpenTelemetry is installed in "
    "(opentelemetry-instrument .venv/bin/python app.py), or activate that environment first.",
)
APP_INSTRUMENTATION_MISSING = kind(
    "app.instrumentation-missing",
    E,
    Stage.APP,
    CREATED,
    "The app runs under opentelemetry-instrument, but the instrumentation of a library it uses is not "
    "installed: auto-instrumentation instruments only libraries whose instrumentation package is there.",
    "Install the instrumentation packages it names (or run `opentelemetry-bootstrap -a install` in the "
    "app's environment).",
)
APP_SPAN_NOT_ENDED = kind(
    "app.span-not-ended",
    E,
    Stage.APP,
    CREATED,
    "Spans were started but never ended: a span is exported only when it ends.",
    "Use `with tracer.start_as_current_span(...)`, or call span.end() in a finally block.",
)
APP_EXIT_BEFORE_FLUSH = kind(
    "app.exit-before-flush",
    E,
    Stage.APP,
    CREATED,
    "The app exited before the SDK flushed its queue (os._exit, or shutdown_on_exit=False without "
    "shutdown()): the queued spans were lost.",
    "Call provider.shutdown() (or provider.force_flush()) before the process exits.",
)
APP_SPANS_AFTER_SHUTDOWN = kind(
    "app.spans-after-shutdown",
    E,
    Stage.APP,
    CREATED,
    "Spans ended after provider.shutdown(): a shut-down span processor drops them.",
    "Call provider.shutdown() once, after the last span has ended.",
)
APP_NO_OPENTELEMETRY = kind(
    "app.not-instrumented",
    E,
    Stage.APP,
    CREATED,
    "The Python app never imported OpenTelemetry: nothing in it creates spans.",
    "Set up the SDK in the code (TracerProvider, BatchSpanProcessor(OTLPSpanExporter()), spans), or run it "
    "under opentelemetry-instrument with the instrumentations of its libraries installed.",
)
APP_EXPORTER_NO_ENDPOINT = kind(
    "app.exporter-no-endpoint",
    E,
    Stage.APP,
    CREATED,
    "The only exporters send nowhere (InMemorySpanExporter, or a custom exporter without an endpoint).",
    "Add BatchSpanProcessor(OTLPSpanExporter()) to the TracerProvider.",
)
APP_EXPORTED_ELSEWHERE = kind(
    "app.exported-elsewhere",
    W,
    Stage.APP,
    COLLECTED,
    "The exporter delivered spans to an endpoint set in the code, bypassing OTEL_EXPORTER_OTLP_ENDPOINT.",
    "Nothing to fix if that endpoint is right; drop endpoint= from the exporter to let the environment decide.",
)
APP_SPANS_LOST = kind(
    "app.spans-lost",
    E,
    Stage.APP,
    CREATED,
    "Some of the spans the app's SDK sampled never reached the receiver (others did): a partial loss.",
    "Read where they were lost (never ended, queue full, export failed, after shutdown, never flushed) and "
    "fix that place in the code.",
)
APP_OBSERVER_ERROR = kind(
    "app.observer-error",
    INFO,
    Stage.APP,
    None,
    "otdiag's in-process observer hit an error of its own; the app was not affected, the report may be partial.",
    "Please report it with the evidence shown.",
)
APP_OBSERVER_ABSENT = kind(
    "app.observer-not-loaded",
    INFO,
    Stage.APP,
    None,
    "The app looks like a Python program, but otdiag's in-process observer did not load, so only what reached "
    "the receiver and the environment were analysed.",
    "Run the app as `python app.py` (not python -I, -S or -E), and without opentelemetry-instrument's "
    "sitecustomize in front.",
)

# --- what `otdiag listen` and `otdiag run` see arrive (otdiag.listen.summary, otdiag.app.runner) ---------

APP_SERVICE_NAME_MISSING = kind(
    "app.service-name-missing",
    W,
    Stage.APP,
    CREATED,
    "Spans arrived with no service.name resource attribute (Jaeger lists them as missing-service-name).",
    "Build the Resource with Resource.create({...}) or set OTEL_SERVICE_NAME; a bare Resource({...}) "
    "ignores the environment.",
)
APP_ZERO_TRACE_ID = kind(
    "app.zero-trace-id",
    E,
    Stage.APP,
    CREATED,
    "Spans arrived with an all-zero or empty trace ID: they come from a non-recording or hand-built span.",
    "Create spans through an SDK TracerProvider (set it before taking tracers); never copy IDs by hand.",
)
APP_ZERO_SPAN_ID = kind(
    "app.zero-span-id",
    E,
    Stage.APP,
    CREATED,
    "Spans arrived with an all-zero or empty span ID.",
    "Create spans through an SDK TracerProvider; custom exporters or bridges must keep span IDs.",
)
APP_NON_POSITIVE_DURATION = kind(
    "app.non-positive-duration",
    W,
    Stage.APP,
    CREATED,
    "Spans end before (or when) they start; Jaeger rewrites their end time and adds a warning.",
    "End spans after starting them, with the SDK's clock (do not pass hand-made timestamps).",
)
LISTEN_REJECTED = kind(
    "listen.rejected-requests",
    W,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The receiver answered some export requests with an error (wrong path, content type or payload).",
    "Read the listed answers: each names what the exporter sent wrong.",
)
LISTEN_EVICTED = kind(
    "listen.evicted",
    INFO,
    Stage.OTDIAG,
    None,
    "Older traces were dropped to stay within --max-spans; totals still count them.",
    "Raise --max-spans to keep more traces queryable.",
)
APP_NO_SPANS = kind(
    "app.no-spans",
    E,
    Stage.APP,
    CREATED,
    "The app ran and exited without exporting a single span.",
    "Set an SDK TracerProvider with an OTLP exporter before taking tracers, and shut it down before exit.",
)
APP_PROVIDER_OVERRIDDEN = kind(
    "app.provider-set-twice",
    W,
    Stage.APP,
    CREATED,
    "The app set a TracerProvider after one was already set; the second (and its exporter) is ignored.",
    "Set the provider once, before any tracer is taken; under opentelemetry-instrument do not set your own.",
)
APP_QUEUE_FULL = kind(
    "app.queue-full",
    W,
    Stage.APP,
    COLLECTED,
    "The SDK's span queue overflowed: spans were dropped before export.",
    "Raise OTEL_BSP_MAX_QUEUE_SIZE / OTEL_BSP_MAX_EXPORT_BATCH_SIZE, or lower OTEL_BSP_SCHEDULE_DELAY.",
)
APP_EXPORTER_MISSING = kind(
    "app.exporter-not-installed",
    E,
    Stage.APP,
    CREATED,
    "The configured exporter is not installed (entry point not found): the SDK was not set up.",
    "Install opentelemetry-exporter-otlp (or set OTEL_EXPORTER_OTLP_PROTOCOL to the one installed).",
)
APP_INSTRUMENTATION_CONFLICT = kind(
    "app.instrumentation-not-applied",
    W,
    Stage.APP,
    CREATED,
    "An instrumentation package refused to load (DependencyConflict): its library makes no spans.",
    "Install the instrumentation version that matches the library version.",
)
APP_EXPORT_FAILED = kind(
    "app.export-failed",
    E,
    Stage.APP,
    COLLECTED,
    "The app's exporter failed to export: it sends somewhere other than the endpoint otdiag gave it.",
    "Do not hard-code endpoint= in the exporter; let OTEL_EXPORTER_OTLP_ENDPOINT decide.",
)
APP_KILLED = kind(
    "app.killed",
    W,
    Stage.APP,
    CREATED,
    "The app was killed by a signal: spans still queued in the SDK (up to 5 s worth) were lost.",
    "Handle SIGTERM and call provider.shutdown() (or force_flush()) before exiting.",
)
APP_AT_EXIT = kind(
    "app.spans-only-at-exit",
    INFO,
    Stage.APP,
    CREATED,
    "Every span arrived as the app shut down: they rely on the final flush, which os._exit, SIGKILL or a crash skips.",
    "Nothing to fix if the app always exits cleanly; otherwise flush (force_flush) at the end of each job.",
)
APP_DEFAULT_SERVICE = kind(
    "app.service-name-from-otdiag",
    INFO,
    Stage.APP,
    CREATED,
    "The app sets no service name of its own: its spans carry the default otdiag run injected.",
    "Set OTEL_SERVICE_NAME (or service.name in the Resource) in the app's environment.",
)

# --- validate-config --collector-version (otdiag.validate.versions) ------------------------------------

VERSION_NOT_YET = kind(
    "version.not-in-release",
    E,
    Stage.COLLECTOR,
    None,
    "The component type is newer than the collector release given with --collector-version.",
    "Use the name the release knows (named in the message), or upgrade the collector.",
)
VERSION_NOT_IN_KNOWLEDGE = kind(
    "version.settings-by-name",
    INFO,
    Stage.COLLECTOR,
    None,
    "The component exists in the given collector release, but otdiag knows its settings from another release.",
    "Nothing to fix; run the real collector's validate to check its settings.",
)

# --- families that live in their own packages (replay, the runtime observers, the SDK config file) ------
from otdiag import catalogue_families  # noqa: E402, F401
