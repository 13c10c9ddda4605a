"""Both spans are exported (force_flush), then the app crashes: the app failed, its tracing did not."""

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("job")
with tracer.start_as_current_span("load"), tracer.start_as_current_span("parse"):
    pass
provider.force_flush()
config: dict[str, str] = {}
print(config["database_url"])
