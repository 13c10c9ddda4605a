"""send-test-span's and find-trace's human views on fixed-width terminals (80 and 120 columns).

Each view is built from the typed result its command's core returns, with findings made by the real
core code (ingest, trace analysis), and read the way a user's terminal shows it: what is said, the
values that can be pasted back, and no line wider than the terminal.
"""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len

from otdiag import catalogue as c
from otdiag.app.export_settings import Flags, Settings, resolve
from otdiag.collector import attempt_findings
from otdiag.jaeger.client import Api, Fetched, SearchQuery
from otdiag.jaeger.lookup import ById, FindResult, Found, Search
from otdiag.jaeger.trace import Span, Trace
from otdiag.jaeger.trace_analysis import analyse
from otdiag.otlp.exporter import attempt_of
from otdiag.otlp.result import ExportResult
from otdiag.otlp.sender import LoadOutcome, Outcome, SendResult, Verification, explain, settings_notes
from otdiag.render import human
from otdiag.render.find import print_find
from otdiag.render.send import print_send

WIDTHS = (80, 120)
TID = "4bf92f3577b34da6a3ce929d0e0e4736"
SID = "00f067aa0ba902b7"
JAEGER = "http://jaeger.observability.svc.cluster.local:16686"


def terminal(width: int) -> tuple[human.Console, io.StringIO]:
    """A terminal of `width` columns without colour (what NO_COLOR shows)."""
    buf = io.StringIO()
    return human.Console(
        file=buf, width=width, force_terminal=True, color_system=None, highlight=False, emoji=False
    ), buf


def shown(width: int, draw: object) -> list[str]:
    console, buf = terminal(width)
    draw(console)  # type: ignore[operator]
    lines = buf.getvalue().splitlines()
    # A line holding a link is soft-wrapped: the terminal wraps it, and a copy gives the URL back whole.
    too_wide = [line for line in lines if cell_len(line) > width and "://" not in line]
    assert not too_wide, f"wider than {width} columns: {too_wide}"
    return lines


def settings(**env: str) -> Settings:
    return resolve(Flags(), {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.observability:4318", **env})


def outcome(s: Settings, result: ExportResult, *, sent: int = 1) -> Outcome:
    finding = attempt_findings.from_result(result, attempt_of(s), sent_spans=sent)
    rejected = min(result.rejected_spans, sent) if result.ok else 0
    accepted = sent - rejected if result.ok else 0
    findings = [finding] if finding else []
    return Outcome(TID, SID, sent, accepted, rejected, 12.34, result, None, findings)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_accepted_span_shows_its_ids_the_link_and_where_each_setting_came_from(width: int) -> None:
    s = settings()
    result = SendResult(settings=s, sent=outcome(s, ExportResult(True, "200")), jaeger=JAEGER)
    lines = shown(width, lambda con: print_send(con, result))
    assert lines[0].startswith("✓ Accepted by http://collector.observability:4318/v1/traces (http/protobuf)")
    assert f"  trace_id   {TID}" in lines and f"  span_id    {SID}" in lines
    link = f"{JAEGER}/trace/{TID}"
    assert f"  jaeger     {link}" in lines, "the link is never folded: a copy gives it back whole"
    endpoint = next(line for line in lines if line.startswith("  endpoint "))
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in endpoint or width == 80
    assert not any("✓ visible in Jaeger" in line for line in lines), "not verified: nothing claimed"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_rejected_span_says_not_accepted_and_gives_the_receivers_reason_and_the_fix(width: int) -> None:
    s = settings()
    res = ExportResult(False, "401", "missing or invalid api key", http_status=401)
    result = SendResult(settings=s, sent=outcome(s, res), findings=tuple(outcome(s, res).findings))
    lines = shown(width, lambda con: print_send(con, result))
    text = "\n".join(lines)
    assert lines[0] == "✗ Not accepted by http://collector.observability:4318/v1/traces (http/protobuf)"
    assert "✗ " in text.split("\n\n", 1)[1], "the finding is marked as an error without colour"
    assert "401" in text and "fix:" in text
    assert not result.ok


@pytest.mark.parametrize("width", WIDTHS)
def test_a_partially_rejected_batch_counts_what_was_accepted(width: int) -> None:
    s = settings()
    res = ExportResult(True, "200", "1 span dropped: invalid trace id", rejected_spans=1)
    out = outcome(s, res, sent=2)
    result = SendResult(settings=s, sent=out, findings=tuple(out.findings))
    lines = shown(width, lambda con: print_send(con, result))
    text = "\n".join(lines)
    assert "invalid trace id" in " ".join(text.split()), "the receiver's own words are shown"
    assert "1 span(s)" in lines[0] or lines[0].startswith("✗ Not accepted")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_verified_span_says_when_jaeger_showed_it(width: int) -> None:
    s = settings()
    result = SendResult(
        settings=s, sent=outcome(s, ExportResult(True, "200")), jaeger=JAEGER, verification=Verification(True, 1234.5)
    )
    lines = shown(width, lambda con: print_send(con, result))
    assert "  ✓ visible in Jaeger after 1.23s" in lines
    assert result.to_json()["verified"] is True and result.to_json()["time_to_visible_ms"] == 1234.5


@pytest.mark.parametrize("width", WIDTHS)
def test_a_span_jaeger_never_showed_is_a_finding_not_a_success(width: int) -> None:
    s = settings()
    lost = c.TRACE_NOT_VISIBLE(
        f"The receiver accepted trace {TID}, but Jaeger at {JAEGER} did not show it within 30s.", target=JAEGER
    )
    v = Verification(False, findings=(lost,))
    result = SendResult(
        settings=s, sent=outcome(s, ExportResult(True, "200")), jaeger=JAEGER, verification=v, findings=(lost,)
    )
    lines = shown(width, lambda con: print_send(con, result))
    text = " ".join(" ".join(lines).split())
    # The headline is the findings' verdict: accepted by the receiver, not shown by Jaeger (not "not accepted").
    assert lines[0].startswith("✗ Not visible in Jaeger: accepted by"), lines[0]
    assert not any("Not accepted" in line or "✓ visible in Jaeger" in line for line in lines)
    first_error = next(f for f in result.findings if f.severity.value == "error")
    assert first_error.code == "trace.not-visible" and result.to_json()["ok"] is False
    assert "did not show it within 30s" in text and "Traces are not being displayed in Jaeger" in text
    assert result.to_json()["verified"] is False


@pytest.mark.parametrize("width", WIDTHS)
def test_a_load_run_is_one_summary_line_of_counts_and_rate(width: int) -> None:
    s = settings()
    load = LoadOutcome(sent=100_000, accepted=99_488, rejected=512, failed=0, duration_s=2.5, findings=[])
    result = SendResult(settings=s, sent=load)
    lines = shown(width, lambda con: print_send(con, result))
    text = " ".join(" ".join(lines).split())
    assert text.startswith("✓ sent 100000 spans to http://collector.observability:4318/v1/traces")
    assert "99488 accepted, 512 rejected, 0 failed in 2.50s (39795 spans/s)" in text
    assert "trace_id" not in text, "a load run has no single trace to show"
    doc = result.to_json()
    assert doc["trace_id"] is None and doc["spans_per_second"] == 39795.2 and doc["failed"] == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_shows_each_setting_with_its_origin_and_never_a_secret(width: int) -> None:
    s = settings(
        OTEL_EXPORTER_OTLP_ENDPOINT="https://user:hunter2@collector:4318",
        OTEL_EXPORTER_OTLP_HEADERS="api-key=s3cr3t-value",
        OTEL_EXPORTER_OTLP_COMPRESSION="gzip",
        OTEL_EXPORTER_OTLP_TIMEOUT="abc",
    )
    result = explain(s)
    lines = shown(width, lambda con: print_send(con, result))
    text = "\n".join(lines)
    assert lines[0] == "Resolved OTLP trace-export settings"
    names = [line.split()[0] for line in lines[1:] if line.startswith("  ") and not line.startswith("   ")]
    assert names[:4] == ["endpoint", "protocol", "tls", "headers"]
    assert "hunter2" not in text and "s3cr3t" not in text
    assert "api-key=<redacted>" in text
    assert "compression" in text and "gzip" in text
    assert "is not a number of milliseconds" in " ".join(text.split()), "the settings note is a finding"
    assert len(result.findings) == len(settings_notes(s)) == 1


def demo_trace() -> Trace:
    t0 = 1_700_000_000 * 10**9
    spans = [
        Span("0000000000000001", None, "frontend", "GET /api/checkout", "server", t0, 900_000_000, "ok"),
        Span("0000000000000002", "0000000000000001", "checkout", "PlaceOrder", "server", t0 + 10**7, 600_000_000, "unset"),
        Span("0000000000000003", "0000000000000002", "payment", "Charge", "client", t0 + 2 * 10**7, 80_000_000, "error"),
        Span("0000000000000004", "00000000000000ff", "email", "SendConfirmation", "server", t0 + 7 * 10**8, 10**6, "unset"),
    ]  # fmt: skip
    return Trace(TID, spans)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_found_trace_is_a_waterfall_then_the_link_then_what_is_wrong_with_it(width: int) -> None:
    trace = demo_trace()
    found = Found(Fetched([trace], raw={}, api=Api.V3), 1530.0, 4)
    link = f"{JAEGER}/trace/{TID}"
    result = FindResult(lookup=ById(TID, link, found, Api.V3, waited=True), findings=tuple(analyse(trace)))
    lines = shown(width, lambda con: print_find(con, result))
    text = " ".join(" ".join(lines).split())
    assert lines[0].startswith(f"trace {TID}")
    assert sum("█" in line for line in lines) == 4, "one bar per span"
    assert any(line.startswith("✗ ") for line in lines), "the error span is marked without colour"
    assert "(via API v3, visible after 1.5s)" in text
    assert any(line.startswith(link) for line in lines), "the link is never folded"
    assert result.findings and "fix:" in text, "the orphan span (missing parent) is reported with its fix"
    assert result.to_json()["time_to_visible_ms"] == 1530.0


@pytest.mark.parametrize("width", WIDTHS)
def test_a_trace_jaeger_does_not_have_is_only_the_finding(width: int) -> None:
    missing = c.TRACE_NOT_FOUND(f"Jaeger at {JAEGER} has no trace {TID} after waiting 2.0s.", target=JAEGER)
    result = FindResult(
        lookup=ById(TID, f"{JAEGER}/trace/{TID}", Found(None, 2000.0, 5), Api.LEGACY, waited=True),
        findings=(missing,),
    )
    lines = shown(width, lambda con: print_find(con, result))
    text = " ".join(" ".join(lines).split())
    assert lines[0] == "Traces are not being displayed in Jaeger"
    assert f"has no trace {TID} after waiting 2.0s" in text
    assert "█" not in text
    assert result.to_json()["api"] == "legacy" and result.to_json()["trace"] is None


@pytest.mark.parametrize("width", WIDTHS)
def test_search_results_list_newest_first_with_full_ids_and_a_count(width: int) -> None:
    root = Span("0000000000000009", None, "frontend", "GET /", "server", 10**18, 10**6, "unset")
    old = Trace("0af7651916cd43dd8448eb211c80319c", [root])
    q = SearchQuery(service="frontend")
    result = FindResult(lookup=Search(q, Fetched([old, demo_trace()], raw={}, api=Api.V3)))
    lines = shown(width, lambda con: print_find(con, result))
    assert lines[0].split()[:2] == ["trace", "id"]
    rows = [line.split()[0] for line in lines[1:] if line[:1] in "0123456789abcdef" and len(line.split()[0]) == 32]
    assert rows == [TID, "0af7651916cd43dd8448eb211c80319c"], "full IDs, newest first"
    assert lines[-1] == "2 traces via API v3"
    assert [t["trace_id"] for t in result.to_json()["traces"]] == [TID, "0af7651916cd43dd8448eb211c80319c"]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_search_that_finds_nothing_says_how_to_widen_it(width: int) -> None:
    none = c.TRACE_NOT_FOUND("No traces for service 'frontend' in the time range asked.", target=JAEGER)
    result = FindResult(lookup=Search(SearchQuery(service="frontend"), Fetched([], {}, Api.V3)), findings=(none,))
    lines = shown(width, lambda con: print_find(con, result))
    text = " ".join(" ".join(lines).split())
    assert "trace id" not in text, "no empty table"
    assert "No traces for service 'frontend'" in text and "fix:" in text
    assert result.to_json()["traces"] == [] and result.to_json()["api"] == "v3"


ENVELOPE = ["schema_version", "command", "ok", "findings"]
SENT = ["trace_id", "span_id", "endpoint", "protocol", "jaeger_link", "settings", "sent", "accepted", "rejected"]


def test_each_send_mode_keeps_the_json_keys_in_the_contracts_order() -> None:
    s = settings()
    one = SendResult(settings=s, sent=outcome(s, ExportResult(True, "200")), jaeger=JAEGER)
    verified = SendResult(settings=s, sent=one.sent, jaeger=JAEGER, verification=Verification(True, 1.0))
    load = SendResult(settings=s, sent=LoadOutcome(10, 10, 0, 0, 1.0, []))
    assert list(explain(s).to_json()) == [*ENVELOPE, "settings"]
    assert list(one.to_json()) == [*ENVELOPE, *SENT, "duration_ms", "receiver"]
    assert list(verified.to_json()) == [*ENVELOPE, *SENT, "duration_ms", "receiver", "verified", "time_to_visible_ms"]
    assert list(load.to_json()) == [*ENVELOPE, *SENT, "failed", "duration_ms", "spans_per_second"]
    assert load.to_json()["trace_id"] is None and load.to_json()["jaeger_link"] is None
    assert one.to_json()["jaeger_link"] == f"{JAEGER}/trace/{TID}"
    assert one.to_json()["receiver"] == {"status": "200", "message": ""}


def test_each_find_mode_keeps_the_json_keys_in_the_contracts_order() -> None:
    link = f"{JAEGER}/trace/{TID}"
    fetched = Fetched([demo_trace()], {}, Api.V3)
    failed = FindResult(lookup=ById(TID, link, None))
    missing = FindResult(lookup=ById(TID, link, Found(None, 1.0, 1), None))
    found = FindResult(lookup=ById(TID, link, Found(fetched, 1.0, 1), Api.V3))
    assert list(failed.to_json()) == [*ENVELOPE, "trace_id", "trace"]
    assert list(missing.to_json()) == [*ENVELOPE, "trace_id", "trace", "api"] and missing.to_json()["api"] is None
    assert list(found.to_json()) == [*ENVELOPE, "trace_id", "api", "jaeger_link", "time_to_visible_ms", "trace"]
    assert found.to_json()["time_to_visible_ms"] is None, "only --wait reports the time to visible"
    q = SearchQuery(service="frontend")
    assert list(FindResult(lookup=Search(q, None)).to_json()) == [*ENVELOPE, "traces"]
    assert list(FindResult(lookup=Search(q, fetched)).to_json()) == [*ENVELOPE, "api", "traces"]
