"""A small HTTP/1.1 server on asyncio that answers malformed and hostile clients as Go's net/http does.

Go's server is what the collector and Jaeger run, so its answers are the
ones to copy: `400 Bad Request` (and close) for a request it cannot parse,
`431` for headers over 1 MiB, `100 Continue` on `Expect: 100-continue`,
keep-alive by default on HTTP/1.1. Every connection is bounded: a deadline
for the headers, one for the body, an idle timeout between requests, a cap
on the body (the application decides the answer) and on open connections.
Slow clients cost a coroutine, not a thread.

An application is two callables: `head` may answer from the request line
and headers alone (404, 405, 415 before any body is read); `handle` gets
the whole body.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote

MAX_HEADER_BYTES = 1 << 20
"""Go's http.DefaultMaxHeaderBytes: a longer head (plus bufio's 4096 bytes of slack) is answered 431."""
MAX_CHUNK_LINE = 4096
"""Go's net/http/internal: a chunk-size line (with extensions) longer than this is "header line too long"."""
OFFLOAD_BODY = 64 * 1024
"""A head or body larger than this is handled on a worker thread: parsing or decoding it must not hold up
the loop that serves every other client."""
# Go discards up to this much of a body the handler did not read, to keep the connection alive.
DISCARD_LIMIT = 256 * 1024
# A streamed answer up to this size is sent whole, with a Content-Length; a larger one is sent chunked.
STREAM_BUFFER = 256 * 1024


@dataclass(frozen=True)
class Limits:
    max_body: int = 20 * 1024 * 1024
    header_timeout: float = 30.0
    body_timeout: float = 60.0
    idle_timeout: float = 60.0
    max_connections: int = 512
    crowded_idle_timeout: float = 5.0
    """The idle timeout once more than half of `max_connections` are open."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    path: str
    """Percent-decoded path."""
    raw_path: str
    query: str
    version: str
    headers: dict[str, str]
    """Lower-cased names; repeated headers joined with ', '."""
    peer: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False
    stream: Iterator[bytes] | None = None
    """A body made while it is written (read on a worker thread); sent chunked when it is large."""

    @staticmethod
    def text(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
        return Response(status, text.encode(), [("Content-Type", content_type)])


class App(Protocol):
    def head(self, req: Request) -> Response | None: ...

    def handle(self, req: Request, body: bytes) -> Response: ...

    def too_large(self, req: Request) -> Response: ...


class BadBodyApp(Protocol):
    def bad_body(self, req: Request, message: str) -> Response:
        """The answer to a body whose framing is broken (Go's reader error), as the application gives it."""
        ...


class _BadRequest(Exception):
    def __init__(self, status: int = 400, text: str = "Bad Request") -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class _TooLarge(Exception):
    pass


class _BadBody(Exception):
    """The body's chunked framing is broken; the text is Go's error (the collector answers it in a 400)."""


def _go_error(status: int, text: str) -> bytes:
    """Go's answer to a request it could not parse: no Date, no length, connection closed."""
    line = f"{status} {text}"
    return (f"HTTP/1.1 {line}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n{line}").encode()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


class HttpServer:
    """Serve one `App` on one socket; start and stop from inside an asyncio loop."""

    def __init__(
        self,
        app: App,
        limits: Limits | None = None,
        *,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.app = app
        self.limits = limits or Limits()
        self._server: asyncio.Server | None = None
        self._open = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle: dict[asyncio.Task[None], None] = {}
        """Connections waiting for a request (oldest first): the ones to close when a new client needs room."""
        self._on_error = on_error

    async def start(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._serve, sock=sock, limit=MAX_HEADER_BYTES + 4096)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._open += 1
        try:
            if self._open > self.limits.max_connections and not self._close_oldest_idle():
                await _too_many(reader, writer, self.limits.header_timeout)
                return
            await self.serve_connection(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, asyncio.CancelledError):
            pass
        except Exception as exc:  # noqa: BLE001 - one broken connection must not stop the server
            if self._on_error is not None:
                self._on_error(exc)
        finally:
            self._open -= 1
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    def _close_oldest_idle(self) -> bool:
        """Make room for a new client by closing the connection that has waited longest for a request."""
        me = asyncio.current_task()
        for task in self._idle:
            if task is not me:
                del self._idle[task]
                task.cancel()
                return True
        return False

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until it closes."""
        peer = writer.get_extra_info("peername")
        peer_s = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else ""
        idle = self.limits.idle_timeout
        task = asyncio.current_task()
        while True:
            if task is not None:
                self._idle[task] = None
            try:
                head = await self._wait_head(reader, idle)
            except _BadRequest as bad:
                writer.write(_go_error(bad.status, bad.text))
                await writer.drain()
                return
            finally:
                if task is not None:
                    self._idle.pop(task, None)
            if head is None:
                return
            idle = self.limits.header_timeout
            try:
                if len(head) > OFFLOAD_BODY:
                    # A big head is parsed on a worker thread: the loop keeps serving other clients.
                    req = await asyncio.get_running_loop().run_in_executor(None, _parse_head, head, peer_s)
                else:
                    req = _parse_head(head, peer_s)
            except _BadRequest as bad:
                refused = getattr(self.app, "refused_connection", None)
                if head.startswith(b"PRI * HTTP/2.0") and callable(refused):
                    refused("grpc", str(bad.status))  # a gRPC client on an HTTP/1.1 port
                writer.write(_go_error(bad.status, bad.text))
                await writer.drain()
                return
            keep = await self._one(req, reader, writer)
            if not keep:
                return
            idle = self.limits.idle_timeout

    async def _wait_head(self, reader: asyncio.StreamReader, idle: float) -> bytes | None:
        """The next request's head within `idle` seconds, or within the short timeout while crowded."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        step = self.limits.crowded_idle_timeout
        while True:
            crowded = self._open * 2 > self.limits.max_connections
            limit = started + (min(idle, step) if crowded else idle)
            left = limit - loop.time()
            if left <= 0:
                raise TimeoutError
            try:
                # Cut into steps so a crowd arriving later shortens the wait; a cancelled read keeps its bytes.
                return await asyncio.wait_for(self._read_head(reader), min(left, step))
            except TimeoutError:
                continue

    async def _read_head(self, reader: asyncio.StreamReader) -> bytes | None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.LimitOverrunError:
                raise _BadRequest(431, "Request Header Fields Too Large") from None
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    raise _BadRequest() from None
                return None
            # Go skips blank lines before a request line.
            head = head.lstrip(b"\r\n")
            if head:
                return head[:-4]

    async def _one(self, req: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        conn = req.header("connection").lower()
        keep = ("close" not in conn) if req.version == "HTTP/1.1" else ("keep-alive" in conn)
        chunked = "chunked" in req.header("transfer-encoding").lower()
        length_s = req.header("content-length")
        if chunked and length_s:
            writer.write(_go_error(400, "Bad Request"))
            await writer.drain()
            return False
        try:
            length = int(length_s) if length_s else 0
        except ValueError:
            writer.write(_go_error(400, "Bad Request"))
            await writer.drain()
            return False
        if length < 0:
            writer.write(_go_error(400, "Bad Request"))
            await writer.drain()
            return False
        has_body = chunked or length > 0
        early = self.app.head(req)
        if early is not None:
            if has_body:
                # Like Go: drain a small unread body to keep the connection; close on a big one.
                if chunked or length > DISCARD_LIMIT:
                    keep = False
                else:
                    try:
                        await asyncio.wait_for(reader.readexactly(length), self.limits.body_timeout)
                    except (asyncio.IncompleteReadError, TimeoutError):
                        keep = False
            await self._write(writer, req, early, keep and not early.close)
            return keep and not early.close
        if has_body and req.header("expect").lower() == "100-continue":
            writer.write(f"{req.version} 100 Continue\r\n\r\n".encode())
            await writer.drain()
        try:
            body = await asyncio.wait_for(
                self._read_body(reader, length, chunked, self.limits.max_body), self.limits.body_timeout
            )
        except _TooLarge:
            resp = self.app.too_large(req)
            await self._write(writer, req, resp, False)
            await _linger(reader, writer)
            return False
        except _BadBody as bad:
            await self._bad_body(req, str(bad), reader, writer)
            return False
        if getattr(self.app, "blocking", False) or len(body) > OFFLOAD_BODY:
            resp = await asyncio.get_running_loop().run_in_executor(None, self.app.handle, req, body)
        else:
            resp = self.app.handle(req, body)
        if resp.stream is not None:
            return await self._write_stream(writer, req, resp, keep and not resp.close)
        await self._write(writer, req, resp, keep and not resp.close)
        return keep and not resp.close

    async def _bad_body(
        self, req: Request, message: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Broken chunked framing: the application's answer when it has one (then close), else Go's own 400."""
        bad_body = getattr(self.app, "bad_body", None)
        if bad_body is None:
            writer.write(_go_error(400, "Bad Request"))
            await writer.drain()
            return
        await self._write(writer, req, bad_body(req, message), False)
        await _linger(reader, writer)

    async def _write_stream(self, writer: asyncio.StreamWriter, req: Request, resp: Response, keep: bool) -> bool:
        """Write a streamed body: whole with a Content-Length when small (as Go's server does), else chunked."""
        assert resp.stream is not None
        loop = asyncio.get_running_loop()
        it = resp.stream
        buffered: list[bytes] = []
        size = 0
        while size < STREAM_BUFFER:
            chunk = await loop.run_in_executor(None, next, it, None)
            if chunk is None:
                resp.body, resp.stream = b"".join(buffered), None
                await self._write(writer, req, resp, keep)
                return keep
            buffered.append(chunk)
            size += len(chunk)
        if req.version == "HTTP/1.0":
            keep = False  # no chunked encoding: the end of the body is the end of the connection
        head = [f"{req.version} {resp.status} {_reason(resp.status)}", *(f"{k}: {v}" for k, v in resp.headers)]
        head.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        if req.version == "HTTP/1.1":
            head.append("Transfer-Encoding: chunked")
        if not keep and req.version == "HTTP/1.1":
            head.append("Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1", errors="replace"))
        if req.method == "HEAD":
            await writer.drain()
            return keep
        chunked = req.version == "HTTP/1.1"
        pending: list[bytes] | None = buffered
        while True:
            if pending is None:
                chunk = await loop.run_in_executor(None, next, it, None)
                if chunk is None:
                    break
                pending = [chunk]
            data = b"".join(pending)
            pending = None
            if data:
                writer.write(b"%x\r\n%b\r\n" % (len(data), data) if chunked else data)
                await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        return keep

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, length: int, chunked: bool, limit: int) -> bytes:
        if not chunked:
            if length > limit:
                # Like Go's MaxBytesReader: read up to the limit, then answer.
                left = limit + 1
                while left > 0:
                    chunk = await reader.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    left -= len(chunk)
                raise _TooLarge
            return await reader.readexactly(length)
        out = bytearray()
        while True:
            size = _chunk_size(await _chunk_line(reader))
            if size == 0:
                while await _chunk_line(reader):  # trailers, up to the empty line
                    pass
                return bytes(out)
            if len(out) + size > limit:
                raise _TooLarge
            out += await reader.readexactly(size)
            if await reader.readexactly(2) != b"\r\n":
                raise _BadBody("malformed chunked encoding")

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, req: Request, resp: Response, keep: bool) -> None:
        version = "HTTP/1.0" if req.version == "HTTP/1.0" else "HTTP/1.1"
        lines = [f"{version} {resp.status} {_reason(resp.status)}"]
        names = {k.lower() for k, _ in resp.headers}
        lines += [f"{k}: {v}" for k, v in resp.headers]
        if "date" not in names:
            lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        lines.append(f"Content-Length: {len(resp.body)}")
        if not keep and req.version == "HTTP/1.1":
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        writer.write(head if req.method == "HEAD" else head + resp.body)
        await writer.drain()


_TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
    b"Content-Length: 21\r\n\r\ntoo many connections\n"
)


async def _too_many(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, wait: float) -> None:
    """Every connection is busy with a request: say so (after the request came in), rather than reset."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), min(wait, 2.0))
    writer.write(_TOO_MANY)
    await writer.drain()
    await _linger(reader, writer)


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Close gently: stop writing, then read and drop what the client still sends, so it sees the answer.

    Closing a socket with unread data makes the kernel send a reset, and the
    client would lose the answer (Go's server lingers the same way).
    """
    with contextlib.suppress(Exception):
        if writer.can_write_eof():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.0
        budget = 64 << 20
        while budget > 0 and loop.time() < deadline:
            chunk = await asyncio.wait_for(reader.read(1 << 20), max(0.01, deadline - loop.time()))
            if not chunk:
                break
            budget -= len(chunk)


async def _chunk_line(reader: asyncio.StreamReader) -> bytes:
    """One line of chunked framing without its CRLF, read as Go's chunkedReader reads it."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise _BadBody("header line too long") from None
    if len(line) > MAX_CHUNK_LINE:
        raise _BadBody("header line too long")
    if not line.endswith(b"\r\n"):
        raise _BadBody("chunked line ends with bare LF")
    return line[:-2]


_HEX = frozenset(b"0123456789abcdefABCDEF")


def _chunk_size(line: bytes) -> int:
    """The chunk size of a chunk-size line: hex digits only, at most 16 of them (Go's parseHexUint)."""
    size = line.rstrip(b" \t").split(b";", 1)[0].rstrip(b" \t")
    if not size:
        raise _BadBody("empty hex number for chunk length")
    if not _HEX.issuperset(size):
        raise _BadBody("invalid byte in chunk length")
    if len(size) > 16:
        raise _BadBody("http chunk length too large")
    return int(size, 16)


def _parse_head(head: bytes, peer: str) -> Request:
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
        raise _BadRequest from None
    lines = text.replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise _BadRequest()
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0") or not method.isascii() or not method.isalpha():
        if version.startswith("HTTP/2"):
            raise _BadRequest(505, "HTTP Version Not Supported")
        raise _BadRequest()
    if not target:
        raise _BadRequest()
    # Values of a repeated header are collected, then joined once: joining as they come is quadratic.
    values: dict[str, list[str]] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or " " in name:
            raise _BadRequest(400, "Bad Request: malformed MIME header line")
        values.setdefault(name.lower(), []).append(value.strip())
    headers = {key: ", ".join(vs) for key, vs in values.items()}
    if version == "HTTP/1.1" and "host" not in headers:
        raise _BadRequest(400, "Bad Request: missing required Host header")
    raw_path, _, query = target.partition("?")
    if target.startswith(("http://", "https://")):
        rest = target.split("://", 1)[1]
        raw_path = "/" + rest.partition("/")[2].partition("?")[0]
    return Request(
        method=method, target=target, path=unquote(raw_path), raw_path=raw_path, query=query,
        version=version, headers=headers, peer=peer,
    )  # fmt: skip
