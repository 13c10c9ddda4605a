"""`otdiag check`: probe every hop of App -> SDK -> Collector -> Jaeger, prove it end to end, say where it breaks.

1. The app's OTEL_* environment (heading 3, and heading 1 for its export settings).
2. The collector: an empty (valid, stores-nothing) export on the app's protocol and the other one,
   its health endpoint, its internal metrics (heading 1).
3. Jaeger's query API and health (heading 2).
4. End to end: a test span through the collector, polled for in Jaeger, while the collector's
   metrics say where it went (accepted, refused, dropped by a processor, stuck in the exporter,
   exported but not stored).

All probes run concurrently, each bounded by the timeout, so a dead pipeline ends in about one
timeout. Core code: returns a Report, never prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from otdiag import app_env, collector_health, collector_metrics, ingest, otel_env
from otdiag import catalogue as c
from otdiag.collector_metrics import Delta, Snapshot
from otdiag.errors import UsageError
from otdiag.find import jaeger_failure
from otdiag.http import TlsOptions
from otdiag.jaeger_api import JaegerClient, JaegerError
from otdiag.model import Finding, Protocol, Report, Severity, Stage, Step, StepStatus
from otdiag.progress import NoProgress, Progress
from otdiag.redact import Scrubber
from otdiag.send import Exporter, attempt_of, send_probe_span
from otdiag.transport import Cause, TransportError

if TYPE_CHECKING:
    from otdiag.collector_config import CollectorTargets, ExporterTarget

STANDARD_PORTS = {Protocol.GRPC: 4317, Protocol.HTTP_PROTOBUF: 4318, Protocol.HTTP_JSON: 4318}


@dataclass(frozen=True)
class CheckOptions:
    env: Mapping[str, str]
    """The application's environment: os.environ, or --env-file."""
    flags: otel_env.Flags = field(default_factory=otel_env.Flags)
    jaeger_url: str = "http://localhost:16686"
    health_url: str | None = None
    metrics_url: str | None = None
    jaeger_health_url: str | None = None
    config: CollectorTargets | None = None
    timeout: float = 5.0
    wait: float = 15.0
    """How long the end-to-end span may take to show up in Jaeger."""
    e2e: bool = True
    config_findings: list[Finding] = field(default_factory=list)
    """validate-config's errors for --config: reported first, before anything is probed."""


@dataclass
class _Probe:
    step: Step
    findings: list[Finding] = field(default_factory=list)
    cause: Cause | None = None
    ok: bool = False


def _timed(name: str, stage: Stage, target: str | None, fn: Callable[[_Probe], None]) -> _Probe:
    probe = _Probe(Step(name, stage, StepStatus.SKIP, 0.0, "", target))
    started = time.monotonic()
    fn(probe)
    probe.step = replace(probe.step, duration_ms=(time.monotonic() - started) * 1000)
    return probe


def _set(probe: _Probe, status: StepStatus, detail: str) -> None:
    probe.step = replace(probe.step, status=status, detail=detail)
    probe.ok = status is StepStatus.PASS


# --- the probes ----------------------------------------------------------------------------------------


def probe_export(name: str, settings: otel_env.Settings, timeout: float) -> _Probe:
    """An empty export request: valid OTLP that reaches the receiver and stores nothing."""

    def run(p: _Probe) -> None:
        exporter = Exporter(settings, Scrubber().with_headers(settings.headers))
        at = attempt_of(settings)
        try:
            res = exporter.export(b"", timeout=timeout)
        except TransportError as err:
            f = ingest.from_transport(err, at, timeout=min(2.0, timeout))
            p.findings.append(f)
            p.cause = err.cause
            _set(p, StepStatus.FAIL, f.message)
            return
        finally:
            exporter.close()
        finding = ingest.from_result(res, at, sent_spans=0)
        if finding is not None:
            p.findings.append(finding)
            _set(p, StepStatus.FAIL, finding.message)
            return
        _set(
            p,
            StepStatus.PASS,
            f"{settings.protocol.value} export accepted by {settings.target} ({res.elapsed_ms:.0f} ms)",
        )

    return _timed(name, Stage.COLLECTOR_INGEST, settings.target, run)


def probe_health(url: str, timeout: float, tls: TlsOptions) -> _Probe:
    def run(p: _Probe) -> None:
        try:
            health = collector_health.probe(url, timeout=timeout, tls=tls)
        except TransportError as err:
            p.cause = err.cause
            p.findings.append(
                c.COLLECTOR_NO_HEALTH(
                    f"The collector's health endpoint {url} does not answer ({err.detail}).", target=url
                )
            )
            _set(p, StepStatus.SKIP, f"no answer ({err.detail})")
            return
        if health is None:
            p.findings.append(
                c.COLLECTOR_NO_HEALTH(f"{url} answers, but not as a collector health endpoint.", target=url)
            )
            _set(p, StepStatus.SKIP, "not a health endpoint")
            return
        if health.flavour == "jaeger-v1-admin":
            msg = f"{url} is Jaeger v1's admin port, not the collector's health."
            hint = "Pass the collector's health_check endpoint (13133 by default); 14269 is Jaeger v1's own."
            p.findings.append(c.COLLECTOR_NO_HEALTH(msg, target=url, hint=hint))
            _set(p, StepStatus.SKIP, "Jaeger v1's admin port, not the collector's")
            return
        if health.healthy:
            _set(p, StepStatus.PASS, f"{health.flavour}: {health.status}")
            return
        ev = [f"{x.path}: {x.status} {x.error}".strip() for x in health.problems]
        p.findings.append(
            c.COLLECTOR_UNHEALTHY(
                f"The collector reports {health.status} ({health.flavour}).", target=health.url, evidence=ev
            )
        )
        _set(p, StepStatus.FAIL, f"{health.flavour}: {health.status}")

    return _timed("collector-health", Stage.COLLECTOR, url, run)


def probe_metrics(url: str, timeout: float, tls: TlsOptions) -> tuple[_Probe, Snapshot | None]:
    box: list[Snapshot] = []

    def run(p: _Probe) -> None:
        try:
            snap = collector_metrics.scrape(url, timeout=timeout, tls=tls)
        except TransportError as err:
            p.cause = err.cause
            p.findings.append(
                c.COLLECTOR_NO_METRICS(f"The collector's metrics at {url} are not readable ({err.detail}).", target=url)
            )
            _set(p, StepStatus.SKIP, f"not readable ({err.detail})")
            return
        if snap.jaeger:
            msg = f"{url} serves Jaeger's own metrics (Jaeger v1's admin port, 14269), not the collector's."
            p.findings.append(c.COLLECTOR_NO_METRICS(msg, target=url))
            _set(p, StepStatus.SKIP, "Jaeger v1's metrics, not the collector's")
            return
        box.append(snap)
        exporters = ", ".join(snap.exporters) or "none seen yet"
        _set(p, StepStatus.PASS, f"{sum(snap.accepted.values()):.0f} spans accepted so far; exporters: {exporters}")

    probe = _timed("collector-metrics", Stage.COLLECTOR, url, run)
    return probe, (box[0] if box else None)


def probe_jaeger(url: str, timeout: float, tls: TlsOptions) -> _Probe:
    def run(p: _Probe) -> None:
        client = JaegerClient(url, timeout=timeout, tls=tls)
        try:
            services = client.services()
        except (TransportError, JaegerError) as err:
            p.cause = err.cause if isinstance(err, TransportError) else None
            p.findings.append(jaeger_failure(url, err))
            _set(p, StepStatus.FAIL, p.findings[0].message)
            return
        api = client.api.value if client.api else "?"
        names = f": {', '.join(services[:8])}" if services else ""
        _set(p, StepStatus.PASS, f"API {api} answers; {len(services)} service(s){names}")

    return _timed("jaeger-query", Stage.JAEGER, url, run)


def probe_zpages(url: str, timeout: float) -> _Probe:
    """zpages (when the config enables it): a live view of the collector's pipelines for a human to open."""

    def run(p: _Probe) -> None:
        from otdiag import http

        try:
            resp = http.request("GET", url.rstrip("/") + "/debug/pipelinez", timeout=timeout, max_bytes=4 << 20)
        except TransportError as err:
            p.findings.append(c.COLLECTOR_NO_ZPAGES(f"zpages at {url} do not answer ({err.detail}).", target=url))
            _set(p, StepStatus.SKIP, f"no answer ({err.detail})")
            return
        if resp.status == 200:
            _set(p, StepStatus.PASS, f"{url}/debug/pipelinez answers: open it to see each pipeline live")
        else:
            _set(p, StepStatus.SKIP, f"HTTP {resp.status}")

    return _timed("collector-zpages", Stage.COLLECTOR, url, run)


def probe_jaeger_health(url: str, timeout: float, tls: TlsOptions) -> _Probe:
    def run(p: _Probe) -> None:
        try:
            health = collector_health.probe(url, timeout=timeout, tls=tls)
        except TransportError as err:
            _set(p, StepStatus.SKIP, f"no answer ({err.detail})")
            return
        if health is None:
            _set(p, StepStatus.SKIP, "not a health endpoint")
        elif health.healthy:
            _set(p, StepStatus.PASS, f"{health.flavour}: {health.status}")
        else:
            ev = [f"{x.path}: {x.status} {x.error}".strip() for x in health.problems]
            p.findings.append(
                c.JAEGER_ERROR(f"Jaeger's health endpoint reports {health.status}.", target=url, evidence=ev)
            )
            _set(p, StepStatus.FAIL, health.status)

    return _timed("jaeger-health", Stage.JAEGER, url, run)


def exporter_settings(target: ExporterTarget, timeout: float) -> otel_env.Settings:
    """The collector exporter's destination, as otdiag's own client settings."""
    if target.type == "otlp_grpc":
        host, _, port = target.endpoint.rpartition(":")
        return otel_env.Settings(
            Protocol.GRPC,
            target.endpoint,
            host or target.endpoint,
            int(port or 4317),
            target.secure,
            dict(target.headers),
            target.ca_file,
            None,
            None,
            timeout,
            "none",
        )
    s = otel_env.resolve(otel_env.Flags(endpoint=target.endpoint, protocol=Protocol.HTTP_PROTOBUF, timeout=timeout), {})
    return replace(s, headers=dict(target.headers), ca_file=target.ca_file)


def as_export_finding(f: Finding, exporter_id: str) -> Finding:
    """An ingest finding about the collector's exporter target, retyped for the collector -> Jaeger hop."""
    suffix = f.code.removeprefix("ingest.")
    kind = c.EXPORT_KINDS.get(suffix, c.EXPORT_KINDS["http-error"])
    msg = f"The collector's exporter {exporter_id}: {f.message[0].lower()}{f.message[1:]}"
    return kind(msg, target=f.target, evidence=[*f.evidence, "probed from otdiag's host"])


def probe_exporter(target: ExporterTarget, timeout: float) -> _Probe:
    def run(p: _Probe) -> None:
        settings = exporter_settings(target, timeout)
        inner = probe_export("", settings, timeout)
        p.cause = inner.cause
        p.findings = [as_export_finding(f, target.id) for f in inner.findings]
        if inner.ok:
            _set(p, StepStatus.PASS, f"{target.id} -> {target.endpoint}: an empty export is accepted from here")
        else:
            _set(p, StepStatus.FAIL, p.findings[0].message if p.findings else "failed")

    return _timed(f"exporter {target.id}", Stage.COLLECTOR_EXPORT, target.endpoint, run)


# --- end to end ---------------------------------------------------------------------------------------


@dataclass
class _E2E:
    step: Step
    findings: list[Finding]
    trace_id: str | None = None
    time_to_visible_ms: float | None = None


def _loss(delta: Delta, after: Snapshot, waited: float, *, final: bool) -> Finding | None:
    """Where the test span went, read from the collector's metrics; None while it is still on its way."""
    if delta.refused > 0:
        return c.COLLECTOR_REFUSING(
            f"The collector refused the test span ({delta.refused:.0f} span(s) refused while it was sent): "
            "its memory_limiter is refusing data.",
            evidence=[f"otelcol_receiver_refused_spans +{delta.refused:.0f}"],
        )
    for proc, inc in sorted(delta.incoming.items()):
        out = delta.outgoing.get(proc, 0.0)
        if inc > 0 and out < inc and proc.split("/")[0] != "batch":
            ev = [f"otelcol_processor_incoming_items{{processor={proc}}} +{inc:.0f}, outgoing +{out:.0f}"]
            if proc.split("/")[0] == "tail_sampling":
                if final:
                    return c.COLLECTOR_TAIL_SAMPLING(
                        f"Processor {proc} took the test span and has not released it after {waited:.1f}s.",
                        target=proc,
                        evidence=ev,
                        severity=Severity.ERROR,
                    )
                return None
            if waited >= 1.0 or final:
                return c.COLLECTOR_DROPPED(
                    f"Processor {proc} dropped the test span ({inc:.0f} in, {out:.0f} out).", target=proc, evidence=ev
                )
    for proc, n in sorted(delta.sampled_out.items()):
        if n > 0 and sum(delta.sent.values()) <= 0 and (waited >= 1.0 or final):
            ev = [f"otelcol_processor_probabilistic_sampler_count_traces_sampled{{sampled=false}} +{n:.0f}"]
            return c.COLLECTOR_DROPPED(f"Processor {proc} sampled the test trace out.", target=proc, evidence=ev)
    if delta.tail_sampling_traces > 0 and sum(delta.sent.values()) <= 0:
        if not final:
            return None
        return c.COLLECTOR_TAIL_SAMPLING(
            f"tail_sampling took the test trace and has not released it after {waited:.1f}s (it waits decision_wait).",
            target="tail_sampling",
            evidence=[f"otelcol_processor_tail_sampling_new_trace_id_received +{delta.tail_sampling_traces:.0f}"],
            severity=Severity.ERROR,
        )
    failed = {e: v for e, v in delta.send_failed.items() if v > 0}
    if failed:
        e, v = next(iter(failed.items()))
        return c.EXPORT_FAILED(
            f"Exporter {e} failed to send {v:.0f} span(s) while the test span passed.",
            target=e,
            evidence=[f"otelcol_exporter_send_failed_spans{{exporter={e}}} +{v:.0f}"],
        )
    full = {e: v for e, v in delta.enqueue_failed.items() if v > 0}
    if full:
        e, v = next(iter(full.items()))
        return c.EXPORT_QUEUE_FULL(
            f"Exporter {e}'s queue is full: {v:.0f} span(s) dropped while the test span passed.", target=e
        )
    stuck = [e for e, q in after.queue_size.items() if q > 0 and delta.sent.get(e, 0.0) <= 0]
    if stuck and (waited >= 3.0 or final):
        e = stuck[0]
        return c.EXPORT_STUCK(
            f"Exporter {e} holds {after.queue_size[e]:.0f} request(s) queued and has sent nothing in {waited:.1f}s.",
            target=e,
            evidence=[
                f"otelcol_exporter_queue_size{{exporter={e}}} = {after.queue_size[e]:.0f}",
                f"otelcol_exporter_sent_spans{{exporter={e}}} +0",
            ],
        )
    if final and delta.accepted > 0 and sum(delta.sent.values()) > 0:
        sent = ", ".join(f"{e} +{v:.0f}" for e, v in delta.sent.items())
        return c.JAEGER_NOT_STORED(
            f"The collector accepted and exported the test span ({sent}), but Jaeger does not show it.",
            evidence=[f"otelcol_exporter_sent_spans: {sent}"],
        )
    return None


def end_to_end(
    settings: otel_env.Settings,
    opts: CheckOptions,
    tls: TlsOptions,
    progress: Progress,
    exporter_probes: list[_Probe],
    before: Snapshot | None = None,
) -> _E2E:
    """Send a test span and poll Jaeger for it; `before`, a metrics snapshot taken just now, saves a scrape."""
    started = time.monotonic()
    metrics_url = opts.metrics_url
    if metrics_url and before is None:
        try:
            before = collector_metrics.scrape(metrics_url, timeout=opts.timeout, tls=tls)
        except TransportError:
            before = None
    progress.update(f"sending a test span to {settings.target}")
    out = send_probe_span(settings, "otdiag-check", "otdiag-check", {"otdiag.check": "e2e"})
    if out.accepted == 0:
        f = out.findings[0] if out.findings else c.INGEST_REJECTED("The test span was not accepted.")
        return _E2E(Step("end-to-end", Stage.COLLECTOR_INGEST, StepStatus.FAIL, 0.0, f.message), [f], out.trace_id)
    client = JaegerClient(opts.jaeger_url, timeout=min(opts.timeout, 5.0), tls=tls)
    sent_at = time.monotonic()
    deadline = sent_at + opts.wait
    delay, last_scrape, finding, scrape_error = 0.02, 0.0, None, ""
    after = before
    while True:
        progress.update(f"waiting for trace {out.trace_id} in Jaeger ({time.monotonic() - sent_at:.1f}s)")
        try:
            fetched = client.get_trace(out.trace_id)
        except (TransportError, JaegerError) as exc:
            f = c.JAEGER_ERROR(f"Jaeger failed while looking for the test trace: {exc}.", target=opts.jaeger_url)
            return _E2E(Step("end-to-end", Stage.JAEGER, StepStatus.FAIL, 0.0, f.message), [f], out.trace_id)
        now = time.monotonic()
        if fetched is not None:
            ms = (now - sent_at) * 1000
            detail = f"test trace {out.trace_id} visible in Jaeger after {ms:.0f} ms"
            step = Step("end-to-end", Stage.JAEGER, StepStatus.PASS, (now - started) * 1000, detail, opts.jaeger_url)
            return _E2E(step, [], out.trace_id, ms)
        final = now >= deadline
        if metrics_url and before is not None and (now - last_scrape >= 0.5 or final):
            last_scrape = now
            try:
                after = collector_metrics.scrape(metrics_url, timeout=opts.timeout, tls=tls)
            except TransportError as err:
                after, scrape_error = None, err.detail
            if after is not None:
                finding = _loss(Delta(before, after), after, now - sent_at, final=final)
                if finding is not None and (final or finding.severity is Severity.ERROR):
                    break
        if final:
            break
        time.sleep(min(delay, max(0.0, deadline - now)))
        delay = min(delay * 1.5, 0.25)
    waited = time.monotonic() - sent_at
    findings: list[Finding] = []
    if finding is None:
        missing = after.missing_for_diagnosis() if after is not None else []
        why = (
            "; without the collector's metrics otdiag cannot tell where it went."
            if before is None
            else f"; the collector's metrics page failed after the span was sent ({scrape_error}), "
            "so otdiag cannot tell which hop lost it."
            if after is None and scrape_error
            else f"; this collector's metrics show no {'; no '.join(missing)}, so otdiag cannot tell which hop lost it."
            if missing
            else "."
        )
        finding = c.E2E_NOT_VISIBLE(
            f"The collector accepted test trace {out.trace_id}, but Jaeger did not show it within {opts.wait:g}s" + why,
            target=opts.jaeger_url,
            hint="This collector release does not report where spans go: read its debug exporter or zpages "
            "(/debug/tracez), or upgrade the collector."
            if missing
            else None,
            evidence=[f"not in the collector's metrics: {m}" for m in missing]
            + ([f"metrics: {scrape_error}"] if after is None and scrape_error else []),
        )
    if finding.stage is Stage.COLLECTOR_EXPORT:
        # The exporter probes (with --config) name why the collector cannot reach Jaeger.
        specific = [f for p in exporter_probes for f in p.findings]
        findings.extend(specific)
        if specific:
            finding = replace(finding, severity=Severity.WARNING)
    findings.insert(0, finding)
    findings.sort(key=lambda f: f.severity is not Severity.ERROR)
    step = Step(
        "end-to-end",
        findings[0].stage,
        StepStatus.FAIL,
        (time.monotonic() - started) * 1000,
        f"test trace {out.trace_id} not visible after {waited:.1f}s: {finding.message}",
        opts.jaeger_url,
    )
    return _E2E(step, findings, out.trace_id)


# --- the whole check ------------------------------------------------------------------------------------


def _app_settings(opts: CheckOptions, findings: list[Finding]) -> otel_env.Settings:
    flags = opts.flags
    if flags.endpoint is None and not _configured(opts.env) and opts.config is not None:
        cfg = opts.config
        proto = flags.protocol or (Protocol.GRPC if cfg.otlp_grpc else Protocol.HTTP_PROTOBUF)
        dial = cfg.otlp_grpc if proto is Protocol.GRPC else cfg.otlp_http
        if dial:
            tls = cfg.otlp_grpc_tls if proto is Protocol.GRPC else cfg.otlp_http_tls
            flags = replace(flags, endpoint=f"{'https' if tls else 'http'}://{dial}", protocol=proto)
    try:
        return otel_env.resolve(flags, opts.env)
    except UsageError as exc:
        if flags.endpoint is not None and str(exc).startswith("--"):
            raise
        findings.append(c.SETTINGS_NOTE(f"{exc}; otdiag probes the defaults instead.", severity=Severity.ERROR))
        return otel_env.resolve(flags, {})


def _configured(env: Mapping[str, str]) -> bool:
    return any((env.get(f"OTEL_EXPORTER_OTLP_{k}") or "").strip() for k in ("ENDPOINT", "TRACES_ENDPOINT"))


def _sibling(settings: otel_env.Settings, opts: CheckOptions) -> otel_env.Settings | None:
    """The other OTLP protocol on the same collector (the standard port, or the one --config gives)."""
    other = Protocol.HTTP_PROTOBUF if settings.protocol is Protocol.GRPC else Protocol.GRPC
    cfg = opts.config
    if cfg is not None:
        dial = cfg.otlp_http if other.is_http else cfg.otlp_grpc
        if not dial:
            return None
        tls = cfg.otlp_http_tls if other.is_http else cfg.otlp_grpc_tls
        endpoint = f"{'https' if tls else 'http'}://{dial}"
    elif settings.port == STANDARD_PORTS[settings.protocol]:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        endpoint = f"{'https' if settings.secure else 'http'}://{host}:{STANDARD_PORTS[other]}"
    else:
        return None
    flags = otel_env.Flags(
        endpoint=endpoint,
        protocol=other,
        headers=settings.headers or None,
        ca_file=settings.ca_file,
        cert_file=settings.cert_file,
        key_file=settings.key_file,
        timeout=settings.timeout,
    )
    return otel_env.resolve(flags, {})


def run(opts: CheckOptions, progress: Progress | None = None) -> Report:
    progress = progress or NoProgress()
    findings: list[Finding] = []
    steps: list[Step] = []

    # 1. The app's side.
    otel_vars = [k for k in opts.env if k.startswith("OTEL_")]
    app = app_env.analyse(opts.env)
    app_findings = app.findings if otel_vars else [c.APP_ENV_EMPTY("No OTEL_* variable is set here.")]
    protocol = opts.flags.protocol or app.protocol
    settings = _app_settings(replace(opts, flags=replace(opts.flags, protocol=protocol)), app_findings)
    settings = replace(settings, timeout=opts.timeout)
    if protocol is None and settings.port in (4317, 4318) and settings.sources.get("endpoint") != "default":
        # No protocol named anywhere: the standard port says which one is meant.
        port_proto = Protocol.GRPC if settings.port == 4317 else Protocol.HTTP_PROTOBUF
        settings = _app_settings(replace(opts, flags=replace(opts.flags, protocol=port_proto)), app_findings)
        settings = replace(settings, timeout=opts.timeout)
        protocol = port_proto
    app_errors = [f for f in app_findings if f.severity is Severity.ERROR]
    steps.append(
        Step(
            "app-env",
            Stage.APP,
            StepStatus.FAIL if app_errors else StepStatus.WARN if app_findings and otel_vars else StepStatus.PASS,
            0.0,
            f"{len(otel_vars)} OTEL_* variable(s); exports {settings.protocol.value} to {settings.target}"
            + (f" ({settings.sources.get('endpoint')})" if settings.sources.get("endpoint") else ""),
        )
    )
    findings.extend(app_findings)
    findings.extend(opts.config_findings)

    # 2-3. The collector and Jaeger, all at once.
    tls = TlsOptions(verify=opts.flags.insecure is not True, ca_file=settings.ca_file)
    sibling = _sibling(settings, opts)
    if protocol is None and sibling is None:
        # No protocol named and a non-standard port: try both there, and take the one it speaks.
        other = Protocol.GRPC if settings.protocol.is_http else Protocol.HTTP_PROTOBUF
        flags = replace(opts.flags, protocol=other)
        sibling = replace(_app_settings(replace(opts, flags=flags), []), timeout=opts.timeout)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    health_url = opts.health_url or (opts.config.health_url if opts.config else None) or f"http://{host}:13133"
    metrics_url = (
        opts.metrics_url or (opts.config.metrics_url if opts.config else None) or f"http://{host}:8888/metrics"
    )
    progress.update("probing the collector and Jaeger")
    import httpx  # noqa: F401 - imported once here, not by eight threads racing for the import lock

    # Every probe gives up at 80% of --timeout, so a black-holed pipeline, start-up included,
    # ends within about 1.2 x --timeout even on a loaded machine.
    budget = opts.timeout * 0.8
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="otdiag-probe") as pool:
        app_f = pool.submit(probe_export, f"collector-otlp-{settings.protocol.value.split('/')[0]}", settings, budget)
        sib_f = (
            pool.submit(probe_export, f"collector-otlp-{sibling.protocol.value.split('/')[0]}", sibling, budget)
            if sibling
            else None
        )
        health_f = pool.submit(probe_health, health_url, budget, tls)
        metrics_f = pool.submit(probe_metrics, metrics_url, budget, tls)
        jaeger_f = pool.submit(probe_jaeger, opts.jaeger_url, budget, tls)
        jhealth_f = (
            pool.submit(probe_jaeger_health, opts.jaeger_health_url, budget, tls) if opts.jaeger_health_url else None
        )
        zpages_f = (
            pool.submit(probe_zpages, opts.config.zpages_url, budget)
            if opts.config and opts.config.zpages_url
            else None
        )
        exp_fs = [pool.submit(probe_exporter, t, budget) for t in (opts.config.exporters if opts.config else [])]
    # Leaving the pool waited for every probe; each was bounded by the timeout.
    app_p = app_f.result()
    sib_p = sib_f.result() if sib_f else None
    health_p = health_f.result()
    metrics_p, snapshot = metrics_f.result()
    jaeger_p = jaeger_f.result()
    jhealth_p = jhealth_f.result() if jhealth_f else None
    exp_ps = [f.result() for f in exp_fs]
    zpages_p = zpages_f.result() if zpages_f else None
    if protocol is None and sib_p is not None and sib_p.ok and not app_p.ok and sibling is not None:
        # The endpoint speaks the other protocol: that is the working path (the failed one is a note).
        app_p, sib_p, settings, sibling = sib_p, app_p, sibling, settings
    steps += [
        p.step for p in (app_p, sib_p, health_p, metrics_p, zpages_p, jaeger_p, jhealth_p, *exp_ps) if p is not None
    ]
    if zpages_p is not None:
        findings.extend(zpages_p.findings)

    # Ingest: the app's own protocol failing is an error; the other protocol is a side note.
    refused = {Cause.REFUSED}
    if (
        app_p.cause in refused
        and (sib_p is None or sib_p.cause in refused)
        and health_p.cause in refused | {None}
        and not health_p.ok
    ):
        targets = str(app_p.step.target) + (f" or {sib_p.step.target}" if sib_p else "")
        findings.append(
            c.COLLECTOR_DOWN(
                f"The collector is not running: nothing listens at {targets}.",
                target=app_p.step.target,
                evidence=[e for p in (app_p, sib_p) if p for f in p.findings for e in f.evidence],
            )
        )
    else:
        findings.extend(app_p.findings)
        if sib_p is not None:
            sev = Severity.WARNING if not app_p.ok else Severity.INFO
            findings.extend(replace(f, severity=sev) for f in sib_p.findings)
    findings.extend(health_p.findings)
    if snapshot is not None:
        past_refused = sum(snapshot.refused.values())
        if past_refused > 0:
            findings.append(
                c.COLLECTOR_PAST_REFUSALS(f"The collector has refused {past_refused:.0f} span(s) since it started.")
            )
        for e, v in snapshot.enqueue_failed.items():
            if v > 0:
                findings.append(
                    c.EXPORT_QUEUE_FULL(
                        f"Exporter {e} has dropped {v:.0f} span(s) on a full queue.",
                        target=e,
                        evidence=[f"otelcol_exporter_enqueue_failed_spans{{exporter={e}}} = {v:.0f}"],
                    )
                )
    else:
        findings.extend(metrics_p.findings)
    findings.extend(jaeger_p.findings)
    if not jaeger_p.ok and jaeger_p.cause in (Cause.REFUSED, Cause.CONNECT_TIMEOUT, Cause.DNS):
        # Jaeger itself is not there: the exporter failing to reach it follows from that.
        for p in exp_ps:
            p.findings = [replace(f, severity=Severity.WARNING) for f in p.findings]
    if jhealth_p is not None:
        findings.extend(jhealth_p.findings)

    # 4. End to end, through whichever ingest path works.
    trace_id, visible_ms = None, None
    via = settings if app_p.ok else sib_p and sib_p.ok and sibling
    if opts.e2e and via and jaeger_p.ok:
        # The probes' empty exports moved no span counter, so their metrics snapshot serves as "before".
        e2e = end_to_end(
            via,
            replace(opts, metrics_url=metrics_url if snapshot is not None else None),
            tls,
            progress,
            exp_ps,
            before=snapshot,
        )
        steps.append(e2e.step)
        findings.extend(e2e.findings)
        trace_id, visible_ms = e2e.trace_id, e2e.time_to_visible_ms
    else:
        why = (
            "disabled (--no-e2e)"
            if not opts.e2e
            else "skipped: no working OTLP endpoint"
            if not via
            else "skipped: Jaeger's query API does not answer"
        )
        steps.append(Step("end-to-end", Stage.JAEGER, StepStatus.SKIP, 0.0, why))
        if not jaeger_p.ok or not via:
            findings.extend(f for p in exp_ps for f in p.findings)

    return Report(
        "check",
        _order(findings),
        {"steps": [s.to_json() for s in steps], "trace_id": trace_id, "time_to_visible_ms": visible_ms},
    )


_STAGE_ORDER = {
    Stage.APP: 0,
    Stage.COLLECTOR_INGEST: 1,
    Stage.COLLECTOR: 2,
    Stage.COLLECTOR_EXPORT: 3,
    Stage.JAEGER: 4,
    Stage.OTDIAG: 5,
}


def _order(findings: list[Finding]) -> list[Finding]:
    """Errors first, then along the pipeline: the first error is the most upstream cause."""
    sev = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    # A disabled SDK or an always_off sampler makes everything downstream moot: app errors come first.
    # The collector config's own errors (--config) come before what probing found.
    return sorted(findings, key=lambda f: (sev[f.severity], not f.code.startswith("config."), _STAGE_ORDER[f.stage]))
