"""What otdiag knows of collector components' behaviour, in one table for check, targets and validate-config."""

from __future__ import annotations

SINK_EXPORTERS: dict[str, str] = {
    "debug": "prints it to the collector's log",
    "logging": "prints it to the collector's log",
    "file": "writes it to a file",
    "nop": "discards it",
}
"""Exporter types that never deliver a span to a trace backend, and what they do with it instead."""

HOLDING_PROCESSORS: dict[str, tuple[str, float]] = {
    "batch": ("timeout", 0.2),
    "tail_sampling": ("decision_wait", 30.0),
    "groupbytrace": ("wait_duration", 1.0),
}
"""Processors that hold spans on purpose: the setting that says how long, and its default (seconds)."""
