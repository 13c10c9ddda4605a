"""Finding kinds only the Node.js observer of `otdiag run` reports (the shared ones live in catalogue.py)."""

from __future__ import annotations

from otdiag.catalogue import COLLECTED, CREATED, E, kind
from otdiag.model import Stage

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
)
