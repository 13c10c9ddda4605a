"""Turn low-level network errors into a small set of causes a user can act on.

Every client in otdiag (OTLP HTTP and gRPC, Jaeger's API, collector health and
metrics) reports failures as a `TransportError` with one of these causes, so
that findings are worded the same whichever client met the problem.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass
from enum import StrEnum


class Cause(StrEnum):
    REFUSED = "refused"
    """Nothing listens on that port (TCP RST on connect)."""
    CONNECT_TIMEOUT = "connect-timeout"
    """No answer to the TCP handshake: a black hole, firewall or wrong address."""
    READ_TIMEOUT = "read-timeout"
    """Connected, but the server did not answer in time."""
    DNS = "dns"
    """The host name does not resolve."""
    UNREACHABLE = "unreachable"
    """No route to the host or network."""
    TLS_TO_PLAINTEXT = "tls-to-plaintext"
    """We spoke TLS to a port that speaks plaintext."""
    PLAINTEXT_TO_TLS = "plaintext-to-tls"
    """We spoke plaintext to a port that expects TLS."""
    TLS_UNKNOWN_CA = "tls-unknown-ca"
    TLS_EXPIRED = "tls-expired"
    TLS_HOSTNAME = "tls-hostname"
    TLS_CLIENT_CERT = "tls-client-cert"
    """The server wants a client certificate (mTLS) we did not give, or rejected ours."""
    TLS_OTHER = "tls-other"
    CLOSED = "closed"
    """The server closed or reset the connection without a proper answer."""
    PROTOCOL = "protocol"
    """The server answered with something that is not the protocol we spoke."""
    TOO_LARGE = "too-large"
    """The answer was larger than otdiag is willing to read."""
    OTHER = "other"


@dataclass
class TransportError(Exception):
    cause: Cause
    detail: str

    def __str__(self) -> str:
        return f"{self.cause.value}: {self.detail}"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def classify_tls_text(text: str) -> Cause | None:
    """The cause named by an OpenSSL / Go / gRPC TLS error text, if any."""
    t = text.lower()
    if "wrong_version_number" in t or "wrong version number" in t or "first record does not look like" in t:
        return Cause.TLS_TO_PLAINTEXT
    if "packet length too long" in t or "record layer failure" in t or "http_request" in t:
        return Cause.TLS_TO_PLAINTEXT
    if "certificate has expired" in t or "certificate_expired" in t or ("expired" in t and "certificate" in t):
        return Cause.TLS_EXPIRED
    if (
        "hostname verification" in t
        or "hostname mismatch" in t
        or "ip address mismatch" in t
        or "doesn't match" in t
        or "not valid for" in t
    ):
        return Cause.TLS_HOSTNAME
    if "unable to get local issuer" in t or "self-signed" in t or "self signed" in t or "unknown authority" in t:
        return Cause.TLS_UNKNOWN_CA
    if "unknown ca" in t and "alert" not in t:
        return Cause.TLS_UNKNOWN_CA
    if "certificate required" in t or "certificate_required" in t or ("handshake failure" in t and "alert" in t):
        return Cause.TLS_CLIENT_CERT
    if "tlsv13 alert" in t or "sslv3 alert bad certificate" in t or "alert unknown ca" in t:
        return Cause.TLS_CLIENT_CERT
    if "certificate verify failed" in t:
        return Cause.TLS_UNKNOWN_CA
    return None


def classify(exc: BaseException) -> TransportError:
    """Map an exception from httpx, ssl or socket to a `TransportError`."""
    if isinstance(exc, TransportError):
        return exc
    chain = _chain(exc)
    for e in chain:
        found = _by_os_error(e)
        if found is not None:
            return found
    for e in chain:
        found = _by_httpx(e)
        if found is not None:
            return found
    return _by_text(" | ".join(str(e) for e in chain if str(e)), exc)


def _by_os_error(e: BaseException) -> TransportError | None:
    """TLS, DNS and socket errors, by their type."""
    if isinstance(e, ssl.SSLCertVerificationError):
        verify_msg = getattr(e, "verify_message", "") or str(e)
        cause = classify_tls_text(verify_msg) or Cause.TLS_UNKNOWN_CA
        return TransportError(cause, f"certificate verify failed: {verify_msg}")
    if isinstance(e, ssl.SSLError):
        return TransportError(classify_tls_text(str(e)) or Cause.TLS_OTHER, str(e))
    if isinstance(e, socket.gaierror):
        return TransportError(Cause.DNS, f"host name does not resolve ({e.strerror or e})")
    if isinstance(e, ConnectionRefusedError):
        return TransportError(Cause.REFUSED, "connection refused")
    if isinstance(e, ConnectionResetError | BrokenPipeError):
        return TransportError(Cause.CLOSED, "connection reset by the server")
    if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return TransportError(Cause.UNREACHABLE, e.strerror or str(e))
    return None


def _by_httpx(e: BaseException) -> TransportError | None:
    """Timeouts and broken connections, by httpx's (and the standard library's) types."""
    from otdiag.net import without_httpx_cli

    without_httpx_cli()
    import httpx  # only HTTP failures need its exception types; keeps gRPC-only runs light

    if isinstance(e, httpx.ConnectTimeout):
        return TransportError(Cause.CONNECT_TIMEOUT, "no answer to the connection attempt")
    if isinstance(e, httpx.TimeoutException | TimeoutError | socket.timeout):
        return TransportError(Cause.READ_TIMEOUT, "connected, but no answer in time")
    if isinstance(e, httpx.RemoteProtocolError):
        if "without sending" in str(e) or "disconnected" in str(e).lower():
            return TransportError(Cause.CLOSED, "the server closed the connection without an answer")
        return TransportError(Cause.PROTOCOL, f"not an HTTP/1.1 answer ({e})")
    if isinstance(e, httpx.ReadError | httpx.WriteError):
        return TransportError(Cause.CLOSED, f"the connection broke ({e or 'closed'})")
    if isinstance(e, httpx.UnsupportedProtocol):
        return TransportError(Cause.OTHER, str(e))
    return None


def _by_text(text: str, exc: BaseException) -> TransportError:
    """The last resort: what the messages of the exception chain say."""
    low = text.lower()
    if "name or service not known" in low or "nodename nor servname" in low or "no address associated" in low:
        return TransportError(Cause.DNS, "host name does not resolve")
    if "temporary failure in name resolution" in low:
        return TransportError(Cause.DNS, "host name does not resolve (temporary failure in name resolution)")
    if "connection refused" in low:
        return TransportError(Cause.REFUSED, "connection refused")
    tls = classify_tls_text(text)
    if tls is not None:
        return TransportError(tls, text)
    return TransportError(Cause.OTHER, text or type(exc).__name__)
