"""The Java observer of `otdiag run`: the command line, the Java agent's own words, and a look inside the JVM.

- The command line and JAVA_TOOL_OPTIONS/JDK_JAVA_OPTIONS/_JAVA_OPTIONS: the -Dotel.* system properties,
  which the Java SDK and agent read before the OTEL_* variables (cmdline.py).
- otdiag's own small agent (agent/OtdiagObserver.java, built with javac on first use), inserted as
  `-javaagent:` right after `java`: at shutdown it reads the GlobalOpenTelemetry instances, the tracer
  provider, its processors, exporters and queued spans, and how the JVM is leaving (report.py). It is
  put on the command line rather than in JAVA_TOOL_OPTIONS because the JVM announces that variable
  on stderr ("Picked up JAVA_TOOL_OPTIONS: ..."), which would change the app's stderr.
- The OpenTelemetry Java agent's own stderr lines: its version, the port/protocol warning, export
  failures, muzzle skips (with -Dotel.javaagent.debug=true), and an uncaught exception's stack.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from otdiag.model import Finding, Location, Severity
from otdiag.run.facts import ExitFact, ExporterFact, InstrumentationFact, ProviderFact, RuntimeFacts
from otdiag.run.observer import AppRun, Launch, Prepared, Seen
from otdiag.run.observers.java import build, cmdline, kinds
from otdiag.run.observers.java.report import Provider, read, text

_VERSION = re.compile(r"opentelemetry-javaagent - version: (\S+)")
_PORT_WARNING = re.compile(r'OTLP exporter endpoint port is likely incorrect for protocol version "([^"]+)"')
_EXPORT_FAILED = re.compile(r"Failed to export spans\.?\s*(.*)")
_MUZZLE = re.compile(r"Instrumentation skipped, mismatched references were found: (\S+)")
_UNCAUGHT = re.compile(r'^Exception in thread "([^"]{1,80})" ([\w.$]+)(?::\s*(.*))?')
_FRAME = re.compile(r"^\s*at (?:[\w.]+/)?([\w.$]+)\.([\w$<>]+)\(([\w$.-]+\.(?:java|kt|scala|groovy)):(\d+)\)")
_CONSOLE_EXPORTERS = ("LoggingSpanExporter", "OtlpJsonLoggingSpanExporter", "SystemOutLogRecordExporter")
_NOOP_SPAN = "io.opentelemetry.api.trace.DefaultTracer$NoopSpanBuilder"
_SDK_PROVIDER = "io.opentelemetry.sdk.trace.SdkTracerProvider"
_SECRET_KEY = re.compile(r"header|key|token|secret|password|credential", re.I)


def _env_name(prop: str) -> str:
    return prop.upper().replace(".", "_").replace("-", "_")


class JavaObserver:
    """`java …` commands (see the module docstring)."""

    runtime = "java"

    def applies(self, argv: Sequence[str]) -> bool:
        return cmdline.is_java(argv)

    def prepare(self, launch: Launch) -> Prepared:
        try:
            jar = build.agent_jar(launch.argv[0])
        except (build.AgentBuildError, OSError) as exc:
            note = kinds.JAVA_OBSERVER_NOT_LOADED(f"otdiag's Java observer was not built: {text(exc, 200)}.")
            return Prepared(findings=(note,))
        if "=" in str(jar) or "=" in str(launch.workdir):
            note = kinds.JAVA_OBSERVER_NOT_LOADED("otdiag's Java observer path contains '=': it was not loaded.")
            return Prepared(findings=(note,))
        argv = (launch.argv[0], f"-javaagent:{jar}={launch.workdir}", *launch.argv[1:])
        return Prepared(argv=argv)

    def analyse(self, run: AppRun) -> Seen:
        return _Analysis(run).seen()


class _Analysis:
    def __init__(self, run: AppRun) -> None:
        self.run = run
        self.cmd = cmdline.parse(run.launch.argv, run.launch.env)
        reports = read(run.launch.workdir)
        self.report = next((r for r in reports if r.finished), reports[0] if reports else None)
        self.spans = run.summary.spans
        self.stderr = run.stderr
        self.notes: list[str] = []
        self.setup_crashed = False
        self.agent_version = next((m[1] for line in self.stderr[:400] if (m := _VERSION.search(line))), None)
        self.agent = bool(
            self.cmd.otel_agent() or self.agent_version or (self.report is not None and self.report.agent_loaded)
        )

    # --- the effective settings -------------------------------------------------------------

    def setting(self, prop: str) -> tuple[str | None, str | None]:
        """(value, where it comes from) with the Java precedence: system property, then OTEL_* variable."""
        if prop in self.cmd.properties:
            return self.cmd.properties[prop].strip(), f"-D{prop}"
        env = self.run.launch.env.get(_env_name(prop))
        if env is not None and env.strip():
            return env.strip(), _env_name(prop)
        return None, None

    def origin(self, prop: str) -> str:
        """' (in JAVA_TOOL_OPTIONS)' when a property comes from a variable rather than the command line."""
        where = self.cmd.origin.get(prop)
        return f" (in {where})" if where and where != "the command line" else ""

    def protocol(self) -> tuple[str, str]:
        for prop in ("otel.exporter.otlp.traces.protocol", "otel.exporter.otlp.protocol"):
            value, where = self.setting(prop)
            if value:
                return value, where or prop
        if self.agent:
            return "http/protobuf", "the Java agent's default (http/protobuf since 2.0)"
        return "grpc", "the SDK autoconfigure default (grpc)"

    # --- findings ---------------------------------------------------------------------------

    def seen(self) -> Seen:
        from otdiag import catalogue as cat

        errors: list[Finding] = []
        rest: list[Finding] = []
        for f in [*self.settings_findings(), *self.inside_findings(), *self.stderr_findings()]:
            (errors if f.severity is Severity.ERROR else rest).append(f)
        if self.spans > 0:
            # Spans arrived, so most causes were only partial; but spans the observer saw queued at exit
            # and never flushed are a counted loss: partial loss is an error (run exits 1).
            kept = (cat.APP_CRASHED.code, cat.APP_EXIT_BEFORE_FLUSH.code)
            errors = [f if f.code in kept else _warn(f) for f in errors]
        found = [*errors, *rest]
        if self.report is None or not self.report.started:
            found.append(kinds.JAVA_OBSERVER_NOT_LOADED("No report came from otdiag's observer agent inside the JVM."))
        return Seen(self.facts(), tuple(found), len(errors))

    def settings_findings(self) -> list[Finding]:
        from otdiag import catalogue as c

        out: list[Finding] = []
        disabled, where = self.setting("otel.sdk.disabled")
        if disabled and disabled.lower() == "true" and where and where.startswith("-D"):
            said = f"{where}=true{self.origin('otel.sdk.disabled')}"
            out.append(c.APP_SDK_DISABLED(f"{said}: the Java SDK hands out no-op tracers.", target=where))
        enabled, where = self.setting("otel.javaagent.enabled")
        if self.agent and enabled and enabled.lower() == "false":
            said = f"{where}=false{self.origin('otel.javaagent.enabled')}"
            out.append(kinds.JAVA_AGENT_DISABLED(f"{said}: the agent is off.", target=where))
        exporter, where = self.setting("otel.traces.exporter")
        if exporter is not None and where and where.startswith("-D"):
            names = [n.strip().lower() for n in exporter.split(",") if n.strip()]
            said = f"{where}={exporter}{self.origin('otel.traces.exporter')}"
            if names in ([], ["none"]):
                out.append(
                    c.APP_EXPORTER_NONE(
                        f"{said}: the tracer provider gets no exporter, spans are dropped.",
                        hint="Remove the property, or set -Dotel.traces.exporter=otlp.",
                        target=where,
                    )
                )
            elif any(n.startswith("jaeger") for n in names):
                out.append(
                    c.APP_EXPORTER_JAEGER(
                        f"{said}: the Java SDK has no Jaeger exporter since 1.35.0 (autoconfigure fails to start).",
                        hint="Set -Dotel.traces.exporter=otlp and point the OTLP endpoint at the collector or "
                        "at Jaeger's OTLP port (4317 gRPC, 4318 HTTP).",
                        target=where,
                    )
                )
            elif names and all(n in ("logging", "console", "logging-otlp") for n in names):
                out.append(
                    c.APP_EXPORTER_CONSOLE(
                        f"{said}: spans are written to the log (java.util.logging, stderr), not sent to the collector.",
                        hint="Set -Dotel.traces.exporter=otlp (or otlp,logging to keep both).",
                        target=where,
                    )
                )
        out += self.sampler_settings()
        out += self.endpoint_findings()
        return out

    def sampler_settings(self) -> list[Finding]:
        from otdiag import catalogue as cat

        sampler, where = self.setting("otel.traces.sampler")
        arg, arg_where = self.setting("otel.traces.sampler.arg")
        if not (where or "").startswith("-D") and not (arg_where or "").startswith("-D"):
            return []  # the OTEL_* variables: check's environment analysis says it
        name = (sampler or "parentbased_always_on").lower()
        if name in ("always_off", "parentbased_always_off"):
            return [cat.APP_SAMPLER_OFF(f"{where}={sampler}: no span is ever recorded.", target=where)]
        if name in ("traceidratio", "parentbased_traceidratio") and arg is not None:
            try:
                ratio = float(arg)
            except ValueError:
                return []
            if ratio <= 0:
                return [
                    cat.APP_SAMPLER_OFF(
                        f"{where or 'the sampler'}={sampler}, {arg_where}={arg}: a ratio of 0 samples no trace.",
                        target=arg_where,
                    )
                ]
        return []

    def endpoint_findings(self) -> list[Finding]:
        from otdiag import catalogue as cat

        out: list[Finding] = []
        endpoint = where = None
        origin = ""
        for prop in ("otel.exporter.otlp.traces.endpoint", "otel.exporter.otlp.endpoint"):
            if prop in self.cmd.properties and self.cmd.properties[prop].strip():
                endpoint, where = self.cmd.properties[prop].strip(), f"-D{prop}"
                origin = self.origin(prop)
                break
        if endpoint is None or where is None:
            return out
        shown = text(endpoint)
        protocol, proto_where = self.protocol()
        port = _port(endpoint)
        said = [text(line) for line in self.stderr if _PORT_WARNING.search(line)][:1]
        if protocol.startswith("http") and port == 4317:
            out.append(
                cat.APP_PROTOCOL_PORT(
                    f"{where}={shown}{origin} is the OTLP/gRPC port, but the protocol is {protocol} "
                    f"({proto_where}): the export requests go to the wrong listener and fail.",
                    hint="Point the endpoint at the collector's OTLP/HTTP port 4318, or set "
                    "-Dotel.exporter.otlp.protocol=grpc to keep 4317.",
                    target=where,
                    evidence=said,
                )
            )
        elif protocol == "grpc" and port == 4318:
            out.append(
                cat.APP_PROTOCOL_PORT(
                    f"{where}={shown}{origin} is the OTLP/HTTP port, but the protocol is grpc ({proto_where}).",
                    hint="Point the endpoint at the collector's OTLP/gRPC port 4317, or set "
                    "-Dotel.exporter.otlp.protocol=http/protobuf.",
                    target=where,
                )
            )
        if endpoint.rstrip("/") != self.run.launch.endpoint.rstrip("/"):
            out.append(
                kinds.JAVA_ENDPOINT_OVERRIDDEN(
                    f"{where}={shown}{origin} overrides "
                    f"OTEL_EXPORTER_OTLP_ENDPOINT={self.run.launch.endpoint} that otdiag set: the app exports to "
                    f"{shown}, not to otdiag's receiver.",
                    target=where,
                    severity=Severity.ERROR if self.spans == 0 else Severity.WARNING,
                )
            )
        return out

    def inside_findings(self) -> list[Finding]:
        from otdiag import catalogue as cat

        r = self.report
        if r is None:
            return []
        out: list[Finding] = []
        if r.started and not r.finished:
            self.notes.append("the JVM ended without running its shutdown hooks (Runtime.halt, a kill or a crash)")
            if self.run.returncode >= 0 and self.run.stopped is None:
                out.append(
                    cat.APP_EXIT_BEFORE_FLUSH(
                        f"The JVM exited with status {self.run.returncode} without running its shutdown hooks: "
                        "Runtime.getRuntime().halt() (or a JVM crash) skips them, so the SDK never flushed the "
                        "spans it had queued.",
                        hint="Call sdkTracerProvider.shutdown() (or OpenTelemetrySdk.close()) before "
                        "Runtime.halt, or exit with System.exit so the shutdown hooks run.",
                        severity=Severity.ERROR if self.spans == 0 else Severity.WARNING,
                    )
                )
            return out
        if r.error:
            out.append(cat.APP_OBSERVER_ERROR(f"otdiag's Java observer failed inside the JVM: {r.error}"))
            return out
        provider = r.providers[0] if r.providers else None
        noop_spans = r.loaded(_NOOP_SPAN)
        if provider is None and noop_spans and not self.agent:
            if r.loaded(_SDK_PROVIDER):
                out.append(
                    cat.APP_PROVIDER_NOT_SET(
                        "The app built an SdkTracerProvider, but GlobalOpenTelemetry "
                        + ("was never set" if r.app_global is None else f"holds {r.app_global} (a no-op)")
                        + ": the spans it started through GlobalOpenTelemetry.getTracer(...) are no-ops.",
                        hint="Register it: OpenTelemetrySdk.builder().setTracerProvider(provider)"
                        ".buildAndRegisterGlobal(), or take tracers from the provider itself.",
                    )
                )
            else:
                out.append(
                    cat.APP_NO_PROVIDER(
                        "The app started spans on GlobalOpenTelemetry's no-op tracer: no SDK was built "
                        "(no SdkTracerProvider was loaded) and no Java agent runs.",
                        hint="Run with -javaagent:opentelemetry-javaagent.jar, or build the SDK "
                        "(AutoConfiguredOpenTelemetrySdk.initialize(), or OpenTelemetrySdk.builder()"
                        "...buildAndRegisterGlobal()) before taking tracers.",
                    )
                )
        if provider is not None:
            out += self.provider_findings(provider)
        if r.muzzle_failures > 0:
            out.append(
                kinds.JAVA_MUZZLE_SKIPPED(
                    f"The agent's muzzle check skipped {r.muzzle_failures} instrumentation(s) on this classpath.",
                    evidence=[text(line) for line in self.stderr if _MUZZLE.search(line)][:5],
                )
            )
        return out

    def provider_findings(self, p: Provider) -> list[Finding]:
        from otdiag import catalogue as cat

        out: list[Finding] = []
        sampler = p.sampler or ""
        if re.match(r"^(ParentBased\{root:)?AlwaysOffSampler", sampler) or re.match(
            r"^(ParentBased\{root:)?TraceIdRatioBased\{0\.0+\}", sampler
        ):
            out.append(
                cat.APP_SAMPLER_OFF(
                    f"The tracer provider's sampler is {sampler.split(',')[0]}: no span is ever recorded.",
                    hint="Use Sampler.parentBased(Sampler.alwaysOn()) (the default), or a ratio above 0; "
                    "check -Dotel.traces.sampler / OTEL_TRACES_SAMPLER.",
                )
            )
        types = [e.type for e in p.exporters]
        if not p.exporters:
            out.append(
                cat.APP_EXPORTER_NONE(
                    f"The {'agent' if p.registered_by == 'agent' else 'app'}'s tracer provider has no span exporter "
                    "(otel.traces.exporter=none, or no BatchSpanProcessor added in code): spans are dropped.",
                    hint="Set otel.traces.exporter=otlp, or add BatchSpanProcessor.builder("
                    "OtlpGrpcSpanExporter.getDefault()).build() to the SdkTracerProvider.",
                )
            )
        elif all(t in _CONSOLE_EXPORTERS for t in types):
            out.append(
                cat.APP_EXPORTER_CONSOLE(
                    f"The tracer provider's only exporter is {types[0]}: spans go to the log, not to the collector.",
                    hint="Set otel.traces.exporter=otlp, or add an OtlpGrpcSpanExporter/OtlpHttpSpanExporter.",
                )
            )
        r = self.report
        assert r is not None
        lost = p.queued > 0 and not p.shutdown_before_hooks and not p.shutdown_by_hook
        if lost:
            how = (
                f"left through System.exit at {r.exit_site}"
                if r.exit_how == "exit-call" and r.exit_site
                else "was stopped by a signal"
                if r.exit_how == "signal"
                else "ended (main returned)"
            )
            arrived = f"; {self.spans} span(s) arrived" if self.spans else ""
            escaped = p.queued - r.queued_after_hook if 0 <= r.queued_after_hook < p.queued else 0
            if escaped:
                arrived += (
                    f" ({escaped} of the queued left only while otdiag's observer held the JVM for its "
                    f"{r.hook_ms if r.hook_ms >= 0 else '?'} ms report: without otdiag they are lost)"
                )
            out.append(
                cat.APP_EXIT_BEFORE_FLUSH(
                    f"The app {how} with {p.queued} span(s) still queued in {p.processors[0][0]}: "
                    f"its tracer provider was never shut down, so {p.queued} span(s) "
                    f"{'are lost (run without otdiag)' if escaped else 'were lost'}{arrived}.",
                    hint="Call sdkTracerProvider.shutdown() (or close()) before System.exit, or register a "
                    "shutdown hook that does (AutoConfiguredOpenTelemetrySdk does this for you).",
                    location=_location(r.exit_site, self.run.launch.cwd) if r.exit_how == "exit-call" else None,
                )
            )
        return out

    def stderr_findings(self) -> list[Finding]:
        from otdiag import catalogue as cat

        out: list[Finding] = []
        failed = [text(m[1] or line) for line in self.stderr if (m := _EXPORT_FAILED.search(line))][:3]
        if failed:
            from otdiag.model import Protocol
            from otdiag.run import export_failure

            target = self.exporter_endpoint()
            protocol = self.protocol()[0]
            out.append(
                export_failure.finding(
                    f"The Java exporter says 'Failed to export spans'{f' (to {target})' if target else ''}",
                    failed[0],
                    endpoint=target,
                    receiver=self.run.launch.endpoint,
                    protocol=Protocol(protocol) if protocol in {p.value for p in Protocol} else None,
                    evidence=failed,
                    fallback_hint="Check the endpoint and protocol the exporter uses (shown above); let "
                    "OTEL_EXPORTER_OTLP_ENDPOINT decide rather than setEndpoint(...) or -Dotel.exporter.otlp.endpoint.",
                    drop_option="setEndpoint(...) (or -Dotel.exporter.otlp.endpoint)",
                )
            )
        for i, line in enumerate(self.stderr):
            m = _UNCAUGHT.match(line)
            if not m or m[1] != "main":
                continue
            frame = None
            for nxt in self.stderr[i + 1 : i + 60]:
                fm = _FRAME.match(nxt)
                if fm and not fm[1].startswith(("java.", "jdk.", "sun.", "io.opentelemetry.")):
                    frame = f"{fm[1]}.{fm[2]}({fm[3]}:{fm[4]})"
                    break
            self.setup_crashed = m[2].startswith("io.opentelemetry.") and m[2].endswith(".ConfigurationException")
            missing = _missing_artifact(m[2], m[3] or "")
            if missing is not None:
                out.append(
                    cat.APP_OTEL_IMPORT(
                        f"The app needs {missing}, which is not on its classpath; the main thread died with "
                        f"{text(m[2].rpartition('.')[2], 60)}: {text(m[3] or '', 160).rstrip('.')}.",
                        hint=f"Add {missing} to the app's runtime dependencies (Maven or Gradle; import "
                        "io.opentelemetry:opentelemetry-bom so every OpenTelemetry artifact has one version), "
                        "then rebuild the classpath or fat jar.",
                        location=_location(frame, self.run.launch.cwd),
                    )
                )
                break
            out.append(
                cat.APP_CRASHED(
                    f"The main thread died with {text(m[2], 120)}"
                    + (f": {text(m[3], 160).rstrip('.')}" if m[3] else "")
                    + ".",
                    hint="Fix the exception at the file:line shown (the stack trace is on the app's stderr).",
                    location=_location(frame, self.run.launch.cwd),
                    severity=Severity.ERROR if self.run.returncode != 0 else Severity.WARNING,
                )
            )
            break
        return out

    def exporter_endpoint(self) -> str | None:
        r = self.report
        for p in r.providers if r is not None else ():
            for e in p.exporters:
                if e.endpoint:
                    return e.endpoint
        return None

    # --- facts ------------------------------------------------------------------------------

    def facts(self) -> RuntimeFacts:
        r = self.report
        packages: dict[str, str] = dict(r.packages) if r is not None else {}
        if self.agent_version:
            packages = {"opentelemetry-javaagent": text(self.agent_version, 40), **packages}
        settings = {
            f"-D{k}": ("<redacted>" if _SECRET_KEY.search(k) else text(v))
            for k, v in self.cmd.properties.items()
            if k.startswith("otel.")
        }
        if r is not None:
            for k, v in r.properties.items():
                settings.setdefault(f"-D{k}", "<redacted>" if _SECRET_KEY.search(k) else v)
        protocol, _ = self.protocol()
        settings.setdefault("otel.exporter.otlp.protocol (effective)", protocol)
        provider = None
        exporters: list[ExporterFact] = []
        processors: tuple[str, ...] = ()
        failed = [text(m[1] or line, 200) for line in self.stderr if (m := _EXPORT_FAILED.search(line))][:3]
        if r is not None and r.providers:
            p = r.providers[0]
            kind = p.type if p.registered_by == "app" else f"{p.type} (the Java agent's)"
            provider = ProviderFact(type=kind, site=p.set_at, registered=True, sampler=_short_sampler(p.sampler))
            processors = tuple(name for name, _ in p.processors)
            for e in p.exporters:
                exporters.append(
                    ExporterFact(
                        type=e.type,
                        endpoint=e.endpoint,
                        protocol=e.protocol,
                        header_names=e.header_names,
                        results={"FAILURE": len(failed)} if failed else {},
                        errors=tuple(failed),
                    )
                )
        elif r is not None and r.loaded(_SDK_PROVIDER) and not self.agent:
            provider = ProviderFact(type="SdkTracerProvider", registered=False)
        exit_fact = ExitFact()
        if r is not None and r.finished:
            flushed = None
            if r.providers:
                p = r.providers[0]
                flushed = p.shutdown_before_hooks or p.shutdown_by_hook or p.queued == 0
            exit_fact = ExitFact(how=r.exit_how, site=r.exit_site, flushed=flushed)
        elif r is not None and r.started:
            exit_fact = ExitFact(how="halt", detail="no shutdown hook ran (Runtime.halt, a kill or a JVM crash)")
        instr: list[InstrumentationFact] = [
            InstrumentationFact(text(m[1], 80), False, "muzzle: mismatched references")
            for line in self.stderr
            if (m := _MUZZLE.search(line))
        ][:20]
        if r is not None and r.muzzle_failures > 0 and not instr:
            instr.append(
                InstrumentationFact(
                    f"{r.muzzle_failures} instrumentation(s)", False, "muzzle (names with -Dotel.javaagent.debug=true)"
                )
            )
        notes = list(self.notes)
        notes.append(
            "not seen: spans started or dropped one by one, export results other than the exporter's own "
            "'Failed to export' log lines, providers that were never registered (only that the SDK class loaded)"
        )
        return RuntimeFacts(
            sdk_setup_crashed=self.setup_crashed,
            runtime="java",
            loaded=r is not None and r.started,
            how="javaagent" + ("+agent-log" if self.agent_version else ""),
            runtime_version=r.java if r is not None else "",
            packages=packages,
            provider=provider,
            processors=processors,
            exporters=tuple(exporters),
            exit=exit_fact,
            instrumentation=tuple(instr),
            settings=settings,
            notes=tuple(notes),
        )


def _short_sampler(sampler: str | None) -> str | None:
    """ParentBased{root:AlwaysOnSampler,remoteParentSampled:...} -> ParentBased{root:AlwaysOnSampler}."""
    if sampler and sampler.startswith("ParentBased{root:"):
        return sampler.split(",", 1)[0] + "}"
    return sampler


_ARTIFACTS = (
    ("io.opentelemetry.sdk.autoconfigure", "opentelemetry-sdk-extension-autoconfigure"),
    ("io.opentelemetry.sdk.trace", "opentelemetry-sdk-trace"),
    ("io.opentelemetry.sdk.metrics", "opentelemetry-sdk-metrics"),
    ("io.opentelemetry.sdk.logs", "opentelemetry-sdk-logs"),
    ("io.opentelemetry.sdk.common", "opentelemetry-sdk-common"),
    ("io.opentelemetry.sdk.resources", "opentelemetry-sdk-common"),
    ("io.opentelemetry.sdk", "opentelemetry-sdk"),
    ("io.opentelemetry.exporter.otlp", "opentelemetry-exporter-otlp"),
    ("io.opentelemetry.exporter.logging", "opentelemetry-exporter-logging"),
    ("io.opentelemetry.exporter.zipkin", "opentelemetry-exporter-zipkin"),
    ("io.opentelemetry.exporter.sender.okhttp", "opentelemetry-exporter-sender-okhttp"),
    ("io.opentelemetry.exporter.internal", "opentelemetry-exporter-common"),
    ("io.opentelemetry.context", "opentelemetry-context"),
    ("io.opentelemetry.api", "opentelemetry-api"),
)
"""The Java package an OpenTelemetry class lives in -> the Maven artifact (group io.opentelemetry) that holds it."""
_NOT_ON_CLASSPATH = re.compile(r"\b(opentelemetry-[a-z-]{1,60}) not found on classpath")


def _missing_artifact(exception: str, message: str) -> str | None:
    """The io.opentelemetry artifact a crash says is missing: a class not found, or autoconfigure's own words."""
    if exception.endswith(".ConfigurationException"):
        m = _NOT_ON_CLASSPATH.search(message)
        return f"io.opentelemetry:{m[1]}" if m else None
    if not exception.endswith(("NoClassDefFoundError", "ClassNotFoundException")):
        return None
    name = message.strip().replace("/", ".")
    if name.startswith("io.opentelemetry.semconv"):
        return "io.opentelemetry.semconv:opentelemetry-semconv"
    for package, artifact in _ARTIFACTS:
        if name.startswith(package + "."):
            return f"io.opentelemetry:{artifact}"
    return None


def _warn(f: Finding) -> Finding:
    from dataclasses import replace

    return replace(f, severity=Severity.WARNING)


def _port(endpoint: str) -> int | None:
    try:
        parts = urlsplit(endpoint if "://" in endpoint else "//" + endpoint)
        return parts.port
    except ValueError:
        return None


def _location(frame: str | None, cwd: Path) -> Location | None:
    """`pkg.Class.method(File.java:12)` as a file:line, under the source roots of `cwd` when found there."""
    if not frame:
        return None
    m = re.match(r"^([\w.$]+)\.[\w$<>]+\(([\w$.-]+):(\d+)\)$", frame)
    if not m:
        return None
    cls, file, line = m[1], m[2], int(m[3])
    package = cls.rsplit(".", 1)[0].replace(".", "/") if "." in cls else ""
    relative = f"{package}/{file}" if package else file
    for root in ("", "src/main/java/", "src/main/kotlin/", "src/"):
        if (cwd / root / relative).is_file():
            return Location(root + relative, line, 1)
    return Location(relative, line, 1)
