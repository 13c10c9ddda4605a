"""Fault: provider.shutdown() is called before the work is done; later spans are dropped."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer(__name__)


def main() -> None:
    provider.shutdown()  # "clean up" too early
    with tracer.start_as_current_span("process upload"):
        pass


main()
