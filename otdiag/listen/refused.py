"""Export requests the receiver refused or that came in the wrong protocol, kept for the live view and the summary.

A doubled or missing /v1/traces path, gRPC sent to the HTTP port, TLS sent to a plaintext port, a wrong
Content-Type: each is one `RefusedRequest` (path, transport, status) with a count and when it was first
seen. The list is bounded (MAX_KINDS distinct requests; more are only counted), and each entry reads as
the finding `send-test-span` gives for the same failure (otdiag.otlp.classify), so `listen` and `run`
name the fix instead of "no export request arrived".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from otdiag.model import Finding, Protocol
from otdiag.net.transport import Cause
from otdiag.redact import clean

MAX_KINDS = 32
"""Distinct refused requests kept (by port, path, transport and status); more are counted in `overflow`."""


@dataclass(frozen=True, slots=True)
class RefusedRequest:
    """One kind of request the receiver refused, with how often and since when."""

    path: str
    """The request's path ("/", "/v1/traces/v1/traces"), or "" for a connection with no HTTP request."""
    transport: str
    """What the client spoke: http/protobuf, http/json, http, grpc, tls."""
    status: str
    """What the receiver answered: 404, 415, 405, 400, or "closed"."""
    port: str
    """Which receiver: "http", "grpc" or "shared" (run's one port)."""
    count: int
    first_seen: float
    """Unix time of the first one."""
    content_type: str = ""
    address: str = ""
    """host:port the request reached (for the classifier's words)."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.port, self.path, self.transport, self.status)

    def to_json(self, *, set_in_code: bool = False) -> dict[str, Any]:
        finding = self.finding(set_in_code=set_in_code)
        return {
            "path": self.path,
            "transport": self.transport,
            "status": self.status,
            "port": self.port,
            "count": self.count,
            "first_seen": round(self.first_seen, 3),
            "content_type": self.content_type or None,
            "code": finding.code,
            "fix": finding.hint,
        }

    def describe(self) -> str:
        """One line: what came in and what it got."""
        what = {"grpc": "a gRPC call", "tls": "a TLS handshake"}.get(self.transport, f"{self.transport} POST")
        where = f" to {self.path}" if self.path else ""
        ct = f" (Content-Type {self.content_type})" if self.content_type and self.status == "415" else ""
        times = f" ({self.count}x)" if self.count > 1 else ""
        got = "was cut off (the port speaks HTTP/2 only)" if self.status == "closed" else f"got {self.status}"
        return f"{what}{where}{ct} on the {self.port} port {got}{times}"

    def finding(self, *, set_in_code: bool = False) -> Finding:
        """What `send-test-span` would say about the same request (the same code and fix).

        `set_in_code`: the app's environment names this receiver's base URL (`otdiag run`), so a wrong
        path comes from the exporter's constructor.
        """
        from otdiag.otlp.classify import Failure, classify

        host = self.address or "127.0.0.1"
        url = f"http://{host}{self.path}"
        if self.transport == "tls":
            failure = Failure(Protocol.GRPC, host, cause=Cause.TLS_TO_PLAINTEXT, tls=True)
        elif self.transport == "grpc" and self.port == "http":
            failure = Failure(Protocol.GRPC, host, cause=Cause.PROTOCOL, port_speaks="http/1.1")
        elif self.port == "grpc" and self.transport.startswith("http"):
            failure = Failure(Protocol.HTTP_PROTOBUF, url, cause=Cause.CLOSED, port_speaks="h2c")
        elif self.status.isdigit():
            proto = Protocol.HTTP_JSON if self.transport == "http/json" else Protocol.HTTP_PROTOBUF
            failure = Failure(proto, url, http_status=int(self.status), set_in_code=set_in_code)
        else:
            failure = Failure(Protocol.GRPC, host, grpc_code=self.status)
        got = classify(failure)
        return got.finding(target=url if self.path else host, evidence=[f"The receiver saw {self.describe()}."])


class RefusedLog:
    """Thread-safe and bounded: receivers add from their threads, the CLI reads."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str, str], RefusedRequest] = {}
        self.overflow = 0
        self._listeners: list[Callable[[RefusedRequest], None]] = []

    def subscribe(self, listener: Callable[[RefusedRequest], None]) -> None:
        """`listener` is called (on the receiver's thread) with the first request of each kind."""
        with self._lock:
            self._listeners.append(listener)

    def add(
        self, *, path: str, transport: str, status: str, port: str, content_type: str = "", address: str = ""
    ) -> None:
        item = RefusedRequest(
            path=clean(path)[:200], transport=transport, status=status, port=port, count=1,
            first_seen=self._clock(), content_type=clean(content_type)[:80], address=address,
        )  # fmt: skip
        with self._lock:
            old = self._items.get(item.key)
            if old is not None:
                self._items[item.key] = replace(old, count=old.count + 1)
                return
            if len(self._items) >= MAX_KINDS:
                self.overflow += 1
                return
            self._items[item.key] = item
            listeners = list(self._listeners)
        for listener in listeners:
            listener(item)

    def items(self) -> tuple[RefusedRequest, ...]:
        """Every kind seen, first seen first."""
        with self._lock:
            return tuple(sorted(self._items.values(), key=lambda r: r.first_seen))
