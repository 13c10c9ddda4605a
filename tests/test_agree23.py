"""One question, one answer (issue 23): check, send-test-span and run agree on the same environment, against real
peers. Each case asserts that the human view, the JSON and the exit code say the same thing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from otdiag.model import ExitCode
from tests import peers
from tests.peers import REPO


def _otdiag(*args: str, env: dict[str, str] | None = None, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_"))}
    base.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "80", **(env or {})})
    cmd = [sys.executable, "-m", "otdiag", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=base, cwd=cwd or REPO, timeout=120, check=False)


def _both(*args: str, env: dict[str, str]) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    """The JSON report and the human run of one command; their exit codes must agree."""
    as_json = _otdiag(*args, "--json", env=env)
    human = _otdiag(*args, env=env)
    assert as_json.returncode == human.returncode, (as_json.stdout, human.stdout)
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is (as_json.returncode == ExitCode.OK)
    return doc, human


def _codes(doc: dict[str, Any], *, severity: str | None = None) -> list[str]:
    return [f["code"] for f in doc["findings"] if severity is None or f["severity"] == severity]


def test_an_unset_protocol_on_a_grpc_only_port_gets_one_verdict_in_send_and_check(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    col, jaeger = collector_to_jaeger
    assert col.otlp_grpc is not None
    port = col.otlp_grpc.rsplit(":", 1)[1]
    env = {"OTEL_SERVICE_NAME": "shop", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://localhost:{port}"}
    sent, sent_h = _both("send-test-span", "--timeout", "3s", env=env)
    checked, check_h = _both(
        "check", "--config", str(col.config_path), "--jaeger-url", jaeger.query_url, "--timeout", "3s", "--wait", "8s",
        env=env,
    )  # fmt: skip
    # One rule: the span goes over gRPC in both, and one warning says which SDKs would fail there.
    assert sent_h.returncode == check_h.returncode == ExitCode.OK
    assert sent["protocol"] == "grpc" and "ingest.http-to-grpc-port" not in _codes(sent)
    for doc, human in ((sent, sent_h), (checked, check_h)):
        assert _codes(doc, severity="warning") == ["app.protocol-unset-grpc-port"]
        unset = next(f for f in doc["findings"] if f["code"] == "app.protocol-unset-grpc-port")
        assert f"localhost:{port}" in unset["message"]
        assert "Python, .NET" in unset["message"] and "Java agent 2.x" in unset["message"]
        assert "app.protocol-unset-grpc-port" in human.stdout
    # check's own app line says the protocol it found, not the http/protobuf it did not use.
    assert f"exports grpc to localhost:{port}" in " ".join(check_h.stdout.split())
    assert "not confirmed by any other probe" not in check_h.stdout


def _finding(doc: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in doc["findings"] if f["code"] == code]
    assert found, _codes(doc)
    return found[0]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_tls_to_plaintext_fix_follows_what_the_endpoint_says(
    start_collector: Callable[..., peers.Collector],
) -> None:
    col = start_collector(peers.collector_config(None))
    assert col.otlp_grpc is not None
    for endpoint, must, must_not in (
        # https:// forces TLS: OTEL_EXPORTER_OTLP_INSECURE / insecure=True cannot help, the scheme must change.
        (f"https://{col.otlp_grpc}", f"Change the endpoint to http://{col.otlp_grpc}", "INSECURE=true"),
        # scheme-less means TLS unless insecure: either fix works.
        (col.otlp_grpc, "OTEL_EXPORTER_OTLP_INSECURE=true", "Change the endpoint"),
    ):
        env = {
            "OTEL_SERVICE_NAME": "shop",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        }
        sent, sent_h = _both("send-test-span", "--timeout", "3s", env=env)
        checked, check_h = _both("check", "--no-e2e", "--jaeger-url", "http://127.0.0.3:9", "--timeout", "3s", env=env)
        assert sent_h.returncode == check_h.returncode == ExitCode.PROBLEM
        fixes = {_finding(doc, "ingest.tls-to-plaintext")["hint"] for doc in (sent, checked)}
        assert len(fixes) == 1, fixes  # one fix, whichever command met it
        fix = fixes.pop()
        assert must in fix and must_not not in fix and "host:4317" not in fix
        for human in (sent_h, check_h):
            assert _flat(fix) in _flat(human.stdout)


def test_a_refused_endpoint_is_one_code_and_the_fix_names_the_configs_addresses(
    start_collector: Callable[..., peers.Collector],
) -> None:
    col = start_collector(peers.collector_config(None))
    assert col.otlp_grpc is not None and col.otlp_http is not None
    env = {
        "OTEL_SERVICE_NAME": "shop",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
    }
    sent, sent_h = _both("send-test-span", "--timeout", "3s", env=env)
    checked, check_h = _both(
        "check", "--config", str(col.config_path), "--no-e2e", "--jaeger-url", "http://127.0.0.3:9", "--timeout", "3s",
        env=env,
    )  # fmt: skip
    assert sent_h.returncode == check_h.returncode == ExitCode.PROBLEM
    # The same wire fault, the same code in both commands.
    assert _codes(sent, severity="error")[0] == _codes(checked, severity="error")[0] == "ingest.refused"
    fix = _finding(checked, "ingest.refused")["hint"]
    assert col.otlp_grpc in fix and col.otlp_http in fix and "4317" not in fix
    assert "".join(fix.split()) in "".join(check_h.stdout.split())  # the human view (wrapped at 80 columns)
    # check's own name for a refusal where nothing of the collector answers says how it relates.
    explained = _otdiag("explain", "ingest.collector-down")
    assert "ingest.refused" in explained.stdout


def test_a_bad_header_is_one_finding_and_check_keeps_probing_the_apps_endpoint(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    col, jaeger = collector_to_jaeger
    assert col.otlp_http is not None
    secret = "zk_live_5ecretVALUE77"
    base = {"OTEL_SERVICE_NAME": "shop", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{col.otlp_http}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}  # fmt: skip
    # A trailing %0D%0A: the SDKs decode, then strip it (Python's parse_env_headers): sent without, nothing fails.
    # A CR LF inside the value: no SDK can send it, every export of the app fails.
    for headers, code, exit_code in (
        (f"x-api-key={secret}%0D%0A", "app.export-setting-ignored", ExitCode.OK),
        ("x-api-key=zk_live_%0D%0A5ecretVALUE77", "ingest.bad-header", ExitCode.PROBLEM),
    ):
        env = {**base, "OTEL_EXPORTER_OTLP_HEADERS": headers}
        sent, sent_h = _both("send-test-span", "--timeout", "3s", env=env)
        checked, check_h = _both(
            "check", "--config", str(col.config_path), "--no-e2e", "--jaeger-url", jaeger.query_url, "--timeout", "3s",
            env=env,
        )  # fmt: skip
        assert sent_h.returncode == check_h.returncode == exit_code, (sent_h.stdout, check_h.stdout)
        for doc in (sent, checked):
            assert code in _codes(doc)
            assert "ingest.collector-down" not in _codes(doc) and "ingest.refused" not in _codes(doc)
        # check probed the app's endpoint, not the defaults.
        assert f"accepted by http://{col.otlp_http}/v1/traces" in _flat(check_h.stdout)
        assert code in check_h.stdout and code in sent_h.stdout
        for out in (sent_h.stdout, check_h.stdout, json.dumps(sent), json.dumps(checked)):
            assert "5ecret" not in out
