"""check --prometheus-url's pure parts: selectors, Prometheus rows as snapshots, the window, the table."""

from __future__ import annotations

from typing import Any

import pytest

from otdiag.collector import fleet
from otdiag.errors import UsageError
from otdiag.render.fleet import rows as table_rows


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (None, ""),
        ('job="otel"', 'job="otel"'),
        ('{job=~"otel-.*", env!="dev"}', 'job=~"otel-.*",env!="dev"'),
        (r'team="a\"b"', r'team="a\"b"'),
    ],
)
def test_selectors_are_label_matchers(text: str | None, want: str) -> None:
    assert fleet.parse_selector(text) == want


@pytest.mark.parametrize(
    "text", ['job="otel"}', "{job=otel}", 'up{job="x"}', 'job="a" env="b"', 'job="x"} or vector(1) {']
)
def test_anything_else_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--prometheus-selector"):
        fleet.parse_selector(text)


def row(name: str, value: float, instance: str = "c1:8888", job: str = "gateway", **labels: str) -> dict[str, Any]:
    return {"metric": {"__name__": name, "instance": instance, "job": job, **labels}, "value": [1.0, str(value)]}


def test_rows_become_one_snapshot_per_instance_summed_by_component() -> None:
    snaps = fleet.to_snapshots(
        [
            row("otelcol_receiver_accepted_spans_total", 5, receiver="otlp", transport="grpc"),
            row("otelcol_receiver_accepted_spans_total", 2, receiver="otlp", transport="http"),
            row("otelcol_exporter_sent_spans", 7, exporter="otlp/jaeger"),
            row("otelcol_processor_incoming_items_total", 9, processor="batch", otel_signal="traces"),
            row("otelcol_processor_incoming_items_total", 4, processor="batch", otel_signal="metrics"),
            row("otelcol_exporter_queue_size", 3, exporter="otlp/jaeger", data_type="traces"),
            row("otelcol_exporter_queue_size", 99, exporter="otlp/jaeger", data_type="logs"),
            row("otelcol_exporter_sent_spans_total", 1, instance="c2:8888", job="agent", exporter="otlp/gw"),
            {"metric": {"__name__": "otelcol_exporter_sent_spans"}, "value": [1.0, "NaN-but-not"]},
            {"metric": "junk"},
        ],
        "job",
    )
    gw = snaps[fleet.Instance("c1:8888", "gateway")]
    assert gw.accepted == {"otlp": 7} and gw.sent == {"otlp/jaeger": 7}
    assert gw.incoming == {"batch": 9} and gw.queue_size == {"otlp/jaeger": 3}
    assert snaps[fleet.Instance("c2:8888", "agent")].sent == {"otlp/gw": 1}
    assert len(snaps) == 2


def test_control_characters_from_prometheus_labels_are_made_printable() -> None:
    snaps = fleet.to_snapshots([row("otelcol_exporter_sent_spans", 1, instance="evil\x1b[31m", exporter="e")], "job")
    assert [i.instance for i in snaps] == ["evil\\x1b[31m"]  # as every output shows controls (README)


def _fleet(n: int, lossy: dict[int, dict[str, float]]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    before, after = [], []
    for i in range(n):
        inst = f"collector-{i:03d}:8888"
        tier = "agent" if i % 2 else "gateway"
        before += [row("otelcol_receiver_accepted_spans", 100, inst, tier, receiver="otlp")]
        loss = lossy.get(i, {})
        after += [
            row("otelcol_receiver_accepted_spans", 200, inst, tier, receiver="otlp"),
            row("otelcol_receiver_refused_spans", loss.get("refused", 0), inst, tier, receiver="otlp"),
            row("otelcol_processor_incoming_items", 100, inst, tier, processor="probabilistic_sampler"),
            row("otelcol_processor_outgoing_items", 100 - loss.get("dropped", 0), inst, tier,
                processor="probabilistic_sampler"),
            row("otelcol_exporter_send_failed_spans", loss.get("failed", 0), inst, tier, exporter="otlp/next"),
            row("otelcol_exporter_queue_size", loss.get("queue", 0), inst, tier, exporter="otlp/next"),
            row("otelcol_exporter_queue_capacity", 1000, inst, tier, exporter="otlp/next"),
        ]  # fmt: skip
    return fleet.to_snapshots(before, "job"), fleet.to_snapshots(after, "job")


def test_fifty_collectors_give_one_answer_per_kind_of_loss_worst_first() -> None:
    before, after = _fleet(50, {7: {"dropped": 30}, 12: {"failed": 500}, 31: {"failed": 20}, 40: {"queue": 900},
                                3: {"refused": 4}})  # fmt: skip
    rows = fleet.window_rows(before, after)
    assert [r.instance for r in rows[:4]] == [
        "collector-012:8888",
        "collector-007:8888",
        "collector-031:8888",
        "collector-003:8888",
    ]
    assert rows[4].instance == "collector-040:8888"  # no loss yet, but its queue is 90% full
    findings = {f.code: f for f in fleet.window_findings(rows, 300)}
    assert set(findings) == {"fleet.spans-refused", "fleet.spans-dropped", "fleet.export-failed", "fleet.queue-filling"}
    failed = findings["fleet.export-failed"]
    assert failed.message.startswith("2 of 50 collector instance(s) (tiers agent, gateway) failed to export")
    assert failed.message.index("collector-012") < failed.message.index("collector-031")
    assert "in otlp/next" in failed.message
    dropped = findings["fleet.spans-dropped"]
    assert "collector-007:8888 (agent) 30 in probabilistic_sampler" in dropped.message


def test_a_healthy_fleet_gives_no_finding() -> None:
    before, after = _fleet(10, {})
    assert fleet.window_findings(fleet.window_rows(before, after), 300) == []


def test_the_table_reads_at_80_columns_and_folds_past_twenty_rows() -> None:
    before, after = _fleet(120, {5: {"failed": 12_345_678}, 77: {"dropped": 3}})
    lines = table_rows(fleet.window_rows(before, after))
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "collector-005:8888" in lines[1] and "12.3M" in lines[1]
    assert len(lines) == 1 + 20 + 1 and "100 more instance(s), 0 of them losing spans" in lines[-1]


def test_the_test_span_is_located_in_the_instance_that_lost_it() -> None:
    before = fleet.to_snapshots(
        [row("otelcol_receiver_accepted_spans", 10, "a:1", "agent", receiver="otlp"),
         row("otelcol_receiver_accepted_spans", 10, "g:1", "gateway", receiver="otlp"),
         row("otelcol_receiver_accepted_spans", 10, "idle:1", "gateway", receiver="otlp")], "job")  # fmt: skip
    after = fleet.to_snapshots(
        [row("otelcol_receiver_accepted_spans", 11, "a:1", "agent", receiver="otlp"),
         row("otelcol_exporter_sent_spans", 1, "a:1", "agent", exporter="otlp/gw"),
         row("otelcol_receiver_accepted_spans", 11, "g:1", "gateway", receiver="otlp"),
         row("otelcol_processor_incoming_items", 1, "g:1", "gateway", processor="filter/drop"),
         row("otelcol_receiver_accepted_spans", 10, "idle:1", "gateway", receiver="otlp")], "job")  # fmt: skip
    found, path = fleet.locate(before, after, 5.0)
    assert [(p["tier"], p["instance"], p["lost"]) for p in path] == [
        ("agent", "a:1", None),
        ("gateway", "g:1", "collector.processor-dropped"),
    ]
    assert len(found) == 1 and found[0].message.startswith("gateway g:1: Processor filter/drop dropped")


def test_a_collector_with_no_span_yet_is_an_instance_of_the_fleet() -> None:
    snaps = fleet.to_snapshots([row("otelcol_process_uptime", 12.0, "idle:8888", "agent")], "job")
    assert list(snaps) == [fleet.Instance("idle:8888", "agent")]
    assert fleet.window_rows({}, snaps)[0].lost == 0


def test_labels_are_made_printable_and_scrubbed_by_the_one_sanitiser() -> None:
    from otdiag import redact

    redact.remember("s3cr3t-tenant")
    snaps = fleet.to_snapshots(
        [row("otelcol_receiver_accepted_spans", 1, "http://u:hunter22@c1:8888", "gw\x1b[2J s3cr3t-tenant")], "job"
    )
    (inst,) = snaps
    assert "hunter22" not in inst.instance and "<redacted>" in inst.instance
    assert inst.tier == "gw\\x1b[2J <redacted>"


def test_secrets_learnt_in_an_isolated_run_are_forgotten_after_it() -> None:
    from otdiag import redact

    with redact.isolated():
        redact.remember("only-in-here-42")
        assert redact.scrub("x only-in-here-42") == "x <redacted>"
    assert redact.scrub("x only-in-here-42") == "x only-in-here-42"
