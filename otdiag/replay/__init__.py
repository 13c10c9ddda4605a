"""`otdiag replay`: put real spans through the user's own collector, processor by processor.

`spans` loads the spans (OTLP JSON files and file-exporter lines, `--span` descriptions, a trace
from Jaeger); `rewrite` turns the user's config into a private one that sends nothing outside;
`capture` is the loopback receiver that sees what came out after each processor; `session` runs
one collector binary and `outcome` turns what was captured into per-span, per-processor results.
"""
