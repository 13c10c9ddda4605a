"""Misspelt names in otherwise valid configs, with the name a "did you mean" should offer.

Each case is (name, config text, finding code, expected suggestion). Some typos are ones people
make (a swapped pair, a letter left out or doubled, a separator lost); `NEAR_MISSES` are names
that are wrong but are no typo of anything, for which no suggestion is the right answer.
"""

from __future__ import annotations

RECV = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:4317\n"
EXP = "exporters:\n  debug:\n"
TAIL = "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"


def _pipe(procs: str) -> str:
    return TAIL.replace("      exporters", f"      processors: [{procs}]\n      exporters")


def _exporter(body: str, name: str = "otlp_grpc") -> str:
    return RECV + f"exporters:\n  {name}:\n{body}" + TAIL.replace("[debug]", f"[{name}]")


JAEGER_TAIL = (
    "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:4317\n"
    "exporters:\n  jaeger_storage_exporter:\n    trace_storage: {store}\n"
    "extensions:\n  jaeger_query:\n    storage:\n      traces: {query}\n"
    "  jaeger_storage:\n    backends:\n      some_store:\n        {backend}:\n          max_traces: 1000\n"
    "service:\n  extensions: [jaeger_storage, jaeger_query]\n  pipelines:\n    traces:\n"
    "      receivers: [otlp]\n      exporters: [jaeger_storage_exporter]\n"
)

TYPOS: list[tuple[str, str, str, str]] = [
    # --- keys, at their depth
    ("key endpont", RECV.replace("endpoint:", "endpont:") + EXP + TAIL, "config.invalid-keys", "endpoint"),
    ("key protocol", RECV.replace("protocols:", "protocol:") + EXP + TAIL, "config.invalid-keys", "protocols"),
    (
        "key send_batch_sise",
        RECV + "processors:\n  batch:\n    send_batch_sise: 512\n" + EXP + _pipe("batch"),
        "config.invalid-keys",
        "send_batch_size",
    ),
    (
        "key check_intervall",
        RECV
        + "processors:\n  memory_limiter:\n    check_intervall: 1s\n    limit_mib: 400\n"
        + EXP
        + _pipe("memory_limiter"),
        "config.invalid-keys",
        "check_interval",
    ),
    (
        "key limit_mb",
        RECV
        + "processors:\n  memory_limiter:\n    check_interval: 1s\n    limit_mb: 400\n"
        + EXP
        + _pipe("memory_limiter"),
        "config.invalid-keys",
        "limit_mib",
    ),
    ("key tsl", _exporter("    endpoint: jaeger:4317\n    tsl:\n      insecure: true\n"), "config.invalid-keys", "tls"),
    (
        "key insecure_skip_verfy",
        _exporter("    endpoint: jaeger:4317\n    tls:\n      insecure_skip_verfy: true\n"),
        "config.invalid-keys",
        "insecure_skip_verify",
    ),
    ("key timout", _exporter("    endpoint: jaeger:4317\n    timout: 5s\n"), "config.invalid-keys", "timeout"),
    (
        "key headres",
        _exporter("    endpoint: http://jaeger:4318\n    headres:\n      x-team: a\n", "otlp_http"),
        "config.invalid-keys",
        "headers",
    ),
    (
        "key sendingqueue",
        _exporter("    endpoint: jaeger:4317\n    sendingqueue:\n      enabled: true\n"),
        "config.invalid-keys",
        "sending_queue",
    ),
    ("key verbosty", RECV + "exporters:\n  debug:\n    verbosty: basic\n" + TAIL, "config.invalid-keys", "verbosity"),
    (
        "jaeger backend memroy",
        JAEGER_TAIL.format(store="some_store", query="some_store", backend="memroy"),
        "config.invalid-keys",
        "memory",
    ),
    # --- top-level, service and pipeline sections
    ("section recievers", RECV.replace("receivers:", "recievers:") + EXP + TAIL, "config.unknown-section", "receivers"),
    ("section exporter", RECV + EXP.replace("exporters:", "exporter:") + TAIL, "config.unknown-section", "exporters"),
    (
        "section procesors",
        RECV + "procesors:\n  batch:\n" + EXP + _pipe("batch"),
        "config.unknown-section",
        "processors",
    ),
    ("section servcie", RECV + EXP + TAIL.replace("service:", "servcie:"), "config.unknown-section", "service"),
    ("section pipeline", RECV + EXP + TAIL.replace("pipelines:", "pipeline:"), "config.unknown-section", "pipelines"),
    (
        "pipeline key exporter",
        RECV + EXP + TAIL.replace("      exporters:", "      exporter:"),
        "config.unknown-section",
        "exporters",
    ),
    # --- references in pipelines and service.extensions
    ("ref bacth", RECV + "processors:\n  batch:\n" + EXP + _pipe("bacth"), "config.undefined-component", "batch"),
    (
        "ref otlp/jaegr",
        RECV
        + "exporters:\n  otlp_grpc/jaeger:\n    endpoint: jaeger:4317\n"
        + TAIL.replace("[debug]", "[otlp_grpc/jaegr]"),
        "config.undefined-component",
        "otlp_grpc/jaeger",
    ),
    ("ref otlpp receiver", RECV + EXP + TAIL.replace("[otlp]", "[otlpp]"), "config.undefined-component", "otlp"),
    (
        "ref health_chek extension",
        RECV
        + EXP
        + "extensions:\n  health_check:\n"
        + TAIL.replace("service:\n", "service:\n  extensions: [health_chek]\n"),
        "config.undefined-extension",
        "health_check",
    ),
    (
        "jaeger storage name",
        JAEGER_TAIL.format(store="some_store", query="some_stor", backend="memory"),
        "config.jaeger-storage-undeclared",
        "some_store",
    ),
    # --- component types in the distribution
    (
        "type memorylimiter",
        RECV + "processors:\n  memorylimiter:\n" + EXP + _pipe("memorylimiter"),
        "config.unknown-type",
        "memory_limiter",
    ),
    (
        "type zipkn",
        RECV + "  zipkn:\n" + EXP + TAIL.replace("[otlp]", "[otlp, zipkn]"),
        "config.unknown-type",
        "zipkin",
    ),
    ("type otlp_grcp", _exporter("    endpoint: jaeger:4317\n", "otlp_grcp"), "config.unknown-type", "otlp_grpc"),
    (
        "type k8sattributes",
        RECV + "processors:\n  k8sattribute:\n" + EXP + _pipe("k8sattribute"),
        "config.unknown-type",
        "k8s_attributes",
    ),
    # --- enum values
    (
        "enum verbosity detaild",
        RECV + "exporters:\n  debug:\n    verbosity: detaild\n" + TAIL,
        "config.wrong-type",
        "detailed",
    ),
    (
        "enum compression gzipp",
        _exporter("    endpoint: jaeger:4317\n    compression: gzipp\n"),
        "config.wrong-type",
        "gzip",
    ),
    (
        "enum error_mode ignor",
        RECV + "processors:\n  transform:\n    error_mode: ignor\n" + EXP + _pipe("transform"),
        "config.wrong-type",
        "ignore",
    ),
    (
        "enum match_type regex",
        RECV
        + "processors:\n  filter:\n    spans:\n      exclude:\n        match_type: regex\n"
        + "        span_names: ['health.*']\n"
        + EXP
        + _pipe("filter"),
        "config.component-create",
        "regexp",
    ),
    (
        "enum telemetry level",
        RECV + EXP + TAIL + "  telemetry:\n    metrics:\n      level: detialed\n",
        "config.telemetry-invalid",
        "detailed",
    ),
]

NEAR_MISSES: list[tuple[str, str]] = [
    # (name, config text): wrong, but nothing valid is close; a suggestion would mislead.
    ("unknown type foo", RECV + "  foo:\n" + EXP + TAIL.replace("[otlp]", "[otlp, foo]")),
    ("unknown key bogus", RECV.replace("endpoint:", "bogus:") + EXP + TAIL),
    ("unknown section x-defaults", "x-defaults: {}\n" + RECV + EXP + TAIL),
    ("ref to nothing", RECV + EXP + TAIL.replace("[debug]", "[kafka/prod]")),
]
