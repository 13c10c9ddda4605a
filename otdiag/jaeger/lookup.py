"""Fetch a trace back from Jaeger, waiting for it to become visible if asked, or search for traces.

`find_by_id` and `search` return find-trace's typed `FindResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from otdiag import catalogue as c
from otdiag.jaeger.client import Api, Fetched, JaegerClient, JaegerError, SearchQuery
from otdiag.jaeger.trace import Trace
from otdiag.model import Finding, Result
from otdiag.net.transport import Cause, TransportError
from otdiag.progress import NoProgress, Progress


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
    if exc.base_path:
        fixed = url.rstrip("/") + exc.base_path
        return c.JAEGER_NOT_QUERY(
            f"{url} is Jaeger, but it serves its UI and API under the base path {exc.base_path}"
            f" (--query.base-path): every answer there is the UI page.",
            target=url,
            hint=f"Add the base path to --jaeger-url: {fixed}",
            evidence=[str(exc)],
        )
    if exc.not_jaeger:
        return _jaeger_v1_port(url) or c.JAEGER_NOT_QUERY(f"{url} is not Jaeger's query API: {exc}.", target=url)
    return c.JAEGER_ERROR(f"Jaeger's query API at {url} failed: {exc}.", target=url)


def _jaeger_v1_port(url: str) -> Finding | None:
    """A query URL aimed at one of Jaeger v1's other ports (collector 14268, admin 14269), said so."""
    from otdiag.jaeger import v1_ports

    port = v1_ports.identify_http(url, timeout=1.5)
    if port is None:
        return None
    return c.JAEGER_NOT_QUERY(
        f"{url} is {v1_ports.DESCRIBE[port]}, not its query API.",
        target=url,
        hint="Point --jaeger-url at Jaeger's query port (16686 by default), e.g. http://jaeger:16686.",
    )


@dataclass(frozen=True, slots=True)
class ById:
    """A trace asked for by its ID."""

    trace_id: str
    link: str
    """The trace's page in Jaeger's UI."""
    found: Found | None
    """None: Jaeger's query API did not answer usefully (the findings say why)."""
    api: Api | None = None
    """The API the client settled on, when it got that far."""
    waited: bool = False
    """--wait was given: the time until the trace became visible is reported."""

    @property
    def trace(self) -> Trace | None:
        fetched = self.found.fetched if self.found else None
        return fetched.traces[0] if fetched else None

    def fields_json(self) -> dict[str, Any]:
        fetched = self.found.fetched if self.found else None
        if self.found is None:
            return {"trace_id": self.trace_id, "trace": None}
        if fetched is None:
            return {"trace_id": self.trace_id, "trace": None, "api": self.api.value if self.api else None}
        return {
            "trace_id": self.trace_id,
            "api": fetched.api.value,
            "jaeger_link": self.link,
            "time_to_visible_ms": round(self.found.waited_ms, 1) if self.waited else None,
            "trace": fetched.traces[0].to_json(),
        }


@dataclass(frozen=True, slots=True)
class Search:
    """Traces searched for by service, operation, tags and time."""

    query: SearchQuery
    fetched: Fetched | None
    """None: Jaeger's query API did not answer usefully (the findings say why)."""

    @property
    def traces(self) -> list[Trace]:
        """Newest first."""
        found = self.fetched.traces if self.fetched else []
        return sorted(found, key=lambda t: t.start_unix_nano, reverse=True)

    def fields_json(self) -> dict[str, Any]:
        if self.fetched is None:
            return {"traces": []}
        return {"api": self.fetched.api.value, "traces": [{**t.summary_json(), **t.to_json()} for t in self.traces]}


@dataclass(frozen=True, slots=True, kw_only=True)
class FindResult(Result):
    """find-trace's report: one trace by its ID, or the traces a search found."""

    COMMAND: ClassVar[str] = "find-trace"
    lookup: ById | Search

    @property
    def fetched(self) -> Fetched | None:
        """What Jaeger sent, when it sent traces (the server's own JSON is in `raw`)."""
        if isinstance(self.lookup, Search):
            return self.lookup.fetched
        return self.lookup.found.fetched if self.lookup.found else None

    def fields_json(self) -> dict[str, Any]:
        return self.lookup.fields_json()


def find_by_id(
    client: JaegerClient, url: str, trace_id: str, *, wait_s: float, analyse: bool = True, progress: Progress
) -> FindResult:
    """One trace, polled for up to `wait_s`, with what is wrong with it (unless `analyse` is off: --raw)."""
    from otdiag.jaeger.trace_analysis import analyse as analysis

    link = f"{url}/trace/{trace_id}"
    try:
        found = find(client, trace_id, wait_s=wait_s, progress=progress)
    except (TransportError, JaegerError) as exc:
        return FindResult(lookup=ById(trace_id, link, None), findings=(jaeger_failure(url, exc),))
    lookup = ById(trace_id, link, found, client.api, waited=bool(wait_s))
    if lookup.trace is None:
        waited = f" after waiting {found.waited_ms / 1000:.1f}s" if wait_s else ""
        f = c.TRACE_NOT_FOUND(f"Jaeger at {url} has no trace {trace_id}{waited}.", target=url)
        return FindResult(lookup=lookup, findings=(f,))
    return FindResult(lookup=lookup, findings=tuple(analysis(lookup.trace)) if analyse else ())


def search(client: JaegerClient, url: str, q: SearchQuery) -> FindResult:
    """The traces matching `q`, newest first; none is a finding."""
    try:
        fetched = client.search(q)
    except (TransportError, JaegerError) as exc:
        return FindResult(lookup=Search(q, None), findings=(jaeger_failure(url, exc),))
    if fetched.traces:
        return FindResult(lookup=Search(q, fetched))
    what = f"service {q.service!r}" + (f", operation {q.operation!r}" if q.operation else "")
    known = _known_services(client)
    if known is not None and q.service not in known:
        return FindResult(lookup=Search(q, fetched), findings=(_unknown_service(url, q.service, known),))
    if q.operation:
        ops = _known_operations(client, q.service)
        if ops is not None and q.operation not in ops:
            found = _unknown_operation(url, q.service, q.operation, ops)
            return FindResult(lookup=Search(q, fetched), findings=(found,))
    filters = [
        name
        for name, used in (
            ("--min-duration", q.min_duration),
            ("--max-duration", q.max_duration),
            ("--tag", q.tags),
            ("--operation", q.operation),
        )
        if used
    ]
    hint = (
        f"Loosen {', '.join(filters)} first (traces of {q.service!r} exist), then widen --lookback."
        if filters
        else "Widen --lookback (or --start/--end): Jaeger knows the service, but has no trace of it in that range."
    )
    narrowed = f" matching {', '.join(filters)}" if filters else ""
    f = c.TRACE_NOT_FOUND(f"No traces for {what}{narrowed} in the time range asked.", target=url, hint=hint)
    return FindResult(lookup=Search(q, fetched), findings=(f,))


def _known_services(client: JaegerClient) -> list[str] | None:
    """The services Jaeger knows, or None when it would not say (the search's answer stands alone then)."""
    try:
        return client.services()[:10_000]
    except (TransportError, JaegerError):
        return None


def _known_operations(client: JaegerClient, service: str) -> list[str] | None:
    """The operations Jaeger knows of `service`, or None when it would not say."""
    try:
        return client.operations(service)[:10_000]
    except (TransportError, JaegerError):
        return None


def _unknown_operation(url: str, service: str, operation: str, known: list[str]) -> Finding:
    import difflib

    from otdiag.redact import clean

    close = difflib.get_close_matches(operation, known, n=3, cutoff=0.6)
    listed = ", ".join(repr(clean(s)[:60]) for s in sorted(known)[:10]) + (" …" if len(known) > 10 else "")
    guess = f" Did you mean {clean(close[0])!r}?" if close else ""
    return c.TRACE_NOT_FOUND(
        f"Jaeger knows no operation {operation!r} of service {service!r}.{guess}",
        target=url,
        hint=f"Use one of the operations of {service!r} (--operation is the span name, exact and case-sensitive): "
        f"{listed}."
        if known
        else f"Jaeger knows no operation of {service!r} yet: leave out --operation.",
        evidence=[f"known operations of {service!r}: {listed}"] if known else [],
    )


def _unknown_service(url: str, service: str, known: list[str]) -> Finding:
    import difflib

    from otdiag.redact import clean

    close = difflib.get_close_matches(service, known, n=3, cutoff=0.6)
    listed = ", ".join(clean(s)[:60] for s in sorted(known)[:10]) + (" …" if len(known) > 10 else "")
    guess = f" Did you mean {clean(close[0])!r}?" if close else ""
    return c.TRACE_NOT_FOUND(
        f"Jaeger at {url} knows no service {service!r}.{guess}",
        target=url,
        hint=f"Use one of the services Jaeger knows: {listed}."
        if known
        else "Jaeger knows no service yet: nothing has reached it (otdiag check shows where spans stop).",
        evidence=[f"known services: {listed}"] if known else [],
    )
