"""An app that calls out with `requests`, run under `opentelemetry-instrument` without
opentelemetry-instrumentation-requests installed: auto-instrumentation gives it no span at all."""

import requests

try:
    requests.get("http://127.0.0.1:9/", timeout=1)
except requests.RequestException as exc:
    print("request failed:", type(exc).__name__)
