"""Send spans the way an instrumented application does: the real OpenTelemetry Python SDK."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter


def send_span(
    endpoint: str,
    *,
    protocol: str = "grpc",
    service: str = "otdiag-e2e",
    name: str = "e2e-span",
    children: int = 0,
) -> str:
    """Export one span (plus `children` child spans) to host:port; return its trace ID in hex.

    The provider is private to the call (never the global one) and shut down
    before returning, so the export has completed or failed by then.
    """
    exporter: SpanExporter
    if protocol == "grpc":
        exporter = GrpcExporter(endpoint=f"http://{endpoint}", insecure=True, timeout=5)
    else:
        exporter = HttpExporter(endpoint=f"http://{endpoint}/v1/traces", timeout=5)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("otdiag.tests")
    with tracer.start_as_current_span(name) as span:
        trace_id = span.get_span_context().trace_id
        for i in range(children):
            with tracer.start_as_current_span(f"{name}-child-{i}"):
                pass
    provider.shutdown()
    return format(trace_id, "032x")
