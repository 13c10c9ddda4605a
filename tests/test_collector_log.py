"""`check --collector-log`: what a real collector's exporters log about failed exports, through the one
classifier (otdiag.otlp.classify), as collector -> Jaeger findings with the exporter, target and line.

The log lines are made at test time by real collectors of the version matrix, exporting to a real Jaeger v2
with wrong settings: a closed port, TLS to its plaintext gRPC port, otlphttp with a wrong path, https to its
plaintext HTTP port, otlphttp to its gRPC port. Console and JSON encodings, and a `docker logs -t` prefix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otdiag.collector import exporter_log
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Finding, Stage
from tests import peers
from tests.sdk_app import send_span

REPO = Path(__file__).resolve().parent.parent

# exporter ID -> the code its failure must get (the same as send-test-span's ingest.* code, as export.*)
WANT = {
    "otlp/closed": "export.refused",
    "otlp/tls": "export.tls-to-plaintext",
    "otlphttp/path": "export.http-404",
    "otlphttp/https": "export.tls-to-plaintext",
    "otlphttp/grpcport": "export.http-to-grpc-port",
}


def _broken_exporters(jaeger: peers.Jaeger) -> dict[str, dict[str, object]]:
    once = {"enabled": False}
    return {
        "otlp/closed": {"endpoint": f"127.0.0.1:{peers.free_port()}", "tls": {"insecure": True},
                        "retry_on_failure": once},
        "otlp/tls": {"endpoint": jaeger.otlp_grpc, "tls": {"insecure_skip_verify": True}, "retry_on_failure": {
            "initial_interval": "100ms", "max_interval": "200ms", "max_elapsed_time": "1s"}},
        "otlphttp/path": {"traces_endpoint": f"http://{jaeger.otlp_http}/api/v1/traces", "retry_on_failure": once},
        "otlphttp/https": {"endpoint": f"https://{jaeger.otlp_http}", "retry_on_failure": once},
        "otlphttp/grpcport": {"endpoint": f"http://{jaeger.otlp_grpc}", "retry_on_failure": once},
    }  # fmt: skip


def _collector_log(
    start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector], encoding: str
) -> str:
    """A real collector's log after one span failed in every broken exporter."""
    jaeger = start_jaeger()
    exporters = _broken_exporters(jaeger)
    cfg = peers.collector_config(None, overrides={"service": {"telemetry": {"logs": {"encoding": encoding}}}})
    cfg["exporters"] = exporters
    cfg["service"]["pipelines"]["traces"]["exporters"] = list(exporters)
    col = start_collector(cfg)
    send_span(col.otlp_grpc or "")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log = col.process.log()
        if all(f'"{e}"' in log and "Dropping data" in log for e in exporters) and log.count("Dropping data") >= 5:
            break
        time.sleep(0.2)
    col.stop()
    return col.process.log()


def _by_exporter(text: str) -> dict[str, Finding]:
    out = {}
    for f in exporter_log.findings(text):
        exporter = f.message.split("exporter ", 1)[1].split(" ", 1)[0]
        assert exporter not in out, f"one finding per code and exporter: {exporter}"
        out[exporter] = f
    return out


@pytest.mark.peers
@pytest.mark.matrix(collector_peer=peers.COLLECTORS)
def test_a_real_collectors_exporter_errors_get_the_classifiers_codes(
    start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector], tmp_path: Path
) -> None:
    console = _collector_log(start_jaeger, start_collector, "console")
    # docker logs -t / kubectl logs --timestamps put an RFC 3339 time before every line.
    docker = "".join(f"2024-05-01T10:00:00.{i:09d}Z {line}\n" for i, line in enumerate(console.splitlines()))
    for text in (console, docker):
        found = _by_exporter(text)
        assert {e: f.code for e, f in found.items()} == WANT, text[-3000:]
        for exporter, f in found.items():
            assert f.stage is Stage.COLLECTOR_EXPORT
            assert f"logged by {exporter}" in f.evidence[0]
            assert "Exporting failed" in f.evidence[1] and exporter in f.evidence[1]
            assert "stacktrace" not in f.evidence[1] and "service.instance.id" not in f.evidence[1]
        closed = found["otlp/closed"]
        port = _broken_port(console)
        assert closed.target == f"127.0.0.1:{port}" and "1 of them dropping" in closed.evidence[0]
        assert found["otlphttp/path"].target is not None and found["otlphttp/path"].target.endswith("/api/v1/traces")
        retried = found["otlp/tls"].evidence[0]
        assert int(retried.split(" ", 1)[0]) >= 2  # every retry is counted, in one finding
    assert docker.splitlines()[0].startswith("2024-05-01T10:00:00.")

    # The same failures through the CLI, human and JSON, from a file and from stdin.
    path = tmp_path / "collector.log"
    path.write_text(docker)
    doc = _check("--collector-log", str(path))
    logged = {f["code"] for f in doc["findings"] if f["stage"] == "collector-export"}
    assert logged == set(WANT.values())
    doc_stdin = _check("--collector-log", "-", stdin=docker)
    exported = [(f["code"], f["message"], f["evidence"]) for f in doc["findings"] if f["stage"] == "collector-export"]
    assert [
        (f["code"], f["message"], f["evidence"]) for f in doc_stdin["findings"] if f["stage"] == "collector-export"
    ] == exported
    human = _check("--collector-log", str(path), as_json=False)
    assert "─✗─▶ Jaeger" in human and "(export.refused)" in human and "logged by otlp/closed" in human


@pytest.mark.peers
def test_a_json_encoded_collector_log_reads_the_same(
    start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    text = _collector_log(start_jaeger, start_collector, "json")
    assert text.lstrip().startswith("{")
    found = _by_exporter(text)
    assert {e: f.code for e, f in found.items()} == WANT
    assert '"msg": "Exporting failed.' in found["otlp/closed"].evidence[1]


@pytest.mark.peers
def test_the_log_is_read_bounded_its_last_4_mib_and_lines_cut_at_8_kib(
    start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector], tmp_path: Path
) -> None:
    real = _collector_log(start_jaeger, start_collector, "console")
    refused = next(x for x in real.splitlines() if "otlp/closed" in x and "Exporting failed" in x)
    big = tmp_path / "big.log"
    with big.open("w") as out:
        out.write(refused + "\n")  # in the first MiB: past the tail that is read
        out.write(("x" * 1023 + "\n") * (6 * 1024))
        out.write(real)
    text = exporter_log.read_log(str(big))
    assert len(text.encode()) <= exporter_log.MAX_BYTES and text.endswith(real[-100:])
    found = _by_exporter(text)
    assert found["otlp/closed"].evidence[0].startswith("1 failed export")  # the early copy was not read
    # A line of megabytes is cut at 8 KiB and still read for its fields.
    huge = refused.replace('"dropped_items"', '"padding": "' + "p" * 3_000_000 + '", "dropped_items"')
    (line,) = [exporter_log.parse_line(huge)]
    assert line is not None and line.exporter == "otlp/closed" and len(line.line) <= exporter_log.MAX_LINE
    with pytest.raises(UsageError, match="--collector-log: /dev/zero is longer than"):
        exporter_log.read_log("/dev/zero")
    with pytest.raises(UsageError, match="does not exist"):
        exporter_log.read_log(str(tmp_path / "nothing.log"))


def _broken_port(log: str) -> int:
    line = next(x for x in log.splitlines() if "otlp/closed" in x and "connection refused" in x)
    return int(line.split("dial tcp 127.0.0.1:", 1)[1].split(":", 1)[0])


def _check(*args: str, stdin: str | None = None, as_json: bool = True) -> Any:
    dead = f"127.0.0.1:{peers.free_port()}"
    argv = [sys.executable, "-m", "otdiag", "check", "--no-e2e", "--timeout", "1s", "--otlp-endpoint",
            f"http://{dead}", "--jaeger-url", f"http://{dead}", *(["--json"] if as_json else []), *args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "200"}
    proc = subprocess.run(argv, input=stdin or "", capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == ExitCode.PROBLEM, proc.stderr
    return json.loads(proc.stdout) if as_json else proc.stdout
