"""Like api_only.py, but the app imports requests itself, after the exporter already did (cached)."""

from opentelemetry import trace

tracer = trace.get_tracer("late-requests")
with tracer.start_as_current_span("before-requests"):
    import requests  # noqa: F401 - the app's own use of the library, found in sys.modules already
