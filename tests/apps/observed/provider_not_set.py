"""Fault: a TracerProvider with an exporter is built but never passed to trace.set_tracer_provider()."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))

tracer = trace.get_tracer("billing")
with tracer.start_as_current_span("charge card"):
    pass
provider.shutdown()
