"""validate-config --otelcol / --with-binary: the real collector's own verdict merged into the report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from otdiag.model import ExitCode
from tests.cli_runner import run
from tests.conftest import require_peer

pytestmark = [pytest.mark.peers]

GOOD = """receivers:
  otlp:
    protocols:
      grpc:
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
"""


def test_the_binarys_verdict_is_merged_and_located(tmp_path: Path) -> None:
    otelcol = require_peer("otelcol")
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("      exporters: [debug]", "      exporters: [debug, nope]"))
    res = run("validate-config", str(bad), "--otelcol", str(otelcol), "--json")
    assert res.exit_code == ExitCode.PROBLEM
    findings = res.json()["files"][0]["findings"]
    said = [f for f in findings if f["code"] == "config.collector-says"]
    assert said, findings
    assert 'references exporter "nope" which is not configured' in said[0]["message"]
    ours = [f for f in findings if f["code"] != "config.collector-says" and f["severity"] == "error"]
    assert ours and ours[0]["location"]["line"] == 11


def test_merge_passes_every_file_to_the_binary(tmp_path: Path) -> None:
    """Split across two files, the config is only valid merged; the binary must see both."""
    otelcol = require_peer("otelcol")
    first = tmp_path / "a.yaml"
    first.write_text(GOOD.split("service:", maxsplit=1)[0])
    second = tmp_path / "b.yaml"
    second.write_text("service:" + GOOD.split("service:")[1])
    res = run("validate-config", str(first), str(second), "--merge", "--otelcol", str(otelcol), "--json")
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert not any(f["code"] == "config.collector-says" for f in doc["files"][0]["findings"])


def test_with_binary_finds_the_collector_on_path(tmp_path: Path) -> None:
    otelcol = require_peer("otelcol")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "otelcol").symlink_to(otelcol)
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    res = run("validate-config", str(good), "--with-binary", "--json", env=env)
    assert res.exit_code == ExitCode.OK, res.stdout


def test_a_missing_binary_is_a_usage_error(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    res = run("validate-config", str(good), "--otelcol", str(tmp_path / "no-such-otelcol"))
    assert res.exit_code == ExitCode.USAGE
    assert "--otelcol" in res.stderr
