"""check's end-to-end loss reading (`e2e._loss`, `loss.verdict`, `tiers.analyse`) over constructed metric deltas.

No peer: each case builds the collector's counters before and after the test span by hand and asserts
the finding a reader gets (its code, stage and evidence), the way check reads them while it waits.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from otdiag.check import tiers
from otdiag.check.e2e import _loss
from otdiag.check.loss import verdict
from otdiag.collector.metrics import Delta, Snapshot
from otdiag.collector.targets import CollectorTargets, ExporterTarget
from otdiag.model import Severity, Stage

EVERY_FAMILY = frozenset(
    {
        "otelcol_receiver_accepted_spans",
        "otelcol_receiver_refused_spans",
        "otelcol_exporter_sent_spans",
        "otelcol_exporter_send_failed_spans",
        "otelcol_exporter_enqueue_failed_spans",
        "otelcol_processor_incoming_items",
        "otelcol_processor_outgoing_items",
        "otelcol_exporter_queue_size",
    }
)


def counters(**moved: dict[str, float]) -> Snapshot:
    """A collector that has passed 10 spans through otlp -> batch -> otlp/jaeger, plus what `moved`."""
    base: dict[str, dict[str, float]] = {
        "accepted": {"otlp": 10.0},
        "sent": {"otlp/jaeger": 10.0},
        "incoming": {"batch": 10.0},
        "outgoing": {"batch": 10.0},
        "queue_size": {"otlp/jaeger": 0.0},
    }
    for attr, changes in moved.items():
        cur = base.setdefault(attr, {})
        for comp, v in changes.items():
            cur[comp] = v if attr == "queue_size" else cur.get(comp, 0.0) + v
    return Snapshot(**cast("dict[str, Any]", base), seen=EVERY_FAMILY)


BEFORE = counters()
CONFIG = CollectorTargets(
    "collector.yaml",
    exporters=[ExporterTarget("otlp/jaeger", "otlp_grpc", "jaeger:4317", secure=False)],
    processor_waits={"batch": 0.2},
    exporter_types={"otlp/jaeger": "otlp"},
)


def read(after: Snapshot, waited: float = 2.0, *, final: bool = False) -> Any:
    return _loss(Delta(BEFORE, after), after, waited, final=final, config=CONFIG)


def test_a_receiver_that_refused_the_span_is_named_with_its_counter() -> None:
    f = read(counters(refused={"otlp": 1}), 0.1)
    assert f is not None and f.code == "collector.refusing" and f.stage is Stage.COLLECTOR
    assert f.target == "otlp" and f.evidence == ("otelcol_receiver_refused_spans otlp +1",)
    assert f.severity is Severity.ERROR


def test_a_processor_that_took_the_span_in_and_let_nothing_out_dropped_it() -> None:
    after = counters(accepted={"otlp": 1}, incoming={"filter/drop": 1}, outgoing={"filter/drop": 0})
    assert read(after, 0.3) is None, "a processor gets a moment before its span counts as dropped"
    f = read(after, 1.5)
    assert f is not None and f.code == "collector.processor-dropped" and f.stage is Stage.COLLECTOR
    assert f.target == "filter/drop" and "Processor filter/drop dropped the test span (1 in, 0 out)" in f.message
    assert f.evidence == ("otelcol_processor_incoming_items{processor=filter/drop} +1, outgoing +0",)


def test_an_exporter_that_failed_to_send_is_the_collector_to_jaeger_hop() -> None:
    f = read(counters(accepted={"otlp": 1}, send_failed={"otlp/jaeger": 1}))
    assert f is not None and f.code == "export.failed" and f.stage is Stage.COLLECTOR_EXPORT
    assert f.target == "otlp/jaeger" and f.evidence == ("otelcol_exporter_send_failed_spans{exporter=otlp/jaeger} +1",)


def test_an_exporter_whose_queue_is_full_dropped_spans() -> None:
    f = read(counters(accepted={"otlp": 1}, enqueue_failed={"otlp/jaeger": 3}))
    assert f is not None and f.code == "export.queue-full" and f.stage is Stage.COLLECTOR_EXPORT
    assert "3 span(s) dropped" in f.message
    assert f.evidence == ("otelcol_exporter_enqueue_failed_spans{exporter=otlp/jaeger} +3",)


def test_an_exporter_that_holds_the_span_queued_and_sends_nothing_is_stuck() -> None:
    after = counters(accepted={"otlp": 1}, queue_size={"otlp/jaeger": 2})
    assert read(after, 1.0) is None, "a queued span is still on its way for a few seconds"
    f = read(after, 3.5)
    assert f is not None and f.code == "export.not-delivering" and f.stage is Stage.COLLECTOR_EXPORT
    assert f.evidence == (
        "otelcol_exporter_queue_size{exporter=otlp/jaeger} = 2",
        "otelcol_exporter_sent_spans{exporter=otlp/jaeger} +0",
    )


def test_nothing_sent_and_nothing_to_say_why_leaves_the_verdict_to_jaeger() -> None:
    after = counters(accepted={"otlp": 1})
    assert read(after, 5.0) is None and read(after, 15.0, final=True) is None
    v = verdict(BEFORE, after, 15.0, final=True)
    assert v.accepted == 1 and not v.sent and not (v.finding is None and v.sent)


def test_nothing_accepted_says_nothing_about_this_collector() -> None:
    assert read(counters(), 15.0, final=True) is None
    assert verdict(BEFORE, counters(), 15.0, final=True).accepted == 0


def test_a_span_that_went_all_the_way_out_is_jaegers_to_show() -> None:
    after = counters(accepted={"otlp": 1}, incoming={"batch": 1}, outgoing={"batch": 1}, sent={"otlp/jaeger": 1})
    assert read(after, 0.5) is None, "all fine while Jaeger may still be indexing it"
    f = read(after, 15.0, final=True)
    assert f is not None and f.code == "jaeger.not-stored" and f.stage is Stage.JAEGER
    assert f.evidence == ("otelcol_exporter_sent_spans: otlp/jaeger +1",)


def test_the_configs_holding_time_makes_a_batch_that_holds_the_span_wait() -> None:
    slow = CollectorTargets("c.yaml", processor_waits={"batch": 10.0}, exporter_types={"otlp/jaeger": "otlp"})
    after = counters(accepted={"otlp": 1}, incoming={"batch": 1})
    assert _loss(Delta(BEFORE, after), after, 2.0, final=False, config=slow) is None
    f = _loss(Delta(BEFORE, after), after, 2.0, final=True, config=slow)
    assert f is not None and f.code == "collector.processor-holds" and "its timeout is 10s" in f.message


# --- several tiers: the loss is at the gateway ----------------------------------------------------------


def _tier(name: str, listen: str, exporter: str, endpoint: str) -> tiers.Tier:
    target = ExporterTarget(exporter, "otlp_grpc", endpoint, secure=False)
    cfg = CollectorTargets(f"{name}.yaml", listens=[listen], exporters=[target], exporter_types={exporter: "otlp"})
    return tiers.Tier(name, cfg)


CHAIN = tiers.build(
    [
        _tier("agent", "0.0.0.0:4317", "otlp/gateway", "127.0.0.1:5317"),
        _tier("gateway", "127.0.0.1:5317", "otlp/jaeger", "jaeger:4317"),
    ]
)
AGENT_SENT: dict[str, dict[str, float]] = {
    "accepted": {"otlp": 1},
    "incoming": {"batch": 1},
    "outgoing": {"batch": 1},
    "sent": {"otlp/gateway": 1},
}


@pytest.mark.parametrize(
    ("gateway", "code", "stage", "evidence"),
    [
        ({"refused": {"otlp": 1}}, "collector.refusing", Stage.COLLECTOR, "otelcol_receiver_refused_spans otlp +1"),
        (
            {"accepted": {"otlp": 1}, "incoming": {"filter/drop": 1}},
            "collector.processor-dropped",
            Stage.COLLECTOR,
            "otelcol_processor_incoming_items{processor=filter/drop} +1, outgoing +0",
        ),
        (
            {"accepted": {"otlp": 1}, "send_failed": {"otlp/jaeger": 1}},
            "export.failed",
            Stage.COLLECTOR_EXPORT,
            "otelcol_exporter_send_failed_spans{exporter=otlp/jaeger} +1",
        ),
    ],
)
def test_a_loss_at_the_gateway_names_the_gateway_and_its_evidence(
    gateway: dict[str, dict[str, float]], code: str, stage: Stage, evidence: str
) -> None:
    before = {"agent": counters(), "gateway": counters()}
    after = {"agent": counters(**AGENT_SENT), "gateway": counters(**gateway)}
    trail = tiers.analyse(CHAIN, before, after, 4.0, final=False)
    assert trail.definite and [f.code for f in trail.findings] == [code]
    f = trail.findings[0]
    assert f.stage is stage and f.message.startswith("gateway: ") and evidence in f.evidence
    assert trail.lost_at is not None and trail.lost_at["tier"] == "gateway" and trail.lost_at["code"] == code
    assert trail.tiers["agent"] == "pass" and trail.hops["agent → gateway (otlp/gateway)"] == "pass"
