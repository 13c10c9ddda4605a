"""Fault: the code passes max_queue_size=16, which overrides OTEL_BSP_MAX_QUEUE_SIZE; a burst overflows it."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(), max_queue_size=16, max_export_batch_size=8, schedule_delay_millis=5000)
)
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("burst")
for i in range(200):
    with tracer.start_as_current_span(f"item-{i % 5}"):
        pass
provider.shutdown()
