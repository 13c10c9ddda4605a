"""`otdiag check` against real peers: a healthy pipeline, and nothing running at all."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import run


def _dead_endpoints() -> list[str]:
    # Free ports: nothing listens there, so every probe is refused.
    return [
        "--otlp-endpoint",
        f"http://127.0.0.1:{peers.free_port()}",
        "--jaeger-url",
        f"http://127.0.0.1:{peers.free_port()}",
        "--collector-health-url",
        f"http://127.0.0.1:{peers.free_port()}",
    ]


def test_nothing_running_is_diagnosed_as_collector_down_then_jaeger_unreachable() -> None:
    res = run("check", *_dead_endpoints(), "--json", "--timeout", "2")
    assert res.exit_code == ExitCode.PROBLEM
    doc = res.json()
    assert doc["command"] == "check" and doc["ok"] is False and doc["schema_version"] == "1"
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["ingest.collector-down", "jaeger.unreachable"]
    assert errors[0]["stage"] == "collector-ingest" and errors[0]["guide"] == "traces-not-collected"
    assert errors[1]["stage"] == "jaeger" and errors[1]["guide"] == "traces-not-in-jaeger"
    assert {s["name"]: s["status"] for s in doc["steps"]} == {
        "collector-otlp-grpc": "fail",
        "collector-otlp-http": "fail",
        "collector-health": "skip",
        "jaeger-query": "fail",
    }


def test_human_output_names_the_broken_hop_and_the_fix() -> None:
    res = run("check", *_dead_endpoints(), "--timeout", "2")
    assert res.exit_code == ExitCode.PROBLEM
    assert "Traces are not being collected" in res.stdout
    assert "fix: Start the collector" in res.stdout
    assert "Broken at Collector" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


@pytest.mark.peers
def test_healthy_real_pipeline_has_no_error(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, jaeger = collector_to_jaeger
    assert collector.otlp_grpc and collector.health_url
    res = run(
        "check",
        "--otlp-endpoint",
        f"http://{collector.otlp_grpc}",
        "--jaeger-url",
        jaeger.query_url,
        "--collector-health-url",
        collector.health_url,
        "--json",
    )
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc["findings"]
    assert [f for f in doc["findings"] if f["severity"] == "error"] == []
    statuses = {s["name"]: s["status"] for s in doc["steps"]}
    assert statuses["collector-otlp-grpc"] == "pass"
    assert statuses["jaeger-query"] == "pass"
    assert statuses["collector-health"] == "pass"


@pytest.mark.peers
def test_jaeger_down_with_collector_up_points_at_jaeger(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> None:
    collector = start_collector(peers.collector_config(jaeger.otlp_grpc))
    query = jaeger.query_url
    jaeger.stop()
    assert collector.otlp_grpc and collector.health_url
    res = run(
        "check",
        "--otlp-endpoint",
        f"http://{collector.otlp_grpc}",
        "--jaeger-url",
        query,
        "--collector-health-url",
        collector.health_url,
        "--json",
    )
    assert res.exit_code == ExitCode.PROBLEM
    first = next(f for f in res.json()["findings"] if f["severity"] == "error")
    assert (first["code"], first["stage"], first["guide"]) == (
        "jaeger.unreachable",
        "jaeger",
        "traces-not-in-jaeger",
    )
