"""Healthy: the endpoint is hard-coded to the default localhost:4317, as many tutorials do."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "payments"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="localhost:4317", insecure=True)))
trace.set_tracer_provider(provider)

tracer = trace.get_tracer("payments")
with tracer.start_as_current_span("authorize"):
    with tracer.start_as_current_span("call bank"):
        pass
provider.shutdown()
