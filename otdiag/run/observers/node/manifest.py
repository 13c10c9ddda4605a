"""`check --app-dir` for Node.js apps: package.json and package-lock.json, read without running the app.

Untrusted files: each read is bounded, every value type-checked, every name made printable. It reports
with the same codes as `run`:
- `app.otel-version-skew`: OpenTelemetry JS releases its stable packages (`sdk-trace-base`, `core`,
  `resources`, ... 1.x/2.x) and its experimental ones (`sdk-node`, `exporter-trace-otlp-*`,
  `instrumentation`, ... 0.x) together: 0.2xx goes with 2.x, 0.1xx and older with 1.x, and the
  experimental ones share one minor. Versions come from the lock (what is installed) or else from
  package.json's ranges.
- `app.instrumentation-missing`: the app depends on the SDK and on a library such as express or pg,
  but on neither its instrumentation nor `@opentelemetry/auto-instrumentations-node`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from otdiag import catalogue as c
from otdiag import redact
from otdiag.model import Finding, Location, Severity

MAX_MANIFEST = 1_000_000
MAX_LOCK = 32_000_000
STABLE = frozenset(
    f"@opentelemetry/{n}"
    for n in (
        "core", "resources", "sdk-trace-base", "sdk-trace-node", "sdk-trace-web", "sdk-metrics",
        "context-async-hooks", "context-zone", "propagator-b3", "propagator-jaeger", "exporter-zipkin",
        "shim-opentracing",
    )
)  # fmt: skip
EXPERIMENTAL = frozenset(
    f"@opentelemetry/{n}"
    for n in (
        "sdk-node", "sdk-logs", "api-logs", "instrumentation", "instrumentation-http", "instrumentation-grpc",
        "instrumentation-fetch", "instrumentation-xml-http-request", "otlp-exporter-base", "otlp-transformer",
        "otlp-grpc-exporter-base", "exporter-trace-otlp-http", "exporter-trace-otlp-grpc",
        "exporter-trace-otlp-proto", "exporter-metrics-otlp-http", "exporter-metrics-otlp-grpc",
        "exporter-metrics-otlp-proto", "exporter-logs-otlp-http", "exporter-logs-otlp-grpc",
        "exporter-logs-otlp-proto", "exporter-prometheus",
    )
)  # fmt: skip
SDK = frozenset({"@opentelemetry/sdk-node", "@opentelemetry/sdk-trace-node", "@opentelemetry/sdk-trace-base"})
AUTO = "@opentelemetry/auto-instrumentations-node"
LIBRARIES = {
    "express": "instrumentation-express",
    "fastify": "instrumentation-fastify",
    "koa": "instrumentation-koa",
    "@hapi/hapi": "instrumentation-hapi",
    "@nestjs/core": "instrumentation-nestjs-core",
    "pg": "instrumentation-pg",
    "mysql": "instrumentation-mysql",
    "mysql2": "instrumentation-mysql2",
    "mongodb": "instrumentation-mongodb",
    "mongoose": "instrumentation-mongoose",
    "ioredis": "instrumentation-ioredis",
    "redis": "instrumentation-redis",
    "graphql": "instrumentation-graphql",
    "@grpc/grpc-js": "instrumentation-grpc",
    "kafkajs": "instrumentation-kafkajs",
    "amqplib": "instrumentation-amqplib",
}
_VERSION = re.compile(r"(?<!\d)(\d+)\.(\d+)\.(\d+)")


def _load(path: Path, limit: int) -> Any:
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError:
        return None
    if len(raw) > limit:
        return None
    try:
        return json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None


def _version(spec: Any) -> tuple[int, int, int] | None:
    if not isinstance(spec, str):
        return None
    m = _VERSION.search(spec[:100])
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _line_of(text: str, name: str) -> int | None:
    for n, line in enumerate(text.splitlines()[:20_000], 1):
        if f'"{name}"' in line:
            return n
    return None


def findings(app_dir: Path) -> list[Finding]:
    """Version skew and missing instrumentations in a Node.js app's manifests ([] when it has none)."""
    manifest = app_dir / "package.json"
    doc = _load(manifest, MAX_MANIFEST)
    if not isinstance(doc, dict):
        return []
    declared: dict[str, Any] = {}
    for key in ("dependencies", "devDependencies", "optionalDependencies"):
        section = doc.get(key)
        if isinstance(section, dict):
            declared.update({k: v for k, v in list(section.items())[:2000] if isinstance(k, str)})
    versions: dict[str, tuple[tuple[int, int, int], str]] = {}
    for name, spec in declared.items():
        v = _version(spec)
        if v is not None and name.startswith("@opentelemetry/"):
            versions[name] = (v, f"package.json {name}@{redact.clean(str(spec)[:40])}")
    lock = _load(app_dir / "package-lock.json", MAX_LOCK)
    packages = lock.get("packages") if isinstance(lock, dict) else None
    if isinstance(packages, dict):
        for key, entry in list(packages.items())[:100_000]:
            if isinstance(key, str) and key.startswith("node_modules/@opentelemetry/") and isinstance(entry, dict):
                name = key.removeprefix("node_modules/")
                v = _version(entry.get("version"))
                if v is not None and "/node_modules/" not in name:
                    versions[name] = (v, f"package-lock.json {name}@{v[0]}.{v[1]}.{v[2]}")
    text = manifest.read_text(encoding="utf-8", errors="replace")[:MAX_MANIFEST]
    return [*_skew(versions, manifest), *_missing(declared, manifest, text)]


def _skew(versions: dict[str, tuple[tuple[int, int, int], str]], manifest: Path) -> list[Finding]:
    stable = {n: v for n, v in versions.items() if n in STABLE}
    experimental = {n: v for n, v in versions.items() if n in EXPERIMENTAL}
    problems: list[str] = []
    majors = {v[0][0] for v in stable.values()}
    if len(majors) > 1:
        problems.append("stable packages of different majors: " + ", ".join(sorted(v[1] for v in stable.values())))
    minors = {v[0][1] for v in experimental.values() if v[0][0] == 0}
    if len(minors) > 1:
        problems.append(
            "experimental packages of different releases: " + ", ".join(sorted(v[1] for v in experimental.values()))
        )
    if len(majors) == 1 and len(minors) == 1:
        major, minor = next(iter(majors)), next(iter(minors))
        if (minor >= 200) != (major >= 2):
            problems.append(
                f"experimental 0.{minor}.x goes with stable {'2' if minor >= 200 else '1'}.x, but the stable "
                f"packages are {major}.x: "
                + ", ".join(sorted(v[1] for v in (*stable.values(), *experimental.values()))[:6])
            )
    if not problems:
        return []
    return [
        c.APP_VERSION_SKEW(
            f"{manifest.name}: the OpenTelemetry JS packages do not go together ({problems[0][:300]}).",
            hint="Upgrade them together to one release (e.g. @opentelemetry/sdk-node 0.208.x with "
            "@opentelemetry/sdk-trace-base 2.2.x), then reinstall (npm install).",
            evidence=problems[1:4],
        )
    ]


def _missing(declared: dict[str, Any], manifest: Path, text: str) -> list[Finding]:
    if not SDK & declared.keys() or AUTO in declared:
        return []
    out: list[Finding] = []
    for lib, instr in LIBRARIES.items():
        if lib in declared and f"@opentelemetry/{instr}" not in declared:
            line = _line_of(text, lib)
            out.append(
                c.APP_INSTRUMENTATION_MISSING(
                    f"{manifest.name} depends on {lib} and the OpenTelemetry SDK, but not on @opentelemetry/{instr} "
                    f"(nor {AUTO}): {lib} makes no spans.",
                    hint=f"npm install @opentelemetry/{instr} and add it to the SDK's instrumentations (or use "
                    f"getNodeAutoInstrumentations() from {AUTO}).",
                    location=Location(manifest.name, line, 1) if line else None,
                    severity=Severity.WARNING,
                )
            )
    return out[:5]
