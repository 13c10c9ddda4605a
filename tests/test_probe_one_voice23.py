"""check's end-to-end probe and send-test-span send the same span the same way (issue 23): OTLP/JSON that a
real collector decodes, and a probe the app's OTEL_SDK_DISABLED cannot turn into "0 spans accepted"."""

from __future__ import annotations

from typing import Any

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import run

pytestmark = pytest.mark.peers


def _codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def test_check_and_send_agree_on_http_json(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> None:
    collector, jaeger = collector_to_jaeger
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_http}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        "OTEL_SERVICE_NAME": "shop",
    }
    send = run("send-test-span", "--json", "--timeout", "3s", env=env)
    assert send.exit_code == ExitCode.OK, send.stdout
    assert send.json()["protocol"] == "http/json"
    check = run("check", "--json", "--jaeger-url", jaeger.query_url, "--timeout", "3s", "--wait", "10s", env=env)
    doc = check.json()
    assert not any(c.startswith("ingest.") for c in _codes(doc)), doc["findings"]
    assert "could not be decoded" not in check.stdout
    # The one thing wrong with this environment for a Python app is named, as a warning.
    assert "app.python-sdk-differs" in _codes(doc)
    assert check.exit_code == ExitCode.OK and doc["ok"] is True, doc["findings"]


def test_the_apps_sdk_disabled_does_not_disable_the_probe(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, _ = collector_to_jaeger
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_grpc}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_SDK_DISABLED": "true",
    }
    res = run("send-test-span", "--json", "--timeout", "3s", env=env)
    doc = res.json()
    assert doc["sent"] == 1 and doc["accepted"] == 1, doc
    assert int(doc["trace_id"], 16) != 0
    [warning] = [f for f in doc["findings"] if f["code"] == "app.sdk-disabled"]
    assert warning["severity"] == "warning"
    assert res.exit_code == ExitCode.OK
    human = run("send-test-span", "--timeout", "3s", env=env)
    assert "0 span(s)" not in human.stdout and "OTEL_SDK_DISABLED" in human.stdout
