"""Hand-built OTLP spans with chosen IDs and times, for traces the SDK would never make (skew, orphans)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from otdiag.otlp import http_export


def new_id(n: int) -> str:
    return os.urandom(n).hex()


@dataclass
class S:
    trace_id: str
    span_id: str
    name: str
    service: str
    start_ns: int
    end_ns: int
    parent: str | None = None
    error: str | None = None
    attrs: dict[str, str] | None = None


def request(spans: list[S]) -> bytes:
    by_service: dict[str, list[Span]] = {}
    for s in spans:
        span = Span(
            trace_id=bytes.fromhex(s.trace_id), span_id=bytes.fromhex(s.span_id), name=s.name,
            kind=Span.SPAN_KIND_SERVER, start_time_unix_nano=s.start_ns, end_time_unix_nano=s.end_ns,
            parent_span_id=bytes.fromhex(s.parent) if s.parent else b"",
            attributes=[KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in (s.attrs or {}).items()],
        )  # fmt: skip
        if s.error is not None:
            span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=s.error))
        by_service.setdefault(s.service, []).append(span)
    req = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=svc))]),
                scope_spans=[ScopeSpans(spans=items)],
            )
            for svc, items in by_service.items()
        ]
    )
    return req.SerializeToString()


def send(http_endpoint: str, spans: list[S]) -> None:
    """POST the spans to an OTLP/HTTP receiver (host:port) and insist they were accepted."""
    res = http_export.export(
        f"http://{http_endpoint}/v1/traces", request(spans), content_type=http_export.PROTOBUF, headers={}, timeout=5
    )
    assert res.ok and res.rejected_spans == 0, res
