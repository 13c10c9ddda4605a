"""Decode OTLP/trace export requests the way the collector's receiver does: protobuf or OTLP/JSON.

OTLP/JSON differs from protobuf's own JSON mapping in two ways the
collector accepts and so must we: trace and span IDs are hex (any case, or
empty), and field names may be lowerCamelCase or the proto's snake_case.
Enums may be integers or their names. Unknown fields are ignored.

Nesting: the collector takes attribute values nested to any depth (v0.155 answered 200 to an array
nested 700,000 deep in a 20 MiB body). Python's protobuf runtime refuses messages nested more than 100
deep, and raising that bound crashes the process on a deep enough message, so a value nested deeper
than MAX_DEPTH messages is kept cut: the part below is replaced by the string CUT_MARKER, and the
request is taken with the collector's answer. Only requests that are that deep pay for the cut.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any, cast

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


MAX_DEPTH = 90
"""Messages (or JSON objects and arrays) nested deeper than this are cut; the runtime's own limit is 100."""
CUT_MARKER = f"(otdiag listen: nested deeper than {MAX_DEPTH} levels, cut here; the collector keeps it whole)"


def decode_protobuf(body: bytes) -> ExportTraceServiceRequest:
    return decode_protobuf_kept(body)[0]


def decode_protobuf_kept(body: bytes) -> tuple[ExportTraceServiceRequest, bytes | None]:
    """The request, and the bytes to keep for it: `body`, or None when deep values were cut (re-encode it)."""
    req = ExportTraceServiceRequest()
    try:
        req.ParseFromString(body)
        return req, body
    except DecodeError as exc:
        if "MaxDepth" not in str(exc):
            raise PayloadError(f"proto: cannot parse invalid wire-format data ({_short(exc)})") from None
    try:
        req.ParseFromString(_cut_wire(body, "request", 1))
    except (DecodeError, IndexError, ValueError) as exc:
        raise PayloadError(f"proto: cannot parse invalid wire-format data ({_short(exc)})") from None
    return req, None


# Where attribute values sit in an export request: message kind -> {field number: kind of that field}.
_WIRE_SCHEMA: dict[str, dict[int, str]] = {
    "request": {1: "resource_spans"},
    "resource_spans": {1: "resource", 2: "scope_spans"},
    "resource": {1: "kv"},
    "scope_spans": {1: "scope", 2: "span"},
    "scope": {3: "kv"},
    "span": {9: "kv", 11: "event", 13: "link"},
    "event": {3: "kv"},
    "link": {4: "kv"},
    "kv": {2: "any"},
    "any": {5: "array", 6: "kvlist"},
    "array": {1: "any"},
    "kvlist": {1: "kv"},
}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _put_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


_CUT_ANY = b"\x0a" + _put_varint(len(CUT_MARKER.encode())) + CUT_MARKER.encode()


def _cut_wire(data: bytes, kind: str, depth: int) -> bytes:
    """`data` (a message of `kind` at nesting `depth`) with every AnyValue deeper than MAX_DEPTH cut.

    Recursion follows the schema only down to MAX_DEPTH; everything else is copied as it is.
    """
    if kind == "any" and depth > MAX_DEPTH:
        return _CUT_ANY
    fields = _WIRE_SCHEMA[kind]
    out: list[bytes] = []
    pos, end = 0, len(data)
    while pos < end:
        start = pos
        tag, pos = _varint(data, pos)
        wire = tag & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(data, pos)
            payload = data[pos : pos + size]
            if len(payload) != size:
                raise ValueError("truncated field")
            pos += size
            child = fields.get(tag >> 3)
            if child is not None:
                inner = _cut_wire(payload, child, depth + 1)
                out.append(_put_varint(tag) + _put_varint(len(inner)) + inner)
                continue
        else:
            raise ValueError(f"wire type {wire} where a message's field was expected")
        if pos > end:
            raise ValueError("truncated field")
        out.append(data[start:pos])
    return b"".join(out)


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
    except RecursionError:
        doc = _loads_deep(body)  # nested deeper than the C decoder goes: read it with values cut
    except ValueError as exc:
        raise PayloadError(f"ReadObject: {_short(exc)}") from None
    if not isinstance(doc, dict):
        raise PayloadError("ReadObject: expect { at the start of an ExportTraceServiceRequest")
    try:
        return _decode_doc(doc)
    except _TooDeep:
        pass
    try:
        return _decode_doc(_cut_doc(doc))
    except _TooDeep:  # pragma: no cover - a cut document is at most MAX_DEPTH deep
        raise PayloadError("ReadObject: nested too deep") from None


class _TooDeep(Exception):
    """Nested deeper than the protobuf runtime builds: cut the document, then decode again."""


def _decode_doc(doc: dict[str, Any]) -> ExportTraceServiceRequest:
    try:
        return _fast_request(doc)
    except _Slow:
        pass
    except (DecodeError, RecursionError):
        raise _TooDeep from None
    req = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(_fix_ids_in_request(doc), req, ignore_unknown_fields=True)
    except RecursionError:
        raise _TooDeep from None
    except json_format.ParseError as exc:
        if "too deep" in str(exc):
            raise _TooDeep from None
        raise PayloadError(_short(exc)) from None
    except (ValueError, TypeError, DecodeError) as exc:
        if "MaxDepth" in str(exc):
            raise _TooDeep from None
        raise PayloadError(_short(exc)) from None
    return req


def _cut_object() -> dict[str, Any]:
    """What an object nested too deep becomes: the marker as an AnyValue, a KeyValue or a KeyValueList."""
    item = {"key": "(cut)", "value": {"stringValue": CUT_MARKER}, "stringValue": CUT_MARKER}
    return {**item, "values": [dict(item)]}


def _cut_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with every object nested in more than MAX_DEPTH objects cut (in place; no recursion).

    Objects are what become messages; arrays add no message depth.
    """
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, dict):
                if depth + 1 > MAX_DEPTH:
                    node[key] = _cut_object()
                else:
                    stack.append((value, depth + 1))
            elif isinstance(value, list):
                stack.append((value, depth))
    return doc


_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - the C string scanner json.loads uses
_WS = re.compile(r"[ \t\n\r]*+")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*+))(\.[0-9]++)?([eE][-+]?[0-9]++)?")
_CONSTANTS: dict[str, Any] = {
    "null": None, "true": True, "false": False, "NaN": float("nan"), "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}  # fmt: skip


def _loads_deep(body: bytes) -> Any:
    """json.loads without recursion: containers nested deeper than MAX_DEPTH are read, checked and cut."""
    try:
        text = body.decode(json.detect_encoding(body))
        return _parse_deep(text.removeprefix("\ufeff"))
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise PayloadError(f"ReadObject: {_short(exc) or 'unexpected end of input'}") from None


def _parse_deep(text: str) -> Any:
    # One frame per open container: [what is built (None once cut), the pending key, is it an object,
    # objects it is nested in (itself included)].
    stack: list[list[Any]] = []
    root: list[Any] = []
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    while True:
        # A value starts at pos.
        ch = text[pos]
        if ch in "{[":
            depth = (stack[-1][3] if stack else 0) + (ch == "{")
            parent_cut = bool(stack) and stack[-1][0] is None
            built: Any = None if parent_cut or depth > MAX_DEPTH else ({} if ch == "{" else [])
            stack.append([built, None, ch == "{", depth])
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            close = "}" if ch == "{" else "]"
            if text[pos] == close:
                pos += 1
                value = _close(stack)
            elif ch == "{":
                pos = _key(text, pos, stack[-1])
                continue
            else:
                continue
        else:
            value, pos = _scalar_at(text, pos)
        # A value ended: attach it, then close what ends here.
        while True:
            if not stack:
                root.append(value)
                if _WS.match(text, pos).end() != len(text):  # type: ignore[union-attr]
                    raise ValueError(f"Extra data at char {pos}")
                return root[0]
            frame = stack[-1]
            if frame[0] is not None:
                if frame[2]:
                    frame[0][frame[1]] = value
                else:
                    frame[0].append(value)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            sep = text[pos]
            if sep == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                if frame[2]:
                    pos = _key(text, pos, frame)
                break
            if sep != ("}" if frame[2] else "]"):
                raise ValueError(f"Expecting ',' delimiter at char {pos}")
            pos += 1
            value = _close(stack)


def _scalar_at(text: str, pos: int) -> tuple[Any, int]:
    """The string, number or constant at pos, and the position after it."""
    if text[pos] == '"':
        return cast(tuple[str, int], _scanstring(text, pos + 1))
    m = _NUMBER.match(text, pos)
    if m is not None:
        integer, frac, exp = m.groups()
        return (float(integer + (frac or "") + (exp or "")) if frac or exp else int(integer)), m.end()
    for word, const in _CONSTANTS.items():
        if text.startswith(word, pos):
            return const, pos + len(word)
    raise ValueError(f"Expecting value at char {pos}")


def _key(text: str, pos: int, frame: list[Any]) -> int:
    """Read `"key" :` at pos into the frame; the position of the value after it."""
    if text[pos] != '"':
        raise ValueError(f"Expecting property name enclosed in double quotes at char {pos}")
    frame[1], pos = _scanstring(text, pos + 1)
    pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
    if text[pos] != ":":
        raise ValueError(f"Expecting ':' delimiter at char {pos}")
    return _WS.match(text, pos + 1).end()  # type: ignore[union-attr]


def _close(stack: list[list[Any]]) -> Any:
    """Pop the container that just closed: what its parent gets (the cut marker at the first object cut)."""
    built, _, is_object, depth = stack.pop()
    if built is None and is_object and depth == MAX_DEPTH + 1:
        return _cut_object()
    return built


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
