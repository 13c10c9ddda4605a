"""Where one OTLP export went: what a finding about it names (otdiag.collector.attempt_findings)."""

from __future__ import annotations

from dataclasses import dataclass

from otdiag.model import Protocol


@dataclass(frozen=True)
class Attempt:
    """Where an export went: enough to word a finding about it."""

    protocol: Protocol
    target: str
    """URL (HTTP) or host:port (gRPC), redacted."""
    host: str
    port: int
    secure: bool
    path: str = ""
    scheme: str | None = None
    """gRPC: the endpoint's scheme as written ("https", "http", or "" for none); None: not known."""
