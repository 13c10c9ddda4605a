"""The collector's internal metrics (/metrics, Prometheus text format), read for where spans went.

Names changed across collector versions (a `_total` suffix on counters when
readers are customised, and not otherwise), so both forms are accepted. A
counter that never moved is often absent: absent reads as zero.
See shared/docs/protocols.md D.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from otdiag import http
from otdiag.transport import Cause, TransportError


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

    @property
    def exporters(self) -> list[str]:
        return sorted(set(self.sent) | set(self.send_failed) | set(self.queue_size) | set(self.enqueue_failed))


_SPAN_METRICS = {
    "otelcol_receiver_accepted_spans": ("accepted", "receiver"),
    "otelcol_receiver_refused_spans": ("refused", "receiver"),
    "otelcol_receiver_failed_spans": ("failed_receive", "receiver"),
    "otelcol_exporter_sent_spans": ("sent", "exporter"),
    "otelcol_exporter_send_failed_spans": ("send_failed", "exporter"),
    "otelcol_exporter_enqueue_failed_spans": ("enqueue_failed", "exporter"),
    "otelcol_processor_incoming_items": ("incoming", "processor"),
    "otelcol_processor_outgoing_items": ("outgoing", "processor"),
}


def parse(text: str) -> Snapshot:
    """Read the span-flow metrics out of a Prometheus exposition; raises ValueError on junk."""
    from prometheus_client.parser import text_string_to_metric_families

    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name = sample.name.removesuffix("_total")
            labels = sample.labels
            if name in _SPAN_METRICS:
                attr, label = _SPAN_METRICS[name]
                if label == "processor" and labels.get("otel_signal", "traces") not in ("traces", "trace"):
                    continue
                sums[attr][labels.get(label, "")] += sample.value
            elif name == "otelcol_processor_tail_sampling_new_trace_id_received":
                sums["tail_sampling_traces"][labels.get("processor", "tail_sampling")] += sample.value
            elif name in ("otelcol_exporter_queue_size", "otelcol_exporter_queue_capacity"):
                if labels.get("data_type", "traces") != "traces":
                    continue
                attr = "queue_size" if name.endswith("size") else "queue_capacity"
                sums[attr][labels.get("exporter", "")] = sample.value
    return Snapshot(**{k: dict(v) for k, v in sums.items()})


def scrape(url: str, *, timeout: float, tls: http.TlsOptions | None = None) -> Snapshot:
    """GET the metrics page; TransportError when it does not answer or is not Prometheus text."""
    resp = http.request("GET", url, timeout=timeout, tls=tls, max_bytes=32 * 1024 * 1024)
    if resp.status != 200:
        raise TransportError(Cause.PROTOCOL, f"HTTP {resp.status} from the metrics endpoint")
    try:
        return parse(resp.body.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise TransportError(Cause.PROTOCOL, f"not Prometheus metrics ({exc})") from None


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
    def tail_sampling_traces(self) -> float:
        return sum(self._d("tail_sampling_traces").values())
