"""One bounded HTTP exchange: a hard deadline and a cap on the bytes read.

httpx's timeouts bound each socket operation, not the whole exchange, so a
server that drips its answer a byte at a time could hold a plain request for
ever. Here the exchange runs on a daemon thread and is abandoned at the
deadline; the body is streamed and cut off at `max_bytes`.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from otdiag.net import without_httpx_cli
from otdiag.net.transport import Cause, TransportError, classify

without_httpx_cli()
import httpx  # noqa: E402

DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TlsOptions:
    """Client TLS settings. `verify=False` is `--insecure` for HTTPS (skip verification)."""

    verify: bool = True
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def context(self) -> ssl.SSLContext:
        return _context(self)

    def _build(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else ssl.create_default_context()
        if not self.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.cert_file:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


@functools.lru_cache(maxsize=16)
def _context(opts: TlsOptions) -> ssl.SSLContext:
    """Building a context loads the CA bundle (~20 ms): once per set of options."""
    return opts._build()


def _verify(url: str, tls: TlsOptions | None) -> ssl.SSLContext | bool:
    # Plain http:// needs no context at all; building a default one would still load the CA bundle.
    return (tls or TlsOptions()).context() if url.startswith("https") else False


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_ms: float
    http_version: str = "HTTP/1.1"
    truncated: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self, limit: int = 500) -> str:
        return self.body[:limit].decode("utf-8", errors="replace")


@dataclass
class _Outcome:
    response: Response | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    tls: TlsOptions | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    truncate: bool = False,
) -> Response:
    """Send one request; return the answer or raise `TransportError`.

    Over `max_bytes` the body is cut off: with `truncate` the partial body is
    returned (marked), otherwise `Cause.TOO_LARGE` is raised.
    """
    outcome = _Outcome()
    started = time.monotonic()
    deadline = started + timeout

    def run() -> None:
        try:
            verify = _verify(url, tls)
            # Connect gives up first, so a black hole reads as a connect timeout, not a slow answer.
            per_op = httpx.Timeout(timeout, connect=timeout * 0.9)
            with (
                httpx.Client(verify=verify, timeout=per_op, trust_env=False, follow_redirects=False) as client,
                client.stream(method, url, headers=dict(headers or {}), content=content) as resp,
            ):
                chunks: list[bytes] = []
                size = 0
                truncated = False
                for chunk in resp.iter_raw():
                    size += len(chunk)
                    if size > max_bytes:
                        if not truncate:
                            raise TransportError(
                                Cause.TOO_LARGE, f"the answer is larger than {max_bytes // (1024 * 1024)} MiB"
                            )
                        chunks.append(chunk[: max_bytes - (size - len(chunk))])
                        truncated = True
                        break
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TransportError(Cause.READ_TIMEOUT, "the answer did not finish in time")
                outcome.response = Response(
                    status=resp.status_code,
                    headers={k.lower(): v for k, v in resp.headers.items()},
                    body=_decode(b"".join(chunks), resp.headers.get("content-encoding", ""), max_bytes),
                    elapsed_ms=(time.monotonic() - started) * 1000,
                    http_version=resp.http_version,
                    truncated=truncated,
                )
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.error = exc
        finally:
            outcome.done.set()

    worker = threading.Thread(target=run, name="otdiag-http", daemon=True)
    worker.start()
    if not outcome.done.wait(timeout + 0.1):
        raise TransportError(Cause.READ_TIMEOUT, f"no complete answer within {timeout:g}s")
    if outcome.error is not None:
        raise classify(outcome.error) from outcome.error
    assert outcome.response is not None
    return outcome.response


class Session:
    """Keep-alive HTTP to one endpoint for many requests (load runs): one client per thread.

    Each operation is bounded by `timeout` and the body by `max_bytes`; unlike
    `request`, there is no watchdog thread per call (it would cost more than the call).
    """

    def __init__(self, *, timeout: float, tls: TlsOptions | None = None) -> None:
        self._limit = timeout
        self._timeout = httpx.Timeout(timeout, connect=timeout * 0.9)
        self._tls = tls
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def _client(self, url: str) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(verify=_verify(url, self._tls), timeout=self._timeout, trust_env=False)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def request(
        self, method: str, url: str, *, headers: Mapping[str, str], content: bytes, max_bytes: int = 1024 * 1024
    ) -> Response:
        started = time.monotonic()
        try:
            with self._client(url).stream(method, url, headers=dict(headers), content=content) as resp:
                chunks, size = [], 0
                for chunk in resp.iter_raw():
                    size += len(chunk)
                    if size > max_bytes:
                        break
                    chunks.append(chunk)
                    if time.monotonic() - started > self._limit:
                        # A server dripping its answer stays under every per-read timeout; not under this.
                        raise TransportError(Cause.READ_TIMEOUT, "the answer did not finish in time")
                return Response(
                    status=resp.status_code,
                    headers={k.lower(): v for k, v in resp.headers.items()},
                    body=_decode(b"".join(chunks), resp.headers.get("content-encoding", ""), max_bytes),
                    elapsed_ms=(time.monotonic() - started) * 1000,
                    http_version=resp.http_version,
                    truncated=size > max_bytes,
                )
        except TransportError:
            raise
        except Exception as exc:
            raise classify(exc) from exc

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()


def _decode(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate content encoding, without letting a small bomb expand past `max_bytes`."""
    enc = encoding.strip().lower()
    if enc not in ("gzip", "deflate"):
        return raw
    wbits = 16 + zlib.MAX_WBITS if enc == "gzip" else zlib.MAX_WBITS
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(raw, max_bytes + 1)
    except zlib.error:
        return raw
    if len(out) > max_bytes:
        raise TransportError(Cause.TOO_LARGE, f"the decompressed answer is larger than {max_bytes // 1048576} MiB")
    return out
