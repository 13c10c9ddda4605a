"""A fleet of collectors seen through Prometheus: `check --prometheus-url`.

Prometheus is the engine: otdiag never scrapes a collector here. It asks Prometheus's HTTP API
(`/api/v1/query`, bounded in time and size) for the `otelcol_*` span-flow series of every
collector instance the selector matches, at two instants:

- `now - window` and `now`: per instance and tier, how many spans were refused, dropped by a
  processor, failed by an exporter or lost on a full queue, and how full the queues are now;
- before the test span is sent and after the wait: which instance took it in and where it was
  lost (otdiag.check.loss reads each instance's deltas, as it reads one collector's in `check`).

Fifty collectors give one answer: one finding per kind of loss naming the worst offenders, then
a table (otdiag.render.fleet) that reads at 80 columns.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast
from urllib.parse import urlencode

from otdiag import catalogue as c
from otdiag import redact
from otdiag.check import loss
from otdiag.collector.components import HOLDING_PROCESSORS
from otdiag.collector.metrics import SPAN_METRICS, Snapshot
from otdiag.errors import UsageError
from otdiag.model import Finding
from otdiag.net import http
from otdiag.net.transport import Cause, TransportError

MAX_BYTES = 64 * 1024 * 1024
MAX_INSTANCES_NAMED = 5
"""A finding names this many worst offenders; the table shows the rest."""

# The span-flow families a scrape reads (one table with collector.metrics), plus tail_sampling's intake.
_COUNTERS: dict[str, tuple[str, str]] = {
    **SPAN_METRICS,
    "otelcol_processor_tail_sampling_new_trace_id_received": ("tail_sampling_traces", "processor"),
}
_GAUGES: dict[str, tuple[str, str]] = {
    "otelcol_exporter_queue_size": ("queue_size", "exporter"),
    "otelcol_exporter_queue_capacity": ("queue_capacity", "exporter"),
}
# Counters carry `_total` when Prometheus scrapes them from the collector's exposition (and in some
# releases in the collector's own names); both spellings are asked for.
NAME_RE = "|".join(sorted(_COUNTERS) + sorted(_GAUGES))
_PRESENCE = "otelcol_process_uptime"
"""Every collector exports its uptime from the start; span counters appear only once spans flow."""
_QUERY_NAMES = f"({NAME_RE}|{_PRESENCE}(_seconds)?)(_total)?"

_MATCHER = re.compile(r'\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*')

FLEET_UNREACHABLE = c.FLEET_UNREACHABLE
FLEET_NO_COLLECTORS = c.FLEET_NO_COLLECTORS
FLEET_DOWN = c.FLEET_DOWN
FLEET_REFUSED = c.FLEET_REFUSED
FLEET_DROPPED = c.FLEET_DROPPED
FLEET_EXPORT_FAILED = c.FLEET_EXPORT_FAILED
FLEET_QUEUE_FULL = c.FLEET_QUEUE_FULL
FLEET_QUEUE_FILLING = c.FLEET_QUEUE_FILLING


def parse_selector(text: str | None) -> str:
    """`job="otel"` or `{job=~"otel-.*",env="prod"}` as the matchers to put in braces; UsageError if not."""
    if text is None or not text.strip():
        return ""
    inner = text.strip()
    if inner.startswith("{"):
        if not inner.endswith("}"):
            raise UsageError(f"--prometheus-selector: {text!r} opens a brace it does not close")
        inner = inner[1:-1]
    pos, parts = 0, []
    while pos < len(inner):
        m = _MATCHER.match(inner, pos)
        if m is None:
            raise UsageError(
                f'--prometheus-selector: {text!r} is not a label selector (like job="otel" or env=~"prod|stage")'
            )
        parts.append(m.group(0).strip())
        pos = m.end()
        if pos < len(inner):
            if inner[pos] != ",":
                raise UsageError(f"--prometheus-selector: {text!r}: matchers are separated by commas")
            pos += 1
    return ",".join(parts)


def _printable(value: object, limit: int = 120) -> str:
    return redact.clean(value, limit)


@dataclass(frozen=True, order=True)
class Instance:
    instance: str
    tier: str


@dataclass
class Prometheus:
    url: str
    selector: str = ""
    tier_label: str = "job"
    timeout: float = 5.0
    tls: http.TlsOptions | None = None

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query's vector result; TransportError when Prometheus does not answer as Prometheus."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        url = f"{self.url.rstrip('/')}/api/v1/query?{urlencode(params)}"
        resp = http.request("GET", url, timeout=self.timeout, tls=self.tls, max_bytes=MAX_BYTES)
        try:
            doc = json.loads(resp.body)
        except ValueError:
            raise TransportError(Cause.PROTOCOL, f"HTTP {resp.status}, not Prometheus's JSON API") from None
        if not isinstance(doc, dict) or "status" not in doc:
            raise TransportError(Cause.PROTOCOL, f"HTTP {resp.status}, not Prometheus's JSON API")
        if doc["status"] != "success":
            raise TransportError(Cause.PROTOCOL, f"Prometheus refused the query: {_printable(doc.get('error'))}")
        data = doc.get("data") or {}
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, list):
            raise TransportError(Cause.PROTOCOL, "Prometheus answered without a result vector")
        return [r for r in result if isinstance(r, dict)]

    def _sel(self, extra: str) -> str:
        return "{" + ",".join(x for x in (extra, self.selector) if x) + "}"

    def snapshots(self, at: float | None = None) -> dict[Instance, Snapshot]:
        """Every collector instance's span-flow counters and queue gauges, as at `at` (default now)."""
        rows = self.query(self._sel(f'__name__=~"{_QUERY_NAMES}"'), at)
        return to_snapshots(rows, self.tier_label)

    def oldest_scrape(self) -> float | None:
        """The time (Unix seconds) of the least recent last scrape among the collectors; None if none."""
        rows = self.query(f"min(timestamp(up{self._sel('')}))")
        try:
            return float(rows[0]["value"][1]) if rows else None
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def wait_scraped(self, since: float, *, deadline: float) -> None:
        """Wait (until `deadline`, monotonic) for Prometheus to have scraped every collector after `since`."""
        while time.monotonic() < deadline:
            oldest = self.oldest_scrape()
            if oldest is None or oldest >= since:
                return
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def down(self) -> list[Instance]:
        """Targets Prometheus fails to scrape (`up == 0`) among those the selector matches."""
        rows = self.query(f"up{self._sel('')} == 0")
        return sorted(
            Instance(_printable(m.get("instance", "?")), _printable(m.get(self.tier_label, "")))
            for r in rows
            if isinstance(m := r.get("metric"), dict)
        )


def to_snapshots(rows: list[dict[str, Any]], tier_label: str) -> dict[Instance, Snapshot]:
    """Prometheus's vector rows as one Snapshot per (instance, tier), summed by component like a scrape."""
    sums: dict[Instance, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for row in rows:
        metric, value = row.get("metric"), row.get("value")
        if not isinstance(metric, dict) or not isinstance(value, list) or len(value) != 2:
            continue
        try:
            v = float(value[1])
        except (TypeError, ValueError):
            continue
        name = str(metric.get("__name__", "")).removesuffix("_total")
        inst = Instance(_printable(metric.get("instance", "?")), _printable(metric.get(tier_label, "")))
        if name.startswith(_PRESENCE):
            _ = sums[inst]  # a collector that has seen no span yet still counts
        elif name in _COUNTERS:
            attr, label = _COUNTERS[name]
            if label == "processor" and metric.get("otel_signal", "traces") not in ("traces", "trace"):
                continue
            sums[inst][attr][_printable(metric.get(label, ""))] += v
        elif name in _GAUGES:
            if metric.get("data_type", "traces") != "traces":
                continue
            attr, label = _GAUGES[name]
            sums[inst][attr][_printable(metric.get(label, ""))] = v
    families = {attr: name for name, (attr, _) in {**_COUNTERS, **_GAUGES}.items()}
    return {
        i: Snapshot(
            **cast("dict[str, Any]", {k: dict(v) for k, v in attrs.items()}),
            seen=frozenset(families[k] for k in attrs if k in families),
        )
        for i, attrs in sums.items()
    }


# --- the window: who loses spans ------------------------------------------------------------------------


@dataclass
class Row:
    """One instance over the window."""

    instance: str
    tier: str
    accepted: float = 0.0
    refused: float = 0.0
    dropped: float = 0.0
    send_failed: float = 0.0
    enqueue_failed: float = 0.0
    queue_size: float = 0.0
    queue_capacity: float = 0.0
    worst: dict[str, str] = field(default_factory=dict)
    """kind of loss -> the component that lost most."""

    @property
    def lost(self) -> float:
        return self.refused + self.dropped + self.send_failed + self.enqueue_failed

    @property
    def queue_fill(self) -> float:
        return self.queue_size / self.queue_capacity if self.queue_capacity > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "tier": self.tier,
            "accepted": self.accepted,
            "refused": self.refused,
            "dropped": self.dropped,
            "send_failed": self.send_failed,
            "enqueue_failed": self.enqueue_failed,
            "queue_size": self.queue_size,
            "queue_capacity": self.queue_capacity,
            "worst": dict(self.worst),
        }


def _top(d: Mapping[str, float]) -> tuple[str, float]:
    pos = {k: v for k, v in d.items() if v > 0}
    if not pos:
        return "", 0.0
    k = max(pos, key=lambda x: (pos[x], x))
    return k, sum(pos.values())


def window_rows(before: Mapping[Instance, Snapshot], after: Mapping[Instance, Snapshot]) -> list[Row]:
    """Per instance, what the window moved; worst offenders (most spans lost, fullest queue) first."""
    rows = []
    empty = Snapshot()
    for inst, now in after.items():
        then = before.get(inst, empty)
        row = Row(inst.instance, inst.tier)
        row.accepted = sum(loss.diff(then.accepted, now.accepted).values())
        for attr, src in (("refused", "refused"), ("send_failed", "send_failed"), ("enqueue_failed", "enqueue_failed")):
            comp, total = _top(loss.diff(getattr(then, src), getattr(now, src)))
            setattr(row, attr, total)
            if comp or total:
                row.worst[attr] = comp
        inc, out = loss.diff(then.incoming, now.incoming), loss.diff(then.outgoing, now.outgoing)
        # A holding processor (batch, tail_sampling) may hold spans across the window's edge: only a
        # loss larger than what it could hold counts; samplers and filters count in full.
        dropped = {
            p: inc.get(p, 0.0) - out.get(p, 0.0)
            for p in inc
            if loss.comp_type(p) not in HOLDING_PROCESSORS or inc.get(p, 0.0) - out.get(p, 0.0) > 0.5 * inc[p]
        }
        comp, row.dropped = _top(dropped)
        if comp:
            row.worst["dropped"] = comp
        row.queue_size = sum(now.queue_size.values())
        row.queue_capacity = sum(now.queue_capacity.values())
        rows.append(row)
    rows.sort(key=lambda r: (-r.lost, -r.queue_fill, r.tier, r.instance))
    return rows


def _name(r: Row) -> str:
    return f"{r.instance} ({r.tier})" if r.tier else r.instance


def _named(rows: list[Row], amount: Callable[[Row], float], what: str, key: str) -> tuple[str, list[str]]:
    hit = sorted((r for r in rows if amount(r) > 0), key=lambda r: -amount(r))
    names = [f"{_name(r)} {amount(r):.0f}" + (f" in {r.worst[key]}" if r.worst.get(key) else "") for r in hit]
    more = f" and {len(hit) - MAX_INSTANCES_NAMED} more" if len(hit) > MAX_INSTANCES_NAMED else ""
    tiers = sorted({r.tier for r in hit if r.tier})
    by_tier = f" (tier{'s' if len(tiers) > 1 else ''} {', '.join(tiers)})" if tiers else ""
    listed = "; ".join(names[:MAX_INSTANCES_NAMED])
    msg = f"{len(hit)} of {len(rows)} collector instance(s){by_tier} {what}: {listed}{more}."
    return msg, [f"{_name(r)}: {key} +{amount(r):.0f}" for r in hit[:20]]


def window_findings(rows: list[Row], window: float) -> list[Finding]:
    findings = []
    w = f"in the last {window:g}s"
    for kind, attr, what in (
        (FLEET_REFUSED, "refused", f"refused spans {w}"),
        (FLEET_DROPPED, "dropped", f"dropped spans in a processor {w}"),
        (FLEET_EXPORT_FAILED, "send_failed", f"failed to export spans {w}"),
        (FLEET_QUEUE_FULL, "enqueue_failed", f"dropped spans on a full exporter queue {w}"),
    ):
        if any(getattr(r, attr) > 0 for r in rows):
            msg, ev = _named(rows, lambda r, a=attr: float(getattr(r, a)), what, attr)  # type: ignore[misc]
            findings.append(kind(msg, evidence=ev))
    filling = [r for r in rows if r.queue_fill > 0.8]
    if filling:
        names = ", ".join(f"{_name(r)} {r.queue_fill:.0%}" for r in filling[:MAX_INSTANCES_NAMED])
        findings.append(
            FLEET_QUEUE_FILLING(f"{len(filling)} collector instance(s) have exporter queues over 80%: {names}.")
        )
    return findings


# --- the test span across instances ---------------------------------------------------------------------


class PathStep(TypedDict):
    """An instance the test span went through, as the report's `test_span_path` lists it."""

    instance: str
    tier: str
    accepted: float
    sent: dict[str, float]
    lost: str | None
    """The code of the finding where it was lost there; None when it went on."""


def locate(
    before: Mapping[Instance, Snapshot], after: Mapping[Instance, Snapshot], waited: float
) -> tuple[list[Finding], list[PathStep]]:
    """Which instances took the test span in, and where it was lost; with the path it took, as JSON."""
    findings: list[Finding] = []
    path: list[PathStep] = []
    empty = Snapshot()
    for inst in sorted(after, key=lambda i: (i.tier, i.instance)):
        then = before.get(inst, empty)
        name = f"{inst.tier} {inst.instance}" if inst.tier else inst.instance
        v = loss.verdict(then, after[inst], waited, final=True, comps=loss.Components(name=name))
        if v.accepted <= 0 and v.finding is None:
            continue
        path.append(
            PathStep(
                instance=inst.instance,
                tier=inst.tier,
                accepted=v.accepted,
                sent=v.sent,
                lost=v.finding.code if v.finding else None,
            )
        )
        if v.finding is not None:
            findings.append(v.finding)
    return findings, path


# --- the step check runs --------------------------------------------------------------------------------


@dataclass
class FleetView:
    rows: list[Row]
    findings: list[Finding]
    now: dict[Instance, Snapshot]
    """The instances' counters just before the test span: the baseline to locate it."""
    down: list[Instance]
    elapsed_ms: float
    then: dict[Instance, Snapshot] = field(default_factory=dict)
    """The instances' counters at the window's start."""
    window: float = 300.0
    extra: list[Finding] = field(default_factory=list)
    """Findings about the fleet as a whole (no collectors, instances down)."""
    path: list[PathStep] = field(default_factory=list)
    """The instances the test span went through (filled after the end-to-end probe)."""

    def refresh(self, after: dict[Instance, Snapshot]) -> None:
        """Read the window again up to `after` (the probe's test span included)."""
        self.rows = window_rows(self.then, after)
        self.findings = [*window_findings(self.rows, self.window), *self.extra]

    def report(self, prom: Prometheus, window: float) -> FleetReport:
        """check's `fleet` field: the window's instances worst first, those down, the test span's path."""
        return FleetReport(
            redact.url(prom.url),
            prom.selector or None,
            prom.tier_label,
            window,
            tuple(self.rows),
            tuple(self.down),
            tuple(self.path),
        )


@dataclass(frozen=True, slots=True)
class FleetReport:
    """What check says of a fleet: Prometheus's view of every instance over the window."""

    prometheus_url: str
    selector: str | None
    tier_label: str
    window_s: float
    instances: tuple[Row, ...]
    down: tuple[Instance, ...]
    test_span_path: tuple[PathStep, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "prometheus_url": self.prometheus_url,
            "selector": self.selector,
            "tier_label": self.tier_label,
            "window_s": self.window_s,
            "instances": [r.to_json() for r in self.instances],
            "down": [{"instance": d.instance, "tier": d.tier} for d in self.down],
            "test_span_path": [dict(p) for p in self.test_span_path],
        }


def survey(prom: Prometheus, window: float) -> FleetView:
    """The whole fleet over the window: three bounded queries at once."""
    started = time.time()
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="otdiag-prom") as pool:
        then_f = pool.submit(prom.snapshots, started - window)
        now_f = pool.submit(prom.snapshots, started)
        down_f = pool.submit(prom.down)
        then, now, down = then_f.result(), now_f.result(), down_f.result()
    # Without a selector, `up` holds every target Prometheus scrapes: keep those of the collectors' tiers.
    tiers = {i.tier for i in (*then, *now)}
    down = [d for d in down if prom.selector or d.tier in tiers]
    rows = window_rows(then, now)
    findings: list[Finding] = []
    if not now:
        sel = f" matching {{{prom.selector}}}" if prom.selector else ""
        findings.append(
            FLEET_NO_COLLECTORS(f"Prometheus at {redact.url(prom.url)} holds no otelcol_* span series{sel}.")
        )
    if down:
        names = ", ".join(f"{d.instance} ({d.tier})" if d.tier else d.instance for d in down[:MAX_INSTANCES_NAMED])
        more = f" and {len(down) - MAX_INSTANCES_NAMED} more" if len(down) > MAX_INSTANCES_NAMED else ""
        findings.append(FLEET_DOWN(f"Prometheus cannot scrape {len(down)} instance(s): {names}{more}."))
    elapsed = (time.time() - started) * 1000
    return FleetView(rows, [*window_findings(rows, window), *findings], now, down, elapsed, then, window, findings)
