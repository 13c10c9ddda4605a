"""A small app instrumented with the OpenTelemetry SDK, broken on request (tests/test_run.py runs it).

traced.py [good|no-provider|os-exit|auto|http|bare-resource|zero-ids|set-twice] [spans]
"""

from __future__ import annotations

import os
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

mode = sys.argv[1] if len(sys.argv) > 1 else "good"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def exporter() -> BatchSpanProcessor:
    if mode == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http

        return BatchSpanProcessor(Http())
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc

    return BatchSpanProcessor(Grpc())


def work(tracer: trace.Tracer) -> None:
    with tracer.start_as_current_span("GET /orders", kind=trace.SpanKind.SERVER) as root:
        root.set_attribute("http.route", "/orders")
        for i in range(count - 1):
            with tracer.start_as_current_span(f"SELECT orders {i}", kind=trace.SpanKind.CLIENT):
                pass


if mode == "no-provider":
    # The tracer comes from the global no-op provider: NonRecordingSpan, nothing exported.
    work(trace.get_tracer("app"))
    sys.exit(0)

if mode == "auto":
    # What opentelemetry-instrument does: the SDK configurator reads OTEL_TRACES_EXPORTER & co.
    from opentelemetry.sdk._configuration import _OTelSDKConfigurator

    _OTelSDKConfigurator().configure()  # type: ignore[no-untyped-call]
    work(trace.get_tracer("app"))
    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()
    sys.exit(0)

resource = Resource({"app.kind": "bare"}) if mode == "bare-resource" else Resource.create()
provider = TracerProvider(resource=resource)
provider.add_span_processor(exporter())
trace.set_tracer_provider(provider)
if mode == "set-twice":
    trace.set_tracer_provider(TracerProvider())
work(trace.get_tracer("app"))
if mode == "os-exit":
    os._exit(0)  # skips atexit: the BatchSpanProcessor never flushes
provider.shutdown()
