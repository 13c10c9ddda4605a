"""Healthy: a BatchSpanProcessor with the OTLP/gRPC exporter, nested spans, shutdown at the end."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer(__name__)

with tracer.start_as_current_span("POST /checkout"):
    for item in ("book", "pen"):
        with tracer.start_as_current_span(f"reserve {item}"):
            pass
print("order placed")
provider.shutdown()
