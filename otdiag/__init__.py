"""otdiag: a command-line doctor for OpenTelemetry SDK -> Collector -> Jaeger pipelines."""

__version__ = "0.1.0"
