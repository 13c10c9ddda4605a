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

from otdiag import app_env, collector_health, collector_metrics, ingest, loss, otel_env, redact
from otdiag import catalogue as c
from otdiag.collector_metrics import Delta, Snapshot
from otdiag.errors import UsageError
from otdiag.find import jaeger_failure
from otdiag.http import TlsOptions
from otdiag.jaeger_api import JaegerClient, JaegerError
from otdiag.model import Finding, Protocol, Report, Severity, Stage, Step, StepStatus
from otdiag.otlp.exporter import Exporter, attempt_of
from otdiag.progress import NoProgress, Progress
from otdiag.redact import Scrubber
from otdiag.send import send_probe_span
from otdiag.transport import Cause, TransportError

if TYPE_CHECKING:
    from otdiag.chain import Chain, Observer, Tier
    from otdiag.collector_config import CollectorTargets, ExporterTarget
    from otdiag.fleet import FleetView, Prometheus

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
    prometheus: Prometheus | None = None
    """--prometheus-url: every collector instance's otelcol_* series, read from Prometheus."""
    window: float = 300.0
    """--window: how far back the fleet's losses are read."""
    chain: Chain | None = None
    """--config given once per tier: the collectors in order (`config` is then the first tier's)."""


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


def _loss(
    delta: Delta, after: Snapshot, waited: float, *, final: bool, config: CollectorTargets | None = None
) -> Finding | None:
    """Where the test span went, read per component from the collector's metrics; None while on its way."""
    return loss.lone_collector(delta.before, after, waited, final=final, comps=components(config))


def components(config: CollectorTargets | None, name: str = "") -> loss.Components:
    """What --config says about the collector's processors and exporters, for the loss analysis."""
    if config is None:
        return loss.Components(name=name)
    return loss.Components(config.processor_waits, config.exporter_types, name)


def end_to_end(
    settings: otel_env.Settings,
    opts: CheckOptions,
    tls: TlsOptions,
    progress: Progress,
    exporter_probes: list[_Probe],
    before: Snapshot | None = None,
    fleet_view: FleetView | None = None,
    observer: Observer | None = None,
) -> _E2E:
    """Send a test span and poll Jaeger for it; `before`, a metrics snapshot taken just now, saves a scrape."""
    started = time.monotonic()
    metrics_url = opts.metrics_url
    if metrics_url and before is None:
        try:
            before = collector_metrics.scrape(metrics_url, timeout=opts.timeout, tls=tls)
        except TransportError:
            before = None
    if observer is not None:
        observer.start()
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
            if observer is not None:
                # Every tier's part, for the chain's marks; a fan-out branch that lost its copy is a warning.
                # A branch still on its way is given a moment (bounded) to arrive or to be lost.
                trail = observer.look(now - sent_at, final=False)
                settle = min(deadline, now + 1.5)
                while trail.pending and time.monotonic() < settle:
                    time.sleep(0.1)
                    trail = observer.look(time.monotonic() - sent_at, final=False)
                lost = [replace(f, severity=Severity.WARNING) for f in trail.findings]
            else:
                lost = []
            ms = (now - sent_at) * 1000
            detail = f"test trace {out.trace_id} visible in Jaeger after {ms:.0f} ms"
            step = Step("end-to-end", Stage.JAEGER, StepStatus.PASS, (now - started) * 1000, detail, opts.jaeger_url)
            return _E2E(step, lost, out.trace_id, ms)
        final = now >= deadline
        if observer is not None and (now - last_scrape >= 0.5 or final):
            last_scrape = now
            trail = observer.look(now - sent_at, final=final)
            if trail.definite or final:
                finding = trail.findings[0] if trail.findings else None
                break
        if metrics_url and before is not None and (now - last_scrape >= 0.5 or final):
            last_scrape = now
            try:
                after = collector_metrics.scrape(metrics_url, timeout=opts.timeout, tls=tls)
            except TransportError as err:
                after, scrape_error = None, err.detail
            if after is not None:
                finding = _loss(Delta(before, after), after, now - sent_at, final=final, config=opts.config)
                if finding is not None and (final or finding.severity is Severity.ERROR):
                    break
        if final:
            break
        time.sleep(min(delay, max(0.0, deadline - now)))
        # Every 20 ms for the first 2 s (a healthy pipeline shows the span within a few batch timeouts,
        # and each poll late is time the user waits), then backing off to 4 polls a second.
        delay = 0.02 if now - sent_at < 2.0 else min(delay * 1.5, 0.25)
    waited = time.monotonic() - sent_at
    findings: list[Finding] = []
    if (
        opts.prometheus is not None
        and fleet_view is not None
        and (finding is None or finding.code in ("jaeger.not-stored", "e2e.not-visible"))
    ):
        located = _locate_in_fleet(opts.prometheus, fleet_view, waited)
        if located:
            finding, findings = located[0], located[1:]
    if observer is not None and finding is not None:
        findings.extend(observer.trail.findings[1:])
    elif observer is not None:
        finding = c.E2E_NOT_VISIBLE(
            f"The first tier accepted test trace {out.trace_id}, but Jaeger did not show it within {opts.wait:g}s,"
            " and no tier's metrics say where it went.",
            target=opts.jaeger_url,
        )
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


def _locate_in_fleet(prom: Prometheus, view: FleetView, waited: float) -> list[Finding]:
    """Through Prometheus: which instance took the test span in and where it was lost (may be none)."""
    from otdiag import fleet

    try:
        # Prometheus knows of the loss only once it has scraped every collector since the span was sent.
        prom.wait_scraped(time.time() - waited + 0.5, deadline=time.monotonic() + prom.timeout)
        after = prom.snapshots()
    except TransportError:
        return []
    found, path = fleet.locate(view.now, after, waited)
    view.path = path
    view.refresh(after)
    return found


def _in_tier(p: _Probe, tier: str, chain: Chain) -> _Probe:
    """A probe of one tier's exporter: its step and findings name the tier and the hop."""
    exporter = p.step.name.removeprefix("exporter ")
    hop = next((h for h in chain.out_of(tier) if h.exporter == exporter), None)
    where = f" (hop {hop.label})" if hop else ""
    p.step = replace(p.step, name=f"{tier} {p.step.name}")
    # Towards the next tier, the fix speaks of that tier, not of Jaeger.
    dst = hop.dst if hop is not None and hop.dst != "Jaeger" else None
    p.findings = [
        replace(
            f,
            message=f"{tier}: {f.message.rstrip('.')}{where}.",
            hint=f.hint.replace("Jaeger's", f"{dst}'s").replace("Jaeger", dst) if dst else f.hint,
        )
        for f in p.findings
    ]
    return p


def _probe_tier(tier: Tier, chain: Chain, timeout: float, tls: TlsOptions) -> tuple[list[_Probe], list[_Probe]]:
    """A collector further down the chain: its health, metrics and exporters (its receivers are hop targets)."""
    probes: list[_Probe] = []
    cfg = tier.config
    if cfg.health_url:
        probes.append(probe_health(cfg.health_url, timeout, tls))
    if cfg.metrics_url:
        probes.append(probe_metrics(cfg.metrics_url, timeout, tls)[0])
    for p in probes:
        p.step = replace(p.step, name=f"{tier.name} {p.step.name}")
        p.findings = [replace(f, message=f"{tier.name}: {f.message}") for f in p.findings]
    exps = [_in_tier(probe_exporter(t, timeout), tier.name, chain) for t in cfg.exporters]
    return probes, exps


def probe_fleet(prom: Prometheus, window: float) -> tuple[_Probe, FleetView | None]:
    from otdiag import fleet

    box: list[FleetView] = []

    def run(p: _Probe) -> None:
        try:
            view = fleet.survey(prom, window)
        except TransportError as err:
            p.cause = err.cause
            p.findings.append(
                fleet.FLEET_UNREACHABLE(
                    f"Prometheus at {redact.url(prom.url)} does not answer ({err.detail}).",
                    target=redact.url(prom.url),
                )
            )
            _set(p, StepStatus.FAIL, f"not readable ({err.detail})")
            return
        box.append(view)
        p.findings = view.findings
        lossy = sum(1 for r in view.rows if r.lost > 0)
        tiers = len({r.tier for r in view.rows})
        _set(
            p,
            StepStatus.FAIL if any(f.severity is Severity.ERROR for f in view.findings) else StepStatus.PASS,
            f"{len(view.rows)} collector instance(s) in {tiers} tier(s); {lossy} of them lost spans"
            f" in the last {window:g}s",
        )

    probe = _timed("prometheus", Stage.COLLECTOR, redact.url(prom.url), run)
    return probe, (box[0] if box else None)


@dataclass
class _Tiers:
    """What a check across tiers (--config per tier) or a fleet (--prometheus-url) adds to the report."""

    observer: Observer | None = None
    fleet_p: _Probe | None = None
    fleet_view: FleetView | None = None


def run(opts: CheckOptions, progress: Progress | None = None) -> Report:
    """The whole check; with tiers or a fleet, their findings and `chain` / `fleet` fields are added."""
    extra = _Tiers()
    report = _run(opts, progress, extra)
    if opts.chain is None and opts.prometheus is None:
        return report
    findings = [f for f in report.findings if not f.code.startswith("fleet.")]
    if opts.chain is not None:
        # The first tier's own probes (and the app's export to it) speak of "the collector": name it.
        head = opts.chain.tiers[0].name
        names = tuple(f"{t.name}: " for t in opts.chain.tiers) + tuple(f"{t.name} " for t in opts.chain.tiers)
        findings = [
            replace(f, message=f"{head}: {f.message}")
            if f.stage in (Stage.COLLECTOR_INGEST, Stage.COLLECTOR)
            and not f.code.startswith("config.")
            and not f.message.startswith(names)
            else f
            for f in findings
        ]
    if extra.observer is not None:
        report.fields["chain"] = extra.observer.to_json()
    view = extra.fleet_view
    if extra.fleet_p is not None:
        # After the test span's own story: where it was lost is the diagnosis, the fleet's window the context
        # (read again after the probe when the span was looked for through Prometheus).
        findings += view.findings if view is not None else extra.fleet_p.findings
    if opts.prometheus is not None:
        report.fields["fleet"] = (
            {**view.to_json(opts.prometheus, opts.window), "test_span_path": view.path} if view is not None else None
        )
    report.findings = _order(findings)
    return report


# --- the whole check ------------------------------------------------------------------------------------


def _app_settings(opts: CheckOptions, findings: list[Finding]) -> otel_env.Settings:
    flags = opts.flags
    from_config = None
    if flags.endpoint is None and not _configured(opts.env) and opts.config is not None:
        cfg = opts.config
        proto = flags.protocol or (Protocol.GRPC if cfg.otlp_grpc else Protocol.HTTP_PROTOBUF)
        dial = cfg.otlp_grpc if proto is Protocol.GRPC else cfg.otlp_http
        if dial:
            tls = cfg.otlp_grpc_tls if proto is Protocol.GRPC else cfg.otlp_http_tls
            flags = replace(flags, endpoint=f"{'https' if tls else 'http'}://{dial}", protocol=proto)
            from_config = f"the OTLP receiver of {cfg.path}"
    try:
        resolved = otel_env.resolve(flags, opts.env)
        if from_config:
            # The endpoint came from the collector's config, not from a flag the user typed.
            resolved = replace(resolved, sources={**resolved.sources, "endpoint": from_config})
        return resolved
    except UsageError as exc:
        if flags.endpoint is not None and str(exc).startswith("--"):
            raise
        findings.append(c.SETTINGS_NOTE(f"{exc}; otdiag probes the defaults instead.", severity=Severity.ERROR))
        return otel_env.resolve(flags, {})


def _app_step(otel_vars: list[str], app_findings: list[Finding], settings: otel_env.Settings) -> Step:
    """The app-env step: what the app's environment says, and "?" (skip) when it says nothing."""
    app_errors = [f for f in app_findings if f.severity is Severity.ERROR]
    source = settings.sources.get("endpoint")
    at = f"{settings.protocol.value} to {settings.target}" + (f" ({source})" if source else "")
    export = f"exports {at}"
    if not otel_vars:
        status, detail = StepStatus.SKIP, f"no OTEL_* variable here, so the app's settings were not seen; probing {at}"
    elif app_errors:
        # The app's own settings stop spans before any export: do not claim it exports anywhere.
        status, detail = StepStatus.FAIL, f"{len(otel_vars)} OTEL_* variable(s); {app_errors[0].message}"
    else:
        status = StepStatus.WARN if app_findings else StepStatus.PASS
        detail = f"{len(otel_vars)} OTEL_* variable(s); {export}"
    return Step("app-env", Stage.APP, status, 0.0, detail)


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


def _run(opts: CheckOptions, progress: Progress | None, extra: _Tiers) -> Report:
    if opts.chain is not None:
        opts = replace(opts, config=opts.chain.tiers[0].config)  # the app sends to the first tier
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
    steps.append(_app_step(otel_vars, app_findings, settings))
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
        tier_fs = (
            [pool.submit(_probe_tier, t, opts.chain, budget, tls) for t in opts.chain.tiers[1:]] if opts.chain else []
        )
        fleet_f = pool.submit(probe_fleet, opts.prometheus, opts.window) if opts.prometheus else None
    # Leaving the pool waited for every probe; each was bounded by the timeout.
    app_p = app_f.result()
    sib_p = sib_f.result() if sib_f else None
    health_p = health_f.result()
    metrics_p, snapshot = metrics_f.result()
    jaeger_p = jaeger_f.result()
    jhealth_p = jhealth_f.result() if jhealth_f else None
    exp_ps = [f.result() for f in exp_fs]
    tier_steps: list[Step] = []
    if opts.chain is not None:
        head = opts.chain.tiers[0].name
        exp_ps = [_in_tier(p, head, opts.chain) for p in exp_ps]
        for tier_f in tier_fs:
            tier_ps, tier_exp_ps = tier_f.result()
            tier_steps.extend(p.step for p in tier_ps)
            findings.extend(f for p in tier_ps for f in p.findings)
            exp_ps.extend(tier_exp_ps)
    zpages_p = zpages_f.result() if zpages_f else None
    fleet_p, fleet_view = fleet_f.result() if fleet_f else (None, None)
    if protocol is None and sib_p is not None and sib_p.ok and not app_p.ok and sibling is not None:
        # The endpoint speaks the other protocol: that is the working path (the failed one is a note).
        app_p, sib_p, settings, sibling = sib_p, app_p, sibling, settings
    steps += [p.step for p in (app_p, sib_p, health_p, metrics_p, zpages_p, jaeger_p, jhealth_p) if p is not None]
    steps += tier_steps
    steps += [p.step for p in exp_ps]
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
    if fleet_p is not None:
        steps.append(fleet_p.step)
        findings.extend(fleet_p.findings)
        extra.fleet_p, extra.fleet_view = fleet_p, fleet_view

    # 4. End to end, through whichever ingest path works.
    trace_id, visible_ms = None, None
    via = settings if app_p.ok else sib_p and sib_p.ok and sibling
    observer = None
    if opts.chain is not None:
        from otdiag.chain import Observer

        observer = extra.observer = Observer(opts.chain, budget, tls)
    if opts.e2e and via and jaeger_p.ok:
        # The probes' empty exports moved no span counter, so their metrics snapshot serves as "before".
        e2e = end_to_end(
            via,
            replace(opts, metrics_url=metrics_url if snapshot is not None and observer is None else None),
            tls,
            progress,
            exp_ps,
            before=snapshot if observer is None else None,
            fleet_view=fleet_view,
            observer=observer,
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

    steps = _agree(steps, findings, exp_ps, e2e_passed=visible_ms is not None)
    return Report(
        "check",
        _order(findings),
        {"steps": [s.to_json() for s in steps], "trace_id": trace_id, "time_to_visible_ms": visible_ms},
    )


def _agree(steps: list[Step], findings: list[Finding], exp_ps: list[_Probe], *, e2e_passed: bool) -> list[Step]:
    """Steps and findings tell one story: a failed step is backed by a finding, or it is not a failure.

    An exporter target probed from otdiag's host may not resolve or answer from here (a name only the
    collector's network knows) while the collector reaches it: when the test span got through, that
    step is a warning with an `info` finding, not a failure the verdict then contradicts.
    """
    unreachable_here = {p.step.name for p in exp_ps if not p.ok} if e2e_passed else set()
    for p in exp_ps:
        if p.step.name in unreachable_here:
            findings.extend(
                replace(
                    f,
                    severity=Severity.INFO,
                    evidence=(*f.evidence, "the test span reached Jaeger, so the collector itself gets through"),
                )
                for f in p.findings
            )
    backed = any(f.severity is Severity.ERROR for f in findings)
    out = []
    for step in steps:
        if step.status is StepStatus.FAIL and (step.name in unreachable_here or not backed):
            note = (
                "only from otdiag's host: the test span reached Jaeger"
                if step.name in unreachable_here
                else "not confirmed by any other probe"
            )
            out.append(replace(step, status=StepStatus.WARN, detail=f"{step.detail} ({note})"))
        else:
            out.append(step)
    return out


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
