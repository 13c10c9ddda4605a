"""Fault: the exporter left over from the unit tests, InMemorySpanExporter, is the only one."""

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(memory))
trace.set_tracer_provider(provider)

with trace.get_tracer(__name__).start_as_current_span("resize image"):
    pass
print(len(memory.get_finished_spans()), "span(s) kept in memory")
