"""Send test spans over OTLP and report exactly what the receiver said.

`send_one` exports one SDK-built span (or a parent/child pair) and waits for
the answer; `send_load` pushes N spans in batches, concurrently, as fast as
the receiver takes them (or at a fixed rate), and counts the outcomes.
`send_test_span` runs a `SendRequest` (one span, verified in Jaeger if asked,
or a load run) and returns the command's typed `SendResult`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag import catalogue
from otdiag.app.export_settings import (
    GRPC_ONLY,
    Settings,
    as_grpc_on_same_port,
    settings_json,
    shown_endpoint,
    unsendable_findings,
)
from otdiag.collector import attempt_findings
from otdiag.model import Finding, Protocol, Result, Severity
from otdiag.net.transport import TransportError
from otdiag.otlp import otlp_json
from otdiag.otlp.exporter import Exporter, attempt_of
from otdiag.otlp.load import BatchEncoder
from otdiag.otlp.result import ExportResult
from otdiag.progress import NoProgress, Progress
from otdiag.redact import Scrubber

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

    def fields_json(self) -> dict[str, Any]:
        receiver = None if self.result is None else {"status": self.result.status, "message": self.result.message}
        return {"duration_ms": round(self.duration_ms, 1), "receiver": receiver}


def _encode_for(protocol: Protocol, built: encode.BuiltSpans) -> bytes:
    from otdiag.otlp import encode

    return body_for(protocol, encode.request(built.spans))


def body_for(protocol: Protocol, req: ExportTraceServiceRequest) -> bytes:
    """The request as `protocol` frames it: OTLP/JSON for http/json, protobuf otherwise. The one encoding that
    send-test-span, check's probes and check's end-to-end span all go through."""
    return otlp_json.dumps(req) if protocol is Protocol.HTTP_JSON else req.SerializeToString()


def empty_body(protocol: Protocol) -> bytes:
    """An empty export request (valid OTLP that stores nothing): `{}` in JSON, no bytes in protobuf."""
    return body_for(protocol, ExportTraceServiceRequest())


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
        raw = body_for(settings.protocol, req)
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
        findings.append(attempt_findings.from_transport(err, attempt_of(settings), timeout=min(2.0, settings.timeout)))
    finally:
        exporter.close()
    duration_ms = (time.monotonic() - started) * 1000
    accepted = rejected = 0
    if result is not None:
        finding = attempt_findings.from_result(result, attempt_of(settings), sent_spans=sent)
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

    def fields_json(self) -> dict[str, Any]:
        return {
            "failed": self.failed,
            "duration_ms": round(self.duration_s * 1000, 1),
            "spans_per_second": round(self.spans_per_second, 1),
        }


_Done = Future[tuple[int, ExportResult | TransportError]]


class _Load:
    """The counts of a load run as its export requests settle, and the first problem seen."""

    def __init__(self, settings: Settings, exporter: Exporter, encoder: BatchEncoder) -> None:
        self.settings = settings
        self.exporter = exporter
        self.encoder = encoder
        self.at = attempt_of(settings)
        self.sent = self.accepted = self.rejected = self.failed = 0
        self.first_problem: Finding | None = None
        self.pending: set[_Done] = set()

    @property
    def hopeless(self) -> bool:
        """Nothing gets through: stop instead of repeating the same failure (or waiting out its timeout)."""
        return self.first_problem is not None and self.accepted == 0 and self.failed > 0

    def body_for(self, n: int) -> bytes:
        raw = self.encoder.encode(n)
        if self.settings.protocol is not Protocol.HTTP_JSON:
            return raw
        req = ExportTraceServiceRequest()
        req.ParseFromString(raw)
        return otlp_json.dumps(req)

    def one(self, n: int) -> tuple[int, ExportResult | TransportError]:
        try:
            return n, self.exporter.export(self.body_for(n))
        except TransportError as err:
            return n, err

    def submit(self, pool: ThreadPoolExecutor, n: int) -> None:
        self.pending.add(pool.submit(self.one, n))
        self.sent += n

    def wait(self, concurrency: int | None = None) -> None:
        """Settle finished requests: until fewer than `concurrency` are in flight, or (None) all of them."""
        if concurrency is None:
            done, self.pending = wait(self.pending)
            self.settle(done)
        while concurrency is not None and len(self.pending) >= concurrency:
            done, self.pending = wait(self.pending, return_when=FIRST_COMPLETED)
            self.settle(done)

    def settle(self, done: set[_Done]) -> None:
        for fut in done:
            n, res = fut.result()
            if isinstance(res, TransportError):
                self.failed += n
                if self.first_problem is None:
                    timeout = min(2.0, self.settings.timeout)
                    self.first_problem = attempt_findings.from_transport(res, self.at, timeout=timeout)
                continue
            if res.ok:
                r = min(res.rejected_spans, n)
                self.rejected += r
                self.accepted += n - r
            else:
                self.failed += n
            if self.first_problem is None:
                self.first_problem = attempt_findings.from_result(res, self.at, sent_spans=n)


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
    exporter = Exporter(settings, Scrubber().with_headers(settings.headers), keep_alive=True)
    load = _Load(settings, exporter, BatchEncoder(service_name, span_name, attributes, resource_attributes))
    started = clock()
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="otdiag-send") as pool:
            while load.sent < count and not load.hopeless:
                n = min(batch_size, count - load.sent)
                if rate:
                    delay = started + load.sent / rate - clock()
                    if delay > 0:
                        time.sleep(delay)
                load.wait(concurrency)
                if load.hopeless:
                    break  # checked again: a request sent now would only wait out the same timeout
                load.submit(pool, n)
                progress.update(f"sent {load.sent}/{count} spans, {load.accepted} accepted")
            load.wait()
    finally:
        exporter.close()
    findings = [load.first_problem] if load.first_problem is not None else []
    return LoadOutcome(load.sent, load.accepted, load.rejected, load.failed, clock() - started, findings)


@dataclass(frozen=True, slots=True)
class Verification:
    """Whether Jaeger showed the test trace before the wait ran out (`--verify`)."""

    visible: bool
    time_to_visible_ms: float | None = None
    findings: tuple[Finding, ...] = ()


def verify(jaeger: str, trace_id: str, wait_s: float, timeout: float, progress: Progress) -> Verification:
    """Poll Jaeger for the test trace: the find-trace core, bounded by `wait_s`."""
    from otdiag.jaeger.client import JaegerClient, JaegerError
    from otdiag.jaeger.lookup import find, jaeger_failure

    client = JaegerClient(jaeger, timeout=min(timeout, 5.0))
    try:
        found = find(client, trace_id, wait_s=wait_s, progress=progress)
    except (TransportError, JaegerError) as exc:
        return Verification(False, findings=(jaeger_failure(jaeger, exc),))
    if found.fetched is None:
        f = catalogue.TRACE_NOT_VISIBLE(
            f"The receiver accepted trace {trace_id}, but Jaeger at {jaeger} did not show it within {wait_s:g}s.",
            target=jaeger,
        )
        return Verification(False, findings=(f,))
    return Verification(True, round(found.waited_ms, 1))


@dataclass(frozen=True, slots=True)
class SendRequest:
    """What `send-test-span` was asked to do, its options checked."""

    settings: Settings
    service_name: str = "otdiag"
    span_name: str = "otdiag-test-span"
    attributes: dict[str, str] = field(default_factory=dict)
    resource_attributes: dict[str, str] = field(default_factory=dict)
    child: bool = False
    count: int = 1
    """More than 1: a load run."""
    rate: float | None = None
    batch_size: int = 512
    concurrency: int = 4
    jaeger: str | None = None
    """Jaeger's query URL, for the trace's link (and `verify`)."""
    verify: bool = False
    verify_wait_s: float = 30.0


def jaeger_link(jaeger_url: str | None, trace_id: str) -> str | None:
    return f"{jaeger_url.rstrip('/')}/trace/{trace_id}" if jaeger_url else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult(Result):
    """send-test-span's report: the settings alone (`--explain`), one test span, or a load run."""

    COMMAND: ClassVar[str] = "send-test-span"
    settings: Settings
    sent: Outcome | LoadOutcome | None = None
    """None: only the settings were explained."""
    jaeger: str | None = None
    verification: Verification | None = None
    """Set when `--verify` polled Jaeger (the receiver accepted the span)."""

    @property
    def link(self) -> str | None:
        return jaeger_link(self.jaeger, self.sent.trace_id) if isinstance(self.sent, Outcome) else None

    def fields_json(self) -> dict[str, Any]:
        s, out = self.settings, self.sent
        if out is None:
            return {"settings": settings_json(s)}
        one = out if isinstance(out, Outcome) else None
        head: dict[str, Any] = {
            "trace_id": one.trace_id if one else None,
            "span_id": one.span_id if one else None,
            "endpoint": shown_endpoint(s),
            "protocol": s.protocol.value,
            "jaeger_link": self.link,
            "settings": settings_json(s),
            "sent": out.sent,
            "accepted": out.accepted,
            "rejected": out.rejected,
        }
        if isinstance(out, LoadOutcome):
            return {**head, **out.fields_json()}
        return {**head, **out.fields_json(), **(self.verification_json() or {})}

    def verification_json(self) -> dict[str, Any] | None:
        v = self.verification
        return None if v is None else {"verified": v.visible, "time_to_visible_ms": v.time_to_visible_ms}


def settings_notes(settings: Settings) -> list[Finding]:
    from otdiag.app.export_settings import PROTOCOL_FROM_PORT

    notes = [*unsendable_findings(settings), *(catalogue.SETTINGS_NOTE(n) for n in settings.notes)]
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        # otdiag's span is sent anyway (it is a probe); the app's SDK, reading the same environment, makes none.
        notes.append(
            catalogue.APP_SDK_DISABLED(
                "OTEL_SDK_DISABLED=true in this environment: otdiag's test span was sent anyway, but an app's SDK "
                "started with it hands out no-op tracers and sends no span.",
                target="OTEL_SDK_DISABLED",
                severity=Severity.WARNING,
            )
        )
    if settings.sources.get("protocol") == PROTOCOL_FROM_PORT:
        from otdiag.app.env_analysis import protocol_unset

        notes.append(protocol_unset(shown_endpoint(settings), "is port 4317 (gRPC's)"))
    return notes


def explain(settings: Settings) -> SendResult:
    """How the settings resolved (`--explain`): nothing is sent."""
    return SendResult(settings=settings, findings=tuple(settings_notes(settings)))


def send_test_span(req: SendRequest, progress: Progress | None = None) -> SendResult:
    """One test span (verified in Jaeger if asked), or a load run of `req.count` spans."""
    progress = progress or NoProgress()
    settings, notes = req.settings, settings_notes(req.settings)
    if req.count > 1:
        load = send_load(
            settings,
            req.count,
            service_name=req.service_name,
            span_name=req.span_name,
            attributes=req.attributes,
            resource_attributes=req.resource_attributes,
            batch_size=req.batch_size,
            concurrency=req.concurrency,
            rate=req.rate,
            progress=progress,
        )
        return SendResult(settings=settings, sent=load, jaeger=req.jaeger, findings=(*notes, *load.findings))
    from otdiag.otlp.encode import SpanSpec  # the SDK: a single test span needs it, a load run does not

    spec = SpanSpec(req.service_name, req.span_name, req.attributes, req.resource_attributes, req.child)
    out = send_one(settings, spec)
    grpc = as_grpc_on_same_port(settings)
    if grpc is not None and any(f.code == catalogue.INGEST_HTTP_TO_GRPC.code for f in out.findings):
        # No protocol named and the port answers gRPC only: the one rule check follows too (send gRPC there,
        # and say which SDKs would fail), so both commands give the same verdict for the same environment.
        retried = send_one(grpc, spec)
        if retried.accepted:
            from otdiag.app.env_analysis import protocol_unset

            settings, out = grpc, retried
            notes = [*notes, protocol_unset(shown_endpoint(grpc), GRPC_ONLY)]
    verification = None
    if req.verify and req.jaeger and out.accepted:
        progress.update(f"waiting for trace {out.trace_id} in Jaeger")
        verification = verify(req.jaeger, out.trace_id, req.verify_wait_s, settings.timeout, progress)
    extra = verification.findings if verification else ()
    return SendResult(
        settings=settings,
        sent=out,
        jaeger=req.jaeger,
        verification=verification,
        findings=(*out.findings, *notes, *extra),
    )
