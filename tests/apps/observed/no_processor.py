"""Fault: a TracerProvider is set, but no span processor (and so no exporter) is ever added."""

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

trace.set_tracer_provider(TracerProvider(resource=Resource.create({"service.name": "search"})))
tracer = trace.get_tracer(__name__)

with tracer.start_as_current_span("search"):
    with tracer.start_as_current_span("query index"):
        pass
