"""Hand-made servers for what no real peer does: black holes, hung, lying and flooding servers.

Everything else is tested against the real collector, Jaeger and rotel.
All listen on 127.0.0.1 port 0 and stop when their context ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def black_hole() -> Iterator[int]:
    """A port whose connection attempts are never answered: the accept queue is full, SYNs are dropped."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port: int = srv.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=2)  # occupies the only queue slot
    try:
        yield port
    finally:
        filler.close()
        srv.close()


@contextmanager
def silent_server() -> Iterator[int]:
    """Accepts connections, reads, and never answers (a hung process)."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port: int = srv.getsockname()[1]
    stop = threading.Event()
    held: list[socket.socket] = []

    def loop() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield port
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        srv.close()


Responder = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def http_server(respond: Responder) -> Iterator[int]:
    """An HTTP/1.1 server whose every request is answered by `respond(handler)`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            respond(self)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def reply(status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> Responder:
    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    return respond


def flood(content_type: str = "application/json") -> Responder:
    """Claims a body of 8 GiB and streams zeros until the client gives up."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(8 * 1024**3))
        h.end_headers()
        chunk = b"0" * 65536
        try:
            for _ in range(8 * 1024**3 // 65536):
                h.wfile.write(chunk)
        except OSError:
            return

    return respond


def drip(interval: float = 0.5) -> Responder:
    """Sends a valid status line, then one byte of body every `interval` seconds, for ever."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000000")
        h.end_headers()
        try:
            for _ in range(1000000):
                h.wfile.write(b" ")
                h.wfile.flush()
                threading.Event().wait(interval)
        except OSError:
            return

    return respond
