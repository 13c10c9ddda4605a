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


def chunked_forever(content_type: str = "application/x-protobuf") -> Responder:
    """Answers 200 with a chunked body that never ends (a chunk of junk every few milliseconds)."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"\xff" * 4096
        try:
            for _ in range(1_000_000):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                h.wfile.flush()
        except OSError:
            return

    return respond


def short_body(content_type: str = "application/x-protobuf") -> Responder:
    """Answers 200 claiming 1000 bytes, sends 2, and holds the connection open."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            h.wfile.write(b"\x0a\x00")
            h.wfile.flush()
            threading.Event().wait(30)
        except OSError:
            return

    return respond


def echo_auth(status: int = 401) -> Responder:
    """Answers `status` with a text body that repeats the request's Authorization header and path."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        body = f"denied {h.path} for {h.headers.get('Authorization', '-')} ({h.headers.get('X-Api-Key', '-')})"
        data = body.encode()
        h.send_response(status)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return respond


def routes(table: dict[str, Responder], default: Responder | None = None) -> Responder:
    """Dispatch on the request path's prefix (longest first); 404 otherwise."""

    def respond(h: BaseHTTPRequestHandler) -> None:
        for prefix in sorted(table, key=len, reverse=True):
            if h.path.startswith(prefix):
                table[prefix](h)
                return
        (default or reply(404, b"404 page not found", "text/plain"))(h)

    return respond


@contextmanager
def grpc_server(answer: Callable[[bytes], bytes] | None) -> Iterator[int]:
    """A gRPC server whose TraceService/Export answers with `answer(request)` as raw bytes;
    with None it takes the call and never answers (until the server stops)."""
    from concurrent import futures

    import grpc

    stop = threading.Event()

    def export(request: bytes, context: object) -> bytes:
        if answer is None:
            stop.wait(60)
            return b""
        return answer(request)

    handler = grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {"Export": grpc.unary_unary_rpc_method_handler(export)},
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[handler])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        stop.set()
        server.stop(0)
