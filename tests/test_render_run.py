"""`otdiag run`'s human view on fixed-width consoles (80 and 120 columns), from typed results.

Each test builds the RunResult the core would return for one kind of app and asserts what a reader
sees: how many spans arrived and where from, the trace IDs to paste into find-trace, what the
observer saw inside the app, the findings with their fixes, and that no line is wider than the
terminal.
"""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len

from otdiag import catalogue as c
from otdiag.app import runner as core
from otdiag.model import Finding, Location
from otdiag.observe.observed import NOT_LOADED, ExporterSeen, Observed, ProviderSeen, SpanCounts
from otdiag.render import human
from otdiag.render import run as view

WIDTHS = (80, 120)
ENDPOINT = "http://127.0.0.1:39411"


def render(width: int, result: core.RunResult) -> list[str]:
    buf = io.StringIO()
    console = human.Console(file=buf, width=width, force_terminal=True, color_system=None, highlight=False, emoji=False)
    view.print_run(console, result)
    lines = buf.getvalue().splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, too_wide
    return lines


def flat(lines: list[str]) -> str:
    """The lines as one text, wrapped lines joined again."""
    return " ".join(line.strip() for line in lines)


def result(
    *,
    spans: int = 0,
    trace_ids: tuple[str, ...] = (),
    operations: dict[str, dict[str, int]] | None = None,
    status: int = 0,
    observer: Observed = NOT_LOADED,
    findings: tuple[Finding, ...] = (),
    removed: tuple[str, ...] = (),
) -> core.RunResult:
    ops = operations or {}
    return core.RunResult(
        findings=findings,
        app=core.AppExit(("python", "app.py"), status, 1.24),
        environment=core.AppEnvironment(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT, "OTEL_EXPORTER_OTLP_INSECURE": "true"}, removed
        ),
        received=core.Received(
            endpoint=ENDPOINT, also_receiving=(), spans=spans, traces=len(trace_ids), trace_ids=trace_ids,
            services={s: sum(o.values()) for s, o in ops.items()}, operations=ops,
            transports={"grpc": 1} if spans else {}, first_span_after_ms=None, last_span_before_exit_ms=None,
        ),
        observer=observer,
    )  # fmt: skip


def observed(
    *,
    provider: ProviderSeen | None = None,
    spans: SpanCounts | None = None,
    exporters: tuple[ExporterSeen, ...] = (),
) -> Observed:
    return Observed(
        loaded=True, processes=1, python="3.11.9", provider=provider, spans=spans or SpanCounts(),
        exporters=exporters,
    )  # fmt: skip


SDK = ProviderSeen("opentelemetry.sdk.trace.TracerProvider", "app.py:9", "ParentBased{root:AlwaysOnSampler{}}", "shop")
OTLP = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter.OTLPSpanExporter"


@pytest.mark.parametrize("width", WIDTHS)
def test_an_app_that_created_spans(width: int) -> None:
    ids = tuple(f"{i:032x}" for i in range(1, 8))
    seen = observed(
        provider=SDK,
        spans=SpanCounts(started=9, recording=9, sampled=9, ended=9),
        exporters=(ExporterSeen(OTLP, ENDPOINT, "grpc", 9, {"SUCCESS": 3}),),
    )
    ops = {"shop": {"GET /orders": 7, "SELECT orders": 2}}
    lines = render(width, result(spans=9, trace_ids=ids, operations=ops, observer=seen))
    assert lines[0] == "✓ the app emitted 9 spans in 7 traces (exit status 0, ran 1.2s)"
    assert "  shop: 9 spans" in lines
    assert "         7  GET /orders" in lines and "         2  SELECT orders" in lines
    assert "  trace IDs (newest 5 of 7):" in lines  # the count is of the IDs listed
    assert all(f"    {tid}" in lines for tid in ids[:5]) and ids[5] not in "\n".join(lines)
    text = flat(lines)  # a long line wraps at a space
    assert f"set for the app: OTEL_EXPORTER_OTLP_ENDPOINT={ENDPOINT}" in text
    assert "inside the app: TracerProvider built at app.py:9, sampler ParentBased{root:AlwaysOnSampler{}}" in text
    assert "  spans: 9 started, 9 sampled, 9 ended, 0 no-op" in lines
    assert f"  OTLPSpanExporter → {ENDPOINT}: SUCCESS 3" in lines
    assert "fix:" not in text  # nothing to fix


@pytest.mark.parametrize("width", WIDTHS)
def test_a_signal_is_named_not_a_negative_status(width: int) -> None:
    lines = render(width, result(status=-2, spans=0))
    assert lines[0] == "✗ the app emitted no spans (exit status killed by SIGINT)"
    assert "-2" not in lines[0]


@pytest.mark.parametrize("width", WIDTHS)
def test_an_app_with_no_tracer_provider(width: int) -> None:
    found = c.APP_NO_PROVIDER(
        "3 span(s) were started on the no-op tracer: no SDK TracerProvider was ever set; the first at app.py:7.",
        location=Location("app.py", 7, 1),
    )
    seen = observed(spans=SpanCounts(started=0, noop=3))
    lines = render(width, result(status=0, observer=seen, findings=(found,)))
    text = "\n".join(lines)
    assert lines[0] == "✗ the app emitted no spans (exit status 0)"
    assert "  inside the app: no SDK TracerProvider was set" in lines
    assert "  spans: 0 started, 0 sampled, 0 ended, 3 no-op" in lines
    assert "Spans are not being created" in lines
    assert "  ✗ 3 span(s) were started on the no-op tracer" in text
    assert "(app.no-provider) app.py:7:1" in " ".join(line.strip() for line in lines)
    assert any(line.startswith("    fix: ") for line in lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_app_whose_exporter_failed(width: int) -> None:
    exporter = ExporterSeen(OTLP, "http://127.0.0.1:1", "grpc", 2, {"FAILURE": 2})
    found = c.KINDS["app.export-failed"](
        f"OTLPSpanExporter failed to export 2 span(s) to http://127.0.0.1:1, not otdiag's receiver ({ENDPOINT}): "
        "the endpoint is set in the code: StatusCode.UNAVAILABLE",
        target="http://127.0.0.1:1",
        evidence=[f"{OTLP} → http://127.0.0.1:1: FAILURE 2"],
    )
    seen = observed(provider=SDK, spans=SpanCounts(started=2, recording=2, sampled=2, ended=2), exporters=(exporter,))
    lines = render(width, result(observer=seen, findings=(found,)))
    text = "\n".join(lines)
    assert "  OTLPSpanExporter → http://127.0.0.1:1: FAILURE 2" in lines
    assert "Traces are not being collected" in lines
    assert "  ✗ OTLPSpanExporter failed to export 2 span(s)" in text
    joined = " ".join(line.strip() for line in lines)
    assert "StatusCode.UNAVAILABLE (app.export-failed)" in joined
    assert f"· {OTLP} → http://127.0.0.1:1: FAILURE 2" in joined  # the evidence line


@pytest.mark.parametrize("width", WIDTHS)
def test_the_observer_facts_read_in_a_few_short_lines(width: int) -> None:
    long_sampler = "ParentBased{root:TraceIdRatioBased{0.000001},remoteParentSampled:AlwaysOnSampler{},x:y}"
    provider = ProviderSeen("opentelemetry.sdk.trace.TracerProvider", None, long_sampler, None)
    exporters = tuple(ExporterSeen(f"pkg.Exporter{i}", None, None, 0, {}) for i in range(6))
    lines = render(width, result(observer=observed(provider=provider, exporters=exporters), removed=("A", "B")))
    text = flat(lines)
    # Nothing is cut or dropped (issue 23): the whole sampler, broken after its commas, and every exporter.
    assert f"inside the app: TracerProvider, sampler {long_sampler.replace(',', ', ')}" in text
    assert [line for line in lines if "never called" in line] == [f"  Exporter{i}: never called" for i in range(6)]
    assert "more exporter" not in text
    assert "removed (they would bypass the receiver): A, B" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_without_the_observer_no_inside_the_app_line(width: int) -> None:
    lines = render(width, result(spans=1, trace_ids=("ab" * 16,), operations={"svc": {"op": 1}}))
    assert lines[0].startswith("✓ the app emitted 1 span in 1 trace ")
    assert not any("inside the app" in line or line.startswith("  spans:") for line in lines)


def test_run_prints_the_full_trace_ids_it_received() -> None:
    ids = tuple(f"{i:032x}" for i in range(1, 8))
    lines = render(80, result(spans=9, trace_ids=ids, operations={"orders": {"GET /orders": 9}}))
    out = "\n".join(lines)
    assert "trace IDs (newest 5 of 7):" in out  # the count is of the IDs listed
    assert all(f"    {tid}" in out for tid in ids[:5]) and ids[5] not in out


def test_the_start_line_names_the_receiver_and_the_command() -> None:
    buf = io.StringIO()
    console = human.Console(file=buf, width=120, force_terminal=True, color_system=None)
    view.print_start(console, core.Started(ENDPOINT, ("127.0.0.1:4317", "127.0.0.1:4318"), ("python", "[b]app.py")))
    assert flat(buf.getvalue().splitlines()) == (
        f"otdiag run: OTLP receiver at {ENDPOINT} (gRPC and HTTP, also the default ports 127.0.0.1:4317 and "
        "127.0.0.1:4318); running python [b]app.py"
    )


def test_another_runtimes_exporter_is_never_called_only_when_nothing_arrived() -> None:
    """A JVM's exporter runs in its shutdown hook, after the observer's last report: spans that arrived say so."""
    from io import StringIO

    from otdiag.render.human import Console
    from otdiag.render.run import print_runtime_facts
    from otdiag.run.facts import ExporterFact, RuntimeFacts

    facts = RuntimeFacts("java", loaded=True, how="javaagent", exporters=(ExporterFact("OtlpGrpcSpanExporter"),))
    shown = {}
    for received in (0, 3):
        out = StringIO()
        print_runtime_facts(Console(file=out, width=80, no_color=True), facts, received=received)
        shown[received] = " ".join(out.getvalue().split())
    assert "OtlpGrpcSpanExporter: never called" in shown[0]
    assert "never called" not in shown[3] and "not seen by the observer" in shown[3]
