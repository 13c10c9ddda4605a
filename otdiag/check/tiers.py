"""check across several collectors: `check --config agent.yaml --config gateway.yaml`.

The chain is worked out from the configs alone: a tier's OTLP exporter whose endpoint is another
tier's OTLP receiver is a hop between them; an exporter that matches no tier leads out of the
chain (to Jaeger). The test span is then followed tier by tier through each tier's own metrics
(otdiag.check.loss reads each one), and the report names the tier and the hop that lost it.

`analyse` is pure (tests/test_chain.py builds chains and deltas by hand); `Observer` scrapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from otdiag import catalogue as c
from otdiag.check import loss
from otdiag.check.probes import Probe, probe_exporter, probe_health, probe_metrics
from otdiag.collector import metrics as collector_metrics
from otdiag.collector.metrics import Snapshot
from otdiag.collector.targets import CollectorTargets
from otdiag.errors import UsageError
from otdiag.model import Finding, StepStatus
from otdiag.net.http import TlsOptions
from otdiag.net.transport import TransportError

BACKEND = "Jaeger"
_WILDCARD = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - addresses read from configs
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass(frozen=True)
class Tier:
    name: str
    config: CollectorTargets


@dataclass(frozen=True)
class Hop:
    src: str
    """Tier name."""
    exporter: str
    dst: str
    """Tier name, or BACKEND."""
    endpoint: str
    broken: bool = False
    """The exporter matches no tier's receiver, but `dst` is the tier it must mean: the one nothing sends to."""

    @property
    def label(self) -> str:
        return f"{self.src} → {self.dst} ({self.exporter})"


@dataclass(frozen=True)
class Chain:
    tiers: list[Tier]
    """In order: the tier the app sends to first."""
    hops: list[Hop]

    def tier(self, name: str) -> Tier:
        return next(t for t in self.tiers if t.name == name)

    def out_of(self, name: str) -> list[Hop]:
        return [h for h in self.hops if h.src == name]

    def into(self, name: str) -> list[Hop]:
        return [h for h in self.hops if h.dst == name]

    def fix(self, hop: Hop) -> str:
        """The endpoint `hop`'s exporter should dial: its destination tier's OTLP receiver for its protocol."""
        if hop.dst == BACKEND:
            return ""
        cfg, exp = self.tier(hop.dst).config, self.tier(hop.src).config
        kind = next((e.type for e in exp.exporters if e.id == hop.exporter), "otlp_grpc")
        if kind == "otlp_http" and cfg.otlp_http:
            scheme = "https" if cfg.otlp_http_tls else "http"
            return f"{scheme}://{cfg.otlp_http}"
        return cfg.otlp_grpc or cfg.otlp_http or ""

    def findings(self) -> list[Finding]:
        """What the configs alone say is broken: an exporter aimed where the next tier does not listen."""
        out = []
        for h in self.hops:
            if not h.broken:
                continue
            fix = self.fix(h)
            where = f"; its OTLP receiver is at {fix}" if fix else ""
            out.append(
                c.CHAIN_BROKEN_HOP(
                    f"{h.src}: exporter {h.exporter} sends to {h.endpoint}, where {h.dst} does not listen{where}"
                    f" (hop {h.label}).",
                    target=h.exporter,
                    hint=f"Point {h.exporter}'s endpoint at {fix} ({h.dst}'s OTLP receiver)."
                    if fix
                    else f"Point {h.exporter}'s endpoint at {h.dst}'s OTLP receiver.",
                    evidence=[f"{h.dst} listens at {', '.join(self.tier(h.dst).config.listens) or 'nothing'}"],
                ).at(h.src)
            )
        return out


def _host_port(endpoint: str) -> tuple[str, str]:
    rest = re.sub(r"^[a-z]+://", "", endpoint.strip()).split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host.strip("[]").lower(), port


def _same_place(exporter_endpoint: str, listen: str) -> int:
    """2: the exporter dials exactly that listen address; 1: same port on a wildcard listener; 0: no."""
    eh, ep = _host_port(exporter_endpoint)
    lh, lp = _host_port(listen)
    if not ep or ep != lp:
        return 0
    if eh == lh or (eh in _LOOPBACK and lh in _LOOPBACK):
        return 2
    return 1 if lh in _WILDCARD or lh == "" else 0


def _names(tier: str, host: str) -> bool:
    t = tier.lower()
    return bool(t) and bool(host) and (t in host or host.split(".", maxsplit=1)[0] in t)


def tier_name(spec: str, taken: set[str]) -> tuple[str, str]:
    """`NAME=PATH` or `PATH` (the file's stem names the tier) -> (name, path)."""
    name, sep, path = spec.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name) or Path(spec).is_file():
        name, path = Path(spec).stem[:40] or "collector", spec
    base, n = name, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name, path


def build(tiers: list[Tier]) -> Chain:
    """Hops between the tiers by their exporters' endpoints; the head first. UsageError for a cycle."""
    hops: list[Hop] = []
    for t in tiers:
        for e in t.config.exporters:
            scores = [
                (max((_same_place(e.endpoint, listen) for listen in o.config.listens), default=0), o.name)
                for o in tiers
                if o.name != t.name
            ]
            # A wildcard listener (0.0.0.0:4317) matches by port only, which every tier may share: it
            # counts when the exporter's host names the tier (gateway.otel.svc -> tier "gateway").
            host = _host_port(e.endpoint)[0]
            scores = [(sc, n) for sc, n in scores if sc == 2 or (sc == 1 and _names(n, host))]
            best = max((sc for sc, _ in scores), default=0)
            dsts = [n for sc, n in scores if sc == best and best > 0]
            hops.append(Hop(t.name, e.id, dsts[0] if dsts else BACKEND, e.endpoint))
    hops = _mend(tiers, hops)
    targeted = {h.dst for h in hops}
    heads = [t for t in tiers if t.name not in targeted]
    if not heads:
        raise UsageError("--config: the collectors' exporters form a cycle; no tier is the first one")
    order: list[Tier] = []
    frontier = heads
    while frontier:
        order.extend(t for t in frontier if t not in order)
        names = {t.name for t in frontier}
        nxt = {h.dst for h in hops if h.src in names}
        frontier = [t for t in tiers if t.name in nxt and t not in order]
    order.extend(t for t in tiers if t not in order)
    return Chain(order, hops)


def _mend(tiers: list[Tier], hops: list[Hop]) -> list[Hop]:
    """A tier that nothing sends to, after a tier whose exporters all lead out of the chain: the chain is
    broken between them (the exporter aims at a port the next tier does not listen on, or that tier's
    receiver moved). The hop is drawn to that tier, marked broken, rather than as a second way to Jaeger."""
    targeted = {h.dst for h in hops}
    untargeted = [t for t in tiers if t.name not in targeted]
    # The first of them (in the order given) is the head the app sends to; any other is cut off.
    for orphan in untargeted[1:]:
        i = tiers.index(orphan)
        for src in reversed(tiers[:i]):
            outs = [h for h in hops if h.src == src.name]
            if outs and all(h.dst == BACKEND for h in outs):
                h = outs[0]
                # On the port the tier listens on, under a name otdiag cannot match (a service name, a
                # load balancer): the same place; on another port: the hop is broken.
                ports = {_host_port(listen)[1] for listen in orphan.config.listens}
                broken = _host_port(h.endpoint)[1] not in ports
                hops[hops.index(h)] = replace(h, dst=orphan.name, broken=broken)
                targeted.add(orphan.name)
                break
    return hops


def from_specs(
    specs: list[str], read: Callable[[str], CollectorTargets], metrics: Mapping[str, str] | None = None
) -> Chain:
    """The chain of `--config` files (`read(path) -> CollectorTargets`); `metrics`: tier -> metrics URL."""
    tiers: list[Tier] = []
    taken: set[str] = set()
    for spec in specs:
        name, path = tier_name(spec, taken)
        taken.add(name)
        cfg = read(path)
        if metrics and name in metrics:
            cfg = replace(cfg, metrics_url=metrics[name])
        tiers.append(Tier(name, cfg))
    unknown = sorted(set(metrics or {}) - taken)
    if unknown:
        raise UsageError(f"--tier-metrics-url: no --config tier is named {unknown[0]!r} (tiers: {', '.join(taken)})")
    return build(tiers)


# --- following the test span ------------------------------------------------------------------------


@dataclass
class Trail:
    """What the chain's metrics say about the test span so far."""

    findings: list[Finding] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=dict)
    """tier -> pass | fail | skip (unknown or not reached)."""
    hops: dict[str, str] = field(default_factory=dict)
    """hop label -> pass | fail | skip."""
    pending: bool = False
    """Some branch is still on its way."""
    delivered: list[Hop] = field(default_factory=list)
    """Hops out of the chain (to Jaeger) that sent the span."""
    lost_at: dict[str, str | None] | None = None
    unknown: list[str] = field(default_factory=list)
    """Tiers the span reached whose metrics could not be read."""

    @property
    def definite(self) -> bool:
        """Every branch ended in a loss: no need to wait for Jaeger any longer."""
        return bool(self.findings) and not self.pending and not self.delivered and not self.unknown


def analyse(
    chain: Chain,
    before: Mapping[str, Snapshot | None],
    after: Mapping[str, Snapshot | None],
    waited: float,
    *,
    final: bool,
) -> Trail:
    """Follow the span from the head tier along every hop that sent it; name where each branch lost it."""
    follow = _Follow(chain, before, after, waited, final)
    trail = follow.trail
    follow.visit(chain.tiers[0].name, None, frozenset())
    if final and not trail.findings and trail.delivered:
        hop = trail.delivered[0]
        follow.lost(
            c.JAEGER_NOT_STORED(
                f"{hop.src}: the test span went through every tier and {hop.exporter} exported it to {hop.endpoint},"
                " but Jaeger does not show it.",
                target=hop.exporter,
            ).at(hop.src),
            BACKEND,
            hop,
        )
    return trail


@dataclass
class _Follow:
    """One reading of every tier's deltas, followed from the head tier along the hops that sent the span."""

    chain: Chain
    before: Mapping[str, Snapshot | None]
    after: Mapping[str, Snapshot | None]
    waited: float
    final: bool
    trail: Trail = field(default_factory=Trail)
    verdicts: dict[str, loss.Verdict | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.trail.tiers.update((t.name, "skip") for t in self.chain.tiers)
        self.trail.hops.update((h.label, "skip") for h in self.chain.hops)

    def verdict_of(self, name: str) -> loss.Verdict | None:
        if name not in self.verdicts:
            b, a = self.before.get(name), self.after.get(name)
            cfg = self.chain.tier(name).config
            comps = loss.Components(cfg.processor_waits, cfg.exporter_types, name)
            v = None if b is None or a is None else loss.verdict(b, a, self.waited, final=self.final, comps=comps)
            self.verdicts[name] = v
        return self.verdicts[name]

    def lost(self, f: Finding, tier: str, hop: Hop | None) -> None:
        if hop is not None and hop.label not in f.message:
            f = replace(f, message=f"{f.message.rstrip('.')} (hop {hop.label}).")
        if f.tier is None and tier != BACKEND:
            f = replace(f, tier=tier)
        self.trail.findings.append(f)
        if self.trail.lost_at is None:
            self.trail.lost_at = {"tier": tier, "hop": hop.label if hop else None, "code": f.code}

    def visit(self, name: str, via: Hop | None, seen: frozenset[str]) -> None:
        v = self.verdict_of(name)
        if v is None:
            self.trail.unknown.append(name)
            return
        if v.accepted <= 0 and v.finding is None:
            self._nothing_arrived(name, via)
            return
        if via is not None:
            self.trail.hops[via.label] = "pass"
        if v.finding is not None:
            self._lost_inside(name, v.finding, seen)
            return
        if not v.sent and not v.pending and self._nothing_left(name, v, seen):
            return
        self.trail.tiers[name] = "pass"
        if v.pending:
            self.trail.pending = True
        for hop in self.chain.out_of(name):
            if v.sent.get(hop.exporter, 0) <= 0:
                continue
            if hop.dst == BACKEND:
                self.trail.hops[hop.label] = "pass"
                self.trail.delivered.append(hop)
            elif hop.dst not in seen:
                self.visit(hop.dst, hop, seen | {name})
        if not v.sent and not v.pending and not self.final:
            self.trail.pending = True

    def _nothing_arrived(self, name: str, via: Hop | None) -> None:
        """This tier accepted nothing: still on its way, or lost on the hop into it."""
        if via is None:
            self.trail.pending = self.trail.pending or not self.final
            return
        if self.waited < 2.0 and not self.final:
            self.trail.pending = True
            return
        self.trail.hops[via.label] = "fail"
        self.lost(
            loss.HOP_LOST(
                f"{via.src}'s exporter {via.exporter} sent the test span to {via.endpoint}, but {name}"
                f" accepted nothing there.",
                target=via.exporter,
                evidence=[
                    f"{via.src}: otelcol_exporter_sent_spans{{exporter={via.exporter}}} rose",
                    f"{name}: otelcol_receiver_accepted_spans +0",
                ],
            ),
            name,
            via,
        )

    def _lost_inside(self, name: str, f: Finding, seen: frozenset[str]) -> None:
        """The tier's own metrics say where: inside it, or at its exporter (then: did the next tier refuse it?)."""
        out = next((h for h in self.chain.out_of(name) if h.exporter == f.target), None)
        on_hop = c.kind_of(f).hop and out is not None
        if on_hop and out is not None and self._refused_by_next(name, out, seen):
            return
        # An exporter that cannot deliver is the hop's failure; the tier did its part up to there.
        self.trail.tiers[name] = "pass" if on_hop else "fail"
        if out is not None:
            self.trail.hops[out.label] = "fail"
        self.lost(f, name, out)

    def _refused_by_next(self, name: str, hop: Hop, seen: frozenset[str]) -> bool:
        """Whether the next tier refused what this one tried to send it (then that tier is where it was lost)."""
        if hop.dst == BACKEND or hop.dst in seen:
            return False
        nv = self.verdict_of(hop.dst)
        if nv is None or nv.finding is None or not c.COLLECTOR_REFUSING.made(nv.finding):
            return False
        self.trail.tiers[name] = "pass"
        self.trail.tiers[hop.dst] = "fail"
        self.trail.hops[hop.label] = "fail"
        self.lost(nv.finding, hop.dst, hop)
        return True

    def _nothing_left(self, name: str, v: loss.Verdict, seen: frozenset[str]) -> bool:
        """Nothing left this tier: a next tier refusing it is why (the exporter retries meanwhile); at the end,
        an exporter that sent nothing on. True when that is where the span was lost."""
        if any(self._refused_by_next(name, hop, seen) for hop in self.chain.out_of(name)):
            return True
        if not self.final or v.sunk:
            return False
        self.trail.tiers[name] = "fail"
        outs = self.chain.out_of(name)
        exporters = ", ".join(h.exporter for h in outs) or "its exporters"
        self.lost(
            c.EXPORT_STUCK(
                f"{name}: the collector accepted the test span and sent nothing on through {exporters}"
                f" in {self.waited:.1f}s.",
                target=outs[0].exporter if outs else None,
            ),
            name,
            outs[0] if len(outs) == 1 else None,
        )
        return True


class Observer:
    """Scrapes every tier's metrics (all at once, each bounded) and follows the test span."""

    def __init__(self, chain: Chain, timeout: float, tls: TlsOptions | None) -> None:
        self.chain = chain
        self.timeout = timeout
        self.tls = tls
        self.before: dict[str, Snapshot | None] = {}
        self.trail = Trail()

    def scrape(self) -> dict[str, Snapshot | None]:
        def one(t: Tier) -> Snapshot | None:
            url = t.config.metrics_url
            if not url:
                return None
            try:
                return collector_metrics.scrape(url, timeout=self.timeout, tls=self.tls)
            except TransportError:
                return None

        with ThreadPoolExecutor(max_workers=min(8, len(self.chain.tiers)), thread_name_prefix="otdiag-tier") as pool:
            snaps = list(pool.map(one, self.chain.tiers))
        return {t.name: s for t, s in zip(self.chain.tiers, snaps, strict=True)}

    def start(self, before: Mapping[str, Snapshot | None] | None = None) -> None:
        self.before = dict(before) if before is not None else self.scrape()

    def look(self, waited: float, *, final: bool) -> Trail:
        self.trail = analyse(self.chain, self.before, self.scrape(), waited, final=final)
        return self.trail

    def report(self) -> ChainReport:
        """Every tier's and hop's part as the trail left them: the report's `chain`."""
        lost = self.trail.lost_at
        return ChainReport(
            tuple(
                TierMark(t.name, t.config.path, t.config.metrics_url, StepStatus(self.trail.tiers.get(t.name, "skip")))
                for t in self.chain.tiers
            ),
            tuple(
                HopMark(h.src, h.exporter, h.dst, h.endpoint, StepStatus(self.trail.hops.get(h.label, "skip")))
                for h in self.chain.hops
            ),
            LostAt(str(lost["tier"]), lost["hop"], str(lost["code"])) if lost is not None else None,
        )


@dataclass(frozen=True, slots=True)
class TierMark:
    """One tier in the report: its config, where its metrics were read, and its part in the test span."""

    name: str
    config: str
    metrics_url: str | None
    status: StepStatus

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config, "metrics_url": self.metrics_url, "status": self.status.value}


@dataclass(frozen=True, slots=True)
class HopMark:
    """One hop in the report: from a tier, through its exporter, to the next tier or Jaeger."""

    src: str
    exporter: str
    dst: str
    endpoint: str
    status: StepStatus

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.src,
            "exporter": self.exporter,
            "to": self.dst,
            "endpoint": self.endpoint,
            "status": self.status.value,
        }


@dataclass(frozen=True, slots=True)
class LostAt:
    """Where the test span was lost first: the tier (or Jaeger), the hop, and the finding's code."""

    tier: str
    hop: str | None
    code: str

    def to_json(self) -> dict[str, Any]:
        return {"tier": self.tier, "hop": self.hop, "code": self.code}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """check's `chain` field: the tiers in order, the hops between them, where the span was lost."""

    tiers: tuple[TierMark, ...]
    hops: tuple[HopMark, ...]
    lost_at: LostAt | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tiers": [t.to_json() for t in self.tiers],
            "hops": [h.to_json() for h in self.hops],
            "lost_at": self.lost_at.to_json() if self.lost_at is not None else None,
        }


# --- probing the tiers past the first -----------------------------------------------------------------


def in_tier(p: Probe, tier: str, chain: Chain) -> Probe:
    """A probe of one tier's exporter: its step and findings name the tier and the hop."""
    exporter = p.step.name.removeprefix("exporter ")
    hop = next((h for h in chain.out_of(tier) if h.exporter == exporter), None)
    where = f" (hop {hop.label})" if hop else ""
    p.step = replace(p.step, name=f"{tier} {p.step.name}")
    # Towards the next tier, the fix speaks of that tier, not of Jaeger.
    dst = hop.dst if hop is not None and hop.dst != BACKEND else None
    fix = chain.fix(hop) if hop is not None and hop.broken else ""
    p.findings = [
        replace(
            f,
            tier=tier,
            message=f"{tier}: {f.message.rstrip('.')}{where}.",
            hint=f"Point {exporter}'s endpoint at {fix} ({dst}'s OTLP receiver)."
            if fix
            else f.hint.replace("Jaeger's", f"{dst}'s").replace("Jaeger", dst)
            if dst
            else f.hint,
        )
        for f in p.findings
    ]
    return p


def probe_tier(tier: Tier, chain: Chain, timeout: float, tls: TlsOptions) -> tuple[list[Probe], list[Probe]]:
    """A collector further down the chain: its health, metrics and exporters (its receivers are hop targets)."""
    probes: list[Probe] = []
    cfg = tier.config
    if cfg.health_url:
        probes.append(probe_health(cfg.health_url, timeout, tls))
    if cfg.metrics_url:
        probes.append(probe_metrics(cfg.metrics_url, timeout, tls)[0])
    for p in probes:
        p.step = replace(p.step, name=f"{tier.name} {p.step.name}")
        p.findings = [replace(f, message=f"{tier.name}: {f.message}", tier=tier.name) for f in p.findings]
    exps = [in_tier(probe_exporter(t, timeout), tier.name, chain) for t in cfg.exporters]
    return probes, exps
