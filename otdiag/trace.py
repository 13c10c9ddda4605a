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

_HEX = re.compile(r"^[0-9a-fA-F]{1,32}$")
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_KIND_NAMES = {v: v for v in KINDS.values()}


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
    """The server's JSON does not have the shape of a trace."""


def _any_value(v: Any) -> Any:
    """An OTLP/JSON AnyValue as a plain value."""
    if not isinstance(v, dict) or not v:
        return None
    key, val = next(iter(v.items()))
    if key == "intValue":
        try:
            return int(val)
        except (TypeError, ValueError):
            return val
    if key == "arrayValue":
        return [_any_value(x) for x in (val or {}).get("values", [])]
    if key == "kvlistValue":
        return {kv.get("key"): _any_value(kv.get("value")) for kv in (val or {}).get("values", [])}
    return val


def _attrs(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {str(kv.get("key")): _any_value(kv.get("value")) for kv in items if isinstance(kv, dict)}


def _hex(value: Any, width: int) -> str:
    s = str(value or "").lower()
    return s.rjust(width, "0") if s else ""


def from_v3(doc: Any) -> list[Trace]:
    """Traces from an API v3 answer: {"result": {"resourceSpans": [...]}}."""
    if not isinstance(doc, dict):
        raise TraceFormatError("the v3 answer is not a JSON object")
    result = doc.get("result", doc)
    if not isinstance(result, dict):
        raise TraceFormatError("the v3 answer has no 'result' object")
    by_trace: dict[str, list[Span]] = {}
    for rs in result.get("resourceSpans") or []:
        resource = _attrs((rs.get("resource") or {}).get("attributes"))
        service = str(resource.get("service.name") or "")
        for ss in rs.get("scopeSpans") or []:
            for sp in ss.get("spans") or []:
                try:
                    start = int(sp.get("startTimeUnixNano") or 0)
                    end = int(sp.get("endTimeUnixNano") or 0)
                except (TypeError, ValueError) as exc:
                    raise TraceFormatError(f"bad span time: {exc}") from None
                status = sp.get("status") or {}
                code = status.get("code", 0)
                code = {"STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}.get(code, code)
                kind = sp.get("kind", 0)
                kind_name = KINDS.get(kind, str(kind).removeprefix("SPAN_KIND_").lower()) if kind else "unspecified"
                span = Span(
                    span_id=_hex(sp.get("spanId"), 16),
                    parent_span_id=_hex(sp.get("parentSpanId"), 16) or None,
                    service=service,
                    name=str(sp.get("name", "")),
                    kind=kind_name,
                    start_unix_nano=start,
                    duration_ns=max(0, end - start),
                    status={1: "ok", 2: "error"}.get(code, "unset"),
                    status_message=str(status.get("message", "")),
                    attributes=_attrs(sp.get("attributes")),
                    resource=resource,
                    events=len(sp.get("events") or []),
                )
                by_trace.setdefault(_hex(sp.get("traceId"), 32), []).append(span)
    return [Trace(tid, spans) for tid, spans in by_trace.items()]


def _tags(items: Any) -> dict[str, Any]:
    if not isinstance(items, list):
        return {}
    return {str(t.get("key")): t.get("value") for t in items if isinstance(t, dict)}


def _legacy_trace(tr: Any) -> Trace:
    if not isinstance(tr, dict) or not isinstance(tr.get("spans"), list):
        raise TraceFormatError("a legacy trace has no 'spans' list")
    processes = tr.get("processes") or {}
    spans: list[Span] = []
    for sp in tr["spans"]:
        proc = processes.get(sp.get("processID"), {}) if isinstance(processes, dict) else {}
        tags = _tags(sp.get("tags"))
        parent = None
        for ref in sp.get("references") or []:
            if ref.get("refType") == "CHILD_OF":
                parent = _hex(ref.get("spanID"), 16)
                break
        else:
            refs = sp.get("references") or []
            parent = _hex(refs[0].get("spanID"), 16) if refs else None
        status_code = str(tags.pop("otel.status_code", "")).lower()
        is_error = tags.get("error") in (True, "true") or status_code == "error"
        status = "error" if is_error else "ok" if status_code == "ok" else "unset"
        kind = str(tags.pop("span.kind", "")) or "unspecified"
        try:
            start_us, dur_us = int(sp.get("startTime", 0)), int(sp.get("duration", 0))
        except (TypeError, ValueError) as exc:
            raise TraceFormatError(f"bad span time: {exc}") from None
        spans.append(
            Span(
                span_id=_hex(sp.get("spanID"), 16),
                parent_span_id=parent or None,
                service=str(proc.get("serviceName", "")),
                name=str(sp.get("operationName", "")),
                kind=_KIND_NAMES.get(kind, kind),
                start_unix_nano=start_us * 1000,
                duration_ns=dur_us * 1000,
                status=status,
                status_message=str(tags.pop("otel.status_description", "")),
                attributes=tags,
                resource=_tags(proc.get("tags")) | {"service.name": proc.get("serviceName", "")},
                events=len(sp.get("logs") or []),
            )
        )
    return Trace(_hex(tr.get("traceID"), 32), spans)


def from_legacy(doc: Any) -> list[Trace]:
    """Traces from a legacy answer: {"data": [Trace, ...]}."""
    if not isinstance(doc, dict) or "data" not in doc:
        raise TraceFormatError("the legacy answer has no 'data'")
    data = doc["data"] or []
    if not isinstance(data, list):
        raise TraceFormatError("the legacy answer's 'data' is not a list")
    return [_legacy_trace(tr) for tr in data]
