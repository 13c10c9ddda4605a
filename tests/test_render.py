"""The human views on fixed-width consoles (80 and 200 columns), as a user's terminal shows them.

Rich's own tests work this way: a Console with a fixed width writing into a buffer. Each test asserts
what a newcomer needs at that width: values that can be pasted back (full trace IDs), columns that give
way by priority, errors marked without colour, and wrapped lines that keep the ✓/✗ column readable.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from otdiag import catalogue as c
from otdiag.app import env_analysis
from otdiag.app.export_settings import Flags, resolve
from otdiag.check.app import app_step as _app_step
from otdiag.check.result import CheckResult
from otdiag.check.walk import _agree
from otdiag.jaeger.trace import Span, Trace
from otdiag.model import ExitCode, Finding, Location, Stage, Step, StepStatus
from otdiag.render import check as check_view
from otdiag.render import human
from otdiag.render.waterfall import layout, print_trace, print_trace_list
from tests.cli_runner import run

WIDTHS = (80, 200)
SERVICES = [
    "frontend", "checkout-service", "cart", "payment-gateway-service", "currency", "shipping", "email",
    "recommendation", "ad", "productcatalog", "quote", "fraud-detection", "accounting",
]  # fmt: skip


def terminal(width: int) -> tuple[human.Console, io.StringIO]:
    """A terminal of `width` columns without colour (what NO_COLOR shows)."""
    buf = io.StringIO()
    return human.Console(
        file=buf, width=width, force_terminal=True, color_system=None, highlight=False, emoji=False
    ), buf


def demo_trace(spans: int = 29) -> Trace:
    """A 29-span, 13-service trace like the OpenTelemetry demo's checkout, with two error spans."""
    t0 = 1_700_000_000 * 10**9
    out = [Span(f"{1:016x}", None, "frontend", "GET /api/checkout", "server", t0, 900_000_000, "ok")]
    for i in range(2, spans + 1):
        svc = SERVICES[i % len(SERVICES)]
        out.append(
            Span(
                f"{i:016x}",
                f"{max(1, i // 2):016x}",
                svc,
                f"oteldemo.{svc.title()}Service/Operation{i}",
                "client" if i % 2 else "server",
                t0 + i * 25_000_000,
                (i * 7_919) % 80_000_000 + 1000,
                "error" if i in (7, 29) else "unset",
            )
        )
    return Trace("4bf92f3577b34da6a3ce929d0e0e4736", out)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_waterfall_fits_the_width_and_keeps_every_span_with_a_bar(width: int) -> None:
    console, buf = terminal(width)
    print_trace(console, demo_trace())
    lines = buf.getvalue().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("  span "))
    rows = lines[header + 1 :]  # after the summary (which wraps as prose) and the header
    assert len(rows) == 29
    assert all(cell_len(line) <= width for line in lines)
    assert all("█" in row for row in rows), "every span has a bar"
    assert all(re.search(r"\d(µs|ms|s)( +(-|ok|error))?$", row) for row in rows), "the duration stays"


def test_at_80_columns_the_optional_columns_give_way_and_the_timeline_takes_the_rest() -> None:
    narrow, wide = layout(80, 60, 23), layout(200, 60, 23)
    assert narrow.bar >= 10 and narrow.duration and narrow.name >= 16
    assert narrow.status == 0, "status gives way first at 80 columns (the ✗ mark stays)"
    assert wide.service and wide.kind and wide.start and wide.status, "at 200 columns every column is shown"
    assert wide.bar > 32, "the timeline grows on a wide terminal"


@pytest.mark.parametrize("width", WIDTHS)
def test_error_spans_are_marked_without_colour(width: int) -> None:
    console, buf = terminal(width)
    print_trace(console, demo_trace())
    marked = [line for line in buf.getvalue().splitlines() if line.startswith("✗ ")]
    assert len(marked) == 2
    if width >= 200:
        assert "Operation7 " in marked[0] and marked[0].rstrip().endswith("error")


@pytest.mark.parametrize("width", WIDTHS)
def test_search_results_show_the_full_trace_id_and_jaegers_columns(width: int) -> None:
    console, buf = terminal(width)
    traces = [demo_trace(), Trace("0af7651916cd43dd8448eb211c80319c", demo_trace(3).spans)]
    print_trace_list(console, traces)
    lines = buf.getvalue().splitlines()
    assert lines[0].split()[:6] == ["trace", "id", "start", "spans", "errors", "duration"]
    assert lines[1].strip() == "root operation · services"
    assert lines[2].startswith("4bf92f3577b34da6a3ce929d0e0e4736 ")
    assert any(line.startswith("0af7651916cd43dd8448eb211c80319c ") for line in lines[3:])
    assert " 29 " in lines[2] and "✗ 2" in lines[2]
    assert all(cell_len(line) <= width for line in lines)
    # Root operation and services are never dropped: on a wrapped line under the row when they do not fit.
    below = " ".join(line.strip() for line in lines[3 : lines.index(next(x for x in lines if x.startswith("0af7")))])
    assert below.startswith("frontend: GET /api/checkout · accounting, ad, cart,"), below
    assert "shipping" in below


@pytest.mark.parametrize("width", WIDTHS)
def test_check_report_wraps_with_a_hanging_indent(width: int) -> None:
    long = "Nothing listens at http://collector.observability.svc.cluster.local:4318/v1/traces (connection refused)."
    report = CheckResult(
        findings=(c.INGEST_REFUSED(long, target="http://collector:4318"),),
        steps=(
            Step("collector-otlp-http", Stage.COLLECTOR_INGEST, StepStatus.FAIL, 12.0, long),
            Step("jaeger-query", Stage.JAEGER, StepStatus.PASS, 3.0, "API v3 answers; 2 services"),
        ),
    )
    console, buf = terminal(width)
    check_view.print_check(console, report)
    lines = buf.getvalue().splitlines()
    assert all(cell_len(line) <= width for line in lines)
    step = lines.index(next(line for line in lines if "collector-otlp-http" in line))
    if width == 80:
        # The URL does not fit beside the step's name: the detail goes below the name (stacked), indented,
        # and wraps under itself, never at column 0 and never inside the URL.
        assert lines[step].strip() == "✗ collector-otlp-http"
        detail = lines[step + 1 : step + 4]
        assert detail == [
            "      Nothing listens at",
            "      http://collector.observability.svc.cluster.local:4318/v1/traces",
            "      (connection refused). 12 ms",
        ]
        fix = next(i for i, line in enumerate(lines) if line.lstrip().startswith("fix:"))
        assert lines[fix + 1].startswith(" " * len("    fix: ")), "the fix wraps under its text"
    else:
        assert "(connection refused). 12 ms" in lines[step]
    verdict = buf.getvalue().split("\n\n")[-1]
    assert verdict.startswith("Broken between the app and the Collector")


@pytest.mark.parametrize("width", WIDTHS)
def test_validate_report_reads_at_the_width(width: int) -> None:
    f = c.KINDS["config.yaml-syntax"](
        "yaml: mapping values are not allowed in this context, which usually means a missing space after a colon",
        location=Location("collector.yaml", 3, 14),
    )
    from otdiag.render import validate as validate_view

    console, buf = terminal(width)
    validate_view.print_config_files(
        console, [("collector.yaml", [f], ["receivers:", "  otlp:", "    protocols:grpc:"])]
    )
    lines = buf.getvalue().splitlines()
    assert all(cell_len(line) <= width for line in lines)
    assert lines[0] == "✗ collector.yaml"
    assert any(line.rstrip().endswith("^") for line in lines), "the code frame has its caret"
    assert lines[-1] == "invalid: 1 file, 1 error, 0 warnings, 0 notes"


def test_plurals_read_as_english() -> None:
    assert human.plural(1, "span") == "1 span"
    assert human.plural(0, "span") == "0 spans"
    assert human.plural(1024, "trace") == "1,024 traces"


def test_the_verdict_names_where_without_a_broken_sentence() -> None:
    report = CheckResult(findings=(c.APP_SAMPLER_OFF("OTEL_TRACES_SAMPLER=always_off: no span is ever recorded."),))
    assert check_view.verdict(report).startswith("[bold red]Broken in the app[/]: Spans are not being created")
    doubled = CheckResult(findings=(c.APP_PATH_DOUBLED("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT has /v1/traces twice."),))
    assert check_view.verdict(doubled).startswith("[bold red]Broken in the app's SDK settings[/]")


# --- no contradictions ----------------------------------------------------------------------------


def test_with_no_otel_variable_the_app_and_sdk_hops_are_unknown_not_healthy() -> None:
    settings = resolve(Flags(), {})
    step = _app_step([], [], settings)
    assert step.status is StepStatus.SKIP and "not seen" in step.detail
    marks = check_view.hop_marks(CheckResult(steps=(step,)))
    assert marks["App"] is StepStatus.SKIP and marks["SDK"] is StepStatus.SKIP


def test_an_app_that_exports_with_jaeger_is_not_said_to_export_over_otlp() -> None:
    env = {"OTEL_TRACES_EXPORTER": "jaeger", "OTEL_SERVICE_NAME": "x"}
    view = env_analysis.analyse(env)
    step = _app_step(list(env), view.findings, resolve(Flags(), env))
    assert step.status is StepStatus.FAIL
    assert "exports" not in step.detail and "Jaeger exporter no longer exists" in step.detail


@pytest.mark.parametrize(("ratio", "severity"), [("0.01", "warning"), ("0.25", "warning"), ("0.9", "info")])
def test_a_ratio_sampler_that_drops_most_test_requests_gets_a_warning(ratio: str, severity: str) -> None:
    env = {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": ratio, "OTEL_SERVICE_NAME": "x"}
    found = [f for f in env_analysis.analyse(env).findings if f.code == "app.sampler-low-ratio"]
    assert [f.severity.value for f in found] == [severity]
    if ratio == "0.01":
        assert "about 1 in 100" in found[0].message and "99%" in found[0].message


def test_a_failed_step_is_backed_by_a_finding_or_is_not_a_failure() -> None:
    from otdiag.check.probes import Probe as _Probe

    failed = Step("exporter otlp/jaeger", Stage.COLLECTOR_EXPORT, StepStatus.FAIL, 5.0, "'jaeger' does not resolve")
    probe = _Probe(failed, [c.EXPORT_KINDS["dns"]("The collector's exporter otlp/jaeger: 'jaeger' does not resolve.")])
    findings: list[Finding] = []
    steps = _agree([failed], findings, [probe], e2e_passed=True)
    assert steps[0].status is StepStatus.WARN and "test span reached Jaeger" in steps[0].detail
    assert [f.severity.value for f in findings] == ["info"]
    # Nothing got through and nothing else explains it: the exporter's own finding stands as an error.
    findings = list(probe.findings)
    assert _agree([failed], findings, [probe], e2e_passed=False)[0].status is StepStatus.FAIL


def test_an_endpoint_taken_from_the_config_is_credited_to_the_config(tmp_path: Path) -> None:
    cfg = tmp_path / "collector.yaml"
    cfg.write_text(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:1\n"
        "exporters:\n  debug: {}\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
        "      exporters: [debug]\n"
    )
    res = run("check", "--config", str(cfg), "--env-file", "/dev/null", "--timeout", "1s", "--no-e2e", "--json")
    app = next(s for s in res.json()["steps"] if s["name"] == "app-env")
    assert f"the OTLP receiver of {cfg}" in app["detail"]
    assert "(--endpoint)" not in app["detail"]


# --- consistent flags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--timeout", "1500ms", "--endpoint", "http://127.0.0.1:1", "--no-e2e", "--env-file", "/dev/null"],
        ["send-test-span", "--timeout", "1s", "--otlp-endpoint", "http://127.0.0.1:1", "--service", "shop"],
        ["find-trace", "abc", "--timeout", "1s", "--jaeger-url", "http://127.0.0.1:1"],
    ],
)
def test_durations_with_units_and_shared_flag_names_are_accepted(args: list[str]) -> None:
    res = run(*args, "--json")
    assert res.exit_code == ExitCode.PROBLEM, res.stderr  # parsed, then the dead endpoint is a finding
    assert res.json()["findings"]


def test_send_uses_the_service_alias() -> None:
    res = run("send-test-span", "--service", "shop", "--endpoint", "http://127.0.0.1:1", "--json", "--timeout", "1s")
    assert res.exit_code == ExitCode.PROBLEM, res.stderr  # accepted as --service-name; the endpoint is dead


def test_listen_and_run_take_durations() -> None:
    res = run("listen", "--stop-after", "300ms", "--quiet", "--grpc-endpoint", "127.0.0.1:0",
              "--http-endpoint", "off", "--query-endpoint", "off")  # fmt: skip
    assert res.exit_code == ExitCode.OK, res.stderr
    res = run("run", "--timeout", "5s", "--grace", "100ms", "--json", "--", "true")
    assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM), res.stderr


def test_a_bad_duration_is_one_line_and_exit_2() -> None:
    res = run("check", "--timeout", "soon", env={"COLUMNS": "1000"})
    assert res.exit_code == ExitCode.USAGE
    assert "'soon' is not a duration" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_short_version_flag() -> None:
    res = run("-V")
    assert res.exit_code == 0 and res.stdout.startswith("otdiag ")


def test_shell_completion_is_offered() -> None:
    res = run("--help")
    assert "--install-completion" in res.stdout and "--show-completion" in res.stdout


@pytest.mark.parametrize("command", ["check", "send-test-span", "find-trace", "listen", "run", "validate-config"])
def test_help_reads_at_80_columns(command: str) -> None:
    res = run(command, "--help", env={"COLUMNS": "80"})
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert "…" not in res.stdout, "no option or variable name is cut"
    assert "<bool>" not in res.stdout and "<str>" not in res.stdout.split("Options:")[1]
    examples = res.stdout.split("Examples:")[1].split("Options:")[0]
    assert examples.count("otdiag ") >= 2


def test_graph_only_puts_the_diagram_alone_on_stdout(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "receivers:\n  otlp:\n    protocols:\n      grpc: {}\nexporters:\n  debug: {}\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"
    )
    res = run("validate-config", "--graph-only", str(cfg))
    assert res.exit_code == ExitCode.OK
    assert res.stdout.startswith("graph LR\n")
    assert "valid:" in res.stderr and "valid:" not in res.stdout


def test_screen_order_is_diagnosis_order_and_notes_get_no_guide_heading() -> None:
    """The first ✗ on screen is the verdict's first error; a heading never stands over notes alone."""
    import io

    from otdiag import catalogue as cat
    from otdiag.model import GUIDE_TITLES, Guide
    from otdiag.render import human as h

    created, collected = GUIDE_TITLES[Guide.SPANS_NOT_CREATED], GUIDE_TITLES[Guide.TRACES_NOT_COLLECTED]

    sampler = cat.APP_SAMPLER_OFF("OTEL_TRACES_SAMPLER=traceidratio with ratio 0: every span is dropped.")
    path = cat.APP_PATH_DOUBLED("OTEL_EXPORTER_OTLP_ENDPOINT ends in /v1/traces: the SDK will POST to it twice.")
    note = cat.INGEST_REFUSED("only a note here", severity=cat.INFO)
    console = h.make_console(width=80, no_color=True)
    console.file = io.StringIO()
    h.print_findings(console, [sampler, path, note])
    text = console.file.getvalue()
    first_error = next(line for line in text.splitlines() if line.lstrip().startswith("✗"))
    assert "ratio 0" in first_error, text
    assert (sampler.guide, path.guide, note.guide) == (Guide.SPANS_NOT_CREATED, Guide.TRACES_NOT_COLLECTED,
                                                       Guide.TRACES_NOT_COLLECTED)  # fmt: skip
    assert text.index(created) < text.index(collected)
    assert text.count(collected) == 1  # the path's heading, not one over the note
    healthy = h.make_console(width=80, no_color=True)
    healthy.file = io.StringIO()
    h.print_findings(healthy, [note])
    assert collected not in healthy.file.getvalue()
    assert healthy.file.getvalue().startswith("Notes")
