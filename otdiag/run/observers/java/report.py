"""Reading what otdiag's Java observer agent wrote (untrusted: bounded, shape-checked, scrubbed)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otdiag import redact

_MAX_REPORT = 512 * 1024
_JAR = re.compile(r"^(?P<artifact>[A-Za-z][\w.-]*?)-(?P<version>\d+(?:\.\d+)+(?:-[A-Za-z0-9.]+)?)\.jar(?:@.*)?$")


def text(value: object, limit: int = 300) -> str:
    """A value from the app, printable and scrubbed."""
    s = re.sub(
        r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s,;'\"<>{}]++",
        lambda m: redact.url(m[0]),
        str(value)[:limit],
    )
    return redact.clean(s)


@dataclass(frozen=True, slots=True)
class Exporter:
    type: str
    endpoint: str | None
    protocol: str | None
    header_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Provider:
    type: str
    sampler: str | None
    processors: tuple[tuple[str, int], ...]
    exporters: tuple[Exporter, ...]
    queued: int
    shutdown_before_hooks: bool
    shutdown_by_hook: bool
    registered_by: str
    """'app' or 'agent': which GlobalOpenTelemetry holds it."""
    set_at: str | None


@dataclass(frozen=True, slots=True)
class Report:
    """One JVM's report (`java-<id>.json`), or only its start marker when no shutdown hook ran."""

    started: bool = False
    finished: bool = False
    error: str | None = None
    java: str = ""
    exit_how: str = "unknown"
    exit_site: str | None = None
    app_global: str | None = None
    """The app's GlobalOpenTelemetry: None (never set), or the type it holds."""
    agent_global: str | None = None
    """The Java agent's (shaded) GlobalOpenTelemetry, when the agent set it."""
    agent_loaded: bool = False
    providers: tuple[Provider, ...] = ()
    classes: frozenset[str] = frozenset()
    packages: dict[str, str] = field(default_factory=dict)
    muzzle_failures: int = -1
    properties: dict[str, str] = field(default_factory=dict)
    queued_after_hook: int = -1
    """Spans still in the batch queues when the observer's hook ended (-1: not said)."""
    hook_ms: int = -1
    """How long the observer's shutdown hook ran, in ms (-1: not said)."""

    def loaded(self, name: str) -> bool:
        return name in self.classes


def _short(name: object) -> str:
    return text(str(name).rsplit(".", 1)[-1], 120)


def _exporter(raw: dict[str, Any]) -> Exporter:
    kind = str(raw.get("type", ""))
    body = str(raw.get("text", ""))[:4000]
    m = re.search(r"\bendpoint=([^,\s}]+)", body)
    endpoint = text(m[1], 300) if m else None
    if "Grpc" in kind:
        protocol: str | None = "grpc"
    elif "OtlpHttp" in kind:
        protocol = "http/json" if "exportAsJson=true" in body else "http/protobuf"
    else:
        protocol = None
    h = re.search(r"headers=Headers\{([^}]*)\}", body)
    names = tuple(
        text(part.split("=", 1)[0].strip(), 60)
        for part in (h[1].split(",") if h else [])
        if part.strip() and part.split("=", 1)[0].strip().lower() != "user-agent"
    )
    return Exporter(_short(kind), endpoint, protocol, names[:10])


def read(workdir: Path) -> list[Report]:
    """Every JVM's report in the run's private directory (a start marker alone: no hook ran)."""
    out: list[Report] = []
    for start in sorted(workdir.glob("java-*.start"))[:20]:
        final = start.with_suffix(".json")
        if not final.is_file():
            out.append(Report(started=True))
            continue
        try:
            with final.open("rb") as fh:
                data = json.loads(fh.read(_MAX_REPORT).decode("utf-8", errors="replace"))
        except (OSError, ValueError) as exc:
            out.append(Report(started=True, finished=True, error=f"unreadable report: {type(exc).__name__}"))
            continue
        out.append(_decode(data) if isinstance(data, dict) else Report(started=True, error="malformed report"))
    return out


def _decode(data: dict[str, Any]) -> Report:
    if "error" in data:
        return Report(started=True, finished=True, error=text(data["error"], 200))
    exit_raw: dict[str, Any] = data["exit"] if isinstance(data.get("exit"), dict) else {}
    app_global = agent_global = None
    agent = False
    providers_raw = [p for p in data.get("providers", [])[:8] if isinstance(p, dict)]
    owner: dict[int, tuple[str, str | None]] = {}
    for g in data.get("globals", [])[:8]:
        if not isinstance(g, dict):
            continue
        shaded = ".javaagent.shaded." in str(g.get("class", ""))
        agent = agent or shaded
        held = _short(g["type"]) if g.get("set") and g.get("type") else None
        if shaded:
            agent_global = held
        else:
            app_global = held
        index = g.get("provider_index")
        if isinstance(index, int):
            owner[index] = ("agent" if shaded else "app", text(g["set_at"], 200) if g.get("set_at") else None)
    providers = []
    for i, p in enumerate(providers_raw):
        by, site = owner.get(i, ("app", None))
        procs = tuple(
            (_short(x.get("type", "")), int(x.get("queued", -1)) if isinstance(x.get("queued"), int) else -1)
            for x in p.get("processors", [])[:10]
            if isinstance(x, dict)
        )
        exps = tuple(_exporter(x) for x in p.get("exporters", [])[:10] if isinstance(x, dict))
        queued = p.get("queued")
        providers.append(
            Provider(
                type=_short(p.get("type", "")),
                sampler=text(p["sampler"], 200) if p.get("sampler") else None,
                processors=procs,
                exporters=exps,
                queued=queued if isinstance(queued, int) else 0,
                shutdown_before_hooks=p.get("shutdown_before_hooks") is True,
                shutdown_by_hook=p.get("shutdown_by_hook") is True,
                registered_by=by,
                set_at=site,
            )
        )
    packages: dict[str, str] = {}
    for jar in data.get("jars", [])[:80]:
        name = str(jar)
        m = _JAR.match(name)
        if m:
            packages.setdefault(text(m["artifact"], 80), text(m["version"], 40))
        elif "@" in name:
            base, _, version = name.rpartition("@")
            packages.setdefault(text(base.removesuffix(".jar"), 80), text(version, 40))
    classes = frozenset(str(c)[:200] for c in data.get("classes", [])[:200])
    agent = agent or any(c.endswith(".OpenTelemetryAgent") for c in classes)
    props_raw: dict[str, Any] = data["properties"] if isinstance(data.get("properties"), dict) else {}
    props = {text(k, 100): text(v, 300) for k, v in list(props_raw.items())[:100]}
    muzzle = data.get("muzzle_failures")
    return Report(
        started=True,
        finished=True,
        java=text(data.get("java", ""), 40),
        exit_how=text(exit_raw.get("how", "unknown"), 20),
        exit_site=text(exit_raw["site"], 300) if exit_raw.get("site") else None,
        app_global=app_global,
        agent_global=agent_global,
        agent_loaded=agent,
        providers=tuple(providers),
        classes=classes,
        packages=packages,
        muzzle_failures=muzzle if isinstance(muzzle, int) else -1,
        properties=props,
        queued_after_hook=_count(data.get("queued_after_hook")),
        hook_ms=_count(data.get("hook_ms")),
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9 else -1
