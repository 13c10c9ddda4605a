"""The collector (SDK -> Collector): what an export attempt says about it, its health, its internal
metrics, the targets its config names, and a fleet of collectors seen through Prometheus."""
