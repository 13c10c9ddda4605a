"""Where one test span went inside one collector, read per component from its metric deltas.

Pure functions over `collector.metrics.Snapshot`s: no I/O, so every rule is unit-tested over
constructed deltas (tests/test_loss.py) as well as through real collectors.

Per component means: the receiver that refused it, the processor that took it in and did not let it
out (dropped, or still holding it: batch's `timeout`, tail_sampling's `decision_wait`,
groupbytrace's `wait_duration`), the exporter that failed, queued or sent it, and whether the
exporters that sent it can reach a trace backend at all (`debug`, `file`, `nop` cannot).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from otdiag import catalogue as c
from otdiag.collector.components import HOLDING_PROCESSORS as HOLDING_DEFAULTS
from otdiag.collector.components import SINK_EXPORTERS
from otdiag.model import Finding

if TYPE_CHECKING:  # only annotations here: validate-config imports this module's kinds, not the HTTP stack
    from otdiag.collector.metrics import Snapshot

GLOBAL = ""
"""tail_sampling's final decision in Snapshot.policy_dropped/policy_kept (see collector.metrics.GLOBAL)."""

GRACE = 1.0
"""How long past its configured wait a holding processor may take before the span counts as dropped."""

NO_BACKEND = c.COLLECTOR_NO_BACKEND
PROCESSOR_HOLDS = c.COLLECTOR_PROCESSOR_HOLDS
HOP_LOST = c.COLLECTOR_HOP_LOST
CONFIG_NO_BACKEND = c.CONFIG_NO_BACKEND


def comp_type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


@dataclass(frozen=True)
class Components:
    """What the collector's config says about its components (empty without --config)."""

    waits: Mapping[str, float] = field(default_factory=dict)
    """processor ID -> its configured holding time in seconds (batch, tail_sampling, groupbytrace)."""
    exporter_types: Mapping[str, str] = field(default_factory=dict)
    """exporter ID -> type, for every exporter of a traces pipeline."""
    name: str = ""
    """The tier's name in a multi-collector check ("" for a lone collector)."""

    def wait_of(self, processor: str) -> tuple[str, float] | None:
        """(setting, seconds) a processor holds spans for; None for one that does not hold."""
        default = HOLDING_DEFAULTS.get(comp_type(processor))
        if default is None:
            return None
        return default[0], self.waits.get(processor, default[1])

    def type_of(self, exporter: str) -> str:
        return self.exporter_types.get(exporter) or comp_type(exporter)

    def prefix(self) -> str:
        return f"{self.name}: " if self.name else ""


def diff(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """Per component, what moved (counters reset by a restart read as their new value)."""
    out: dict[str, float] = {}
    for k in set(before) | set(after):
        a, b = after.get(k, 0.0), before.get(k, 0.0)
        d = a - b if a >= b else a
        if d:
            out[k] = d
    return out


@dataclass(frozen=True)
class Verdict:
    """One collector's part in the test span's journey."""

    finding: Finding | None = None
    """Where it was lost (or is held) inside this collector; None when not (or not yet) known."""
    accepted: float = 0.0
    sent: dict[str, float] = field(default_factory=dict)
    """Exporters that sent spans meanwhile (network exporters only)."""
    sunk: dict[str, float] = field(default_factory=dict)
    """Sink exporters (debug, file, nop) that took spans meanwhile."""
    pending: bool = False
    """Still inside (a holding processor, or an exporter's queue) and not yet overdue."""


def _due(waited: float, wait: float) -> str:
    left = wait - waited
    return f"due in about {left:.0f}s" if left >= 1 else "due now"


def verdict(
    before: Snapshot,
    after: Snapshot,
    waited: float,
    *,
    final: bool,
    comps: Components | None = None,
) -> Verdict:
    """Read one collector's deltas since the test span was sent; `waited` seconds have passed since."""
    comps = comps or Components()
    sent_all = diff(before.sent, after.sent)
    r = _Reading(
        before,
        after,
        waited,
        final,
        comps,
        accepted=sum(diff(before.accepted, after.accepted).values()),
        sent={e: v for e, v in sent_all.items() if v > 0 and comps.type_of(e) not in SINK_EXPORTERS},
        sunk={e: v for e, v in sent_all.items() if v > 0 and comps.type_of(e) in SINK_EXPORTERS},
    )
    # Along the collector's pipeline: receiver, processors, exporters; the first rule that knows wins.
    for rule in _RULES:
        v = rule(r)
        if v is not None:
            return v
    return r.done(r.late)


@dataclass
class _Reading:
    """One collector's counters before and after the test span, and what the rules read so far."""

    before: Snapshot
    after: Snapshot
    waited: float
    final: bool
    comps: Components
    accepted: float
    sent: dict[str, float]
    sunk: dict[str, float]
    late: Finding | None = None
    """A holding processor past its wait: reported unless an exporter explains the stall (it blocks batch)."""

    @property
    def pre(self) -> str:
        return self.comps.prefix()

    def moved(self, attr: str) -> dict[str, float]:
        return diff(getattr(self.before, attr, {}), getattr(self.after, attr, {}))

    def done(self, f: Finding | None, *, pending: bool = False) -> Verdict:
        if f is not None and self.comps.name:
            f = replace(f, tier=self.comps.name)
        return Verdict(f, self.accepted, self.sent, self.sunk, pending)


def _refused(r: _Reading) -> Verdict | None:
    refused = r.moved("refused")
    total = sum(v for v in refused.values() if v > 0)
    if total <= 0:
        return None
    by = ", ".join(f"{rc} +{v:.0f}" for rc, v in sorted(refused.items()) if v > 0)
    return r.done(
        c.COLLECTOR_REFUSING(
            f"{r.pre}The collector refused the test span ({total:.0f} span(s) refused while it was sent):"
            " its memory_limiter is refusing data.",
            target=next(iter(sorted(refused))) or None,
            evidence=[f"otelcol_receiver_refused_spans {by}"],
        )
    )


def _processors(r: _Reading) -> Verdict | None:
    """A processor that took the span in and did not let it out: holding it (within its wait) or dropped it."""
    incoming, outgoing = r.moved("incoming"), r.moved("outgoing")
    for proc, inc in sorted(incoming.items()):
        out = outgoing.get(proc, 0.0)
        if inc <= 0 or out >= inc:
            continue
        ev = [f"otelcol_processor_incoming_items{{processor={proc}}} +{inc:.0f}, outgoing +{out:.0f}"]
        holds = r.comps.wait_of(proc)
        if holds is not None:
            setting, wait = holds
            if r.waited < wait + GRACE:
                if not r.final:
                    return r.done(None, pending=True)
                return r.done(_held(r.pre, proc, setting, wait, r.waited, ev))
            if comp_type(proc) != "tail_sampling":
                r.late = r.late or _held(r.pre, proc, setting, wait, r.waited, ev)
                continue
            # tail_sampling past decision_wait: its policies decided, and did not keep the trace.
        if r.waited >= 1.0 or r.final or holds is not None:
            msg = f"{r.pre}Processor {proc} dropped the test span ({inc:.0f} in, {out:.0f} out)."
            return r.done(c.COLLECTOR_DROPPED(msg, target=proc, evidence=ev))
        return r.done(None, pending=True)
    return None


def _tail_sampling_decided(r: _Reading) -> Verdict | None:
    """tail_sampling's own decision counters say its policies did not sample the test trace: a drop by
    those policies, known the moment it is decided (no need to wait out decision_wait)."""
    dropped = {p: v for p, v in r.moved("policy_dropped").items() if v > 0}
    kept = {p: v for p, v in r.moved("policy_kept").items() if v > 0}
    if not dropped or r.sent or r.sunk:
        return None
    if GLOBAL in kept or (GLOBAL not in dropped and kept):
        return None  # the final decision (or another policy) kept a trace meanwhile
    policies = sorted(p for p in dropped if p != GLOBAL)
    proc = next((p for p in r.comps.waits if comp_type(p) == "tail_sampling"), "tail_sampling")
    named = ", ".join(policies)
    ev = [
        f"otelcol_processor_tail_sampling_count_traces_sampled{{policy={p}, not sampled}} +{dropped[p]:.0f}"
        for p in policies
    ]
    if GLOBAL in dropped:
        ev.append(f"otelcol_processor_tail_sampling_global_count_traces_sampled{{not sampled}} +{dropped[GLOBAL]:.0f}")
    which = f"its policy {named} decided" if len(policies) == 1 else f"its policies ({named}) decided"
    return r.done(
        c.COLLECTOR_DROPPED(
            f"{r.pre}Processor {proc} dropped the test trace: {which} not to sample it"
            f" ({r.waited:.1f}s after it was sent).",
            target=proc,
            evidence=ev,
            hint=f"Change the tail_sampling policies so one keeps these traces ({named or 'none'} decided"
            " not_sampled), or add an always_sample policy for the service while you debug.",
        )
    )


def _sampled_out(r: _Reading) -> Verdict | None:
    """probabilistic_sampler's own sampled=false counter: it names the sampler on releases that count no
    per-processor items (the versions work adds `sampled_out` to Snapshot)."""
    for proc, n in sorted(r.moved("sampled_out").items()):
        if n > 0 and not r.sent and not r.sunk and (r.waited >= 1.0 or r.final):
            ev = [f"otelcol_processor_probabilistic_sampler_count_traces_sampled{{sampled=false}} +{n:.0f}"]
            msg = f"{r.pre}Processor {proc} sampled the test trace out."
            return r.done(c.COLLECTOR_DROPPED(msg, target=proc, evidence=ev))
    return None


def _tail_sampling_counter(r: _Reading) -> Verdict | None:
    """Releases that report no incoming/outgoing items for tail_sampling: only its own counter moved."""
    ts = sum(r.moved("tail_sampling_traces").values())
    if ts <= 0 or r.sent or r.sunk:
        return None
    proc = next((p for p in r.comps.waits if comp_type(p) == "tail_sampling"), "tail_sampling")
    setting, wait = r.comps.wait_of(proc) or ("decision_wait", 30.0)
    if r.waited < wait + GRACE and not r.final:
        return r.done(None, pending=True)
    ev = [f"otelcol_processor_tail_sampling_new_trace_id_received +{ts:.0f}"]
    return r.done(_held(r.pre, proc, setting, wait, r.waited, ev))


def _send_failed(r: _Reading) -> Verdict | None:
    failed = {e: v for e, v in r.moved("send_failed").items() if v > 0}
    if not failed:
        return None
    e, v = sorted(failed.items())[0]
    return r.done(
        c.EXPORT_FAILED(
            f"{r.pre}Exporter {e} failed to send {v:.0f} span(s) while the test span passed.",
            target=e,
            evidence=[f"otelcol_exporter_send_failed_spans{{exporter={e}}} +{v:.0f}"],
        )
    )


def _queue_full(r: _Reading) -> Verdict | None:
    full = {e: v for e, v in r.moved("enqueue_failed").items() if v > 0}
    if not full:
        return None
    e, v = sorted(full.items())[0]
    return r.done(
        c.EXPORT_QUEUE_FULL(
            f"{r.pre}Exporter {e}'s queue is full: {v:.0f} span(s) dropped while the test span passed.",
            target=e,
            evidence=[f"otelcol_exporter_enqueue_failed_spans{{exporter={e}}} +{v:.0f}"],
        )
    )


def _stuck(r: _Reading) -> Verdict | None:
    """A network exporter holding requests queued while nothing was sent."""
    queue = r.after.queue_size
    stuck = sorted(
        e for e, q in queue.items() if q > 0 and e not in r.sent and r.comps.type_of(e) not in SINK_EXPORTERS
    )
    if not stuck or r.sent:
        return None
    e = stuck[0]
    if r.waited < 3.0 and not r.final:
        return r.done(None, pending=True)
    return r.done(
        c.EXPORT_STUCK(
            f"{r.pre}Exporter {e} holds {queue[e]:.0f} request(s) queued and has sent nothing in {r.waited:.1f}s.",
            target=e,
            evidence=[
                f"otelcol_exporter_queue_size{{exporter={e}}} = {queue[e]:.0f}",
                f"otelcol_exporter_sent_spans{{exporter={e}}} +0",
            ],
        )
    )


def _network_exporters(r: _Reading) -> list[str]:
    """The exporters this collector is known to have (its metrics, or --config) that send on over the network."""
    known = set(r.after.exporters) | set(r.comps.exporter_types)
    return sorted(e for e in known if e and r.comps.type_of(e) not in SINK_EXPORTERS)


def _left_processors(r: _Reading) -> str | None:
    """Evidence that the test span got through the processors to the exporters; None when nothing says so."""
    batched = {b: v for b, v in r.moved("batch_sent").items() if v > 0}
    if batched:
        b, v = sorted(batched.items())[0]
        return f"batch_send_size_sum{{{b}}} +{v:.0f}: {b} handed the span on"
    if r.after.batch_sent:
        return None  # a batcher (which counts no items in or out) has not handed it on
    incoming, outgoing = r.moved("incoming"), r.moved("outgoing")
    if incoming and all(outgoing.get(p, 0.0) >= v for p, v in incoming.items() if v > 0):
        return "otelcol_processor_outgoing_items: every processor let it out"
    return None


def _never_sent(r: _Reading) -> Verdict | None:
    """The span left the processors, and no exporter has sent anything since: the exporter holds it.

    Older collectors (v0.111) create an exporter's sent and failed series only at its first send, and
    count a request being retried outside the queue: an exporter with a queue, an empty queue and no
    sent or failed series at all has never delivered a span."""
    if r.accepted <= 0 or r.sent or r.sunk:
        return None
    left = _left_processors(r)
    exporters = _network_exporters(r)
    if left is None or not exporters:
        return None
    if r.waited < 3.0 and not r.final:
        return r.done(None, pending=True)
    after = r.after
    never = [e for e in exporters if not after.has_series("sent", e) and not after.has_series("send_failed", e)]
    e = (never or exporters)[0]
    ev = [left]
    if e in after.queue_size or e in after.queue_capacity:
        cap = after.queue_capacity.get(e)
        ev.append(
            f"otelcol_exporter_queue_size{{exporter={e}}} = {after.queue_size.get(e, 0.0):.0f}"
            + (f" of {cap:.0f}" if cap is not None else "")
        )
    ev.append(
        f"no otelcol_exporter_sent_spans or send_failed_spans series for {e}: it has never sent"
        if e in never
        else f"otelcol_exporter_sent_spans{{exporter={e}}} +0"
    )
    return r.done(
        c.EXPORT_STUCK(
            f"{r.pre}Exporter {e} took the test span from the processors and has sent nothing in {r.waited:.1f}s"
            " (it is retrying, or waiting on its destination).",
            target=e,
            evidence=ev,
        )
    )


def _batch_holds(r: _Reading) -> Verdict | None:
    """Without --config: a batch processor that has handed on no batch since the span came in, while its
    exporters' queues are empty and nothing was sent, holds the span (its timeout is longer than it waited)."""
    if r.accepted <= 0 or r.sent or r.sunk or r.late is not None:
        return None
    batchers = sorted(b for b in set(r.before.batch_sent) | set(r.after.batch_sent) if comp_type(b) == "batch")
    batchers = [b for b in batchers if r.moved("batch_sent").get(b, 0.0) <= 0]
    queued = sum(r.after.queue_size.values())
    exporters = _network_exporters(r)
    # An exporter with a sending queue takes a batch at once: only then is a batch that did not move held,
    # not blocked behind an exporter that retries without a queue.
    queues = bool(exporters) and all(e in r.after.queue_capacity or e in r.after.queue_size for e in exporters)
    if not batchers or queued > 0 or not queues or any(b in r.comps.waits for b in batchers):
        return None
    if _items_unseen(r.after.version):
        # This release counts no items per processor: a filter before the batch processor may have dropped
        # the span, and the batch would look the same. Say what is missing instead (e2e.not-visible).
        return None
    if not r.final:
        # Its timeout is unknown without --config: a batch of 5 s is slow, not lost; wait for the span.
        return r.done(None, pending=True)
    b = batchers[0]
    ev = [
        f"otelcol_receiver_accepted_spans +{r.accepted:.0f}",
        f"otelcol_processor_batch_batch_send_size_sum{{processor={b}}} +0",
        "otelcol_exporter_queue_size = 0, otelcol_exporter_sent_spans +0",
    ]
    return r.done(
        PROCESSOR_HOLDS(
            f"{r.pre}Processor {b} took the test span and has handed on no batch in {r.waited:.1f}s: its timeout"
            " is longer than that (pass --config to read it; the default is 200ms).",
            target=b,
            evidence=ev,
        )
    )


ITEMS_PER_PROCESSOR = (0, 120, 0)
"""The first release otdiag takes to count items per processor for filter-like processors: v0.111 does not
(tests/test_check.py, on the real binary); releases from v0.120 on do."""


def _items_unseen(version: str | None) -> bool:
    if version is None:
        return False
    try:
        parts = tuple(int(x) for x in version.split(".")[:3])
    except ValueError:
        return False
    return parts < ITEMS_PER_PROCESSOR


def _sunk_only(r: _Reading) -> Verdict | None:
    """The span left only through exporters that never reach a trace backend (debug, file, nop)."""
    if not r.sunk or r.sent:
        return None
    comps, sunk = r.comps, r.sunk
    known = set(r.after.exporters) | set(comps.exporter_types)
    network = sorted(e for e in known if comps.type_of(e) not in SINK_EXPORTERS)
    if network and r.waited < 3.0 and not r.final:
        return r.done(None, pending=True)
    what = "; ".join(f"{e} {SINK_EXPORTERS[comps.type_of(e)]} (+{v:.0f})" for e, v in sorted(sunk.items()))
    extra = f" {', '.join(network)} sent nothing." if network else " The pipeline never exports to Jaeger."
    return r.done(
        NO_BACKEND(
            f"{r.pre}The collector took the test span, but it left only through {', '.join(sorted(sunk))}:"
            f" {what}.{extra}",
            target=sorted(sunk)[0],
            evidence=[f"otelcol_exporter_sent_spans{{exporter={e}}} +{v:.0f}" for e, v in sorted(sunk.items())],
        )
    )


def _held_silently(r: _Reading) -> Verdict | None:
    """Batch and tail_sampling report no incoming/outgoing items (v0.155): the span went in and nothing
    came out. A configured holding processor whose wait is not over explains it."""
    if r.late is not None or r.accepted <= 0 or r.sent or r.sunk:
        return None
    holding = [(w, p) for p, w in r.comps.waits.items() if comp_type(p) in HOLDING_DEFAULTS and r.waited < w + GRACE]
    if not holding:
        return None
    wait, proc = max(holding)
    if not r.final:
        return r.done(None, pending=True)
    setting = HOLDING_DEFAULTS[comp_type(proc)][0]
    ev = [f"otelcol_receiver_accepted_spans +{r.accepted:.0f}", "otelcol_exporter_sent_spans +0"]
    return r.done(_held(r.pre, proc, setting, wait, r.waited, ev))


_RULES: tuple[Callable[[_Reading], Verdict | None], ...] = (
    _refused,
    _tail_sampling_decided,
    _processors,
    _sampled_out,
    _tail_sampling_counter,
    _send_failed,
    _queue_full,
    _stuck,
    _sunk_only,
    _held_silently,
    _batch_holds,
    _never_sent,
)


def _held(pre: str, proc: str, setting: str, wait: float, waited: float, ev: list[str]) -> Finding:
    ts = comp_type(proc) == "tail_sampling"
    kind = c.COLLECTOR_TAIL_SAMPLING if ts else PROCESSOR_HOLDS
    again = f"otdiag check --wait {math.ceil(wait + GRACE + 5)}s"
    if waited < wait + GRACE:
        msg = (
            f"{pre}Processor {proc} holds the test span: its {setting} is {wait:g}s and {waited:.1f}s have passed"
            f" ({_due(waited, wait)})."
        )
    else:
        msg = f"{pre}Processor {proc} took the test span and has not let it out {waited:.1f}s later"
        msg += f" ({setting} {wait:g}s)."
    hint = (
        f"Search after its {setting} ({again}), and check its policies keep your traces."
        if ts
        else f"Search after its {setting} ({again}), or shorten it."
    )
    return kind(msg, target=proc, evidence=ev, hint=hint)


def lone_collector(
    before: Snapshot, after: Snapshot, waited: float, *, final: bool, comps: Components | None = None
) -> Finding | None:
    """check's single-collector reading: where the span went, or None while it is still on its way."""
    v = verdict(before, after, waited, final=final, comps=comps)
    if v.finding is not None:
        return v.finding
    if final and v.accepted > 0 and v.sent:
        sent = ", ".join(f"{e} +{x:.0f}" for e, x in sorted(v.sent.items()))
        return c.JAEGER_NOT_STORED(
            f"The collector accepted and exported the test span ({sent}), but Jaeger does not show it.",
            evidence=[f"otelcol_exporter_sent_spans: {sent}"],
        )
    return None
