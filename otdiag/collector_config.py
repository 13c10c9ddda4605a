"""What a collector config says about where to probe: receivers, health, metrics, exporter targets.

`check --config` reads these and probes exactly them. This reader only
extracts addresses; validating the config is validate-config's job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from otdiag.errors import UsageError

MAX_CONFIG_BYTES = 8 * 1024 * 1024
_ENV = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class ExporterTarget:
    id: str
    type: str
    """`otlp_grpc` or `otlp_http` (aliases `otlp`, `otlphttp` normalised)."""
    endpoint: str
    """gRPC: host:port; HTTP: the full traces URL."""
    secure: bool
    insecure_skip_verify: bool = False
    ca_file: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectorTargets:
    path: str
    otlp_grpc: str | None = None
    """host:port of the first OTLP receiver's gRPC endpoint, as a client would dial it."""
    otlp_grpc_tls: bool = False
    otlp_http: str | None = None
    otlp_http_tls: bool = False
    health_url: str | None = None
    metrics_url: str | None = None
    zpages_url: str | None = None
    exporters: list[ExporterTarget] = field(default_factory=list)
    """OTLP exporters of traces pipelines: the collector's way to Jaeger."""
    trace_processors: list[str] = field(default_factory=list)
    """Processor IDs in traces pipelines, in order."""
    processor_waits: dict[str, float] = field(default_factory=dict)
    """Processor ID -> how long it holds spans (batch timeout, tail_sampling decision_wait, ...), seconds."""
    exporter_types: dict[str, str] = field(default_factory=dict)
    """Exporter ID -> type, for every exporter of a traces pipeline (debug and file included)."""
    listens: list[str] = field(default_factory=list)
    """host:port of every OTLP receiver endpoint of a traces pipeline, as written (before dialling)."""


MAX_NODES = 200_000
"""YAML aliases can make a small file stand for billions of nodes; past this many, refuse."""


def _expand(node: Any, env: Mapping[str, str], budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise UsageError("--config: the file expands to more than 200,000 nodes (a YAML alias bomb?)")
    if isinstance(node, dict):
        return {k: _expand(v, env, budget) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand(v, env, budget) for v in node]
    if isinstance(node, str):
        return _ENV.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), node)
    return node


def _dial(endpoint: str | None, default: str) -> str:
    """A listen address as a client on this host dials it (0.0.0.0 and '' become 127.0.0.1)."""
    ep = (endpoint or default).strip()
    host, _, port = ep.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - reading a config, not binding
        host = "127.0.0.1"
    return f"{host}:{port}"


def _get(node: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(k)
    return node


def load(path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    from otdiag import bounded

    data = bounded.read(path, what="--config", max_bytes=MAX_CONFIG_BYTES)
    # validate-config's loader: YAML 1.2 as the collector reads it, bounded against alias bombs and nesting.
    from otdiag.validate.yamlsrc import LoadError
    from otdiag.validate.yamlsrc import load as load_yaml

    try:
        root, _duplicates = load_yaml(data)
        doc = root.to_python()
    except OSError as exc:
        raise UsageError(f"--config: {path} cannot be read ({exc})") from None
    except RecursionError:
        raise UsageError(f"--config: {path} is nested too deeply to be a collector config") from None
    except LoadError as exc:
        where = f" at line {exc.line}" if exc.line else ""
        raise UsageError(
            f"--config: {path} cannot be read as a collector config{where} ({exc}); run otdiag validate-config on it"
        ) from None
    if not isinstance(doc, dict):
        raise UsageError(f"--config: {path} is not a collector config (not a YAML mapping)")
    try:
        expanded: dict[str, Any] = _expand(doc, os.environ if env is None else env, [MAX_NODES])
    except RecursionError:
        raise UsageError(f"--config: {path} is nested too deeply to be a collector config") from None
    from otdiag import redact

    redact.remember_config(expanded)
    return expanded


def _component(section: Mapping[str, Any], wanted: set[str]) -> list[tuple[str, Any]]:
    return [(cid, cfg or {}) for cid, cfg in section.items() if str(cid).split("/")[0] in wanted]


def targets(path: str, env: Mapping[str, str] | None = None) -> CollectorTargets:
    doc = load(path, env)
    receivers = doc.get("receivers") or {}
    exporters = doc.get("exporters") or {}
    extensions = doc.get("extensions") or {}
    pipelines = _get(doc, "service", "pipelines") or {}
    trace_pipes = [p for pid, p in pipelines.items() if str(pid).split("/")[0] == "traces" and isinstance(p, dict)]
    used_receivers = {r for p in trace_pipes for r in p.get("receivers") or []}
    used_exporters = [e for p in trace_pipes for e in p.get("exporters") or []]
    processors = [pr for p in trace_pipes for pr in p.get("processors") or []]

    grpc = http = None
    grpc_tls = http_tls = False
    for rid, cfg in _component(receivers, {"otlp"}):
        if used_receivers and rid not in used_receivers:
            continue
        protocols = _get(cfg, "protocols") or {}
        if "grpc" in protocols and grpc is None:
            grpc = _dial(_get(protocols, "grpc", "endpoint"), "localhost:4317")
            grpc_tls = bool(_get(protocols, "grpc", "tls"))
        if "http" in protocols and http is None:
            http = _dial(_get(protocols, "http", "endpoint"), "localhost:4318")
            http_tls = bool(_get(protocols, "http", "tls"))

    health = None
    enabled = set(_get(doc, "service", "extensions") or [])
    for eid, cfg in _component(extensions, {"health_check", "healthcheckv2"}):
        if eid not in enabled:
            continue
        endpoint = _get(cfg, "http", "endpoint") if _get(cfg, "use_v2") else _get(cfg, "endpoint")
        health = "http://" + _dial(endpoint, "localhost:13133")
        break

    zpages = None
    for eid, cfg in _component(extensions, {"zpages"}):
        if eid in enabled:
            zpages = "http://" + _dial(_get(cfg, "endpoint"), "localhost:55679")
            break

    metrics = None
    telemetry = _get(doc, "service", "telemetry", "metrics") or {}
    if str(_get(telemetry, "level") or "normal").lower() != "none":
        readers = _get(telemetry, "readers") or []
        for reader in readers if isinstance(readers, list) else []:
            prom = _get(reader, "pull", "exporter", "prometheus")
            if isinstance(prom, dict):
                hostport = f"{prom.get('host') or ''}:{prom.get('port') or 8888}"
                metrics = f"http://{_dial(hostport, '')}/metrics"
                break
        else:
            metrics = "http://127.0.0.1:8888/metrics"

    found: list[ExporterTarget] = []
    for eid in used_exporters:
        cfg = exporters.get(eid) or {}
        etype = str(eid).split("/")[0]
        tls = _get(cfg, "tls") or {}
        headers = {str(k): str(v) for k, v in (_get(cfg, "headers") or {}).items()}
        if etype in ("otlp", "otlp_grpc"):
            endpoint = str(_get(cfg, "endpoint") or "")
            hostport = re.sub(r"^https?://", "", endpoint).split("/")[0]
            found.append(
                ExporterTarget(
                    str(eid),
                    "otlp_grpc",
                    hostport,
                    secure=not bool(_get(tls, "insecure")),
                    insecure_skip_verify=bool(_get(tls, "insecure_skip_verify")),
                    ca_file=_get(tls, "ca_file"),
                    headers=headers,
                )
            )
        elif etype in ("otlphttp", "otlp_http"):
            url = str(_get(cfg, "traces_endpoint") or (str(_get(cfg, "endpoint") or "").rstrip("/") + "/v1/traces"))
            found.append(
                ExporterTarget(
                    str(eid),
                    "otlp_http",
                    url,
                    secure=url.startswith("https"),
                    insecure_skip_verify=bool(_get(tls, "insecure_skip_verify")),
                    ca_file=_get(tls, "ca_file"),
                    headers=headers,
                )
            )
    waits: dict[str, float] = {}
    for pid in processors:
        holding = _HOLDING.get(str(pid).split("/")[0])
        value = _get(_get(doc, "processors") or {}, str(pid), holding[0]) if holding else None
        if holding:
            seconds = _seconds(value) if value is not None else None
            waits[str(pid)] = seconds if seconds is not None else holding[1]
    listens = []
    for rid, cfg in _component(receivers, {"otlp"}):
        if rid in used_receivers:
            protocols = _get(cfg, "protocols") or {}
            for proto, default in (("grpc", "localhost:4317"), ("http", "localhost:4318")):
                if isinstance(protocols, Mapping) and proto in protocols:
                    listens.append(str(_get(protocols, proto, "endpoint") or default))
    return CollectorTargets(
        path=path,
        otlp_grpc=grpc,
        otlp_grpc_tls=grpc_tls,
        otlp_http=http,
        otlp_http_tls=http_tls,
        health_url=health,
        zpages_url=zpages,
        metrics_url=metrics,
        exporters=found,
        trace_processors=[str(p) for p in processors],
        processor_waits=waits,
        exporter_types={str(e): str(e).split("/")[0] for e in used_exporters},
        listens=listens,
    )


_HOLDING: dict[str, tuple[str, float]] = {
    "batch": ("timeout", 0.2),
    "tail_sampling": ("decision_wait", 30.0),
    "groupbytrace": ("wait_duration", 1.0),
}
"""Processors that hold spans on purpose: the setting that says how long, and its default in seconds."""


def _seconds(value: Any) -> float | None:
    """A Go duration from a config (`200ms`, `30s`, `1m30s`); None when it is not one."""
    from otdiag import durations
    from otdiag.errors import UsageError

    try:
        return durations.parse(str(value), "config")
    except UsageError:
        return None
