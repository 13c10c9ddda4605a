"""Read one export attempt (app -> collector) as findings: heading 1 of the guide.

The same rules serve `send-test-span` and `check`, so a refused port, a
TLS mismatch or a 415 reads the same whichever command met it.
"""

from __future__ import annotations

from dataclasses import replace

from otdiag import catalogue as c
from otdiag.model import Finding, Protocol
from otdiag.net.sniff import PortKind, sniff
from otdiag.net.transport import Cause, TransportError
from otdiag.otlp import classify
from otdiag.otlp.attempt import Attempt
from otdiag.otlp.result import ExportResult


def _failure(at: Attempt, **kw: object) -> classify.Failure:
    return classify.Failure(
        protocol=at.protocol,
        target=at.target,
        tls=at.secure,
        scheme=at.scheme,
        **kw,  # type: ignore[arg-type]
    )


def from_transport(err: TransportError, at: Attempt, *, probe_port: bool = True, timeout: float = 2.0) -> Finding:
    """A finding for an export that got no OTLP answer at all (the words come from `otlp.classify`)."""
    ev = [f"{at.protocol.value} export to {at.target}: {err.detail}"]
    failure = _failure(at, cause=err.cause, message=err.detail)
    if err.cause is Cause.CONNECT_TIMEOUT and at.protocol is Protocol.GRPC and probe_port and _accepts(at, timeout):
        ev.append(f"{at.host}:{at.port} accepts TCP connections")
        failure = replace(failure, tcp_accepts=True)
    elif err.cause in (Cause.CLOSED, Cause.PROTOCOL, Cause.OTHER, Cause.TOO_LARGE):
        # Closed, or answered in another protocol: look at what the port speaks.
        kind = sniff(at.host, at.port, timeout) if probe_port else PortKind.OTHER
        ev.append(f"{at.host}:{at.port} speaks {kind.value}")
        failure = replace(failure, port_speaks=kind.value)
        if kind in (PortKind.HTTP1, PortKind.H2C):
            v1 = jaeger_v1_finding(at, ev, timeout)
            if v1 is not None:
                return v1
    return classify.classify(failure).finding(target=at.target, evidence=ev)


def jaeger_v1_finding(at: Attempt, ev: list[str], timeout: float = 1.5) -> Finding | None:
    """The finding when the export's port is one of Jaeger v1's own (asked, not guessed from the number)."""
    from otdiag.jaeger import v1_ports

    scheme = "https" if at.secure else "http"
    host = f"[{at.host}]" if ":" in at.host else at.host
    port: v1_ports.Port | None = None
    if at.protocol is Protocol.GRPC and v1_ports.is_grpc_collector(
        f"{host}:{at.port}", secure=at.secure, timeout=timeout
    ):
        port = v1_ports.Port.GRPC_COLLECTOR
    if port is None:
        port = v1_ports.identify_http(f"{scheme}://{host}:{at.port}", timeout=timeout)
    if (
        port is None
        and at.protocol.is_http
        and v1_ports.is_grpc_collector(f"{host}:{at.port}", secure=at.secure, timeout=timeout)
    ):
        port = v1_ports.Port.GRPC_COLLECTOR
    if port is None:
        return None
    return c.INGEST_JAEGER_V1(
        f"{at.target} is {v1_ports.DESCRIBE[port]}, not an OTLP receiver.",
        target=at.target,
        evidence=[*ev, f"{at.host}:{at.port} answers as {v1_ports.DESCRIBE[port].split(' (')[0]}"],
        hint=v1_ports.fix(port),
    )


def _accepts(at: Attempt, timeout: float) -> bool:
    """Whether host:port completes a TCP handshake within min(1 s, timeout)."""
    import socket

    try:
        with socket.create_connection((at.host, at.port), timeout=min(1.0, timeout)):
            return True
    except OSError:
        return False


def from_result(res: ExportResult, at: Attempt, *, sent_spans: int) -> Finding | None:
    """A finding for the receiver's answer, or None when it accepted every span."""
    t = at.target
    said = f" The receiver said: {res.message!r}." if res.message else ""
    # Go's servers start their bodies with the status ("404 page not found"): say it once.
    told = res.message if res.message.startswith(str(res.status)) else f"{res.status} {res.message}".strip()
    ev = [f"{at.protocol.value} export to {t}: {told}"]
    if res.malformed is not None:
        return c.INGEST_NOT_OTLP(
            f"{t} answered {res.status}, but not with an OTLP export response: {res.malformed}.",
            target=t,
            evidence=[*ev, res.malformed],
        )
    if res.ok:
        if res.http_status is not None and res.content_type not in (
            "application/x-protobuf",
            "application/json",
        ):
            return c.INGEST_NOT_OTLP(
                f"{t} answered 200 with {res.content_type or 'no content type'}, not an OTLP response.",
                target=t,
                evidence=ev,
            )
        if (
            res.http_status is not None
            and at.protocol is Protocol.HTTP_PROTOBUF
            and res.content_type == "application/json"
        ):
            # A protobuf export answered in JSON: Jaeger v1's admin port answers every path with its health.
            v1 = jaeger_v1_finding(at, ev)
            if v1 is not None:
                return v1
        if res.rejected_spans > 0:
            return c.INGEST_PARTIAL(
                f"The receiver rejected {res.rejected_spans} of {sent_spans} span(s).{said}",
                target=t,
                evidence=ev,
            )
        return None
    grpc_code = None if res.http_status is not None else (res.grpc_code or res.status)
    failure = _failure(
        at, http_status=res.http_status, grpc_code=grpc_code, message=res.message, retry_after=res.retry_after
    )
    finding = classify.classify(failure).finding(target=t, evidence=ev)
    if finding.code in _MAYBE_JAEGER_V1:
        return jaeger_v1_finding(at, ev) or finding
    return finding


# What an OTLP export to one of Jaeger v1's own ports gets back (seen on the v1.76 all-in-one).
_MAYBE_JAEGER_V1 = {"ingest.http-400", "ingest.http-404", "ingest.http-405", "ingest.http-415", "ingest.path-missing",
                    "ingest.no-traces-pipeline", "ingest.not-otlp"}  # fmt: skip
