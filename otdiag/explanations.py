"""What `otdiag explain CODE` adds to a finding's catalogue entry: its usual causes and how to confirm it.

The catalogue (otdiag/catalogue.py and the modules that declare kinds) holds each code's meaning and
default fix; this table holds the rest, keyed by code. tests/test_explain.py fails when a code of the
catalogue has no causes here, or when this table names a code the catalogue does not have.

CONFIRM gives the way to confirm a finding for a whole family (the code's prefix); CONFIRM_CODE
overrides it for one code.
"""

from __future__ import annotations

CONFIRM: dict[str, str] = {
    "sdk": "`otdiag validate-config FILE` on the file OTEL_CONFIG_FILE names.",
    "chain": "`otdiag check --config agent=agent.yaml --config gateway=gateway.yaml` draws the chain with the "
    "hop marked, and probes each tier's exporters.",
    "replay": "`otdiag replay --json -c collector.yaml --span ...` shows each processor's stage for the span; "
    "the collector's debug exporter shows the same spans in production.",
    "app": "Run the app under `otdiag run -- CMD` (a Python app gets the in-process observer), or "
    "`otdiag check --env-file app.env --no-e2e` for its environment alone.",
    "collector": "`otdiag check --config collector.yaml` reads the collector's health and internal metrics "
    "(otelcol_receiver_*, otelcol_processor_*, otelcol_exporter_*) while it follows a test span.",
    "config": "`otdiag validate-config FILE` reports it at the file, line and column shown; "
    "`otelcol validate --config FILE` (or `--otelcol BINARY`) gives the real collector's verdict.",
    "e2e": "`otdiag check --collector-metrics-url http://collector:8888/metrics --wait 30s` follows the "
    "test span through the collector's metrics.",
    "export": "`otdiag check --config collector.yaml` probes the exporter's endpoint from otdiag's host; "
    "`docker logs COLLECTOR 2>&1 | otdiag check --collector-log -` reads the exporter's own errors "
    "(\"Exporting failed\") from the collector's log and names each one's cause.",
    "fleet": "Query Prometheus for the series named in the finding's evidence (rate over --window), or rerun "
    "`otdiag check --prometheus-url URL --window 10m`.",
    "ingest": "`otdiag send-test-span --endpoint URL` (the app's endpoint and protocol) shows exactly what the "
    "receiver answered; `--explain` shows where each setting came from.",
    "jaeger": "`otdiag find-trace --jaeger-url URL --service SERVICE` asks the same query API; "
    "`curl URL/api/services` shows its raw answer.",
    "listen": "The summary `otdiag listen` prints on exit (or its `--json-lines` summary) lists the counts.",
    "trace": "`otdiag find-trace TRACE_ID` shows the waterfall with the spans concerned marked; "
    "`--raw` prints Jaeger's own JSON.",
    "version": "`otdiag validate-config --collector-version X FILE` against the release you run, or the "
    "real binary's `validate` (`--otelcol BINARY`).",
}

CONFIRM_CODE: dict[str, str] = {
    "app.env-empty": "`env | grep ^OTEL_` in the app's own shell or container (`docker exec APP env`).",
    "app.otel-version-skew": "`pip list | grep opentelemetry` in the app's environment: API, SDK and "
    "exporter versions must belong to one release.",
    "app.jaeger-exporter-removed": "`pip show opentelemetry-exporter-jaeger` in the app's environment; "
    "`otdiag check --app-dir DIR --no-e2e` reads its requirements.",
    "app.observer-not-loaded": "`otdiag run -- python app.py` without -I/-S/-E; `--json` shows `observer.loaded`.",
    "collector.health-unreachable": "`curl http://collector:13133/` (health_check's default endpoint).",
    "collector.metrics-unreachable": "`curl http://collector:8888/metrics | grep otelcol_` on the collector's host.",
    "collector.zpages-unreachable": "`curl http://localhost:55679/debug/tracez` on the collector's host.",
    "config.collector-not-run": "Run the binary by hand: `BINARY --version`.",
    "e2e.not-visible": "`otdiag check --collector-metrics-url URL` with the collector's metrics reachable.",
    "fleet.prometheus-unreachable": "`curl URL/api/v1/query?query=up` answers with Prometheus's JSON.",
    "jaeger.unreachable": "`curl -sS URL/api/services` from the same host as otdiag.",
    "trace.not-found": "`otdiag find-trace TRACE_ID --wait 30s --lookback 2h`, and the collector's "
    "otelcol_exporter_sent_spans rising after the export.",
    "trace.not-visible": "`otdiag check` with the collector's metrics reachable names the hop.",
}

CAUSES: dict[str, tuple[str, ...]] = {
    # --- validate-config per release and the SDK's declarative config (issue 26) ------------------------
    "app.config-file-overrides-env": (
        "OTEL_CONFIG_FILE set in the image or deployment while the OTEL_* variables are still tuned by hand.",
    ),
    "config.adaptive-sampling-no-extension": (
        "adaptive_sampling added to a Jaeger v2 config without `remote_sampling: adaptive:` under extensions.",
    ),
    "config.queue-storage-undefined": (
        "sending_queue::storage: file_storage with the file_storage extension left out of extensions or "
        "service::extensions.",
    ),
    "config.tls-file-missing": (
        "A certificate path from another machine or container (a secret mounted elsewhere).",
        "A relative path resolved from a working directory other than the collector's.",
    ),
    "sdk.config-exporter": ("otlp_grpc pointed at port 4318, or otlp_http at 4317.", "An endpoint without /v1/traces."),
    "sdk.config-file-format": ("file_format missing, or a schema version the SDK does not read.",),
    "sdk.config-no-spans": ("disabled: true left in, no processor under tracer_provider, or an always_off sampler.",),
    "sdk.config-unknown-key": ("A misspelt key, or a key from another version of the schema.",),
    "sdk.config-wrong-type": ("A number written as a string (or the reverse), or a list where a map is expected.",),
    "chain.broken-hop": (
        "The agent's exporter names the gateway's old port, or the gateway's receiver moved (a changed "
        "endpoint, a protocol switched between grpc and http).",
        "The exporter names a host:port where no tier of the chain listens.",
    ),
    # --- runtime observers (issue 22) ----------------------------------------------------------------
    "app.go-endpoint-has-scheme": (
        'otlptracehttp.WithEndpoint(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")): the variable holds a URL, '
        "the option wants host:port.",
    ),
    "app.go-protocol-ignored": (
        "The deployment sets OTEL_EXPORTER_OTLP_PROTOCOL expecting the SDK to follow it, as Java and Node do; "
        "Go's exporters are chosen in the code.",
    ),
    "app.go-schema-url-conflict": (
        "The app imports a semconv/vX package older or newer than the SDK's resource.Default() schema.",
        "An upgrade of go.opentelemetry.io/otel/sdk without the matching semconv import.",
    ),
    "app.go-tls-by-default": ('WithEndpoint("collector:4317") copied from an example that also had WithInsecure().',),
    "app.java-agent-disabled": ("otel.javaagent.enabled=false left in JAVA_TOOL_OPTIONS or a start script.",),
    "app.java-endpoint-overridden": (
        "-Dotel.exporter.otlp.endpoint in a start script, JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS, written for "
        "another environment.",
    ),
    "app.java-muzzle-skipped": (
        "A library version newer (or older) than the agent's instrumentation supports.",
        "Two versions of one library on the classpath.",
    ),
    "app.java-observer-not-loaded": (
        "No javac on the machine (a JRE only), so otdiag could not build its observer agent.",
        "The command runs java through a wrapper script otdiag does not follow.",
    ),
    "app.node-esm-not-instrumented": (
        'node --require ./tracing.js app.mjs, or "type": "module" in package.json with a --require preload.',
    ),
    "app.node-exporter-url-no-path": (
        "new OTLPTraceExporter({ url: process.env.OTEL_EXPORTER_OTLP_ENDPOINT }): the base URL given as the full one.",
    ),
    "app.node-loaded-before-instrumentation": (
        "The tracing set-up is imported after the server module, or started inside main().",
        "A bundler (webpack, esbuild) inlined the library, so no require hook can patch it.",
    ),
    # --- replay (issue 27) -----------------------------------------------------------------------------
    "replay.collector-failed": (
        "A component the binary was not built with (a contrib processor on the core distribution).",
        "A setting the binary's release does not know (the config was written for another release).",
    ),
    "replay.expectation-failed": (
        "A filter condition that matches more (or less) than meant, e.g. on attributes the span does not carry.",
        "A sampling policy whose threshold or attribute value differs from the span's.",
    ),
    "replay.inconsistent": ("A probabilistic or rate-limiting processor deciding at random per instance.",),
    "replay.input-refused": ("memory_limiter limits below what the collector uses at start-up.",),
    "replay.left-out": ("The config's receivers, exporters, connectors and extensions are never started by replay.",),
    "replay.not-faithful": ("memory_limiter, batch, k8sattributes, resourcedetection in the pipeline.",),
    "replay.versions-differ": (
        "A processor's defaults or OTTL functions changed between the releases.",
        "A setting one release refuses (the collector did not start).",
    ),
    "replay.waits-shortened": ("--fast with tail_sampling (decision_wait) or groupbytrace (wait_duration).",),
    # --- the app (SDK) ---------------------------------------------------------------------------------
    "app.crashed": ("An uncaught exception ended the process before the batch processor's flush.",),
    "app.endpoint-path-doubled": (
        "The full URL http://host:4318/v1/traces was put in OTEL_EXPORTER_OTLP_ENDPOINT, the base URL variable.",
    ),
    "app.env-empty": (
        "otdiag runs in another shell or container than the app.",
        "The app configures OpenTelemetry only in code, so nothing is set in its environment.",
    ),
    "app.exit-before-flush": (
        "os._exit() (forked workers, some frameworks) skips atexit handlers.",
        "TracerProvider(shutdown_on_exit=False) without an explicit shutdown().",
    ),
    "app.export-failed": (
        "The exporter was built with endpoint= in the code, so it ignores the endpoint otdiag run set.",
        "That hard-coded endpoint does not answer.",
    ),
    "app.export-setting-ignored": (
        "A malformed value: a header without '=', a timeout that is not a number, an unknown compression.",
        "A flag or variable the chosen protocol does not use.",
    ),
    "app.exported-elsewhere": ("OTLPSpanExporter(endpoint=...) in the code overrides the environment.",),
    "app.exporter-console": ("Left over from local debugging, or copied from a getting-started example.",),
    "app.exporter-jaeger": ("A configuration written before the SDKs removed the Jaeger exporter (2023).",),
    "app.exporter-no-endpoint": (
        "A test setup (InMemorySpanExporter) reached production.",
        "A custom exporter that never got an endpoint.",
    ),
    "app.exporter-none": ("OTEL_TRACES_EXPORTER=none set to silence tracing, or copied from a metrics-only setup.",),
    "app.exporter-not-installed": (
        "opentelemetry-distro installed without opentelemetry-exporter-otlp.",
        "The protocol chosen (grpc or http/protobuf) names an exporter package that is not installed.",
    ),
    "app.exporter-unknown": ("A typo, or a name in the wrong case (OTLP instead of otlp).",),
    "app.grpc-endpoint-means-tls": ("A gRPC endpoint written host:4317 without a scheme.",),
    "app.instrumentation-missing": (
        "opentelemetry-instrument was run without `opentelemetry-bootstrap -a install` after adding a library.",
    ),
    "app.instrumentation-not-applied": (
        "The library is newer (or older) than the versions the instrumentation package supports.",
    ),
    "app.jaeger-exporter-removed": ("Code written for OpenTelemetry Python 1.21 or older, upgraded since.",),
    "app.jaeger-variables": ("Variables left from the Jaeger exporter era after the move to OTLP.",),
    "app.killed": (
        "The orchestrator's SIGTERM (then SIGKILL) at shutdown, with no handler that flushes.",
        "The OOM killer, or run's own --kill-after.",
    ),
    "app.no-provider": (
        "trace.set_tracer_provider() never called, or called in code that did not run.",
        "Tracers taken at import time, before the provider was set.",
    ),
    "app.no-service-name": ("Neither OTEL_SERVICE_NAME nor service.name in OTEL_RESOURCE_ATTRIBUTES is set.",),
    "app.no-span-processor": ("TracerProvider() built, but add_span_processor(...) forgotten.",),
    "app.no-span-started": (
        "The code path that creates spans did not run.",
        "Instrumentation applied after the instrumented library was imported or its app object built.",
    ),
    "app.no-spans": (
        "No SDK TracerProvider or no exporter (the more specific findings say which).",
        "The app exited before the batch processor's first export.",
    ),
    "app.non-positive-duration": ("Hand-made start/end timestamps, or timestamps in the wrong unit.",),
    "app.not-instrumented": ("The app has no OpenTelemetry code and was not started with opentelemetry-instrument.",),
    "app.observer-error": ("An app or library state otdiag's observer did not expect (a bug in otdiag).",),
    "app.observer-not-loaded": (
        "python -I, -S or -E ignores sitecustomize and PYTHONPATH.",
        "A launcher put its own sitecustomize first and did not chain to the next one.",
    ),
    "app.otel-import-failed": ("A package missing from the app's requirements, or a different virtualenv.",),
    "app.otel-version-skew": ("Only some opentelemetry-* packages upgraded (pip install -U of one of them).",),
    "app.parent-not-sampled": (
        "An upstream service (or a proxy) sends traceparent with flags 00: it sampled the trace out.",
    ),
    "app.propagators-none": ("OTEL_PROPAGATORS=none, or a list with no propagator the SDK knows.",),
    "app.protocol-port-mismatch": (
        "OTEL_EXPORTER_OTLP_PROTOCOL changed without changing the endpoint's port.",
        "Port 4317 given to an http/protobuf exporter, or 4318 to a gRPC one.",
    ),
    "app.provider-not-set": ("The provider was built and configured, but set_tracer_provider(provider) forgotten.",),
    "app.provider-set-twice": (
        "The app sets its own provider while running under opentelemetry-instrument, which set one already.",
    ),
    "app.python-sdk-differs": ("A value whose reading the Python SDK implements differently from the spec.",),
    "app.queue-full": ("More spans per second than the batch processor exports; a slow or failing exporter.",),
    "app.sampler-arg-ignored": (
        "OTEL_TRACES_SAMPLER_ARG set for a sampler that takes none (always_on), or not a number.",
    ),
    "app.sampler-arg-invalid": ("A percentage (25) written instead of a ratio (0.25), or a negative number.",),
    "app.sampler-drops-all": ("always_off, parentbased_always_off, or a ratio of 0.",),
    "app.sampler-low-ratio": ("A production sampling ratio kept while debugging one request.",),
    "app.sampler-unknown": ("A typo in OTEL_TRACES_SAMPLER, or a sampler of another SDK (jaeger_remote, xray).",),
    "app.sdk-disabled": ("OTEL_SDK_DISABLED=true set to switch tracing off in some environment, and left.",),
    "app.sdk-not-in-interpreter": (
        "opentelemetry-instrument runs `python` from PATH, not the virtualenv where OpenTelemetry is installed.",
    ),
    "app.service-name-from-otdiag": ("The app relies on the environment for its service name and has none.",),
    "app.service-name-missing": (
        "Resource({...}) instead of Resource.create({...}): the bare constructor skips the environment.",
    ),
    "app.worker-no-provider": (
        "multiprocessing's spawn start method (the default on macOS and Windows) or forkserver (the default on "
        'Linux from Python 3.14): the worker re-imports the module, and the set-up under `if __name__ == "__main__":` '
        "never runs there.",
        "A subprocess running another Python script that only uses the API.",
    ),
    "app.daemon-thread-cut": (
        "A background poller or consumer thread started with daemon=True and never stopped before exit.",
        "An executor or library thread still working when the main thread returned.",
    ),
    "app.span-not-ended": ("start_span() without end(), or an exception between start and end.",),
    "app.spans-lost": (
        "Worker threads or processes that never had a provider, or whose spans were never ended.",
        "The process exited (exit call, signal, crash) with spans still queued in the batch processor.",
        "The queue overflowed under load (OTEL_BSP_MAX_QUEUE_SIZE), or the exporter failed for part of the batches.",
        "The provider was shut down before the last spans were ended.",
    ),
    "app.protocol-unset-grpc-port": (
        "OTEL_EXPORTER_OTLP_ENDPOINT names a gRPC port (4317, or one that answers gRPC only) and "
        "OTEL_EXPORTER_OTLP_PROTOCOL is unset: Python's and .NET's SDKs default to gRPC, but the Java agent 2.x, "
        "Node.js and Go's autoexport default to http/protobuf.",
    ),
    "app.spans-after-shutdown": ("shutdown() called from an atexit hook or a signal handler before work finished.",),
    "app.spans-before-provider": ("Spans started at import time, before the start-up code set the provider.",),
    "app.spans-only-at-exit": (
        "A short-lived job: the batch processor's schedule delay (5 s) is longer than the job.",
    ),
    "app.traces-endpoint-no-path": (
        "The base URL (http://host:4318) put in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, which is used as is.",
    ),
    "app.zero-span-id": ("A custom exporter or bridge that fills span IDs itself.",),
    "app.zero-trace-id": (
        "Spans from the API's no-op tracer (no SDK provider) forwarded by hand.",
        "A bridge that copies IDs incorrectly.",
    ),
    # --- the collector -----------------------------------------------------------------------------------
    "collector.health-unreachable": (
        "The health_check extension is not in service.extensions.",
        "It binds localhost:13133 inside a container, or its port is not published.",
    ),
    "collector.hop-lost": (
        "The exporter's endpoint is another address than the next tier's OTLP receiver.",
        "Protocol or TLS differ between the exporter and the next tier's receiver.",
    ),
    "collector.metrics-unreachable": (
        "service.telemetry.metrics exposes no prometheus reader, or binds localhost in a container.",
        "Port 8888 not published, or metrics level: none.",
    ),
    "collector.no-trace-backend": ("The traces pipeline's exporters are only debug, file or nop.",),
    "collector.processor-dropped": (
        "A probabilistic_sampler or tail_sampling policy that drops the trace.",
        "A filter processor whose condition matches the span.",
    ),
    "collector.processor-holds": (
        "batch's timeout, tail_sampling's decision_wait or groupbytrace's wait_duration longer than --wait.",
    ),
    "collector.refused-before": ("memory_limiter hit its limit at some point since the collector started.",),
    "collector.refusing": (
        "memory_limiter over its limit: the collector is short of memory or its exporter is stuck.",
        "A full sending queue behind a slow or failing exporter.",
    ),
    "collector.tail-sampling-holds": ("tail_sampling waits decision_wait (30 s by default) before deciding.",),
    "collector.unhealthy": (
        "A component failed (an exporter that cannot connect, a receiver that cannot bind).",
        "The collector is shutting down or starting.",
    ),
    "collector.zpages-unreachable": ("zpages binds localhost:55679 by default, unreachable from another host.",),
    # --- collector configs --------------------------------------------------------------------------------
    "config.adaptive-without-remote-sampling": ("adaptive_sampling configured without remote_sampling.adaptive.",),
    "config.alias-bomb": ("Anchors and aliases nested to expand exponentially (a billion-laughs file).",),
    "config.auth-extension-not-enabled": (
        "The authenticator extension is defined under extensions: but not listed in service.extensions.",
    ),
    "config.bare-dollar-var": ("A config written for collectors before v0.104, where $VAR was expanded.",),
    "config.batch-before-sampling": ("batch placed before tail_sampling in a pipeline's processors.",),
    "config.batch-no-max-size": ("batch configured with send_batch_size only; batches can grow past 4 MiB.",),
    "config.collector-not-run": ("Wrong --otelcol path, a binary for another platform, or not executable.",),
    "config.collector-says": ("An error the real collector finds and otdiag's own rules do not.",),
    "config.component-create": ("A setting the component rejects only when it is built for a pipeline.",),
    "config.connector-ambiguous": ("A connector given the same type/name as a receiver or exporter.",),
    "config.connector-cycle": ("A connector that feeds a pipeline which, directly or not, feeds it back.",),
    "config.connector-one-way": (
        "A connector listed only as an exporter (or only as a receiver), or between unsupported signals.",
    ),
    "config.debug-exporter": ("debug left in from setting the collector up, at detailed verbosity or alone.",),
    "config.deprecated": ("A config written for an older collector release (logging, jaeger, otlp aliases).",),
    "config.deprecated-setting": ("A setting renamed or moved in a newer collector release.",),
    "config.duplicate-id": ("IDs that differ only by surrounding spaces (`otlp ` and `otlp`).",),
    "config.duplicate-in-pipeline": ("A component listed twice in one pipeline, often after a merge.",),
    "config.duplicate-key": ("A key repeated in one mapping, often two configs pasted together.",),
    "config.duplicate-processor": ("A processor listed twice in one pipeline's processors.",),
    "config.empty": ("An empty file, a wrong path to a config, or a file of comments only.",),
    "config.env-invalid-name": ("A regex group ${1} or a literal dollar in OTTL, read as a variable.",),
    "config.env-not-scalar": ("A ${env:X} inside a longer string, where X holds YAML that is a map or list.",),
    "config.env-unknown-scheme": ("A ${...} whose prefix before ':' is not a provider (a literal, or a typo).",),
    "config.env-without-default": ("${env:X} used where X may be unset.",),
    "config.exporter-wrong-port": (
        "otlp_http aimed at 4317, or otlp_grpc at 4318, Jaeger's UI (16686) or its Thrift port (14268).",
    ),
    "config.grpc-http-scheme-tls": ("Assuming http:// turns TLS off for otlp_grpc; only tls.insecure does.",),
    "config.grpc-tls-default": ("No tls block: the gRPC client uses TLS unless told insecure: true.",),
    "config.invalid-id": ("A type with characters the collector refuses, or more than one '/'.",),
    "config.invalid-keys": (
        "A misspelt setting, a setting at the wrong level, or one from another release of the component.",
    ),
    "config.invalid-pipeline-id": ("A pipeline named after something other than its signal (spans, trace).",),
    "config.invalid-value": ("A value the component's Validate() refuses (a negative size, an empty endpoint).",),
    "config.jaeger-storage-init": ("A backend setting out of range (memory max_traces: 0).",),
    "config.jaeger-storage-not-enabled": ("jaeger_storage defined but missing from service.extensions.",),
    "config.jaeger-storage-undeclared": ("A storage name in jaeger_query or the exporter with no backend.",),
    "config.k8s-attributes-after-batch": ("k8s_attributes placed after batch in processors.",),
    "config.literal-secret": ("A token or password pasted into the config instead of ${env:...}.",),
    "config.loadbalancing-routing-key": ("routing_key: service in front of a tail-sampling tier.",),
    "config.memory-limiter-not-first": ("memory_limiter added after other processors.",),
    "config.metrics-after-sampler": ("span_metrics or service_graph fed from a pipeline that samples first.",),
    "config.no-exporters": ("The exporters section is missing or empty.",),
    "config.no-memory-limiter": ("A pipeline without memory_limiter (a common default config).",),
    "config.no-pipelines": ("service.pipelines missing, empty, or misplaced outside service:.",),
    "config.no-receivers": ("The receivers section is missing or empty.",),
    "config.not-a-mapping": ("A file that is a list or a scalar, or not a collector config at all.",),
    "config.not-text": ("A binary file (an archive, the collector binary) passed as the config.",),
    "config.not-utf8": ("A file saved as UTF-16 or Latin-1 by an editor.",),
    "config.otlp-http-endpoint-form": ("An endpoint written host:4318 or with /v1/traces appended.",),
    "config.ottl-context": ("A context name misspelt, or one the processor's list does not allow.",),
    "config.ottl-invalid": ("A misspelt function, path or enum, or wrong arguments to a function.",),
    "config.ottl-syntax": ("Unbalanced quotes or parentheses, or `where` in the wrong place.",),
    "config.pipeline-no-exporters": ("A pipeline whose exporters list is missing or empty.",),
    "config.pipeline-no-receivers": ("A pipeline whose receivers list is missing or empty.",),
    "config.port-conflict": ("Two receivers or extensions on one port (often 4317 or 8888).",),
    "config.prometheus-on-8888": ("The prometheus exporter given the collector's own metrics port.",),
    "config.queue-or-retry-disabled": ("sending_queue or retry_on_failure set enabled: false.",),
    "config.receiver-on-localhost": ("`protocols: {grpc: }` with no endpoint, on v0.104 or later, in a container.",),
    "config.removed-type": ("A config written for an older release (jaeger exporter, logging exporter).",),
    "config.section-not-a-map": ("A section written as a list (`- otlp`) or a scalar.",),
    "config.signal-unsupported": ("A component put in a pipeline of a signal it does not handle.",),
    "config.tail-sampling-policy": ("A policy without a name or type, a duplicate name, an unknown type.",),
    "config.telemetry-invalid": ("A misspelt or misplaced key under service.telemetry.",),
    "config.telemetry-start": ("A value the collector checks only when it sets up its own telemetry.",),
    "config.tls-insecure": ("insecure: true combined with https:// or a ca_file, or insecure_skip_verify.",),
    "config.too-deep": ("A generated or hostile file, not a collector config.",),
    "config.too-large": ("A wrong file passed as the config (a log, a dump).",),
    "config.traces-no-backend": ("A traces pipeline left with only debug, file or nop exporters.",),
    "config.undefined-component": ("A typo in a pipeline's list, or a component defined in another file.",),
    "config.undefined-extension": ("A typo in service.extensions, or an extension defined nowhere.",),
    "config.unitless-duration": ('A duration written as a number (timeout: 10) instead of "10s".',),
    "config.unknown-section": ("A misspelt section (recievers:) or a key indented at the wrong level.",),
    "config.unknown-type": (
        "A misspelt type, or a component of contrib used with the core distribution (or a custom build).",
    ),
    "config.unused-component": ("A component defined and then left out of every pipeline.",),
    "config.wrong-type": ("A list where a string is expected, text where a number is, or the reverse.",),
    "config.yaml-syntax": ("Tabs for indentation, an unclosed quote, a missing colon or space after it.",),
    # --- end to end ---------------------------------------------------------------------------------------
    "e2e.not-visible": (
        "The collector's metrics cannot be read, so the hop that lost the span cannot be named.",
        "Jaeger stores slowly (a storage backend under load) or the exporter points at another Jaeger.",
    ),
    # --- collector -> Jaeger ------------------------------------------------------------------------------
    "export.auth": ("Jaeger's receiver has an authenticator and the exporter sends no or wrong credentials.",),
    "export.connection-closed": ("TLS on one side only, or the endpoint is a proxy that drops the connection.",),
    "export.dns": ("A host name that resolves only inside the collector's network (a Kubernetes service).",),
    "export.failed": ("The exporter's endpoint refuses, times out, or fails TLS (the collector's log says which).",),
    "export.grpc-to-http-port": ("otlp_grpc aimed at 4318 or 16686.",),
    "export.http-404": ("otlp_http with a wrong path, or Jaeger's receiver not in a traces pipeline.",),
    "export.http-error": ("Jaeger rejected the export (storage error, payload problem).",),
    "export.http-to-grpc-port": ("otlp_http aimed at 4317.",),
    "export.jaeger-v1-port": ("An endpoint kept from Jaeger v1's Thrift or gRPC collector ports.",),
    "export.no-answer": ("A hung process at the endpoint, or a port that accepts but is not OTLP.",),
    "export.no-traces-pipeline": ("Jaeger v2's config has its otlp receiver in no traces pipeline.",),
    "export.not-delivering": (
        "The exporter's endpoint is wrong or down, and the queue holds the span while it retries.",
    ),
    "export.not-otlp": ("The exporter aimed at Jaeger's query port (16686) or another non-OTLP service.",),
    "export.path-doubled": ("otlp_http endpoint written with /v1/traces, which the exporter appends again.",),
    "export.path-missing": ("traces_endpoint written without /v1/traces.",),
    "export.plaintext-to-tls": ("tls.insecure: true on the exporter while Jaeger's receiver has TLS.",),
    "export.queue-full": ("The exporter cannot keep up or cannot deliver at all; the queue is too small.",),
    "export.refused": ("Jaeger not running, or its OTLP port not published where the collector connects.",),
    "export.timeout": ("A firewall, a network policy, or a wrong address between collector and Jaeger.",),
    "export.tls-client-cert": ("Jaeger's receiver requires mTLS and the exporter has no cert_file/key_file.",),
    "export.tls-expired": ("Jaeger's server certificate expired, or a clock is wrong.",),
    "export.tls-failed": ("TLS versions or cipher suites that do not overlap, or a broken certificate chain.",),
    "export.tls-hostname": ("The exporter connects by IP or alias that the certificate's SANs do not list.",),
    "export.tls-to-plaintext": ("The exporter uses TLS (the gRPC default) towards Jaeger's plaintext 4317.",),
    "export.tls-unknown-ca": ("Jaeger's certificate is from a private CA the exporter's tls.ca_file lacks.",),
    "export.too-large": ("Batches larger than Jaeger's max_recv_msg_size_mib (4 MiB by default).",),
    "export.unreachable": ("No route from the collector's network to Jaeger's address.",),
    # --- fleets (Prometheus) ------------------------------------------------------------------------------
    "fleet.export-failed": ("The next tier or Jaeger refuses, times out or fails TLS for those instances.",),
    "fleet.instance-down": ("Collectors stopped or crashed, or their metrics port changed.",),
    "fleet.no-collectors": ("No scrape job for the collectors' 8888 port, or a selector that matches none.",),
    "fleet.prometheus-unreachable": ("A wrong URL (a Grafana or a collector address), or Prometheus down.",),
    "fleet.queue-filling": ("The exporters' destination is slow, or the load rose past what it takes.",),
    "fleet.queue-full": ("The exporters' destination is down or too slow; the queue fills and drops.",),
    "fleet.spans-dropped": ("Samplers or filters discarding spans, on purpose or by a wrong condition.",),
    "fleet.spans-refused": ("memory_limiter refusing under load: too little memory for the traffic.",),
    # --- app -> collector (OTLP ingest) -------------------------------------------------------------------
    "ingest.auth": ("The receiver has an authenticator and the exporter sends no or the wrong header.",),
    "ingest.collector-down": ("The collector is not started, crashed at start-up, or its ports are not published.",),
    "ingest.connection-closed": ("TLS on one side only, or a proxy or non-OTLP server on the port.",),
    "ingest.dns": ("A typo in the host, or a container/service name used outside its network.",),
    "ingest.grpc-to-http-port": ("A gRPC exporter aimed at 4318 (OTLP/HTTP).",),
    "ingest.http-400": ("A hand-built payload, OTLP/JSON with base64 IDs, or a body that does not match its type.",),
    "ingest.http-404": (
        "The path is not /v1/traces.",
        "The receiver exists but no traces pipeline lists it.",
    ),
    "ingest.http-405": ("A GET (or a proxy rewriting the method) where OTLP needs POST.",),
    "ingest.http-415": ("A Content-Type other than application/x-protobuf or application/json.",),
    "ingest.http-error": ("The receiver or a proxy in front of it answered an error status.",),
    "ingest.http-to-grpc-port": ("An OTLP/HTTP exporter aimed at 4317 (gRPC).",),
    "ingest.jaeger-v1-port": ("An endpoint kept from the Jaeger exporter era (14268, 14250).",),
    "ingest.no-answer": ("A hung collector, or a port that accepts connections but is not OTLP.",),
    "ingest.no-traces-pipeline": ("The receiver is only in metrics or logs pipelines.",),
    "ingest.not-otlp": ("The endpoint is Jaeger's UI, a collector's metrics port, or another service.",),
    "ingest.partial-success": ("The receiver refused some spans (invalid IDs, limits) and said why.",),
    "ingest.path-doubled": ("/v1/traces written into OTEL_EXPORTER_OTLP_ENDPOINT, which gets it appended again.",),
    "ingest.bad-header": (
        "A header value with a newline, a non-ASCII character or a stray quote (often pasted from a secret store).",
        "OTEL_EXPORTER_OTLP_HEADERS not written as comma-separated name=value pairs (URL-encoded values).",
    ),
    "ingest.path-missing": ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT written as a base URL.",),
    "ingest.plaintext-to-tls": ("http:// (or insecure) towards a receiver configured with tls.",),
    "ingest.refused": (
        "The collector is not running, or listens on another port or interface (localhost in a container).",
        "A port not published by docker or Kubernetes.",
    ),
    "ingest.timeout": ("A firewall or network policy that drops packets, or an address nothing answers at.",),
    "ingest.tls-client-cert": ("The receiver requires mTLS (client_ca_file) and the exporter has no client cert.",),
    "ingest.tls-expired": ("The collector's certificate expired, or a clock is wrong.",),
    "ingest.tls-failed": ("TLS versions or ciphers that do not overlap, or a broken certificate chain.",),
    "ingest.tls-hostname": ("Connecting by IP or by a name that the certificate's SANs do not list.",),
    "ingest.tls-to-plaintext": (
        "https:// towards a plaintext receiver, or a scheme-less gRPC endpoint without INSECURE=true.",
    ),
    "ingest.tls-unknown-ca": ("A self-signed or private-CA certificate, without that CA given to the exporter.",),
    "ingest.too-large": ("Batches larger than the receiver's max_recv_msg_size_mib or max_request_body_size.",),
    "ingest.unreachable": ("A wrong address, a down interface, or routing between networks.",),
    # --- Jaeger -------------------------------------------------------------------------------------------
    "jaeger.bad-answer": ("A proxy rewriting answers, a foreign server on the port, or a Jaeger bug.",),
    "jaeger.not-query-api": ("The URL is an OTLP port, a collector, or a UI behind a path prefix.",),
    "jaeger.not-stored": (
        "The exporter sends to another Jaeger than the one queried.",
        "Jaeger's storage fails to write (its log says so), or stores slower than --wait.",
    ),
    "jaeger.query-error": ("Jaeger's storage backend is unreachable or misconfigured.",),
    "jaeger.unreachable": ("Jaeger not running, its query port (16686) not published, or a wrong --jaeger-url.",),
    # --- otdiag listen ------------------------------------------------------------------------------------
    "listen.evicted": ("More spans arrived than --max-spans keeps.",),
    "listen.rejected-requests": ("Exporters sending a wrong path, content type or payload.",),
    # --- traces in Jaeger ---------------------------------------------------------------------------------
    "trace.clock-skew": ("Hosts whose clocks disagree, or async work that outlives its parent.",),
    "trace.duplicate-span-ids": ("A span exported by two processors, or a custom ID generator.",),
    "trace.error-spans": ("The instrumented operations failed (that is what the trace records).",),
    "trace.future-spans": ("A sending host whose clock is ahead.",),
    "trace.not-found": (
        "The ID is wrong, or outside the time range searched.",
        "The trace is still in the SDK's batch, the collector's batch or Jaeger's write path.",
        "The span was lost on the way (otdiag check names the hop).",
    ),
    "trace.not-visible": ("A hop after the receiver lost the span (sampler, filter, exporter, storage).",),
    "trace.orphan-spans": (
        "traceparent not propagated (or not extracted) between services.",
        "The parent's service does not export its spans, or they were sampled out.",
    ),
    "trace.several-roots": ("A service started a new trace instead of continuing the incoming context.",),
    "trace.unknown-service": ("OTEL_SERVICE_NAME unset, or service.name set as a span attribute only.",),
    # --- collector releases -------------------------------------------------------------------------------
    "version.not-in-release": ("A component added in a newer release, or renamed since the release you run.",),
    "version.settings-by-name": ("otdiag's component knowledge comes from another release of the component.",),
}


def causes(code: str) -> tuple[str, ...]:
    return CAUSES.get(code, ())


def confirm(code: str) -> str:
    return CONFIRM_CODE.get(code) or CONFIRM.get(code.split(".", 1)[0], "")
