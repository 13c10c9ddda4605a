"""Build test spans with the real OpenTelemetry SDK and encode them as OTLP.

Spans are made by the SDK's own TracerProvider and encoded by the OTLP
exporter's own encoder, so the request is byte for byte what an instrumented
Python app sends; only the transport is otdiag's (to report exactly what the
receiver answers). OTLP/JSON follows the OTLP spec, not protobuf's default
JSON mapping: hex trace/span IDs, integer enums, lowerCamelCase names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind

import otdiag
from otdiag.otlp import otlp_json


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
    provider = TracerProvider(resource=Resource(attrs), sampler=ALWAYS_ON, shutdown_on_exit=False)
    # The test span is otdiag's probe, not the app: the app's OTEL_SDK_DISABLED=true (read by the SDK from the
    # environment) must not turn it into a no-op that "sends" 0 spans. send-test-span warns about it instead.
    provider._disabled = False  # the SDK has no argument for it
    provider.add_span_processor(SimpleSpanProcessor(collect))
    tracer = provider.get_tracer("otdiag", otdiag.__version__)
    with tracer.start_as_current_span(spec.span_name, kind=SpanKind.CLIENT, attributes=dict(spec.attributes)) as root:
        root.set_attribute("otdiag.test", True)
        if spec.with_child:
            with tracer.start_as_current_span(f"{spec.span_name}-child", kind=SpanKind.INTERNAL):
                pass
    provider.shutdown()
    if not collect.spans:
        raise RuntimeError("the SDK recorded no test span")  # never 0 spans sent and "accepted"
    ctx = root.get_span_context()
    return BuiltSpans(collect.spans, format(ctx.trace_id, "032x"), format(ctx.span_id, "016x"))


def request(spans: Sequence[ReadableSpan]) -> ExportTraceServiceRequest:
    return encode_spans(spans)


def to_json(req: ExportTraceServiceRequest) -> bytes:
    return otlp_json.dumps(req)
