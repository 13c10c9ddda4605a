"""Find out what a TCP port actually speaks, to explain a failed export.

When an exporter's connection is closed or answered in the wrong protocol, a
few bytes settle what the port is: HTTP/1.1 (an OTLP/HTTP receiver, or Jaeger's
query port), HTTP/2 cleartext (a gRPC receiver), TLS, or something else.
"""

from __future__ import annotations

import socket
import ssl
import time
from enum import StrEnum

# The HTTP/2 client connection preface and an empty SETTINGS frame (RFC 9113 §3.4).
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


class PortKind(StrEnum):
    HTTP1 = "http/1.1"
    H2C = "h2c"
    """HTTP/2 without TLS: what a plaintext gRPC server speaks."""
    TLS = "tls"
    CLOSED = "closed"
    """Accepts connections and closes them without a word."""
    SILENT = "silent"
    """Accepts connections and says nothing."""
    UNREACHABLE = "unreachable"
    OTHER = "other"


def _exchange(host: str, port: int, payload: bytes, timeout: float) -> bytes | None:
    """Send `payload`, return what came back (b"" if closed), None if nothing in time."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendall(payload)
            return sock.recv(256)
        except TimeoutError:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return b""


def _speaks_tls(host: str, port: int, timeout: float) -> bool:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except ssl.SSLError as exc:
        # A server that wants a client certificate still speaks TLS.
        return "alert" in str(exc).lower() and "wrong_version" not in str(exc).lower()
    except OSError:
        return False


def sniff(host: str, port: int, timeout: float = 2.0) -> PortKind:
    """Classify the protocol at host:port within about `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    each = max(0.2, timeout / 3)
    try:
        reply = _exchange(host, port, b"GET / HTTP/1.1\r\nHost: otdiag\r\nConnection: close\r\n\r\n", each)
    except OSError:
        return PortKind.UNREACHABLE
    if reply and b"HTTP request to an HTTPS server" in reply:
        return PortKind.TLS  # Go's TLS listeners answer plaintext HTTP with this 400
    if reply and reply.startswith(b"HTTP/1."):
        return PortKind.HTTP1
    if reply and reply[:1] == b"\x15":  # a TLS alert record in answer to plaintext
        return PortKind.TLS
    if reply is None and time.monotonic() > deadline:
        return PortKind.SILENT
    try:
        h2 = _exchange(host, port, _H2_PREFACE, max(0.2, min(each, deadline - time.monotonic())))
    except OSError:
        h2 = b""
    if h2 and len(h2) >= 9 and h2[3] == 0x04:  # the server's SETTINGS frame
        return PortKind.H2C
    if time.monotonic() < deadline and _speaks_tls(host, port, max(0.2, deadline - time.monotonic())):
        return PortKind.TLS
    if reply is None and h2 is None:
        return PortKind.SILENT
    if reply == b"" or h2 == b"":
        return PortKind.CLOSED
    return PortKind.OTHER
