"""Fault (needs the last SDK the Jaeger exporter ran on, 1.21.0): the seed example without its bad argument.

It builds and runs; the exporter sends Thrift to Jaeger v1's collector port 14268, which nothing answers.
"""

from opentelemetry import trace
from opentelemetry.exporter.jaeger.thrift import JaegerExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

jaeger_exporter = JaegerExporter(collector_endpoint="http://127.0.0.1:14268/api/traces", timeout=1)
tracer_provider = TracerProvider(resource=Resource.create({"service.name": "my-application"}))
tracer_provider.add_span_processor(BatchSpanProcessor(jaeger_exporter))
trace.set_tracer_provider(tracer_provider)

with trace.get_tracer(__name__).start_as_current_span("my-operation"):
    pass
