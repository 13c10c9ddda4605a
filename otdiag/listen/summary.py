"""What the received spans say about the app that sent them: counts and the problems they show.

Counts come from the store's running totals (which survive eviction); what
is wrong with the traces still held comes from find-trace's own analysis
(orphans, several roots, clock skew, duplicate IDs, unknown_service ...), so
a problem has the same code whichever command saw it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from otdiag import catalogue as c
from otdiag.catalogue import (
    APP_NON_POSITIVE_DURATION as NON_POSITIVE_DURATION,
)
from otdiag.catalogue import (
    APP_SERVICE_NAME_MISSING as SERVICE_NAME_MISSING,
)
from otdiag.catalogue import (
    APP_ZERO_SPAN_ID as ZERO_SPAN_ID,
)
from otdiag.catalogue import (
    APP_ZERO_TRACE_ID as ZERO_TRACE_ID,
)
from otdiag.catalogue import (
    LISTEN_EVICTED as EVICTED,
)
from otdiag.catalogue import (
    LISTEN_REJECTED as REJECTED,
)
from otdiag.listen import store as store_mod
from otdiag.listen.refused import RefusedRequest
from otdiag.listen.store import SpanStore, Stats
from otdiag.model import Finding, Result, order_findings


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenResult(Result):
    """What the received spans add up to: `listen`'s summary (and the span part of `run`'s report)."""

    COMMAND: ClassVar[str] = "listen"
    traces: int
    spans: int
    services: dict[str, int]
    operations: dict[str, dict[str, int]]
    """Per service, spans per operation name."""
    transports: dict[str, int]
    requests: dict[str, int]
    """Export requests answered, by transport and outcome (`grpc OK`, `http/json 400` ...)."""
    orphan_spans: int
    held_traces: int
    held_spans: int
    evicted_traces: int
    evicted_spans: int
    first_received: float | None
    last_received: float | None
    trace_ids: tuple[str, ...] = ()
    """The newest held traces' IDs (at most TRACE_IDS_SHOWN), full 32 hex digits, newest first."""
    refused: tuple[RefusedRequest, ...] = ()
    """Requests refused or sent in the wrong protocol (path, transport, status, count, first seen), first first."""

    def fields_json(self) -> dict[str, Any]:
        return {
            "traces": self.traces,
            "spans": self.spans,
            "services": self.services,
            "operations": self.operations,
            "transports": self.transports,
            "requests": self.requests,
            "orphan_spans": self.orphan_spans,
            "held": {"traces": self.held_traces, "spans": self.held_spans},
            "evicted": {"traces": self.evicted_traces, "spans": self.evicted_spans},
            "refused": [r.to_json() for r in self.refused],
        }

    def summary_json(self) -> dict[str, Any]:
        """The last line of `listen --json-lines`: the counts, then the findings (errors first)."""
        findings = [f.to_json() for f in order_findings(list(self.findings))]
        return {"type": "summary", **self.fields_json(), "findings": findings}


TRACE_IDS_SHOWN = 20
ANALYSED_TRACES = 500
"""The newest traces held are read by find-trace's analysis; older ones only count."""


def _shape_findings(store: SpanStore) -> list[Finding]:
    """find-trace's trace analysis over the newest held traces, one finding per code with a count."""
    from otdiag.jaeger.trace import from_v3
    from otdiag.jaeger.trace_analysis import analyse
    from otdiag.listen.views import v3_resource_spans

    counted = {c.TRACE_ORPHANS.code, c.TRACE_UNKNOWN_SERVICE.code}  # summarised from the totals above
    first: dict[str, Finding] = {}
    traces_with: dict[str, int] = {}
    for i, stored in enumerate(store.newest_first()):
        if i >= ANALYSED_TRACES:
            break
        for trace in from_v3({"result": {"resourceSpans": v3_resource_spans(stored, raw=True)}}):
            for f in analyse(trace):
                if f.code in counted:
                    continue
                first.setdefault(f.code, f)
                traces_with[f.code] = traces_with.get(f.code, 0) + 1
    out = []
    for code, f in first.items():
        n = traces_with[code]
        more = f" ({n} traces; e.g. trace {f.target})" if n > 1 else f" (trace {f.target})"
        out.append(replace(f, message=f.message.rstrip(".") + more + "."))
    return out


def summarize(store: SpanStore) -> ListenResult:
    """The store's running totals, and the findings they and the traces held show, most fundamental first."""
    st = store.stats
    orphans, orphan_examples, trace_ids = _walk_held(store)
    operations: dict[str, dict[str, int]] = {}
    for (service, name), n in sorted(st.by_operation.items()):
        operations.setdefault(service, {})[name] = n
    findings = _id_and_service_findings(st)
    if orphans:
        findings.append(
            c.TRACE_ORPHANS(
                f"{orphans} span(s) name a parent span that was not received.",
                evidence=orphan_examples,
            )
        )
    findings.extend(_shape_findings(store))
    refused = store.refused.items()
    findings.extend(refused_findings(refused))
    findings.extend(_intake_findings(store, skip_415=any(r.status == "415" for r in refused)))
    return ListenResult(
        traces=st.traces_seen,
        spans=st.spans,
        services=dict(sorted(st.by_service.items())),
        operations=operations,
        transports=dict(st.by_transport),
        requests=dict(sorted(st.requests.items())),
        orphan_spans=orphans,
        held_traces=store.trace_count,
        held_spans=store.span_count,
        evicted_traces=st.evicted_traces,
        evicted_spans=st.evicted_spans,
        first_received=st.first_received,
        last_received=st.last_received,
        findings=tuple(findings),
        trace_ids=tuple(trace_ids),
        refused=refused,
    )


def refused_findings(refused: tuple[RefusedRequest, ...], *, set_in_code: bool = False) -> list[Finding]:
    """One finding per code for the refused requests, worded and fixed as send-test-span words the same failure."""
    out: dict[str, Finding] = {}
    for r in refused:
        f = r.finding(set_in_code=set_in_code)
        if f.code in out:
            first = out[f.code]
            out[f.code] = replace(first, evidence=(*first.evidence, *f.evidence)[:4])
        else:
            out[f.code] = f
    return list(out.values())


def _walk_held(store: SpanStore) -> tuple[int, list[str], list[str]]:
    """Over the traces held, newest first: spans whose parent was not received (count, up to 3 examples),
    and the newest TRACE_IDS_SHOWN trace IDs."""
    orphans = 0
    orphan_examples: list[str] = []
    trace_ids: list[str] = []
    for trace in store.newest_first():
        if len(trace_ids) < TRACE_IDS_SHOWN:
            trace_ids.append(trace.trace_id.hex())
        ids = {rec.span_id for _, _, rec in trace.records()}
        for group, _, rec in trace.records():
            if rec.parent_span_id not in (b"", store_mod.ZERO_SPAN_ID) and rec.parent_span_id not in ids:
                orphans += 1
                if len(orphan_examples) < 3:
                    orphan_examples.append(
                        f"{store_mod.clip(group.service)}: {store_mod.clip(rec.name)!r} "
                        f"(trace {rec.trace_id.hex()}) has parent "
                        f"{rec.parent_span_id.hex()}, not received"
                    )
    return orphans, orphan_examples, trace_ids


def _id_and_service_findings(st: Stats) -> list[Finding]:
    """Spans with zero IDs, or without a service name of their own."""
    findings: list[Finding] = []
    if st.zero_trace_id:
        findings.append(ZERO_TRACE_ID(f"{st.zero_trace_id} span(s) arrived with an all-zero or empty trace ID."))
    if st.zero_span_id:
        findings.append(ZERO_SPAN_ID(f"{st.zero_span_id} span(s) arrived with an all-zero or empty span ID."))
    unknown = {s: n for s, n in st.service_raw.items() if s.startswith("unknown_service")}
    if unknown:
        names = ", ".join(f"{s} ({n} spans)" for s, n in sorted(unknown.items()))
        findings.append(c.TRACE_UNKNOWN_SERVICE(f"Spans arrived as {names}: the app sets no service name."))
    if st.service_raw.get(""):
        findings.append(
            SERVICE_NAME_MISSING(f"{st.service_raw['']} span(s) arrived with no (or an empty) service.name.")
        )
    return findings


def _intake_findings(store: SpanStore, *, skip_415: bool = False) -> list[Finding]:
    """Non-positive durations, export requests answered with an error, and traces evicted."""
    st = store.stats
    findings: list[Finding] = []
    if st.negative_duration:
        findings.append(NON_POSITIVE_DURATION(f"{st.negative_duration} span(s) end before or when they start."))
    rejected = {
        k: n
        for k, n in st.requests.items()
        if not k.endswith((" 200", " OK")) and not (skip_415 and k.endswith(" 415"))
    }
    if rejected:
        total = sum(rejected.values())
        findings.append(
            REJECTED(
                f"{total} export request(s) were answered with an error.",
                evidence=[f"{k}: {n}x" for k, n in sorted(st.rejected_messages.items())][:4]
                or [f"{k}: {n}x" for k, n in sorted(rejected.items())],
            )
        )
    if st.evicted_traces or st.evicted_spans:
        findings.append(
            EVICTED(
                f"{st.evicted_traces} trace(s) ({st.evicted_spans} spans) were dropped to stay within "
                f"--max-spans {store.max_spans}."
            )
        )
    return findings
