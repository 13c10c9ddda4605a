"""Shared by the listen/run tests: an in-process listener on free ports, and raw HTTP exchanges."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from otdiag.listen.httpserver import Limits
from otdiag.listen.server import Bound, Listener
from otdiag.listen.store import SpanStore
from otdiag.net.endpoints import HostPort


@dataclass
class Running:
    store: SpanStore
    bound: Bound

    @property
    def grpc(self) -> str:
        assert self.bound.grpc is not None
        return str(self.bound.grpc)

    @property
    def http(self) -> str:
        assert self.bound.http is not None
        return str(self.bound.http)

    @property
    def query_url(self) -> str:
        assert self.bound.query is not None
        return f"http://{self.bound.query}"


@contextmanager
def listening(
    max_spans: int = 10_000, limits: Limits | None = None, mux: bool = False, other_signals: bool = False
) -> Iterator[Running]:
    store = SpanStore(max_spans)
    any_port = HostPort("127.0.0.1", 0)
    listener = Listener(
        store,
        grpc=any_port,
        http=any_port,
        query=any_port,
        mux=any_port if mux else None,
        limits=limits,
        other_signals=other_signals,
    )
    bound = listener.start()
    try:
        yield Running(store, bound)
    finally:
        listener.stop()


@dataclass
class RawAnswer:
    status: int
    reason: str
    version: str
    headers: dict[str, str]
    body: bytes
    raw: bytes


def raw_exchange(address: str, request: bytes, wait: float = 2.0) -> RawAnswer:
    """Send bytes, read until the server closes or goes quiet; parse the first response."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        s.sendall(request)
        s.settimeout(wait)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if _complete(data):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return parse_answer(data)


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def parse_answer(data: bytes) -> RawAnswer:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    status_s, _, reason = rest.partition(" ")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length")
    if length is not None:
        body = body[: int(length)]
    return RawAnswer(int(status_s or 0), reason, version, headers, body, data)


def post(path: str, body: bytes, content_type: str | None, extra: str = "", method: str = "POST") -> bytes:
    ct = f"Content-Type: {content_type}\r\n" if content_type is not None else ""
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{ct}{extra}Content-Length: {len(body)}\r\n\r\n".encode() + body
