"""Fault: the SDK is set up correctly, but the code never starts a span."""

import logging

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(provider)


def work() -> int:
    logging.info("working")  # meant to be traced, but no span is ever started
    return 42


work()
provider.shutdown()
