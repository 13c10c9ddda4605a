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

from otdiag import collector_metrics
from otdiag.collector_metrics import Snapshot
from otdiag.transport import TransportError
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


@pytest.mark.parametrize("pipeline_telemetry", [False, True], ids=["default", "pipeline-telemetry"])
def test_the_span_flow_is_read_whatever_the_release_calls_it(
    jaeger: peers.Jaeger,
    start_collector: Callable[..., peers.Collector],
    collector_peer: str,
    pipeline_telemetry: bool,
) -> None:
    args: tuple[str, ...] = ()
    if pipeline_telemetry:
        if PIPELINE_GATE not in _gates(collector_peer):
            pytest.fail(f"{peers.label(collector_peer)} has no {PIPELINE_GATE} gate: drop it from this test's matrix")
        args = (f"--feature-gates=+{PIPELINE_GATE}",)
    collector = start_collector(_pipeline(jaeger), args=args)
    assert collector.otlp_grpc and collector.metrics_url
    for i in range(3):
        send_span(collector.otlp_grpc, service=f"metrics-{i}")
    try:
        snap, text = _flowed(collector.metrics_url, 3)
    except TransportError as err:
        # v0.155.0 with the gate: the Prometheus handler fails (500) once two processors report the
        # same pipeline metric without their component IDs. otdiag names the collector's own reason.
        assert pipeline_telemetry, err.detail
        assert "HTTP 500" in err.detail and "was collected before with the same name" in err.detail, err.detail
        return

    assert snap.accepted.get("otlp", 0) >= 3, text
    assert snap.sent.get("otlp/jaeger", 0) >= 3, text
    for proc in ("memory_limiter", "probabilistic_sampler"):
        assert snap.incoming.get(proc, 0) >= 3 and snap.outgoing.get(proc, 0) >= 3, (proc, snap, text)
    assert snap.missing_for_diagnosis() == [], text
    assert snap.version == peers.version(collector_peer).removeprefix("v"), text
    if pipeline_telemetry:
        assert any(f.endswith("{outcome}") for f in snap.seen), sorted(snap.seen)
