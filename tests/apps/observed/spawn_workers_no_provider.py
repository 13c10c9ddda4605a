"""Fault: the provider is set only under `if __name__ == "__main__":`; spawned pool workers never run that
block, so the six task spans are no-ops (the pool's terminate() then kills the workers)."""

import multiprocessing as mp

from opentelemetry import trace


def work(i: int) -> int:
    with trace.get_tracer("worker").start_as_current_span(f"task-{i}"):
        return i * i


if __name__ == "__main__":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    with trace.get_tracer("main").start_as_current_span("fan-out"):
        with mp.get_context("spawn").Pool(3) as pool:
            print(sum(pool.map(work, range(6))))
    provider.shutdown()
