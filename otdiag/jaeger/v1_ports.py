"""Jaeger v1's own ports, recognised by what they answer (not by their numbers alone).

Jaeger v1 (the all-in-one, or jaeger-collector + jaeger-query) listens on: 14268 Thrift over HTTP
(POST /api/traces), 14250 gRPC for Jaeger's own model (jaeger.api_v2), 14269 admin (health at /,
metrics at /metrics), 16686 the query UI and API, and - from v1.35 on - OTLP on 4317 (gRPC) and
4318 (HTTP). The agent's UDP ports (6831/6832) are gone from the v1.76 all-in-one; over UDP nothing
answers, so they cannot be recognised by what they answer. An OTLP export sent to
one of its own ports fails in a way that says little (a 400 or 404, gRPC UNIMPLEMENTED); one
small request more tells whether the port is Jaeger v1's, and then the finding says so.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from otdiag.net import http
from otdiag.net.transport import TransportError


class Port(StrEnum):
    THRIFT_HTTP = "thrift-http"
    GRPC_COLLECTOR = "grpc-collector"
    ADMIN = "admin"


DESCRIBE = {
    Port.THRIFT_HTTP: "Jaeger v1's collector port for Thrift over HTTP (14268 by default)",
    Port.GRPC_COLLECTOR: "Jaeger v1's collector gRPC port for Jaeger's own format (14250 by default)",
    Port.ADMIN: "Jaeger v1's admin port (14269 by default: health at /, metrics at /metrics)",
}

OTLP_FIX = (
    "Send OTLP to Jaeger's OTLP ports instead (4317 gRPC, 4318 HTTP; Jaeger v1.35+, on by default since "
    "v1.46) or to a collector; {port} takes only Jaeger's own formats."
)
SHORT = {
    Port.THRIFT_HTTP: "the Thrift port",
    Port.GRPC_COLLECTOR: "the jaeger.api_v2 gRPC port",
    Port.ADMIN: "the admin port",
}

_PROBE_TYPE = "application/x-otdiag-probe"


def fix(kind: Port) -> str:
    return OTLP_FIX.format(port=SHORT[kind])


def identify_http(url: str, *, timeout: float, tls: http.TlsOptions | None = None) -> Port | None:
    """Port.THRIFT_HTTP or Port.ADMIN when the HTTP server behind `url` is one of Jaeger v1's; else None."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    try:
        # The Thrift endpoint names the content type it refuses: "Unsupported content type: <ours>".
        resp = http.request(
            "POST",
            base + "/api/traces",
            content=b"",
            headers={"Content-Type": _PROBE_TYPE},
            timeout=timeout,
            tls=tls,
            max_bytes=4096,
        )
        if resp.status == 400 and _PROBE_TYPE.encode() in resp.body and b"content type" in resp.body.lower():
            return Port.THRIFT_HTTP
        if _is_admin(base, timeout, tls):
            return Port.ADMIN
    except TransportError:
        return None
    return None


def _is_admin(base: str, timeout: float, tls: http.TlsOptions | None) -> bool:
    """Health JSON at / and Jaeger's own Prometheus metrics at /metrics (the collector's health_check
    extension answers the same JSON, but not metrics)."""
    resp = http.request("GET", base + "/", timeout=timeout, tls=tls, max_bytes=4096)
    try:
        doc = json.loads(resp.body)
    except ValueError:
        return False
    if not isinstance(doc, dict) or "available" not in str(doc.get("status", "")).lower():
        return False
    metrics = http.request("GET", base + "/metrics", timeout=timeout, tls=tls, max_bytes=1 << 20, truncate=True)
    return metrics.status == 200 and b"\njaeger_" in metrics.body


def is_grpc_collector(target: str, *, secure: bool, timeout: float) -> bool:
    """Whether the gRPC server at host:port serves Jaeger's own CollectorService (jaeger.api_v2)."""
    import grpc

    creds = grpc.ssl_channel_credentials() if secure else None
    channel = grpc.secure_channel(target, creds) if creds else grpc.insecure_channel(target)
    try:
        call: Any = channel.unary_unary(
            "/jaeger.api_v2.CollectorService/PostSpans",
            request_serializer=None,
            response_deserializer=None,
        )
        try:
            call(b"", timeout=timeout)
        except grpc.RpcError as err:
            code = err.code() if hasattr(err, "code") else None
            return code not in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.UNAVAILABLE, None) and (
                code is not grpc.StatusCode.DEADLINE_EXCEEDED
            )
        return True
    finally:
        channel.close()
