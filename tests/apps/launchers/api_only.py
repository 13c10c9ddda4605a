"""API-only app for opentelemetry-instrument: 3 spans, no HTTP client of its own (the OTLP HTTP exporter
imports requests and urllib3, the app does not)."""

from opentelemetry import trace

tracer = trace.get_tracer("api-only")
for i in range(3):
    with tracer.start_as_current_span(f"auto-{i}"):
        pass
