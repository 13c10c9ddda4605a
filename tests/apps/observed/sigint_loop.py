"""Exports one trace per tick until stopped; prints how SIGINT is handled in it first."""

import signal
import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ignored = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
print("SIGINT ignored" if ignored else "SIGINT default", file=sys.stderr, flush=True)
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=200))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("loop")
while True:
    with tracer.start_as_current_span("tick"), tracer.start_as_current_span("tick-child"):
        time.sleep(0.05)
