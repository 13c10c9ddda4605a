"""Fetch a trace back from Jaeger, waiting for it to become visible if asked."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from otdiag import catalogue as c
from otdiag.jaeger_api import Fetched, JaegerClient, JaegerError
from otdiag.model import Finding
from otdiag.progress import NoProgress, Progress
from otdiag.transport import Cause, TransportError


@dataclass(frozen=True)
class Found:
    fetched: Fetched | None
    """None: not found before the deadline."""
    waited_ms: float
    """How long until it became visible (or until giving up)."""
    attempts: int


def find(
    client: JaegerClient,
    trace_id: str,
    *,
    wait_s: float = 0.0,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    first_delay: float = 0.05,
    max_delay: float = 1.0,
) -> Found:
    """Ask for the trace; with `wait_s`, poll with backoff (50 ms doubling to 1 s) until it shows or time runs out.

    Transport and server errors propagate: they are not "not found".
    """
    progress = progress or NoProgress()
    started = clock()
    deadline = started + wait_s
    delay = first_delay
    attempts = 0
    while True:
        attempts += 1
        fetched = client.get_trace(trace_id)
        now = clock()
        if fetched is not None:
            return Found(fetched, (now - started) * 1000, attempts)
        if now >= deadline:
            return Found(None, (now - started) * 1000, attempts)
        progress.update(f"waiting for trace {trace_id} in Jaeger ({now - started:.1f}s of {wait_s:g}s)")
        sleep(min(delay, max(0.0, deadline - now)))
        delay = min(delay * 2, max_delay)


def jaeger_failure(url: str, exc: TransportError | JaegerError) -> Finding:
    """One finding for a query API that did not answer usefully, worded the same by every command."""
    if isinstance(exc, TransportError) and exc.cause in (Cause.TOO_LARGE, Cause.PROTOCOL):
        return _jaeger_v1_port(url) or c.JAEGER_NOT_QUERY(
            f"{url} answered, but not as Jaeger's query API ({exc.detail}).", target=url
        )
    if isinstance(exc, TransportError):
        return c.JAEGER_UNREACHABLE(f"Jaeger's query API at {url} does not answer ({exc.detail}).", target=url)
    if exc.bad_answer:
        return c.JAEGER_BAD_ANSWER(f"Jaeger's query API at {url} sent a malformed answer: {exc}.", target=url)
    if exc.not_jaeger:
        return _jaeger_v1_port(url) or c.JAEGER_NOT_QUERY(f"{url} is not Jaeger's query API: {exc}.", target=url)
    return c.JAEGER_ERROR(f"Jaeger's query API at {url} failed: {exc}.", target=url)


def _jaeger_v1_port(url: str) -> Finding | None:
    """A query URL aimed at one of Jaeger v1's other ports (collector 14268, admin 14269), said so."""
    from otdiag import jaeger_v1

    port = jaeger_v1.identify_http(url, timeout=1.5)
    if port is None:
        return None
    return c.JAEGER_NOT_QUERY(
        f"{url} is {jaeger_v1.DESCRIBE[port]}, not its query API.",
        target=url,
        hint="Point --jaeger-url at Jaeger's query port (16686 by default), e.g. http://jaeger:16686.",
    )
