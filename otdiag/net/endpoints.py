"""Parse and check the URLs and host:port values users pass, before anything is sent."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from otdiag import redact
from otdiag.errors import UsageError


@dataclass(frozen=True)
class HostPort:
    """A host and a port, as a receiver listens on them; shown as HOST:PORT ([IPv6]:PORT)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


def listen_address(text: str, option: str) -> HostPort | None:
    """HOST:PORT, [IPv6]:PORT, or `off` (None): where a receiver listens. UsageError with a one-line reason."""
    value = text.strip()
    if value.lower() in ("off", "none", "disabled"):
        return None
    if value.startswith("["):
        host, sep, port_s = value[1:].partition("]:")
        if not sep:
            raise UsageError(f"{option}: {text!r} must be HOST:PORT, e.g. [::1]:4317")
    else:
        host, sep, port_s = value.rpartition(":")
        if not sep or ":" in host:
            raise UsageError(f"{option}: {text!r} must be HOST:PORT, e.g. 127.0.0.1:4317")
    if not host:
        raise UsageError(
            f"{option}: {text!r} has no host; write 127.0.0.1:{port_s} (this machine only) "
            f"or 0.0.0.0:{port_s} (every interface) explicitly"
        )
    if not port_s.isdigit() or not 0 <= int(port_s) <= 65535:
        raise UsageError(f"{option}: {port_s!r} is not a port number (0-65535)")
    return HostPort(host, int(port_s))


def http_url(text: str, *, option: str) -> str:
    """An http(s) URL with a host, a valid port and no whitespace; returned without a trailing '/'."""
    value = text.strip()
    shown = redact.url(value)
    if not value or any(ch.isspace() for ch in value):
        raise UsageError(f"{option}: {shown!r} is not a URL (it is empty or contains spaces)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{option}: {shown!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{option}: {shown!r} must start with http:// or https://")
    if not parts.hostname:
        raise UsageError(f"{option}: {shown!r} has no host name")
    if port == 0:
        raise UsageError(f"{option}: {shown!r} has port 0")
    return value.rstrip("/") if parts.path in ("", "/") else value
