"""check on real multi-collector pipelines: App -> agent -> gateway(s) -> Jaeger, all real.

Each fault row is set up for real in one tier; check, given every tier's config (`--config
agent=... --config gateway=...`), must name that tier and the hop in its first error, and mark
them ✗ in the chain. The loadbalancing exporter cannot be built at the pinned v0.155.0 (the Go
module proxy refuses that version, see peers/otelcol-builder.yaml), so two gateways sit behind a
plain otlp fan-out: the agent's pipeline exports to both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import Result, run

APP = {"OTEL_SERVICE_NAME": "shop", "OTEL_TRACES_EXPORTER": "otlp"}
DEAD = "127.0.0.1:1"


def tier_config(exporters: dict[str, Any], overrides: dict[str, Any] | None = None) -> peers.Config:
    """A collector on free ports whose traces pipeline exports to exactly `exporters`."""
    cfg = peers.collector_config(None)
    cfg["exporters"] = exporters
    cfg["service"]["pipelines"]["traces"]["exporters"] = list(exporters)
    return peers.deep_merge(cfg, overrides or {})


def plain(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {"endpoint": endpoint, "tls": {"insecure": True}, **extra}


@dataclass
class Pipeline:
    jaeger: peers.Jaeger
    agent: peers.Collector
    gateways: list[peers.Collector]

    def args(self) -> list[str]:
        out = ["--config", f"agent={self.agent.config_path}"]
        for i, gw in enumerate(self.gateways):
            name = "gateway" if len(self.gateways) == 1 else f"gateway-{i + 1}"
            out += ["--config", f"{name}={gw.config_path}"]
        return [*out, "--jaeger-url", self.jaeger.query_url]


@dataclass
class Fault:
    agent: dict[str, Any] = field(default_factory=dict)
    """Overrides for the agent's config."""
    gateway: dict[str, Any] = field(default_factory=dict)
    agent_exporter: Callable[[peers.Collector], dict[str, Any]] | None = None
    """The agent's exporter towards the gateway (default: plaintext gRPC to its OTLP port)."""
    gateway_exporters: dict[str, Any] | None = None
    """The gateway's exporters (default: otlp/jaeger, plaintext gRPC to Jaeger); JAEGER is filled in."""
    stop_gateway: bool = False
    second_gateway: dict[str, Any] | None = None
    """Overrides for the second gateway only (default: as `gateway`)."""
    wait: str = "6s"


def _fill(node: Any, jaeger: peers.Jaeger) -> Any:
    if isinstance(node, dict):
        return {k: _fill(v, jaeger) for k, v in node.items()}
    if node == "JAEGER":
        return jaeger.otlp_grpc
    return node


def build(
    fault: Fault,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
    gateways: int = 1,
) -> Pipeline:
    jaeger = start_jaeger()
    gw_exporters = _fill(fault.gateway_exporters or {"otlp/jaeger": plain("JAEGER")}, jaeger)
    overrides = [fault.gateway, fault.second_gateway if fault.second_gateway is not None else fault.gateway]
    gws = [start_collector(tier_config(gw_exporters, overrides[i])) for i in range(gateways)]
    exporters = {}
    for i, gw in enumerate(gws):
        name = "otlp/gateway" if gateways == 1 else f"otlp/gateway-{i + 1}"
        exporters[name] = fault.agent_exporter(gw) if fault.agent_exporter else plain(str(gw.otlp_grpc))
    agent = start_collector(tier_config(exporters, fault.agent))
    if fault.stop_gateway:
        for gw in gws:
            gw.stop()
    return Pipeline(jaeger, agent, gws)


def check(tmp: Path, p: Pipeline, *extra: str) -> Result:
    env_file = tmp / f"app-{peers.free_port()}.env"
    env = {**APP, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{p.agent.otlp_grpc}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return run("check", "--env-file", str(env_file), "--json", "--timeout", "2s", *p.args(), *extra)


def _sampler(pct: int) -> dict[str, Any]:
    return {"processors": {"probabilistic_sampler": {"sampling_percentage": pct}},
            "service": {"pipelines": {"traces": {"processors": ["probabilistic_sampler", "batch"]}}}}  # fmt: skip


REFUSING = {"processors": {"memory_limiter": {"check_interval": "100ms", "limit_mib": 1, "spike_limit_mib": 0}},
            "service": {"pipelines": {"traces": {"processors": ["memory_limiter", "batch"]}}}}  # fmt: skip
FILTER = {"processors": {"filter/no-shop": {"error_mode": "ignore",
                                             "traces": {"span": ['resource.attributes["service.name"] == "otdiag-check"']}}},
          "service": {"pipelines": {"traces": {"processors": ["filter/no-shop", "batch"]}}}}  # fmt: skip
AGENT_HOP = "agent → gateway (otlp/gateway)"
GW_HOP = "gateway → Jaeger (otlp/jaeger)"

FAULTS: list[tuple[str, Fault, str, str, str | None]] = [
    # fault                                   setup                                                            first error                      tier       hop
    ("agent's memory_limiter refuses",        Fault(agent=REFUSING),                                           "collector.refusing",            "agent",   None),
    ("agent's sampler keeps nothing",         Fault(agent=_sampler(0)),                                        "collector.processor-dropped",   "agent",   None),
    ("agent exports only to a file",          Fault(agent={"exporters": {"file": {"path": "/dev/null"}},
                                                           "service": {"pipelines": {"traces": {"exporters": ["file"]}}}}),
                                                                                                               "collector.no-trace-backend",    "agent",   None),
    ("agent speaks grpc to the gateway's http port", Fault(agent_exporter=lambda gw: plain(str(gw.otlp_http))),
                                                                                                               "export.grpc-to-http-port",      "agent",   AGENT_HOP),
    ("agent's exporter tls, gateway plaintext", Fault(agent_exporter=lambda gw: {"endpoint": str(gw.otlp_grpc)}),
                                                                                                               "export.tls-to-plaintext",       "agent",   AGENT_HOP),
    ("gateway down",                          Fault(stop_gateway=True),                                        "export.refused",                "agent",   AGENT_HOP),
    ("gateway's memory_limiter refuses",      Fault(gateway=REFUSING),                                         "collector.refusing",            "gateway", AGENT_HOP),
    ("gateway's sampler keeps nothing",       Fault(gateway=_sampler(0)),                                      "collector.processor-dropped",   "gateway", None),
    ("gateway's filter drops the service",    Fault(gateway=FILTER),                                           "collector.processor-dropped",   "gateway", None),
    ("gateway's tail_sampling still deciding", Fault(gateway={"processors": {"tail_sampling": {"decision_wait": "60s", "policies": [{"name": "all", "type": "always_sample"}]}},
                                                             "service": {"pipelines": {"traces": {"processors": ["tail_sampling", "batch"]}}}}),
                                                                                                               "collector.tail-sampling-holds", "gateway", None),
    ("gateway's batch holds for a minute",    Fault(gateway={"processors": {"batch/slow": {"timeout": "60s", "send_batch_size": 10000}},
                                                             "service": {"pipelines": {"traces": {"processors": ["batch/slow"]}}}}),
                                                                                                               "collector.processor-holds",     "gateway", None),
    ("gateway exports only to debug and nop", Fault(gateway_exporters={"debug": {}, "nop": {}}),              "collector.no-trace-backend",    "gateway", None),
    ("gateway's exporter aimed at a dead port", Fault(gateway_exporters={"otlp/jaeger": plain(DEAD)}),        "export.refused",                "gateway", GW_HOP),
    ("gateway's exporter queue full",         Fault(gateway_exporters={"otlp/jaeger": plain(DEAD, sending_queue={"queue_size": 1, "num_consumers": 1},
                                                                                            retry_on_failure={"enabled": False})},
                                                    gateway={"service": {"pipelines": {"traces": {"processors": []}}}}),
                                                                                                               "export.refused",                "gateway", GW_HOP),
]  # fmt: skip


def errors(res: Result) -> list[dict[str, Any]]:
    return [f for f in res.json()["findings"] if f["severity"] == "error"]


@pytest.mark.peers
def test_a_healthy_two_tier_pipeline_gives_no_error_and_draws_the_chain(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    p = build(Fault(), start_jaeger, start_collector)
    res = check(tmp_path, p)
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc["findings"]
    assert [f for f in doc["findings"] if f["severity"] in ("error", "warning")] == []
    chain = doc["chain"]
    assert [t["name"] for t in chain["tiers"]] == ["agent", "gateway"]
    assert [(h["from"], h["to"], h["status"]) for h in chain["hops"]] == [
        ("agent", "gateway", "pass"),
        ("gateway", "Jaeger", "pass"),
    ]
    assert chain["lost_at"] is None and {t["status"] for t in chain["tiers"]} == {"pass"}
    steps = {s["name"]: s["status"] for s in doc["steps"]}
    assert steps["end-to-end"] == "pass" and steps["gateway collector-health"] == "pass"
    assert steps["gateway exporter otlp/jaeger"] == "pass" and steps["agent exporter otlp/gateway"] == "pass"
    human = run("check", *p.args(), "--otlp-endpoint", f"http://{p.agent.otlp_grpc}", "--protocol", "grpc",
                env={"COLUMNS": "80"})  # fmt: skip
    assert human.exit_code == ExitCode.OK, human.stdout
    assert "App ? ──▶ agent ✓ ─✓─▶ gateway ✓ ─✓─▶ Jaeger ✓" in human.stdout


@pytest.mark.peers
@pytest.mark.parametrize(("fault", "setup", "code", "tier", "hop"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_fault_in_one_tier_is_attributed_to_that_tier_and_hop(
    fault: str,
    setup: Fault,
    code: str,
    tier: str,
    hop: str | None,
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
) -> None:
    p = build(setup, start_jaeger, start_collector)
    if setup.agent is REFUSING or setup.gateway is REFUSING:
        time.sleep(0.5)  # memory_limiter's first check
    res = check(tmp_path, p, "--wait", setup.wait)
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    first = errors(res)[0]
    assert first["code"] == code, (fault, first)
    assert first["message"].startswith(f"{tier}: "), (fault, first)
    if hop:
        assert hop in first["message"], (fault, first)
    chain = res.json()["chain"]
    lost = chain["lost_at"]
    if lost is not None:
        # The metrics' view of the loss; the first error may be a probe's sharper word for it.
        assert lost["tier"] == tier and lost["hop"] == hop, (fault, lost)
        if hop is not None:
            assert {f"{h['from']} → {h['to']} ({h['exporter']})": h["status"] for h in chain["hops"]}[hop] == "fail"
        else:
            assert {t["name"]: t["status"] for t in chain["tiers"]}[tier] == "fail"


def test_the_matrix_has_at_least_ten_faults_across_both_tiers() -> None:
    assert len({f[0] for f in FAULTS}) >= 10
    assert {f[3] for f in FAULTS} == {"agent", "gateway"}


@pytest.mark.peers
def test_two_gateways_behind_a_fan_out(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    healthy = build(Fault(), start_jaeger, start_collector, gateways=2)
    res = check(tmp_path, healthy)
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc["findings"]
    assert [t["name"] for t in doc["chain"]["tiers"]] == ["agent", "gateway-1", "gateway-2"]
    assert {(h["from"], h["to"]) for h in doc["chain"]["hops"]} == {
        ("agent", "gateway-1"), ("agent", "gateway-2"), ("gateway-1", "Jaeger"), ("gateway-2", "Jaeger")}  # fmt: skip

    one = build(Fault(second_gateway=_sampler(0)), start_jaeger, start_collector, gateways=2)
    res = check(tmp_path, one, "--wait", "6s")
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc["findings"]  # gateway-1 delivered the span
    warned = [f for f in doc["findings"] if f["severity"] == "warning"]
    assert [(f["code"], f["message"].split(":")[0]) for f in warned] == [("collector.processor-dropped", "gateway-2")]
    assert {t["name"]: t["status"] for t in doc["chain"]["tiers"]} == {
        "agent": "pass", "gateway-1": "pass", "gateway-2": "fail"}  # fmt: skip

    both = build(Fault(gateway=_sampler(0)), start_jaeger, start_collector, gateways=2)
    res = check(tmp_path, both, "--wait", "6s")
    assert res.exit_code == ExitCode.PROBLEM
    errs = errors(res)
    assert {e["message"].split(":")[0] for e in errs[:2]} == {"gateway-1", "gateway-2"}
    assert all(e["code"] == "collector.processor-dropped" for e in errs[:2])


@pytest.mark.peers
def test_a_tiers_metrics_url_can_be_given_where_its_config_says_another(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    """The config's reader address is the one inside the gateway's container; from here it is elsewhere."""
    import yaml

    p = build(Fault(gateway=_sampler(0)), start_jaeger, start_collector)
    seen_from_inside = p.gateways[0].config
    cfg = peers.deep_merge(seen_from_inside, {})
    cfg["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]["port"] = peers.free_port()
    moved = tmp_path / "gateway.yaml"
    moved.write_text(yaml.safe_dump(cfg))
    p.gateways[0].config_path = moved

    blind = check(tmp_path, p, "--wait", "4s")
    assert errors(blind)[0]["code"] == "e2e.not-visible", errors(blind)[0]
    res = check(tmp_path, p, "--wait", "4s", "--tier-metrics-url", f"gateway={p.gateways[0].metrics_url}")
    first = errors(res)[0]
    assert first["code"] == "collector.processor-dropped" and first["message"].startswith("gateway: "), first
    assert res.json()["chain"]["tiers"][1]["metrics_url"] == p.gateways[0].metrics_url


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tier-metrics-url", "gateway=http://127.0.0.1:9/metrics"], "needs --config once per tier"),
        (["--tier-metrics-url", "nourl"], "is not TIER=URL"),
    ],
)
def test_bad_tier_options_are_exit_2_with_one_line(args: list[str], message: str) -> None:
    res = run("check", "--no-e2e", *args)
    assert res.exit_code == ExitCode.USAGE and message in res.stderr, res.stderr
