"""Fault: the app imports an exporter whose package is not installed (opentelemetry-exporter-zipkin)."""

from opentelemetry import trace
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(ZipkinExporter()))
trace.set_tracer_provider(provider)
