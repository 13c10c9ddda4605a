"""check's hop line when the app exports straight to Jaeger v2's own OTLP receiver (issue 23: "The hop line marks
what is broken"), against the real Jaeger v2 and, for the control case, a real collector in front of it.

Jaeger v2 is built on the collector: its health (13133) and metrics (8888) answer check's "collector" probes. Each
peer here listens on the standard ports (4317, 4318, 13133, 8888) of its own loopback address, so check derives
every URL from the app's endpoint exactly as it does for a user; only --jaeger-url is given. Every case asserts
that the human view (80 columns), the JSON and the exit code say the same thing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.peers import REPO

APP = {"OTEL_SERVICE_NAME": "shop", "OTEL_TRACES_EXPORTER": "otlp"}
DIRECT = "App ✓ ──▶ SDK ✓ ──▶ Jaeger ✓"


def _otdiag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_"))}
    base.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "80", **env})
    cmd = [sys.executable, "-m", "otdiag", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=base, cwd=REPO, timeout=120, check=False)


def _check(env: dict[str, str], jaeger_url: str) -> tuple[dict[str, Any], list[str], int]:
    """check's JSON report, its human screen and the exit code (both runs agree on it)."""
    args = ("check", "--jaeger-url", jaeger_url, "--timeout", "3s", "--wait", "8s")
    as_json, human = _otdiag(*args, "--json", env=env), _otdiag(*args, env=env)
    assert as_json.returncode == human.returncode, (as_json.stdout, human.stdout)
    assert "Traceback" not in as_json.stderr + human.stderr
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is (as_json.returncode == ExitCode.OK)
    lines = human.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), human.stdout
    return doc, lines, human.returncode


def _jaeger_on(host: str, *, otlp_grpc: int = 4317, otlp_http: int = 4318) -> dict[str, Any]:
    """Jaeger v2's all-in-one ports (OTLP, health, metrics) on one loopback address; query on a free port."""
    assert not peers.port_open(host, otlp_grpc) and not peers.port_open(host, 8888), f"{host} is in use"
    return {
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": f"{host}:{otlp_grpc}"}, "http": {"endpoint": f"{host}:{otlp_http}"}}}
        },
        "extensions": {"healthcheckv2": {"http": {"endpoint": f"{host}:13133"}}},
        "service": {"telemetry": {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {"host": host, "port": 8888}}}}]}}},
    }  # fmt: skip


def _steps(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in doc["steps"]}


@pytest.mark.parametrize(
    ("host", "endpoint"),
    [("127.0.0.2", "http://127.0.0.2:4317"), ("127.0.0.3", "http://127.0.0.3:4318")],
    ids=["grpc", "http"],
)
def test_an_app_exporting_straight_to_jaeger_v2_shows_no_collector_hop(
    host: str, endpoint: str, start_jaeger: Callable[..., peers.Jaeger]
) -> None:
    jaeger = start_jaeger(_jaeger_on(host))
    protocol = "grpc" if endpoint.endswith("4317") else "http/protobuf"
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}
    doc, lines, code = _check(env, jaeger.query_url)

    assert code == ExitCode.OK and doc["ok"] is True
    receiver = doc["otlp_receiver"]
    assert (receiver["is"], receiver["collector"]) == ("jaeger", False)
    assert receiver["version"].startswith("v2."), receiver
    assert any('service_name="jaeger"' in e and f"http://{host}:8888/metrics" in e for e in receiver["evidence"])
    assert any("extension:jaeger_query" in e for e in receiver["evidence"])
    assert any("an OTLP export was accepted at" in e and host in e for e in receiver["evidence"])
    steps = _steps(doc)
    assert steps["end-to-end"]["status"] == "pass" and doc["time_to_visible_ms"] is not None
    # The probes that used to vouch for a collector now count for Jaeger, and say whose they are.
    assert steps["collector-metrics"]["stage"] == "jaeger" and steps["collector-health"]["stage"] == "jaeger"
    assert steps["collector-metrics"]["detail"].startswith("Jaeger's own metrics:")

    assert lines[0] == f"  {DIRECT}", lines[:2]
    assert lines[1].startswith("  no collector: the app exports to Jaeger's own OTLP receiver (Jaeger v2.")
    assert "Collector" not in lines[0]
    assert lines[-1].startswith("Healthy: every hop that was probed answered")


def test_jaegers_otlp_port_refusing_breaks_the_arrow_to_jaeger(start_jaeger: Callable[..., peers.Jaeger]) -> None:
    # Jaeger runs on the host with its health and metrics where they always are, but its OTLP receiver is not on
    # 4317 (moved, or the port not published): the app's export is refused there.
    host = "127.0.0.4"
    jaeger = start_jaeger(_jaeger_on(host, otlp_grpc=peers.free_port(), otlp_http=peers.free_port()))
    assert not peers.port_open(host, 4317)
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    doc, lines, code = _check(env, jaeger.query_url)

    assert code == ExitCode.PROBLEM and doc["ok"] is False
    first = next(f for f in doc["findings"] if f["severity"] == "error")
    assert (first["code"], first["stage"]) == ("ingest.refused", "collector-ingest"), first
    assert doc["otlp_receiver"]["collector"] is False
    assert any("a standard OTLP port" in e for e in doc["otlp_receiver"]["evidence"])
    assert _steps(doc)["jaeger-query"]["status"] == "pass"

    # Jaeger answers: the arrow into it is what is broken, and there is no collector to blame.
    assert lines[0] == "  App ✓ ──▶ SDK ✓ ─✗─▶ Jaeger ✓", lines[:2]
    assert f"no collector: {host}:4317 is Jaeger's own OTLP port" in " ".join(lines[1:3])
    verdict = " ".join(line.strip() for line in lines[lines.index("", len(lines) - 4) + 1 :])
    assert verdict.startswith("Broken between the app and Jaeger: Traces are not being collected"), verdict


def test_a_refused_port_elsewhere_is_not_pinned_on_jaeger(start_jaeger: Callable[..., peers.Jaeger]) -> None:
    # Jaeger's health and metrics answer at the host, but the app exports to a port that is not an OTLP standard
    # one, and nothing there: a collector may be meant there. The collector stays in the line, unknown, and
    # Jaeger's probes do not vouch for it.
    host = "127.0.0.5"
    jaeger = start_jaeger(_jaeger_on(host))
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}:{peers.free_port()}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}  # fmt: skip
    doc, lines, code = _check(env, jaeger.query_url)

    assert code == ExitCode.PROBLEM and "otlp_receiver" not in doc
    assert _steps(doc)["collector-health"]["detail"].startswith("Jaeger's own health:")
    assert lines[0] == "  App ✓ ──▶ SDK ✓ ─✗─▶ Collector ? ──▶ Jaeger ✓", lines[:2]
    assert not any("no collector" in line for line in lines)


def test_a_real_collector_in_front_of_jaeger_v2_keeps_its_hop(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> None:
    # The control case: a collector on the standard ports of its host, exporting to Jaeger v2.
    host = "127.0.0.6"
    assert not peers.port_open(host, 4317) and not peers.port_open(host, 8888)
    cfg = peers.collector_config(
        jaeger.otlp_grpc,
        overrides={
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{host}:4317"}, "http": {"endpoint": f"{host}:4318"}}}},
            "extensions": {"health_check": {"endpoint": f"{host}:13133"}},
            "service": {"telemetry": {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": {"host": host, "port": 8888}}}}]}}},
        },
    )  # fmt: skip
    start_collector(cfg)
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{host}:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    doc, lines, code = _check(env, jaeger.query_url)

    assert code == ExitCode.OK and doc["ok"] is True
    assert "otlp_receiver" not in doc
    steps = _steps(doc)
    assert steps["end-to-end"]["status"] == "pass"
    assert steps["collector-metrics"]["stage"] == "collector" and "Jaeger" not in steps["collector-metrics"]["detail"]
    assert lines[0] == "  App ✓ ──▶ SDK ✓ ──▶ Collector ✓ ──▶ Jaeger ✓", lines[:2]
    assert not any("no collector" in line for line in lines)
    assert lines[-1].startswith("Healthy: every hop that was probed answered")


# --- without peers: what identifies Jaeger, and where its faults land -------------------------------------------

COLLECTOR_PAGE = (
    'target_info{service_instance_id="1",service_name="otelcol-contrib",service_version="0.155.0"} 1\n'
    'otelcol_exporter_sent_spans{exporter="otlp/jaeger"} 3\n'
)
JAEGER_PAGE = 'target_info{service_instance_id="1",service_name="jaeger",service_version="v2.13.0"} 1\n'
ACCEPTED = ("localhost:4317", 4317, True)


def test_a_collectors_own_words_never_make_it_jaeger() -> None:
    from otdiag.check.receiver import identify
    from otdiag.collector.metrics import parse

    health = frozenset({"extension:health_check", "receiver:otlp", "exporter:otlp/jaeger"})
    assert identify(parse(COLLECTOR_PAGE), "http://h:8888/metrics", health, "http://h:13133", ACCEPTED) is None
    assert identify(None, "http://h:8888/metrics", frozenset(), "http://h:13133", ACCEPTED) is None


def test_jaeger_is_known_by_its_build_info_or_its_components_and_tied_to_the_endpoint() -> None:
    from otdiag.check.receiver import identify
    from otdiag.collector.metrics import parse

    by_metrics = identify(parse(JAEGER_PAGE), "http://h:8888/metrics", frozenset(), "http://h:13133", ACCEPTED)
    assert by_metrics is not None and by_metrics.tied and by_metrics.version == "v2.13.0"
    # A Jaeger whose telemetry names it otherwise still names its own components in the health answer.
    renamed = JAEGER_PAGE.replace('"jaeger"', '"tracing"')
    comps = frozenset({"extension:jaeger_query", "receiver:otlp"})
    by_health = identify(parse(renamed), "http://h:8888/metrics", comps, "http://h:13133", ACCEPTED)
    assert by_health is not None and by_health.version is None
    assert by_health.note == "no collector: the app exports to Jaeger's own OTLP receiver"
    # A failing export ties the endpoint to Jaeger only on a standard OTLP port.
    refused = identify(parse(JAEGER_PAGE), "http://h:8888/metrics", frozenset(), "", ("h:4317", 4317, False))
    elsewhere = identify(parse(JAEGER_PAGE), "http://h:8888/metrics", frozenset(), "", ("h:5317", 5317, False))
    assert refused is not None and refused.tied and elsewhere is not None and not elsewhere.tied


def test_without_a_collector_a_fault_inside_jaeger_marks_jaeger_and_an_ingest_fault_the_arrow() -> None:
    from otdiag import catalogue as c
    from otdiag.check.receiver import JaegerReceiver
    from otdiag.check.result import CheckResult
    from otdiag.model import Stage, Step, StepStatus
    from otdiag.render.check import hop_line, hop_marks, verdict

    receiver = JaegerReceiver("v2.13.0", ("build info",), "localhost:4317")
    ok = StepStatus.PASS
    steps = (
        Step("app-env", Stage.APP, ok, 0.0, "exports grpc to localhost:4317"),
        Step("collector-otlp-grpc", Stage.COLLECTOR_INGEST, ok, 1.0, "accepted"),
        Step("jaeger-query", Stage.JAEGER, ok, 1.0, "API v3 answers"),
    )
    queue = c.EXPORT_QUEUE_FULL("Exporter jaeger_storage_exporter has dropped 3 span(s) on a full queue.")
    inside = CheckResult(findings=(queue,), steps=steps, otlp_receiver=receiver)
    marks = hop_marks(inside)
    assert "Collector" not in marks
    assert (
        hop_line(marks, ("App", "SDK", "Jaeger")) == "  App [green]✓[/] ──▶ SDK [green]✓[/] ──▶ Jaeger [bold red]✗[/]"
    )
    assert verdict(inside).startswith("[bold red]Broken in Jaeger[/]")
    refused = c.INGEST_REFUSED("Nothing listens at localhost:4317 (connection refused).")
    way_in = hop_marks(CheckResult(findings=(refused,), steps=steps[::2], otlp_receiver=receiver))
    assert (way_in["SDK→Jaeger"], way_in["Jaeger"]) == (StepStatus.FAIL, StepStatus.PASS)
