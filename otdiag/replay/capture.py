"""The loopback receiver the capture exporters post to: what came out of each stage, and when."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

MAX_BODY = 64 * 1024 * 1024
MAX_SPANS_PER_STAGE = 50_000


@dataclass(frozen=True, slots=True)
class Captured:
    """One span as one stage let it out."""

    resource: ResourceSpans
    span: Span
    at: float
    """When it arrived (time.monotonic())."""


@dataclass
class Captures:
    """Every stage's output, by capture path; filled by the server's threads."""

    by_path: dict[str, list[Captured]] = field(default_factory=dict)
    last: float = 0.0
    """When the last request arrived (time.monotonic()); 0 before any."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, body: bytes) -> bool:
        from otdiag.listen.otlp_decode import PayloadError, decode_protobuf

        try:
            req = decode_protobuf(body)
        except PayloadError:
            return False
        now = time.monotonic()
        with self.lock:
            kept = self.by_path.setdefault(path, [])
            for rs in req.resource_spans:
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        if len(kept) < MAX_SPANS_PER_STAGE:
                            kept.append(Captured(rs, span, now))
            self.last = now
        return True

    def count(self, path: str) -> int:
        with self.lock:
            return len(self.by_path.get(path, ()))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._answer(413)
            return
        body = self.rfile.read(length)
        ok = self.server.captures.add(self.path.split("?", 1)[0], body)
        self._answer(200 if ok else 400)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    captures: Captures


class CaptureServer:
    """A loopback HTTP server taking OTLP/HTTP protobuf posts on any path."""

    def __init__(self) -> None:
        self.captures = Captures()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.captures = self.captures
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> CaptureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown()
            self._server.server_close()
