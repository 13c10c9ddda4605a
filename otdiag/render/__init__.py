"""Views of reports: human (the only place that imports rich) and JSON."""
