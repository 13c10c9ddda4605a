"""What a receiver answered to one OTLP export request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportResult:
    """The receiver's answer. Connection-level failures raise `TransportError` instead."""

    ok: bool
    """The request was accepted (HTTP 200 / gRPC OK), possibly with rejected spans."""
    status: str
    """`200`, `415`, `OK`, `UNAUTHENTICATED`, … as the receiver sent it."""
    message: str = ""
    """The receiver's own words (error message or partial-success message), scrubbed."""
    rejected_spans: int = 0
    elapsed_ms: float = 0.0
    http_status: int | None = None
    grpc_code: str | None = None
    retry_after: str | None = None
    content_type: str | None = None
    malformed: str | None = None
    """Set when the receiver said OK but its body is no ExportTraceServiceResponse: what is wrong with it.
    Such an answer is not acceptance (`ok` is False)."""
