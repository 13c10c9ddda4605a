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
