"""Jaeger's query service over HTTP: API v3 first, the legacy /api routes as a fallback, and back.

Upstream is removing the legacy search routes, and old Jaeger v1 lacks v3, so
the client learns once per run which API the server speaks and falls over to
the other when a route is missing. Each API's "not found" (404 with an
envelope, 404 "No traces found", 200 with an empty list) is a normal answer,
never an error. See shared/docs/protocols.md A-B. Every call is bounded by
the timeout and reads at most `max_bytes`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlencode

from otdiag.jaeger.trace import Trace, TraceFormatError, from_legacy, from_v3
from otdiag.net import http


class Api(StrEnum):
    V3 = "v3"
    LEGACY = "legacy"


class JaegerError(Exception):
    """Jaeger answered, but not usefully: a server error, not Jaeger at all, or a malformed answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        not_jaeger: bool = False,
        bad_answer: bool = False,
        base_path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.not_jaeger = not_jaeger
        self.bad_answer = bad_answer
        self.base_path = base_path
        """Jaeger's UI answered instead, served under this base path (`--query.base-path`)."""


MAX_DEPTH = 64
"""JSON nesting deeper than this is no Jaeger answer (a trace needs about 12 levels)."""


def _depth_ok(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `doc` nests at most `limit` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return True


def bad_answer(what: str, excerpt: str, status: int | None = None) -> JaegerError:
    """A `jaeger.bad-answer`: what is wrong, and a short, printable, scrubbed excerpt of what came."""
    from otdiag import redact

    shown = redact.clean(excerpt[:120])
    return JaegerError(f"{what}: {shown!r}" if shown else what, status=status, bad_answer=True)


class _RouteMissing(Exception):
    """This API's route does not exist on the server (try the other API)."""

    def __init__(self, message: str, base_path: str | None = None) -> None:
        super().__init__(message)
        self.base_path = base_path


_BASE_HREF = re.compile(rb"<base\s[^>]{0,400}?href=[\"'](/[A-Za-z0-9._~/-]{0,200}?/?)[\"']", re.IGNORECASE)


def base_path(html: bytes) -> str | None:
    """The base path Jaeger's UI page names (`<base href="/jaeger/">`); None for "/" or none at all."""
    m = _BASE_HREF.search(html[:65536])
    if m is None:
        return None
    path = m.group(1).decode("ascii").rstrip("/")
    return path or None


@dataclass(frozen=True)
class Fetched:
    """Traces as returned, with the server's own JSON for --raw."""

    traces: list[Trace]
    raw: Any
    api: Api


@dataclass(frozen=True)
class SearchQuery:
    service: str
    operation: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    start_unix_nano: int = 0
    end_unix_nano: int = 0
    limit: int = 20
    min_duration: str | None = None
    """Go duration text (`10ms`, `1.5s`)."""
    max_duration: str | None = None


def _rfc3339(unix_nano: int) -> str:
    secs, nanos = divmod(unix_nano, 1_000_000_000)
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


@dataclass
class JaegerClient:
    base_url: str
    timeout: float = 5.0
    tls: http.TlsOptions | None = None
    max_bytes: int = 64 * 1024 * 1024
    api: Api | None = None
    """The API the server was found to speak (set by the first call that got an answer)."""

    def _get(self, path: str, params: dict[str, str] | None = None) -> http.Response:
        url = self.base_url.rstrip("/") + path
        if params:
            url += "?" + urlencode(params)
        return http.request("GET", url, timeout=self.timeout, tls=self.tls, max_bytes=self.max_bytes)

    @staticmethod
    def _doc(resp: http.Response) -> Any:
        """The JSON body; HTML or junk means this is not Jaeger's API (or the route is missing)."""
        head = resp.body.lstrip()[:1]
        if resp.content_type == "text/html" or head == b"<":
            under = base_path(resp.body)
            if under is not None:
                raise _RouteMissing(f"Jaeger's UI page, served under {under}", base_path=under)
            raise _RouteMissing("an HTML page")
        try:
            doc = json.loads(resp.body)
        except RecursionError:
            raise bad_answer("the answer's JSON nests too deeply", resp.text(60), resp.status) from None
        except ValueError as exc:
            if resp.status == 404:
                raise _RouteMissing(resp.text(80)) from None
            if "digits" in str(exc) or "integer string" in str(exc):
                raise bad_answer("the answer holds a number too long to be one", resp.text(60), resp.status) from None
            from otdiag import redact

            raise JaegerError(
                f"the answer is not JSON (HTTP {resp.status}: {redact.clean(resp.text(120))!r})",
                status=resp.status,
                not_jaeger=resp.status < 500,
            ) from None
        if not _depth_ok(doc):
            raise bad_answer(f"the answer's JSON nests deeper than {MAX_DEPTH} levels", resp.text(60), resp.status)

        if isinstance(doc, dict) and "upSince" in doc and "status" in doc:
            # A health endpoint (Jaeger v1's admin port, the collector's health_check) answers every path.
            raise JaegerError(f"a health endpoint answered: {doc.get('status')!r}", not_jaeger=True)
        return doc

    def _fail(self, resp: http.Response, doc: Any) -> JaegerError:
        return JaegerError(_error_text(resp.status, doc, resp), status=resp.status, not_jaeger=False)

    def _both(self, v3: Any, legacy: Any, *, prefer: Api | None = None) -> Any:
        """Run the call on the preferred or known API, else v3 then legacy; fall over when a route is missing."""
        first = prefer or self.api or Api.V3
        order = [Api.V3, Api.LEGACY] if first is Api.V3 else [Api.LEGACY, Api.V3]
        missing: list[str] = []
        under: str | None = None
        for api in order:
            try:
                result = (v3 if api is Api.V3 else legacy)()
            except _RouteMissing as exc:
                missing.append(f"{api.value}: {exc}")
                under = under or exc.base_path
                continue
            self.api = api
            return result
        raise JaegerError(
            f"neither Jaeger's API v3 nor its legacy API answers there ({'; '.join(missing)})",
            not_jaeger=True,
            base_path=under,
        )

    # --- calls -------------------------------------------------------------------------------------

    def services(self) -> list[str]:
        def v3() -> list[str]:
            resp = self._get("/api/v3/services")
            doc = self._doc(resp)
            if resp.status != 200:
                raise self._fail(resp, doc) if resp.status != 404 else _RouteMissing(f"HTTP {resp.status}")
            if not isinstance(doc, dict) or not (doc == {} or "services" in doc):
                raise _RouteMissing("not a v3 services answer")
            return _strings(doc.get("services"), "services")

        def legacy() -> list[str]:
            resp = self._get("/api/services")
            doc = self._doc(resp)
            if resp.status != 200:
                raise self._fail(resp, doc) if resp.status != 404 else _RouteMissing(f"HTTP {resp.status}")
            if not isinstance(doc, dict) or "data" not in doc:
                raise _RouteMissing("not a legacy services answer")
            return _strings(doc.get("data"), "data")

        result: list[str] = self._both(v3, legacy)
        return result

    def operations(self, service: str) -> list[str]:
        def v3() -> list[str]:
            resp = self._get("/api/v3/operations", {"service": service})
            doc = self._doc(resp)
            if resp.status != 200:
                raise self._fail(resp, doc) if resp.status != 404 else _RouteMissing(f"HTTP {resp.status}")
            ops = doc.get("operations") if isinstance(doc, dict) else doc
            named = isinstance(ops, list) and all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in ops)
            if ops is not None and not named:
                raise bad_answer("the operations answer is not a list of {name}", _excerpt(ops))
            return sorted({o["name"] for o in ops or []})

        def legacy() -> list[str]:
            resp = self._get(f"/api/services/{quote(service, safe='')}/operations")
            doc = self._doc(resp)
            if resp.status != 200:
                raise self._fail(resp, doc) if resp.status != 404 else _RouteMissing(f"HTTP {resp.status}")
            return sorted(set(_strings(doc.get("data") if isinstance(doc, dict) else doc, "data")))

        result: list[str] = self._both(v3, legacy)
        return result

    def get_trace(self, trace_id: str) -> Fetched | None:
        """The trace, or None when Jaeger has no trace with that ID."""

        def v3() -> Fetched | None:
            resp = self._get(f"/api/v3/traces/{trace_id}")
            doc = self._doc(resp)
            if resp.status == 404:
                if _is_v3_error(doc):
                    return None
                raise _RouteMissing("HTTP 404")
            if resp.status != 200:
                raise self._fail(resp, doc)
            traces = _parse(from_v3, doc)
            return Fetched(traces, doc, Api.V3) if traces else None

        def legacy() -> Fetched | None:
            resp = self._get(f"/api/traces/{trace_id}")
            doc = self._doc(resp)
            if resp.status == 404:
                if isinstance(doc, dict) and "errors" in doc:
                    return None
                raise _RouteMissing("HTTP 404")
            if resp.status != 200:
                raise self._fail(resp, doc)
            traces = [t for t in _parse(from_legacy, doc) if t.spans]
            return Fetched(traces, doc, Api.LEGACY) if traces else None

        result: Fetched | None = self._both(v3, legacy)
        return result

    def search(self, q: SearchQuery) -> Fetched:
        def v3() -> Fetched:
            params = _v3_search_params(q)
            resp = self._get("/api/v3/traces", params)
            doc = self._doc(resp)
            if resp.status == 404:
                if _is_v3_error(doc):
                    return Fetched([], doc, Api.V3)
                raise _RouteMissing("HTTP 404")
            if resp.status != 200:
                raise self._fail(resp, doc)
            traces = _parse(from_v3, doc)
            if q.tags:
                traces = [t for t in traces if _has_tags(t, q.tags)][: q.limit]
            return Fetched(traces, doc, Api.V3)

        def legacy() -> Fetched:
            params = _legacy_search_params(q)
            resp = self._get("/api/traces", params)
            doc = self._doc(resp)
            if resp.status == 404:
                raise _RouteMissing("HTTP 404")
            if resp.status != 200:
                raise self._fail(resp, doc)
            return Fetched(_parse(from_legacy, doc), doc, Api.LEGACY)

        # The legacy API filters tags on the server; v3 over HTTP may not, so prefer legacy for tag searches.
        result: Fetched = self._both(v3, legacy, prefer=Api.LEGACY if q.tags else None)
        return result


def _v3_search_params(q: SearchQuery) -> dict[str, str]:
    params = {
        "query.service_name": q.service,
        "query.start_time_min": _rfc3339(q.start_unix_nano),
        "query.start_time_max": _rfc3339(q.end_unix_nano),
        "query.num_traces": str(q.limit),
    }
    optional = {
        "query.operation_name": q.operation,
        "query.attributes": json.dumps(q.tags) if q.tags else None,
        "query.duration_min": q.min_duration,
        "query.duration_max": q.max_duration,
    }
    params.update({k: v for k, v in optional.items() if v})
    if q.tags:
        # Jaeger v2 before about 2.19 ignores query.attributes over HTTP; over-fetch, filter here.
        params["query.num_traces"] = str(min(max(q.limit * 10, 100), 1000))
    return params


def _legacy_search_params(q: SearchQuery) -> dict[str, str]:
    params = {
        "service": q.service,
        "start": str(q.start_unix_nano // 1000),
        "end": str(q.end_unix_nano // 1000),
        "limit": str(q.limit),
    }
    optional = {
        "operation": q.operation,
        "tags": json.dumps(q.tags) if q.tags else None,
        "minDuration": q.min_duration,
        "maxDuration": q.max_duration,
    }
    params.update({k: v for k, v in optional.items() if v})
    return params


def _has_tags(trace: Trace, tags: dict[str, str]) -> bool:
    """Jaeger's tag semantics: some span carries every k=v, in its attributes or its resource."""
    for span in trace.spans:
        merged = {**span.resource, **span.attributes}
        if all(str(merged.get(k)) == v or merged.get(k) == v for k, v in tags.items()):
            return True
    return False


def _strings(items: Any, what: str) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise bad_answer(f"the answer's '{what}' is not a list of names", _excerpt(items))
    return list(items)


def _excerpt(value: Any) -> str:
    from otdiag.jaeger.trace import _excerpt as excerpt

    return excerpt(value)


def _parse(parser: Any, doc: Any) -> list[Trace]:
    try:
        traces: list[Trace] = parser(doc)
    except TraceFormatError as exc:
        if exc.envelope:
            raise JaegerError(f"the answer does not look like Jaeger traces ({exc})", not_jaeger=True) from None
        raise bad_answer(f"the answer does not have the shape of Jaeger traces ({exc})", exc.excerpt) from None
    except (TypeError, AttributeError, ValueError, KeyError, OverflowError, RecursionError) as exc:
        # Whatever the checks above missed is still a malformed answer, never a crash.
        raise bad_answer(f"the answer does not have the shape of Jaeger traces ({type(exc).__name__})", "") from None
    return traces


def _is_v3_error(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("error"), dict)


def _error_text(status: int, doc: Any, resp: http.Response) -> str:
    from otdiag import redact

    said = resp.text(200)
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict) and err.get("message"):
            said = str(err["message"])
        errs = doc.get("errors")
        if isinstance(errs, list) and errs and isinstance(errs[0], dict):
            said = str(errs[0].get("msg", ""))
    return f"HTTP {status}: {redact.clean(said[:300])}"
