"""The collector's health endpoint: legacy `health_check` and `healthcheckv2`.

protocols.md D: health_check answers every path with
{"status": "Server available" | "Server not available", ...}; healthcheckv2
serves GET /status[?pipeline=...] with {"healthy", "status", "components": ...}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from otdiag.net import http

_V2_OK = {"StatusOK"}
_V2_BAD = {"StatusRecoverableError", "StatusPermanentError", "StatusFatalError"}


@dataclass(frozen=True)
class ComponentStatus:
    path: str
    """e.g. `pipeline:traces / exporter:otlp/jaeger`."""
    status: str
    error: str = ""


@dataclass(frozen=True)
class Health:
    url: str
    flavour: str
    """`health_check` (v1), `healthcheckv2`, or `jaeger-v1-admin` (Jaeger v1's admin port, 14269)."""
    healthy: bool
    status: str
    problems: list[ComponentStatus] = field(default_factory=list)
    """Components whose status is an error, deepest first."""
    components: frozenset[str] = frozenset()
    """healthcheckv2's verbose answer: every component it names (`extension:jaeger_query`, `receiver:otlp`)."""


def probe(base_url: str, *, timeout: float, tls: http.TlsOptions | None = None) -> Health | None:
    """Ask the health endpoint; None when something answers that is not a health endpoint.

    Raises `TransportError` when nothing answers.
    """
    base = base_url.rstrip("/")
    resp = http.request("GET", base + "/status?verbose", timeout=timeout, tls=tls, max_bytes=4 * 1024 * 1024)
    doc = _json(resp)
    if resp.status == 404 or doc is None:
        resp = http.request("GET", base + "/", timeout=timeout, tls=tls, max_bytes=1024 * 1024)
        doc = _json(resp)
    if not isinstance(doc, dict):
        return None
    status = doc.get("status")
    if "healthy" in doc or "components" in doc or status in _V2_OK | _V2_BAD or str(status).startswith("Status"):
        problems = list(_walk(doc.get("components") or {}, ""))
        healthy = bool(doc.get("healthy", status in _V2_OK)) and resp.status < 500 and status not in _V2_BAD
        named = frozenset(_names(doc.get("components")))
        return Health(
            resp_url(base, "/status"), "healthcheckv2", healthy and not problems, str(status), problems, named
        )
    if isinstance(status, str) and "available" in status.lower():
        # Jaeger v1's admin port (14269) answers the same JSON, and serves Jaeger's metrics beside it.
        flavour = "jaeger-v1-admin" if _jaeger_metrics(base, timeout, tls) else "health_check"
        return Health(base + "/", flavour, resp.status == 200 and status == "Server available", status)
    return None


def _jaeger_metrics(base: str, timeout: float, tls: http.TlsOptions | None) -> bool:
    from otdiag.net.transport import TransportError

    try:
        resp = http.request("GET", base + "/metrics", timeout=timeout, tls=tls, max_bytes=1 << 20, truncate=True)
    except TransportError:
        return False
    return resp.status == 200 and b"\njaeger_" in resp.body


def resp_url(base: str, path: str) -> str:
    return base + path


def _json(resp: http.Response) -> Any:
    from otdiag.jaeger.client import _depth_ok

    try:
        doc = json.loads(resp.body)
    except (ValueError, RecursionError):
        return None
    return doc if _depth_ok(doc) else None


def _names(components: Any, depth: int = 0) -> list[str]:
    """The component names of a verbose healthcheckv2 answer (bounded: the document is already depth-checked)."""
    if not isinstance(components, dict) or depth > 8:
        return []
    out: list[str] = []
    for name, node in list(components.items())[:512]:
        out.append(str(name)[:200])
        if isinstance(node, dict):
            out += _names(node.get("components"), depth + 1)
    return out


def _walk(components: Any, prefix: str) -> list[ComponentStatus]:
    out: list[ComponentStatus] = []
    if not isinstance(components, dict):
        return out
    for name, node in components.items():
        if not isinstance(node, dict):
            continue
        path = f"{prefix} / {name}" if prefix else str(name)
        children = node.get("components")
        inner = _walk(children, path) if isinstance(children, dict) else []
        out.extend(inner)
        status = str(node.get("status", ""))
        if not inner and status in _V2_BAD:
            out.append(ComponentStatus(path, status, str(node.get("error", ""))))
    return out
