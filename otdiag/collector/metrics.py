"""The collector's internal metrics (/metrics, Prometheus text format), read for where spans went.

The names moved under otdiag across collector releases, so every sample is first normalised to
one canonical form (see `canonical`), and the rest of otdiag only sees that:

- counters end in `_total` or not, depending on the release and the reader configuration;
- names may be UTF-8 with dots (`otelcol.receiver.accepted.spans`) where a reader escapes nothing;
- scope labels (`otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url`) and resource
  labels (`service_name`, `service_instance_id`, `job`, `instance`) come and go; they split one
  counter into several series, which are summed;
- the component is named by `receiver`/`processor`/`exporter`, or by `otelcol_component_id` where
  the pipeline telemetry (`otelcol.component.*` attributes) is on;
- the signal is `otel_signal`, `data_type` or `otelcol_signal`;
- processors report `otelcol_processor_incoming_items`/`outgoing_items`, and older releases (or
  memory_limiter) `otelcol_processor_accepted|refused|dropped_spans`; the pipeline telemetry adds
  `otelcol_processor_consumed_items`/`produced_items` with an `otelcol.component.outcome`.

A counter that never moved is often absent: absent reads as zero. Which families a scrape held is
kept (`Snapshot.seen`), so a diagnosis can say which signal this collector does not report instead
of blaming a hop it cannot see. See shared/docs/protocols.md D.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from otdiag import redact
from otdiag.net import http
from otdiag.net.transport import Cause, TransportError


@dataclass(frozen=True)
class Snapshot:
    """Sums of the span-flow metrics, keyed by component ID where they carry one."""

    accepted: dict[str, float] = field(default_factory=dict)
    """receiver -> accepted spans."""
    refused: dict[str, float] = field(default_factory=dict)
    failed_receive: dict[str, float] = field(default_factory=dict)
    sent: dict[str, float] = field(default_factory=dict)
    """exporter -> sent spans."""
    send_failed: dict[str, float] = field(default_factory=dict)
    enqueue_failed: dict[str, float] = field(default_factory=dict)
    queue_size: dict[str, float] = field(default_factory=dict)
    queue_capacity: dict[str, float] = field(default_factory=dict)
    incoming: dict[str, float] = field(default_factory=dict)
    """processor -> incoming items (traces signal)."""
    outgoing: dict[str, float] = field(default_factory=dict)
    tail_sampling_traces: dict[str, float] = field(default_factory=dict)
    """"" -> traces tail_sampling has taken in (it does not report incoming/outgoing items)."""
    sampled_out: dict[str, float] = field(default_factory=dict)
    """sampler -> traces it decided not to keep (probabilistic_sampler's own counter, in every release)."""
    policy_dropped: dict[str, float] = field(default_factory=dict)
    """tail_sampling policy -> traces it decided not to sample (`count_traces_sampled`, `sampled="false"` or
    `decision="not_sampled"`/`"dropped"`); the key GLOBAL holds the processor's final decisions."""
    policy_kept: dict[str, float] = field(default_factory=dict)
    """tail_sampling policy -> traces it decided to sample; GLOBAL: the final decisions."""
    batch_sent: dict[str, float] = field(default_factory=dict)
    """batcher -> items it handed on (`otelcol_processor_batch_batch_send_size_sum`, or the exporter-side
    batcher's): a batch processor that holds the span moves nothing here."""
    seen: frozenset[str] = frozenset()
    """The canonical metric families this scrape held (`SIGNALS` names what each one tells)."""
    build: dict[str, str] = field(default_factory=dict)
    """What the collector says about itself (`service_name`, `service_version`), when it says it."""
    jaeger: bool = False
    """The page holds Jaeger's own jaeger_* metrics (Jaeger v1's admin port, 14269) and no otelcol_* ones."""

    @property
    def exporters(self) -> list[str]:
        return sorted(
            set(self.sent)
            | set(self.send_failed)
            | set(self.queue_size)
            | set(self.queue_capacity)
            | set(self.enqueue_failed)
        )

    def has_series(self, attr: str, component: str) -> bool:
        """Whether this scrape held a series of `attr` for that component at all (v0.111 creates an
        exporter's sent/failed series only at its first send: absent then means "never sent")."""
        values: dict[str, float] = getattr(self, attr)
        return component in values

    def missing_for_diagnosis(self) -> list[str]:
        """The span-flow signals this collector does not report, that telling where a span went needs."""
        out = [
            f"{SIGNALS[f]} ({f})"
            for f in ("otelcol_receiver_accepted_spans", "otelcol_exporter_sent_spans")
            if f not in self.seen
            and not (f.startswith("otelcol_receiver") and "otelcol_receiver_produced_items" in self.seen)
            # v0.111 creates the sent series at an exporter's first send: its queue gauges say it reports.
            and not (f.startswith("otelcol_exporter") and self.queue_capacity)
        ]
        if not any(f in self.seen for f in PROCESSOR_FLOW):
            out.append(f"{SIGNALS['otelcol_processor_incoming_items']} ({' or '.join(PROCESSOR_FLOW)})")
        return out

    @property
    def version(self) -> str | None:
        """The collector's release (e.g. "0.124.0") from its build info, when the metrics carry it.

        None for Jaeger v2 (service_name "jaeger"): its "v2.13.0" is Jaeger's release, not a collector's.
        """
        if self.build.get("service_name", "").strip().lower() == "jaeger":
            return None
        v = self.build.get("service_version", "").strip().removeprefix("v")
        return v if re.fullmatch(r"\d+\.\d+\.\d+", v) else None


# Canonical family -> (Snapshot field, the label naming the component).
SPAN_METRICS: dict[str, tuple[str, str]] = {
    "otelcol_receiver_accepted_spans": ("accepted", "receiver"),
    "otelcol_receiver_refused_spans": ("refused", "receiver"),
    "otelcol_receiver_failed_spans": ("failed_receive", "receiver"),
    "otelcol_exporter_sent_spans": ("sent", "exporter"),
    "otelcol_exporter_send_failed_spans": ("send_failed", "exporter"),
    "otelcol_exporter_enqueue_failed_spans": ("enqueue_failed", "exporter"),
    "otelcol_processor_incoming_items": ("incoming", "processor"),
    "otelcol_processor_outgoing_items": ("outgoing", "processor"),
}
# Older processor counters (and memory_limiter's): spans passed on, refused back, or dropped.
_PROCESSOR_SPANS = {
    "otelcol_processor_accepted_spans": "accepted",
    "otelcol_processor_refused_spans": "refused",
    "otelcol_processor_dropped_spans": "dropped",
    # memory_limiter's own names since they left processorhelper (the `memory_limiter` infix).
    "otelcol_processor_memory_limiter_accepted_spans": "accepted",
    "otelcol_processor_memory_limiter_refused_spans": "refused",
    "otelcol_processor_memory_limiter_dropped_spans": "dropped",
}
# Pipeline telemetry (otelcol.component.outcome): items each component consumed and produced.
# With it on (v0.155-v0.161) the classic counters disappear and the component ID label is missing.
_PIPELINE_ITEMS = {
    "otelcol_processor_consumed_items": "incoming",
    "otelcol_processor_produced_items": "outgoing",
    "otelcol_receiver_produced_items": "receiver",
    "otelcol_exporter_consumed_items": "exporter",
}

SIGNALS = {
    "otelcol_receiver_accepted_spans": "spans each receiver accepted",
    "otelcol_receiver_refused_spans": "spans each receiver refused",
    "otelcol_exporter_sent_spans": "spans each exporter sent",
    "otelcol_exporter_send_failed_spans": "spans each exporter failed to send",
    "otelcol_exporter_enqueue_failed_spans": "spans dropped on a full sending queue",
    "otelcol_exporter_queue_size": "each exporter's queue length",
    "otelcol_processor_incoming_items": "items into and out of each processor",
    "otelcol_processor_tail_sampling_new_trace_id_received": "traces tail_sampling took in",
}
"""What each canonical family tells, for a finding that has to say which one is missing."""

PROCESSOR_FLOW = (
    "otelcol_processor_incoming_items",
    "otelcol_processor_consumed_items",
    "otelcol_processor_accepted_spans",
    "otelcol_processor_memory_limiter_accepted_spans",
)
"""Any of these tells how many items went into and out of each processor."""

UNNAMED = "(processors: the pipeline telemetry names none)"
"""The processor key for pipeline-telemetry items that carry no component ID."""

GLOBAL = ""
"""The `policy_dropped`/`policy_kept` key of tail_sampling's final decision (its global counter)."""

_NOT_KEPT = frozenset({"false", "not_sampled", "dropped", "inverted_not_sampled"})
_KEPT = frozenset({"true", "sampled", "inverted_sampled"})
"""The processor key for pipeline-telemetry items that carry no component ID."""

_COMPONENT_LABELS = ("otelcol_component_id", "otelcol.component.id")
_SIGNAL_LABELS = ("otel_signal", "otelcol_signal", "otelcol.signal", "data_type")
_OUTCOME_LABELS = ("otelcol_component_outcome", "otelcol.component.outcome", "outcome")


def canonical(name: str) -> str:
    """One name for a family whatever the release: dots to underscores, no `_total`."""
    name = name.replace(".", "_")
    return name.removesuffix("_total")


def _label(labels: dict[str, str], own: str, fallbacks: tuple[str, ...]) -> str | None:
    if own in labels:
        return labels[own]
    for key in fallbacks:
        if key in labels:
            return labels[key]
    return None


def _traces(labels: dict[str, str]) -> bool:
    signal = _label(labels, "otel_signal", _SIGNAL_LABELS)
    return signal is None or signal in ("traces", "trace", "spans")


def parse(text: str) -> Snapshot:
    """Read the span-flow metrics out of a Prometheus exposition; raises ValueError on junk."""
    from prometheus_client.parser import text_string_to_metric_families

    r = _Reading()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            r.add(canonical(sample.name), dict(sample.labels), sample.value)
    _fill_processor_flow(r.sums, r.legacy, r.pipeline)
    return Snapshot(
        **{k: dict(v) for k, v in r.sums.items()}, seen=frozenset(r.seen), build=r.build, jaeger=r.jaeger and not r.seen
    )


_TAIL_DECISIONS = {
    "otelcol_processor_tail_sampling_count_traces_sampled": False,
    "otelcol_processor_tail_sampling_global_count_traces_sampled": True,
}
"""tail_sampling's decision counters -> whether it is the final (global) one."""

_QUEUE_GAUGES = {"otelcol_exporter_queue_size": "queue_size", "otelcol_exporter_queue_capacity": "queue_capacity"}


def _sums() -> dict[str, dict[str, float]]:
    return defaultdict(lambda: defaultdict(float))


@dataclass
class _Reading:
    """An exposition read sample by sample: per family and component, the sums so far."""

    sums: dict[str, dict[str, float]] = field(default_factory=_sums)
    legacy: dict[str, dict[str, float]] = field(default_factory=_sums)
    """The classic per-processor span counters (accepted, refused, dropped)."""
    pipeline: dict[str, dict[str, float]] = field(default_factory=_sums)
    """Pipeline telemetry's items (otelcol.component.outcome)."""
    seen: set[str] = field(default_factory=set)
    build: dict[str, str] = field(default_factory=dict)
    jaeger: bool = False

    def add(self, name: str, labels: dict[str, str], value: float) -> None:
        self.jaeger = self.jaeger or name.startswith("jaeger_")
        if name.startswith("otelcol_"):
            self.seen.add(name)
            for key in ("service_name", "service_version"):
                if key in labels:
                    self.build.setdefault(key, labels[key])
        elif name == "target_info":
            self.build.update((key, labels[key]) for key in ("service_name", "service_version") if key in labels)
            return
        if name in SPAN_METRICS:
            attr, label = SPAN_METRICS[name]
            if _traces(labels):
                self.sums[attr][_label(labels, label, _COMPONENT_LABELS) or ""] += value
        elif name in _PROCESSOR_SPANS:
            proc = _label(labels, "processor", _COMPONENT_LABELS) or ""
            self.legacy[_PROCESSOR_SPANS[name]][proc] += value
        elif name in _PIPELINE_ITEMS:
            self._pipeline_items(name, labels, value)
        elif name == "otelcol_processor_probabilistic_sampler_count_traces_sampled":
            if labels.get("sampled") == "false":
                self.sums["sampled_out"][labels.get("processor", "probabilistic_sampler")] += value
        elif name in _TAIL_DECISIONS:
            self._tail_decision(name, labels, value)
        elif "_batch_" in name:
            self._batcher(name, labels, value)
        elif name == "otelcol_processor_tail_sampling_new_trace_id_received":
            self.sums["tail_sampling_traces"][labels.get("processor", "tail_sampling")] += value
        elif name in _QUEUE_GAUGES and labels.get("data_type", "traces") == "traces":
            self.sums[_QUEUE_GAUGES[name]][_label(labels, "exporter", _COMPONENT_LABELS) or ""] += value

    def _batcher(self, name: str, labels: dict[str, str], value: float) -> None:
        """Items a batcher handed on (its batch_send_size histogram's sum); any of batch's own series
        (metadata_cardinality exists from its start) says it exists, before its first batch too."""
        if name.endswith("_batch_send_size_sum") and name.startswith(("otelcol_processor_", "otelcol_exporter_")):
            who = _label(labels, "processor", ("exporter", *_COMPONENT_LABELS)) or name.split("_")[2]
            self.sums["batch_sent"][who] += value
        elif name.startswith("otelcol_processor_batch_") and "processor" in labels:
            self.sums["batch_sent"][labels["processor"]] += 0.0

    def _tail_decision(self, name: str, labels: dict[str, str], value: float) -> None:
        """tail_sampling's decisions: per policy, and its final one (the `global_` counter)."""
        said = labels.get("decision", labels.get("sampled", "")).lower()
        key = GLOBAL if _TAIL_DECISIONS[name] else labels.get("policy", "") or "?"
        if said in _NOT_KEPT:
            self.sums["policy_dropped"][key] += value
        elif said in _KEPT:
            self.sums["policy_kept"][key] += value

    def _pipeline_items(self, name: str, labels: dict[str, str], value: float) -> None:
        if not _traces(labels):
            return
        comp = _label(labels, "otelcol_component_id", ("processor", "receiver")) or ""
        outcome = _label(labels, "otelcol_component_outcome", _OUTCOME_LABELS)
        if outcome is not None:
            self.seen.add(f"{name}{{outcome}}")
        if _PIPELINE_ITEMS[name] == "receiver":
            # Items a receiver handed on: accepted when the pipeline took them, else refused.
            self.pipeline["refused" if outcome in ("refused", "failure") else "accepted"][comp] += value
        elif _PIPELINE_ITEMS[name] == "exporter":
            exporter = _label(labels, "otelcol_component_id", ("exporter",)) or ""
            self.pipeline["send_failed" if outcome in ("refused", "failure") else "sent"][exporter] += value
        else:
            self.pipeline[_PIPELINE_ITEMS[name]][comp] += value


def _fill_processor_flow(
    sums: dict[str, dict[str, float]], legacy: dict[str, dict[str, float]], pipeline: dict[str, dict[str, float]]
) -> None:
    """Items into and out of each processor (and a receiver's accepted and refused spans, when the
    classic counters are gone), from whichever family this release reports."""
    for attr in ("accepted", "refused", "sent", "send_failed"):
        if not sums[attr] and pipeline[attr]:
            sums[attr].update(pipeline[attr])
    if not sums["incoming"]:
        # Only where no per-processor family exists: these carry no component ID (v0.155-v0.161).
        for proc in set(pipeline["incoming"]) | set(pipeline["outgoing"]):
            key = proc or UNNAMED
            sums["incoming"][key] = pipeline["incoming"].get(proc, 0.0)
            sums["outgoing"][key] = pipeline["outgoing"].get(proc, 0.0)
    for proc in set(legacy["accepted"]) | set(legacy["refused"]) | set(legacy["dropped"]):
        if proc not in sums["incoming"]:
            accepted = legacy["accepted"].get(proc, 0.0)
            sums["incoming"][proc] = accepted + legacy["refused"].get(proc, 0.0) + legacy["dropped"].get(proc, 0.0)
            sums["outgoing"][proc] = accepted


def scrape(url: str, *, timeout: float, tls: http.TlsOptions | None = None) -> Snapshot:
    """GET the metrics page; TransportError when it does not answer or is not Prometheus text."""
    resp = http.request("GET", url, timeout=timeout, tls=tls, max_bytes=32 * 1024 * 1024)
    if resp.status != 200:
        raise TransportError(Cause.PROTOCOL, f"HTTP {resp.status} from the metrics endpoint{_why(resp.body)}")
    try:
        return parse(resp.body.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise TransportError(Cause.PROTOCOL, f"not Prometheus metrics ({exc})") from None


def _why(body: bytes) -> str:
    """The reason a failing metrics page gives, in one printable line.

    The collector's Prometheus handler answers 500 with its collection errors, e.g. with the
    pipeline telemetry gate on v0.155.0: 'collected metric "otelcol.processor.consumed.items" ...
    was collected before with the same name and label values'."""
    lines = [ln.strip(" *") for ln in body.decode("utf-8", "replace").splitlines() if ln.strip()]
    detail = next((ln for ln in lines if ln.startswith("collected metric")), lines[0] if lines else "")
    opened, closed = detail.find("{"), detail.rfind("}")
    if 0 <= opened < closed:  # the label set, from the first { to the last } (a scan, not a backtracking regex)
        detail = detail[:opened] + "{...}" + detail[closed + 1 :]
    detail = redact.clean(detail, 200)
    return f": {detail}" if detail else ""


@dataclass(frozen=True)
class Delta:
    """What moved between two snapshots."""

    before: Snapshot
    after: Snapshot

    def _d(self, attr: str) -> dict[str, float]:
        a: dict[str, float] = getattr(self.after, attr)
        b: dict[str, float] = getattr(self.before, attr)
        return {k: a.get(k, 0.0) - b.get(k, 0.0) for k in set(a) | set(b) if a.get(k, 0.0) != b.get(k, 0.0)}

    @property
    def accepted(self) -> float:
        return sum(self._d("accepted").values())

    @property
    def refused(self) -> float:
        return sum(self._d("refused").values())

    @property
    def sent(self) -> dict[str, float]:
        return self._d("sent")

    @property
    def send_failed(self) -> dict[str, float]:
        return self._d("send_failed")

    @property
    def enqueue_failed(self) -> dict[str, float]:
        return self._d("enqueue_failed")

    @property
    def incoming(self) -> dict[str, float]:
        return self._d("incoming")

    @property
    def outgoing(self) -> dict[str, float]:
        return self._d("outgoing")

    @property
    def sampled_out(self) -> dict[str, float]:
        return self._d("sampled_out")

    @property
    def tail_sampling_traces(self) -> float:
        return sum(self._d("tail_sampling_traces").values())
