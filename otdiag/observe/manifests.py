"""`check --app-dir` for Go, Node.js and Java apps: their manifests, read without building anything.

- Go: `go.mod` (require blocks and lines; `// indirect` ones too) and whether the directory holds
  a `package main`;
- Node.js: `package.json` (dependencies, devDependencies excluded) and the versions `package-lock.json`
  (lockfile v2/v3 `packages`) resolved;
- Java: `pom.xml` (dependencies, dependencyManagement, ${properties}) and `build.gradle(.kts)`
  (`group:artifact:version` strings).

The same codes as `otdiag run`: the Jaeger exporter (`app.jaeger-exporter-removed`), OpenTelemetry
modules/packages/artifacts at releases that do not go together (`app.otel-version-skew`), the API
without an SDK (`app.no-provider`, Go apps only), libraries without their instrumentation
(`app.instrumentation-missing`, Go and Node.js). Python's files are read by `deps.py`.
Every file is read bounded, and a file that does not parse is skipped, never an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from otdiag import redact
from otdiag.model import Finding, Location, Severity

MAX_FILE = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Dep:
    name: str
    version: str
    """The version pinned or resolved ('' when only a range or nothing is known)."""
    where: str
    """file:line."""

    def location(self) -> Location | None:
        file, _, line = self.where.rpartition(":")
        return Location(file, int(line), 1) if line.isdigit() else None


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE:
            return None
        with path.open("rb") as fh:
            return fh.read(MAX_FILE).decode("utf-8", errors="replace")
    except OSError:
        return None


def _minor(version: str) -> str:
    m = re.match(r"v?(\d+)\.(\d+)", version)
    return f"{m.group(1)}.{m.group(2)}" if m else ""


def _skew_finding(group: dict[str, Dep], what: str) -> Finding | None:
    from otdiag import catalogue as c

    pinned = {n: d for n, d in group.items() if _minor(d.version)}
    if len({_minor(d.version) for d in pinned.values()}) < 2:
        return None
    shown = sorted(pinned.values(), key=lambda d: d.name)
    text = ", ".join(f"{d.name} {d.version} ({d.where})" for d in shown[:6])
    return c.APP_VERSION_SKEW(
        redact.clean(f"The {what} are not at one release: {text}.")[:600],
        hint=_SKEW_HINT[what],
        location=shown[0].location(),
    )


_SKEW_HINT = {
    "OpenTelemetry Go modules": "go get go.opentelemetry.io/otel@vX go.opentelemetry.io/otel/sdk@vX (every "
    "go.opentelemetry.io/otel/... module at one version), then go mod tidy.",
    "OpenTelemetry JS packages": "Install one release line: the stable packages (@opentelemetry/core, resources, "
    "sdk-trace-*) at one version and the experimental ones (sdk-node, exporter-*-otlp-*, instrumentation) at "
    "the matching 0.x (SDK 2.x goes with 0.200+, SDK 1.x with 0.1xx).",
    "OpenTelemetry Java artifacts": "Import io.opentelemetry:opentelemetry-bom in dependencyManagement (Gradle: "
    "platform(...)) and drop the per-artifact versions.",
}


# --- Go ---------------------------------------------------------------------------------------

_GO_JAEGER = "go.opentelemetry.io/otel/exporters/jaeger"
_GO_INSTRUMENTED = {
    "github.com/gin-gonic/gin": "go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin",
    "github.com/labstack/echo/v4": "go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho",
    "github.com/gorilla/mux": "go.opentelemetry.io/contrib/instrumentation/github.com/gorilla/mux/otelmux",
    "github.com/aws/aws-sdk-go-v2": "go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws",
}
"""A library an app requires directly -> the contrib module that instruments it. (google.golang.org/grpc
is left out: apps require it directly just to configure the OTLP/gRPC exporter.)"""


def go_requires(text: str) -> tuple[dict[str, Dep], dict[str, bool]]:
    """go.mod's requirements (path -> Dep at its line) and whether each is direct (no `// indirect`)."""
    out: dict[str, Dep] = {}
    direct: dict[str, bool] = {}
    block = False
    for n, raw in enumerate(text.splitlines()[:20000], 1):
        line = raw.strip()
        if line.startswith("require ("):
            block = True
            continue
        if block and line.startswith(")"):
            block = False
            continue
        body = line[len("require ") :] if line.startswith("require ") else line if block else ""
        parts = body.split("//", 1)[0].split()
        if len(parts) >= 2 and "." in parts[0]:
            out.setdefault(parts[0], Dep(parts[0], parts[1], f"go.mod:{n}"))
            direct.setdefault(parts[0], "indirect" not in body.split("//", 1)[-1] if "//" in body else True)
    return out, direct


def _has_main(app_dir: Path) -> bool:
    files = [*app_dir.glob("*.go"), *app_dir.glob("cmd/*/*.go")][:200]
    return any(re.search(r"(?m)^package main\b", _read(f) or "") for f in files)


def go_findings(app_dir: Path) -> list[Finding]:
    from otdiag import catalogue as c

    text = _read(app_dir / "go.mod")
    if text is None:
        return []
    reqs, direct = go_requires(text)
    out: list[Finding] = []
    if _GO_JAEGER in reqs:
        d = reqs[_GO_JAEGER]
        out.append(
            c.APP_JAEGER_REMOVED(
                f"{d.where} requires {_GO_JAEGER} {d.version}: removed from OpenTelemetry Go after v1.17.0.",
                hint="Use go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc (or otlptracehttp) "
                "and send OTLP to the collector or Jaeger (4317, 4318).",
                location=d.location(),
            )
        )
    stable = {n: d for n, d in reqs.items() if n.startswith("go.opentelemetry.io/otel") and d.version.startswith("v1.")}
    stable.pop(_GO_JAEGER, None)
    skewed = _skew_finding(stable, "OpenTelemetry Go modules")
    if skewed:
        out.append(skewed)
    if "go.opentelemetry.io/otel" in reqs and "go.opentelemetry.io/otel/sdk" not in reqs and _has_main(app_dir):
        d = reqs["go.opentelemetry.io/otel"]
        out.append(
            c.APP_NO_PROVIDER(
                f"{d.where}: the app requires the OpenTelemetry API (go.opentelemetry.io/otel) but not the SDK "
                "(go.opentelemetry.io/otel/sdk): with no SDK provider set, every span is a no-op.",
                hint="go get go.opentelemetry.io/otel/sdk and an OTLP exporter; in main build "
                "sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)) and call otel.SetTracerProvider(tp).",
                location=d.location(),
                severity=Severity.WARNING,
            )
        )
    if "go.opentelemetry.io/otel/sdk" in reqs:
        missing = [(lib, mod) for lib, mod in _GO_INSTRUMENTED.items() if direct.get(lib) and mod not in reqs]
        if missing:
            out.append(_missing(missing, reqs[missing[0][0]], "go get"))
    return out


def _missing(missing: list[tuple[str, str]], first: Dep, how: str) -> Finding:
    from otdiag import catalogue as c

    names = ", ".join(f"{lib} (no {mod})" for lib, mod in missing[:4])
    return c.APP_INSTRUMENTATION_MISSING(
        redact.clean(f"The app uses libraries whose OpenTelemetry instrumentation it does not depend on: {names}.")[
            :600
        ],
        hint=f"{how} {' '.join(mod for _, mod in missing[:4])}, and wrap the library with it (its spans are "
        "the ones that show the app's requests).",
        location=first.location(),
        severity=Severity.WARNING,
    )


# --- Node.js ----------------------------------------------------------------------------------

_JS_STABLE = frozenset(
    {"@opentelemetry/core", "@opentelemetry/resources", "@opentelemetry/sdk-trace-base",
     "@opentelemetry/sdk-trace-node", "@opentelemetry/sdk-trace-web", "@opentelemetry/context-async-hooks",
     "@opentelemetry/sdk-metrics", "@opentelemetry/propagator-b3", "@opentelemetry/propagator-jaeger"}
)  # fmt: skip
_JS_EXPERIMENTAL = re.compile(
    r"^@opentelemetry/(sdk-node|exporter-trace-otlp-(grpc|http|proto)|otlp-[a-z-]+|instrumentation|api-logs|"
    r"sdk-logs|instrumentation-(http|grpc|fetch|xml-http-request))$"
)
_JS_INSTRUMENTED = {
    "express": "@opentelemetry/instrumentation-express",
    "fastify": "@fastify/otel",
    "koa": "@opentelemetry/instrumentation-koa",
    "pg": "@opentelemetry/instrumentation-pg",
    "mysql2": "@opentelemetry/instrumentation-mysql2",
    "ioredis": "@opentelemetry/instrumentation-ioredis",
    "redis": "@opentelemetry/instrumentation-redis",
    "mongodb": "@opentelemetry/instrumentation-mongodb",
    "@nestjs/core": "@opentelemetry/instrumentation-nestjs-core",
}


def _line_of(lines: list[str], needle: str, file: str) -> str:
    quoted = f'"{needle}"'
    for n, line in enumerate(lines, 1):
        if quoted in line:
            return f"{file}:{n}"
    return file


def node_deps(app_dir: Path) -> dict[str, Dep]:
    """package.json's dependencies, with the version package-lock.json resolved when there is one."""
    text = _read(app_dir / "package.json")
    if text is None:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(doc, dict):
        return {}
    lines = text.splitlines()
    lock: dict[str, str] = {}
    lock_text = _read(app_dir / "package-lock.json")
    if lock_text is not None:
        try:
            packages = json.loads(lock_text).get("packages", {})
        except (ValueError, AttributeError):
            packages = {}
        for key, value in packages.items() if isinstance(packages, dict) else []:
            if isinstance(key, str) and key.startswith("node_modules/") and isinstance(value, dict):
                name = key[len("node_modules/") :]
                if "/node_modules/" not in name and isinstance(value.get("version"), str):
                    lock[name] = value["version"]
    out: dict[str, Dep] = {}
    for section in ("dependencies", "optionalDependencies", "peerDependencies"):
        deps = doc.get(section)
        for name, spec in deps.items() if isinstance(deps, dict) else []:
            if not isinstance(name, str) or not isinstance(spec, str) or name in out:
                continue
            pinned = re.fullmatch(r"[~^=v]?(\d+\.\d+\.\d+[^\s]*)", spec.strip())
            version = lock.get(name) or (pinned.group(1) if pinned else "")
            out[name] = Dep(name, version, _line_of(lines, name, "package.json"))
    return out


def node_findings(app_dir: Path) -> list[Finding]:
    from otdiag import catalogue as c

    deps = node_deps(app_dir)
    out: list[Finding] = []
    jaeger = deps.get("@opentelemetry/exporter-jaeger")
    if jaeger is not None:
        out.append(
            c.APP_JAEGER_REMOVED(
                f"{jaeger.where} depends on @opentelemetry/exporter-jaeger {jaeger.version}: deprecated in "
                "OpenTelemetry JS; it speaks Jaeger's Thrift protocol, not OTLP.",
                hint="Use @opentelemetry/exporter-trace-otlp-proto (or -grpc) and send OTLP to the collector or "
                "Jaeger (4318, 4317).",
                location=jaeger.location(),
            )
        )
    stable = {n: d for n, d in deps.items() if n in _JS_STABLE}
    experimental = {n: d for n, d in deps.items() if _JS_EXPERIMENTAL.match(n)}
    skewed = _skew_finding(stable, "OpenTelemetry JS packages") or _skew_finding(
        experimental, "OpenTelemetry JS packages"
    )
    if skewed is None:
        skewed = _js_line_skew(stable, experimental)
    if skewed:
        out.append(skewed)
    sdk = any(n in deps for n in ("@opentelemetry/sdk-node", "@opentelemetry/sdk-trace-node"))
    auto = "@opentelemetry/auto-instrumentations-node" in deps
    if sdk and not auto:
        missing = [(lib, inst) for lib, inst in _JS_INSTRUMENTED.items() if lib in deps and inst not in deps]
        if missing:
            out.append(_missing(missing, deps[missing[0][0]], "npm install"))
    return out


def _js_line_skew(stable: dict[str, Dep], experimental: dict[str, Dep]) -> Finding | None:
    """SDK 2.x with experimental 0.1xx packages, or SDK 1.x with 0.200+."""
    from otdiag import catalogue as c

    s = next((d for d in stable.values() if _minor(d.version)), None)
    e = next((d for d in experimental.values() if _minor(d.version)), None)
    if s is None or e is None:
        return None
    major = int(_minor(s.version).split(".")[0])
    minor = int(_minor(e.version).split(".")[1]) if _minor(e.version).startswith("0.") else -1
    if minor < 0 or (major >= 2) == (minor >= 200):
        return None
    return c.APP_VERSION_SKEW(
        redact.clean(
            f"{s.name} {s.version} ({s.where}) and {e.name} {e.version} ({e.where}) are from different "
            "OpenTelemetry JS release lines (SDK 2.x goes with 0.200+, SDK 1.x with 0.1xx)."
        )[:600],
        hint=_SKEW_HINT["OpenTelemetry JS packages"],
        location=e.location(),
    )


# --- Java -------------------------------------------------------------------------------------

_JAVA_JAEGER = frozenset({"opentelemetry-exporter-jaeger", "opentelemetry-exporter-jaeger-thrift"})
_JAVA_STABLE = frozenset(
    {"opentelemetry-api", "opentelemetry-sdk", "opentelemetry-sdk-trace", "opentelemetry-exporter-otlp",
     "opentelemetry-context", "opentelemetry-sdk-extension-autoconfigure", "opentelemetry-exporter-logging"}
)  # fmt: skip
_GRADLE_DEP = re.compile(r"""["'](io\.opentelemetry(?:\.[a-z]+)*):([A-Za-z0-9_.-]+):([0-9][A-Za-z0-9_.-]*)["']""")


def java_deps(app_dir: Path) -> dict[str, Dep]:
    out: dict[str, Dep] = {}
    pom = _read(app_dir / "pom.xml")
    if pom is not None:
        _pom(pom, out)
    for name in ("build.gradle", "build.gradle.kts"):
        text = _read(app_dir / name)
        for n, line in enumerate((text or "").splitlines()[:20000], 1):
            for m in _GRADLE_DEP.finditer(line):
                out.setdefault(m.group(2), Dep(m.group(2), m.group(3), f"{name}:{n}"))
    return out


def _pom(text: str, out: dict[str, Dep]) -> None:
    import xml.etree.ElementTree as ET  # a local file the user named; DOCTYPE/ENTITY refused below

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return
    try:
        root = ET.fromstring(text)  # noqa: S314 - DOCTYPE and ENTITY are refused above
    except ET.ParseError:
        return
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    props = {}
    p = root.find(f"{ns}properties")
    for child in list(p) if p is not None else []:
        props[child.tag.removeprefix(ns)] = (child.text or "").strip()
    lines = text.splitlines()
    for dep in root.iter(f"{ns}dependency"):
        group = (dep.findtext(f"{ns}groupId") or "").strip()
        artifact = (dep.findtext(f"{ns}artifactId") or "").strip()
        if not group.startswith("io.opentelemetry") or not artifact:
            continue
        version = (dep.findtext(f"{ns}version") or "").strip()
        m = re.fullmatch(r"\$\{([^}]+)\}", version)
        if m:
            version = props.get(m.group(1), "")
        out.setdefault(artifact, Dep(artifact, version, _line_of_tag(lines, artifact)))


def _line_of_tag(lines: list[str], artifact: str) -> str:
    for n, line in enumerate(lines, 1):
        if f"<artifactId>{artifact}</artifactId>" in line:
            return f"pom.xml:{n}"
    return "pom.xml"


def java_findings(app_dir: Path) -> list[Finding]:
    from otdiag import catalogue as c

    deps = java_deps(app_dir)
    out: list[Finding] = []
    for name in sorted(_JAVA_JAEGER & deps.keys()):
        d = deps[name]
        out.append(
            c.APP_JAEGER_REMOVED(
                f"{d.where} depends on io.opentelemetry:{name} {d.version}: the Jaeger exporter was removed from "
                "OpenTelemetry Java; it speaks Jaeger's protocols, not OTLP.",
                hint="Depend on io.opentelemetry:opentelemetry-exporter-otlp and send OTLP to the collector or "
                "Jaeger (4317, 4318); with the agent, set otel.traces.exporter=otlp.",
                location=d.location(),
            )
        )
    skewed = _skew_finding({n: d for n, d in deps.items() if n in _JAVA_STABLE}, "OpenTelemetry Java artifacts")
    if skewed:
        out.append(skewed)
    return out


def findings(app_dir: Path) -> list[Finding]:
    """Every non-Python ecosystem's manifest findings for `check --app-dir`."""
    out: list[Finding] = []
    for part in (go_findings, node_findings, java_findings):
        out += part(app_dir)
    return out
