"""OTLP/HTTP export (protobuf or JSON body) with the receiver's answer decoded."""

from __future__ import annotations

import json
from collections.abc import Mapping

from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otdiag import http
from otdiag.otlp.result import ExportResult
from otdiag.redact import Scrubber

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def export(
    url: str,
    body: bytes,
    *,
    content_type: str,
    headers: Mapping[str, str],
    timeout: float,
    tls: http.TlsOptions | None = None,
    scrub: Scrubber | None = None,
    session: http.Session | None = None,
) -> ExportResult:
    """POST one export request; raise `TransportError` when no HTTP answer came back.

    With a `session`, the connection is kept alive for the next request (load runs).
    """
    scrub = scrub or Scrubber()
    all_headers = {"Content-Type": content_type, "User-Agent": "otdiag", **headers}
    if session is not None:
        resp = session.request("POST", url, headers=all_headers, content=body)
    else:
        resp = http.request(
            "POST", url, timeout=timeout, headers=all_headers, content=body, tls=tls, max_bytes=1024 * 1024,
            truncate=True,
        )  # fmt: skip
    if resp.status == 200:
        rejected, message = _partial_success(resp)
        return ExportResult(
            ok=True,
            status="200",
            message=scrub(message),
            rejected_spans=rejected,
            elapsed_ms=resp.elapsed_ms,
            http_status=200,
            content_type=resp.content_type,
        )
    return ExportResult(
        ok=False,
        status=str(resp.status),
        message=scrub(_error_message(resp)),
        elapsed_ms=resp.elapsed_ms,
        http_status=resp.status,
        retry_after=resp.headers.get("retry-after"),
        content_type=resp.content_type,
    )


def _partial_success(resp: http.Response) -> tuple[int, str]:
    if not resp.body:
        return 0, ""
    if resp.content_type == JSON:
        try:
            doc = json.loads(resp.body)
        except ValueError:
            return 0, ""
        ps = doc.get("partialSuccess") or doc.get("partial_success") or {} if isinstance(doc, dict) else {}
        if not isinstance(ps, dict):
            return 0, ""
        raw = ps.get("rejectedSpans", ps.get("rejected_spans", 0))
        try:
            rejected = int(str(raw))
        except (TypeError, ValueError):
            rejected = 0
        return rejected, str(ps.get("errorMessage", ps.get("error_message", "")))
    msg = trace_service_pb2.ExportTraceServiceResponse()
    try:
        msg.ParseFromString(resp.body)
    except DecodeError:
        return 0, ""
    return int(msg.partial_success.rejected_spans), msg.partial_success.error_message


def _error_message(resp: http.Response) -> str:
    """The receiver's error text: a google.rpc.Status (protobuf or JSON) or plain text."""
    if resp.content_type == PROTOBUF and resp.body:
        status = status_pb2.Status()
        try:
            status.ParseFromString(resp.body)
            if status.message:
                return str(status.message)
        except DecodeError:
            pass
    if resp.content_type == JSON and resp.body:
        try:
            doc = json.loads(resp.body)
            if isinstance(doc, dict) and isinstance(doc.get("message"), str):
                return str(doc["message"])
        except ValueError:
            pass
    return " ".join(resp.text(300).split())
