"""`check --app-dir` for Java apps: the OpenTelemetry artifacts a pom.xml or a Gradle build declares.

Read as text, bounded; never executed (no Maven or Gradle run). What is found: the Jaeger exporter
artifacts (no longer published after 1.34.x: from 1.35.0 on, Jaeger is reached over OTLP) and core
`io.opentelemetry` artifacts pinned at different versions (they are released together; the
`opentelemetry-bom` keeps them in step).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from otdiag.model import Finding, Location

_MAX_BYTES = 2 * 1024 * 1024
_FILES = ("pom.xml", "build.gradle", "build.gradle.kts", "gradle/libs.versions.toml")
JAEGER_ARTIFACTS = frozenset(
    {"opentelemetry-exporter-jaeger", "opentelemetry-exporter-jaeger-thrift", "opentelemetry-exporter-jaeger-proto"}
)
JAEGER_LAST = "1.34.1"
_CORE = frozenset(
    {
        "opentelemetry-api", "opentelemetry-context", "opentelemetry-sdk", "opentelemetry-sdk-trace",
        "opentelemetry-sdk-common", "opentelemetry-sdk-metrics", "opentelemetry-sdk-logs",
        "opentelemetry-exporter-otlp", "opentelemetry-exporter-otlp-common", "opentelemetry-exporter-common",
        "opentelemetry-exporter-logging", "opentelemetry-sdk-extension-autoconfigure",
        "opentelemetry-sdk-extension-autoconfigure-spi",
    }
)  # fmt: skip
_GRADLE_COORD = re.compile(r"""["']io\.opentelemetry:([\w.-]+):([\w.${}-]+)["']""")
_GRADLE_MAP = re.compile(
    r"""group\s*[:=]\s*["']io\.opentelemetry["']\s*,\s*name\s*[:=]\s*["']([\w.-]+)["']"""
    r"""(?:\s*,\s*version\s*[:=]\s*["']([\w.${}-]+)["'])?"""
)
_TOML_MODULE = re.compile(
    r"""module\s*=\s*["']io\.opentelemetry:([\w.-]+)["'](?:\s*,\s*version\s*=\s*["']([\w.-]+)["'])?"""
)


@dataclass(frozen=True, slots=True)
class Artifact:
    name: str
    version: str | None
    file: str
    line: int


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_BYTES:
            return None
        with path.open("rb") as fh:
            return fh.read(_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def _line(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _pom(text: str, file: str) -> list[Artifact]:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return []  # entities are never expanded
    try:
        root = ET.fromstring(text)  # noqa: S314 - DOCTYPE and ENTITY were refused above
    except ET.ParseError:
        return []
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    props: dict[str, str] = {}
    for block in root.iter(f"{ns}properties"):
        for prop in block:
            if prop.text:
                props[prop.tag.removeprefix(ns)] = prop.text.strip()
    out: list[Artifact] = []
    for dep in root.iter(f"{ns}dependency"):
        group, name = dep.findtext(f"{ns}groupId", ""), dep.findtext(f"{ns}artifactId", "")
        if group.strip() != "io.opentelemetry" or not name.strip():
            continue
        version = (dep.findtext(f"{ns}version") or "").strip() or None
        if version:
            version = re.sub(r"\$\{([\w.-]+)\}", lambda m: props.get(m[1], m[0]), version)
        out.append(Artifact(name.strip(), version, file, _line(text, f"<artifactId>{name.strip()}</artifactId>")))
    return out


def _gradle(text: str, file: str) -> list[Artifact]:
    out: list[Artifact] = []
    for pattern in (_GRADLE_COORD, _GRADLE_MAP, _TOML_MODULE):
        for m in pattern.finditer(text):
            version = m[2] if m.lastindex and m.lastindex >= 2 else None
            out.append(Artifact(m[1], version, file, text.count("\n", 0, m.start()) + 1))
    return out


def declared(app_dir: Path) -> list[Artifact]:
    """The io.opentelemetry artifacts the app's Maven or Gradle files name."""
    out: list[Artifact] = []
    for rel in _FILES:
        text = _read(app_dir / rel)
        if text is None:
            continue
        out += _pom(text, rel) if rel.endswith(".xml") else _gradle(text, rel)
    return out


def _core_version(version: str) -> str:
    return version.removesuffix("-alpha")


def findings(app_dir: Path) -> list[Finding]:
    """Removed Jaeger exporters and skewed core versions declared in pom.xml / Gradle files."""
    from otdiag import catalogue as c
    from otdiag.run.observers.java.report import text as clean

    out: list[Finding] = []
    artifacts = declared(app_dir)
    for a in artifacts:
        if a.name in JAEGER_ARTIFACTS:
            out.append(
                c.APP_JAEGER_REMOVED(
                    f"{a.file}:{a.line} declares io.opentelemetry:{clean(a.name, 80)}"
                    + (f":{clean(a.version, 40)}" if a.version else "")
                    + f": the Java Jaeger exporters were last published at {JAEGER_LAST}; Jaeger v2 reads OTLP only.",
                    hint="Use io.opentelemetry:opentelemetry-exporter-otlp (OtlpGrpcSpanExporter, or "
                    "otel.traces.exporter=otlp) towards the collector's or Jaeger's OTLP port (4317 gRPC, 4318 HTTP).",
                    location=Location(a.file, a.line, 1),
                )
            )
            break
    pinned = {a.name: a for a in artifacts if a.name in _CORE and a.version and "$" not in a.version}
    versions = {_core_version(a.version or "") for a in pinned.values()}
    if len(versions) > 1:
        shown = ", ".join(f"{n}:{clean(a.version or '', 40)}" for n, a in sorted(pinned.items()))
        first = min(pinned.values(), key=lambda a: (a.file, a.line))
        out.append(
            c.APP_VERSION_SKEW(
                f"{shown}: the core io.opentelemetry artifacts are released together at one version.",
                hint="Import io.opentelemetry:opentelemetry-bom (Maven <dependencyManagement>, or Gradle "
                "platform(...)) and drop the per-artifact versions.",
                location=Location(first.file, first.line, 1),
            )
        )
    return out
