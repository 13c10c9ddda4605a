"""Broken: an OTLP/HTTP exporter hard-coded to the gRPC port (4317), as a copied snippet often does."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "payments"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="http://localhost:4317/v1/traces")))
trace.set_tracer_provider(provider)

tracer = trace.get_tracer("payments")
with tracer.start_as_current_span("authorize"):
    pass
provider.shutdown()
