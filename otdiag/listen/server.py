"""Run the receivers and the query API together, on one asyncio loop thread plus grpcio's threads.

`Listener.start()` binds every socket first, so a port in use is one clear
error before anything runs; `stop()` closes them all. A "mux" endpoint (used
by `otdiag run`) speaks both OTLP/gRPC and OTLP/HTTP on one port: it peeks
at the first bytes and hands HTTP/2 (gRPC) connections to the gRPC receiver,
so an app reaches it whichever exporter class it uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from otdiag.listen.httpserver import MAX_HEADER_BYTES, HttpServer, Limits
from otdiag.listen.query_api import QueryApp
from otdiag.listen.receiver import JSON, PROTOBUF, GrpcReceiver, OtlpHttpApp, media_type
from otdiag.listen.store import SpanStore
from otdiag.net.endpoints import HostPort

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TLS_HANDSHAKE = b"\x16"
"""The first byte of a TLS record carrying a handshake (a ClientHello)."""
TLS_ANSWER = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
)
"""Go's answer to bytes that are no HTTP request: a TLS client reads it as "wrong version number"."""


class BindError(OSError):
    """A socket could not be bound; the message is one line for the user."""


def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


def bind_socket(addr: HostPort, what: str) -> socket.socket:
    sock = socket.socket(_family(addr.host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((addr.host, addr.port))
        sock.listen(256)
    except OSError as exc:
        sock.close()
        raise BindError(_bind_message(addr, what, exc)) from None
    except (OverflowError, UnicodeError):
        sock.close()
        raise BindError(f"{what}: cannot listen on {addr}: not a valid address") from None
    sock.setblocking(False)
    return sock


def _bind_message(addr: HostPort, what: str, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"{what}: {addr} is already in use (a collector, Jaeger or another otdiag listen?); pick another port"
    if exc.errno == errno.EACCES:
        return f"{what}: no permission to listen on {addr} (ports below 1024 need privileges)"
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return f"{what}: {addr.host} is not an address of this machine"
    if isinstance(exc, socket.gaierror):
        return f"{what}: the host name {addr.host!r} does not resolve"
    return f"{what}: cannot listen on {addr}: {exc.strerror or exc}"


@dataclass(frozen=True)
class Bound:
    grpc: HostPort | None
    http: HostPort | None
    query: HostPort | None
    mux: HostPort | None


class Listener:
    def __init__(
        self,
        store: SpanStore,
        *,
        grpc: HostPort | None = None,
        http: HostPort | None = None,
        query: HostPort | None = None,
        mux: HostPort | None = None,
        limits: Limits | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        other_signals: bool = False,
    ) -> None:
        self.store = store
        self._other_signals = other_signals
        self._want = (grpc, http, query, mux)
        self._limits = limits or Limits()
        self._on_error = on_error
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._grpc: GrpcReceiver | None = None
        self._grpc_front: socket.socket | None = None
        self._backend_port = 0
        """The private loopback port grpcio listens on (behind --grpc-endpoint's front and the mux)."""
        self._servers: list[HttpServer] = []
        self.bound: Bound | None = None

    def start(self) -> Bound:
        """Bind every socket (BindError, closing the others, when one cannot), then serve on them."""
        grpc_addr, http_addr, query_addr, mux_addr = self._want
        http_sock, query_sock, mux_sock, bound_grpc = self._bind()
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(loop, ready), name="otdiag-listen", daemon=True)
        self._thread.start()
        ready.wait(5)
        self._serve(loop, http_sock, query_sock, mux_sock, bound_grpc)
        if self._grpc is not None:
            self._grpc.start()
        self.bound = Bound(
            grpc=bound_grpc if grpc_addr is not None else None,
            http=_addr_of(http_sock, http_addr),
            query=_addr_of(query_sock, query_addr),
            mux=_addr_of(mux_sock, mux_addr),
        )
        return self.bound

    def _bind(self) -> tuple[socket.socket | None, socket.socket | None, socket.socket | None, HostPort | None]:
        """The HTTP, query and mux sockets, and the address the gRPC receiver got (None when not asked for)."""
        _, http_addr, query_addr, mux_addr = self._want
        socks: list[socket.socket] = []
        try:
            http_sock = _bind_if(http_addr, "OTLP/HTTP receiver", socks)
            query_sock = _bind_if(query_addr, "query API", socks)
            mux_sock = _bind_if(mux_addr, "OTLP receiver", socks)
            bound_grpc = self._bind_grpc()
        except BaseException:
            for s in socks:
                s.close()
            raise
        return http_sock, query_sock, mux_sock, bound_grpc

    def _bind_grpc(self) -> HostPort | None:
        """Bind the gRPC receiver, for --grpc-endpoint or behind the mux (then on any free loopback port)."""
        grpc_addr, _, _, mux_addr = self._want
        if grpc_addr is None and mux_addr is None:
            return None
        if grpc_addr is not None:
            # The user's gRPC port is a front that sees each connection's first bytes (so HTTP/1.1 or TLS
            # sent to it is recorded, as on the shared port) and hands every connection, unchanged, to
            # grpcio on a private loopback port: the client gets grpcio's own answer either way.
            self._grpc_front = bind_socket(grpc_addr, "OTLP/gRPC receiver")
        self._grpc = GrpcReceiver(self.store, other_signals=self._other_signals)
        try:
            port = self._grpc.bind("127.0.0.1", 0)
        except OSError:
            if self._grpc_front is not None:
                self._grpc_front.close()
                self._grpc_front = None
            raise BindError("OTLP/gRPC receiver: cannot listen on a loopback port") from None
        self._backend_port = port
        if self._grpc_front is not None and grpc_addr is not None:
            return HostPort(grpc_addr.host, int(self._grpc_front.getsockname()[1]))
        return HostPort("127.0.0.1", port)

    def _serve(
        self,
        loop: asyncio.AbstractEventLoop,
        http_sock: socket.socket | None,
        query_sock: socket.socket | None,
        mux_sock: socket.socket | None,
        bound_grpc: HostPort | None,
    ) -> None:
        """Start the HTTP servers on the bound sockets, on the loop's thread."""
        http_app = OtlpHttpApp(
            self.store, self._limits.max_body, other_signals=self._other_signals, address=_local(http_sock)
        )
        started: list[tuple[HttpServer, socket.socket]] = []
        if http_sock:
            started.append((HttpServer(http_app, self._limits, on_error=self._on_error), http_sock))
        if query_sock:
            started.append((HttpServer(QueryApp(self.store), self._limits, on_error=self._on_error), query_sock))
        for server, sock in started:
            asyncio.run_coroutine_threadsafe(server.start(sock), loop).result(5)
            self._servers.append(server)
        if mux_sock is not None and bound_grpc is not None:
            mux_app = OtlpHttpApp(
                self.store, self._limits.max_body, other_signals=self._other_signals, port="shared",
                address=_local(mux_sock),
            )  # fmt: skip
            mux_server = HttpServer(mux_app, self._limits, on_error=self._on_error)
            asyncio.run_coroutine_threadsafe(self._start_mux(mux_server, mux_sock, self._backend_port), loop).result(5)
            self._servers.append(mux_server)
        if self._grpc_front is not None:
            front = self._grpc_front
            asyncio.run_coroutine_threadsafe(self._start_grpc_front(front, _local(front)), loop).result(5)

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        loop.run_forever()

    async def _start_mux(self, server: HttpServer, sock: socket.socket, grpc_port: int) -> None:
        http_app = server.app
        assert isinstance(http_app, OtlpHttpApp)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                first = await asyncio.wait_for(reader.read(len(H2_PREFACE)), self._limits.header_timeout)
                while first and len(first) < len(H2_PREFACE) and H2_PREFACE.startswith(first):
                    more = await asyncio.wait_for(reader.read(len(H2_PREFACE) - len(first)), 10)
                    if not more:
                        break
                    first += more
            except (TimeoutError, ConnectionError):
                writer.close()
                return
            if first[:1] == TLS_HANDSHAKE:
                # A TLS ClientHello on a plaintext port: answer as Go's net/http does (the collector's HTTP
                # port), so the client's handshake fails at once ("wrong version number"), not after a timeout.
                http_app.refused_connection("tls", "400")
                with contextlib.suppress(ConnectionError):
                    writer.write(TLS_ANSWER)
                    await writer.drain()
                writer.close()
                return
            if first.startswith(H2_PREFACE):
                await _proxy(first, reader, writer, grpc_port)
                return
            fed = asyncio.StreamReader(limit=MAX_HEADER_BYTES + 4096)  # as on the plain ports: 431 past it
            fed.feed_data(first)

            async def pump() -> None:
                try:
                    while chunk := await reader.read(65536):
                        fed.feed_data(chunk)
                except ConnectionError:
                    pass
                finally:
                    fed.feed_eof()

            task = asyncio.ensure_future(pump())
            try:
                await server.serve_connection(fed, writer)
            except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
                pass
            finally:
                task.cancel()
                writer.close()

        srv = await asyncio.start_server(serve, sock=sock)
        self._mux_server = srv

    async def _start_grpc_front(self, sock: socket.socket, address: str) -> None:
        """The --grpc-endpoint port: record HTTP/1.1 and TLS sent to it, then pass every connection to grpcio."""
        refused = self.store.refused
        backend = self._backend_port

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                first = await _first_bytes(reader, self._limits.header_timeout)
            except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                return
            if first[:1] == TLS_HANDSHAKE:
                refused.add(path="", transport="tls", status="closed", port="grpc", address=address)
            elif not first.startswith(H2_PREFACE) and (head := _http1_head(first)) is not None:
                path, content_type, host = head
                mtype = media_type(content_type)
                transport = "http/json" if mtype == JSON else "http/protobuf" if mtype == PROTOBUF else "http"
                refused.add(
                    path=path, transport=transport, status="closed", port="grpc", content_type=content_type,
                    address=host[:100] or address,
                )  # fmt: skip
            await _proxy(first, reader, writer, backend)

        self._front_server = await asyncio.start_server(serve, sock=sock)

    def stop(self) -> None:
        loop = self._loop
        if loop is not None:
            for server in self._servers:
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
            for name in ("_mux_server", "_front_server"):
                srv = getattr(self, name, None)
                if srv is not None:
                    loop.call_soon_threadsafe(srv.close)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(5)
            with contextlib.suppress(Exception):
                loop.close()
            self._loop = None
        if self._grpc is not None:
            self._grpc.stop()
            self._grpc = None


HTTP1_METHODS = (b"POST ", b"GET ", b"PUT ", b"HEAD ", b"OPTIONS ", b"DELETE ", b"PATCH ")
HEAD_READ_TIMEOUT = 2.0
"""How long the gRPC front waits for the rest of an HTTP/1.1 request's head before passing it on as it is."""


async def _first_bytes(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """The connection's first bytes: the HTTP/2 preface's length, or the whole HTTP/1.1 head (bounded)."""
    first = await asyncio.wait_for(reader.read(len(H2_PREFACE)), timeout)
    while first and len(first) < len(H2_PREFACE) and H2_PREFACE.startswith(first):
        more = await asyncio.wait_for(reader.read(len(H2_PREFACE) - len(first)), timeout)
        if not more:
            return first
        first += more
    if first.startswith(HTTP1_METHODS):
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HEAD_READ_TIMEOUT):
                while b"\r\n\r\n" not in first and len(first) < MAX_HEADER_BYTES:
                    more = await reader.read(MAX_HEADER_BYTES - len(first))
                    if not more:
                        break
                    first += more
    return first


def _http1_head(first: bytes) -> tuple[str, str, str] | None:
    """(path, Content-Type, Host) of an HTTP/1.x request head, or None when `first` is not one."""
    if not first.startswith(HTTP1_METHODS):
        return None
    lines = first.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers.setdefault(name.strip().lower().decode("latin-1"), value.strip().decode("latin-1"))
    path = parts[1].decode("latin-1") or "/"
    return path, headers.get("content-type", ""), headers.get("host", "")


def _bind_if(addr: HostPort | None, what: str, socks: list[socket.socket]) -> socket.socket | None:
    """`addr` bound (and added to `socks`), or None when not asked for."""
    if addr is None:
        return None
    sock = bind_socket(addr, what)
    socks.append(sock)
    return sock


def _local(sock: socket.socket | None) -> str:
    """host:port a socket is bound to ("" for none)."""
    if sock is None:
        return ""
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _addr_of(sock: socket.socket | None, want: HostPort | None) -> HostPort | None:
    if sock is None or want is None:
        return None
    return HostPort(want.host, int(sock.getsockname()[1]))


async def _proxy(first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        writer.close()
        return
    up_writer.write(first)

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while chunk := await src.read(65536):
                dst.write(chunk)
                await dst.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.close()

    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
