"""Every rule reads every spelling: check's loss reading over metric pages in the shapes each release writes.

The texts below are written in the exact shapes the collectors of the matrix expose (v0.111's `_total`
counters and per-first-send series, tail_sampling's decision counters old and new); the same rules run
against the real binaries in tests/test_loss_releases.py.
"""

from __future__ import annotations

import pytest

from otdiag import catalogue as c
from otdiag.check.loss import Components, lone_collector
from otdiag.collector.metrics import GLOBAL, parse
from otdiag.model import Severity, Stage

# v0.111: the exporter has a queue and has never sent: no sent_spans / send_failed_spans series at all.
OLD_BEFORE = """\
# TYPE otelcol_exporter_queue_capacity gauge
otelcol_exporter_queue_capacity{exporter="otlp/jaeger",service_instance_id="x",service_name="otelcol",service_version="0.111.0"} 1000
# TYPE otelcol_exporter_queue_size gauge
otelcol_exporter_queue_size{exporter="otlp/jaeger",service_instance_id="x",service_name="otelcol",service_version="0.111.0"} 0
"""
OLD_AFTER = (
    OLD_BEFORE
    + """\
# TYPE otelcol_receiver_accepted_spans_total counter
otelcol_receiver_accepted_spans_total{receiver="otlp",service_name="otelcol",service_version="0.111.0",transport="grpc"} 1
# TYPE otelcol_processor_batch_batch_send_size histogram
otelcol_processor_batch_batch_send_size_bucket{processor="batch",service_name="otelcol",le="10"} 1
otelcol_processor_batch_batch_send_size_bucket{processor="batch",service_name="otelcol",le="+Inf"} 1
otelcol_processor_batch_batch_send_size_sum{processor="batch",service_name="otelcol"} 1
otelcol_processor_batch_batch_send_size_count{processor="batch",service_name="otelcol"} 1
"""
)


def test_an_old_collectors_exporter_that_never_sent_is_named_from_the_batch_and_its_queue() -> None:
    before, after = parse(OLD_BEFORE), parse(OLD_AFTER)
    assert after.batch_sent == {"batch": 1.0} and after.queue_capacity == {"otlp/jaeger": 1000.0}
    assert not after.has_series("sent", "otlp/jaeger")
    assert not any("each exporter sent" in m for m in after.missing_for_diagnosis())  # it reports, never sent
    assert lone_collector(before, after, 1.0, final=False) is None  # the exporter gets its 3 s
    f = lone_collector(before, after, 3.2, final=False)
    assert f is not None and c.EXPORT_STUCK.made(f) and f.target == "otlp/jaeger", f
    assert f.stage is Stage.COLLECTOR_EXPORT and f.severity is Severity.ERROR
    assert any("never sent" in e for e in f.evidence) and any("of 1000" in e for e in f.evidence)


# Without --config: the batch processor has sent batches before, and none since the span came in.
BATCH_BEFORE = """\
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="grpc"} 4
otelcol_exporter_sent_spans_total{exporter="otlp/jaeger"} 4
otelcol_exporter_send_failed_spans_total{exporter="otlp/jaeger"} 0
otelcol_exporter_queue_size{exporter="otlp/jaeger"} 0
otelcol_exporter_queue_capacity{exporter="otlp/jaeger"} 1000
otelcol_processor_batch_batch_send_size_sum{processor="batch/slow"} 4
otelcol_processor_batch_batch_send_size_count{processor="batch/slow"} 1
"""


def test_without_config_a_batch_that_hands_on_nothing_is_named_not_the_exporter() -> None:
    before = parse(BATCH_BEFORE)
    after = parse(BATCH_BEFORE.replace("} 4\n", "} 5\n", 1))
    assert sum(after.accepted.values()) == 5
    assert lone_collector(before, after, 5.0, final=False) is None  # a slow batch may still let it go
    f = lone_collector(before, after, 15.0, final=True)
    assert f is not None and c.COLLECTOR_PROCESSOR_HOLDS.made(f) and f.target == "batch/slow", f
    assert f.stage is Stage.COLLECTOR and "--config" in f.message
    # A batch that moved since is no hold: then the exporter is where it sits.
    moved = parse(BATCH_BEFORE.replace('grpc"} 4', 'grpc"} 5').replace('batch/slow"} 4', 'batch/slow"} 5'))
    assert moved.batch_sent == {"batch/slow": 5.0} and moved.sent == {"otlp/jaeger": 4.0}
    g = lone_collector(before, moved, 3.5, final=False)
    assert g is not None and c.EXPORT_STUCK.made(g) and g.target == "otlp/jaeger", g


def test_without_config_a_batch_in_front_of_a_queueless_exporter_is_not_blamed() -> None:
    text = BATCH_BEFORE.replace('otelcol_exporter_queue_capacity{exporter="otlp/jaeger"} 1000\n', "").replace(
        'otelcol_exporter_queue_size{exporter="otlp/jaeger"} 0\n', ""
    )
    before, after = parse(text), parse(text.replace("} 4\n", "} 5\n", 1))
    f = lone_collector(before, after, 5.0, final=True)
    assert f is None or not c.COLLECTOR_PROCESSOR_HOLDS.made(f)


TS = "otelcol_processor_tail_sampling_count_traces_sampled"
TS_GLOBAL = "otelcol_processor_tail_sampling_global_count_traces_sampled"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # the older spelling: sampled="true"/"false"
        (
            f'{TS}_total{{policy="errors-only",sampled="false"}} 0\n',
            f'{TS}_total{{policy="errors-only",sampled="false"}} 1\n',
        ),
        # the newer one: decision="not_sampled", and the global decision beside it
        (
            f'{TS}{{policy="errors-only",decision="not_sampled"}} 3\n{TS_GLOBAL}{{decision="not_sampled"}} 3\n',
            f'{TS}{{policy="errors-only",decision="not_sampled"}} 4\n{TS_GLOBAL}{{decision="not_sampled"}} 4\n',
        ),
    ],
    ids=["sampled-false", "decision-not-sampled"],
)
def test_a_tail_sampling_policy_that_said_not_sampled_is_a_drop_named_at_once(before: str, after: str) -> None:
    acc = 'otelcol_receiver_accepted_spans_total{receiver="otlp"} '
    b, a = parse(before + acc + "0\n"), parse(after + acc + "1\n")
    assert a.policy_dropped.get("errors-only", 0) > b.policy_dropped.get("errors-only", 0)
    comps = Components(waits={"tail_sampling": 30.0})
    f = lone_collector(b, a, 0.6, final=False, comps=comps)
    assert f is not None and c.COLLECTOR_DROPPED.made(f) and f.target == "tail_sampling", f
    assert f.severity is Severity.ERROR and "policy errors-only" in f.message and "errors-only" in f.hint


def test_a_trace_another_policy_kept_is_no_drop() -> None:
    b = parse(f'{TS}{{policy="a",decision="not_sampled"}} 0\n{TS}{{policy="b",decision="sampled"}} 0\n')
    a = parse(
        f'{TS}{{policy="a",decision="not_sampled"}} 1\n{TS}{{policy="b",decision="sampled"}} 1\n'
        'otelcol_receiver_accepted_spans_total{receiver="otlp"} 1\n'
    )
    assert a.policy_kept == {"b": 1.0} and GLOBAL not in a.policy_kept
    f = lone_collector(b, a, 0.6, final=False, comps=Components(waits={"tail_sampling": 30.0}))
    assert f is None or not c.COLLECTOR_DROPPED.made(f)


def test_a_tail_sampling_hold_is_the_error_the_catalogue_documents_and_its_hint_fits_its_wait() -> None:
    b = parse("otelcol_processor_tail_sampling_new_trace_id_received{} 0\n")
    a = parse(
        "otelcol_processor_tail_sampling_new_trace_id_received{} 1\n"
        'otelcol_receiver_accepted_spans_total{receiver="otlp"} 1\n'
    )
    f = lone_collector(b, a, 6.0, final=True, comps=Components(waits={"tail_sampling/slow": 60.0}))
    assert f is not None and c.COLLECTOR_TAIL_SAMPLING.made(f)
    assert f.severity is c.COLLECTOR_TAIL_SAMPLING.severity is Severity.ERROR
    assert "--wait 66s" in f.hint


def test_memory_limiters_renamed_counters_read_as_its_flow() -> None:
    text = (
        'otelcol_processor_memory_limiter_accepted_spans_total{processor="memory_limiter"} 7\n'
        'otelcol_processor_memory_limiter_refused_spans_total{processor="memory_limiter"} 3\n'
    )
    snap = parse(text)
    assert snap.incoming == {"memory_limiter": 10.0} and snap.outgoing == {"memory_limiter": 7.0}
    assert not any("items into and out of each processor" in m for m in snap.missing_for_diagnosis())


def test_a_batch_that_never_sent_a_batch_is_known_from_its_other_series() -> None:
    fresh = (
        'otelcol_processor_batch_metadata_cardinality{processor="batch/slow"} 1\n'
        'otelcol_exporter_queue_size{exporter="otlp/jaeger"} 0\n'
        'otelcol_exporter_queue_capacity{exporter="otlp/jaeger"} 1000\n'
    )
    before = parse(fresh)
    after = parse(fresh + 'otelcol_receiver_accepted_spans_total{receiver="otlp"} 1\n')
    assert before.batch_sent == {"batch/slow": 0.0}
    f = lone_collector(before, after, 6.0, final=True)
    assert f is not None and c.COLLECTOR_PROCESSOR_HOLDS.made(f) and f.target == "batch/slow", f


def test_pipeline_telemetry_alone_still_tells_what_the_exporters_sent_and_failed() -> None:
    text = (
        'otelcol_receiver_produced_items_total{otel_signal="traces",otelcol_component_outcome="success"} 2\n'
        'otelcol_exporter_consumed_items_total{otelcol_component_id="otlp/jaeger",otel_signal="traces",'
        'otelcol_component_outcome="success"} 1\n'
        'otelcol_exporter_consumed_items_total{otelcol_component_id="otlp/jaeger",otel_signal="traces",'
        'otelcol_component_outcome="failure"} 1\n'
    )
    snap = parse(text)
    assert snap.sent == {"otlp/jaeger": 1.0} and snap.send_failed == {"otlp/jaeger": 1.0}
    assert parse(text.replace("} 1\n", "} 0\n")).sent == {"otlp/jaeger": 0.0}
