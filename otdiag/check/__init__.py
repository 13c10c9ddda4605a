"""`otdiag check`: the doctor for App -> SDK -> Collector -> Jaeger.

- request: what check is asked (CheckOptions), built from the command line's options;
- result: what it found (CheckResult: steps, findings, the test span, the chain, the fleet);
- app: the App and SDK end (the endpoint and protocol the app exports with);
- probes: one bounded question per hop (export, health, metrics, Jaeger, zpages, exporters, fleet);
- e2e: the test span, sent and waited for, and where it was lost;
- loss: where a span went inside one collector, read from its metric deltas (pure);
- tiers: several collectors in a chain, and following the span through them;
- walk: the orchestration, `run`, that walks the hops in order.

Nothing is imported here: validate-config reads `loss`'s tables without the HTTP stack.
"""
