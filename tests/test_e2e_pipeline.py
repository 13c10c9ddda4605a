"""The seed's data flow end to end, with no otdiag code in the way.

App (the real Python SDK) -> Collector (real) -> Jaeger v2 (real), and the
span is found again through both of Jaeger's HTTP query APIs. This proves the
harness before any otdiag command is tested against it. The tests marked
`matrix` run once per collector and Jaeger release of the version matrix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests import peers
from tests.sdk_app import send_span

pytestmark = [pytest.mark.peers]


def wait_for_trace(
    query_url: str, trace_id: str, deadline_s: float = 30.0, spans: int = 1
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Poll both query APIs until each returns the trace with `spans` spans; return (legacy, v3).

    A collector may export one trace's spans in separate batches (the child ends, and is
    batched, before its parent), so the first answer can hold only part of the trace.
    """
    legacy: dict[str, Any] | None = None
    v3: dict[str, Any] | None = None
    deadline = time.monotonic() + deadline_s
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline and (legacy is None or v3 is None):
            if legacy is None:
                r = client.get(f"{query_url}/api/traces/{trace_id}")
                if r.status_code == 200 and sum(len(t["spans"]) for t in r.json()["data"]) >= spans:
                    legacy = r.json()
            if v3 is None:
                r = client.get(f"{query_url}/api/v3/traces/{trace_id}")
                if r.status_code == 200 and len(v3_spans(r.json())) >= spans:
                    v3 = r.json()
            time.sleep(0.1)
    assert legacy is not None, f"trace {trace_id} never showed {spans} span(s) on /api/traces within {deadline_s}s"
    assert v3 is not None, f"trace {trace_id} never showed {spans} span(s) on /api/v3/traces within {deadline_s}s"
    return legacy, v3


def v3_spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        span for rs in doc["result"]["resourceSpans"] for ss in rs.get("scopeSpans", []) for span in ss.get("spans", [])
    ]


def v3_service(doc: dict[str, Any]) -> str:
    attrs = doc["result"]["resourceSpans"][0]["resource"]["attributes"]
    return str(next(a["value"]["stringValue"] for a in attrs if a["key"] == "service.name"))


@pytest.mark.matrix(collector_peer=peers.COLLECTORS, jaeger_peer=peers.JAEGERS)
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_sdk_span_through_real_collector_is_found_in_real_jaeger(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger], protocol: str
) -> None:
    collector, jaeger = collector_to_jaeger
    endpoint = collector.otlp_grpc if protocol == "grpc" else collector.otlp_http
    assert endpoint
    trace_id = send_span(endpoint, protocol=protocol, service=f"e2e-{protocol.replace('/', '-')}", children=1)

    legacy, v3 = wait_for_trace(jaeger.query_url, trace_id, spans=2)

    [trace] = legacy["data"]
    assert trace["traceID"] == trace_id
    assert sorted(s["operationName"] for s in trace["spans"]) == ["e2e-span", "e2e-span-child-0"]
    assert {p["serviceName"] for p in trace["processes"].values()} == {f"e2e-{protocol.replace('/', '-')}"}

    spans = v3_spans(v3)
    assert {s["traceId"] for s in spans} == {trace_id}
    assert sorted(s["name"] for s in spans) == ["e2e-span", "e2e-span-child-0"]
    assert v3_service(v3) == f"e2e-{protocol.replace('/', '-')}"


@pytest.mark.matrix(jaeger_peer=peers.JAEGERS)
def test_unknown_trace_is_not_found_on_either_api(jaeger: peers.Jaeger) -> None:
    missing = "0123456789abcdef0123456789abcdef"
    legacy = httpx.get(f"{jaeger.query_url}/api/traces/{missing}", timeout=5)
    v3 = httpx.get(f"{jaeger.query_url}/api/v3/traces/{missing}", timeout=5)
    assert legacy.status_code == 404
    assert legacy.json()["errors"][0]["msg"] == "trace not found"
    assert v3.status_code == 404
    assert "No traces found" in v3.text


@pytest.mark.matrix(jaeger_peer=peers.JAEGERS)
def test_sdk_span_sent_straight_to_jaegers_own_otlp_receiver(jaeger: peers.Jaeger) -> None:
    trace_id = send_span(jaeger.otlp_grpc, service="e2e-direct")
    legacy, v3 = wait_for_trace(jaeger.query_url, trace_id)
    assert legacy["data"][0]["traceID"] == trace_id
    assert v3_service(v3) == "e2e-direct"


def test_sdk_span_through_rotel_is_found_in_real_jaeger(
    jaeger: peers.Jaeger, start_rotel: Callable[..., peers.Rotel]
) -> None:
    rotel = start_rotel(jaeger.otlp_grpc)
    trace_id = send_span(rotel.otlp_grpc, service="e2e-rotel")
    legacy, v3 = wait_for_trace(jaeger.query_url, trace_id)
    assert legacy["data"][0]["spans"][0]["operationName"] == "e2e-span"
    assert v3_service(v3) == "e2e-rotel"


@pytest.mark.matrix(collector_peer=peers.COLLECTORS)
def test_a_broken_collector_config_is_reported_by_the_real_collector(
    start_collector: Callable[..., peers.Collector],
) -> None:
    cfg = peers.collector_config(None, overrides={"receivers": {"otlp": {"endpoint": "127.0.0.1:4317"}}})
    col = start_collector(cfg, wait=False)
    assert col.process.wait_exit(30) != 0
    assert "has invalid keys: endpoint" in col.process.log()
