"""check's end-to-end proof: send a test span, wait for it in Jaeger, and say where it was lost.

While the span is on its way, the collector's metrics (otdiag.check.loss), every tier's
(otdiag.check.tiers.Observer) or the fleet's through Prometheus say where it went.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from otdiag import catalogue as c
from otdiag.app import export_settings
from otdiag.check import loss
from otdiag.check.probes import Probe
from otdiag.check.request import CheckOptions
from otdiag.collector import metrics as collector_metrics
from otdiag.collector.metrics import Delta, Snapshot
from otdiag.jaeger.client import JaegerClient, JaegerError
from otdiag.model import Finding, Severity, Stage, Step, StepStatus
from otdiag.net.http import TlsOptions
from otdiag.net.transport import TransportError
from otdiag.otlp.sender import send_probe_span
from otdiag.progress import Progress

if TYPE_CHECKING:
    from otdiag.check.tiers import Observer
    from otdiag.collector.fleet import FleetView, Prometheus
    from otdiag.collector.targets import CollectorTargets


@dataclass(frozen=True)
class E2E:
    """The end-to-end step, the findings behind it, and the test span's trace."""

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


@dataclass
class _Watch:
    """The collector side while the test span is on its way: every tier's metrics, or the one collector's."""

    opts: CheckOptions
    tls: TlsOptions
    observer: Observer | None
    before: Snapshot | None
    after: Snapshot | None = None
    scrape_error: str = ""
    last_scrape: float = 0.0
    finding: Finding | None = None
    """Where the metrics say the span was lost (or is held); None while they say nothing."""
    sent_at: float = 0.0
    wait: float = 0.0
    """How long the span is waited for: --wait, or --timeout once a probe has proven why it cannot arrive."""

    def done(self, now: float, waited: float, *, final: bool) -> bool:
        """Read the metrics (twice a second at most); True when they tell enough to stop waiting for Jaeger."""
        due = now - self.last_scrape >= 0.5 or final
        if self.observer is not None and due:
            self.last_scrape = now
            trail = self.observer.look(waited, final=final)
            if trail.definite or final:
                self.finding = trail.findings[0] if trail.findings else None
                return True
        if self.opts.metrics_url and self.before is not None and due:
            self.last_scrape = now
            try:
                self.after = collector_metrics.scrape(self.opts.metrics_url, timeout=self.opts.timeout, tls=self.tls)
            except TransportError as err:
                self.after, self.scrape_error = None, err.detail
            if self.after is not None:
                f = _loss(Delta(self.before, self.after), self.after, waited, final=final, config=self.opts.config)
                self.finding = f
                if f is not None and (final or f.severity is Severity.ERROR):
                    return True
        return final


def end_to_end(
    settings: export_settings.Settings,
    opts: CheckOptions,
    tls: TlsOptions,
    progress: Progress,
    exporter_probes: list[Probe],
    before: Snapshot | None = None,
    fleet_view: FleetView | None = None,
    observer: Observer | None = None,
) -> E2E:
    """Send a test span and poll Jaeger for it; `before`, a metrics snapshot taken just now, saves a scrape."""
    started = time.monotonic()
    if opts.metrics_url and before is None:
        try:
            before = collector_metrics.scrape(opts.metrics_url, timeout=opts.timeout, tls=tls)
        except TransportError:
            before = None
    if observer is not None:
        observer.start()
    progress.update(f"sending a test span to {settings.target}")
    out = send_probe_span(settings, "otdiag-check", "otdiag-check", {"otdiag.check": "e2e"})
    if out.accepted == 0:
        f = out.findings[0] if out.findings else c.INGEST_REJECTED("The test span was not accepted.")
        return E2E(Step("end-to-end", Stage.COLLECTOR_INGEST, StepStatus.FAIL, 0.0, f.message), [f], out.trace_id)
    # A probe that proved the cause (an exporter that cannot reach its destination) needs no confirmation
    # from the metrics: the span gets --timeout to show up anyway (the probe ran from otdiag's host).
    proven = any(c.kind_of(f).proves and f.severity is Severity.ERROR for p in exporter_probes for f in p.findings)
    wait = min(opts.wait, opts.timeout) if proven else opts.wait
    watch = _Watch(opts, tls, observer, before, after=before, wait=wait)
    seen = _wait_in_jaeger(out.trace_id, watch, progress, started)
    if seen is not None:
        return seen
    return _not_visible(out.trace_id, watch, exporter_probes, fleet_view, started)


def _wait_in_jaeger(trace_id: str, watch: _Watch, progress: Progress, started: float) -> E2E | None:
    """Poll Jaeger until the span shows (its E2E) or the metrics say where it went (None: not visible)."""
    opts = watch.opts
    client = JaegerClient(opts.jaeger_url, timeout=min(opts.timeout, 5.0), tls=watch.tls)
    sent_at = watch.sent_at = time.monotonic()
    deadline = sent_at + watch.wait
    delay = 0.02
    while True:
        progress.update(f"waiting for trace {trace_id} in Jaeger ({time.monotonic() - sent_at:.1f}s)")
        try:
            fetched = client.get_trace(trace_id)
        except (TransportError, JaegerError) as exc:
            f = c.JAEGER_ERROR(f"Jaeger failed while looking for the test trace: {exc}.", target=opts.jaeger_url)
            return E2E(Step("end-to-end", Stage.JAEGER, StepStatus.FAIL, 0.0, f.message), [f], trace_id)
        now = time.monotonic()
        if fetched is not None:
            lost = _branches_lost(watch.observer, sent_at, now, deadline)
            ms = (now - sent_at) * 1000
            detail = f"test trace {trace_id} visible in Jaeger after {ms:.0f} ms"
            step = Step("end-to-end", Stage.JAEGER, StepStatus.PASS, (now - started) * 1000, detail, opts.jaeger_url)
            return E2E(step, lost, trace_id, ms)
        if watch.done(now, now - sent_at, final=now >= deadline):
            return None
        time.sleep(min(delay, max(0.0, deadline - now)))
        # Every 20 ms for the first 2 s (a healthy pipeline shows the span within a few batch timeouts,
        # and each poll late is time the user waits), then backing off to 4 polls a second.
        delay = 0.02 if now - sent_at < 2.0 else min(delay * 1.5, 0.25)


def _branches_lost(observer: Observer | None, sent_at: float, now: float, deadline: float) -> list[Finding]:
    """With tiers, the span is in Jaeger: a fan-out branch that lost its copy is a warning."""
    if observer is None:
        return []
    # Every tier's part, for the chain's marks. A branch still on its way is given a moment (bounded)
    # to arrive or to be lost.
    trail = observer.look(now - sent_at, final=False)
    settle = min(deadline, now + 1.5)
    while trail.pending and time.monotonic() < settle:
        time.sleep(0.1)
        trail = observer.look(time.monotonic() - sent_at, final=False)
    return [replace(f, severity=Severity.WARNING) for f in trail.findings]


def _not_visible(
    trace_id: str, watch: _Watch, exporter_probes: list[Probe], fleet_view: FleetView | None, started: float
) -> E2E:
    """The span never showed in Jaeger: where it was lost (the metrics, the fleet, the exporter probes)."""
    opts, finding = watch.opts, watch.finding
    waited = time.monotonic() - watch.sent_at
    findings: list[Finding] = []
    if (
        opts.prometheus is not None
        and fleet_view is not None
        and (finding is None or c.JAEGER_NOT_STORED.made(finding) or c.E2E_NOT_VISIBLE.made(finding))
    ):
        located = _locate_in_fleet(opts.prometheus, fleet_view, waited)
        if located:
            finding, findings = located[0], located[1:]
    if watch.observer is not None and finding is not None:
        findings.extend(watch.observer.trail.findings[1:])
    elif watch.observer is not None:
        finding = c.E2E_NOT_VISIBLE(
            f"The first tier accepted test trace {trace_id}, but Jaeger did not show it within {watch.wait:g}s,"
            " and no tier's metrics say where it went.",
            target=opts.jaeger_url,
        )
    if finding is None:
        finding = _unexplained(trace_id, watch)
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
        f"test trace {trace_id} not visible after {waited:.1f}s: {finding.message}",
        opts.jaeger_url,
    )
    return E2E(step, findings, trace_id)


def _unexplained(trace_id: str, watch: _Watch) -> Finding:
    """Not in Jaeger, and the collector's metrics do not say where it went: say why they cannot."""
    before, after, scrape_error = watch.before, watch.after, watch.scrape_error
    missing = after.missing_for_diagnosis() if after is not None else []
    if before is None:
        why = "; without the collector's metrics otdiag cannot tell where it went."
    elif after is None and scrape_error:
        why = (
            f"; the collector's metrics page failed after the span was sent ({scrape_error}), "
            "so otdiag cannot tell which hop lost it."
        )
    elif missing:
        why = f"; this collector's metrics show no {'; no '.join(missing)}, so otdiag cannot tell which hop lost it."
    else:
        why = "."
    return c.E2E_NOT_VISIBLE(
        f"The collector accepted test trace {trace_id}, but Jaeger did not show it within {watch.wait:g}s" + why,
        target=watch.opts.jaeger_url,
        hint="This collector release does not report where spans go: read its debug exporter or zpages "
        "(/debug/tracez), or upgrade the collector."
        if missing
        else None,
        evidence=[f"not in the collector's metrics: {m}" for m in missing]
        + ([f"metrics: {scrape_error}"] if after is None and scrape_error else []),
    )


def _locate_in_fleet(prom: Prometheus, view: FleetView, waited: float) -> list[Finding]:
    """Through Prometheus: which instance took the test span in and where it was lost (may be none)."""
    from otdiag.collector import fleet

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
