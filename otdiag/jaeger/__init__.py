"""Jaeger (Collector -> Jaeger): its query API, the trace model, what is wrong with a trace, and
waiting for a trace to show up."""
