"""The per-component loss analysis (otdiag.check.loss) over constructed metric deltas: no peer, every rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from otdiag.check.loss import Components, lone_collector, verdict
from otdiag.collector.metrics import Snapshot
from otdiag.model import Severity

BASE: dict[str, Any] = {
    "accepted": {"otlp": 10.0},
    "sent": {"otlp/jaeger": 10.0},
    "incoming": {"batch": 10.0},
    "outgoing": {"batch": 10.0},
    "queue_size": {"otlp/jaeger": 0.0},
}


def snap(**moved: dict[str, float]) -> Snapshot:
    """BASE plus what moved: {"sent": {"debug": 1}} adds 1 to that counter (gauges are set)."""
    fields = {k: dict(v) for k, v in BASE.items()}
    for attr, changes in moved.items():
        cur = fields.setdefault(attr, {})
        for comp, v in changes.items():
            cur[comp] = v if attr in ("queue_size", "queue_capacity") else cur.get(comp, 0.0) + v
    return Snapshot(**cast("dict[str, Any]", fields))


BEFORE = snap()


def test_a_span_that_went_through_to_jaeger_is_not_a_loss_until_jaeger_has_had_time() -> None:
    after = snap(accepted={"otlp": 1}, incoming={"batch": 1}, outgoing={"batch": 1}, sent={"otlp/jaeger": 1})
    v = verdict(BEFORE, after, 0.3, final=False)
    assert v.finding is None and v.finding is None and bool(v.sent) and v.sent == {"otlp/jaeger": 1}
    assert lone_collector(BEFORE, after, 0.3, final=False) is None
    f = lone_collector(BEFORE, after, 15, final=True)
    assert f is not None and f.code == "jaeger.not-stored" and "otlp/jaeger +1" in f.message


def test_refused_names_the_receiver() -> None:
    f = lone_collector(BEFORE, snap(refused={"otlp": 1}), 0.1, final=False)
    assert f is not None and f.code == "collector.refusing" and f.target == "otlp"


@pytest.mark.parametrize("sink", ["debug", "file/out", "nop"])
def test_a_span_that_left_only_through_a_sink_is_never_exported_to_jaeger(sink: str) -> None:
    before = Snapshot(accepted={"otlp": 0.0})
    after = Snapshot(accepted={"otlp": 1.0}, sent={sink: 1.0}, incoming={"batch": 1.0}, outgoing={"batch": 1.0})
    comps = Components(exporter_types={sink: sink.split("/", maxsplit=1)[0]})
    f = lone_collector(before, after, 0.2, final=False, comps=comps)
    assert f is not None and f.code == "collector.no-trace-backend" and f.severity is Severity.ERROR
    assert sink in f.message and "never exports to Jaeger" in f.message and f.target == sink


def test_a_sink_beside_a_silent_network_exporter_waits_then_names_both() -> None:
    after = snap(accepted={"otlp": 1}, sent={"debug": 1})
    comps = Components(exporter_types={"debug": "debug", "otlp/jaeger": "otlp"})
    assert lone_collector(BEFORE, after, 0.5, final=False, comps=comps) is None
    f = lone_collector(BEFORE, after, 4, final=False, comps=comps)
    assert f is not None and f.code == "collector.no-trace-backend" and "otlp/jaeger sent nothing" in f.message


def test_a_sink_beside_a_network_exporter_that_sent_is_fine() -> None:
    after = snap(accepted={"otlp": 1}, sent={"debug": 1, "otlp/jaeger": 1})
    v = verdict(BEFORE, after, 0.5, final=False)
    assert v.finding is None and bool(v.sent) and v.sunk == {"debug": 1}


def test_tail_sampling_holding_the_span_says_its_decision_wait_and_when_it_is_due() -> None:
    before = snap(incoming={"tail_sampling": 0}, outgoing={"tail_sampling": 0})
    after = snap(accepted={"otlp": 1}, incoming={"tail_sampling": 1})
    comps = Components(waits={"tail_sampling": 60.0})
    v = verdict(before, after, 3.0, final=False, comps=comps)
    assert v.finding is None and v.pending
    f = lone_collector(before, after, 3.0, final=True, comps=comps)
    assert f is not None and f.code == "collector.tail-sampling-holds" and f.severity is Severity.ERROR
    assert "decision_wait is 60s" in f.message and "due in about 57s" in f.message


def test_tail_sampling_past_its_decision_wait_dropped_the_span() -> None:
    after = snap(accepted={"otlp": 1}, incoming={"tail_sampling": 1})
    comps = Components(waits={"tail_sampling": 2.0})
    f = lone_collector(BEFORE, after, 3.5, final=False, comps=comps)
    assert f is not None and f.code == "collector.processor-dropped" and f.target == "tail_sampling"


def test_tail_sampling_default_wait_without_config_is_thirty_seconds() -> None:
    after = snap(accepted={"otlp": 1}, incoming={"tail_sampling/x": 1})
    f = lone_collector(BEFORE, after, 15.0, final=True)
    assert f is not None and "decision_wait is 30s" in f.message and "due in about 15s" in f.message


def test_batch_with_a_long_timeout_holds_the_span() -> None:
    after = snap(accepted={"otlp": 1}, incoming={"batch/slow": 1})
    comps = Components(waits={"batch/slow": 120.0})
    assert lone_collector(BEFORE, after, 2.0, final=False, comps=comps) is None
    f = lone_collector(BEFORE, after, 10.0, final=True, comps=comps)
    assert f is not None and f.code == "collector.processor-holds" and f.target == "batch/slow"
    assert "timeout is 120s" in f.message and "due in about 110s" in f.message


def test_batch_past_its_timeout_yields_to_the_exporter_that_blocks_it() -> None:
    after = snap(accepted={"otlp": 1}, incoming={"batch": 1}, send_failed={"otlp/jaeger": 1})
    f = lone_collector(BEFORE, after, 5.0, final=False)
    assert f is not None and f.code == "export.failed" and f.target == "otlp/jaeger"
    alone = lone_collector(BEFORE, snap(accepted={"otlp": 1}, incoming={"batch": 1}), 5.0, final=False)
    assert alone is not None and alone.code == "collector.processor-holds" and "has not let it out" in alone.message


def test_a_sampler_that_keeps_nothing_dropped_the_span_after_a_second() -> None:
    after = snap(accepted={"otlp": 1}, incoming={"probabilistic_sampler": 1})
    assert lone_collector(BEFORE, after, 0.4, final=False) is None
    f = lone_collector(BEFORE, after, 1.2, final=False)
    assert f is not None and f.code == "collector.processor-dropped" and f.target == "probabilistic_sampler"


def test_queue_full_and_stuck_exporters_are_named() -> None:
    full = lone_collector(BEFORE, snap(accepted={"otlp": 1}, enqueue_failed={"otlp/jaeger": 1}), 0.2, final=False)
    assert full is not None and full.code == "export.queue-full" and full.target == "otlp/jaeger"
    stuck_after = snap(accepted={"otlp": 1}, queue_size={"otlp/jaeger": 3})
    assert lone_collector(BEFORE, stuck_after, 1.0, final=False) is None
    stuck = lone_collector(BEFORE, stuck_after, 3.5, final=False)
    assert stuck is not None and stuck.code == "export.not-delivering" and "3 request(s)" in stuck.message


def test_a_tier_name_prefixes_the_message() -> None:
    f = lone_collector(BEFORE, snap(refused={"otlp": 2}), 0.1, final=False, comps=Components(name="gateway"))
    assert f is not None and f.message.startswith("gateway: ")


def test_a_counter_reset_reads_as_the_new_value() -> None:
    before = Snapshot(accepted={"otlp": 100.0}, sent={"otlp/jaeger": 100.0})
    after = Snapshot(accepted={"otlp": 1.0}, sent={"otlp/jaeger": 1.0})
    v = verdict(before, after, 0.5, final=False)
    assert v.accepted == 1 and v.finding is None and bool(v.sent)


def _codes(yaml_text: str) -> list[str]:
    from otdiag.validate.api import validate_source

    return [f.code for f in validate_source(yaml_text.encode(), "c.yaml", None).findings]


PIPE = """
receivers: {otlp: {protocols: {grpc: {endpoint: 127.0.0.1:4317}}}}
processors: {memory_limiter: {check_interval: 1s, limit_percentage: 80}, batch: {}}
exporters: EXPORTERS
service: {pipelines: {traces: {receivers: [otlp], processors: [memory_limiter, batch], exporters: [NAMES]}}}
"""


@pytest.mark.parametrize(
    ("exporters", "names", "warned"),
    [
        ("{file: {path: /tmp/x.json}}", "file", True),
        ("{nop: {}, debug: {}}", "nop, debug", True),
        ("{debug: {}}", "debug", False),  # config.debug-exporter says it already
        ("{file: {path: /tmp/x.json}, otlp/j: {endpoint: 'j:4317', tls: {insecure: true}}}", "file, otlp/j", False),
    ],
)
def test_validate_config_warns_when_a_traces_pipeline_cannot_reach_a_backend(
    exporters: str, names: str, warned: bool
) -> None:
    codes = _codes(PIPE.replace("EXPORTERS", exporters).replace("NAMES", names))
    assert ("config.traces-no-backend" in codes) is warned, codes


def test_batch_holding_silently_as_v0155_reports_it_is_named_from_the_config() -> None:
    """The real collector v0.155 counts no incoming/outgoing items for batch: only accepted moves."""
    after = snap(accepted={"otlp": 1})
    comps = Components(waits={"batch/slow": 60.0})
    assert lone_collector(BEFORE, after, 2.0, final=False, comps=comps) is None
    f = lone_collector(BEFORE, after, 6.0, final=True, comps=comps)
    assert f is not None and f.code == "collector.processor-holds" and "timeout is 60s" in f.message
    assert "due in about 54s" in f.message
    assert lone_collector(BEFORE, after, 6.0, final=True) is None  # without the config, nothing to say


def test_tail_sampling_seen_only_through_its_own_counter_as_v0155_reports_it() -> None:
    before = Snapshot(accepted={"otlp": 0.0}, tail_sampling_traces={"tail_sampling": 0.0})
    after = Snapshot(accepted={"otlp": 1.0}, tail_sampling_traces={"tail_sampling": 1.0})
    comps = Components(waits={"tail_sampling/keep": 60.0})
    assert lone_collector(before, after, 3.0, final=False, comps=comps) is None
    f = lone_collector(before, after, 3.0, final=True, comps=comps)
    assert f is not None and f.code == "collector.tail-sampling-holds" and f.target == "tail_sampling/keep"
    assert "decision_wait is 60s" in f.message


@pytest.mark.parametrize(("exporters", "names", "code"), [
    ("{file: {path: /tmp/x.json}}", "file", "config.traces-no-backend"),
    ("{debug: {}}", "debug", "config.debug-exporter"),
])  # fmt: skip
def test_check_with_config_reports_a_pipeline_that_never_reaches_a_backend(
    exporters: str, names: str, code: str, tmp_path: Path
) -> None:
    from tests.cli_runner import run

    cfg = tmp_path / "c.yaml"
    cfg.write_text(PIPE.replace("EXPORTERS", exporters).replace("NAMES", names))
    res = run("check", "--json", "--no-e2e", "--timeout", "1s", "--config", str(cfg),
              "--jaeger-url", "http://127.0.0.1:9")  # fmt: skip
    found = [f for f in res.json()["findings"] if f["code"] == code]
    assert len(found) == 1 and found[0]["severity"] == "warning" and found[0]["location"]["file"] == str(cfg)


def test_a_sampler_seen_only_through_its_sampled_false_counter_is_named() -> None:
    """Releases without per-processor items: probabilistic_sampler's own counter (read when Snapshot has it)."""
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class WithSampled(Snapshot):
        sampled_out: dict[str, float] = field(default_factory=dict)

    before = WithSampled(accepted={"otlp": 0.0}, sampled_out={"probabilistic_sampler": 0.0})
    after = WithSampled(accepted={"otlp": 1.0}, sampled_out={"probabilistic_sampler": 1.0})
    assert lone_collector(before, after, 0.5, final=False) is None
    f = lone_collector(before, after, 1.5, final=False)
    assert f is not None and f.code == "collector.processor-dropped" and f.target == "probabilistic_sampler"
