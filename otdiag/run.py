"""`otdiag run`: run an app against a private receiver and report what it emitted (guide heading 3).

The receiver listens on one free loopback port that speaks both OTLP/gRPC
and OTLP/HTTP, so the app reaches it whichever exporter it builds. The app's
OpenTelemetry environment is pointed there; its stderr is passed through and
read for the SDK's own warnings. After it exits (plus a grace period for
late exports) the spans, their timing and the environment are turned into
findings.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from otdiag.catalogue import CREATED, INFO, E, W, kind
from otdiag.errors import UsageError
from otdiag.listen.store import SpanStore
from otdiag.listen.summary import Summary, summarize
from otdiag.model import Finding, Protocol, Stage

NO_SPANS = kind(
    "app.no-spans",
    E,
    Stage.APP,
    CREATED,
    "The app ran and exited without exporting a single span.",
    "Set an SDK TracerProvider with an OTLP exporter before taking tracers, and shut it down before exit.",
)
PROVIDER_OVERRIDDEN = kind(
    "app.provider-set-twice",
    W,
    Stage.APP,
    CREATED,
    "The app set a TracerProvider after one was already set; the second (and its exporter) is ignored.",
    "Set the provider once, before any tracer is taken; under opentelemetry-instrument do not set your own.",
)
QUEUE_FULL = kind(
    "app.queue-full",
    W,
    Stage.APP,
    CREATED,
    "The SDK's span queue overflowed: spans were dropped before export.",
    "Raise OTEL_BSP_MAX_QUEUE_SIZE / OTEL_BSP_MAX_EXPORT_BATCH_SIZE, or lower OTEL_BSP_SCHEDULE_DELAY.",
)
EXPORTER_MISSING = kind(
    "app.exporter-not-installed",
    E,
    Stage.APP,
    CREATED,
    "The configured exporter is not installed (entry point not found): the SDK was not set up.",
    "Install opentelemetry-exporter-otlp (or set OTEL_EXPORTER_OTLP_PROTOCOL to the one installed).",
)
INSTRUMENTATION_CONFLICT = kind(
    "app.instrumentation-not-applied",
    W,
    Stage.APP,
    CREATED,
    "An instrumentation package refused to load (DependencyConflict): its library makes no spans.",
    "Install the instrumentation version that matches the library version.",
)
EXPORT_FAILED = kind(
    "app.export-failed",
    E,
    Stage.APP,
    CREATED,
    "The app's exporter failed to export: it sends somewhere other than the endpoint otdiag gave it.",
    "Do not hard-code endpoint= in the exporter; let OTEL_EXPORTER_OTLP_ENDPOINT decide.",
)
KILLED = kind(
    "app.killed",
    W,
    Stage.APP,
    CREATED,
    "The app was killed by a signal: spans still queued in the SDK (up to 5 s worth) were lost.",
    "Handle SIGTERM and call provider.shutdown() (or force_flush()) before exiting.",
)
AT_EXIT = kind(
    "app.spans-only-at-exit",
    INFO,
    Stage.APP,
    CREATED,
    "Every span arrived as the app shut down: they rely on the final flush, which os._exit, SIGKILL or a crash skips.",
    "Nothing to fix if the app always exits cleanly; otherwise flush (force_flush) at the end of each job.",
)
DEFAULT_SERVICE = kind(
    "app.service-name-from-otdiag",
    INFO,
    Stage.APP,
    CREATED,
    "The app sets no service name of its own: its spans carry the default otdiag run injected.",
    "Set OTEL_SERVICE_NAME (or service.name in the Resource) in the app's environment.",
)

_SIGNATURES: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"Overriding of current TracerProvider is not allowed"), PROVIDER_OVERRIDDEN),
    (re.compile(r"Queue is full, likely spans will be dropped"), QUEUE_FULL),
    (re.compile(r"not found in entry point|Requested component '.*' not found"), EXPORTER_MISSING),
    (re.compile(r"DependencyConflict"), INSTRUMENTATION_CONFLICT),
    (
        re.compile(
            r"Failed to export (span )?batch|Transient error .* encountered while exporting|"
            r"Max retries exceeded with url|Exception while exporting Span"
        ),
        EXPORT_FAILED,
    ),
)


@dataclass
class RunResult:
    argv: list[str]
    returncode: int
    duration_s: float
    exited_at: float
    endpoint: str
    env_set: dict[str, str]
    env_removed: list[str]
    injected_service: str | None
    summary: Summary
    stderr_hits: dict[str, list[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        return {
            "argv": self.argv,
            "exit_status": self.returncode,
            "duration_ms": round(self.duration_s * 1000, 1),
            "endpoint": self.endpoint,
            "environment": {"set": self.env_set, "removed": self.env_removed},
            "spans": s.spans,
            "traces": s.traces,
            "services": s.services,
            "operations": s.operations,
            "transports": s.transports,
            "first_span_after_ms": _rel(s.first_received, self.exited_at - self.duration_s),
            "last_span_before_exit_ms": _rel(s.last_received, self.exited_at, sign=-1),
        }


def _rel(t: float | None, base: float, sign: int = 1) -> float | None:
    return None if t is None else round(sign * (t - base) * 1000, 1)


def prepare_env(
    env: Mapping[str, str], endpoint: str, protocol: Protocol | None, default_service: str | None
) -> tuple[dict[str, str], dict[str, str], list[str], str | None]:
    """The app's environment: (full env, variables set, variables removed, service name injected)."""
    out = dict(env)
    changes: dict[str, str] = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_INSECURE": "true"}
    removed: list[str] = [
        name for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_INSECURE") if name in out
    ]
    for name in removed:
        del out[name]
    if protocol is not None:
        changes["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol.value
    injected = None
    has_name = bool(out.get("OTEL_SERVICE_NAME")) or "service.name=" in out.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if default_service and not has_name:
        changes["OTEL_SERVICE_NAME"] = default_service
        injected = default_service
    out.update(changes)
    return out, changes, removed, injected


def env_findings(env: Mapping[str, str], spans: int) -> list[Finding]:
    """What the app's own OTEL_* variables say will stop spans (heading 3): check's analysis, shared.

    Only the mistakes that stop spans from being created or exported are kept; when spans did
    arrive anyway, they are warnings (the code may configure the SDK itself).
    """
    from dataclasses import replace

    from otdiag import app_env
    from otdiag import catalogue as cat

    keep = {
        cat.APP_SDK_DISABLED.code,
        cat.APP_EXPORTER_NONE.code,
        cat.APP_EXPORTER_CONSOLE.code,
        cat.APP_EXPORTER_JAEGER.code,
        cat.APP_EXPORTER_UNKNOWN.code,
        cat.APP_SAMPLER_OFF.code,
        cat.APP_SAMPLER_ARG.code,
        cat.APP_JAEGER_VARIABLES.code,
    }
    found = [f for f in app_env.analyse(env).findings if f.code in keep]
    if spans > 0:
        found = [replace(f, severity=W) for f in found]
    return found


class _StderrTap:
    """Pass the app's stderr through, and remember lines that match the SDK's known warnings."""

    def __init__(self, stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
        self.hits: dict[str, list[str]] = {}
        self._thread = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
        for raw in iter(stream.readline, b""):
            sink(raw)
            line = raw.decode("utf-8", errors="replace").strip()
            for pattern, k in _SIGNATURES:
                if pattern.search(line):
                    hits = self.hits.setdefault(k.code, [])
                    if len(hits) < 3:
                        hits.append(line[:300])

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def run_app(
    argv: Sequence[str],
    store: SpanStore,
    endpoint: str,
    *,
    env: Mapping[str, str],
    protocol: Protocol | None = None,
    default_service: str | None = "otdiag-run",
    grace: float = 1.0,
    timeout: float | None = None,
    stdout: IO[bytes] | int | None = None,
    stderr_sink: Callable[[bytes], None] = lambda b: None,
    clock: Callable[[], float] = time.time,
) -> RunResult:
    """Run the command to completion against `endpoint` (served by a listener writing to `store`)."""
    full_env, changes, removed, injected = prepare_env(env, endpoint, protocol, default_service)
    started = clock()
    mono = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), env=full_env, stdout=stdout, stderr=subprocess.PIPE, stdin=None)
    except FileNotFoundError:
        raise UsageError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise UsageError(f"cannot run {argv[0]}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    assert proc.stderr is not None
    tap = _StderrTap(proc.stderr, stderr_sink)
    try:
        returncode = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            returncode = proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait(5)
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the app too; give it a moment to flush, then report.
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        raise
    duration = time.monotonic() - mono
    exited_at = started + duration
    tap.join(2)
    time.sleep(grace)
    summary = summarize(store)
    result = RunResult(
        argv=list(argv), returncode=returncode, duration_s=duration, exited_at=exited_at, endpoint=endpoint,
        env_set=changes, env_removed=removed, injected_service=injected, summary=summary,
        stderr_hits=tap.hits,
    )  # fmt: skip
    result.findings = analyse(result, full_env)
    return result


def analyse(result: RunResult, env: Mapping[str, str]) -> list[Finding]:
    s = result.summary
    findings: list[Finding] = []
    by_code = {k.code: k for _, k in _SIGNATURES}
    stderr_findings = [
        by_code[code](f"The app's stderr says: {lines[0]}", evidence=lines)
        for code, lines in result.stderr_hits.items()
    ]
    if s.spans == 0:
        causes = env_findings(env, 0) + stderr_findings
        status = _status_text(result.returncode)
        hint = None
        if result.returncode < 0:
            hint = "The app was killed before the SDK flushed: shut the provider down on exit (mode 40)."
        findings.append(
            NO_SPANS(
                f"The app ({' '.join(result.argv)[:120]}) {status} without exporting any span.",
                hint=hint,
                evidence=[f.message for f in causes][:4]
                or [
                    "No export request reached otdiag's receiver at all: no SDK provider was set (spans are "
                    "NonRecordingSpan), no span was started, or the process exited before the SDK flushed "
                    "(os._exit, SIGKILL, no provider.shutdown())."
                ],
            )
        )
        findings += causes
        return findings
    findings += env_findings(env, s.spans)
    findings += stderr_findings
    if result.returncode < 0:
        findings.append(KILLED(f"The app was killed by signal {-result.returncode} after exporting {s.spans} span(s)."))
    if result.injected_service and set(s.services) <= {result.injected_service}:
        findings.append(
            DEFAULT_SERVICE(f"Every span carries service.name={result.injected_service!r}, the default otdiag run set.")
        )
    if (
        s.first_received is not None
        and s.first_received >= result.exited_at - 0.5
        and result.duration_s > _batch_delay_s(env) + 1.0
    ):
        findings.append(
            AT_EXIT(f"All {s.spans} span(s) arrived in the last half second of a {result.duration_s:.1f}s run.")
        )
    findings += s.findings
    return findings


def _batch_delay_s(env: Mapping[str, str]) -> float:
    """The BatchSpanProcessor's export interval (OTEL_BSP_SCHEDULE_DELAY, 5 s by default).

    An app that runs for less than this exports only when it shuts down, by design: spans that
    arrive at exit are a finding only for an app that ran for longer.
    """
    try:
        return max(0.0, float(env.get("OTEL_BSP_SCHEDULE_DELAY") or 5000) / 1000)
    except ValueError:
        return 5.0


def _status_text(code: int) -> str:
    if code < 0:
        return f"was killed by signal {-code}"
    return f"exited with status {code}"
