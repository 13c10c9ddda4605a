"""Fault: a BatchSpanProcessor with a tiny queue and a long delay drops spans under a burst."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create({"service.name": "ingest"}))
provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(), max_queue_size=4, max_export_batch_size=4, schedule_delay_millis=60_000)
)
trace.set_tracer_provider(provider)
tracer = trace.get_tracer(__name__)
for n in range(50):
    with tracer.start_as_current_span(f"event {n}"):
        pass
provider.shutdown()
