"""Decode OTLP/trace export requests the way the collector's receiver does: protobuf or OTLP/JSON.

OTLP/JSON differs from protobuf's own JSON mapping in two ways the
collector accepts and so must we: trace and span IDs are hex (any case, or
empty), and field names may be lowerCamelCase or the proto's snake_case.
Enums may be integers or their names. Unknown fields are ignored.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class PayloadError(ValueError):
    """The request body is not a valid export request; the message says why (for the 400 answer)."""


class BodyTooLarge(ValueError):
    """The (decompressed) body is larger than the receiver accepts."""


def decode_protobuf(body: bytes) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    try:
        req.ParseFromString(body)
    except DecodeError as exc:
        raise PayloadError(f"proto: cannot parse invalid wire-format data ({_short(exc)})") from None
    return req


_ID_LENGTHS = {
    "traceId": 16,
    "trace_id": 16,
    "spanId": 8,
    "span_id": 8,
    "parentSpanId": 8,
    "parent_span_id": 8,
}


def _hex_to_b64(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise PayloadError(f"{key}: expected a hex string")
    if value == "":
        return value
    want = _ID_LENGTHS[key]
    if len(value) != 2 * want:
        raise PayloadError(f"{key}: length mismatch ({value[:40]!r} is not {2 * want} hex digits)")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise PayloadError(f"{key}: {value[:40]!r} is not hex") from None
    return base64.b64encode(raw).decode()


def _fix_ids_in_request(doc: dict[str, Any]) -> dict[str, Any]:
    # IDs occur only in spans and their links; attribute values named traceId must stay untouched.
    out = dict(doc)
    for rs_key in ("resourceSpans", "resource_spans"):
        rss = doc.get(rs_key)
        if not isinstance(rss, list):
            continue
        new_rss = []
        for rs in rss:
            if not isinstance(rs, dict):
                new_rss.append(rs)
                continue
            rs_out = dict(rs)
            for ss_key in ("scopeSpans", "scope_spans"):
                sss = rs_out.get(ss_key)
                if not isinstance(sss, list):
                    continue
                new_sss = []
                for ss in sss:
                    if isinstance(ss, dict) and isinstance(ss.get("spans"), list):
                        new_sss.append({**ss, "spans": [_fix_span(s) for s in ss["spans"]]})
                    else:
                        new_sss.append(ss)
                rs_out[ss_key] = new_sss
            new_rss.append(rs_out)
        out[rs_key] = new_rss
    return out


def _fix_span(span: Any) -> Any:
    if not isinstance(span, dict):
        return span
    out = {k: (_hex_to_b64(k, v) if k in _ID_LENGTHS else v) for k, v in span.items()}
    if isinstance(out.get("links"), list):
        out["links"] = [
            {k: (_hex_to_b64(k, v) if k in _ID_LENGTHS else v) for k, v in link.items()}
            if isinstance(link, dict)
            else link
            for link in out["links"]
        ]
    return out


def decode_json(body: bytes) -> ExportTraceServiceRequest:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"ReadObject: {_short(exc)}") from None
    if not isinstance(doc, dict):
        raise PayloadError("ReadObject: expect { at the start of an ExportTraceServiceRequest")
    req = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(_fix_ids_in_request(doc), req, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise PayloadError(_short(exc)) from None
    return req


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Undo Content-Encoding like the collector's confighttp, never expanding past `limit` bytes."""
    enc = encoding.strip().lower()
    if enc in ("", "identity"):
        return body
    if enc in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif enc in ("deflate", "zlib"):
        wbits = zlib.MAX_WBITS
    else:
        raise PayloadError(f"unsupported Content-Encoding: {encoding.strip()}")
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(body, limit + 1)
    except zlib.error:
        raise PayloadError("unexpected EOF") from None
    if len(out) > limit:
        raise BodyTooLarge("http: request body too large")
    if not d.eof:
        raise PayloadError("unexpected EOF")
    return out


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text[:limit]
