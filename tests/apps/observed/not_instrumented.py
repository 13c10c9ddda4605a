"""Fault: a Python service with no OpenTelemetry at all."""

import json

orders = [{"id": 1, "total": 9.5}, {"id": 2, "total": 20.0}]
print(json.dumps({"orders": len(orders), "revenue": sum(o["total"] for o in orders)}))
