"""Jaeger v1's own ports, against the real Jaeger v1.76 all-in-one.

What the all-in-one answers there (seen on v1.76, and what otdiag's detection rests on):
- 14268 (Thrift over HTTP): POST /api/traces with any other content type -> 400 "Unsupported content
  type: <it>"; POST /v1/traces -> 404 "404 page not found"; gRPC -> an HTTP/1.1 server.
- 14250 (jaeger.api_v2 gRPC): OTLP Export -> UNIMPLEMENTED "unknown service ...TraceService";
  CollectorService/PostSpans with an empty request -> OK.
- 14269 (admin): every path, any method -> 200 {"status": "Server available", "upSince", "uptime"}
  (an OTLP/HTTP export "succeeds" there); /metrics -> Prometheus text with jaeger_* families.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import Result, run

pytestmark = pytest.mark.peers


@pytest.fixture
def jaeger_v1(start_jaeger: Callable[..., peers.Jaeger], jaeger_peer: str) -> peers.Jaeger:
    return start_jaeger()


@pytest.fixture(params=["jaeger-v1"])
def jaeger_peer(request: pytest.FixtureRequest) -> str:
    return str(request.param)


ATTR = {"thrift_http": "thrift_http", "grpc_collector": "grpc_collector", "admin": "admin_url"}


def send(*args: str) -> Result:
    return run("send-test-span", "--json", "--timeout", "3s", *args)


def only_finding(res: Result) -> dict[str, str]:
    [f] = res.json()["findings"]
    return f  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("port", "path", "protocol"),
    [
        ("thrift_http", "/api/traces", "http/protobuf"),  # the seed's endpoint
        ("thrift_http", "", "http/protobuf"),  # the SDK appends /v1/traces: 404
        ("thrift_http", "", "grpc"),
        ("grpc_collector", "", "grpc"),  # UNIMPLEMENTED unknown service
        ("grpc_collector", "", "http/protobuf"),
        ("admin", "", "http/protobuf"),  # 200 with a health JSON: no OTLP answer
        ("admin", "", "grpc"),
    ],
)
def test_otlp_sent_to_a_jaeger_v1_port_is_named_with_the_fix(
    jaeger_v1: peers.Jaeger, port: str, path: str, protocol: str
) -> None:
    hostport = str(getattr(jaeger_v1, ATTR[port])).removeprefix("http://")
    res = send("--endpoint", f"http://{hostport}{path}", "--protocol", protocol)
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    f = only_finding(res)
    assert f["code"] == "ingest.jaeger-v1-port", f
    described = {"thrift_http": "Thrift over HTTP", "grpc_collector": "jaeger.api_v2", "admin": "admin port"}[port]
    assert described in f["message"] + f["hint"]
    assert "4317" in f["hint"] and "4318" in f["hint"]


def test_jaeger_v1s_own_otlp_port_accepts_the_span(jaeger_v1: peers.Jaeger) -> None:
    res = send("--endpoint", f"http://{jaeger_v1.otlp_http}", "--jaeger-url", jaeger_v1.query_url, "--verify")
    assert res.exit_code == ExitCode.OK, res.stdout
    assert res.json()["verified"] is True


@pytest.mark.parametrize("port", ["thrift_http", "admin"])
def test_a_query_url_aimed_at_another_jaeger_v1_port_says_which(jaeger_v1: peers.Jaeger, port: str) -> None:
    url = str(getattr(jaeger_v1, ATTR[port]))
    url = url if url.startswith("http") else f"http://{url}"
    res = run("find-trace", "4bf92f3577b34da6a3ce929d0e0e4736", "--json", "--jaeger-url", url)
    assert res.exit_code == ExitCode.PROBLEM
    f = only_finding(res)
    assert f["code"] == "jaeger.not-query-api"
    assert "Jaeger v1's" in f["message"] and "16686" in f["hint"]


def test_check_reads_jaeger_v1s_admin_port_as_jaegers_health_not_the_collectors(
    tmp_path: Path, jaeger_v1: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> None:
    collector = start_collector(peers.collector_config(jaeger_v1.otlp_grpc))
    env = {"OTEL_SERVICE_NAME": "v1", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_grpc}",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}  # fmt: skip
    common = ["check", "--json", "--jaeger-url", jaeger_v1.query_url, "--collector-metrics-url",
              str(collector.metrics_url), "--timeout", "3s"]  # fmt: skip
    good = run(*common, "--collector-health-url", str(collector.health_url), "--jaeger-health-url",
               str(jaeger_v1.admin_url), env=env)  # fmt: skip
    steps = {s["name"]: s for s in good.json()["steps"]}
    assert good.exit_code == ExitCode.OK, good.stdout
    assert steps["jaeger-health"]["status"] == "pass" and "jaeger-v1-admin" in steps["jaeger-health"]["detail"]
    swapped = run(*common[:-4], "--timeout", "3s", "--collector-health-url", str(jaeger_v1.admin_url),
                  "--collector-metrics-url", str(jaeger_v1.metrics_url), env=env)  # fmt: skip
    steps = {s["name"]: s for s in swapped.json()["steps"]}
    assert steps["collector-health"]["status"] == "skip"
    [f] = [f for f in swapped.json()["findings"] if f["code"] == "collector.health-unreachable"]
    assert "Jaeger v1's admin port" in f["message"] and "13133" in f["hint"]
    assert steps["collector-metrics"]["status"] == "skip"
    [m] = [f for f in swapped.json()["findings"] if f["code"] == "collector.metrics-unreachable"]
    assert "Jaeger's own metrics" in m["message"]


def test_a_collector_exporting_to_jaeger_v1s_grpc_collector_port_is_named(
    tmp_path: Path, jaeger_v1: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> None:
    """The old way to reach Jaeger (14250) with an OTLP exporter: the exporter probe says why it fails."""
    exporter = {"endpoint": jaeger_v1.grpc_collector, "tls": {"insecure": True}}
    collector = start_collector(peers.collector_config(None, exporter=exporter))
    env = {"OTEL_SERVICE_NAME": "v1", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_grpc}",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}  # fmt: skip
    res = run("check", "--json", "--jaeger-url", jaeger_v1.query_url, "--config", str(collector.config_path),
              "--wait", "4s", "--timeout", "3s", env=env)  # fmt: skip
    assert res.exit_code == ExitCode.PROBLEM
    codes = [f["code"] for f in res.json()["findings"] if f["severity"] == "error"]
    assert "export.jaeger-v1-port" in codes, res.json()["findings"]
