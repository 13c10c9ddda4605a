"""Every finding `otdiag validate-config` reports, declared in the shared catalogue.

Errors carry the collector's own wording in their message where it has one. A kind in
START_TIME is an error `otelcol validate` lets through and the collector hits when it starts.
"""

from __future__ import annotations

from otdiag.finding_kind import COLLECTED, IN_JAEGER, Kind, Origin, kind
from otdiag.model import Severity, Stage

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
C, X, J = Stage.COLLECTOR, Stage.COLLECTOR_EXPORT, Stage.JAEGER
ING = Stage.COLLECTOR_INGEST


def _k(code: str, sev: Severity, title: str, hint: str, stage: Stage = C, guide: object = COLLECTED) -> Kind:
    g = IN_JAEGER if guide is IN_JAEGER else COLLECTED
    return kind(code, sev, stage, g, title, hint, origin=Origin.CONFIG)


# --- the file itself ---------------------------------------------------------------------------------
NOT_TEXT = _k("config.not-text", E, "The file is binary, not YAML text.", "Pass the collector's YAML config file.")
NOT_UTF8 = _k("config.not-utf8", E, "The file is not UTF-8 text.", "Save the config as UTF-8.")
TOO_LARGE = _k(
    "config.too-large",
    E,
    "The file is too large to be a collector config (over 1 MiB).",
    "Pass the collector's YAML config file.",
)
YAML_SYNTAX = _k(
    "config.yaml-syntax",
    E,
    "The file is not valid YAML.",
    "Fix the YAML syntax at the line shown (indentation, quotes, colons).",
)
DUPLICATE_KEY = _k(
    "config.duplicate-key",
    E,
    "A mapping key is repeated; the collector's YAML parser rejects the file.",
    "Merge the two entries into one, or rename one of them.",
)
ALIAS_BOMB = _k(
    "config.alias-bomb",
    E,
    "YAML aliases expand to an unbounded amount of data (an alias bomb).",
    "Remove the recursive anchors and aliases.",
)
TOO_DEEP = _k(
    "config.too-deep",
    E,
    "The YAML nests deeper than any config can (over 1000 levels).",
    "Pass the collector's YAML config file.",
)
NOT_A_MAPPING = _k(
    "config.not-a-mapping",
    E,
    "The top of the file is not a mapping (receivers:, exporters:, service: ...).",
    "Start the file with the top-level sections: receivers, processors, exporters, service.",
)
EMPTY = _k(
    "config.empty",
    E,
    "The file has no components at all: the collector refuses an empty configuration.",
    "Define receivers, exporters and service.pipelines.",
)

# --- ${...} expansion -------------------------------------------------------------------------------
ENV_INVALID_NAME = _k(
    "config.env-invalid-name",
    E,
    "A ${...} reference names an invalid environment variable (for example ${1} in a regex or OTTL).",
    'Escape a literal dollar as $$ ("$${1}"), or use a valid name: letters, digits, underscores.',
)
ENV_UNKNOWN_SCHEME = _k(
    "config.env-unknown-scheme",
    E,
    "A ${scheme:...} reference uses a scheme the collector has no provider for.",
    "Use env:, file:, yaml:, http: or https:, or escape the dollar as $$.",
)
ENV_NOT_SCALAR = _k(
    "config.env-not-scalar",
    E,
    "A ${...} reference inside a longer string expands to a map or list.",
    "Reference the variable as the whole value, or make it expand to a scalar.",
)

# --- sections, IDs, types, keys ---------------------------------------------------------------------
UNKNOWN_SECTION = _k(
    "config.unknown-section",
    E,
    "A top-level key is not a collector config section.",
    "Top-level keys are receivers, processors, exporters, connectors, extensions and service.",
)
INVALID_ID = _k(
    "config.invalid-id",
    E,
    "A component ID is not type[/name] with a valid type and name.",
    "Types are letters, digits and underscores, starting with a letter; write the name after one /.",
)
DUPLICATE_ID = _k(
    "config.duplicate-id",
    E,
    "Two component IDs are equal once surrounding spaces are trimmed.",
    "Remove the spaces, or give the two components different names.",
)
SECTION_NOT_MAP = _k(
    "config.section-not-a-map",
    E,
    "A section that must be a mapping holds a scalar or a list.",
    "Write the section as a mapping of IDs (or keys) to settings.",
)
UNKNOWN_TYPE = _k(
    "config.unknown-type",
    E,
    "No component of this type exists in the distribution.",
    "Check the spelling, or use a distribution that has the component (--distribution).",
)
REMOVED_TYPE = _k(
    "config.removed-type",
    E,
    "The component type was removed from the collector.",
    "Use the replacement named in the message.",
)
INVALID_KEYS = _k(
    "config.invalid-keys",
    E,
    "A component's settings hold keys the component does not have.",
    "Remove or rename the keys; see the component's README for its settings.",
)
WRONG_TYPE = _k(
    "config.wrong-type",
    E,
    "A setting has a value of the wrong type (a list for a string, text for a number...).",
    "Write the value as the type the message names.",
)
INVALID_VALUE = _k(
    "config.invalid-value",
    E,
    "A component's own validation rejects its settings.",
    "Fix the setting the message names.",
)
OTTL_SYNTAX = _k(
    "config.ottl-syntax",
    E,
    "An OTTL statement or condition (transform, filter) does not parse.",
    "Fix the OTTL at the column shown: balanced parentheses and quotes, `where` after the call.",
)
OTTL_INVALID = _k(
    "config.ottl-invalid",
    E,
    "An OTTL statement or condition names an unknown function, path or enum, or passes the wrong arguments.",
    "Use a function, path and enum of the statement's context (see the OTTL context and function references).",
)
OTTL_CONTEXT = _k(
    "config.ottl-context",
    E,
    "An OTTL context name is unknown, or not available for that list of statements or conditions.",
    "Use a context of the signal: resource, scope, span, spanevent, metric, datapoint, log or profile.",
)
TELEMETRY_INVALID = _k(
    "config.telemetry-invalid",
    E,
    "service.telemetry is not valid.",
    "Fix the setting the message names (see the collector's internal telemetry docs).",
)

# --- service and pipelines --------------------------------------------------------------------------
NO_RECEIVERS = _k(
    "config.no-receivers",
    E,
    "No receiver is configured.",
    "Add a receiver (for example otlp) under receivers: and use it in a pipeline.",
)
NO_EXPORTERS = _k(
    "config.no-exporters",
    E,
    "No exporter is configured.",
    "Add an exporter (for example otlp_grpc to Jaeger) under exporters: and use it in a pipeline.",
)
NO_PIPELINES = _k(
    "config.no-pipelines",
    E,
    "service.pipelines is empty: the collector needs at least one pipeline.",
    "Add service.pipelines.traces with receivers and exporters.",
)
INVALID_PIPELINE_ID = _k(
    "config.invalid-pipeline-id",
    E,
    "A pipeline ID is not signal[/name] with signal traces, metrics, logs or profiles.",
    "Name pipelines traces, metrics, logs or profiles, optionally followed by /name.",
)
PIPELINE_NO_RECEIVERS = _k(
    "config.pipeline-no-receivers",
    E,
    "A pipeline has no receiver.",
    "List at least one receiver (or connector) in the pipeline's receivers.",
)
PIPELINE_NO_EXPORTERS = _k(
    "config.pipeline-no-exporters",
    E,
    "A pipeline has no exporter.",
    "List at least one exporter (or connector) in the pipeline's exporters.",
)
DUPLICATE_PROCESSOR = _k(
    "config.duplicate-processor",
    E,
    "A pipeline lists the same processor twice.",
    "List each processor once per pipeline.",
)
UNDEFINED_COMPONENT = _k(
    "config.undefined-component",
    E,
    "A pipeline references a component that is not configured.",
    "Define the component in its section, or fix the name in the pipeline.",
)
UNDEFINED_EXTENSION = _k(
    "config.undefined-extension",
    E,
    "service.extensions references an extension that is not configured.",
    "Define the extension under extensions:, or remove it from service.extensions.",
)
CONNECTOR_AMBIGUOUS = _k(
    "config.connector-ambiguous",
    E,
    "A connector has the same ID as a receiver or an exporter.",
    "Rename the connector (for example forward/to-metrics).",
)
CONNECTOR_ONE_WAY = _k(
    "config.connector-one-way",
    E,
    "A connector is used as an exporter but not as a receiver of a supported signal (or the reverse).",
    "Use the connector as an exporter in one pipeline and as a receiver in another, with a signal pair it supports.",
)
CONNECTOR_CYCLE = _k(
    "config.connector-cycle",
    E,
    "Connectors join pipelines into a cycle.",
    "Break the cycle: data must not flow back into a pipeline it came from.",
)
SIGNAL_UNSUPPORTED = _k(
    "config.signal-unsupported",
    E,
    "A component is used in a pipeline of a signal it does not support.",
    "Move the component to a pipeline of a signal it supports.",
)
COMPONENT_CREATE = _k(
    "config.component-create",
    E,
    "The collector refuses a component's settings while creating it for a pipeline (so `validate` fails too).",
    "Fix the setting named in the message.",
)

# --- start-time errors (otelcol validate passes; the collector fails when it starts) ---------------------
AUTH_NOT_ENABLED = _k(
    "config.auth-extension-not-enabled",
    E,
    "auth.authenticator names an extension that is not in service.extensions (fails at start-up).",
    "Add the authenticator extension to service.extensions (and define it).",
)
TAIL_SAMPLING_POLICY = _k(
    "config.tail-sampling-policy",
    E,
    "A tail_sampling policy is invalid (fails at start-up).",
    "Give each policy a unique name and a known type with its settings.",
)
TLS_FILE = _k(
    "config.tls-file-missing",
    E,
    "A TLS cert_file, key_file or ca_file does not exist or cannot be read where the collector runs "
    "(fails at start-up).",
    "Fix the path (a relative one is read from the collector's working directory; --base-dir says which "
    "directory that is), or mount the file.",
)
QUEUE_STORAGE_UNDEFINED = _k(
    "config.queue-storage-undefined",
    E,
    "sending_queue::storage names an extension that is not defined or not in service.extensions (fails at start-up).",
    "Define the storage extension (file_storage) and add it to service.extensions, or remove storage.",
)
ADAPTIVE_NO_REMOTE = _k(
    "config.adaptive-sampling-no-extension",
    E,
    "Jaeger's adaptive_sampling processor runs without a remote_sampling extension configured for adaptive "
    "sampling (fails at start-up).",
    "Add a remote_sampling extension with an adaptive: section to extensions and service.extensions.",
    J,
    IN_JAEGER,
)
JAEGER_STORAGE_UNDECLARED = _k(
    "config.jaeger-storage-undeclared",
    E,
    "A Jaeger storage name is not declared in jaeger_storage.backends (fails at start-up).",
    "Declare the backend under extensions.jaeger_storage.backends, or fix the name.",
    J,
    IN_JAEGER,
)
JAEGER_STORAGE_NOT_ENABLED = _k(
    "config.jaeger-storage-not-enabled",
    E,
    "jaeger_storage is missing from service.extensions (fails at start-up).",
    "Add jaeger_storage to service.extensions, before jaeger_query.",
    J,
    IN_JAEGER,
)
JAEGER_STORAGE_INIT = _k(
    "config.jaeger-storage-init",
    E,
    "A jaeger_storage backend's settings are refused when Jaeger initializes the storage (fails at start-up).",
    "Fix the backend setting the message names (memory: max_traces must be greater than zero).",
    J,
    IN_JAEGER,
)
TELEMETRY_START = _k(
    "config.telemetry-start",
    E,
    "service.telemetry holds a value the collector refuses when it sets up its own telemetry (fails at start-up).",
    "Use a value the message lists (logs encoding: json or console).",
)
PORT_CONFLICT = _k(
    "config.port-conflict",
    E,
    "Two components bind the same port (fails at start-up).",
    "Give each listener its own port.",
)

START_TIME: frozenset[str] = frozenset(
    k.code
    for k in (
        AUTH_NOT_ENABLED,
        TAIL_SAMPLING_POLICY,
        TLS_FILE,
        QUEUE_STORAGE_UNDEFINED,
        ADAPTIVE_NO_REMOTE,
        JAEGER_STORAGE_UNDECLARED,
        JAEGER_STORAGE_NOT_ENABLED,
        JAEGER_STORAGE_INIT,
        TELEMETRY_START,
        PORT_CONFLICT,
    )
)

# --- warnings: what `otelcol validate` lets through -----------------------------------------------------
W_MEMORY_LIMITER_ORDER = _k(
    "config.memory-limiter-not-first",
    INFO,
    "memory_limiter is not the first processor of a pipeline.",
    "Put memory_limiter first in processors, so it refuses data before other work is done.",
)
W_NO_MEMORY_LIMITER = _k(
    "config.no-memory-limiter",
    INFO,
    "A pipeline has no memory_limiter: under load the collector can run out of memory.",
    "Add memory_limiter (check_interval: 1s, limit_percentage: 80) first in the pipeline.",
)
W_BATCH_BEFORE_SAMPLING = _k(
    "config.batch-before-sampling",
    INFO,
    "batch runs before tail_sampling, filter or a sampler in the pipeline.",
    "Put batch after the samplers and filters (last, before the exporters).",
)
W_K8S_AFTER_BATCH = _k(
    "config.k8s-attributes-after-batch",
    W,
    "k8s_attributes with pod_association from connection runs after batch, which loses the connection's address.",
    "Put k8s_attributes before batch.",
)
W_HTTP_SCHEME_TLS = _k(
    "config.grpc-http-scheme-tls",
    W,
    "An otlp_grpc endpoint starts with http:// but TLS stays on unless tls.insecure is true.",
    "Set tls.insecure: true for a plaintext receiver (Jaeger's 4317 is plaintext by default).",
    X,
    IN_JAEGER,
)
W_GRPC_NO_TLS_BLOCK = _k(
    "config.grpc-tls-default",
    W,
    "An otlp_grpc exporter to a plaintext port (4317/14250) has no tls block: TLS is on by default.",
    "Add tls: {insecure: true} for a plaintext receiver, or configure TLS explicitly.",
    X,
    IN_JAEGER,
)
W_WRONG_PORT = _k(
    "config.exporter-wrong-port",
    W,
    "An exporter speaks one protocol to a port that serves another (otlp_http to 4317, otlp_grpc to 4318/16686/14268).",
    "otlp_grpc goes to 4317, otlp_http to 4318; 16686 is Jaeger's UI, 14268 its Thrift port.",
    X,
    IN_JAEGER,
)
W_HTTP_ENDPOINT_FORM = _k(
    "config.otlp-http-endpoint-form",
    W,
    "An otlp_http endpoint has no scheme, or ends in /v1/traces (the exporter appends it).",
    "Write the base URL: http://host:4318 (or use traces_endpoint for a full URL).",
    X,
    IN_JAEGER,
)
W_TLS_CONTRADICTION = _k(
    "config.tls-insecure",
    W,
    "TLS settings contradict each other or switch verification off (insecure with https:// or a CA file; insecure_skip_verify).",  # noqa: E501
    "Use either plaintext (insecure: true, http://) or verified TLS (ca_file), not both.",
    X,
    IN_JAEGER,
)
W_LOCALHOST_RECEIVER = _k(
    "config.receiver-on-localhost",
    INFO,
    "A receiver's endpoint is left out: since v0.104 it defaults to localhost, out of reach of other hosts and containers.",  # noqa: E501
    "Write the endpoint: 0.0.0.0:4317 (or ${env:MY_POD_IP}:4317) when apps elsewhere send to it, localhost:4317 when they share its host.",  # noqa: E501
    ING,
)
W_UNUSED = _k(
    "config.unused-component",
    W,
    "A component is defined but used by no pipeline (or an extension not in service.extensions).",
    "Use it in a pipeline (service.extensions for an extension) or delete it.",
)
W_DEBUG_VERBOSE = _k(
    "config.debug-exporter",
    INFO,
    "The debug exporter is detailed (floods the log) or is a pipeline's only exporter (data goes nowhere).",
    "Add a real exporter (otlp_grpc to Jaeger); keep debug at basic verbosity.",
    X,
    IN_JAEGER,
)
W_QUEUE_DISABLED = _k(
    "config.queue-or-retry-disabled",
    W,
    "sending_queue or retry_on_failure is disabled on a network exporter: a blip loses data.",
    "Leave sending_queue and retry_on_failure enabled.",
    X,
    IN_JAEGER,
)
W_DUPLICATE_IN_LIST = _k(
    "config.duplicate-in-pipeline",
    INFO,
    "A pipeline lists the same receiver or exporter twice (the collector merges them silently).",
    "List each component once per pipeline.",
)
W_ROUTING_KEY = _k(
    "config.loadbalancing-routing-key",
    W,
    "load_balancing routes by service in front of tail sampling: a trace's spans split across collectors.",
    "Use routing_key: traceID in front of tail_sampling.",
    X,
    IN_JAEGER,
)
W_DEPRECATED = _k(
    "config.deprecated",
    INFO,
    "A deprecated component type, alias or setting is used.",
    "Use the replacement named in the message.",
)
W_UNITLESS_DURATION = _k(
    "config.unitless-duration",
    W,
    "A duration is a bare number, which the collector reads as nanoseconds (timeout: 10 is 10 ns).",
    'Write the unit: "10s", "500ms", "1m".',
)
W_ENV_NO_DEFAULT = _k(
    "config.env-without-default",
    INFO,
    "A ${env:X} reference has no default: when X is unset the value is silently empty.",
    "Add a default: ${env:X:-value}.",
)
W_BARE_DOLLAR = _k(
    "config.bare-dollar-var",
    W,
    "A bare $VAR is not expanded by the collector (since v0.104): it stays literally $VAR.",
    "Write ${env:VAR}.",
)
W_SERVICE_GRAPH_AFTER_SAMPLER = _k(
    "config.metrics-after-sampler",
    W,
    "span_metrics or service_graph is fed by a pipeline that samples first: the metrics undercount.",
    "Feed span_metrics/service_graph from a pipeline without samplers (fan out with a forward connector).",
    X,
    IN_JAEGER,
)
W_NO_MAX_BATCH = _k(
    "config.batch-no-max-size",
    INFO,
    "batch has no send_batch_max_size before a gRPC exporter: a batch can exceed gRPC's 4 MiB message limit.",
    "Set send_batch_max_size (for example 8192).",
    X,
    IN_JAEGER,
)
W_ADAPTIVE_WITHOUT_REMOTE = _k(
    "config.adaptive-without-remote-sampling",
    W,
    "adaptive_sampling is used but remote_sampling has no adaptive section.",
    "Configure extensions.remote_sampling.adaptive (and enable remote_sampling).",
    J,
    IN_JAEGER,
)
W_LITERAL_SECRET = _k(
    "config.literal-secret",
    W,
    "A secret (header, token, password) is written literally in the config.",
    "Read it from the environment: ${env:MY_TOKEN}.",
)
W_PORT_IN_USE_TELEMETRY = _k(
    "config.prometheus-on-8888",
    W,
    "A prometheus exporter listens on 8888, the collector's own metrics port.",
    "Use another port (for example 8889) for the prometheus exporter.",
)
W_RECEIVER_DEPRECATED_SETTING = _k(
    "config.deprecated-setting",
    INFO,
    "A deprecated setting is used (jaeger receiver remote_sampling, zipkin endpoint).",
    "Use the replacement named in the message.",
)
W_BINARY = _k(
    "config.collector-says",
    E,
    "The real collector's validate rejected the config (--otelcol / --with-binary).",
    "Fix what the collector's message says.",
)
W_BINARY_FAILED = _k(
    "config.collector-not-run",
    W,
    "The collector binary given could not be run to validate the config.",
    "Check the --otelcol path, or drop the option.",
    Stage.OTDIAG,
)

GRAPH_BUILD: frozenset[str] = frozenset(
    k.code for k in (COMPONENT_CREATE, SIGNAL_UNSUPPORTED, CONNECTOR_ONE_WAY, CONNECTOR_CYCLE)
)
"""What building the pipelines finds: `validate` reports it from the release whose DryRun builds them
(data/settings.json `validate_builds_pipelines_from`); before, the collector meets it at start-up."""
