"""`otdiag check`: probe every hop of App -> SDK -> Collector -> Jaeger and say where it breaks."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag import collector_health, http, ingest
from otdiag.endpoints import HostPort, host_port_of
from otdiag.ingest import Attempt
from otdiag.jaeger_api import JaegerClient, JaegerError
from otdiag.model import Finding, Protocol, Report, Severity, Stage, Step, StepStatus
from otdiag.otlp import grpc_export, http_export
from otdiag.progress import NoProgress, Progress
from otdiag.redact import Scrubber
from otdiag.transport import Cause, TransportError


@dataclass(frozen=True)
class CheckOptions:
    grpc_endpoint: HostPort
    grpc_secure: bool
    http_endpoint: str
    """Full OTLP/HTTP traces URL, e.g. http://localhost:4318/v1/traces."""
    jaeger_url: str
    health_url: str
    protocol: Protocol | None = None
    """The protocol the app uses, when known; None probes both as equals."""
    headers: dict[str, str] = field(default_factory=dict)
    tls: http.TlsOptions = field(default_factory=http.TlsOptions)
    timeout: float = 5.0


@dataclass
class _Probe:
    step: Step
    findings: list[Finding]
    cause: Cause | None = None
    """For a probe that got no answer at all: why."""


def _timed(
    name: str,
    stage: Stage,
    target: str,
    fn: Callable[[], tuple[StepStatus, str, list[Finding], Cause | None]],
) -> _Probe:
    started = time.monotonic()
    status, detail, findings, cause = fn()
    return _Probe(Step(name, stage, status, (time.monotonic() - started) * 1000, detail, target), findings, cause)


def _probe_grpc(opts: CheckOptions, scrub: Scrubber) -> _Probe:
    target = str(opts.grpc_endpoint)
    at = Attempt(Protocol.GRPC, target, opts.grpc_endpoint.host, opts.grpc_endpoint.port, opts.grpc_secure)

    def run() -> tuple[StepStatus, str, list[Finding], Cause | None]:
        chan = grpc_export.channel(
            target,
            secure=opts.grpc_secure,
            ca_file=opts.tls.ca_file,
            cert_file=opts.tls.cert_file,
            key_file=opts.tls.key_file,
        )
        try:
            # An empty request is valid OTLP: it reaches the receiver and stores nothing.
            res = grpc_export.export(chan, b"", headers=opts.headers, timeout=opts.timeout, scrub=scrub)
        except TransportError as err:
            f = ingest.from_transport(err, at, timeout=min(2.0, opts.timeout))
            return StepStatus.FAIL, f.message, [f], err.cause
        finally:
            chan.close()
        finding = ingest.from_result(res, at, sent_spans=0)
        if finding:
            return StepStatus.FAIL, finding.message, [finding], None
        return StepStatus.PASS, f"OTLP/gRPC export accepted ({res.elapsed_ms:.0f} ms)", [], None

    return _timed("collector-otlp-grpc", Stage.COLLECTOR_INGEST, target, run)


def _probe_http(opts: CheckOptions, scrub: Scrubber) -> _Probe:
    url = opts.http_endpoint
    hp = host_port_of(url)
    at = Attempt(Protocol.HTTP_PROTOBUF, url, hp.host, hp.port, url.startswith("https"), urlsplit(url).path)

    def run() -> tuple[StepStatus, str, list[Finding], Cause | None]:
        try:
            res = http_export.export(
                url,
                b"",
                content_type=http_export.PROTOBUF,
                headers=opts.headers,
                timeout=opts.timeout,
                tls=opts.tls,
                scrub=scrub,
            )
        except TransportError as err:
            f = ingest.from_transport(err, at, timeout=min(2.0, opts.timeout))
            return StepStatus.FAIL, f.message, [f], err.cause
        finding = ingest.from_result(res, at, sent_spans=0)
        if finding:
            return StepStatus.FAIL, finding.message, [finding], None
        return StepStatus.PASS, f"OTLP/HTTP export accepted ({res.elapsed_ms:.0f} ms)", [], None

    return _timed("collector-otlp-http", Stage.COLLECTOR_INGEST, url, run)


def _probe_health(opts: CheckOptions) -> _Probe:
    url = opts.health_url

    def run() -> tuple[StepStatus, str, list[Finding], Cause | None]:
        try:
            health = collector_health.probe(url, timeout=opts.timeout, tls=opts.tls)
        except TransportError as err:
            f = c.COLLECTOR_NO_HEALTH(
                f"The collector's health endpoint {url} does not answer ({err.detail}).", target=url
            )
            return StepStatus.SKIP, f.message, [f], err.cause
        if health is None:
            f = c.COLLECTOR_NO_HEALTH(f"{url} answers, but not as a collector health endpoint.", target=url)
            return StepStatus.SKIP, f.message, [f], None
        if health.healthy:
            return StepStatus.PASS, f"{health.flavour}: {health.status}", [], None
        ev = [f"{p.path}: {p.status} {p.error}".strip() for p in health.problems]
        f = c.COLLECTOR_UNHEALTHY(
            f"The collector reports {health.status} ({health.flavour}).", target=health.url, evidence=ev
        )
        return StepStatus.FAIL, f.message, [f], None

    return _timed("collector-health", Stage.COLLECTOR, url, run)


def _probe_jaeger(opts: CheckOptions) -> _Probe:
    url = opts.jaeger_url

    def run() -> tuple[StepStatus, str, list[Finding], Cause | None]:
        client = JaegerClient(url, timeout=opts.timeout, tls=opts.tls)
        try:
            services = client.services()
        except TransportError as err:
            f = c.JAEGER_UNREACHABLE(f"Jaeger's query API at {url} does not answer ({err.detail}).", target=url)
            return StepStatus.FAIL, f.message, [f], err.cause
        except JaegerError as err:
            kind = c.JAEGER_NOT_QUERY if err.not_jaeger else c.JAEGER_ERROR
            f = kind(f"{url}: {err}.", target=url)
            return StepStatus.FAIL, f.message, [f], None
        api = client.api.value if client.api else "?"
        return StepStatus.PASS, f"query API {api} answers; {len(services)} service(s) known", [], None

    return _timed("jaeger-query", Stage.JAEGER, url, run)


def run(opts: CheckOptions, progress: Progress | None = None) -> Report:
    """Run every probe concurrently (each bounded by opts.timeout) and diagnose."""
    progress = progress or NoProgress()
    scrub = Scrubber().with_headers(opts.headers)
    progress.update("probing the collector and Jaeger")
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="otdiag-probe") as pool:
        futures = [
            pool.submit(_probe_grpc, opts, scrub),
            pool.submit(_probe_http, opts, scrub),
            pool.submit(_probe_health, opts),
            pool.submit(_probe_jaeger, opts),
        ]
        grpc_p, http_p, health_p, jaeger_p = (f.result() for f in futures)
    findings = _diagnose(opts, grpc_p, http_p, health_p, jaeger_p)
    steps = [p.step for p in (grpc_p, http_p, health_p, jaeger_p)]
    return Report(
        "check",
        findings,
        {"steps": [s.to_json() for s in steps], "trace_id": None, "time_to_visible_ms": None},
    )


def _diagnose(opts: CheckOptions, grpc_p: _Probe, http_p: _Probe, health_p: _Probe, jaeger_p: _Probe) -> list[Finding]:
    findings: list[Finding] = []
    refused = {Cause.REFUSED}
    if grpc_p.cause in refused and http_p.cause in refused and health_p.cause in refused | {None}:
        findings.append(
            c.COLLECTOR_DOWN(
                f"The collector is not running: nothing listens at {grpc_p.step.target} (OTLP/gRPC) "
                f"or {http_p.step.target} (OTLP/HTTP).",
                target=grpc_p.step.target,
                evidence=[*grpc_p.findings[0].evidence, *http_p.findings[0].evidence],
            )
        )
    else:
        findings.extend(_ingest_findings(opts, grpc_p, http_p))
    findings.extend(health_p.findings)
    findings.extend(jaeger_p.findings)
    return findings


def _ingest_findings(opts: CheckOptions, grpc_p: _Probe, http_p: _Probe) -> list[Finding]:
    """The app's own protocol failing is an error; the other protocol failing is a note."""
    out: list[Finding] = []
    for proto, probe in ((Protocol.GRPC, grpc_p), (Protocol.HTTP_PROTOBUF, http_p)):
        if not probe.findings:
            continue
        if opts.protocol is None:
            other_ok = (http_p if proto is Protocol.GRPC else grpc_p).step.status is StepStatus.PASS
            sev = Severity.WARNING if other_ok else Severity.ERROR
        else:
            same = (proto is Protocol.GRPC) == (opts.protocol is Protocol.GRPC)
            sev = Severity.ERROR if same else Severity.INFO
        out.extend(replace(f, severity=sev) if f.severity is Severity.ERROR else f for f in probe.findings)
    return out
