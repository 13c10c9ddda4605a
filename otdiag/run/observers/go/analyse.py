"""Go facts -> findings, root cause first: what the stderr proves, what the binary proves, then what
the two together only suggest (worded as an inference)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from otdiag import catalogue as cat
from otdiag import redact
from otdiag.model import Finding, Severity
from otdiag.run.observer import AppRun
from otdiag.run.observers.go import kinds
from otdiag.run.observers.go.linked import (
    ENDPOINT,
    EXIT,
    FATAL,
    INSECURE,
    JAEGER,
    NEVER,
    TLS,
    TLS_OPTION,
    Linked,
    skew,
)

SCHEMA = re.compile(r"conflicting Schema URL")
SCHEME = re.compile(r'parse "https?://https?:%2F%2F|"https?://https?://|https?:%2F%2F|too many colons in address')
TLS_FAIL = re.compile(
    r"authentication handshake failed|first record does not look like a TLS handshake|"
    r"server gave HTTP response to HTTPS client|tls: (handshake|bad record|protocol version)"
)
EXPORT = re.compile(
    r"traces export: |failed to upload|failed to export|max retry time elapsed|exporter export timeout|"
    r"otlptrace\w*: .*(error|fail)"
)
DEADLINE = re.compile(r"context deadline exceeded|DeadlineExceeded")
PANIC = re.compile(r"^(panic|fatal error): (.*)")
FRAME_FILE = re.compile(r"^\s*(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$")
"""A stack frame's file:line (the lines reach the observer stripped of their leading tab)."""

_WHY_EXPORT: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"connection refused"),
        "Nothing listens where the exporter sends: an endpoint set in the code (WithEndpoint / WithEndpointURL) "
        "overrides OTEL_EXPORTER_OTLP_ENDPOINT. Drop the option, or point it at the collector.",
    ),
    (
        re.compile(r"\b404\b|Not Found|Unimplemented|unknown service"),
        "The receiver does not serve that path or service: otlptracehttp posts to /v1/traces unless "
        "WithURLPath / WithEndpointURL change it; a gRPC exporter must target the gRPC port (4317).",
    ),
    (
        DEADLINE,
        "The export timed out: the endpoint set in the code does not answer, or otlptracegrpc speaks TLS to a "
        "plaintext port (add otlptracegrpc.WithInsecure(), or use an http:// endpoint).",
    ),
)
_GO_EXPORT_HINT = (
    "Read the error: the exporter's options in the code (WithEndpoint, WithURLPath, WithInsecure, WithHeaders) "
    "override the OTEL_EXPORTER_OTLP_* variables."
)


def _first(lines: Sequence[str], pattern: re.Pattern[str]) -> str | None:
    for line in lines:
        if pattern.search(line):
            return redact.clean(line)[:400]
    return None


def stderr_export_errors(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if EXPORT.search(line) or SCHEMA.search(line) or TLS_FAIL.search(line)][:20]


def analyse_go(linked: Linked | None, run: AppRun) -> list[Finding]:
    """The findings, errors (root causes) first."""
    nothing = run.summary.spans == 0
    sev = Severity.ERROR if nothing else Severity.WARNING
    lines = run.stderr
    out: list[Finding] = []
    exporters = {name for name, _ in linked.exporters()} if linked is not None else set()

    if linked is not None and JAEGER in linked.modules:
        out.append(
            cat.APP_JAEGER_REMOVED(
                f"The binary links go.opentelemetry.io/otel/exporters/jaeger {linked.modules[JAEGER]}, removed from "
                "OpenTelemetry Go after v1.17.0; it speaks Thrift to Jaeger v1's collector ports (14268), which "
                "Jaeger v2 and the OpenTelemetry Collector do not open.",
                hint="Use otlptracegrpc.New(ctx) (or otlptracehttp) and send OTLP to the collector or Jaeger "
                "(4317, 4318).",
                severity=sev,
            )
        )
    if linked is not None and nothing and not linked.api and not linked.sdk:
        out.append(
            cat.APP_NO_OPENTELEMETRY(
                "The Go binary links no OpenTelemetry module (go.opentelemetry.io/otel is not in its build info): "
                "nothing in it creates spans.",
                hint="Add go.opentelemetry.io/otel, its sdk and an OTLP exporter; build a TracerProvider and call "
                "otel.SetTracerProvider(tp) at start-up.",
            )
        )
    elif linked is not None and nothing and linked.api and not linked.sdk:
        out.append(
            cat.APP_NO_PROVIDER(
                "The binary links the OpenTelemetry API (go.opentelemetry.io/otel "
                f"{linked.modules.get('go.opentelemetry.io/otel', '')}) but not the SDK "
                "(go.opentelemetry.io/otel/sdk): every tracer comes from the global no-op provider, so every "
                "span is a no-op.",
                hint="In main: exp, _ := otlptracegrpc.New(ctx); tp := sdktrace.NewTracerProvider("
                "sdktrace.WithBatcher(exp)); otel.SetTracerProvider(tp); defer tp.Shutdown(ctx).",
                evidence=["go version -m shows no go.opentelemetry.io/otel/sdk module"],
            )
        )
    line = _first(lines, SCHEMA)
    if line:
        out.append(
            kinds.GO_SCHEMA_CONFLICT(
                "The app's stderr says resource.Merge failed on conflicting schema URLs: a set-up that returns on "
                "this error never sets its TracerProvider." + ("" if nothing else " (spans still arrived)"),
                evidence=[line],
                severity=sev,
            )
        )
    scheme = _first(lines, SCHEME)
    if scheme:
        out.append(
            kinds.GO_ENDPOINT_SCHEME(
                "The export URL has a scheme inside it: WithEndpoint was given a URL (http://host:port) where it "
                "wants host:port.",
                evidence=[scheme],
                severity=sev,
            )
        )
    tls = _first(lines, TLS_FAIL)
    if tls:
        out.append(
            cat.INGEST_TLS_TO_PLAINTEXT(
                "The exporter spoke TLS to otdiag's plaintext receiver: otlptracegrpc without WithInsecure() "
                "(or credentials in WithTLSCredentials / WithDialOption) dials with TLS.",
                hint="Add otlptracegrpc.WithInsecure() for a plaintext collector, or give an http:// endpoint "
                "(OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4317 turns TLS off when the code sets no endpoint).",
                evidence=[tls],
                severity=sev,
            )
        )
    crash = _panic(lines, run)
    if crash is not None:
        out.append(crash if nothing else replace(crash, severity=Severity.WARNING))
    if linked is not None and nothing and linked.sdk and linked.set_provider is False:
        out.append(
            cat.APP_PROVIDER_NOT_SET(
                "The binary links the SDK, but no code in it calls otel.SetTracerProvider (the linker kept no "
                "such call): otel.Tracer(...) hands out the global no-op tracer, and nothing reaches the exporter.",
                hint="Call otel.SetTracerProvider(tp) right after sdktrace.NewTracerProvider(...), or take tracers "
                "from tp.Tracer(...) directly.",
                evidence=["go.opentelemetry.io/otel.SetTracerProvider is not in the binary's function table"],
            )
        )
    if linked is not None and nothing and linked.sdk and not exporters - {"stdouttrace"}:
        if "stdouttrace" in exporters:
            out.append(
                cat.APP_EXPORTER_CONSOLE(
                    "The only trace exporter the binary links is stdouttrace: spans are printed on stdout, never sent.",
                    hint="Add an OTLP exporter: exp, _ := otlptracegrpc.New(ctx); sdktrace.WithBatcher(exp) "
                    "(keep stdouttrace beside it with a second WithBatcher if you want both).",
                )
            )
        else:
            out.append(
                cat.APP_EXPORTER_NO_ENDPOINT(
                    "The binary links the SDK but no trace exporter module (no otlptracegrpc, otlptracehttp, "
                    "stdouttrace or autoexport): at most an exporter of the app's own sends somewhere.",
                    hint="Add go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc and "
                    "sdktrace.WithBatcher(exp) on the provider.",
                )
            )
    export = [x for x in lines if EXPORT.search(x) and not SCHEME.search(x) and not TLS_FAIL.search(x)]
    if export and not (scheme or tls):
        out.append(_export_failed(export, linked, exporters, sev, run.launch.endpoint))
    if nothing and linked is not None and linked.sdk and not any(f.severity is Severity.ERROR for f in out):
        out += _inferred(linked, lines, exporters)
    if linked is not None:
        out += _warnings(linked, run)
    errors = [f for f in out if f.severity is Severity.ERROR]
    return [*errors, *(f for f in out if f.severity is not Severity.ERROR)]


def _panic(lines: Sequence[str], run: AppRun) -> Finding | None:
    """A Go panic (or fatal error) on stderr: its message and the first frame of the app's own code."""
    import os

    from otdiag.model import Location

    for i, line in enumerate(lines):
        m = PANIC.match(line)
        if m is None:
            continue
        location = None
        func = ""
        for j in range(i + 1, min(len(lines), i + 200)):
            frame = FRAME_FILE.match(lines[j])
            if frame is None:
                continue
            func = lines[j - 1].strip()
            if func.startswith(("panic(", "runtime.", "log.")):
                continue
            path = frame.group(1)
            try:
                rel = os.path.relpath(path, run.launch.cwd)
                path = rel if not rel.startswith("..") else path
            except ValueError:
                pass
            location = Location(redact.clean(path)[:300], int(frame.group(2)), 1)
            break
        where = f" in {redact.clean(func)[:120]}" if location is not None and func else ""
        return cat.APP_CRASHED(
            f"The app {'panicked' if m.group(1) == 'panic' else 'died with a fatal error'}{where}: "
            f"{redact.clean(m.group(2))[:300]}. The batch still queued was lost, unless a deferred "
            "tp.Shutdown(ctx) ran on the goroutine that panicked.",
            hint="Fix the panic at the file:line shown (the full trace is on the app's stderr); to keep spans of "
            "a crash, recover in main and call tp.Shutdown(ctx) before re-panicking.",
            location=location,
        )
    return None


def _tls_in_code(linked: Linked | None, exporters: set[str]) -> str | None:
    """Where the app's code gives otlptracegrpc TLS credentials, when it does."""
    if linked is None or "otlptracegrpc" not in exporters or INSECURE in linked.calls:
        return None
    return linked.calls.get(TLS) or linked.calls.get(TLS_OPTION)


def _export_failed(
    export: list[str], linked: Linked | None, exporters: set[str], sev: Severity, receiver: str = ""
) -> Finding:
    export_failed = cat.APP_EXPORT_FAILED
    first = redact.clean(export[0])[:400]
    evidence = [redact.clean(x)[:400] for x in export[:3]]
    tls_at = _tls_in_code(linked, exporters)
    if tls_at and DEADLINE.search(export[0]):
        return cat.INGEST_TLS_TO_PLAINTEXT(
            f"Exports timed out, and the code gives otlptracegrpc TLS credentials ({tls_at}) without "
            "WithInsecure(): the exporter most likely speaks TLS to otdiag's plaintext receiver, which cannot "
            "answer a TLS handshake (inferred: gRPC only reports the timeout).",
            hint="Use otlptracegrpc.WithInsecure() for a plaintext collector (drop WithTLSCredentials), or give "
            "the collector a TLS receiver.",
            evidence=evidence,
            severity=sev,
        )
    own = next((h for p, h in _WHY_EXPORT if p.search(export[0])), None)
    hint = own or _GO_EXPORT_HINT
    options = [f"{o} in {linked.calls[o]}" for o in (ENDPOINT, INSECURE, TLS_OPTION) if linked and o in linked.calls]
    if options:
        evidence.append("exporter options the code sets: " + ", ".join(options))
    if receiver:
        from otdiag.run import export_failure

        return export_failure.finding(
            "The Go SDK's error handler says an export failed",
            export[0],
            endpoint=None,
            receiver=receiver,
            evidence=evidence,
            severity=sev,
            fallback_hint=hint,
            drop_option="WithEndpoint(...)/WithEndpointURL(...) from the exporter's options",
            runtime_hint=own,
        )
    return export_failed(
        f"The Go SDK's error handler says an export failed: {first}", hint=hint, evidence=evidence, severity=sev
    )


def _inferred(linked: Linked, lines: Sequence[str], exporters: set[str]) -> list[Finding]:
    """Nothing arrived, the SDK and an exporter are linked and no error was printed: the likeliest cause."""
    where = linked.calls
    loc = linked.locations
    if NEVER in where:
        return [
            cat.APP_SAMPLER_OFF(
                f"The code builds the provider with sdktrace.NeverSample() ({where[NEVER]}): every span is dropped "
                "at the root, so the exporter never has anything to send (inferred from the code; a Go binary's "
                "span counts are not visible from outside).",
                hint="Use sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())) (the default), or "
                "sdktrace.TraceIDRatioBased(r) with r > 0.",
                location=loc.get(NEVER),
            )
        ]
    tls_at = _tls_in_code(linked, exporters)
    if tls_at:
        return [
            cat.INGEST_TLS_TO_PLAINTEXT(
                f"The code gives otlptracegrpc TLS credentials ({tls_at}) and nothing reached otdiag's plaintext "
                "receiver: the exporter most likely speaks TLS to a plaintext port (inferred).",
                hint="Use otlptracegrpc.WithInsecure() for a plaintext collector, or give the collector a TLS "
                "receiver.",
                evidence=[x for x in (_first(lines, DEADLINE),) if x],
                location=loc.get(TLS),
            )
        ]
    exit_call = EXIT if EXIT in where else FATAL if FATAL in where else None
    said = (
        f"The code calls {exit_call} ({where[exit_call]}), which ends the process without running deferred "
        "calls, so a deferred tp.Shutdown(ctx) never flushes the batch."
        if exit_call
        else "Nothing arrived and no export error was printed: the likeliest cause is that the process ended before "
        "tp.Shutdown(ctx) ran (or no span was started)."
    )
    return [
        cat.APP_EXIT_BEFORE_FLUSH(
            f"{said} The binary links the SDK and {', '.join(sorted(exporters)) or 'an exporter'}, and sets the "
            "provider (inferred: a Go binary's spans cannot be counted from outside).",
            hint="Call tp.Shutdown(ctx) (or tp.ForceFlush(ctx)) before os.Exit / log.Fatal, or return from main "
            "so that `defer tp.Shutdown(ctx)` runs.",
            location=loc.get(exit_call) if exit_call else None,
        )
    ]


def _warnings(linked: Linked, run: AppRun) -> list[Finding]:
    out: list[Finding] = []
    otlp = {name for name, _ in linked.exporters()} & {"otlptracegrpc", "otlptracehttp"}
    calls = linked.calls
    if otlp and ENDPOINT in calls and not {INSECURE, TLS, TLS_OPTION} & calls.keys():
        out.append(
            kinds.GO_TLS_BY_DEFAULT(
                f"The code calls WithEndpoint ({calls[ENDPOINT]}) without WithInsecure() for "
                f"{' and '.join(sorted(otlp))}: it worked here only if otdiag's http:// endpoint and "
                "OTEL_EXPORTER_OTLP_INSECURE=true reached it; where the environment sets neither, it dials with TLS.",
                location=linked.locations.get(ENDPOINT),
            )
        )
    skewed = skew(linked.modules)
    if skewed:
        shown = ", ".join(f"{m.removeprefix('go.opentelemetry.io/')} {v}" for m, v in skewed.items())
        out.append(
            cat.APP_VERSION_SKEW(
                f"The OpenTelemetry Go modules linked are not at one release: {redact.clean(shown)[:300]}.",
                hint="go get go.opentelemetry.io/otel@vX go.opentelemetry.io/otel/sdk@vX (and every "
                "go.opentelemetry.io/otel/... module) at one version, then go mod tidy.",
                severity=Severity.WARNING,
            )
        )
    protocol = (run.launch.env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or run.launch.env.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL") or "").strip().lower()  # fmt: skip
    names = {name for name, _ in linked.exporters()}
    want = {"grpc": "otlptracegrpc", "http/protobuf": "otlptracehttp", "http/json": "otlptracehttp"}.get(protocol)
    other = {"otlptracegrpc": "otlptracehttp", "otlptracehttp": "otlptracegrpc"}
    if want and "autoexport" not in names and want not in names and other[want] in names:
        out.append(
            kinds.GO_PROTOCOL_IGNORED(
                f"OTEL_EXPORTER_OTLP_PROTOCOL={redact.clean(protocol)[:20]}, but the binary links only "
                f"{other[want]}: the variable is ignored, the app speaks "
                f"{'gRPC' if other[want] == 'otlptracegrpc' else 'OTLP/HTTP'}."
            )
        )
    return out
