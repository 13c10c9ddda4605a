"""Fault: the incoming traceparent says 'not sampled' (-00), and the default ParentBased sampler obeys it."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer(__name__)

incoming = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}
ctx = TraceContextTextMapPropagator().extract(incoming)
with tracer.start_as_current_span("GET /api/items", context=ctx, kind=trace.SpanKind.SERVER):
    with tracer.start_as_current_span("load items"):
        pass
provider.shutdown()
