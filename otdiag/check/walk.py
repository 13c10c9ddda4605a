"""`otdiag check`: walk App -> SDK -> Collector -> Jaeger, prove it end to end, say where it breaks.

1. The app's OTEL_* environment (heading 3, and heading 1 for its export settings).
2. The collector: an empty (valid, stores-nothing) export on the app's protocol and the other one,
   its health endpoint, its internal metrics (heading 1); with --config per tier, every tier.
3. Jaeger's query API and health (heading 2); with --prometheus-url, the fleet.
4. End to end: a test span through the collector, polled for in Jaeger, while the collector's
   metrics say where it went (accepted, refused, dropped by a processor, stuck in the exporter,
   exported but not stored).

All probes run concurrently, each bounded by the timeout, so a dead pipeline ends in about one
timeout. Core code: returns a CheckResult, never prints.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from otdiag import catalogue as c
from otdiag.app import env_analysis, export_settings
from otdiag.check import code
from otdiag.check.app import app_settings, app_step, sibling_settings
from otdiag.check.e2e import E2E, end_to_end
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
from otdiag.check.receiver import JaegerReceiver, identify
from otdiag.check.request import CheckOptions
from otdiag.check.result import CheckResult
from otdiag.check.tiers import Observer, in_tier, probe_tier
from otdiag.model import Finding, Protocol, Severity, Stage, Step, StepStatus
from otdiag.net.http import TlsOptions
from otdiag.net.transport import Cause
from otdiag.progress import NoProgress, Progress

if TYPE_CHECKING:
    from otdiag.collector.fleet import FleetView
    from otdiag.collector.metrics import Snapshot


def run(opts: CheckOptions, progress: Progress | None = None) -> CheckResult:
    """The whole check, hop by hop; with tiers or a fleet, their `chain` / `fleet` parts too."""
    if opts.chain is not None:
        opts = replace(opts, config=opts.chain.tiers[0].config)  # the app sends to the first tier
    progress = progress or NoProgress()
    # Every probe gives up at 80% of --timeout, so a black-holed pipeline, start-up included,
    # ends within about 1.2 x --timeout even on a loaded machine.
    budget = opts.timeout * 0.8

    # 1. The app and its SDK: what the environment says, and where it exports.
    sdk = _app_and_sdk(opts)
    steps, findings = [sdk.step], [*sdk.findings, *opts.config_findings]
    if opts.chain is not None:
        findings += opts.chain.findings()

    # 2-3. The collector (every tier) and Jaeger, and the fleet, all at once.
    progress.update("probing the collector and Jaeger")
    in_code = code.start(opts.code_endpoints, dict(opts.env), sdk.settings, budget)  # --app-dir's, alongside
    hops = _probe_hops(opts, sdk, budget)
    unset = _protocol_unset_grpc(sdk, hops)
    if unset is not None:
        shown = export_settings.as_grpc_on_same_port(sdk.settings) or sdk.settings
        steps = [app_step([k for k in opts.env if k.startswith("OTEL_")], [*sdk.findings, unset], shown)]
        findings.append(unset)
    # What answers the app's OTLP export: a collector, or Jaeger's own receiver (then no collector hop).
    jaeger_said = _jaeger_receiver(opts, sdk, hops)
    steps += [_as_jaegers(s, jaeger_said) for s in hops.steps()] if jaeger_said is not None else hops.steps()
    receiver = jaeger_said if jaeger_said is not None and jaeger_said.tied else None
    findings += hops.findings()
    findings = _with_log(findings, opts.log_findings)
    findings = _listening_fix(findings, opts)
    code_steps, code_findings = in_code.result()
    steps, findings = [*steps, *code_steps], [*findings, *code_findings]

    # 4. End to end, through whichever ingest path works.
    observer = Observer(opts.chain, budget, hops.tls) if opts.chain is not None else None
    e2e = _end_to_end(opts, hops, progress, observer)
    steps.append(e2e.step)
    findings += e2e.findings

    steps = _agree(steps, findings, hops.exporters, e2e_passed=e2e.time_to_visible_ms is not None)
    return _result(opts, findings, steps, e2e, observer, hops, receiver)


# --- 1. the app and its SDK -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sdk:
    settings: export_settings.Settings
    """What the app exports with (the defaults when its environment says nothing usable)."""
    protocol: Protocol | None
    """The protocol named (flag, environment, or the standard port); None when nothing names one."""
    step: Step
    findings: list[Finding]


def _app_and_sdk(opts: CheckOptions) -> _Sdk:
    otel_vars = [k for k in opts.env if k.startswith("OTEL_")]
    app = env_analysis.analyse(opts.env)
    app_findings = app.findings if otel_vars else [c.APP_ENV_EMPTY("No OTEL_* variable is set here.")]
    protocol = opts.flags.protocol or app.protocol
    settings = _settings(opts, protocol, app_findings)
    if protocol is None and settings.port in (4317, 4318) and settings.sources.get("endpoint") != "default":
        # No protocol named anywhere: the standard port says which one is meant.
        protocol = Protocol.GRPC if settings.port == 4317 else Protocol.HTTP_PROTOBUF
        settings = _settings(opts, protocol, app_findings)
    return _Sdk(settings, protocol, app_step(otel_vars, app_findings, settings), app_findings)


def _settings(opts: CheckOptions, protocol: Protocol | None, findings: list[Finding]) -> export_settings.Settings:
    settings = app_settings(replace(opts, flags=replace(opts.flags, protocol=protocol)), findings)
    return replace(settings, timeout=opts.timeout)


# --- 2-3. the collector, Jaeger, the tiers and the fleet --------------------------------------------------


@dataclass
class _Hops:
    """Every probe's answer."""

    tls: TlsOptions
    export: Probe
    """An empty export on the app's protocol (or, when none is named, on the one the endpoint speaks)."""
    other: Probe | None
    """The same on the other OTLP protocol: a side note."""
    via: export_settings.Settings | None
    """The settings of an ingest path that works, for the test span."""
    health: Probe
    metrics: Probe
    snapshot: Snapshot | None
    metrics_url: str
    jaeger: Probe
    jaeger_health: Probe | None
    zpages: Probe | None
    exporters: list[Probe]
    """--config's exporter targets, every tier's."""
    tiers: list[Probe] = field(default_factory=list)
    """The health and metrics of the tiers past the first."""
    fleet: Probe | None = None
    fleet_view: FleetView | None = None

    def steps(self) -> list[Step]:
        first = (self.export, self.other, self.health, self.metrics, self.zpages, self.jaeger, self.jaeger_health)
        out = [p.step for p in first if p is not None]
        out += [p.step for p in self.tiers]
        out += [p.step for p in self.exporters]
        return out + ([self.fleet.step] if self.fleet is not None else [])

    def findings(self) -> list[Finding]:
        """Along the pipeline: the tiers', zpages, ingest, health, metrics, Jaeger's, the fleet's."""
        out = [f for p in self.tiers for f in p.findings]
        out += self.zpages.findings if self.zpages is not None else []
        out += _ingest_findings(self.export, self.other, self.health)
        out += self.health.findings
        out += _metrics_findings(self.snapshot) if self.snapshot is not None else self.metrics.findings
        out += self.jaeger.findings
        out += self.jaeger_health.findings if self.jaeger_health is not None else []
        return out + (self.fleet.findings if self.fleet is not None else [])


def _probe_hops(opts: CheckOptions, sdk: _Sdk, budget: float) -> _Hops:
    settings = sdk.settings
    tls = TlsOptions(verify=opts.flags.insecure is not True, ca_file=settings.ca_file)
    sibling = sibling_settings(settings, opts)
    if sdk.protocol is None and sibling is None:
        # No protocol named and a non-standard port: try both there, and take the one it speaks.
        other = Protocol.GRPC if settings.protocol.is_http else Protocol.HTTP_PROTOBUF
        sibling = _settings(opts, other, [])
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    cfg = opts.config
    health_url = opts.health_url or (cfg.health_url if cfg else None) or f"http://{host}:13133"
    metrics_url = opts.metrics_url or (cfg.metrics_url if cfg else None) or f"http://{host}:8888/metrics"
    from otdiag.net import without_httpx_cli

    without_httpx_cli()
    import httpx  # noqa: F401 - imported once here, not by eight threads racing for the import lock

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="otdiag-probe") as pool:
        export_f = pool.submit(probe_export, _export_name(settings), settings, budget)
        other_f = pool.submit(probe_export, _export_name(sibling), sibling, budget) if sibling else None
        health_f = pool.submit(probe_health, health_url, budget, tls)
        metrics_f = pool.submit(probe_metrics, metrics_url, budget, tls)
        jaeger_f = pool.submit(probe_jaeger, opts.jaeger_url, budget, tls)
        jhealth_url = opts.jaeger_health_url
        jhealth_f = pool.submit(probe_jaeger_health, jhealth_url, budget, tls) if jhealth_url else None
        zpages_url = cfg.zpages_url if cfg else None
        zpages_f = pool.submit(probe_zpages, zpages_url, budget) if zpages_url else None
        exporter_fs = [pool.submit(probe_exporter, t, budget) for t in (cfg.exporters if cfg else [])]
        chain = opts.chain
        tier_fs = [pool.submit(probe_tier, t, chain, budget, tls) for t in chain.tiers[1:]] if chain else []
        fleet_f = pool.submit(probe_fleet, opts.prometheus, opts.window) if opts.prometheus else None
    # Leaving the pool waited for every probe; each was bounded by the timeout.
    metrics, snapshot = metrics_f.result()
    hops = _Hops(
        tls,
        export_f.result(),
        other_f.result() if other_f else None,
        None,
        health_f.result(),
        metrics,
        snapshot,
        metrics_url,
        jaeger_f.result(),
        jhealth_f.result() if jhealth_f else None,
        zpages_f.result() if zpages_f else None,
        [f.result() for f in exporter_fs],
    )
    if chain is not None:
        head = chain.tiers[0].name
        hops.exporters = [in_tier(p, head, chain) for p in hops.exporters]
        for tier_f in tier_fs:
            tier_ps, tier_exporters = tier_f.result()
            hops.tiers += tier_ps
            hops.exporters += tier_exporters
    if fleet_f is not None:
        hops.fleet, hops.fleet_view = fleet_f.result()
    _choose_ingest(hops, sdk, settings, sibling)
    if not hops.jaeger.ok and hops.jaeger.cause in (Cause.REFUSED, Cause.CONNECT_TIMEOUT, Cause.DNS):
        # Jaeger itself is not there: the exporter failing to reach it follows from that.
        for p in hops.exporters:
            p.findings = [replace(f, severity=Severity.WARNING) for f in p.findings]
    return hops


def _protocol_unset_grpc(sdk: _Sdk, hops: _Hops) -> Finding | None:
    """No protocol named, and the endpoint's port answers gRPC only: the rule send-test-span follows too (gRPC is
    sent there), said as the one finding naming which SDKs export and which fail; None otherwise."""
    via = hops.via
    if (
        sdk.protocol is not None
        or via is None
        or via.protocol is not Protocol.GRPC
        or not sdk.settings.protocol.is_http
    ):
        return None
    if hops.other is not None and not hops.other.ok:
        hops.other.step = replace(
            hops.other.step,
            status=StepStatus.WARN,
            detail=f"{hops.other.step.detail} (protocol unset: an SDK defaulting to http/protobuf fails here)",
        )
    same_port = export_settings.as_grpc_on_same_port(sdk.settings)
    return env_analysis.protocol_unset((same_port or via).target, export_settings.GRPC_ONLY)


def _jaeger_receiver(opts: CheckOptions, sdk: _Sdk, hops: _Hops) -> JaegerReceiver | None:
    """Jaeger's own receiver at the app's OTLP endpoint, when the process behind the "collector" probes says it is
    Jaeger (otdiag.check.receiver); never with collector tiers (--config more than once): they are collectors."""
    if opts.chain is not None:
        return None
    settings = hops.via or sdk.settings
    tie = (settings.target, settings.port, hops.via is not None)
    return identify(hops.snapshot, hops.metrics_url, hops.health.components, hops.health.step.target or "", tie)


_JAEGERS_STEP = {"collector-health": "Jaeger's own health", "collector-metrics": "Jaeger's own metrics"}


def _as_jaegers(step: Step, jaeger: JaegerReceiver) -> Step:
    """A "collector" probe's step, when what answered is Jaeger: its detail says so, and the health and metrics
    probes count for Jaeger (stage `jaeger`), not for a collector (the step's name stays: it is the JSON
    contract)."""
    if step.stage is Stage.COLLECTOR_INGEST and step.status is StepStatus.PASS and jaeger.tied:
        return replace(step, detail=f"{step.detail}; Jaeger's own OTLP receiver")
    said = _JAEGERS_STEP.get(step.name)
    return replace(step, stage=Stage.JAEGER, detail=f"{said}: {step.detail}") if said else step


def _export_name(settings: export_settings.Settings) -> str:
    return f"collector-otlp-{settings.protocol.value.split('/')[0]}"


def _choose_ingest(
    hops: _Hops, sdk: _Sdk, settings: export_settings.Settings, sibling: export_settings.Settings | None
) -> None:
    """The ingest path the test span takes: the app's own, else the other protocol when that one works."""
    other = hops.other
    if sdk.protocol is None and other is not None and other.ok and not hops.export.ok and sibling is not None:
        # The endpoint speaks the other protocol: that is the working path (the failed one is a note).
        hops.export, hops.other = other, hops.export
        settings, sibling = sibling, settings
    if hops.export.ok:
        hops.via = settings
    elif hops.other is not None and hops.other.ok:
        hops.via = sibling
    else:
        hops.via = None


def _ingest_findings(export: Probe, other: Probe | None, health: Probe) -> list[Finding]:
    """The app's own protocol failing is an error; the other protocol is a side note."""
    refused = {Cause.REFUSED}
    if (
        export.cause in refused
        and (other is None or other.cause in refused)
        and health.cause in refused | {None}
        and not health.ok
    ):
        targets = str(export.step.target) + (f" or {other.step.target}" if other else "")
        down = c.COLLECTOR_DOWN(
            f"The collector is not running: nothing listens at {targets}.",
            target=export.step.target,
            evidence=[e for p in (export, other) if p for f in p.findings for e in f.evidence],
        )
        return [down]
    out = list(export.findings)
    if other is not None:
        sev = Severity.WARNING if not export.ok else Severity.INFO
        out += [replace(f, severity=sev) for f in other.findings]
    return out


def _listening_fix(findings: list[Finding], opts: CheckOptions) -> list[Finding]:
    """With --config, "point the exporter at the address it listens on" names the addresses the config gives,
    not the standard ports."""
    cfg = opts.config
    listens = [
        f"OTLP gRPC {cfg.otlp_grpc}" if cfg and cfg.otlp_grpc else "",
        f"OTLP/HTTP {cfg.otlp_http}" if cfg and cfg.otlp_http else "",
    ]
    said = ", ".join(x for x in listens if x)
    if cfg is None or not said:
        return findings
    from otdiag import redact

    fix = (
        f"Start the collector, or point the exporter at the address {redact.printable(str(cfg.path))} "
        f"says it listens on: {said}."
    )
    ours = {a for a in (cfg.otlp_grpc, cfg.otlp_http) if a}
    return [
        replace(f, hint=fix) if f.code == c.INGEST_REFUSED.code and f.tier is None and not _names(f.target, ours) else f
        for f in findings
    ]


def _names(target: str | None, addresses: set[str]) -> bool:
    """The refused target is one of the config's own addresses (then the collector is what is missing)."""
    return target is not None and any(a in target for a in addresses)


def _metrics_findings(snapshot: Snapshot) -> list[Finding]:
    """What the collector's own counters say happened before this check: refusals, full queues."""
    out: list[Finding] = []
    past_refused = sum(snapshot.refused.values())
    if past_refused > 0:
        out.append(c.COLLECTOR_PAST_REFUSALS(f"The collector has refused {past_refused:.0f} span(s) since it started."))
    for e, v in snapshot.enqueue_failed.items():
        if v > 0:
            out.append(
                c.EXPORT_QUEUE_FULL(
                    f"Exporter {e} has dropped {v:.0f} span(s) on a full queue.",
                    target=e,
                    evidence=[f"otelcol_exporter_enqueue_failed_spans{{exporter={e}}} = {v:.0f}"],
                )
            )
    return out


# --- 4. end to end ----------------------------------------------------------------------------------------


def _end_to_end(opts: CheckOptions, hops: _Hops, progress: Progress, observer: Observer | None) -> E2E:
    if opts.e2e and hops.via and hops.jaeger.ok:
        # The probes' empty exports moved no span counter, so their metrics snapshot serves as "before".
        lone = hops.snapshot is not None and observer is None
        return end_to_end(
            hops.via,
            replace(opts, metrics_url=hops.metrics_url if lone else None),
            hops.tls,
            progress,
            hops.exporters,
            before=hops.snapshot if observer is None else None,
            fleet_view=hops.fleet_view,
            observer=observer,
        )
    if not opts.e2e:
        why = "disabled (--no-e2e)"
    elif not hops.via:
        why = "skipped: no working OTLP endpoint"
    else:
        why = "skipped: Jaeger's query API does not answer"
    # Nothing got through to say otherwise: the exporter probes' findings stand.
    unexplained = [f for p in hops.exporters for f in p.findings] if not hops.jaeger.ok or not hops.via else []
    return E2E(Step("end-to-end", Stage.JAEGER, StepStatus.SKIP, 0.0, why), unexplained)


# --- the result ---------------------------------------------------------------------------------------------


def _result(
    opts: CheckOptions,
    findings: list[Finding],
    steps: list[Step],
    e2e: E2E,
    observer: Observer | None,
    hops: _Hops,
    receiver: JaegerReceiver | None,
) -> CheckResult:
    """The findings in the order a reader follows them, and the chain's and fleet's parts."""
    view = hops.fleet_view
    if opts.chain is not None or opts.prometheus is not None:
        findings = [f for f in findings if c.kind_of(f).origin is not c.Origin.FLEET]
    if opts.chain is not None:
        findings = _name_head_tier(findings, [t.name for t in opts.chain.tiers])
    if hops.fleet is not None:
        # After the test span's own story: where it was lost is the diagnosis, the fleet's window the context
        # (read again after the probe when the span was looked for through Prometheus).
        findings += view.findings if view is not None else hops.fleet.findings
    return CheckResult(
        findings=tuple(_order(findings)),
        steps=tuple(steps),
        trace_id=e2e.trace_id,
        time_to_visible_ms=e2e.time_to_visible_ms,
        chain=observer.report() if observer is not None else None,
        fleet_asked=opts.prometheus is not None,
        fleet=view.report(opts.prometheus, opts.window) if view is not None and opts.prometheus else None,
        otlp_receiver=receiver,
    )


def _with_log(findings: list[Finding], logged: list[Finding]) -> list[Finding]:
    """--collector-log's findings: one that a probe also found (the same code) adds its log line to that
    probe's finding, so one cause reads once."""
    out = list(findings)
    for f in logged:
        same = next((i for i, g in enumerate(findings) if g.code == f.code and g.stage is f.stage), None)
        if same is None:
            out.append(f)
        else:
            out[same] = replace(out[same], evidence=(*out[same].evidence, *f.evidence))
    return out


def _name_head_tier(findings: list[Finding], tiers: list[str]) -> list[Finding]:
    """The first tier's own probes (and the app's export to it) speak of "the collector": name it."""
    head = tiers[0]
    return [
        replace(f, message=f"{head}: {f.message}", tier=head)
        if f.stage in (Stage.COLLECTOR_INGEST, Stage.COLLECTOR)
        and c.kind_of(f).origin is not c.Origin.CONFIG
        and f.tier is None
        else f
        for f in findings
    ]


def _agree(steps: list[Step], findings: list[Finding], exporters: list[Probe], *, e2e_passed: bool) -> list[Step]:
    """Steps and findings tell one story: a failed step is backed by a finding, or it is not a failure.

    An exporter target probed from otdiag's host may not resolve or answer from here (a name only the
    collector's network knows) while the collector reaches it: when the test span got through, that
    step is a warning with an `info` finding, not a failure the verdict then contradicts.
    """
    unreachable_here = {p.step.name for p in exporters if not p.ok} if e2e_passed else set()
    for p in exporters:
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
    return sorted(
        findings,
        key=lambda f: (sev[f.severity], c.kind_of(f).origin is not c.Origin.CONFIG, _STAGE_ORDER[f.stage]),
    )
