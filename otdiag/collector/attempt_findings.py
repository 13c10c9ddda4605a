"""Read one export attempt (app -> collector) as findings: heading 1 of the guide.

The same rules serve `send-test-span` and `check`, so a refused port, a
TLS mismatch or a 415 reads the same whichever command met it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag.model import Finding, Protocol
from otdiag.net.sniff import PortKind, sniff
from otdiag.net.transport import Cause, TransportError
from otdiag.otlp.attempt import Attempt
from otdiag.otlp.result import ExportResult

_TLS_KINDS = {
    Cause.TLS_TO_PLAINTEXT: c.INGEST_TLS_TO_PLAINTEXT,
    Cause.PLAINTEXT_TO_TLS: c.INGEST_PLAINTEXT_TO_TLS,
    Cause.TLS_UNKNOWN_CA: c.INGEST_TLS_UNKNOWN_CA,
    Cause.TLS_EXPIRED: c.INGEST_TLS_EXPIRED,
    Cause.TLS_HOSTNAME: c.INGEST_TLS_HOSTNAME,
    Cause.TLS_CLIENT_CERT: c.INGEST_TLS_CLIENT_CERT,
    Cause.TLS_OTHER: c.INGEST_TLS_OTHER,
}


def from_transport(err: TransportError, at: Attempt, *, probe_port: bool = True, timeout: float = 2.0) -> Finding:
    """A finding for an export that got no OTLP answer at all."""
    ev = [f"{at.protocol.value} export to {at.target}: {err.detail}"]
    t = at.target
    match err.cause:
        case Cause.REFUSED:
            return c.INGEST_REFUSED(f"Nothing listens at {t} (connection refused).", target=t, evidence=ev)
        case Cause.CONNECT_TIMEOUT if at.protocol is Protocol.GRPC and probe_port and _accepts(at, timeout):
            # gRPC says only "deadline exceeded": a port that takes a TCP connection at once is a server
            # that took the call and never answered, not a connection attempt that timed out.
            ev.append(f"{at.host}:{at.port} accepts TCP connections")
            return c.INGEST_SLOW(
                f"{t} accepted the connection but sent no answer to the gRPC call in time.", target=t, evidence=ev
            )
        case Cause.CONNECT_TIMEOUT:
            return c.INGEST_TIMEOUT(f"No answer from {t}: the connection attempt timed out.", target=t, evidence=ev)
        case Cause.READ_TIMEOUT:
            return c.INGEST_SLOW(f"{t} accepted the connection but sent no answer in time.", target=t, evidence=ev)
        case Cause.DNS:
            return c.INGEST_DNS(f"The host name {at.host!r} does not resolve.", target=t, evidence=ev)
        case Cause.UNREACHABLE:
            return c.INGEST_UNREACHABLE(f"No route to {t}.", target=t, evidence=ev)
        case cause if cause in _TLS_KINDS:
            return _tls_finding(cause, at, ev)
        case _:
            pass
    # Closed, or answered in another protocol: look at what the port speaks.
    kind = sniff(at.host, at.port, timeout) if probe_port else PortKind.OTHER
    ev.append(f"{at.host}:{at.port} speaks {kind.value}")
    if kind is PortKind.TLS and not at.secure:
        return c.INGEST_PLAINTEXT_TO_TLS(
            f"{t} expects TLS, but the export was sent in plaintext.", target=t, evidence=ev
        )
    if kind in (PortKind.HTTP1, PortKind.H2C):
        v1 = jaeger_v1_finding(at, ev, timeout)
        if v1 is not None:
            return v1
    if at.protocol is Protocol.GRPC and kind is PortKind.HTTP1:
        return c.INGEST_GRPC_TO_HTTP(
            f"{t} speaks HTTP/1.1, not gRPC: it looks like an OTLP/HTTP port.", target=t, evidence=ev
        )
    if at.protocol.is_http and kind is PortKind.H2C:
        return c.INGEST_HTTP_TO_GRPC(
            f"{t} speaks HTTP/2 (gRPC), not HTTP/1.1: it looks like an OTLP/gRPC port.", target=t, evidence=ev
        )
    if err.cause is Cause.CLOSED:
        return c.INGEST_CLOSED(f"{t} closed the connection without answering.", target=t, evidence=ev)
    return c.INGEST_NOT_OTLP(f"{t} did not answer as an OTLP receiver ({err.detail}).", target=t, evidence=ev)


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


def _tls_finding(cause: Cause, at: Attempt, ev: list[str]) -> Finding:
    t = at.target
    messages = {
        Cause.TLS_TO_PLAINTEXT: f"The export spoke TLS to {t}, but that port is plaintext.",
        Cause.PLAINTEXT_TO_TLS: f"{t} expects TLS, but the export was sent in plaintext.",
        Cause.TLS_UNKNOWN_CA: f"{t}'s certificate is signed by an unknown CA.",
        Cause.TLS_EXPIRED: f"{t}'s certificate has expired or is not yet valid.",
        Cause.TLS_HOSTNAME: f"{t}'s certificate does not match the host name {at.host!r}.",
        Cause.TLS_CLIENT_CERT: f"{t} requires a client certificate (mTLS) and rejected the handshake.",
        Cause.TLS_OTHER: f"The TLS handshake with {t} failed.",
    }
    hint = None
    if cause is Cause.TLS_TO_PLAINTEXT and at.protocol is Protocol.GRPC:
        hint = (
            "Use http://host:4317 (plaintext) or OTEL_EXPORTER_OTLP_INSECURE=true; "
            "a scheme-less gRPC endpoint means TLS."
        )
    elif cause is Cause.TLS_TO_PLAINTEXT:
        hint = "Use http:// instead of https:// in the endpoint."
    return _TLS_KINDS[cause](messages[cause], target=t, evidence=ev, hint=hint)


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
    finding = _http_error(res, at, said, ev) if res.http_status is not None else _grpc_error(res, at, said, ev)
    if finding.code in _MAYBE_JAEGER_V1:
        return jaeger_v1_finding(at, ev) or finding
    return finding


# What an OTLP export to one of Jaeger v1's own ports gets back (seen on the v1.76 all-in-one).
_MAYBE_JAEGER_V1 = {"ingest.http-400", "ingest.http-404", "ingest.http-405", "ingest.http-415", "ingest.path-missing",
                    "ingest.no-traces-pipeline", "ingest.not-otlp"}  # fmt: skip


def _http_error(res: ExportResult, at: Attempt, said: str, ev: list[str]) -> Finding:
    t = at.target
    status = res.http_status or 0
    if "sending queue is full" in res.message.lower():
        return _queue_full(t, said, ev)
    path = urlsplit(t).path
    if status == 404:
        if path.rstrip("/").endswith("/v1/traces/v1/traces"):
            return c.INGEST_PATH_DOUBLED(f"404 from {t}: the path has /v1/traces twice.", target=t, evidence=ev)
        if path in ("", "/"):
            return c.INGEST_PATH_MISSING(f"404 from {t}: the URL has no /v1/traces path.", target=t, evidence=ev)
        if path.rstrip("/") == "/v1/traces" or path.endswith("/v1/traces"):
            return c.INGEST_NO_TRACES(
                f"404 from {t}: the path is right, so the receiver is likely not in a traces pipeline.",
                target=t,
                evidence=ev,
                hint="Add the receiver to a traces pipeline, or check for a trailing slash or proxy prefix.",
            )
        return c.INGEST_NOT_FOUND(f"404 from {t}: nothing is served at {path}.", target=t, evidence=ev)
    if status == 405:
        return c.INGEST_METHOD(f"405 from {t}: the method is not allowed there.{said}", target=t, evidence=ev)
    if status == 415:
        return c.INGEST_MEDIA_TYPE(f"415 from {t}: the Content-Type was refused.{said}", target=t, evidence=ev)
    if status in (401, 403):
        return c.INGEST_AUTH(f"{status} from {t}: the receiver refused the credentials.{said}", target=t, evidence=ev)
    if status == 413:
        return c.INGEST_TOO_LARGE(f"413 from {t}: the request is too large.{said}", target=t, evidence=ev)
    if status == 400:
        if "http request to an https server" in res.message.lower():
            return c.INGEST_PLAINTEXT_TO_TLS(
                f"{t} expects TLS, but the export was sent in plaintext.{said}", target=t, evidence=ev
            )
        if "too large" in res.message.lower() or "larger than" in res.message.lower():
            return c.INGEST_TOO_LARGE(f"400 from {t}: the request is too large.{said}", target=t, evidence=ev)
        return c.INGEST_BAD_REQUEST(f"400 from {t}: the request could not be decoded.{said}", target=t, evidence=ev)
    if status in (429, 503):
        retry = f" (Retry-After: {res.retry_after})" if res.retry_after else ""
        return c.COLLECTOR_REFUSING(
            f"{status} from {t}: the collector is refusing data{retry}.{said}", target=t, evidence=ev
        )
    return c.INGEST_REJECTED(f"{status} from {t}.{said}", target=t, evidence=ev)


def _queue_full(t: str, said: str, ev: list[str]) -> Finding:
    return c.EXPORT_QUEUE_FULL(
        f"The collector at {t} turned the span away because its exporter's sending queue is full.{said}",
        target=t,
        evidence=ev,
    )


def _grpc_error(res: ExportResult, at: Attempt, said: str, ev: list[str]) -> Finding:
    t = at.target
    code = res.grpc_code or res.status
    msg = res.message.lower()
    if "sending queue is full" in msg:
        return _queue_full(t, said, ev)
    if "too large" in msg or "larger than max" in msg:
        return c.INGEST_TOO_LARGE(f"{code} from {t}: the request is too large.{said}", target=t, evidence=ev)
    if code == "UNIMPLEMENTED" and "http2 header with status" in msg:
        # An HTTP server that speaks HTTP/2 (h2c) answered the gRPC call with a plain HTTP status.
        return c.INGEST_GRPC_TO_HTTP(
            f"{t} answered the gRPC call with an HTTP status: an HTTP port (OTLP/HTTP?), not gRPC.{said}",
            target=t,
            evidence=ev,
        )
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return c.INGEST_AUTH(f"{code} from {t}: the receiver refused the credentials.{said}", target=t, evidence=ev)
    if code == "RESOURCE_EXHAUSTED":
        if "larger than max" in msg or "message larger" in msg or "received message larger" in msg:
            return c.INGEST_TOO_LARGE(f"RESOURCE_EXHAUSTED from {t}: message too large.{said}", target=t, evidence=ev)
        return c.COLLECTOR_REFUSING(f"RESOURCE_EXHAUSTED from {t}.{said}", target=t, evidence=ev)
    if code == "UNIMPLEMENTED":
        return c.INGEST_NO_TRACES(
            f"UNIMPLEMENTED from {t}: the port has no OTLP trace service.{said}", target=t, evidence=ev
        )
    if code == "UNAVAILABLE":
        return c.COLLECTOR_REFUSING(
            f"UNAVAILABLE from {t}: the collector refused the data.{said}", target=t, evidence=ev
        )
    return c.INGEST_REJECTED(f"{code} from {t}.{said}", target=t, evidence=ev)
