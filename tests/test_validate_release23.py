"""validate-config: which release is checked against, and what it is right to say about it (issue 23).

- With --otelcol (or --with-binary) the release is the binary's own (`--version`), and advice that needs
  a component type the binary lacks (the otlp -> otlp_grpc rename on v0.111) is not offered.
- A receiver endpoint the user wrote is a choice (0.0.0.0 in a gateway, 127.0.0.1 in a local agent): no
  note. A left-out one is noted only on releases whose default became localhost (v0.104).

Human view, JSON and exit code are checked together, against the three real collector binaries.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import run
from tests.conftest import require_peer

GATEWAY = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
        endpoint: 0.0.0.0:4318
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  batch:
    send_batch_max_size: 8192
exporters:
  EXPORTER/jaeger:
    endpoint: jaeger-collector:4317
    tls:
      insecure: true
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [EXPORTER/jaeger]
"""
LOCAL = GATEWAY.replace("0.0.0.0:", "127.0.0.1:")
LEFT_OUT = GATEWAY.replace("        endpoint: 0.0.0.0:4317\n", "").replace("        endpoint: 0.0.0.0:4318\n", "")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _report(*args: str) -> tuple[dict[str, Any], str, int]:
    """(JSON, human view, exit code) of the same validate-config run."""
    res = run("validate-config", *args, "--json")
    human = run("validate-config", *args, env={"COLUMNS": "80"})
    assert res.exit_code == human.exit_code, (res.stdout, human.stdout)
    doc: dict[str, Any] = res.json()
    return doc, _plain(human.stdout), res.exit_code


@pytest.mark.parametrize("text", [GATEWAY, LOCAL], ids=["gateway-0.0.0.0", "local-127.0.0.1"])
@pytest.mark.parametrize("version", ["0.111.0", "0.155.0", None])
def test_a_written_endpoint_gets_no_finding(tmp_path: Path, text: str, version: str | None) -> None:
    exporter = "otlp" if version == "0.111.0" else "otlp_grpc"
    path = _write(tmp_path, "c.yaml", text.replace("EXPORTER", exporter))
    args = [str(path), *(["--collector-version", version] if version else [])]
    doc, human, code = _report(*args)
    assert code == ExitCode.OK
    assert doc["findings"] == [], doc["findings"]
    assert "0 errors, 0 warnings, 0 notes" in human, human
    assert run("validate-config", *args, "--strict").exit_code == ExitCode.OK


@pytest.mark.parametrize(("version", "noted"), [("0.103.0", False), ("0.104.0", True), ("0.155.0", True)])
def test_a_left_out_endpoint_is_noted_only_where_the_default_is_localhost(
    tmp_path: Path, version: str, noted: bool
) -> None:
    path = _write(tmp_path, "c.yaml", LEFT_OUT.replace("EXPORTER", "otlp"))
    doc, human, code = _report(str(path), "--collector-version", version)
    found = [f for f in doc["findings"] if f["code"] == "config.receiver-on-localhost"]
    assert code == ExitCode.OK
    if not noted:  # before v0.104 a left-out endpoint was 0.0.0.0: nothing changes for this config
        assert found == [] and "receiver-on-localhost" not in human
        return
    assert len(found) == 1 and found[0]["severity"] == "info", found
    assert "localhost:4317" in found[0]["message"] and "localhost:4318" in found[0]["message"]
    assert "left out" in found[0]["message"] and "(config.receiver-on-localhost)" in human
    assert run("validate-config", str(path), "--collector-version", version, "--strict").exit_code == ExitCode.OK


def _binary(peer: str) -> tuple[Path, str]:
    path = require_peer(peer)
    return path, peers.version(peer).removeprefix("v")


# The rename of the otlp exporter to otlp_grpc came in v0.144: the old builds neither have nor need it.
@pytest.mark.parametrize("peer", ["otelcol-old", "otelcol", "otelcol-newest"])
def test_otelcol_is_checked_against_its_own_release(tmp_path: Path, peer: str) -> None:
    binary, version = _binary(peer)
    path = _write(tmp_path, "c.yaml", GATEWAY.replace("EXPORTER", "otlp"))
    doc, human, code = _report(str(path), "--otelcol", str(binary))
    assert code == ExitCode.OK
    assert doc["collector_version"] == f"v{version}" and doc["files"][0]["collector_version"] == f"v{version}"
    assert (doc["collector_version_from"], doc["collector_binary"]) == ("binary", binary.name)
    assert doc["collector_binary_version"] == f"v{version}"
    assert f"checked against collector v{version}, as {binary.name} --version says" in human
    renames = [f for f in doc["findings"] if f["code"] == "config.deprecated"]
    has_new_name = tuple(int(p) for p in version.split(".")) >= (0, 144, 0)
    if has_new_name:  # the rename is offered, and this very binary takes the new name
        assert [f["hint"] for f in renames] == ["Rename otlp/jaeger to otlp_grpc/jaeger."]
        renamed = _write(tmp_path, "renamed.yaml", GATEWAY.replace("EXPORTER", "otlp_grpc"))
        after, _, code = _report(str(renamed), "--otelcol", str(binary))
        assert code == ExitCode.OK and after["findings"] == [], after["findings"]
    else:
        assert renames == [] and "otlp_grpc" not in human, human


def test_otelcol_and_a_different_collector_version_is_a_usage_error(tmp_path: Path) -> None:
    binary, version = _binary("otelcol-old")
    path = _write(tmp_path, "c.yaml", GATEWAY.replace("EXPORTER", "otlp"))
    res = run("validate-config", str(path), "--otelcol", str(binary), "--collector-version", "0.155.0",
              env={"COLUMNS": "1000"})  # fmt: skip
    assert res.exit_code == ExitCode.USAGE
    assert f"which says v{version}" in res.stderr and len(res.stderr.strip().splitlines()) <= 2
    same = run("validate-config", str(path), "--otelcol", str(binary), "--collector-version", version, "--json")
    assert same.exit_code == ExitCode.OK and same.json()["collector_version"] == f"v{version}"


def test_with_binary_uses_the_release_of_the_collector_on_path(tmp_path: Path) -> None:
    binary, version = _binary("otelcol-old")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "otelcol").symlink_to(binary)
    path = _write(tmp_path, "c.yaml", GATEWAY.replace("EXPORTER", "otlp"))
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    res = run("validate-config", str(path), "--with-binary", "--json", env=env)
    assert res.exit_code == ExitCode.OK, res.stdout
    doc = res.json()
    assert (doc["collector_version"], doc["collector_binary"]) == (f"v{version}", "otelcol")
    assert doc["findings"] == [], doc["findings"]


EVERY_NAME = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
exporters:
  otlp/a:
    endpoint: j:4317
    tls: {insecure: true}
  otlp_grpc/b:
    endpoint: j:4317
    tls: {insecure: true}
  otlphttp/c:
    endpoint: http://j:4318
  otlp_http/d:
    endpoint: http://j:4318
  logging: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp/a, otlp_grpc/b, otlphttp/c, otlp_http/d, logging]
"""
_ADVICE = re.compile(r"(?:Rename \S+ to |[Uu]se \"?)([a-z_]+)")


@pytest.mark.parametrize("peer", ["otelcol-old", "otelcol", "otelcol-newest"])
def test_no_advice_names_a_type_the_binary_lacks(tmp_path: Path, peer: str) -> None:
    """Old names, new names, a removed type: every type otdiag tells the user to use is in the build."""
    from otdiag.validate import binary as otelcol

    binary, _ = _binary(peer)
    have = otelcol.components(str(binary))
    assert have is not None and "otlp" in have["receiver"], have
    takes = have["exporter"] | {
        old for old, new in (("otlp", "otlp_grpc"), ("otlphttp", "otlp_http")) if new in have["exporter"]
    }
    doc, _, _ = _report(str(_write(tmp_path, "c.yaml", EVERY_NAME)), "--otelcol", str(binary))
    advised = {
        m.group(1)
        for f in doc["findings"]
        if f["code"] != "config.collector-says"  # the binary's own words
        for m in _ADVICE.finditer(f["hint"] + " " + f["message"])
    }
    exporter_names = {"otlp", "otlp_grpc", "otlphttp", "otlp_http", "debug", "logging"}
    assert advised & exporter_names, doc["findings"]  # something was advised: the check is not empty
    assert advised & exporter_names <= takes, (advised, sorted(takes))
