"""The finding kinds only the Java observer reports (the others reuse the generic app.* codes)."""

from __future__ import annotations

from otdiag.catalogue import COLLECTED, CREATED, INFO, E, W, kind
from otdiag.model import Stage

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
