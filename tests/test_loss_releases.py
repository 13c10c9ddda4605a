"""check's loss reading on every collector of the version matrix (v0.111, v0.155, v0.161), all real.

Issue 25's classes, each on real binaries: an exporter that never delivers is named from the old
collectors' metrics too (batch_send_size, queue size and capacity, no sent series yet), and without
waiting out --wait once the exporter probe proved the cause; tail_sampling's not_sampled decision is
a drop by that policy, not a hold; a chain cut between two tiers is the broken hop to the next tier.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.bounds import within
from tests.cli_runner import Result, run
from tests.test_multi_tier import AGENT_HOP, Fault, build, plain
from tests.test_multi_tier import check as check_chain

pytestmark = [pytest.mark.peers, pytest.mark.matrix(collector_peer=peers.COLLECTORS)]
APP = {"OTEL_SERVICE_NAME": "shop", "OTEL_TRACES_EXPORTER": "otlp"}
DEAD = "127.0.0.1:1"


def lone(tmp: Path, collector: peers.Collector, jaeger: peers.Jaeger, *args: str) -> tuple[Result, float]:
    """check against one collector, as a user runs it; the result and how long it took."""
    env_file = tmp / f"app-{peers.free_port()}.env"
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_grpc}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    started = time.monotonic()
    res = run("check", "--env-file", str(env_file), "--json", "--timeout", "2s", "--jaeger-url", jaeger.query_url,
              "--collector-health-url", str(collector.health_url), "--collector-metrics-url", str(collector.metrics_url),
              *args)  # fmt: skip
    return res, time.monotonic() - started


def errors(res: Result) -> list[dict[str, Any]]:
    return [f for f in res.json()["findings"] if f["severity"] == "error"]


def test_an_exporter_that_never_delivers_is_named_from_the_metrics_without_config(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    jaeger = start_jaeger()
    collector = start_collector(peers.collector_config(DEAD))
    res, took = lone(tmp_path, collector, jaeger, "--wait", "15s")
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    first = errors(res)[0]
    assert (first["code"], first["target"], first["stage"]) == ("export.not-delivering", "otlp/jaeger",
                                                                "collector-export"), first  # fmt: skip
    assert took < 10, took  # named from the metrics in about 3 s, not after the 15 s wait


def test_a_cause_the_exporter_probe_proved_does_not_wait_for_metrics(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    jaeger = start_jaeger()
    collector = start_collector(peers.collector_config(DEAD))
    res, took = lone(tmp_path, collector, jaeger, "--wait", "15s", "--config", str(collector.config_path))
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    first = errors(res)[0]
    assert first["code"] == "export.refused" and "otlp/jaeger" in first["message"], first
    # The probe bounds the span's wait by --timeout (2 s): every probe, the span's --timeout, the report.
    assert took < within(2) + 2.5, took


TAIL_DROP = {
    "processors": {
        "tail_sampling": {
            "decision_wait": "1s",
            "policies": [{"name": "errors-only", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}}],
        }
    },
    "service": {"pipelines": {"traces": {"processors": ["tail_sampling", "batch"]}}},
}


def test_a_tail_sampling_policy_that_said_not_sampled_is_a_drop_by_that_policy(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    jaeger = start_jaeger()
    collector = start_collector(peers.collector_config(jaeger.otlp_grpc, overrides=TAIL_DROP))
    for config in ([], ["--config", str(collector.config_path)]):
        res, took = lone(tmp_path, collector, jaeger, "--wait", "30s", *config)
        assert res.exit_code == ExitCode.PROBLEM, res.stdout
        first = errors(res)[0]
        assert first["code"] == "collector.processor-dropped", (config, first)
        assert "errors-only" in first["message"] and first["target"].startswith("tail_sampling"), (config, first)
        assert "--wait" not in first["hint"] and took < 12, (config, took)  # decided after 1 s, not after 30


@pytest.mark.parametrize("moved", ["agent aims at a port the gateway does not listen on", "gateway's receiver moved"])
def test_a_chain_cut_between_tiers_names_the_hop_and_the_endpoint_to_use(
    moved: str,
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
) -> None:
    port = peers.free_port()
    if moved.startswith("agent"):
        fault = Fault(agent_exporter=lambda gw: plain(f"127.0.0.1:{port}"))
    else:
        # The agent still sends to the gateway's old port; the gateway's receiver now listens elsewhere.
        fault = Fault(agent_exporter=lambda gw: plain(f"127.0.0.1:{port}"),
                      gateway={"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": peers.addr(peers.free_port())}}}}})  # fmt: skip
    p = build(fault, start_jaeger, start_collector)
    res = check_chain(tmp_path, p, "--wait", "15s")
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    first = errors(res)[0]
    assert first["code"] == "chain.broken-hop" and first["message"].startswith("agent: "), first
    assert AGENT_HOP in first["message"] and str(p.gateways[0].otlp_grpc) in first["hint"], first
    assert "Jaeger" not in first["hint"]
    later = [f for f in errors(res)[1:] if "otlp/gateway" in f["message"]]
    assert all("Jaeger" not in f["hint"] for f in later), later
    chain = res.json()["chain"]
    assert [(h["from"], h["to"], h["status"]) for h in chain["hops"]] == [
        ("agent", "gateway", "fail"), ("gateway", "Jaeger", "skip")]  # fmt: skip
    assert chain["lost_at"] is not None and chain["lost_at"]["hop"] == AGENT_HOP, chain


def test_the_healthy_pipeline_and_chain_stay_free_of_errors_and_warnings(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    jaeger = start_jaeger()
    collector = start_collector(peers.collector_config(jaeger.otlp_grpc))
    for config in ([], ["--config", str(collector.config_path)]):
        res, _ = lone(tmp_path, collector, jaeger, *config)
        bad = [f for f in res.json()["findings"] if f["severity"] in ("error", "warning")]
        assert res.exit_code == ExitCode.OK and bad == [], bad
    p = build(Fault(), start_jaeger, start_collector)
    res = check_chain(tmp_path, p)
    bad = [f for f in res.json()["findings"] if f["severity"] in ("error", "warning")]
    assert res.exit_code == ExitCode.OK and bad == [], bad


SLOW_BATCH = {
    "processors": {"batch/slow": {"timeout": "60s", "send_batch_size": 10000}},
    "service": {"pipelines": {"traces": {"processors": ["batch/slow"]}}},
}


def test_without_config_a_batch_holding_the_span_is_named_not_the_exporter(
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
    collector_peer: str,
) -> None:
    jaeger = start_jaeger()
    collector = start_collector(peers.collector_config(jaeger.otlp_grpc, overrides=SLOW_BATCH))
    res, _ = lone(tmp_path, collector, jaeger, "--wait", "6s")
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    first = errors(res)[0]
    if collector_peer == "otelcol-old":
        # No items per processor: a hold cannot be told from a drop before the batch (see test_check).
        assert first["code"] == "e2e.not-visible", first
        return
    assert (first["code"], first["target"], first["stage"]) == ("collector.processor-holds", "batch/slow",
                                                                "collector"), first  # fmt: skip
