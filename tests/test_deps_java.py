"""`check --app-dir` reads a Java app's pom.xml and Gradle files (never runs Maven or Gradle)."""

from __future__ import annotations

from pathlib import Path

from otdiag.observe import deps_java

POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties><otel.version>1.32.0</otel.version></properties>
  <dependencies>
    <dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-sdk</artifactId>
      <version>${otel.version}</version>
    </dependency>
    <dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-exporter-jaeger</artifactId>
      <version>1.32.0</version>
    </dependency>
    <dependency>
      <groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-api</artifactId>
      <version>1.30.1</version>
    </dependency>
  </dependencies>
</project>
"""


def test_a_pom_with_the_jaeger_exporter_and_skewed_versions(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    found = {f.code: f for f in deps_java.findings(tmp_path)}
    jaeger = found["app.jaeger-exporter-removed"]
    assert jaeger.location is not None and (jaeger.location.file, jaeger.location.line) == ("pom.xml", 12)
    assert "1.34.1" in jaeger.message and "opentelemetry-exporter-otlp" in jaeger.hint
    skew = found["app.otel-version-skew"]
    assert "opentelemetry-api:1.30.1" in skew.message and "opentelemetry-sdk:1.32.0" in skew.message
    assert "opentelemetry-bom" in skew.hint


def test_gradle_files_and_a_bom_managed_build(tmp_path: Path) -> None:
    (tmp_path / "build.gradle.kts").write_text(
        'dependencies {\n  implementation(platform("io.opentelemetry:opentelemetry-bom:1.55.0"))\n'
        '  implementation("io.opentelemetry:opentelemetry-sdk")\n'
        '  implementation("io.opentelemetry:opentelemetry-exporter-jaeger-thrift:1.20.0")\n}\n'
    )
    found = deps_java.findings(tmp_path)
    assert [f.code for f in found] == ["app.jaeger-exporter-removed"]
    assert found[0].location is not None and found[0].location.line == 4


def test_hostile_manifests_are_refused_quietly(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><project>&a;</project>')
    (tmp_path / "build.gradle").write_bytes(b"\xff\xfe" * 10)
    assert deps_java.findings(tmp_path) == []
    assert deps_java.findings(tmp_path / "missing") == []
