"""Send test spans over OTLP and report exactly what the receiver said.

`send_one` exports one SDK-built span (or a parent/child pair) and waits for
the answer; `send_load` pushes N spans in batches, concurrently, as fast as
the receiver takes them (or at a fixed rate), and counts the outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag import ingest
from otdiag.model import Finding, Protocol
from otdiag.otel_env import Settings
from otdiag.otlp import otlp_json
from otdiag.otlp.exporter import Exporter, attempt_of
from otdiag.otlp.load import BatchEncoder
from otdiag.otlp.result import ExportResult
from otdiag.progress import NoProgress, Progress
from otdiag.redact import Scrubber
from otdiag.transport import TransportError

if TYPE_CHECKING:
    from otdiag.otlp import encode


@dataclass(frozen=True)
class Outcome:
    """The result of `send_one`."""

    trace_id: str
    span_id: str
    sent: int
    accepted: int
    rejected: int
    duration_ms: float
    result: ExportResult | None
    error: TransportError | None
    findings: list[Finding]


def _encode_for(protocol: Protocol, built: encode.BuiltSpans) -> bytes:
    from otdiag.otlp import encode

    req = encode.request(built.spans)
    return otlp_json.dumps(req) if protocol is Protocol.HTTP_JSON else req.SerializeToString()


def send_one(settings: Settings, spec: encode.SpanSpec, *, scrub: Scrubber | None = None) -> Outcome:
    """Build the test span(s) with the real SDK, export them, and read the answer as findings."""
    from otdiag.otlp import encode  # the SDK: only a single test span needs it, not a load run

    built = encode.build(spec)
    return _send(
        settings, _encode_for(settings.protocol, built), built.trace_id, built.span_id, len(built.spans), scrub
    )


def send_probe_span(
    settings: Settings, service_name: str, span_name: str, attributes: dict[str, str] | None = None
) -> Outcome:
    """One span framed directly from OTLP messages (no SDK start-up): check's end-to-end probe."""
    raw, trace_id, span_id = BatchEncoder(service_name, span_name, attributes).one()
    if settings.protocol is Protocol.HTTP_JSON:
        req = ExportTraceServiceRequest()
        req.ParseFromString(raw)
        raw = otlp_json.dumps(req)
    return _send(settings, raw, trace_id, span_id, 1, None)


def _send(settings: Settings, body: bytes, trace_id: str, span_id: str, sent: int, scrub: Scrubber | None) -> Outcome:
    scrub = (scrub or Scrubber()).with_headers(settings.headers)
    exporter = Exporter(settings, scrub)
    started = time.monotonic()
    result: ExportResult | None = None
    error: TransportError | None = None
    findings: list[Finding] = []
    try:
        result = exporter.export(body)
    except TransportError as err:
        error = err
        findings.append(ingest.from_transport(err, attempt_of(settings), timeout=min(2.0, settings.timeout)))
    finally:
        exporter.close()
    duration_ms = (time.monotonic() - started) * 1000
    accepted = rejected = 0
    if result is not None:
        finding = ingest.from_result(result, attempt_of(settings), sent_spans=sent)
        if finding is not None:
            findings.append(finding)
        if result.ok:
            rejected = min(result.rejected_spans, sent)
            accepted = sent - rejected
    return Outcome(trace_id, span_id, sent, accepted, rejected, duration_ms, result, error, findings)


@dataclass(frozen=True)
class LoadOutcome:
    sent: int
    accepted: int
    rejected: int
    failed: int
    duration_s: float
    findings: list[Finding]

    @property
    def spans_per_second(self) -> float:
        return self.accepted / self.duration_s if self.duration_s > 0 else 0.0


def send_load(
    settings: Settings,
    count: int,
    *,
    service_name: str = "otdiag",
    span_name: str = "otdiag-load",
    attributes: dict[str, str] | None = None,
    resource_attributes: dict[str, str] | None = None,
    batch_size: int = 512,
    concurrency: int = 4,
    rate: float | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> LoadOutcome:
    """Send `count` spans in batches with up to `concurrency` requests in flight."""
    progress = progress or NoProgress()
    scrub = Scrubber().with_headers(settings.headers)
    encoder = BatchEncoder(service_name, span_name, attributes, resource_attributes)
    exporter = Exporter(settings, scrub, keep_alive=True)
    to_json = settings.protocol is Protocol.HTTP_JSON

    def body_for(n: int) -> bytes:
        raw = encoder.encode(n)
        if not to_json:
            return raw
        req = ExportTraceServiceRequest()
        req.ParseFromString(raw)
        return otlp_json.dumps(req)

    def one(n: int) -> tuple[int, ExportResult | TransportError]:
        try:
            return n, exporter.export(body_for(n))
        except TransportError as err:
            return n, err

    sent = accepted = rejected = failed = 0
    first_problem: Finding | None = None
    started = clock()
    pending: set[Future[tuple[int, ExportResult | TransportError]]] = set()
    at = attempt_of(settings)

    def settle(done: set[Future[tuple[int, ExportResult | TransportError]]]) -> None:
        nonlocal accepted, rejected, failed, first_problem
        for fut in done:
            n, res = fut.result()
            if isinstance(res, TransportError):
                failed += n
                if first_problem is None:
                    first_problem = ingest.from_transport(res, at, timeout=min(2.0, settings.timeout))
                continue
            if res.ok:
                r = min(res.rejected_spans, n)
                rejected += r
                accepted += n - r
            else:
                failed += n
            if first_problem is None:
                first_problem = ingest.from_result(res, at, sent_spans=n)

    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="otdiag-send") as pool:
            while sent < count:
                if first_problem is not None and accepted == 0 and failed > 0:
                    break  # nothing gets through: stop instead of repeating the same failure
                n = min(batch_size, count - sent)
                if rate:
                    due = started + sent / rate
                    delay = due - clock()
                    if delay > 0:
                        time.sleep(delay)
                while len(pending) >= concurrency:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    settle(done)
                if first_problem is not None and accepted == 0 and failed > 0:
                    break  # checked again: a request sent now would only wait out the same timeout
                pending.add(pool.submit(one, n))
                sent += n
                progress.update(f"sent {sent}/{count} spans, {accepted} accepted")
            done, pending = wait(pending)
            settle(done)
    finally:
        exporter.close()
    findings = [first_problem] if first_problem is not None else []
    return LoadOutcome(sent, accepted, rejected, failed, clock() - started, findings)
