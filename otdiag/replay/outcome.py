"""What each processor did to each span: kept or dropped, and what it changed."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag import redact
from otdiag.replay.capture import Captured
from otdiag.replay.rewrite import PipelinePlan
from otdiag.replay.session import Ran
from otdiag.replay.spans import SpanKey, attributes_of, iter_spans, key_of

_STATUS = {0: "unset", 1: "ok", 2: "error"}
_SECRET_KEY = re.compile(
    r"pass(word|wd)?|pwd|secret|token|api[-_.]?key|apikey|auth|credential|private|session|cookie|signature",
    re.IGNORECASE,
)
MAX_SHOWN = 200
"""Characters of an attribute value shown in a change."""


@dataclass(frozen=True, slots=True)
class Change:
    """One thing a processor changed on a span."""

    what: str
    """'name', 'status', 'attribute' or 'resource'."""
    key: str | None
    before: Any
    after: Any
    """None (with `before` set): removed; None before: added."""

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "key": self.key, "before": self.before, "after": self.after}

    def text(self) -> str:
        where = self.what if self.key is None else f"{self.what} {self.key}"
        if self.before is None:
            return f"+ {where} = {_shown(self.after)}"
        if self.after is None:
            return f"- {where} (was {_shown(self.before)})"
        return f"~ {where}: {_shown(self.before)} → {_shown(self.after)}"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one processor did to one span."""

    processor: str
    kept: bool
    changes: tuple[Change, ...] = ()
    after_s: float | None = None
    """How long after the send the span came out of this processor."""

    def to_json(self) -> dict[str, Any]:
        return {
            "processor": self.processor,
            "kept": self.kept,
            "changes": [c.to_json() for c in self.changes],
            "after_s": None if self.after_s is None else round(self.after_s, 3),
        }


@dataclass(frozen=True, slots=True)
class SpanOutcome:
    """One span through one pipeline."""

    label: str
    service: str
    trace_id: str
    span_id: str
    kept: bool
    dropped_by: str | None
    steps: tuple[StepOutcome, ...]
    exporters: tuple[str, ...]
    """The user's exporters (and connectors) the span would have reached."""
    expected: str | None = None
    consistent: bool = True
    """False when a later stage let out a span an earlier one dropped (a processor that decides at random)."""

    @property
    def outcome(self) -> str:
        return "kept" if self.kept else "dropped"

    @property
    def met(self) -> bool:
        return self.expected is None or self.expected == self.outcome

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "service": self.service,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "outcome": self.outcome,
            "dropped_by": self.dropped_by,
            "exporters": list(self.exporters),
            "expected": self.expected,
            "consistent": self.consistent,
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass(frozen=True, slots=True)
class PipelineOutcome:
    name: str
    processors: tuple[str, ...]
    exporters: tuple[str, ...]
    spans: tuple[SpanOutcome, ...]
    arrived: int
    """Spans the pipeline's receiver passed on (stage 0): fewer than sent means the input was refused."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "processors": list(self.processors),
            "exporters": list(self.exporters),
            "arrived": self.arrived,
            "spans": [s.to_json() for s in self.spans],
        }


def outcomes(
    ran: Ran,
    requests: Sequence[ExportTraceServiceRequest],
    labels: Mapping[SpanKey, str],
    expect: Mapping[SpanKey, str],
) -> tuple[PipelineOutcome, ...]:
    """Per pipeline, per span sent: which stage let it out, and what changed between stages."""
    sent = [(rs, span) for rs, span in iter_spans(requests)]
    out = []
    for pipe in ran.plan.pipelines:
        stages = [_by_key(ran.captured.get(stage.path, [])) for stage in pipe.stages]
        spans = []
        for rs, span in sent:
            key = key_of(span)
            spans.append(_span(pipe, stages, key, rs, span, ran.sent_at, labels, expect))
        out.append(PipelineOutcome(pipe.name, pipe.processors, pipe.exporters, tuple(spans), len(stages[0])))
    return tuple(out)


def _by_key(captured: Sequence[Captured]) -> dict[SpanKey, Captured]:
    out: dict[SpanKey, Captured] = {}
    for c in captured:
        out.setdefault(key_of(c.span), c)
    return out


def _span(
    pipe: PipelinePlan,
    stages: Sequence[Mapping[SpanKey, Captured]],
    key: SpanKey,
    rs: Any,
    span: Any,
    sent_at: float,
    labels: Mapping[SpanKey, str],
    expect: Mapping[SpanKey, str],
) -> SpanOutcome:
    present = [stage.get(key) for stage in stages]
    steps = []
    dropped_by = None
    consistent = True
    previous = present[0]
    for k, processor in enumerate(pipe.processors, 1):
        now = present[k]
        if now is None:
            dropped_by = dropped_by or processor
        elif dropped_by is not None:
            consistent = False
        changes = _diff(previous, now) if previous is not None and now is not None else ()
        steps.append(StepOutcome(processor, now is not None, changes, None if now is None else now.at - sent_at))
        previous = now if now is not None else previous
    kept = present[-1] is not None
    if kept and dropped_by is not None:
        dropped_by = None
    elif not kept and dropped_by is None:
        dropped_by = "(the receiver)" if present[0] is None else None
    service = _service(rs)
    return SpanOutcome(
        label=redact.clean(labels.get(key) or span.name)[:120],
        service=redact.clean(service)[:120],
        trace_id=key.trace_id,
        span_id=key.span_id,
        kept=kept,
        dropped_by=dropped_by,
        steps=tuple(steps),
        exporters=pipe.exporters if kept else (),
        expected=expect.get(key),
        consistent=consistent,
    )


def _service(rs: Any) -> str:
    value = attributes_of(rs.resource.attributes).get("service.name")
    return str(value) if value is not None else ""


def _diff(before: Captured, after: Captured) -> tuple[Change, ...]:
    if before.span == after.span and before.resource.resource == after.resource.resource:
        return ()  # compared in protobuf's C code: most spans go through most processors unchanged
    out: list[Change] = []
    if before.span.name != after.span.name:
        out.append(Change("name", None, before.span.name, after.span.name))
    b_status = (_STATUS.get(before.span.status.code, "?"), before.span.status.message)
    a_status = (_STATUS.get(after.span.status.code, "?"), after.span.status.message)
    if b_status != a_status:
        out.append(Change("status", None, _status_text(b_status), _status_text(a_status)))
    if before.span.attributes != after.span.attributes:
        out += _map_diff("attribute", attributes_of(before.span.attributes), attributes_of(after.span.attributes))
    if before.resource.resource != after.resource.resource:
        out += _map_diff(
            "resource",
            attributes_of(before.resource.resource.attributes),
            attributes_of(after.resource.resource.attributes),
        )
    return tuple(out)


def _status_text(status: tuple[str, str]) -> str:
    return status[0] + (f" ({status[1]})" if status[1] else "")


def _map_diff(what: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    out = []
    for key in before:
        if key not in after:
            out.append(Change(what, key, _safe(key, before[key]), None))
        elif before[key] != after[key]:
            out.append(Change(what, key, _safe(key, before[key]), _safe(key, after[key])))
    out += [Change(what, key, None, _safe(key, after[key])) for key in after if key not in before]
    return out


def _safe(key: str, value: Any) -> Any:
    """A value as the report may show it: printable, bounded, and hidden when the key names a secret."""
    if _SECRET_KEY.search(key):
        return redact.REDACTED
    if isinstance(value, str):
        return redact.clean(value[:MAX_SHOWN])
    if isinstance(value, list | dict):
        return redact.clean(str(value)[:MAX_SHOWN])
    return value


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)
