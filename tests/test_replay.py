"""`otdiag replay` on real collector binaries: what each processor does to each span, as the docs promise."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import peers
from tests.cli_runner import run
from tests.conftest import require_peer

pytestmark = [pytest.mark.peers]


def _config(
    tmp_path: Path, processors: dict[str, Any], order: list[str], exporters: dict[str, Any] | None = None
) -> str:
    exporters = exporters or {"otlp/jaeger": {"endpoint": "127.0.0.1:9", "tls": {"insecure": True}}}
    cfg = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
        "processors": processors,
        "exporters": exporters,
        "service": {
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": order, "exporters": list(exporters)}}
        },
    }
    path = tmp_path / "collector.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _replay(*args: str) -> tuple[int, dict[str, Any]]:
    got = run("replay", "--json", *args)
    assert got.exit_code in (0, 1), got.stderr
    return got.exit_code, got.json()


def _spans(doc: dict[str, Any], run_index: int = 0) -> dict[str, dict[str, Any]]:
    pipe = doc["runs"][run_index]["pipelines"][0]
    return {s["label"]: s for s in pipe["spans"]}


def test_filter_drops_health_checks_and_transform_changes_what_it_says(tmp_path: Path) -> None:
    binary = require_peer("otelcol")
    cfg = _config(
        tmp_path,
        {
            "filter/health": {"error_mode": "ignore", "traces": {"span": ['attributes["http.route"] == "/health"']}},
            "transform": {
                "error_mode": "ignore",
                "trace_statements": [
                    {
                        "context": "span",
                        "statements": [
                            'set(attributes["env"], "prod")',
                            'delete_key(attributes, "user.email")',
                            'set(name, "cart") where name == "GET /cart"',
                        ],
                    }
                ],
            },
            "attributes/hash": {"actions": [{"key": "session", "action": "hash"}]},
            "resource": {"attributes": [{"key": "deployment.environment", "value": "prod", "action": "upsert"}]},
            "batch": {"timeout": "50ms"},
        },
        ["filter/health", "transform", "attributes/hash", "resource", "batch"],
    )
    code, doc = _replay(
        "--config",
        cfg,
        "--otelcol",
        str(binary),
        "--span",
        'service=shop id=health name="GET /health" http.route=/health expect=dropped',
        "--span",
        'service=shop id=cart name="GET /cart" http.route=/cart user.email=a@b.c session=s3cr3t-value expect=kept',
    )
    assert code == 0, doc["findings"]
    spans = _spans(doc)
    assert spans["health"]["outcome"] == "dropped" and spans["health"]["dropped_by"] == "filter/health"
    assert spans["health"]["exporters"] == []
    cart = spans["cart"]
    assert cart["outcome"] == "kept" and cart["exporters"] == ["otlp/jaeger"]
    steps = {s["processor"]: s for s in cart["steps"]}
    assert steps["filter/health"]["changes"] == []
    changes = {(c["what"], c["key"]): c for c in steps["transform"]["changes"]}
    assert changes[("attribute", "env")]["after"] == "prod" and changes[("attribute", "env")]["before"] is None
    assert changes[("attribute", "user.email")]["after"] is None
    assert changes[("name", None)]["before"] == "GET /cart" and changes[("name", None)]["after"] == "cart"
    hashed = steps["attributes/hash"]["changes"]
    assert len(hashed) == 1 and hashed[0]["key"] == "session" and hashed[0]["before"] == "<redacted>"
    assert steps["resource"]["changes"][0]["key"] == "deployment.environment"
    assert "s3cr3t-value" not in str(doc)


def test_an_unmet_expectation_exits_1_and_names_the_processor(tmp_path: Path) -> None:
    binary = require_peer("otelcol")
    cfg = _config(
        tmp_path,
        {"filter/errors": {"error_mode": "ignore", "traces": {"span": ["status.code == STATUS_CODE_ERROR"]}}},
        ["filter/errors"],
    )
    got = run(
        "replay", "--config", cfg, "--otelcol", str(binary), "--span", "name=checkout status=error", "--expect", "kept"
    )
    assert got.exit_code == 1
    assert "dropped by filter/errors" in got.stdout and "expected kept" in got.stdout
    assert "replay.expectation-failed" in got.stdout


def test_tail_sampling_policies_decide_as_documented(tmp_path: Path) -> None:
    binary = require_peer("otelcol")
    cfg = _config(
        tmp_path,
        {
            "tail_sampling": {
                "decision_wait": "20s",
                "policies": [
                    {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
                    {"name": "slow", "type": "latency", "latency": {"threshold_ms": 500}},
                    {
                        "name": "vip",
                        "type": "string_attribute",
                        "string_attribute": {"key": "customer.tier", "values": ["gold"]},
                    },
                ],
            }
        },
        ["tail_sampling"],
    )
    code, doc = _replay(
        "--config",
        cfg,
        "--otelcol",
        str(binary),
        "--fast",
        "--span",
        "id=error name=a status=error expect=kept",
        "--span",
        "id=slow name=b duration=800ms expect=kept",
        "--span",
        "id=gold name=c customer.tier=gold expect=kept",
        "--span",
        "id=boring name=d duration=5ms expect=dropped",
    )
    assert code == 0, doc["findings"]
    spans = _spans(doc)
    assert spans["boring"]["dropped_by"] == "tail_sampling"
    kept_after = spans["error"]["steps"][0]["after_s"]
    assert kept_after is not None and kept_after >= 0.5  # held for (the shortened) decision_wait, not let through
    codes = [f["code"] for f in doc["findings"]]
    assert "replay.waits-shortened" in codes


@pytest.mark.parametrize(("percentage", "outcome"), [(0, "dropped"), (100, "kept")])
def test_probabilistic_sampler_at_its_extremes(tmp_path: Path, percentage: int, outcome: str) -> None:
    binary = require_peer("otelcol")
    cfg = _config(tmp_path, {"probabilistic_sampler": {"sampling_percentage": percentage}}, ["probabilistic_sampler"])
    code, doc = _replay("--config", cfg, "--otelcol", str(binary), "--span", "name=x", "--span", "name=y")
    assert code == 0
    assert {s["outcome"] for s in _spans(doc).values()} == {outcome}


def test_memory_limiter_and_batch_let_spans_through(tmp_path: Path) -> None:
    binary = require_peer("otelcol")
    cfg = _config(
        tmp_path,
        {"memory_limiter": {"check_interval": "1s", "limit_mib": 4000}, "batch": {"timeout": "30s"}},
        ["memory_limiter", "batch"],
    )
    code, doc = _replay("--config", cfg, "--otelcol", str(binary), "--span", "name=x expect=kept")
    assert code == 0, doc["findings"]
    assert doc["runs"][0]["waited_s"] < 15  # batch's 30 s timeout is not waited for: its shutdown flushes
    assert any(f["code"] == "replay.not-faithful" for f in doc["findings"])


class _Backend:
    """A loopback listener that counts every connection: replay must never reach the config's real endpoints."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def test_nothing_outside_is_contacted(tmp_path: Path) -> None:
    binary = require_peer("otelcol")
    backend = _Backend()
    health_port = peers.free_port()
    try:
        cfg = _config(
            tmp_path,
            {"batch": {"timeout": "50ms"}},
            ["batch"],
            exporters={
                "otlp/real": {"endpoint": backend.endpoint, "tls": {"insecure": True}},
                "otlphttp/real": {"endpoint": f"http://{backend.endpoint}"},
            },
        )
        doc = yaml.safe_load(Path(cfg).read_text())
        doc["extensions"] = {"health_check": {"endpoint": f"127.0.0.1:{health_port}"}}
        doc["service"]["extensions"] = ["health_check"]
        Path(cfg).write_text(yaml.safe_dump(doc))
        code, out = _replay("--config", cfg, "--otelcol", str(binary), "--span", "name=x", "--span", "name=y")
        assert code == 0, out["findings"]
        assert {s["outcome"] for s in _spans(out).values()} == {"kept"}
        assert _spans(out)["x"]["exporters"] == ["otlp/real", "otlphttp/real"]
        assert backend.connections == 0
        assert any("health_check" in note for note in out["left_out"])
    finally:
        backend.close()


def test_a_config_the_binary_cannot_run_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    binary = require_peer("otelcol")
    cfg = _config(tmp_path, {"nosuchprocessor": {}}, ["nosuchprocessor"])
    got = run("replay", "--json", "--config", cfg, "--otelcol", str(binary), "--span", "name=x")
    assert got.exit_code == 1
    doc = got.json()
    assert doc["findings"][0]["code"] == "replay.collector-failed"
    assert "nosuchprocessor" in doc["findings"][0]["message"]


def test_two_releases_compared(tmp_path: Path) -> None:
    old, new = require_peer("otelcol-old"), require_peer("otelcol")
    # The flat trace_statements form (a plain list of statements) is newer than v0.111, which refuses it.
    cfg = _config(
        tmp_path,
        {"transform": {"trace_statements": ['set(span.attributes["env"], "prod")']}},
        ["transform"],
    )
    got = run(
        "replay", "--json", "--config", cfg, "--otelcol", str(old), "--otelcol", str(new), "--span", "id=s name=x"
    )
    doc = got.json()
    assert got.exit_code == 1
    assert [r["version"] for r in doc["runs"]] == [
        peers.version("otelcol-old").lstrip("v"),
        peers.version("otelcol").lstrip("v"),
    ]
    assert doc["runs"][0]["failure"] and not doc["runs"][1]["failure"]
    assert doc["differences"] and doc["differences"][0]["span"] == "s"
    assert "replay.versions-differ" in [f["code"] for f in doc["findings"]]
