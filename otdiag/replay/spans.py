"""The spans to replay, from wherever the user has them, as OTLP ExportTraceServiceRequests.

Sources: OTLP JSON files (one ExportTraceServiceRequest, the collector file exporter's JSON lines,
or a Jaeger API v3 answer `{"result": {"resourceSpans": ...}}`), spans described on the command line
(`service=checkout name="GET /cart" status=error http.route=/cart`), and a trace fetched from Jaeger.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

from otdiag import bounded, durations, redact
from otdiag.errors import UsageError

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_SPANS = 10_000
"""Spans one replay takes; more is refused (the report lists every span)."""

_KINDS = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
_STATUS = {"unset": 0, "ok": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class SpanKey:
    """A span's identity across the pipeline: its trace and span IDs (hex)."""

    trace_id: str
    span_id: str


@dataclass(frozen=True, slots=True)
class Loaded:
    """The spans to replay, and the outcome expected of some of them."""

    requests: tuple[ExportTraceServiceRequest, ...]
    expect: dict[SpanKey, str]
    """'kept' or 'dropped', per span, from `expect=` in a --span or from --expect."""
    labels: dict[SpanKey, str]
    """A short name per span for the report (`id=` in a --span, else its name)."""

    @property
    def count(self) -> int:
        return sum(1 for _ in iter_spans(self.requests))


def iter_spans(requests: Sequence[ExportTraceServiceRequest]) -> Iterator[tuple[ResourceSpans, Span]]:
    for req in requests:
        for rs in req.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    yield rs, span


def key_of(span: Span) -> SpanKey:
    return SpanKey(span.trace_id.hex(), span.span_id.hex())


# --- files -------------------------------------------------------------------------------------


def from_file(path: str) -> list[ExportTraceServiceRequest]:
    """An OTLP JSON file: one request, JSON lines (file exporter), or a Jaeger v3 answer; '-' is stdin."""
    from otdiag.listen.otlp_decode import PayloadError, decode_json

    data = bounded.read(path, what="spans file", max_bytes=MAX_FILE_BYTES)
    shown = redact.printable(path[:200])
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        raise UsageError(f"{shown}: the file holds no spans")
    docs: list[bytes] = []
    if text.startswith("{") and _one_document(text):
        docs = [text.encode()]
    else:
        docs = [line.encode() for line in text.splitlines() if line.strip()]
    out: list[ExportTraceServiceRequest] = []
    for n, doc in enumerate(docs, 1):
        body = _unwrap(doc)
        try:
            out.append(decode_json(body))
        except PayloadError as exc:
            where = f" line {n}" if len(docs) > 1 else ""
            raise UsageError(f"{shown}{where}: not OTLP JSON traces ({redact.printable(str(exc)[:200])})") from None
    return out


def _one_document(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _unwrap(doc: bytes) -> bytes:
    """A Jaeger API v3 answer wraps the request in `result`."""
    try:
        parsed = json.loads(doc)
    except (ValueError, RecursionError):
        return doc
    if isinstance(parsed, dict) and isinstance(parsed.get("result"), dict) and "resourceSpans" in parsed["result"]:
        return json.dumps(parsed["result"]).encode()
    return doc


# --- --span descriptions -----------------------------------------------------------------------


def from_specs(specs: Sequence[str]) -> tuple[ExportTraceServiceRequest, dict[SpanKey, str], dict[SpanKey, str]]:
    """`--span 'service=checkout name="GET /cart" status=error http.route=/cart'`, one span each.

    Keys: service, name, status (ok|error|unset), message (status message), kind (server, client, ...),
    duration (120ms), trace (spans with the same label share a trace), parent (the id= of another span),
    expect (kept|dropped), id (a label); `resource.KEY` sets a resource attribute; any other KEY a span
    attribute (numbers and true/false are typed).
    """
    req = ExportTraceServiceRequest()
    expect: dict[SpanKey, str] = {}
    labels: dict[SpanKey, str] = {}
    traces: dict[str, bytes] = {}
    ids: dict[str, bytes] = {}
    now = time.time_ns()
    by_service: dict[str, ResourceSpans] = {}
    for n, spec in enumerate(specs, 1):
        fields = _fields(spec, n)
        service = fields.pop("service", "replay")
        rs = by_service.get(service)
        if rs is None:
            rs = req.resource_spans.add()
            rs.resource.attributes.append(_kv("service.name", service))
            by_service[service] = rs
            rs.scope_spans.add().scope.name = "otdiag.replay"
        span = rs.scope_spans[0].spans.add()
        label, expected = _fill(span, fields, n, now, traces, ids)
        for name in [k for k in fields if k.startswith(("resource.", "res."))]:
            rs.resource.attributes.append(_kv(name.split(".", 1)[1], fields.pop(name)))
        for name, value in fields.items():
            span.attributes.append(_kv(name, value))
        key = key_of(span)
        labels[key] = label or span.name or f"span {n}"
        if expected:
            expect[key] = expected
    return req, expect, labels


def _fields(spec: str, n: int) -> dict[str, str]:
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise UsageError(f"--span #{n}: {exc}") from None
    out: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name:
            raise UsageError(f"--span #{n}: {redact.printable(word[:80])!s} must be written KEY=VALUE")
        out[name] = value
    return out


def _fill(
    span: Span, fields: dict[str, str], n: int, now: int, traces: dict[str, bytes], ids: dict[str, bytes]
) -> tuple[str, str]:
    """Set the span from its reserved keys (popped from `fields`); returns its label and expected outcome."""
    span.name = fields.pop("name", f"replay-span-{n}")
    kind = fields.pop("kind", "internal").lower()
    if kind not in _KINDS:
        raise UsageError(f"--span #{n}: kind={kind!r} is not one of {', '.join(_KINDS)}")
    span.kind = _KINDS[kind]  # type: ignore[assignment]
    status = fields.pop("status", "unset").lower()
    if status not in _STATUS:
        raise UsageError(f"--span #{n}: status={status!r} is not one of ok, error, unset")
    span.status.code = _STATUS[status]  # type: ignore[assignment]
    span.status.message = fields.pop("message", "")
    duration = fields.pop("duration", "10ms")
    try:
        seconds = durations.parse(duration, "duration")
    except UsageError:
        raise UsageError(f"--span #{n}: duration={duration!r} is not a duration (120ms, 2s)") from None
    span.end_time_unix_nano = now
    span.start_time_unix_nano = now - int(seconds * 1e9)
    trace = fields.pop("trace", f"#{n}")
    span.trace_id = traces.setdefault(trace, os.urandom(16))
    span.span_id = os.urandom(8)
    label = fields.pop("id", "")
    if label:
        ids[label] = span.span_id
    parent = fields.pop("parent", "")
    if parent:
        if parent not in ids:
            raise UsageError(f"--span #{n}: parent={parent!r} names no earlier span's id=")
        span.parent_span_id = ids[parent]
    expect = fields.pop("expect", "")
    if expect and expect not in ("kept", "dropped"):
        raise UsageError(f"--span #{n}: expect={expect!r} must be kept or dropped")
    return label, expect


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=_typed(value))


def _typed(value: str) -> AnyValue:
    if value in ("true", "false"):
        return AnyValue(bool_value=value == "true")
    try:
        return AnyValue(int_value=int(value))
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return AnyValue(string_value=value)
    return AnyValue(double_value=number) if math.isfinite(number) else AnyValue(string_value=value)


def attributes_of(items: Sequence[KeyValue]) -> dict[str, Any]:
    """Attributes as plain values (for diffs and the JSON report)."""
    return {kv.key: plain(kv.value) for kv in items}


def plain(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [plain(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which)
