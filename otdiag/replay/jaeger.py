"""A trace fetched from Jaeger, turned back into the OTLP request an app would have sent."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans

from otdiag.jaeger.trace import Trace

_KINDS = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
_STATUS = {"unset": 0, "ok": 1, "error": 2}


def to_request(trace: Trace) -> ExportTraceServiceRequest:
    """One ResourceSpans per service (with the resource Jaeger kept), the spans with their attributes."""
    req = ExportTraceServiceRequest()
    by_service: dict[str, ResourceSpans] = {}
    for sp in trace.spans:
        rs = by_service.get(sp.service)
        if rs is None:
            rs = req.resource_spans.add()
            resource = {"service.name": sp.service, **{k: v for k, v in sp.resource.items() if k != "service.name"}}
            rs.resource.attributes.extend(_kv(k, v) for k, v in resource.items())
            rs.scope_spans.add().scope.name = "otdiag.replay.jaeger"
            by_service[sp.service] = rs
        span = rs.scope_spans[0].spans.add()
        span.trace_id = bytes.fromhex(trace.trace_id.rjust(32, "0"))
        span.span_id = bytes.fromhex(sp.span_id.rjust(16, "0"))
        if sp.parent_span_id:
            span.parent_span_id = bytes.fromhex(sp.parent_span_id.rjust(16, "0"))
        span.name = sp.name
        span.kind = _KINDS.get(sp.kind, 0)  # type: ignore[assignment]
        span.start_time_unix_nano = sp.start_unix_nano
        span.end_time_unix_nano = sp.end_unix_nano
        span.status.code = _STATUS.get(sp.status, 0)  # type: ignore[assignment]
        span.status.message = sp.status_message
        span.attributes.extend(_kv(k, v) for k, v in sp.attributes.items())
    return req


def _kv(key: str, value: Any) -> KeyValue:
    return KeyValue(key=str(key), value=_value(value))


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))
