"""`check --app-dir` on Go, Node.js and Java apps: go.mod, package.json + package-lock.json, pom.xml and
Gradle files, with the same codes as `otdiag run`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from otdiag.model import ExitCode
from otdiag.observe import manifests
from tests.cli_runner import run
from tests.peers import REPO


def app_check(app: Path) -> dict[str, dict[str, object]]:
    res = run("check", "--app-dir", str(app), "--no-e2e", "--timeout", "1s", "--json")
    assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM), res.stderr
    return {f["code"]: f for f in res.json()["findings"] if f["code"].startswith("app.")}


GO_MOD = """module example.com/orders

go 1.22

require (
	github.com/gin-gonic/gin v1.10.0
	go.opentelemetry.io/otel v1.28.0
	go.opentelemetry.io/otel/exporters/jaeger v1.17.0
	go.opentelemetry.io/otel/sdk v1.21.0
)

require go.opentelemetry.io/otel/trace v1.28.0 // indirect
"""


def test_go_mod_with_the_jaeger_exporter_skew_and_an_uninstrumented_router(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(GO_MOD)
    found = app_check(tmp_path)
    jaeger = found["app.jaeger-exporter-removed"]
    assert jaeger["location"] == {"file": "go.mod", "line": 8, "column": 1}
    assert "v1.17.0" in str(jaeger["message"]) and "otlptracegrpc" in str(jaeger["hint"])
    skew = str(found["app.otel-version-skew"]["message"])
    assert "go.opentelemetry.io/otel/sdk v1.21.0" in skew and "go.opentelemetry.io/otel v1.28.0" in skew
    assert "otelgin" in str(found["app.instrumentation-missing"]["message"])
    assert found["app.instrumentation-missing"]["severity"] == "warning"


def test_a_go_app_with_the_api_but_no_sdk(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n\ngo 1.22\n\nrequire go.opentelemetry.io/otel v1.28.0\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    found = app_check(tmp_path)
    assert found["app.no-provider"]["location"] == {"file": "go.mod", "line": 5, "column": 1}
    (tmp_path / "main.go").write_text("package lib\n")
    assert "app.no-provider" not in app_check(tmp_path)  # a library may depend on the API alone


def test_the_pinned_go_test_apps_are_consistent(tmp_path: Path) -> None:
    shutil.copy(REPO / "tests" / "apps" / "go" / "go.mod", tmp_path / "go.mod")
    assert manifests.go_findings(tmp_path) == []
    reqs, direct = manifests.go_requires((tmp_path / "go.mod").read_text())
    assert reqs["go.opentelemetry.io/otel/sdk"].version == "v1.47.0" and direct["go.opentelemetry.io/otel/sdk"]
    assert direct["go.opentelemetry.io/otel/trace"] is False


def test_package_json_resolved_by_its_lock(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "name": "svc",
                "dependencies": {
                    "express": "^4.19.0",
                    "@opentelemetry/sdk-node": "^0.57.0",
                    "@opentelemetry/sdk-trace-base": "^2.0.0",
                    "@opentelemetry/exporter-jaeger": "^1.30.0",
                },
            },
            indent=2,
        )
    )
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "svc"},
            "node_modules/@opentelemetry/sdk-node": {"version": "0.57.2"},
            "node_modules/@opentelemetry/sdk-trace-base": {"version": "2.0.1"},
            "node_modules/@opentelemetry/exporter-jaeger": {"version": "1.30.1"},
            "node_modules/express": {"version": "4.21.2"},
        },
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    found = app_check(tmp_path)
    jaeger = found["app.jaeger-exporter-removed"]
    assert "1.30.1" in str(jaeger["message"]) and jaeger["location"] == {"file": "package.json", "line": 7, "column": 1}
    skew = str(found["app.otel-version-skew"]["message"])
    # check --app-dir gives the Node observer's own reading first (one finding per code): both name the versions
    assert "sdk-trace-base" in skew and "2.0.1" in skew and "sdk-node" in skew and "0.57.2" in skew
    assert "@opentelemetry/instrumentation-express" in str(found["app.instrumentation-missing"]["message"])


def test_a_consistent_node_app_with_auto_instrumentation_has_no_finding(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "dependencies": {
                    "express": "4.21.2",
                    "@opentelemetry/sdk-node": "0.203.0",
                    "@opentelemetry/sdk-trace-base": "2.0.1",
                    "@opentelemetry/resources": "2.0.1",
                    "@opentelemetry/auto-instrumentations-node": "0.62.0",
                }
            }
        )
    )
    assert manifests.node_findings(tmp_path) == []


POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties><otel.version>1.32.0</otel.version></properties>
  <dependencies>
    <dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-api</artifactId>
      <version>${otel.version}</version>
    </dependency>
    <dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-sdk</artifactId>
      <version>1.38.0</version>
    </dependency>
    <dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-exporter-jaeger</artifactId>
      <version>1.32.0</version>
    </dependency>
  </dependencies>
</project>
"""


def test_pom_properties_skew_and_the_jaeger_exporter(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    found = app_check(tmp_path)
    line = next(n for n, text in enumerate(POM.splitlines(), 1) if "opentelemetry-exporter-jaeger" in text)
    assert found["app.jaeger-exporter-removed"]["location"] == {"file": "pom.xml", "line": line, "column": 1}
    skew = str(found["app.otel-version-skew"]["message"])
    # check --app-dir gives the Java reader's wording first (one finding per code): both name the versions
    assert "opentelemetry-api" in skew and "1.32.0" in skew and "opentelemetry-sdk" in skew and "1.38.0" in skew


def test_gradle_kts_and_a_hostile_pom(tmp_path: Path) -> None:
    (tmp_path / "build.gradle.kts").write_text(
        'dependencies {\n  implementation("io.opentelemetry:opentelemetry-api:1.40.0")\n'
        '  implementation("io.opentelemetry:opentelemetry-sdk:1.40.0")\n'
        '  implementation("io.opentelemetry:opentelemetry-exporter-jaeger-thrift:1.34.1")\n}\n'
    )
    (tmp_path / "pom.xml").write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><project>&a;</project>')
    found = manifests.java_findings(tmp_path)
    assert [f.code for f in found] == ["app.jaeger-exporter-removed"]
    assert found[0].location is not None and (found[0].location.file, found[0].location.line) == ("build.gradle.kts", 4)


def test_broken_manifests_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{not json")
    (tmp_path / "package-lock.json").write_text("[]")
    (tmp_path / "pom.xml").write_text("<project><dependencies><dependency>")
    (tmp_path / "go.mod").write_bytes(b"\xff\xfe require (\n\x00\n")
    assert manifests.findings(tmp_path) == []
