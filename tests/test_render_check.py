"""check's human view on fixed-width consoles (80 and 120 columns): what a reader sees, and no line too wide."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len

from otdiag import catalogue as c
from otdiag.check.result import CheckResult
from otdiag.check.tiers import ChainReport, HopMark, LostAt, TierMark
from otdiag.collector.fleet import FleetReport, Instance, PathStep, Row
from otdiag.model import Stage, Step, StepStatus
from otdiag.render import human
from otdiag.render.check import print_check

WIDTHS = (80, 120)
P, F, S = StepStatus.PASS, StepStatus.FAIL, StepStatus.SKIP
JAEGER = "http://jaeger.observability.svc.cluster.local:16686"


def screen(result: CheckResult, width: int) -> list[str]:
    """What a terminal of `width` columns without colour shows."""
    buf = io.StringIO()
    console = human.Console(file=buf, width=width, force_terminal=True, color_system=None, highlight=False, emoji=False)
    print_check(console, result)
    lines = buf.getvalue().splitlines()
    assert all(cell_len(line) <= width for line in lines), max(lines, key=cell_len)
    return lines


def steps(*extra: Step) -> tuple[Step, ...]:
    return (
        Step("app-env", Stage.APP, P, 0.0, "3 OTEL_* variable(s); exports grpc to collector:4317"),
        Step("collector-otlp-grpc", Stage.COLLECTOR_INGEST, P, 4.2, "grpc export accepted by collector:4317 (4 ms)"),
        Step("collector-health", Stage.COLLECTOR, P, 2.0, "health_check: Server available"),
        Step("jaeger-query", Stage.JAEGER, P, 3.0, "API v3 answers; 2 service(s): otdiag-check, shop"),
        *extra,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_healthy_pipeline_shows_every_hop_passed_and_says_healthy(width: int) -> None:
    e2e = Step("end-to-end", Stage.JAEGER, P, 310.0, "test trace 4bf92f3577b34da6a3ce929d0e0e4736 visible in Jaeger after 280 ms", JAEGER)  # fmt: skip
    lines = screen(CheckResult(steps=steps(e2e), trace_id="4bf92f3577b34da6a3ce929d0e0e4736", time_to_visible_ms=280.0), width)  # fmt: skip
    assert lines[0] == "  App ✓ ──▶ SDK ✓ ──▶ Collector ✓ ──▶ Jaeger ✓"
    assert any(
        line.split() == ["✓", "collector-health", "health_check:", "Server", "available", "2", "ms"] for line in lines
    )
    assert any("4bf92f3577b34da6a3ce929d0e0e4736" in line for line in lines), "the trace ID is never cut"
    assert lines[-1] == "Healthy: every hop that was probed answered."


@pytest.mark.parametrize("width", WIDTHS)
def test_a_broken_hop_is_marked_and_its_fix_is_printed_under_its_finding(width: int) -> None:
    failed = c.EXPORT_FAILED(
        "Exporter otlp/jaeger failed to send 1 span(s) while the test span passed.",
        target="otlp/jaeger",
        evidence=["otelcol_exporter_send_failed_spans{exporter=otlp/jaeger} +1"],
    )
    e2e = Step("end-to-end", Stage.COLLECTOR_EXPORT, F, 15020.0, f"test trace not visible after 15.0s: {failed.message}", JAEGER)  # fmt: skip
    lines = screen(CheckResult(findings=(failed,), steps=steps(e2e)), width)
    # Jaeger answers: the arrow from the collector's exporter to it is what is broken, not Jaeger.
    assert lines[0] == "  App ✓ ──▶ SDK ✓ ──▶ Collector ✓ ─✗─▶ Jaeger ✓"
    text = "\n".join(lines)
    assert "Traces are not being displayed in Jaeger" in text
    heading = lines.index("Traces are not being displayed in Jaeger")
    assert lines[heading + 1].startswith("  ✗ Exporter otlp/jaeger failed to send 1 span(s)")
    fix = next(line for line in lines[heading:] if line.lstrip().startswith("fix:"))
    assert fix.startswith("    fix: Read the exporter error in the collector's log")
    assert "· otelcol_exporter_send_failed_spans{exporter=otlp/jaeger} +1" in text
    verdict = " ".join(line.strip() for line in lines[lines.index("", heading) + 1 :])
    assert verdict.startswith("Broken between the Collector and Jaeger: Traces are not being displayed in Jaeger")


def chain_result(*, lost: bool) -> CheckResult:
    gw_status = F if lost else P
    chain = ChainReport(
        (
            TierMark("agent", "agent.yaml", "http://agent:8888/metrics", P),
            TierMark("gateway", "gateway.yaml", "http://gateway:8888/metrics", gw_status),
        ),
        (
            HopMark("agent", "otlp/gateway", "gateway", "gateway:4317", P),
            HopMark("gateway", "otlp/jaeger", "Jaeger", "jaeger:4317", S if lost else P),
        ),
        LostAt("gateway", None, "collector.processor-dropped") if lost else None,
    )
    findings = (
        (
            c.COLLECTOR_DROPPED(
                "gateway: Processor filter/drop dropped the test span (1 in, 0 out).",
                target="filter/drop",
                evidence=["otelcol_processor_incoming_items{processor=filter/drop} +1, outgoing +0"],
            ),
        )
        if lost
        else ()
    )
    return CheckResult(findings=findings, steps=steps(), chain=chain)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_chain_of_collectors_is_drawn_tier_by_tier_with_where_the_span_was_lost(width: int) -> None:
    healthy = screen(chain_result(lost=False), width)
    assert healthy[0] == "  App ✓ ──▶ agent ✓ ─✓─▶ gateway ✓ ─✓─▶ Jaeger ✓"
    lines = screen(chain_result(lost=True), width)
    assert lines[0].startswith("  App ✓ ──▶ agent ✓ ─✓─▶ gateway ✗ ─?─▶ Jaeger ")
    assert lines[1] == "  lost in gateway (collector.processor-dropped)"
    assert any(line.startswith("  ✗ gateway: Processor filter/drop dropped the test span") for line in lines)
    verdict = " ".join(line.strip() for line in lines[len(lines) - 1 - lines[::-1].index("") + 1 :])
    assert verdict == (
        "Broken in the Collector: Traces are not being displayed in Jaeger"
        " - gateway: Processor filter/drop dropped the test span (1 in, 0 out)."
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_fleet_is_a_table_worst_first_with_the_test_spans_path(width: int) -> None:
    rows = (
        Row(
            "collector-gateway-0.observability:8888",
            "gateway",
            accepted=12_000,
            send_failed=1_500,
            queue_size=900,
            queue_capacity=1000,
        ),
        Row("collector-agent-0:8888", "agent", accepted=12_345),
    )
    path = (
        PathStep(instance="collector-agent-0:8888", tier="agent", accepted=1, sent={"otlp/gateway": 1}, lost=None),
        PathStep(
            instance="collector-gateway-0.observability:8888", tier="gateway", accepted=1, sent={}, lost="export.failed"
        ),
    )
    fleet = FleetReport("http://prometheus:9090", None, "job", 300.0, rows, (Instance("collector-agent-1:8888", "agent"),), path)  # fmt: skip
    prom = Step("prometheus", Stage.COLLECTOR, F, 40.0, "2 collector instance(s) in 2 tier(s); 1 of them lost spans in the last 300s")  # fmt: skip
    lines = screen(CheckResult(steps=steps(prom), fleet_asked=True, fleet=fleet), width)
    title = lines.index("Collectors seen by Prometheus (2, over 300s, worst first)")
    assert lines[title + 1].split() == [
        "instance",
        "tier",
        "accepted",
        "refused",
        "dropped",
        "failed",
        "q-full",
        "queue",
    ]
    assert lines[title + 2].startswith(
        "  collector-gateway-… gateway       12.0k       0       0    1.5k       0    90%"
    )
    assert lines[title + 3].startswith("  collector-agent-0:… agent         12.3k")
    assert lines[title + 4] == "  test span through: agent ✓ ──▶ gateway ✗"


@pytest.mark.parametrize("width", WIDTHS)
def test_prometheus_label_values_are_text_never_markup(width: int) -> None:
    """Labels come from the network: `[fe80::1]` is shown as written, `[/]` is no closing tag, ESC is escaped."""
    rows = (Row("[fe80::1]:8888", "[/]", accepted=5, dropped=1), Row("[bold]x:1", "t\x1b[2J", accepted=3))
    path = (
        PathStep(instance="[fe80::1]:8888", tier="", accepted=1, sent={}, lost=None),
        PathStep(instance="x:1", tier="[/]", accepted=1, sent={}, lost="export.failed"),
        PathStep(instance="y:1", tier="[red]t", accepted=1, sent={}, lost=None),
    )
    fleet = FleetReport("http://prometheus:9090", None, "job", 300.0, rows, (), path)
    prom = Step("prometheus", Stage.COLLECTOR, F, 40.0, "2 collector instance(s)")
    lines = screen(CheckResult(steps=steps(prom), fleet_asked=True, fleet=fleet), width)
    text = "\n".join(lines)
    assert "\x1b" not in text
    title = lines.index("Collectors seen by Prometheus (2, over 300s, worst first)")
    assert lines[title + 2].startswith("  [fe80::1]:8888      [/]")
    assert lines[title + 3].startswith("  [bold]x:1           t\\x1b[2J  ")
    assert lines[title + 4] == "  test span through: [fe80::1]:8888 ✓ ──▶ [/] ✗ ──▶ [red]t ✓"


def test_otdiags_own_input_marks_no_hop_and_is_not_called_broken() -> None:
    unreachable = c.KINDS["ingest.refused"]("--prometheus-url http://127.0.0.1:9 does not answer.", stage=Stage.OTDIAG)
    lines = screen(CheckResult(findings=(unreachable,), steps=steps()), 80)
    assert lines[0] == "  App ✓ ──▶ SDK ✓ ──▶ Collector ✓ ──▶ Jaeger ✓"
    verdict = " ".join(lines[next(i for i, line in enumerate(lines) if line.startswith("Not checked")) :])
    assert verdict.startswith("Not checked: otdiag's input - --prometheus-url")
    assert not any("Broken" in line for line in lines)
