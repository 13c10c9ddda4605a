"""A Jaeger-compatible query API over the span store: API v3 and the legacy /api routes.

Routes, parameters, status codes and error bodies follow Jaeger v2's
jaeger_query extension (cmd/query/app/apiv3/http_gateway.go and
cmd/query/app/http_handler.go, as of v2.13), and the search semantics follow
its in-memory storage (internal/storage/v2/memory/tenant.go): newest traces
first, a trace matches when one of its spans matches every condition.
Unknown paths get a small HTML page with status 200, as Jaeger serves its UI
for any path it does not route.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otdiag.listen import gofmt, views
from otdiag.listen.httpserver import Request, Response
from otdiag.listen.store import SpanStore, StoredTrace

LEGACY_LOOKBACK_NS = 2 * 24 * 3600 * 10**9
MAX_SEARCH_DEPTH = 100_000
MAX_ANSWER_SPANS = 100_000
"""A search answer stops adding traces once it holds this many spans."""
DEFAULT_SEARCH_DEPTH = 100

_UI_PAGE = b"""<!DOCTYPE html>
<html lang="en"><meta charset="UTF-8"><title>otdiag listen</title>
<body><h1>otdiag listen</h1>
<p>A Jaeger-compatible query API (no UI): /api/v3/traces/{id}, /api/v3/traces, /api/v3/services,
/api/v3/operations, /api/traces/{id}, /api/traces, /api/services, /api/operations.</p></body></html>
"""


class _Http(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Query:
    service: str = ""
    operation: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    start_min: int = 0
    start_max: int = 0
    duration_min: int = 0
    duration_max: int = 0
    depth: int = DEFAULT_SEARCH_DEPTH


def _json(status: int, doc: Any, content_type: str) -> Response:
    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    headers = [("Content-Type", content_type)]
    if status >= 400:
        headers.append(("X-Content-Type-Options", "nosniff"))
        body += b"\n"  # Go's http.Error ends the body with a newline
    return Response(status, body, headers)


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _streamed(status: int, content_type: str, head: str, pieces: Iterator[str], tail: str) -> Response:
    """A JSON answer written piece by piece (the same bytes as `_json` would give for the whole document)."""

    def chunks() -> Iterator[bytes]:
        yield head.encode()
        for piece in pieces:
            yield piece.encode()
        yield tail.encode()

    return Response(status, b"", [("Content-Type", content_type)], stream=chunks())


def _v3_error(status: int, message: str) -> Response:
    return _json(status, {"error": {"httpCode": status, "message": message}}, "text/plain; charset=utf-8")


def _legacy_error(status: int, message: str) -> Response:
    doc = {"data": None, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": status, "msg": message}]}
    return _json(status, doc, "text/plain; charset=utf-8")


def _legacy_ok(data: Any, total: int = 0, errors: list[dict[str, Any]] | None = None) -> Response:
    doc = {"data": data, "total": total, "limit": 0, "offset": 0, "errors": errors or None}
    return _json(200, doc, "application/json")


def _v3_ok(doc: Any) -> Response:
    # Jaeger's API v3 gateway writes its JSON without setting a content type; Go's sniffing says text/plain.
    return _json(200, doc, "text/plain; charset=utf-8")


class QueryApp:
    """The query API as an `httpserver.App`; answered on a worker thread (a search may take a while)."""

    blocking = True

    def __init__(self, store: SpanStore, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock

    def head(self, req: Request) -> Response | None:
        return None

    def too_large(self, req: Request) -> Response:
        return Response(413, b"request body too large", [("Content-Type", "text/plain; charset=utf-8")])

    def handle(self, req: Request, body: bytes) -> Response:
        path = req.raw_path
        try:
            if req.method == "GET" and path.startswith("/api/"):
                q = parse_qs(req.query, keep_blank_values=True)
                routed = self._route_v3(path, q) if path.startswith("/api/v3/") else self._route_legacy(path, q)
                if routed is not None:
                    return routed
        except _Http as err:
            if path.startswith("/api/v3/"):
                return _v3_error(err.status, err.message)
            return _legacy_error(err.status, err.message)
        return Response(200, _UI_PAGE, [("Content-Type", "text/html; charset=utf-8")])

    def _route_v3(self, path: str, q: dict[str, list[str]]) -> Response | None:
        """A GET under /api/v3/, answered; None for a path Jaeger does not route (its UI answers)."""
        if path == "/api/v3/services":
            return self.v3_services()
        if path == "/api/v3/operations":
            return self.v3_operations(q)
        if path == "/api/v3/traces":
            return self.v3_search(q)
        tid = _path_id(path, "/api/v3/traces/")
        return self.v3_trace(tid, q) if tid else None

    def _route_legacy(self, path: str, q: dict[str, list[str]]) -> Response | None:
        """A GET under /api/ (not v3), answered; None for a path Jaeger does not route (its UI answers)."""
        if path == "/api/services":
            return self.legacy_services()
        if path == "/api/operations":
            return self.legacy_operations(q)
        if path == "/api/traces":
            return self.legacy_search(q)
        tid = _path_id(path, "/api/traces/")
        if tid:
            return self.legacy_trace(tid, q)
        parts = path.split("/")
        if len(parts) == 5 and parts[2] == "services" and parts[4] == "operations" and parts[3]:
            return self.legacy_service_operations(unquote(parts[3]))
        return None

    # --- API v3 ------------------------------------------------------------------------------------

    def v3_services(self) -> Response:
        services = self.store.services()
        return _v3_ok({"services": services} if services else {})

    def v3_operations(self, q: dict[str, list[str]]) -> Response:
        ops = self.store.operations(_one(q, "service"), _one(q, "span_kind"))
        return _v3_ok({"operations": [{"name": n, "spanKind": k} if k else {"name": n} for n, k in ops]})

    def v3_trace(self, tid_text: str, q: dict[str, list[str]]) -> Response:
        try:
            tid = gofmt.trace_id_from_string(tid_text)
        except gofmt.GoParseError as exc:
            raise _Http(400, f"malformed parameter trace_id: {exc}") from None
        for name in ("start_time", "end_time"):
            if _one(q, name):
                _rfc3339(_one(q, name), name)
        raw = _bool(_one(q, "raw_traces"), "raw_traces", v3=True)
        trace = self.store.get(tid)
        if trace is None:
            raise _Http(404, "No traces found")
        return _v3_ok({"result": {"resourceSpans": views.v3_resource_spans(trace, raw=raw)}})

    def v3_search(self, q: dict[str, list[str]]) -> Response:
        query = Query(service=_one(q, "query.service_name"), operation=_one(q, "query.operation_name"))
        attrs = _one(q, "query.attributes")
        if attrs:
            query.attributes = _string_map(attrs, "malformed parameter query.attributes: ")
        tmin, tmax = _one(q, "query.start_time_min"), _one(q, "query.start_time_max")
        if not tmin or not tmax:
            raise _Http(400, "query.start_time_min and query.start_time_max are required")
        query.start_min = _rfc3339(tmin, "query.start_time_min")
        query.start_max = _rfc3339(tmax, "query.start_time_max")
        n = _one(q, "query.num_traces")
        if n:
            query.depth = _atoi(n, "malformed parameter query.num_traces: ")
        query.duration_min = _duration(q, "query.duration_min", "malformed parameter {name}: {error}")
        query.duration_max = _duration(q, "query.duration_max", "malformed parameter {name}: {error}")
        raw = _bool(_one(q, "query.raw_traces"), "query.raw_traces", v3=True)
        found = self.search(query)
        first = next(found, None)
        if first is None:
            raise _Http(404, "No traces found")

        def pieces() -> Iterator[str]:
            n = 0
            for trace in itertools.chain([first], found):
                for rs in views.v3_resource_spans(trace, raw=raw):
                    yield ("," if n else "") + _dumps(rs)
                    n += 1

        return _streamed(200, "text/plain; charset=utf-8", '{"result":{"resourceSpans":[', pieces(), "]}}")

    # --- legacy ------------------------------------------------------------------------------------

    def legacy_services(self) -> Response:
        services = self.store.services()
        return _legacy_ok(services or None, len(services))

    def legacy_service_operations(self, service: str) -> Response:
        names = sorted({n for n, _ in self.store.operations(service)})
        return _legacy_ok(names or None, len(names))

    def legacy_operations(self, q: dict[str, list[str]]) -> Response:
        service = _one(q, "service")
        if not service:
            raise _Http(400, "parameter 'service' is required")
        ops = self.store.operations(service, _one(q, "spanKind"))
        return _legacy_ok([{"name": n, "spanKind": k} for n, k in ops], len(ops))

    def legacy_trace(self, tid_text: str, q: dict[str, list[str]]) -> Response:
        try:
            tid = gofmt.trace_id_from_string(tid_text)
        except gofmt.GoParseError as exc:
            raise _Http(400, str(exc)) from None
        for name in ("start", "end"):
            if _one(q, name):
                _micros(_one(q, name), name)
        raw = _bool(_one(q, "raw"), "raw")
        trace = self.store.get(tid)
        if trace is None:
            raise _Http(404, "trace not found")
        return _legacy_ok([views.legacy_trace(trace, raw=raw)])

    def legacy_search(self, q: dict[str, list[str]]) -> Response:
        query = self._legacy_query(q)
        ids = []
        for text in q.get("traceID", []):
            try:
                ids.append(gofmt.trace_id_from_string(text))
            except gofmt.GoParseError as exc:
                raise _Http(400, f"cannot parse traceID param: {exc}") from None
        raw = _bool(_one(q, "raw"), "raw")
        if not ids and not query.service:
            raise _Http(400, "parameter 'service' is required")
        if query.duration_min and query.duration_max and query.duration_max < query.duration_min:
            raise _Http(400, "'maxDuration' should be greater than 'minDuration'")
        if ids:
            return self._legacy_traces(ids, raw)
        matches = self.search(query)

        def pieces() -> Iterator[str]:
            for i, trace in enumerate(matches):
                yield ("," if i else "") + _dumps(views.legacy_trace(trace, raw=raw))

        tail = '],"total":0,"limit":0,"offset":0,"errors":null}'
        return _streamed(200, "application/json", '{"data":[', pieces(), tail)

    def _legacy_query(self, q: dict[str, list[str]]) -> Query:
        """/api/traces' search parameters, checked in Jaeger's order (the first one wrong is the 400)."""
        now = int(self._clock() * 1e9)
        query = Query(service=_one(q, "service"), operation=_one(q, "operation"))
        query.start_min = _micros(_one(q, "start"), "start") if _one(q, "start") else now - LEGACY_LOOKBACK_NS
        query.start_max = _micros(_one(q, "end"), "end") if _one(q, "end") else now
        for tag in q.get("tag", []):
            key, sep, value = tag.partition(":")
            if not sep:
                raise _Http(400, f"malformed 'tag' parameter, expecting key:value, received: {tag}")
            query.attributes[key] = value
        for tags in q.get("tags", []):
            query.attributes.update(_string_map(tags, "malformed 'tags' parameter, cannot unmarshal JSON: "))
        limit = _one(q, "limit")
        query.depth = 100
        if limit:
            query.depth = _parse_int(limit, "strconv.ParseInt", "")
        query.duration_min = _duration(q, "minDuration", "unable to parse param '{name}': {error}")
        query.duration_max = _duration(q, "maxDuration", "unable to parse param '{name}': {error}")
        return query

    def _legacy_traces(self, ids: list[bytes], raw: bool) -> Response:
        """/api/traces?traceID=...: the traces found, and an error entry for each one not held."""
        found, errors = [], []
        for tid in ids:
            trace = self.store.get(tid)
            if trace is None:
                errors.append({"msg": "trace not found", "traceID": gofmt.legacy_trace_id(tid)})
            else:
                found.append(views.legacy_trace(trace, raw=raw))
        return _legacy_ok(found, 0, errors)

    # --- search (Jaeger's memory storage) ------------------------------------------------------------

    def search(self, query: Query) -> Iterator[StoredTrace]:
        """Matching traces, newest first, up to the query's depth and MAX_ANSWER_SPANS spans in all.

        A generator: traces are decoded and matched while the answer is written, so a large answer
        never sits in memory whole.
        """
        if query.depth <= 0 or query.depth > MAX_SEARCH_DEPTH:
            raise _Http(500, "search depth must be greater than 0 and less than max traces")
        return self._search(query)

    def _search(self, query: Query) -> Iterator[StoredTrace]:
        found = spans = 0
        for trace in self.store.newest_first():
            if found == query.depth or spans >= MAX_ANSWER_SPANS:
                return
            if _matches(trace, query):
                found += 1
                spans += trace.span_count
                yield trace


def _matches(trace: StoredTrace, q: Query) -> bool:
    for group in trace.groups:
        if q.service and q.service != group.service:
            continue
        resource: Resource | None = None
        for scope_group in group.scopes:
            scope: InstrumentationScope | None = None
            for rec in scope_group.spans:
                if q.operation and q.operation != rec.name:
                    continue
                if q.start_min and rec.start_ns < q.start_min:
                    continue
                if q.start_max and rec.start_ns > q.start_max:
                    continue
                duration = rec.end_ns - rec.start_ns
                if q.duration_min and duration < q.duration_min:
                    continue
                if q.duration_max and duration > q.duration_max:
                    continue
                # Jaeger reads an `error` parameter as a string, whose Bool() is false: it selects status OK.
                if "error" in q.attributes and rec.status_code != 1:
                    continue
                others = {k: v for k, v in q.attributes.items() if k != "error"}
                if others:
                    if resource is None:
                        resource = Resource()
                        resource.ParseFromString(group.resource)
                    if scope is None:
                        scope = InstrumentationScope()
                        scope.ParseFromString(scope_group.scope)
                    span = Span()
                    span.ParseFromString(rec.raw)
                    if not all(_has(k, v, resource, scope, span) for k, v in others.items()):
                        continue
                return True
    return False


def _has(key: str, value: str, resource: Resource, scope: InstrumentationScope, span: Span) -> bool:
    pools = [span.attributes, scope.attributes, resource.attributes, *(e.attributes for e in span.events)]
    for attrs in pools:
        for kv in attrs:
            if kv.key == key:
                if views._as_string(kv.value) == value:
                    return True
                break
    return False


def _duration(q: dict[str, list[str]], name: str, error: str) -> int:
    """A Go duration parameter in nanoseconds, 0 when absent; 400 with `error` ({name}, {error}) when malformed."""
    text = _one(q, name)
    if not text:
        return 0
    try:
        return gofmt.parse_duration(text)
    except gofmt.GoParseError as exc:
        raise _Http(400, error.format(name=name, error=exc)) from None


def _path_id(path: str, prefix: str) -> str:
    """The (unquoted) last segment of `path` right under `prefix`, or '' when it is not such a path."""
    rest = path[len(prefix) :] if path.startswith(prefix) else ""
    return unquote(rest) if "/" not in rest else ""


def _one(q: dict[str, list[str]], name: str) -> str:
    values = q.get(name)
    return values[0] if values else ""


def _rfc3339(text: str, name: str) -> int:
    try:
        return gofmt.parse_rfc3339_nano(text)
    except gofmt.GoParseError as exc:
        raise _Http(400, f"malformed parameter {name}: {exc}") from None


def _micros(text: str, name: str) -> int:
    return _parse_int(text, "strconv.ParseInt", f"unable to parse param '{name}': ") * 1000


def _atoi(text: str, prefix: str) -> int:
    return _parse_int(text, "strconv.Atoi", prefix)


_DIGITS = frozenset("0123456789")


def _parse_int(text: str, func: str, prefix: str) -> int:
    """Go's strconv.ParseInt(text, 10, 64): ASCII digits after an optional sign, within int64, else a 400."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not _DIGITS.issuperset(digits):
        raise _Http(400, f'{prefix}{func}: parsing "{text}": invalid syntax')
    if len(digits.lstrip("0")) > 19 or not -(1 << 63) <= int(text, 10) < 1 << 63:
        raise _Http(400, f'{prefix}{func}: parsing "{text}": value out of range')
    return int(text, 10)


_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def _bool(text: str, name: str, *, v3: bool = False) -> bool:
    if not text:
        return False
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    err = f'strconv.ParseBool: parsing "{text}": invalid syntax'
    raise _Http(400, f"malformed parameter {name}: {err}" if v3 else f"unable to parse param '{name}': {err}")


def _string_map(text: str, prefix: str) -> dict[str, str]:
    wrong_type = f"{prefix}json: cannot unmarshal into Go value of type map[string]string"
    try:
        doc = json.loads(text)
    except RecursionError:
        # Nested deeper than Python's decoder goes: no map of strings either way (Go says which type).
        raise _Http(400, wrong_type) from None
    except ValueError as exc:
        raise _Http(400, f"{prefix}{exc}") from None
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise _Http(400, wrong_type)
    return {str(k): str(v) for k, v in doc.items()}
