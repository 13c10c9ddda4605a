"""Fault: the sampler is hard-coded to ALWAYS_OFF, so no span is recorded."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

provider = TracerProvider(sampler=ALWAYS_OFF)
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

tracer = trace.get_tracer(__name__)
for n in range(5):
    with tracer.start_as_current_span(f"job {n}"):
        pass
provider.shutdown()
