"""Build test spans with the real OpenTelemetry SDK and encode them as OTLP.

Spans are made by the SDK's own TracerProvider and encoded by the OTLP
exporter's own encoder, so the request is byte for byte what an instrumented
Python app sends; only the transport is otdiag's (to report exactly what the
receiver answers). OTLP/JSON follows the OTLP spec, not protobuf's default
JSON mapping: hex trace/span IDs, integer enums, lowerCamelCase names.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind

import otdiag


@dataclass(frozen=True)
class SpanSpec:
    service_name: str = "otdiag"
    span_name: str = "otdiag-test-span"
    attributes: Mapping[str, str] = field(default_factory=dict)
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    with_child: bool = False


@dataclass(frozen=True)
class BuiltSpans:
    spans: Sequence[ReadableSpan]
    trace_id: str
    span_id: str
    """The root span's ID."""


class _Collect(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def build(spec: SpanSpec) -> BuiltSpans:
    """One span (or a parent with one child) with fresh random IDs, ended and ready to encode."""
    attrs: dict[str, str] = {
        "telemetry.sdk.language": "python",
        "telemetry.sdk.name": "opentelemetry",
        **dict(spec.resource_attributes),
        "service.name": spec.service_name,
    }
    collect = _Collect()
    provider = TracerProvider(resource=Resource(attrs), sampler=ALWAYS_ON)
    provider.add_span_processor(SimpleSpanProcessor(collect))
    tracer = provider.get_tracer("otdiag", otdiag.__version__)
    with tracer.start_as_current_span(
        spec.span_name, kind=SpanKind.CLIENT, attributes=dict(spec.attributes)
    ) as root:
        root.set_attribute("otdiag.test", True)
        if spec.with_child:
            with tracer.start_as_current_span(f"{spec.span_name}-child", kind=SpanKind.INTERNAL):
                pass
    provider.shutdown()
    ctx = root.get_span_context()
    return BuiltSpans(collect.spans, format(ctx.trace_id, "032x"), format(ctx.span_id, "016x"))


def request(spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
    return encode_spans(spans)


def to_protobuf(req: ExportTraceServiceRequest) -> bytes:
    return req.SerializeToString()


_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})


def _hex_ids(node: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants trace/span IDs in hex."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ID_FIELDS and isinstance(value, str):
                out[key] = base64.b64decode(value).hex()
            else:
                out[key] = _hex_ids(value)
        return out
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def to_json(req: ExportTraceServiceRequest) -> bytes:
    doc = MessageToDict(req, preserving_proto_field_name=False, use_integers_for_enums=True)
    return json.dumps(_hex_ids(doc), separators=(",", ":")).encode()
