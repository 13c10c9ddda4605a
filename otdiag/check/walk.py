"""`otdiag check`: walk App -> SDK -> Collector -> Jaeger, prove it end to end, say where it breaks.

1. The app's OTEL_* environment (heading 3, and heading 1 for its export settings).
2. The collector: an empty (valid, stores-nothing) export on the app's protocol and the other one,
   its health endpoint, its internal metrics (heading 1).
3. Jaeger's query API and health (heading 2).
4. End to end: a test span through the collector, polled for in Jaeger, while the collector's
   metrics say where it went (accepted, refused, dropped by a processor, stuck in the exporter,
   exported but not stored).

All probes run concurrently, each bounded by the timeout, so a dead pipeline ends in about one
timeout. Core code: returns a result, never prints.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from otdiag import app_env
from otdiag import catalogue as c
from otdiag.check.app import app_settings, app_step, sibling_settings
from otdiag.check.e2e import end_to_end
from otdiag.check.probes import (
    Probe,
    probe_export,
    probe_exporter,
    probe_fleet,
    probe_health,
    probe_jaeger,
    probe_jaeger_health,
    probe_metrics,
    probe_zpages,
)
from otdiag.check.request import CheckOptions
from otdiag.check.tiers import in_tier, probe_tier
from otdiag.http import TlsOptions
from otdiag.model import Finding, Protocol, Report, Severity, Stage, Step, StepStatus
from otdiag.progress import NoProgress, Progress
from otdiag.transport import Cause

if TYPE_CHECKING:
    from otdiag.check.tiers import Observer
    from otdiag.fleet import FleetView


@dataclass
class _Tiers:
    """What a check across tiers (--config per tier) or a fleet (--prometheus-url) adds to the report."""

    observer: Observer | None = None
    fleet_p: Probe | None = None
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
    settings = app_settings(replace(opts, flags=replace(opts.flags, protocol=protocol)), app_findings)
    settings = replace(settings, timeout=opts.timeout)
    if protocol is None and settings.port in (4317, 4318) and settings.sources.get("endpoint") != "default":
        # No protocol named anywhere: the standard port says which one is meant.
        port_proto = Protocol.GRPC if settings.port == 4317 else Protocol.HTTP_PROTOBUF
        settings = app_settings(replace(opts, flags=replace(opts.flags, protocol=port_proto)), app_findings)
        settings = replace(settings, timeout=opts.timeout)
        protocol = port_proto
    steps.append(app_step(otel_vars, app_findings, settings))
    findings.extend(app_findings)
    findings.extend(opts.config_findings)

    # 2-3. The collector and Jaeger, all at once.
    tls = TlsOptions(verify=opts.flags.insecure is not True, ca_file=settings.ca_file)
    sibling = sibling_settings(settings, opts)
    if protocol is None and sibling is None:
        # No protocol named and a non-standard port: try both there, and take the one it speaks.
        other = Protocol.GRPC if settings.protocol.is_http else Protocol.HTTP_PROTOBUF
        flags = replace(opts.flags, protocol=other)
        sibling = replace(app_settings(replace(opts, flags=flags), []), timeout=opts.timeout)
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
            [pool.submit(probe_tier, t, opts.chain, budget, tls) for t in opts.chain.tiers[1:]] if opts.chain else []
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
        exp_ps = [in_tier(p, head, opts.chain) for p in exp_ps]
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
        from otdiag.check.tiers import Observer

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


def _agree(steps: list[Step], findings: list[Finding], exp_ps: list[Probe], *, e2e_passed: bool) -> list[Step]:
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
