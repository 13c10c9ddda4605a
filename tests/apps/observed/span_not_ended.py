"""Fault: spans are started with start_span() and never ended, so they are never exported."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer(__name__)


def handle(order_id: int) -> None:
    span = tracer.start_span("handle order")
    span.set_attribute("order.id", order_id)
    # forgot span.end()


for order in range(3):
    handle(order)
provider.shutdown()
