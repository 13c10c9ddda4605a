"""Fault: a daemon thread is still inside a span (opened with `with`) when the main thread returns."""

import threading
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("daemon")
third = threading.Event()


def poller() -> None:
    for i in range(3):
        with tracer.start_as_current_span(f"poll-{i}"):
            if i == 2:
                third.set()
                time.sleep(30)


threading.Thread(target=poller, name="poller", daemon=True).start()
third.wait(10)
with tracer.start_as_current_span("main-work"):
    pass
