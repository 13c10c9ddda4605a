"""otdiag listen: a local OTLP receiver with a Jaeger-compatible query API, and what it saw."""
