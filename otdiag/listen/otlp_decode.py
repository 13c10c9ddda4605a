"""Decode OTLP/trace export requests the way the collector's receiver does: protobuf or OTLP/JSON.

OTLP/JSON differs from protobuf's own JSON mapping in two ways the
collector accepts and so must we: trace and span IDs are hex (any case, or
empty), and field names may be lowerCamelCase or the proto's snake_case.
Enums may be integers or their names. Unknown fields are ignored.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from otdiag.model import SPAN_KIND_NUMBERS


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
    try:
        return _fast_request(doc)
    except _Slow:
        pass
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


# --- a fast path for the common OTLP/JSON shapes ----------------------------------------------------------
#
# json_format.ParseDict is written in Python and costs about as much per span as everything else
# listen does. Requests made of the fields below, with plainly typed values, are built here straight
# into messages; anything else (an unknown or doubled field, a null, a number as a float, base64 bytes
# ...) goes to ParseDict, so every answer, and every error, stays the one the collector's decoder gives.


class _Slow(Exception):
    """Not a shape the fast path knows: use ParseDict."""


_U64 = re.compile(r"\+?[0-9]{1,20}")
_I64 = re.compile(r"[+-]?[0-9]{1,19}")
_STATUS = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}


def _names(*pairs: tuple[str, str]) -> dict[str, str]:
    """JSON names (lowerCamelCase and the proto's own) -> the field's name."""
    out = {}
    for camel, snake in pairs:
        out[camel] = snake
        out[snake] = snake
    return out


_REQUEST = _names(("resourceSpans", "resource_spans"))
_RESOURCE_SPANS = _names(("resource", "resource"), ("scopeSpans", "scope_spans"), ("schemaUrl", "schema_url"))
_RESOURCE = _names(("attributes", "attributes"), ("droppedAttributesCount", "dropped_attributes_count"))
_SCOPE_SPANS = _names(("scope", "scope"), ("spans", "spans"), ("schemaUrl", "schema_url"))
_SCOPE = _names(
    ("name", "name"), ("version", "version"), ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"),
)  # fmt: skip
_SPAN = _names(
    ("traceId", "trace_id"), ("spanId", "span_id"), ("traceState", "trace_state"), ("parentSpanId", "parent_span_id"),
    ("flags", "flags"), ("name", "name"), ("kind", "kind"), ("startTimeUnixNano", "start_time_unix_nano"),
    ("endTimeUnixNano", "end_time_unix_nano"), ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"), ("events", "events"),
    ("droppedEventsCount", "dropped_events_count"), ("links", "links"), ("droppedLinksCount", "dropped_links_count"),
    ("status", "status"),
)  # fmt: skip
_EVENT = _names(
    ("timeUnixNano", "time_unix_nano"), ("name", "name"), ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"),
)  # fmt: skip
_LINK = _names(
    ("traceId", "trace_id"), ("spanId", "span_id"), ("traceState", "trace_state"), ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"), ("flags", "flags"),
)  # fmt: skip
_STATUS_FIELDS = _names(("message", "message"), ("code", "code"))
_ID_SIZE = {"trace_id": 16, "span_id": 8, "parent_span_id": 8}
_STRINGS = frozenset({"schema_url", "name", "version", "trace_state", "message"})
_U32 = frozenset({"dropped_attributes_count", "dropped_events_count", "dropped_links_count", "flags"})
_U64_FIELDS = frozenset({"start_time_unix_nano", "end_time_unix_nano", "time_unix_nano"})


def _fields(doc: Any, names: dict[str, str]) -> dict[str, Any]:
    if type(doc) is not dict:
        raise _Slow
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = names.get(key)
        if name is None or name in out or value is None:
            raise _Slow
        out[name] = value
    return out


def _scalar(name: str, value: Any) -> Any:
    if name in _STRINGS:
        if type(value) is not str:
            raise _Slow
        return value
    if name in _U32:
        if type(value) is int and 0 <= value < 1 << 32:
            return value
        raise _Slow
    if name in _U64_FIELDS:
        if type(value) is int and 0 <= value < 1 << 64:
            return value
        if type(value) is str and _U64.fullmatch(value) and int(value) < 1 << 64:
            return int(value)
        raise _Slow
    if name in _ID_SIZE:
        if type(value) is not str:
            raise _Slow
        if value == "":
            return b""
        if len(value) != 2 * _ID_SIZE[name]:
            raise _Slow
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise _Slow from None
    raise _Slow


def _any_value(doc: Any) -> AnyValue:
    if type(doc) is not dict or len(doc) != 1:
        raise _Slow
    ((key, value),) = doc.items()
    if key in ("stringValue", "string_value") and type(value) is str:
        return AnyValue(string_value=value)
    if key in ("boolValue", "bool_value") and type(value) is bool:
        return AnyValue(bool_value=value)
    if key in ("intValue", "int_value"):
        if type(value) is str and _I64.fullmatch(value):
            value = int(value)
        if type(value) is int and -(1 << 63) <= value < 1 << 63:
            return AnyValue(int_value=value)
    if key in ("doubleValue", "double_value") and type(value) in (int, float):
        return AnyValue(double_value=float(value))
    if key in ("arrayValue", "array_value") and type(value) is dict and set(value) <= {"values"}:
        return AnyValue(array_value=ArrayValue(values=[_any_value(v) for v in _list(value.get("values", []))]))
    if key in ("kvlistValue", "kvlist_value") and type(value) is dict and set(value) <= {"values"}:
        return AnyValue(kvlist_value=KeyValueList(values=_attributes(value.get("values", []))))
    raise _Slow


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise _Slow
    return value


def _attributes(items: Any) -> list[KeyValue]:
    out = []
    for kv in _list(items):
        if type(kv) is not dict or len(kv) != 2:
            if type(kv) is dict and len(kv) == 1 and type(kv.get("key")) is str:
                out.append(KeyValue(key=kv["key"]))
                continue
            raise _Slow
        key = kv.get("key")
        value = kv.get("value")
        if type(key) is not str or type(value) is not dict:
            raise _Slow
        text = value.get("stringValue")
        if type(text) is str and len(value) == 1:
            out.append(KeyValue(key=key, value=AnyValue(string_value=text)))
        else:
            out.append(KeyValue(key=key, value=_any_value(value)))
    return out


def _plain(doc: Any, names: dict[str, str]) -> dict[str, Any]:
    """A message of scalars and attributes, as constructor arguments."""
    out = {}
    for name, value in _fields(doc, names).items():
        out[name] = _attributes(value) if name == "attributes" else _scalar(name, value)
    return out


_HEX_ID = {"traceId": 32, "trace_id": 32, "spanId": 16, "span_id": 16, "parentSpanId": 16, "parent_span_id": 16}
_TIMES = {"startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano"}


def _span(doc: Any) -> Span:
    if type(doc) is not dict:
        raise _Slow
    args: dict[str, Any] = {}
    for key, value in doc.items():
        name = _SPAN.get(key)
        if name is None or name in args or value is None:
            raise _Slow
        # The common fields inline (this runs once per span); the rest through _scalar.
        size = _HEX_ID.get(key)
        if size is not None:
            if type(value) is not str or (value and len(value) != size):
                raise _Slow
            try:
                args[name] = bytes.fromhex(value)
            except ValueError:
                raise _Slow from None
        elif key in _TIMES:
            number = int(value) if type(value) is str and _U64.fullmatch(value) else value
            if type(number) is not int or not 0 <= number < 1 << 64:
                raise _Slow
            args[name] = number
        elif name == "name":
            if type(value) is not str:
                raise _Slow
            args[name] = value
        elif name == "attributes":
            args[name] = _attributes(value)
        elif name == "kind":
            kind = SPAN_KIND_NUMBERS.get(value) if type(value) is str else value
            if type(kind) is not int or not 0 <= kind <= 5:
                raise _Slow
            args[name] = kind
        elif name in _NESTED:
            args[name] = _nested(name, value)
        else:
            args[name] = _scalar(name, value)
    return Span(**args)


_NESTED = frozenset({"status", "events", "links"})


def _nested(name: str, value: Any) -> Any:
    """A span's status, events or links (fields that hold messages), built as `_span` builds the span."""
    if name == "events":
        return [Span.Event(**_plain(e, _EVENT)) for e in _list(value)]
    if name == "links":
        return [Span.Link(**_plain(link, _LINK)) for link in _list(value)]
    status = _fields(value, _STATUS_FIELDS)
    code = status.get("code", 0)
    code = _STATUS.get(code) if type(code) is str else code
    if type(code) is not int or not 0 <= code <= 2:
        raise _Slow
    status_args: dict[str, Any] = {"code": code}
    if "message" in status:
        status_args["message"] = _scalar("message", status["message"])
    return Status(**status_args)


def _fast_request(doc: dict[str, Any]) -> ExportTraceServiceRequest:
    out = []
    for rs_doc in _list(_fields(doc, _REQUEST).get("resource_spans", [])):
        rs = _fields(rs_doc, _RESOURCE_SPANS)
        scope_spans = []
        for ss_doc in _list(rs.get("scope_spans", [])):
            ss = _fields(ss_doc, _SCOPE_SPANS)
            ss_args: dict[str, Any] = {"spans": [_span(s) for s in _list(ss.get("spans", []))]}
            if "scope" in ss:
                ss_args["scope"] = InstrumentationScope(**_plain(ss["scope"], _SCOPE))
            if "schema_url" in ss:
                ss_args["schema_url"] = _scalar("schema_url", ss["schema_url"])
            scope_spans.append(ScopeSpans(**ss_args))
        rs_args: dict[str, Any] = {"scope_spans": scope_spans}
        if "resource" in rs:
            rs_args["resource"] = Resource(**_plain(rs["resource"], _RESOURCE))
        if "schema_url" in rs:
            rs_args["schema_url"] = _scalar("schema_url", rs["schema_url"])
        out.append(ResourceSpans(**rs_args))
    return ExportTraceServiceRequest(resource_spans=out)
