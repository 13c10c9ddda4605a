"""Fault: a gRPC exporter given a scheme-less endpoint in code speaks TLS to a plaintext port."""

import os
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

target = urlsplit(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]).netloc
exporter = OTLPSpanExporter(endpoint=target, insecure=False, timeout=2)
provider = TracerProvider(resource=Resource.create({"service.name": "ledger"}))
provider.add_span_processor(BatchSpanProcessor(exporter))
trace.set_tracer_provider(provider)

with trace.get_tracer(__name__).start_as_current_span("post entry"):
    pass
provider.shutdown()
