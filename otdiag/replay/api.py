"""`otdiag replay`'s core: load the spans, run each binary, compare, and build the typed result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from otdiag import bounded, redact
from otdiag.errors import UsageError
from otdiag.model import Finding, Result
from otdiag.replay import kinds, spans
from otdiag.replay.outcome import PipelineOutcome, SpanOutcome, outcomes
from otdiag.replay.session import Binary, Ran, find_binaries, replay

MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    config: str
    files: tuple[str, ...] = ()
    span_specs: tuple[str, ...] = ()
    jaeger: tuple[str, str] | None = None
    """(query URL, trace ID) to fetch the spans from."""
    otelcols: tuple[str, ...] = ()
    expect: str | None = None
    """'kept' or 'dropped' for every span without an expect= of its own."""
    fast: bool = False
    pipeline: str | None = None
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class BinaryRun:
    """One binary's replay."""

    binary: Binary
    pipelines: tuple[PipelineOutcome, ...]
    failure: str | None
    refusal: str | None
    waited_s: float

    def to_json(self) -> dict[str, Any]:
        return {
            "binary": self.binary.path,
            "version": self.binary.version,
            "failure": self.failure,
            "refusal": self.refusal,
            "waited_s": round(self.waited_s, 2),
            "pipelines": [p.to_json() for p in self.pipelines],
        }


@dataclass(frozen=True, slots=True)
class Difference:
    pipeline: str
    label: str
    outcomes: tuple[str, ...]
    """Per binary, in order: 'kept', 'dropped by X', or what changed."""

    def to_json(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "span": self.label, "outcomes": list(self.outcomes)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayResult(Result):
    COMMAND: ClassVar[str] = "replay"
    config: str
    spans: int
    runs: tuple[BinaryRun, ...]
    differences: tuple[Difference, ...] = ()
    left_out: tuple[str, ...] = ()

    def fields_json(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "spans": self.spans,
            "runs": [r.to_json() for r in self.runs],
            "differences": [d.to_json() for d in self.differences],
            "left_out": list(self.left_out),
        }


def load_config(path: str) -> Any:
    data = bounded.read(path, what="config", max_bytes=MAX_CONFIG_BYTES)
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"{redact.printable(path[:200])}: not valid YAML{where}; run otdiag validate-config") from None
    redact.remember_config(doc)
    return doc


def load_spans(request: ReplayRequest) -> spans.Loaded:
    requests: list[Any] = []
    expect: dict[spans.SpanKey, str] = {}
    labels: dict[spans.SpanKey, str] = {}
    for path in request.files:
        requests += spans.from_file(path)
    if request.span_specs:
        req, exp, lab = spans.from_specs(request.span_specs)
        requests.append(req)
        expect.update(exp)
        labels.update(lab)
    if request.jaeger is not None:
        requests.append(_from_jaeger(*request.jaeger, timeout=request.timeout))
    loaded = spans.Loaded(tuple(requests), expect, labels)
    if loaded.count == 0:
        raise UsageError("no spans to replay: give OTLP JSON files, --span or --from-jaeger")
    if loaded.count > spans.MAX_SPANS:
        raise UsageError(f"{loaded.count} spans: replay takes at most {spans.MAX_SPANS}")
    if request.expect is not None:
        for _, span in spans.iter_spans(loaded.requests):
            expect.setdefault(spans.key_of(span), request.expect)
    return loaded


def _from_jaeger(url: str, trace_id: str, *, timeout: float) -> Any:
    from otdiag.jaeger.client import JaegerClient, JaegerError
    from otdiag.jaeger.trace import parse_trace_id
    from otdiag.net.transport import TransportError
    from otdiag.replay.jaeger import to_request

    tid = parse_trace_id(trace_id)
    try:
        fetched = JaegerClient(url, timeout=timeout).get_trace(tid)
    except (JaegerError, TransportError) as exc:
        raise UsageError(f"--from-jaeger: {redact.clean(str(exc))[:300]} ({redact.url(url)})") from None
    if fetched is None or not fetched.traces:
        raise UsageError(f"--from-jaeger: Jaeger at {redact.url(url)} has no trace {tid}")
    return to_request(fetched.traces[0])


def run(request: ReplayRequest, *, progress: Callable[[str], None] = lambda _: None) -> ReplayResult:
    config = load_config(request.config)
    loaded = load_spans(request)
    binaries = find_binaries(request.otelcols)
    runs: list[BinaryRun] = []
    findings: list[Finding] = []
    plan_notes: tuple[str, ...] = ()
    for binary in binaries:
        ran = replay(binary, config, loaded.requests, fast=request.fast, pipeline=request.pipeline, progress=progress)
        runs.append(_binary_run(ran, loaded))
        findings += _run_findings(ran, runs[-1])
        plan_notes = ran.plan.left_out
        findings += _plan_notes(ran) if binary is binaries[0] else []
    differences = _differences(runs) if len(runs) > 1 else ()
    for d in differences:
        shown = "; ".join(f"{r.binary.label}: {o}" for r, o in zip(runs, d.outcomes, strict=True))
        findings.append(kinds.VERSIONS_DIFFER(f"{d.pipeline}: span {d.label!r}: {shown}.", target=d.pipeline))
    return ReplayResult(
        findings=tuple(findings),
        config=redact.printable(request.config[:300]),
        spans=loaded.count,
        runs=tuple(runs),
        differences=differences,
        left_out=plan_notes,
    )


def _binary_run(ran: Ran, loaded: spans.Loaded) -> BinaryRun:
    pipes = () if ran.failure else outcomes(ran, loaded.requests, loaded.labels, loaded.expect)
    return BinaryRun(ran.binary, pipes, ran.failure, ran.refusal, ran.waited_s)


def _run_findings(ran: Ran, run: BinaryRun) -> list[Finding]:
    label = ran.binary.label
    if ran.failure:
        return [kinds.COLLECTOR_FAILED(f"{label} did not run the replay config: {ran.failure}", target=label)]
    out: list[Finding] = []
    if ran.refusal:
        out.append(kinds.INPUT_REFUSED(f"{label} refused the replayed spans: {ran.refusal}", target=label))
    for pipe in run.pipelines:
        for span in pipe.spans:
            if not span.met:
                out.append(_unmet(label, pipe, span))
            if not span.consistent:
                out.append(kinds.INCONSISTENT(f"{pipe.name}: span {span.label!r} came back after being dropped."))
    return out


def _unmet(label: str, pipe: PipelineOutcome, span: SpanOutcome) -> Finding:
    what = (
        f"kept (reached {', '.join(span.exporters) or 'no exporter'})" if span.kept else f"dropped by {span.dropped_by}"
    )
    return kinds.EXPECTATION_FAILED(
        f"{pipe.name}: span {span.label!r} ({span.service}) was {what}, expected {span.expected}.",
        target=span.dropped_by or pipe.name,
        evidence=(f"{label}",),
    )


def _plan_notes(ran: Ran) -> list[Finding]:
    out: list[Finding] = []
    if ran.plan.scaled:
        out.append(kinds.SCALED("; ".join(ran.plan.scaled)))
    if ran.plan.not_faithful:
        out.append(kinds.NOT_FAITHFUL("; ".join(ran.plan.not_faithful)))
    return out


def _differences(runs: Sequence[BinaryRun]) -> tuple[Difference, ...]:
    """Per span, where the releases' outcomes differ (a release that could not run the config differs too)."""
    base = next((r for r in runs if not r.failure), None)
    if base is None:
        return ()
    out = []
    for p, pipe in enumerate(base.pipelines):
        for s, span in enumerate(pipe.spans):
            seen = [
                "did not run the config" if r.failure or p >= len(r.pipelines) else _summary(r.pipelines[p].spans[s])
                for r in runs
            ]
            if len(set(seen)) > 1:
                out.append(Difference(pipe.name, span.label, tuple(seen)))
    return tuple(out)


def _summary(span: SpanOutcome) -> str:
    if not span.kept:
        return f"dropped by {span.dropped_by}"
    changes = [c.text() for step in span.steps for c in step.changes]
    return "kept" + (f" ({'; '.join(changes)})" if changes else "")
