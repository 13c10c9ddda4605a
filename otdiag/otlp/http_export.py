"""OTLP/HTTP export (protobuf or JSON body) with the receiver's answer decoded."""

from __future__ import annotations

import json
from collections.abc import Mapping

from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otdiag.net import http
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
        try:
            rejected, message = _partial_success(resp)
        except _Malformed as exc:
            return ExportResult(
                ok=False,
                status="200",
                message="",
                elapsed_ms=resp.elapsed_ms,
                http_status=200,
                content_type=resp.content_type,
                malformed=scrub(str(exc)),
            )
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


class _Malformed(Exception):
    """A 200 whose body is not an ExportTraceServiceResponse."""


def _excerpt(body: bytes) -> str:
    from otdiag import redact

    return repr(redact.clean(body[:60].decode("utf-8", "replace")))


def _partial_success(resp: http.Response) -> tuple[int, str]:
    """(rejected spans, message) of a well-formed ExportTraceServiceResponse; an empty body is one too.

    Anything else (garbage, an endless or cut-off body) raises `_Malformed`: it is not acceptance.
    """
    if resp.truncated:
        raise _Malformed("the body is larger than 1 MiB (an ExportTraceServiceResponse is a few bytes)")
    if not resp.body:
        return 0, ""
    if resp.content_type == JSON:
        try:
            doc = json.loads(resp.body)
        except (ValueError, RecursionError):
            raise _Malformed(f"the body is not JSON: {_excerpt(resp.body)}") from None
        if not isinstance(doc, dict):
            raise _Malformed(f"the body is not a JSON object: {_excerpt(resp.body)}")
        ps = doc.get("partialSuccess", doc.get("partial_success")) or {}
        if not isinstance(ps, dict):
            raise _Malformed(f"partialSuccess is not an object: {_excerpt(resp.body)}")
        raw = ps.get("rejectedSpans", ps.get("rejected_spans", 0))
        try:
            rejected = int(str(raw)) if isinstance(raw, int | str) and len(str(raw)) <= 20 else -1
        except ValueError:
            rejected = -1
        if rejected < 0 or rejected >= 2**63:
            raise _Malformed(f"rejectedSpans is not a count: {_excerpt(resp.body)}")
        message = ps.get("errorMessage", ps.get("error_message", ""))
        if not isinstance(message, str):
            raise _Malformed(f"errorMessage is not a string: {_excerpt(resp.body)}")
        return rejected, message
    return parse_response(resp.body)


def parse_response(body: bytes) -> tuple[int, str]:
    """(rejected spans, message) of a protobuf ExportTraceServiceResponse; `_Malformed` for anything else.

    Unknown fields are refused too: random bytes that happen to decode are still not an answer.
    """
    from google.protobuf.unknown_fields import UnknownFieldSet

    msg = trace_service_pb2.ExportTraceServiceResponse()
    try:
        msg.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError):
        raise _Malformed(f"the body is not an ExportTraceServiceResponse: {_excerpt(body)}") from None
    if len(UnknownFieldSet(msg)) or len(UnknownFieldSet(msg.partial_success)):
        raise _Malformed(f"the body is not an ExportTraceServiceResponse (unknown fields): {_excerpt(body)}")
    return int(msg.partial_success.rejected_spans), msg.partial_success.error_message


def _error_message(resp: http.Response) -> str:
    """The receiver's error text: a google.rpc.Status (protobuf or JSON) or plain text."""
    if resp.content_type == PROTOBUF and resp.body:
        status = status_pb2.Status()
        try:
            status.ParseFromString(resp.body)
            if status.message:
                return str(status.message)
        except (DecodeError, RuntimeError, ValueError):
            pass
    if resp.content_type == JSON and resp.body:
        try:
            doc = json.loads(resp.body)
            if isinstance(doc, dict) and isinstance(doc.get("message"), str):
                return str(doc["message"])
        except (ValueError, RecursionError):
            pass
    return " ".join(resp.text(300).split())
