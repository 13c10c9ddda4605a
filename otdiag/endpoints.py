"""Parse and check the URLs and host:port values users pass, before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from otdiag import redact
from otdiag.errors import UsageError


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


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


def host_port_of(url: str) -> HostPort:
    parts = urlsplit(url)
    assert parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return HostPort(parts.hostname, port)


def with_port(url: str, port: int, path: str = "") -> str:
    """The same scheme and host as `url`, on another port (for sibling endpoints)."""
    hp = host_port_of(url)
    scheme = urlsplit(url).scheme
    return f"{scheme}://{HostPort(hp.host, port)}{path}"
