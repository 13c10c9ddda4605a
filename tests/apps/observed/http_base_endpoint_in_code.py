"""Fault: an OTLP/HTTP exporter built in code with the *base* endpoint: the constructor does not append /v1/traces."""

import os

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

exporter = OTLPSpanExporter(endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"], timeout=2)
provider = TracerProvider(resource=Resource.create({"service.name": "billing"}))
provider.add_span_processor(BatchSpanProcessor(exporter))
trace.set_tracer_provider(provider)

with trace.get_tracer(__name__).start_as_current_span("charge card"):
    pass
provider.shutdown()
