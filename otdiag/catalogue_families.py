"""Finding kinds of the families that live in their own packages: the runtime observers of `otdiag run`,
`otdiag replay`, and the SDK's declarative config file (validate-config).

Declared here, in a module with no imports beyond the catalogue's own, so that importing the catalogue
(which every command does) never loads those packages; each package's `kinds` module re-exports its own.
"""

from __future__ import annotations

from otdiag.finding_kind import COLLECTED, CREATED, INFO, E, W, kind
from otdiag.model import Stage

# --- Go observer (otdiag.run.observers.go) --------------------------------------------------------

GO_SCHEMA_CONFLICT = kind(
    "app.go-schema-url-conflict",
    E,
    Stage.APP,
    CREATED,
    "resource.Merge (or resource.New with detectors) failed with 'conflicting Schema URL': the app's "
    "semconv import and the SDK's own resource use different schema versions (opentelemetry-go#4959). "
    "Set-up code that returns on this error leaves the global no-op provider in place.",
    "Import the semconv package version the SDK uses (go.opentelemetry.io/otel/semconv/vX matching "
    "resource.Default().SchemaURL()), or build the resource with resource.NewSchemaless(...) before Merge.",
)
GO_ENDPOINT_SCHEME = kind(
    "app.go-endpoint-has-scheme",
    E,
    Stage.APP,
    COLLECTED,
    "otlptracehttp.WithEndpoint / otlptracegrpc.WithEndpoint was given a URL with its scheme "
    "(http://host:port); they want host:port, so the export URL is broken and every export fails.",
    'Pass host:port to WithEndpoint ("collector:4318"), or the full URL to WithEndpointURL '
    '("http://collector:4318"); or drop the option and set OTEL_EXPORTER_OTLP_ENDPOINT.',
)
GO_PROTOCOL_IGNORED = kind(
    "app.go-protocol-ignored",
    W,
    Stage.APP,
    COLLECTED,
    "OTEL_EXPORTER_OTLP_PROTOCOL asks for one OTLP protocol, but the Go binary links only the other "
    "exporter: Go's exporters are chosen in the code, and they do not read this variable.",
    "Build the exporter the variable names (otlptracegrpc for grpc, otlptracehttp for http/protobuf), "
    "or use go.opentelemetry.io/contrib/exporters/autoexport, which reads it.",
)
GO_TLS_BY_DEFAULT = kind(
    "app.go-tls-by-default",
    W,
    Stage.APP,
    COLLECTED,
    "The code gives the OTLP exporter an endpoint (WithEndpoint) but not WithInsecure(): the exporter then "
    "speaks TLS unless the environment has an http:// OTEL_EXPORTER_OTLP_ENDPOINT or "
    "OTEL_EXPORTER_OTLP_INSECURE=true, as under otdiag run. Against a plaintext collector (the usual 4317/4318 "
    "receiver) its exports time out.",
    "Add otlptracegrpc.WithInsecure() (otlptracehttp.WithInsecure()) for a plaintext collector, or use "
    'WithEndpointURL("http://collector:4317"); or make sure the deployment sets OTEL_EXPORTER_OTLP_INSECURE=true.',
)

# --- Java observer (otdiag.run.observers.java) ----------------------------------------------------

JAVA_ENDPOINT_OVERRIDDEN = kind(
    "app.java-endpoint-overridden",
    E,
    Stage.APP,
    COLLECTED,
    "A -Dotel.exporter.otlp.(traces.)endpoint system property overrides OTEL_EXPORTER_OTLP_ENDPOINT: the Java "
    "SDK and agent read the property first, so the app exports where the property says.",
    "Drop the -Dotel.exporter.otlp.endpoint property (command line, JAVA_TOOL_OPTIONS) to let "
    "OTEL_EXPORTER_OTLP_ENDPOINT decide, or set it to the collector's port for the protocol used.",
)
JAVA_AGENT_DISABLED = kind(
    "app.java-agent-disabled",
    E,
    Stage.APP,
    CREATED,
    "otel.javaagent.enabled=false: the OpenTelemetry Java agent loads but instruments nothing and sets no SDK, "
    "so GlobalOpenTelemetry stays a no-op.",
    "Remove -Dotel.javaagent.enabled=false (or OTEL_JAVAAGENT_ENABLED=false).",
)
JAVA_MUZZLE_SKIPPED = kind(
    "app.java-muzzle-skipped",
    W,
    Stage.APP,
    CREATED,
    "The Java agent's muzzle check skipped instrumentations whose references do not match the library on the "
    'classpath ("Instrumentation skipped, mismatched references"): those libraries make no spans.',
    "Run once with -Dotel.javaagent.debug=true to see which; upgrade the agent, or use a library version the "
    "agent supports.",
)
JAVA_OBSERVER_NOT_LOADED = kind(
    "app.java-observer-not-loaded",
    INFO,
    Stage.APP,
    None,
    "otdiag's Java observer agent did not report from inside the JVM: only the command line, the environment, "
    "stderr and the receiver were analysed.",
    "Install a JDK (javac) so otdiag can build its observer; run the app as `java …` rather than through a script.",
)

# --- Node.js observer (otdiag.run.observers.node) -------------------------------------------------

NODE_ESM_NOT_INSTRUMENTED = kind(
    "app.node-esm-not-instrumented",
    E,
    Stage.APP,
    CREATED,
    'The Node.js app is an ES module ("type": "module" or .mjs) instrumented through --require only: '
    "require hooks never see `import`, so http, express and the other imported libraries are not patched "
    "(opentelemetry-js#5024).",
    "Start the SDK from an ES module loaded with --import, and register the ESM hook first: "
    "module.register('@opentelemetry/instrumentation/hook.mjs', import.meta.url) (or "
    "node --import @opentelemetry/auto-instrumentations-node/register app.mjs).",
)
NODE_LOADED_BEFORE_INSTRUMENTATION = kind(
    "app.node-loaded-before-instrumentation",
    E,
    Stage.APP,
    CREATED,
    "The Node.js app required a library before the OpenTelemetry instrumentation for it was registered: "
    'its require hook never ran for it, so it is not patched ("Module X has been loaded before '
    '@opentelemetry/instrumentation-X").',
    "Start the SDK first: put it in its own file loaded with node --require ./tracing.js (or import it on the "
    "first line), before http, express and the other instrumented libraries are required.",
)
NODE_EXPORTER_URL_NO_PATH = kind(
    "app.node-exporter-url-no-path",
    E,
    Stage.APP,
    COLLECTED,
    "The OTLP/HTTP trace exporter was given a url in the code without /v1/traces: a url set in code is used "
    "as is, so it POSTs to a path the collector answers with 404.",
    "Give the full path: new OTLPTraceExporter({ url: 'http://collector:4318/v1/traces' }), or drop url and "
    "set OTEL_EXPORTER_OTLP_ENDPOINT (the SDK then appends /v1/traces itself).",
    covers=("ingest.path-missing", "ingest.http-404", "app.export-failed"),
)

# --- otdiag replay (otdiag.replay) ----------------------------------------------------------------

EXPECTATION_FAILED = kind(
    "replay.expectation-failed",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "A replayed span was kept where it was expected to be dropped, or dropped where it was expected to be kept.",
    "Change the processor named in the report (its condition or policy), or the expectation.",
)
COLLECTOR_FAILED = kind(
    "replay.collector-failed",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "The collector binary did not run the config's processors (it exited, or never opened its receiver).",
    "Fix what the collector's own error line says (run `otdiag validate-config` on the config), "
    "or give a binary that has these components with --otelcol.",
)
INPUT_REFUSED = kind(
    "replay.input-refused",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The collector refused the replayed spans at its receiver (a memory_limiter, or a malformed request).",
    "Read the refusal text; a memory_limiter refusing on an idle collector has its limits set too low.",
)
VERSIONS_DIFFER = kind(
    "replay.versions-differ",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "Two collector releases did different things with the same spans and the same config.",
    "Read the release notes of the processor named in the report before upgrading, and adapt its settings.",
)
INCONSISTENT = kind(
    "replay.inconsistent",
    W,
    Stage.COLLECTOR,
    None,
    "A later processor stage let out a span that an earlier stage dropped: a processor decides at random, "
    "so each of replay's copies of it decided differently.",
    "Read the outcome of such a processor as a sample, not a rule; replay again to see it vary.",
)
NOT_FAITHFUL = kind(
    "replay.not-faithful",
    INFO,
    Stage.COLLECTOR,
    None,
    "Some processors depend on wall-clock time, this machine or external state, so replay may differ "
    "from production for them.",
    "Nothing to fix; weigh those processors' outcomes accordingly.",
)
LEFT_OUT = kind(
    "replay.left-out",
    INFO,
    Stage.COLLECTOR,
    None,
    "Parts of the config do not run in replay (receivers, exporters, extensions): nothing outside is contacted.",
    "Nothing to fix; the report says which exporters each span would have reached.",
)
SCALED = kind(
    "replay.waits-shortened",
    INFO,
    Stage.COLLECTOR,
    None,
    "--fast shortened processors' waits (tail_sampling's decision_wait): decisions come sooner than in production.",
    "Replay without --fast to keep the config's own waits.",
)

# --- the SDK's declarative config file (otdiag.validate.sdkconfig) ------------------------------

SDK_FILE_FORMAT = kind(
    "sdk.config-file-format",
    E,
    Stage.APP,
    CREATED,
    "The SDK configuration file has no valid file_format: the SDK refuses it.",
    'Start the file with file_format: "1.0-rc.2" (the schema version it is written for).',
)
SDK_UNKNOWN_KEY = kind(
    "sdk.config-unknown-key",
    E,
    Stage.APP,
    CREATED,
    "A key of the SDK configuration file is not in the opentelemetry-configuration schema.",
    "Fix the spelling (see the did-you-mean) or remove the key.",
)
SDK_WRONG_TYPE = kind(
    "sdk.config-wrong-type",
    E,
    Stage.APP,
    CREATED,
    "A value of the SDK configuration file has the wrong type for the schema.",
    "Write the value as the schema types it (a number, true/false, a list, a mapping).",
)
SDK_NO_SPANS = kind(
    "sdk.config-no-spans",
    W,
    Stage.APP,
    CREATED,
    "The SDK configuration file makes the app record or export no spans (disabled SDK, no tracer "
    "provider or processor, a sampler that drops everything).",
    "Configure tracer_provider with a batch processor and an OTLP exporter, and a sampler that keeps spans.",
)
SDK_EXPORTER = kind(
    "sdk.config-exporter",
    W,
    Stage.APP,
    COLLECTED,
    "An exporter of the SDK configuration file points where its protocol is not served.",
    "otlp_http takes the full URL (http://collector:4318/v1/traces); otlp_grpc takes http://collector:4317.",
)
CONFIG_FILE_OVERRIDES = kind(
    "app.config-file-overrides-env",
    W,
    Stage.APP,
    CREATED,
    "OTEL_CONFIG_FILE is set: an SDK with declarative configuration reads that file and ignores the "
    "other OTEL_* variables, so what they say may not be what the app does.",
    "Check the file with `otdiag validate-config FILE`, or unset OTEL_CONFIG_FILE to use the variables.",
)
