"""check --prometheus-url against a real Prometheus scraping real collectors.

The gateway tier is seen only through Prometheus here (check is given the agent alone): a loss in
the gateway is invisible to the agent's own metrics, and Prometheus names it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import Result, run
from tests.sdk_app import send_span
from tests.test_multi_tier import plain, tier_config

APP = {"OTEL_SERVICE_NAME": "shop", "OTEL_TRACES_EXPORTER": "otlp"}
SAMPLE_NOTHING = {"processors": {"probabilistic_sampler": {"sampling_percentage": 0}},
                  "service": {"pipelines": {"traces": {"processors": ["probabilistic_sampler", "batch"]}}}}  # fmt: skip


def check_agent(tmp: Path, agent: peers.Collector, jaeger: peers.Jaeger, *extra: str) -> Result:
    env_file = tmp / f"app-{peers.free_port()}.env"
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{agent.otlp_grpc}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return run("check", "--env-file", str(env_file), "--json", "--timeout", "2s", "--jaeger-url", jaeger.query_url,
               "--collector-health-url", str(agent.health_url), "--collector-metrics-url", str(agent.metrics_url),
               *extra)  # fmt: skip


def scraped(prom: peers.Prometheus, n: int) -> None:
    prom.wait_for("up == 1", lambda r: len(r) >= n)
    prom.wait_for('{__name__=~"otelcol_process_uptime.*"}', lambda r: len(r) >= n)


def codes(res: Result) -> list[str]:
    return [f["code"] for f in res.json()["findings"] if f["severity"] == "error"]


@pytest.mark.peers
def test_a_loss_in_the_gateway_is_seen_only_through_prometheus(
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
    start_prometheus: Callable[..., peers.Prometheus],
) -> None:
    jaeger = start_jaeger()
    gateway = start_collector(tier_config({"otlp/jaeger": plain(jaeger.otlp_grpc)}, SAMPLE_NOTHING))
    agent = start_collector(tier_config({"otlp/gateway": plain(str(gateway.otlp_grpc))}))
    prom = start_prometheus({"agent": [str(agent.metrics_url)], "gateway": [str(gateway.metrics_url)]})
    scraped(prom, 2)

    blind = check_agent(tmp_path, agent, jaeger, "--wait", "4s")
    assert blind.exit_code == ExitCode.PROBLEM and codes(blind)[0] == "jaeger.not-stored"  # the agent did its part

    res = check_agent(tmp_path, agent, jaeger, "--wait", "4s", "--prometheus-url", prom.url)
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    doc = res.json()
    first = next(f for f in doc["findings"] if f["severity"] == "error")
    gw_instance = str(gateway.metrics_url).removeprefix("http://").removesuffix("/metrics")
    assert first["code"] == "collector.processor-dropped", first
    assert first["message"].startswith(f"gateway {gw_instance}: Processor probabilistic_sampler dropped")
    path = doc["fleet"]["test_span_path"]
    assert [(p["tier"], p["lost"]) for p in path] == [("agent", None), ("gateway", "collector.processor-dropped")]
    # Over the window, the same gateway is the one that drops spans (the probe's span included).
    window = {f["code"]: f for f in doc["findings"]}
    assert "fleet.spans-dropped" in window and gw_instance in window["fleet.spans-dropped"]["message"]
    assert {r["tier"] for r in doc["fleet"]["instances"]} == {"agent", "gateway"}


@pytest.mark.peers
def test_a_collector_off_the_probes_path_failing_its_exports_is_named_worst_first(
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
    start_prometheus: Callable[..., peers.Prometheus],
) -> None:
    jaeger = start_jaeger()
    healthy = start_collector(tier_config({"otlp/jaeger": plain(jaeger.otlp_grpc)}))
    broken = start_collector(tier_config({"otlp/jaeger": plain("127.0.0.1:1", retry_on_failure={"enabled": False})}))
    prom = start_prometheus({"gateway": [str(healthy.metrics_url), str(broken.metrics_url)]})
    scraped(prom, 2)  # both instances known to Prometheus before any assertion counts them
    for _ in range(3):
        send_span(str(broken.otlp_grpc), service="elsewhere")
    broken_instance = str(broken.metrics_url).removeprefix("http://").removesuffix("/metrics")
    prom.wait_for('otelcol_exporter_send_failed_spans_total > 0 or otelcol_exporter_send_failed_spans > 0',
                  lambda r: len(r) >= 1)  # fmt: skip

    res = check_agent(tmp_path, healthy, jaeger, "--prometheus-url", prom.url, "--window", "2m")
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    doc = res.json()
    failed = next(f for f in doc["findings"] if f["code"] == "fleet.export-failed")
    assert failed["message"].startswith("1 of 2 collector instance(s) (tier gateway) failed to export spans")
    assert f"{broken_instance} (gateway) 3 in otlp/jaeger" in failed["message"]
    assert doc["fleet"]["instances"][0]["instance"] == broken_instance  # worst first
    assert {s["name"]: s["status"] for s in doc["steps"]}["end-to-end"] == "pass"

    narrowed = check_agent(tmp_path, healthy, jaeger, "--no-e2e", "--prometheus-url", prom.url,
                           "--prometheus-selector", f'instance!="{broken_instance}"')  # fmt: skip
    assert narrowed.exit_code == ExitCode.OK, narrowed.stdout
    assert [r["instance"] for r in narrowed.json()["fleet"]["instances"]] != [broken_instance]

    human = run("check", "--otlp-endpoint", f"http://{healthy.otlp_grpc}", "--protocol", "grpc",
                "--jaeger-url", jaeger.query_url, "--no-e2e", "--prometheus-url", prom.url)  # fmt: skip
    table = human.stdout[human.stdout.index("Collectors seen by Prometheus") :].splitlines()
    assert table[1].split()[:2] == ["instance", "tier"] and broken_instance in table[2]
    assert all(len(line) <= 80 for line in table[1:4])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prometheus-url", "ftp://x"], "--prometheus-url"),
        (["--prometheus-url", "http://127.0.0.1:9", "--prometheus-selector", "job=otel"], "--prometheus-selector"),
        (["--prometheus-selector", 'job="x"'], "needs --prometheus-url"),
        (["--prometheus-url", "http://127.0.0.1:9", "--window", "0s"], "--window"),
        (["--prometheus-url", "http://127.0.0.1:9", "--tier-label", "a-b"], "--tier-label"),
    ],
)
def test_bad_fleet_options_are_exit_2_with_one_line(args: list[str], message: str) -> None:
    res = run("check", "--no-e2e", *args, env={"COLUMNS": "1000"})  # one line at 1000 columns (wraps when narrower)
    assert res.exit_code == ExitCode.USAGE
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_prometheus_not_answering_is_one_error_not_a_traceback(tmp_path: Path) -> None:
    res = run("check", "--json", "--no-e2e", "--timeout", "1s", "--otlp-endpoint",
              f"http://127.0.0.1:{peers.free_port()}", "--protocol", "grpc",
              "--prometheus-url", f"http://user:s3cret@127.0.0.1:{peers.free_port()}")  # fmt: skip
    doc: dict[str, Any] = res.json()
    f = next(f for f in doc["findings"] if f["code"] == "fleet.prometheus-unreachable")
    assert f["severity"] == "error" and "s3cret" not in res.stdout
    assert doc["fleet"] is None


@pytest.mark.peers
def test_the_span_is_located_even_when_the_wait_ends_before_prometheus_scrapes_again(
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
    start_prometheus: Callable[..., peers.Prometheus],
) -> None:
    """--wait 1s against a 2s scrape interval: check waits (bounded by --timeout) for the next scrape."""
    jaeger = start_jaeger()
    gateway = start_collector(tier_config({"otlp/jaeger": plain(jaeger.otlp_grpc)}, SAMPLE_NOTHING))
    agent = start_collector(tier_config({"otlp/gateway": plain(str(gateway.otlp_grpc))}))
    prom = start_prometheus({"agent": [str(agent.metrics_url)], "gateway": [str(gateway.metrics_url)]}, "2s")
    scraped(prom, 2)
    res = check_agent(tmp_path, agent, jaeger, "--wait", "1s", "--timeout", "3s", "--prometheus-url", prom.url)
    first = next(f for f in res.json()["findings"] if f["severity"] == "error")
    assert first["code"] == "collector.processor-dropped" and first["message"].startswith("gateway "), first


@pytest.mark.peers
def test_a_collector_prometheus_cannot_scrape_is_named(
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
    start_prometheus: Callable[..., peers.Prometheus],
) -> None:
    jaeger = start_jaeger()
    alive = start_collector(tier_config({"otlp/jaeger": plain(jaeger.otlp_grpc)}))
    gone = start_collector(tier_config({"otlp/jaeger": plain(jaeger.otlp_grpc)}))
    prom = start_prometheus({"agent": [str(alive.metrics_url), str(gone.metrics_url)]})
    scraped(prom, 2)
    gone.stop()
    prom.wait_for("up == 0", lambda r: len(r) == 1)
    res = check_agent(tmp_path, alive, jaeger, "--no-e2e", "--prometheus-url", prom.url)
    assert res.exit_code == ExitCode.OK, res.stdout  # a warning: the rest of the fleet is fine
    down = next(f for f in res.json()["findings"] if f["code"] == "fleet.instance-down")
    gone_instance = str(gone.metrics_url).removeprefix("http://").removesuffix("/metrics")
    assert down["message"] == f"Prometheus cannot scrape 1 instance(s): {gone_instance} (agent)."
    assert res.json()["fleet"]["down"] == [{"instance": gone_instance, "tier": "agent"}]
