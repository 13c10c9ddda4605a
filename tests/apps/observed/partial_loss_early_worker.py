"""Fault: a worker starts a span before the provider is set (a no-op span); the main job's span is exported."""

import threading

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

tracer = trace.get_tracer("jobs")


def warm_cache() -> None:
    with tracer.start_as_current_span("warm cache"):
        pass


worker = threading.Thread(target=warm_cache)
worker.start()
worker.join()

provider = TracerProvider(resource=Resource.create({"service.name": "jobs"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)

with tracer.start_as_current_span("nightly job"):
    pass
provider.shutdown()
