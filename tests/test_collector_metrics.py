"""check's reading of the collector's internal metrics, on every collector release of the version matrix.

The names moved across releases (`_total`, scope labels, processor families, the pipeline
telemetry's outcome attribute); the real collectors say what each release exposes, and otdiag's
normalised snapshot must read the same span flow from all of them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx
import pytest

from otdiag.collector import metrics as collector_metrics
from otdiag.collector.metrics import Snapshot
from otdiag.net.transport import TransportError
from tests import peers
from tests.conftest import require_peer
from tests.sdk_app import send_span

pytestmark = [pytest.mark.peers, pytest.mark.matrix(collector_peer=peers.COLLECTORS)]
PIPELINE_GATE = "telemetry.newPipelineTelemetry"


def _pipeline(jaeger: peers.Jaeger) -> peers.Config:
    return peers.collector_config(
        jaeger.otlp_grpc,
        overrides={
            "processors": {
                "memory_limiter": {"check_interval": "1s", "limit_mib": 1000},
                "probabilistic_sampler": {"sampling_percentage": 100},
            },
            "service": {"pipelines": {"traces": {"processors": ["memory_limiter", "probabilistic_sampler", "batch"]}}},
        },
    )


def _flowed(url: str, spans: int, deadline_s: float = 15.0) -> tuple[Snapshot, str]:
    """Scrape until the collector counts `spans` accepted and sent; the snapshot and the raw text.

    Raises TransportError as check's own scrape does when the metrics page fails."""
    deadline = time.monotonic() + deadline_s
    while True:
        collector_metrics.scrape(url, timeout=5)
        text = httpx.get(url, timeout=5).text
        snap = collector_metrics.parse(text)
        if sum(snap.accepted.values()) >= spans and sum(snap.sent.values()) >= spans:
            return snap, text
        if time.monotonic() > deadline:
            return snap, text
        time.sleep(0.2)


def _gates(collector_peer: str) -> str:
    out = subprocess.run(
        [str(require_peer(collector_peer)), "featuregate"], capture_output=True, text=True, timeout=60, check=False
    )
    return out.stdout + out.stderr


def test_the_span_flow_is_read_whatever_the_release_calls_it(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector], collector_peer: str
) -> None:
    collector = start_collector(_pipeline(jaeger))
    assert collector.otlp_grpc and collector.metrics_url
    for i in range(3):
        send_span(collector.otlp_grpc, service=f"metrics-{i}")
    snap, text = _flowed(collector.metrics_url, 3)

    assert snap.accepted.get("otlp", 0) >= 3, text
    assert snap.sent.get("otlp/jaeger", 0) >= 3, text
    for proc in ("memory_limiter", "probabilistic_sampler"):
        assert snap.incoming.get(proc, 0) >= 3 and snap.outgoing.get(proc, 0) >= 3, (proc, snap, text)
    assert snap.missing_for_diagnosis() == [], text
    assert snap.version == peers.version(collector_peer).removeprefix("v"), text


def _with_gate(collector_peer: str) -> tuple[str, ...]:
    if PIPELINE_GATE not in _gates(collector_peer):
        pytest.fail(f"{peers.label(collector_peer)} has no {PIPELINE_GATE} gate: drop it from this test's matrix")
    return (f"--feature-gates=+{PIPELINE_GATE}",)


PIPELINE_RELEASES = [c for c in peers.COLLECTORS if c != "otelcol-old"]
"""The releases with the pipeline telemetry gate (v0.111.0 predates it)."""


@pytest.mark.matrix(collector_peer=PIPELINE_RELEASES)
def test_pipeline_telemetry_outcomes_are_read_and_what_it_drops_is_named(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector], collector_peer: str
) -> None:
    """With the gate on, the outcome-labelled items (without component IDs) come beside the classic
    counters, which keep the IDs: both are read, and the diagnosis still has every signal it needs."""
    cfg = peers.collector_config(jaeger.otlp_grpc, overrides={"processors": {"probabilistic_sampler": {
        "sampling_percentage": 100}}, "service": {"pipelines": {"traces": {"processors": ["probabilistic_sampler"]}}}})  # fmt: skip
    collector = start_collector(cfg, args=_with_gate(collector_peer))
    assert collector.otlp_grpc and collector.metrics_url
    for i in range(3):
        send_span(collector.otlp_grpc, service=f"pipeline-{i}")
    deadline = time.monotonic() + 15
    while True:
        snap = collector_metrics.scrape(collector.metrics_url, timeout=5)
        if (sum(snap.accepted.values()) >= 3 and sum(snap.outgoing.values()) >= 3) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "otelcol_processor_consumed_items{outcome}" in snap.seen, sorted(snap.seen)
    assert "otelcol_receiver_produced_items{outcome}" in snap.seen, sorted(snap.seen)
    assert snap.accepted.get("otlp", 0) >= 3 and snap.incoming.get("probabilistic_sampler", 0) >= 3, snap
    assert snap.missing_for_diagnosis() == [], sorted(snap.seen)


@pytest.mark.matrix(collector_peer=PIPELINE_RELEASES)
def test_a_metrics_page_that_fails_names_the_collectors_reason(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector], collector_peer: str
) -> None:
    """Two processors with the gate on: the Prometheus handler answers 500 once both have counted,
    as their pipeline metrics collide without component IDs. otdiag passes the collector's reason on."""
    collector = start_collector(_pipeline(jaeger), args=_with_gate(collector_peer))
    assert collector.otlp_grpc and collector.metrics_url
    send_span(collector.otlp_grpc, service="pipeline-500")
    deadline = time.monotonic() + 15
    with pytest.raises(TransportError) as err:
        while time.monotonic() < deadline:
            collector_metrics.scrape(collector.metrics_url, timeout=5)
            time.sleep(0.2)
    assert "HTTP 500" in err.value.detail and "was collected before with the same name" in err.value.detail
