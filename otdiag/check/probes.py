"""check's probes: each asks one hop one question, bounded by the timeout, and says what it found.

A probe is a timed `Step` plus the findings behind it and the transport cause of a failure (the
orchestration in otdiag.check.walk reads causes to tell "the collector is down" from "it refuses").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from otdiag import catalogue as c
from otdiag import redact
from otdiag.app import export_settings
from otdiag.collector import attempt_findings
from otdiag.collector import health as collector_health
from otdiag.collector import metrics as collector_metrics
from otdiag.collector.metrics import Snapshot
from otdiag.jaeger.client import JaegerClient, JaegerError
from otdiag.jaeger.lookup import jaeger_failure
from otdiag.model import Finding, Protocol, Severity, Stage, Step, StepStatus
from otdiag.net.http import TlsOptions
from otdiag.net.transport import Cause, TransportError
from otdiag.otlp.exporter import Exporter, attempt_of
from otdiag.redact import Scrubber

if TYPE_CHECKING:
    from otdiag.collector.fleet import FleetView, Prometheus
    from otdiag.collector.targets import ExporterTarget


@dataclass
class Probe:
    step: Step
    findings: list[Finding] = field(default_factory=list)
    cause: Cause | None = None
    ok: bool = False
    components: frozenset[str] = frozenset()
    """A health endpoint's answer: the components it names (healthcheckv2, verbose)."""


def timed(name: str, stage: Stage, target: str | None, fn: Callable[[Probe], None]) -> Probe:
    probe = Probe(Step(name, stage, StepStatus.SKIP, 0.0, "", target))
    started = time.monotonic()
    fn(probe)
    probe.step = replace(probe.step, duration_ms=(time.monotonic() - started) * 1000)
    return probe


def settle(probe: Probe, status: StepStatus, detail: str) -> None:
    probe.step = replace(probe.step, status=status, detail=detail)
    probe.ok = status is StepStatus.PASS


# --- the probes ----------------------------------------------------------------------------------------


def probe_export(name: str, settings: export_settings.Settings, timeout: float) -> Probe:
    """An empty export request: valid OTLP that reaches the receiver and stores nothing."""

    def run(p: Probe) -> None:
        exporter = Exporter(settings, Scrubber().with_headers(settings.headers))
        at = attempt_of(settings)
        try:
            from otdiag.otlp.sender import empty_body

            res = exporter.export(empty_body(settings.protocol), timeout=timeout)
        except TransportError as err:
            f = attempt_findings.from_transport(err, at, timeout=min(2.0, timeout))
            p.findings.append(f)
            p.cause = err.cause
            settle(p, StepStatus.FAIL, f.message)
            return
        finally:
            exporter.close()
        finding = attempt_findings.from_result(res, at, sent_spans=0)
        if finding is not None:
            p.findings.append(finding)
            settle(p, StepStatus.FAIL, finding.message)
            return
        settle(
            p,
            StepStatus.PASS,
            f"{settings.protocol.value} export accepted by {settings.target} ({res.elapsed_ms:.0f} ms)",
        )

    return timed(name, Stage.COLLECTOR_INGEST, settings.target, run)


def probe_health(url: str, timeout: float, tls: TlsOptions) -> Probe:
    def run(p: Probe) -> None:
        try:
            health = collector_health.probe(url, timeout=timeout, tls=tls)
        except TransportError as err:
            p.cause = err.cause
            p.findings.append(
                c.COLLECTOR_NO_HEALTH(
                    f"The collector's health endpoint {url} does not answer ({err.detail}).", target=url
                )
            )
            settle(p, StepStatus.SKIP, f"no answer ({err.detail})")
            return
        if health is None:
            p.findings.append(
                c.COLLECTOR_NO_HEALTH(f"{url} answers, but not as a collector health endpoint.", target=url)
            )
            settle(p, StepStatus.SKIP, "not a health endpoint")
            return
        if health.flavour == "jaeger-v1-admin":
            msg = f"{url} is Jaeger v1's admin port, not the collector's health."
            hint = "Pass the collector's health_check endpoint (13133 by default); 14269 is Jaeger v1's own."
            p.findings.append(c.COLLECTOR_NO_HEALTH(msg, target=url, hint=hint))
            settle(p, StepStatus.SKIP, "Jaeger v1's admin port, not the collector's")
            return
        p.components = health.components
        if health.healthy:
            settle(p, StepStatus.PASS, f"{health.flavour}: {health.status}")
            return
        ev = [f"{x.path}: {x.status} {x.error}".strip() for x in health.problems]
        p.findings.append(
            c.COLLECTOR_UNHEALTHY(
                f"The collector reports {health.status} ({health.flavour}).", target=health.url, evidence=ev
            )
        )
        settle(p, StepStatus.FAIL, f"{health.flavour}: {health.status}")

    return timed("collector-health", Stage.COLLECTOR, url, run)


def probe_metrics(url: str, timeout: float, tls: TlsOptions) -> tuple[Probe, Snapshot | None]:
    box: list[Snapshot] = []

    def run(p: Probe) -> None:
        try:
            snap = collector_metrics.scrape(url, timeout=timeout, tls=tls)
        except TransportError as err:
            p.cause = err.cause
            p.findings.append(
                c.COLLECTOR_NO_METRICS(f"The collector's metrics at {url} are not readable ({err.detail}).", target=url)
            )
            settle(p, StepStatus.SKIP, f"not readable ({err.detail})")
            return
        if snap.jaeger:
            msg = f"{url} serves Jaeger's own metrics (Jaeger v1's admin port, 14269), not the collector's."
            p.findings.append(c.COLLECTOR_NO_METRICS(msg, target=url))
            settle(p, StepStatus.SKIP, "Jaeger v1's metrics, not the collector's")
            return
        box.append(snap)
        exporters = ", ".join(snap.exporters) or "none seen yet"
        settle(p, StepStatus.PASS, f"{sum(snap.accepted.values()):.0f} spans accepted so far; exporters: {exporters}")

    probe = timed("collector-metrics", Stage.COLLECTOR, url, run)
    return probe, (box[0] if box else None)


def probe_jaeger(url: str, timeout: float, tls: TlsOptions) -> Probe:
    def run(p: Probe) -> None:
        client = JaegerClient(url, timeout=timeout, tls=tls)
        try:
            services = client.services()
        except (TransportError, JaegerError) as err:
            p.cause = err.cause if isinstance(err, TransportError) else None
            p.findings.append(jaeger_failure(url, err))
            settle(p, StepStatus.FAIL, p.findings[0].message)
            return
        api = client.api.value if client.api else "?"
        names = f": {', '.join(services[:8])}" if services else ""
        settle(p, StepStatus.PASS, f"API {api} answers; {len(services)} service(s){names}")

    return timed("jaeger-query", Stage.JAEGER, url, run)


def probe_zpages(url: str, timeout: float) -> Probe:
    """zpages (when the config enables it): a live view of the collector's pipelines for a human to open."""

    def run(p: Probe) -> None:
        from otdiag.net import http

        try:
            resp = http.request("GET", url.rstrip("/") + "/debug/pipelinez", timeout=timeout, max_bytes=4 << 20)
        except TransportError as err:
            p.findings.append(c.COLLECTOR_NO_ZPAGES(f"zpages at {url} do not answer ({err.detail}).", target=url))
            settle(p, StepStatus.SKIP, f"no answer ({err.detail})")
            return
        if resp.status == 200:
            settle(p, StepStatus.PASS, f"{url}/debug/pipelinez answers: open it to see each pipeline live")
        else:
            settle(p, StepStatus.SKIP, f"HTTP {resp.status}")

    return timed("collector-zpages", Stage.COLLECTOR, url, run)


def probe_jaeger_health(url: str, timeout: float, tls: TlsOptions) -> Probe:
    def run(p: Probe) -> None:
        try:
            health = collector_health.probe(url, timeout=timeout, tls=tls)
        except TransportError as err:
            settle(p, StepStatus.SKIP, f"no answer ({err.detail})")
            return
        if health is None:
            settle(p, StepStatus.SKIP, "not a health endpoint")
        elif health.healthy:
            settle(p, StepStatus.PASS, f"{health.flavour}: {health.status}")
        else:
            ev = [f"{x.path}: {x.status} {x.error}".strip() for x in health.problems]
            p.findings.append(
                c.JAEGER_ERROR(f"Jaeger's health endpoint reports {health.status}.", target=url, evidence=ev)
            )
            settle(p, StepStatus.FAIL, health.status)

    return timed("jaeger-health", Stage.JAEGER, url, run)


def exporter_settings(target: ExporterTarget, timeout: float) -> export_settings.Settings:
    """The collector exporter's destination, as otdiag's own client settings."""
    if target.type == "otlp_grpc":
        host, _, port = target.endpoint.rpartition(":")
        return export_settings.Settings(
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
            verify=not target.insecure_skip_verify,
        )
    s = export_settings.resolve(
        export_settings.Flags(endpoint=target.endpoint, protocol=Protocol.HTTP_PROTOBUF, timeout=timeout), {}
    )
    return replace(s, headers=dict(target.headers), ca_file=target.ca_file, verify=not target.insecure_skip_verify)


def as_export_finding(f: Finding, exporter_id: str) -> Finding:
    """An ingest finding about the collector's exporter target, retyped for the collector -> Jaeger hop."""
    suffix = f.code.removeprefix("ingest.")
    kind = c.EXPORT_KINDS.get(suffix, c.EXPORT_KINDS["http-error"])
    msg = f"The collector's exporter {exporter_id}: {f.message[0].lower()}{f.message[1:]}"
    return kind(msg, target=f.target, evidence=[*f.evidence, "probed from otdiag's host"])


def probe_exporter(target: ExporterTarget, timeout: float) -> Probe:
    def run(p: Probe) -> None:
        settings = exporter_settings(target, timeout)
        inner = probe_export("", settings, timeout)
        p.cause = inner.cause
        p.findings = [as_export_finding(f, target.id) for f in inner.findings]
        if inner.ok:
            settle(p, StepStatus.PASS, f"{target.id} -> {target.endpoint}: an empty export is accepted from here")
        else:
            settle(p, StepStatus.FAIL, p.findings[0].message if p.findings else "failed")

    return timed(f"exporter {target.id}", Stage.COLLECTOR_EXPORT, target.endpoint, run)


def probe_fleet(prom: Prometheus, window: float) -> tuple[Probe, FleetView | None]:
    from otdiag.collector import fleet

    box: list[FleetView] = []

    def run(p: Probe) -> None:
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
            settle(p, StepStatus.FAIL, f"not readable ({err.detail})")
            return
        box.append(view)
        p.findings = view.findings
        lossy = sum(1 for r in view.rows if r.lost > 0)
        tiers = len({r.tier for r in view.rows})
        settle(
            p,
            StepStatus.FAIL if any(f.severity is Severity.ERROR for f in view.findings) else StepStatus.PASS,
            f"{len(view.rows)} collector instance(s) in {tiers} tier(s); {lossy} of them lost spans"
            f" in the last {window:g}s",
        )

    probe = timed("prometheus", Stage.COLLECTOR, redact.url(prom.url), run)
    return probe, (box[0] if box else None)
