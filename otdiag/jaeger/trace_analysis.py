"""What is wrong with a trace that did arrive: orphans, several roots, skew, errors, no service name."""

from __future__ import annotations

import time
from collections import Counter

from otdiag import catalogue as c
from otdiag.jaeger.trace import Span, Trace
from otdiag.model import Finding

SKEW_TOLERANCE_NS = 1_000_000
"""Up to 1 ms is rounding (the legacy API keeps microseconds) and scheduling, not a clock problem."""
FUTURE_TOLERANCE_NS = 60 * 1_000_000_000


def _names(spans: list[Span], limit: int = 3) -> str:
    shown = ", ".join(f"{s.service}/{s.name}" for s in spans[:limit])
    return shown + (f" and {len(spans) - limit} more" if len(spans) > limit else "")


def analyse(trace: Trace, *, now_ns: int | None = None) -> list[Finding]:
    """Findings about a trace's shape; empty for a whole, healthy trace."""
    findings: list[Finding] = []
    spans = trace.spans
    target = trace.trace_id
    by_id: dict[str, Span] = {}
    dupes = [sid for sid, n in Counter(s.span_id for s in spans).items() if n > 1]
    for s in spans:
        by_id.setdefault(s.span_id, s)
    if dupes:
        findings.append(
            c.TRACE_DUPLICATE_IDS(f"{len(dupes)} span ID(s) appear more than once (e.g. {dupes[0]}).", target=target)
        )

    orphans = [s for s in spans if s.parent_span_id and s.parent_span_id not in by_id]
    if orphans:
        missing = sorted({s.parent_span_id for s in orphans if s.parent_span_id})
        findings.append(
            c.TRACE_ORPHANS(
                f"{len(orphans)} span(s) name a parent that never arrived ({_names(orphans)}; "
                f"missing parent {missing[0]}{' …' if len(missing) > 1 else ''}).",
                target=target,
            )
        )

    roots = [s for s in spans if not s.parent_span_id]
    if len(roots) > 1:
        findings.append(c.TRACE_ROOTS(f"{len(roots)} root spans: {_names(roots)}.", target=target))

    skewed: list[str] = []
    for s in spans:
        parent = by_id.get(s.parent_span_id or "")
        if parent is None or parent is s:
            continue
        early = parent.start_unix_nano - s.start_unix_nano
        late = s.end_unix_nano - parent.end_unix_nano
        if early > SKEW_TOLERANCE_NS:
            skewed.append(f"{s.service}/{s.name} starts {early / 1e6:.1f} ms before its parent {parent.name}")
        elif late > SKEW_TOLERANCE_NS and s.kind not in ("producer", "consumer"):
            skewed.append(f"{s.service}/{s.name} ends {late / 1e6:.1f} ms after its parent {parent.name}")
    if skewed:
        more = f" (+{len(skewed) - 1} more)" if len(skewed) > 1 else ""
        findings.append(c.TRACE_SKEW(skewed[0] + more + ".", target=target, evidence=skewed[:5]))

    now = now_ns if now_ns is not None else time.time_ns()
    future = [s for s in spans if s.start_unix_nano > now + FUTURE_TOLERANCE_NS]
    if future:
        ahead = (max(s.start_unix_nano for s in future) - now) / 1e9
        findings.append(
            c.TRACE_FUTURE(
                f"{len(future)} span(s) start up to {ahead:.0f}s in the future ({_names(future)}).", target=target
            )
        )

    unknown = sorted({s.service for s in spans if s.service.startswith("unknown_service") or not s.service})
    if unknown:
        findings.append(
            c.TRACE_UNKNOWN_SERVICE(
                f"Spans come from service {', '.join(repr(u) for u in unknown)}: the app sets no service name.",
                target=target,
            )
        )

    errors = [s for s in spans if s.status == "error"]
    if errors:
        msg = next((s.status_message for s in errors if s.status_message), "")
        said = f": {msg}" if msg else ""
        findings.append(
            c.TRACE_ERRORS(f"{len(errors)} span(s) have status ERROR ({_names(errors)}){said}.", target=target)
        )
    return findings
