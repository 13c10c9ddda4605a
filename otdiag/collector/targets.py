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

from otdiag.collector.components import HOLDING_PROCESSORS
from otdiag.errors import UsageError

MAX_CONFIG_BYTES = 8 * 1024 * 1024
_ENV = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}$]*+))?\}")


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
    pipelines = _get(doc, "service", "pipelines") or {}
    trace_pipes = [p for pid, p in pipelines.items() if str(pid).split("/")[0] == "traces" and isinstance(p, dict)]
    used_receivers = {r for p in trace_pipes for r in p.get("receivers") or []}
    used_exporters = [e for p in trace_pipes for e in p.get("exporters") or []]
    processors = [pr for p in trace_pipes for pr in p.get("processors") or []]
    grpc, grpc_tls, http, http_tls = _otlp_receiver(receivers, used_receivers)
    return CollectorTargets(
        path=path,
        otlp_grpc=grpc,
        otlp_grpc_tls=grpc_tls,
        otlp_http=http,
        otlp_http_tls=http_tls,
        health_url=_health_url(doc),
        zpages_url=_zpages_url(doc),
        metrics_url=_metrics_url(doc),
        exporters=[t for eid in used_exporters if (t := _exporter_target(eid, doc)) is not None],
        processor_waits=_waits(doc, processors),
        exporter_types={str(e): str(e).split("/")[0] for e in used_exporters},
        listens=_listens(receivers, used_receivers),
    )


def _otlp_receiver(receivers: Mapping[str, Any], used: set[str]) -> tuple[str | None, bool, str | None, bool]:
    """(gRPC host:port, its TLS, HTTP host:port, its TLS) of the traces pipelines' first OTLP receivers."""
    grpc = http = None
    grpc_tls = http_tls = False
    for rid, cfg in _component(receivers, {"otlp"}):
        if used and rid not in used:
            continue
        protocols = _get(cfg, "protocols") or {}
        if "grpc" in protocols and grpc is None:
            grpc = _dial(_get(protocols, "grpc", "endpoint"), "localhost:4317")
            grpc_tls = bool(_get(protocols, "grpc", "tls"))
        if "http" in protocols and http is None:
            http = _dial(_get(protocols, "http", "endpoint"), "localhost:4318")
            http_tls = bool(_get(protocols, "http", "tls"))
    return grpc, grpc_tls, http, http_tls


def _health_url(doc: Mapping[str, Any]) -> str | None:
    enabled = set(_get(doc, "service", "extensions") or [])
    for eid, cfg in _component(doc.get("extensions") or {}, {"health_check", "healthcheckv2"}):
        if eid in enabled:
            endpoint = _get(cfg, "http", "endpoint") if _get(cfg, "use_v2") else _get(cfg, "endpoint")
            return "http://" + _dial(endpoint, "localhost:13133")
    return None


def _zpages_url(doc: Mapping[str, Any]) -> str | None:
    enabled = set(_get(doc, "service", "extensions") or [])
    for eid, cfg in _component(doc.get("extensions") or {}, {"zpages"}):
        if eid in enabled:
            return "http://" + _dial(_get(cfg, "endpoint"), "localhost:55679")
    return None


def _metrics_url(doc: Mapping[str, Any]) -> str | None:
    """The collector's own Prometheus metrics: its first pull reader, else the default 8888; None when off."""
    telemetry = _get(doc, "service", "telemetry", "metrics") or {}
    if str(_get(telemetry, "level") or "normal").lower() == "none":
        return None
    address = _get(telemetry, "address")
    if isinstance(address, str) and address.strip():
        # Collectors before v0.128 take metrics::address (host:port of the Prometheus endpoint).
        return f"http://{_dial(address.strip(), '')}/metrics"
    readers = _get(telemetry, "readers") or []
    for reader in readers if isinstance(readers, list) else []:
        prom = _get(reader, "pull", "exporter", "prometheus")
        if isinstance(prom, dict):
            hostport = f"{prom.get('host') or ''}:{prom.get('port') or 8888}"
            return f"http://{_dial(hostport, '')}/metrics"
    return "http://127.0.0.1:8888/metrics"


def _exporter_target(key: Any, doc: Mapping[str, Any]) -> ExporterTarget | None:
    """Where an OTLP exporter sends (None for other exporter types)."""
    cfg = (doc.get("exporters") or {}).get(key) or {}
    eid = str(key)
    etype = eid.split("/", maxsplit=1)[0]
    tls = _get(cfg, "tls") or {}
    headers = {str(k): str(v) for k, v in (_get(cfg, "headers") or {}).items()}
    skip_verify, ca_file = bool(_get(tls, "insecure_skip_verify")), _get(tls, "ca_file")
    if etype in ("otlp", "otlp_grpc"):
        endpoint = str(_get(cfg, "endpoint") or "")
        hostport = re.sub(r"^https?://", "", endpoint).split("/")[0]
        secure = not bool(_get(tls, "insecure"))
        return ExporterTarget(eid, "otlp_grpc", hostport, secure, skip_verify, ca_file, headers)
    if etype in ("otlphttp", "otlp_http"):
        url = str(_get(cfg, "traces_endpoint") or (str(_get(cfg, "endpoint") or "").rstrip("/") + "/v1/traces"))
        return ExporterTarget(eid, "otlp_http", url, url.startswith("https"), skip_verify, ca_file, headers)
    return None


def _waits(doc: Mapping[str, Any], processors: list[Any]) -> dict[str, float]:
    """Holding processors of the traces pipelines -> how long they hold spans (seconds)."""
    waits: dict[str, float] = {}
    for pid in processors:
        holding = HOLDING_PROCESSORS.get(str(pid).split("/")[0])
        if holding:
            value = _get(_get(doc, "processors") or {}, str(pid), holding[0])
            seconds = _seconds(value) if value is not None else None
            waits[str(pid)] = seconds if seconds is not None else holding[1]
    return waits


def _listens(receivers: Mapping[str, Any], used: set[str]) -> list[str]:
    listens = []
    for rid, cfg in _component(receivers, {"otlp"}):
        if rid in used:
            protocols = _get(cfg, "protocols") or {}
            for proto, default in (("grpc", "localhost:4317"), ("http", "localhost:4318")):
                if isinstance(protocols, Mapping) and proto in protocols:
                    listens.append(str(_get(protocols, proto, "endpoint") or default))
    return listens


def _seconds(value: Any) -> float | None:
    """A Go duration from a config (`200ms`, `30s`, `1m30s`); None when it is not one."""
    from otdiag import durations
    from otdiag.errors import UsageError

    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1e9  # a bare number is nanoseconds to the collector
    try:
        return durations.parse(str(value), "config")
    except UsageError:
        return None
