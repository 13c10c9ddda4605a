"""Finding kinds only a Go app has (the causes shared with other runtimes reuse the generic codes)."""

from __future__ import annotations

from otdiag.catalogue import COLLECTED, CREATED, E, W, kind
from otdiag.model import Stage

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
