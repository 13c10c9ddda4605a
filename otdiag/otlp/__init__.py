"""OTLP/trace clients: send an export request and report exactly what the receiver said."""
