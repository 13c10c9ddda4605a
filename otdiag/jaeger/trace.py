"""A trace as otdiag sees it, whichever Jaeger API returned it.

Jaeger's API v3 answers in OTLP/JSON (resourceSpans, hex IDs, nanosecond
strings, integer enums); the legacy API in Jaeger's own JSON (processes,
references, microseconds, tags). Both are turned into the same `Trace`, so
analysis, rendering and `--json` never depend on which API answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from otdiag.errors import UsageError
from otdiag.model import SPAN_KINDS

_HEX = re.compile(r"^[0-9a-fA-F]{1,32}$")
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

_KIND_NAMES = {v: v for v in SPAN_KINDS.values()}


def parse_trace_id(text: str) -> str:
    """1-32 hex digits (any case) or a W3C traceparent -> 32 lower-case hex digits; UsageError otherwise."""
    raw = text.strip()
    tp = _TRACEPARENT.match(raw.lower())
    if tp:
        raw = tp.group(2)
    if not raw:
        raise UsageError("the trace ID is empty")
    if len(raw) > 32 and _HEX.match(raw[:32]) and all(c in "0123456789abcdefABCDEF" for c in raw):
        raise UsageError(f"trace ID {raw[:40]!r} is longer than 32 hex digits")
    if not _HEX.match(raw):
        raise UsageError(f"trace ID {raw[:40]!r} is not 1-32 hex digits or a W3C traceparent")
    tid = raw.lower().rjust(32, "0")
    if set(tid) == {"0"}:
        raise UsageError("the all-zero trace ID is invalid (it means 'no trace': the span was never sampled)")
    return tid


@dataclass(frozen=True)
class Span:
    span_id: str
    parent_span_id: str | None
    service: str
    name: str
    kind: str
    start_unix_nano: int
    duration_ns: int
    status: str
    """`ok`, `error` or `unset`."""
    status_message: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)
    events: int = 0

    @property
    def end_unix_nano(self) -> int:
        return self.start_unix_nano + self.duration_ns

    def to_json(self) -> dict[str, Any]:
        return {
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "service": self.service,
            "name": self.name,
            "kind": self.kind,
            "start_unix_nano": self.start_unix_nano,
            "duration_ns": self.duration_ns,
            "status": self.status,
            "status_message": self.status_message,
            "attributes": self.attributes,
        }


@dataclass(frozen=True)
class Trace:
    trace_id: str
    spans: list[Span]

    @property
    def start_unix_nano(self) -> int:
        return min((s.start_unix_nano for s in self.spans), default=0)

    @property
    def end_unix_nano(self) -> int:
        return max((s.end_unix_nano for s in self.spans), default=0)

    @property
    def duration_ns(self) -> int:
        return self.end_unix_nano - self.start_unix_nano

    @property
    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans})

    @property
    def roots(self) -> list[Span]:
        ids = {s.span_id for s in self.spans}
        return [s for s in self.spans if not s.parent_span_id or s.parent_span_id not in ids]

    @property
    def root(self) -> Span | None:
        true_roots = [s for s in self.spans if not s.parent_span_id]
        pool = true_roots or self.roots
        return min(pool, key=lambda s: s.start_unix_nano) if pool else None

    @property
    def error_count(self) -> int:
        return sum(1 for s in self.spans if s.status == "error")

    def to_json(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "spans": [s.to_json() for s in self.spans]}

    def summary_json(self) -> dict[str, Any]:
        root = self.root
        return {
            "trace_id": self.trace_id,
            "root": {"service": root.service, "name": root.name} if root else None,
            "services": self.services,
            "span_count": len(self.spans),
            "duration_ns": self.duration_ns,
            "errors": self.error_count,
            "start_unix_nano": self.start_unix_nano,
        }


class TraceFormatError(ValueError):
    """The server's JSON does not have the shape of a trace; `excerpt` is the offending part, as text."""

    def __init__(self, message: str, excerpt: Any = None, *, envelope: bool = False) -> None:
        super().__init__(message)
        self.excerpt = _excerpt(excerpt) if excerpt is not None else ""
        self.envelope = envelope
        """The answer's outer shape is wrong: likely not Jaeger at all (else: a malformed Jaeger answer)."""


MAX_UNIX_NANO = 2**64 - 1
"""Jaeger and OTLP keep times as unsigned 64-bit nanoseconds (the year 2554); beyond is not a time."""
MAX_ANY_DEPTH = 32
"""Nested array/kvlist attribute values deeper than this are shown as '…'."""
_HEX_ID = re.compile(r"^[0-9a-fA-F]{1,32}$")


def _excerpt(value: Any, limit: int = 120) -> str:
    import json

    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text[:limit] + ("…" if len(text) > limit else "")


def _obj(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TraceFormatError(f"{what} is a {_type(value)}, not an object", value)
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TraceFormatError(f"{what} is a {_type(value)}, not a list", value)
    return value


def _type(value: Any) -> str:
    return {
        str: "string",
        int: "number",
        float: "number",
        bool: "boolean",
        list: "list",
        dict: "object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


MAX_TEXT = 4096
"""A name, status message or attribute text longer than this is cut (with …): no view needs more,
and a hostile answer of megabyte names must not cost minutes to show."""


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _cap(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TraceFormatError(f"{what} is a {_type(value)}, not a string", value)


def _uint(value: Any, what: str, *, scale: int = 1) -> int:
    """A JSON number or decimal string as a non-negative integer that fits in 64 bits once scaled."""
    if value is None:
        return 0
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, str):
            if not value.strip().isdigit() or len(value.strip()) > 20:
                raise ValueError
            n = int(value)
        elif isinstance(value, int):
            n = value
        elif isinstance(value, float) and value.is_integer():
            n = int(value)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        raise TraceFormatError(f"{what} is not a time or duration", value) from None
    if n < 0 or n * scale > MAX_UNIX_NANO:
        raise TraceFormatError(f"{what} = {n} is out of range", value)
    return n * scale


def _id(value: Any, width: int, what: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _HEX_ID.match(value) or len(value) > width:
        raise TraceFormatError(f"{what} is not {width} hex digits", value)
    return value.lower().rjust(width, "0")


def _any_value(v: Any, depth: int = 0) -> Any:
    """An OTLP/JSON AnyValue as a plain value."""
    if not isinstance(v, dict) or not v:
        return None
    if depth > MAX_ANY_DEPTH:
        return "…"
    key, val = next(iter(v.items()))
    if key == "intValue":
        try:
            return int(val) if isinstance(val, int | str) and len(str(val)) <= 20 else val
        except ValueError:
            return val
    if key == "arrayValue":
        values = val.get("values") if isinstance(val, dict) else None
        return [_any_value(x, depth + 1) for x in values] if isinstance(values, list) else []
    if key == "kvlistValue":
        values = val.get("values") if isinstance(val, dict) else None
        if not isinstance(values, list):
            return {}
        return {str(kv.get("key")): _any_value(kv.get("value"), depth + 1) for kv in values if isinstance(kv, dict)}
    if isinstance(val, dict | list):
        return _excerpt(val)
    return _cap(val) if isinstance(val, str) else val


def _attrs(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {_cap(str(kv.get("key"))): _any_value(kv.get("value")) for kv in items if isinstance(kv, dict)}


def from_v3(doc: Any) -> list[Trace]:
    """Traces from an API v3 answer: {"result": {"resourceSpans": [...]}}; TraceFormatError for anything else."""
    if not isinstance(doc, dict):
        raise TraceFormatError("the v3 answer is not a JSON object", doc, envelope=True)
    result = doc.get("result", doc)
    if not isinstance(result, dict):
        raise TraceFormatError("the v3 answer has no 'result' object", result, envelope=True)
    by_trace: dict[str, list[Span]] = {}
    for rs_item in _list(result.get("resourceSpans"), "resourceSpans"):
        rs = _obj(rs_item, "a resourceSpans item")
        resource = _attrs(_obj(rs.get("resource"), "resource").get("attributes"))
        raw_service = resource.get("service.name")
        service = _excerpt(raw_service) if isinstance(raw_service, dict | list) else _text(raw_service, "service.name")
        for ss in _list(rs.get("scopeSpans"), "scopeSpans"):
            for sp_item in _list(_obj(ss, "a scopeSpans item").get("spans"), "spans"):
                sp = _obj(sp_item, "a span")
                start = _uint(sp.get("startTimeUnixNano"), "startTimeUnixNano")
                end = _uint(sp.get("endTimeUnixNano"), "endTimeUnixNano")
                status = _obj(sp.get("status"), "a span's status")
                code = status.get("code", 0)
                code = {"STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(code, code) if isinstance(code, str) else code
                kind = sp.get("kind", 0)
                if isinstance(kind, bool) or not isinstance(kind, int | str):
                    raise TraceFormatError("a span's kind is not a number or a name", kind)
                fallback = str(kind).removeprefix("SPAN_KIND_").lower()[:40]
                kind_name = SPAN_KINDS.get(kind, fallback) if isinstance(kind, int) else fallback
                kind_name = kind_name if kind else "unspecified"
                span = Span(
                    span_id=_id(sp.get("spanId"), 16, "spanId"),
                    parent_span_id=_id(sp.get("parentSpanId"), 16, "parentSpanId") or None,
                    service=service,
                    name=_text(sp.get("name", ""), "a span's name"),
                    kind=kind_name,
                    start_unix_nano=start,
                    duration_ns=max(0, end - start),
                    status={1: "ok", 2: "error"}.get(code, "unset") if isinstance(code, int) else "unset",
                    status_message=_text(status.get("message", ""), "a status message"),
                    attributes=_attrs(sp.get("attributes")),
                    resource=resource,
                    events=len(_list(sp.get("events"), "events")),
                )
                by_trace.setdefault(_id(sp.get("traceId"), 32, "traceId"), []).append(span)
    return [Trace(tid, spans) for tid, spans in by_trace.items()]


def _tags(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    out: dict[str, Any] = {}
    for t in items:
        if isinstance(t, dict):
            value = t.get("value")
            value = _excerpt(value) if isinstance(value, dict | list) else value
            out[_cap(str(t.get("key")))] = _cap(value) if isinstance(value, str) else value
    return out


def _legacy_trace(tr: Any) -> Trace:
    if not isinstance(tr, dict) or not isinstance(tr.get("spans"), list):
        raise TraceFormatError("a legacy trace has no 'spans' list", tr)
    processes = tr.get("processes")
    processes = {} if processes is None else processes
    if not isinstance(processes, dict):
        raise TraceFormatError("a legacy trace's 'processes' is not an object", processes)
    spans: list[Span] = []
    for sp_item in tr["spans"]:
        sp = _obj(sp_item, "a span")
        pid = sp.get("processID")
        proc = _obj(processes.get(pid) if isinstance(pid, str) else None, "a span's process")
        tags = _tags(sp.get("tags"))
        refs = [_obj(r, "a span reference") for r in _list(sp.get("references"), "references")]
        parent = None
        for ref in refs:
            if ref.get("refType") == "CHILD_OF":
                parent = _id(ref.get("spanID"), 16, "a reference's spanID")
                break
        else:
            parent = _id(refs[0].get("spanID"), 16, "a reference's spanID") if refs else None
        status_code = str(tags.pop("otel.status_code", "")).lower()
        is_error = tags.get("error") in (True, "true") or status_code == "error"
        status = "error" if is_error else "ok" if status_code == "ok" else "unset"
        kind = str(tags.pop("span.kind", "")) or "unspecified"
        service = _text(proc.get("serviceName", ""), "a process's serviceName")
        spans.append(
            Span(
                span_id=_id(sp.get("spanID"), 16, "spanID"),
                parent_span_id=parent or None,
                service=service,
                name=_text(sp.get("operationName", ""), "an operationName"),
                kind=_KIND_NAMES.get(kind, kind),
                start_unix_nano=_uint(sp.get("startTime", 0), "startTime", scale=1000),
                duration_ns=_uint(sp.get("duration", 0), "duration", scale=1000),
                status=status,
                status_message=_cap(str(tags.pop("otel.status_description", ""))),
                attributes=tags,
                resource=_tags(proc.get("tags")) | {"service.name": service},
                events=len(_list(sp.get("logs"), "logs")),
            )
        )
    return Trace(_id(tr.get("traceID"), 32, "traceID"), spans)


def from_legacy(doc: Any) -> list[Trace]:
    """Traces from a legacy answer: {"data": [Trace, ...]}; TraceFormatError for anything else."""
    if not isinstance(doc, dict) or "data" not in doc:
        raise TraceFormatError("the legacy answer has no 'data'", doc, envelope=True)
    data = doc["data"] or []
    if not isinstance(data, list):
        raise TraceFormatError("the legacy answer's 'data' is not a list", data, envelope=True)
    return [_legacy_trace(tr) for tr in data]
