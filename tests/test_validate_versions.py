"""validate-config --collector-version: what a release has, from the generated table (data/versions.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from otdiag.validate import versions
from otdiag.validate.binary import run_validate
from tests import peers
from tests.cli_runner import run
from tests.conftest import require_peer

CONFIG = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
processors:
  memory_limiter: {check_interval: 1s, limit_percentage: 80}
exporters:
  EXPORTER:
    endpoint: jaeger:4317
    tls: {insecure: true}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter]
      exporters: [EXPORTER]
"""


def validate(tmp_path: Path, exporter: str, *args: str) -> dict[str, object]:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.replace("EXPORTER", exporter))
    res = run("validate-config", str(path), "--json", *args)
    doc: dict[str, object] = json.loads(res.stdout)
    return doc


def codes(doc: dict[str, object]) -> list[str]:
    return [f["code"] for f in doc["findings"]]  # type: ignore[attr-defined]


def test_the_table_is_generated_from_release_metadata() -> None:
    doc = json.loads(versions.DATA.read_text())
    assert doc["generated_by"] == "scripts/gen_versions.py"
    assert len(doc["releases"]) >= 10
    exp = doc["components"]["exporter"]
    # The rename the collector made (v0.144/145): otlp_grpc is new, otlp its deprecated alias from then on.
    assert exp["otlp"]["alias_of"] == "otlp_grpc"
    assert versions.parse(exp["otlp_grpc"]["first"]) > versions.parse(exp["otlp_grpc"]["first_after"])


def test_a_newer_type_on_an_old_release_names_the_old_name(tmp_path: Path) -> None:
    doc = validate(tmp_path, "otlp_grpc", "--collector-version", "0.119.0")
    errors = [f for f in doc["findings"] if f["severity"] == "error"]  # type: ignore[attr-defined]
    assert [f["code"] for f in errors] == ["version.not-in-release"]
    assert "is not in collector v0.119.0" in errors[0]["message"] and "use otlp" in errors[0]["message"]
    assert errors[0]["location"]["line"] == 10


def test_the_alias_warning_fires_only_where_the_alias_is_deprecated(tmp_path: Path) -> None:
    assert "config.deprecated" not in codes(validate(tmp_path, "otlp", "--collector-version", "v0.119.0"))
    assert "config.deprecated" in codes(validate(tmp_path, "otlp", "--collector-version", "0.155.0"))
    # Default: the newest release otdiag knows, where otlp is deprecated.
    assert "config.deprecated" in codes(validate(tmp_path, "otlp"))
    assert "config.deprecated" not in codes(validate(tmp_path, "otlp_grpc", "--collector-version", "0.155.0"))


def test_a_removed_type_says_when_instead_of_unknown(tmp_path: Path) -> None:
    oldest = versions.load().oldest
    removed = next(
        (t, e)
        for t, e in versions.load().components["exporter"].items()
        if e.get("removed") and not e.get("alias_of") and versions.parse(e["removed"]) > oldest
    )
    typ, entry = removed
    after = validate(tmp_path, typ, "--collector-version", entry["removed"])
    assert "config.unknown-type" not in codes(after)
    msg = next(f["message"] for f in after["findings"] if f["code"] == "config.removed-type")  # type: ignore[attr-defined]
    assert f"{typ} was removed in {entry['removed']}" in msg


@pytest.mark.parametrize(
    ("value", "message"),
    [("banana", "is not a release like 0.124.0"), ("0.5.0", "otdiag knows collector releases"),
     ("http://127.0.0.1:1/metrics", "gives no metrics")],
)  # fmt: skip
def test_bad_versions_are_exit_2(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.replace("EXPORTER", "otlp"))
    res = run("validate-config", str(path), "--collector-version", value, env={"COLUMNS": "1000"})  # one line there
    assert res.exit_code == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.peers
@pytest.mark.matrix(collector_peer=["otelcol-old", "otelcol-newest"])
def test_the_release_is_read_from_a_binary_or_a_running_collectors_metrics(
    tmp_path: Path, start_collector: Callable[..., peers.Collector], collector_peer: str
) -> None:
    release = peers.version(collector_peer)
    binary = str(require_peer(collector_peer))
    assert versions.from_user(binary) == versions.parse(release)
    collector = start_collector(peers.collector_config(None))
    assert versions.from_user(str(collector.metrics_url)) == versions.parse(release)
    # otlp_grpc is newer than v0.111.0: otdiag says so exactly where the release's own validate fails.
    doc = validate(tmp_path, "otlp_grpc", "--collector-version", str(collector.metrics_url))
    real = run_validate(binary, tmp_path / "c.yaml")
    assert ("version.not-in-release" in codes(doc)) == (not real.ok), real.messages
    assert real.ok == (versions.parse(release) >= versions.parse("v0.145.0"))
