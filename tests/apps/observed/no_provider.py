"""Fault: spans are started, but no SDK TracerProvider is ever set (the API's no-op tracer makes them)."""

from opentelemetry import trace

tracer = trace.get_tracer(__name__)

with tracer.start_as_current_span("handle request"):
    print("handled")
