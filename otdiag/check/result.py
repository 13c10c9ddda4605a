"""What `otdiag check` found: a typed result the renderers read, and its JSON (cli-contract.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from otdiag.model import Result, Step

if TYPE_CHECKING:
    from otdiag.check.receiver import JaegerReceiver
    from otdiag.check.tiers import ChainReport
    from otdiag.collector.fleet import FleetReport


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult(Result):
    """Every probe's step in the order they ran, the test span's fate, and the chain or fleet when asked."""

    COMMAND: ClassVar[str] = "check"
    steps: tuple[Step, ...] = ()
    trace_id: str | None = None
    """The test span's trace, once it was sent."""
    time_to_visible_ms: float | None = None
    """From sending the test span to seeing it in Jaeger; None when it was not seen."""
    chain: ChainReport | None = None
    """With --config per tier: every tier's and hop's part."""
    fleet_asked: bool = False
    """--prometheus-url was given: the report has a `fleet` field (null when Prometheus did not answer)."""
    fleet: FleetReport | None = None
    otlp_receiver: JaegerReceiver | None = None
    """The app's OTLP endpoint is Jaeger's own receiver (no collector in the path); None: a collector, or not
    known."""

    def fields_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "steps": [s.to_json() for s in self.steps],
            "trace_id": self.trace_id,
            "time_to_visible_ms": self.time_to_visible_ms,
        }
        if self.chain is not None:
            doc["chain"] = self.chain.to_json()
        if self.fleet_asked:
            doc["fleet"] = self.fleet.to_json() if self.fleet is not None else None
        if self.otlp_receiver is not None:
            doc["otlp_receiver"] = self.otlp_receiver.to_json()
        return doc
