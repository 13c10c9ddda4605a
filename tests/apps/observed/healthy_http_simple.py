"""Healthy: a SimpleSpanProcessor with the OTLP/HTTP exporter; no explicit shutdown (the SDK's atexit flushes)."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

trace.set_tracer_provider(TracerProvider(resource=Resource({SERVICE_NAME: "inventory"})))
trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=open("/dev/null", "w"))))

tracer = trace.get_tracer("inventory")


@tracer.start_as_current_span("count stock")
def count() -> int:
    span = trace.get_current_span()
    span.set_attribute("items", 3)
    return 3


print(count())
