"""Received spans, kept in memory and bounded, grouped the way Jaeger's in-memory storage groups them.

Jaeger v2's memory store splits every write by trace: each trace gets, per
write, one resource block holding one scope block per instrumentation scope
that had spans of that trace. Keeping the same grouping lets the query API
answer with the same shapes. A request is kept as the bytes that came in
(compact; a trace is decoded into records only when a query or the summary
reads it), and each trace keeps where its spans are in those requests.

The bound is on spans: when a write takes the total over `max_spans`, whole
traces are evicted, oldest first (by when their first span arrived), and the
evictions are counted. Services and operations are those of the spans held,
so they leave with evicted traces (memory stays bounded by `max_spans`); a
request whose spans were mostly evicted is re-encoded with the rest.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from otdiag.listen.refused import RefusedLog
from otdiag.model import SPAN_KINDS

if TYPE_CHECKING:
    # Imported where used: the summary's finding kinds are loaded by commands that never decode spans.
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

ZERO_TRACE_ID = bytes(16)
ZERO_SPAN_ID = bytes(8)
WARNINGS_ATTRIBUTE = "@jaeger@warnings"

# What Jaeger's storage exporter writes when a resource has no usable service.name.
MISSING_SERVICE = "missing-service-name"
EMPTY_SERVICE = "empty-service-name"
WRONG_TYPE_SERVICE = "service-name-wrong-type"


class Transport(StrEnum):
    GRPC = "grpc"
    HTTP_PROTOBUF = "http/protobuf"
    HTTP_JSON = "http/json"


class SpanRecord:
    """One held span as a query reads it; `raw` (the serialized span) is made only when asked for."""

    __slots__ = (
        "_raw", "_span", "end_ns", "kind", "name", "parent_span_id", "received", "span_id", "start_ns", "status_code",
        "trace_id",
    )  # fmt: skip

    def __init__(self, span: Span, start_ns: int, end_ns: int, received: float) -> None:
        self._span = span
        self._raw: bytes | None = None
        self.trace_id: bytes = span.trace_id
        self.span_id: bytes = span.span_id
        self.parent_span_id: bytes = span.parent_span_id
        self.name: str = span.name
        self.kind: int = span.kind
        self.start_ns = start_ns
        self.end_ns = end_ns
        """After Jaeger's sanitizer: at least start + 1 ns."""
        self.status_code: int = span.status.code
        self.received = received
        """Wall-clock seconds when it arrived."""

    @property
    def raw(self) -> bytes:
        """The serialized Span, as Jaeger would store it (sanitized)."""
        if self._raw is None:
            self._raw = self._span.SerializeToString()
        return self._raw

    def __repr__(self) -> str:
        return f"SpanRecord({self.trace_id.hex()}/{self.span_id.hex()} {self.name!r})"


@dataclass(slots=True)
class ScopeGroup:
    scope: bytes
    """Serialized InstrumentationScope."""
    spans: list[SpanRecord]


@dataclass(slots=True)
class ResourceGroup:
    write: int
    resource: bytes
    """Serialized Resource, with service.name filled in as Jaeger's sanitizer does."""
    service: str
    """The service name as Jaeger shows it."""
    service_raw: str | None
    """service.name as the app sent it (None when absent or not a string)."""
    scopes: list[ScopeGroup]


@dataclass(slots=True)
class StoredTrace:
    trace_id: bytes
    groups: list[ResourceGroup] = field(default_factory=list)
    span_count: int = 0
    start_ns: int = 0
    end_ns: int = 0

    def records(self) -> Iterator[tuple[ResourceGroup, ScopeGroup, SpanRecord]]:
        for group in self.groups:
            for scope in group.scopes:
                for rec in scope.spans:
                    yield group, scope, rec


@dataclass(frozen=True, slots=True)
class Arrival:
    """One received span, for the live display and `run`'s report."""

    received: float
    transport: Transport
    service: str
    service_raw: str | None
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    start_ns: int
    end_ns: int
    status_code: int
    status_message: str
    attributes: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """One line of `listen --json-lines`."""
        return {
            "type": "span",
            "received": round(self.received, 3),
            "transport": self.transport.value,
            "service": self.service,
            "service_name_set": self.service_raw is not None,
            "name": self.name,
            "kind": self.kind,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id or None,
            "duration_ms": round(max(0, self.end_ns - self.start_ns) / 1e6, 3),
            "status": _STATUS_NAMES.get(self.status_code, "unset"),
            "status_message": self.status_message or None,
            "attributes": dict(self.attributes),
        }


_STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}


@dataclass
class Stats:
    """Running totals since start, kept even when traces are evicted."""

    requests: Counter[str] = field(default_factory=Counter)
    """Export requests answered, by transport and outcome (`grpc ok`, `http/json 400` ...)."""
    spans: int = 0
    traces_seen: int = 0
    by_service: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_transport: Counter[str] = field(default_factory=Counter)
    service_raw: Counter[str] = field(default_factory=Counter)
    """Spans per service.name as sent; '' stands for none at all."""
    zero_trace_id: int = 0
    zero_span_id: int = 0
    negative_duration: int = 0
    evicted_traces: int = 0
    evicted_spans: int = 0
    first_received: float | None = None
    last_received: float | None = None
    rejected_messages: Counter[str] = field(default_factory=Counter)


def service_of(resource: Resource) -> tuple[str, str | None, bool]:
    """(service as Jaeger shows it, service.name as sent, whether the resource had to be fixed)."""
    for kv in resource.attributes:
        if kv.key == "service.name":
            if kv.value.WhichOneof("value") != "string_value":
                return WRONG_TYPE_SERVICE, None, True
            if kv.value.string_value == "":
                return EMPTY_SERVICE, "", True
            return kv.value.string_value, kv.value.string_value, False
    return MISSING_SERVICE, None, True


def _set_service(resource: Resource, name: str) -> None:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    for kv in resource.attributes:
        if kv.key == "service.name":
            kv.value.CopyFrom(AnyValue(string_value=name))
            return
    resource.attributes.append(KeyValue(key="service.name", value=AnyValue(string_value=name)))


def _go_time(ns: int) -> str:
    """Go's time.Time.String() in UTC, as Jaeger's sanitizer warning prints it."""
    secs, frac = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs))
    if frac:
        stamp += "." + f"{frac:09d}".rstrip("0")
    return stamp + " +0000 UTC"


def _add_warning(span: Span, warning: str) -> None:
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue

    for kv in span.attributes:
        if kv.key == WARNINGS_ATTRIBUTE:
            kv.value.array_value.values.append(AnyValue(string_value=warning))
            return
    kv = span.attributes.add(key=WARNINGS_ATTRIBUTE)
    kv.value.array_value.values.append(AnyValue(string_value=warning))


def _display_value(v: AnyValue) -> str:
    which = v.WhichOneof("value")
    if which == "string_value":
        return v.string_value
    if which == "bool_value":
        return "true" if v.bool_value else "false"
    if which == "int_value":
        return str(v.int_value)
    if which == "double_value":
        return repr(v.double_value)
    if which == "bytes_value":
        return v.bytes_value.hex()
    if which == "array_value":
        return "[" + ",".join(_display_value(x) for x in v.array_value.values) + "]"
    if which == "kvlist_value":
        return "{" + ",".join(f"{x.key}={_display_value(x.value)}" for x in v.kvlist_value.values) + "}"
    return ""


Observer = Callable[[list[Arrival]], None]

MAX_ID_KEYS = 10_000
"""Distinct services and operations counted by name in the running totals; more are folded into OTHER."""
MAX_KEY_CHARS = 512
"""A service or operation name is counted and indexed by its first MAX_KEY_CHARS characters (and a mark):
the totals outlive evicted spans, so their size must be bounded too, not only their number."""
MAX_SHOWN_CHARS = 1024
"""A name or attribute value of a live display line is cut to this many characters."""


def clip(text: str, limit: int = MAX_KEY_CHARS) -> str:
    """`text`, or its first `limit` characters and a mark saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit} chars)"


OTHER = "(other)"
_COMPACT_MIN_SPANS = 16


class InvalidIds(ValueError):
    """A trace or span ID of the wrong length: the collector refuses the whole request."""


class _Batch:
    """One export request as received, shared by the traces it holds, decoded again only when read.

    `layout` has one (resource index, scope index, first span number, span count) per scope block;
    spans are numbered across the whole request. `live` counts spans still held by some trace.
    """

    __slots__ = ("layout", "live", "raw", "received", "services", "tids", "total", "transport")

    def __init__(
        self,
        raw: bytes,
        layout: list[tuple[int, int, int, int]],
        services: list[tuple[str, str | None, bool]],
        tids: list[bytes],
        total: int,
        received: float,
        transport: Transport,
    ) -> None:
        self.raw = raw
        self.layout = layout
        self.services = services
        self.tids = tids
        self.total = total
        self.live = total
        self.received = received
        self.transport = transport


class _Held:
    """A held trace: where its spans are (batch, span numbers), and each span's (service, name, kind)."""

    __slots__ = ("chunks", "ops", "span_count", "tid")

    def __init__(
        self, tid: bytes, chunks: list[tuple[_Batch, list[int]]], ops: list[tuple[str, str, int]], count: int
    ) -> None:
        self.tid = tid
        self.chunks = chunks
        self.ops = ops
        self.span_count = count


class SpanStore:
    """Thread-safe: receivers write from their threads, the query API and the CLI read.

    Writing costs a decode (in C) and a read of a few fields per span: the request's bytes are kept
    as they came, and a span is only decoded into records when a query or the summary reads it.
    Services and operations are indexed by the spans held, so they leave with evicted traces.
    """

    def __init__(
        self,
        max_spans: int = 100_000,
        *,
        clock: Callable[[], float] = time.time,
        recorder: Callable[[ExportTraceServiceRequest], None] | None = None,
    ) -> None:
        """`recorder` is handed every accepted request that holds spans (`--save`)."""
        if max_spans < 1:
            raise ValueError("max_spans must be at least 1")
        self.max_spans = max_spans
        self._clock = clock
        self._lock = threading.RLock()
        self._traces: OrderedDict[bytes, _Held] = OrderedDict()
        self._span_total = 0
        self._ops: dict[str, dict[tuple[str, int], int]] = {}
        """Per service, (operation, kind) -> spans held."""
        self.stats = Stats()
        self._observers: list[Observer] = []
        self.refused = RefusedLog(clock)
        """Requests refused or sent in the wrong protocol (a wrong path, gRPC to the HTTP port, TLS, …)."""
        self._recorder = recorder

    # --- writing -------------------------------------------------------------------------------

    def subscribe(self, observer: Observer) -> None:
        """`observer` is called (on the receiving thread) with every accepted batch of spans."""
        with self._lock:
            self._observers.append(observer)

    def count_request(self, transport: Transport, outcome: str, message: str = "") -> None:
        with self._lock:
            self.stats.requests[f"{transport.value} {outcome}"] += 1
            if message:
                self.stats.rejected_messages[f"{transport.value} {outcome}: {message[:200]}"] += 1

    def write(self, req: ExportTraceServiceRequest, transport: Transport, raw: bytes | None = None) -> int:
        """Store every span of one export request (`raw`: its bytes, when at hand); returns the span count.

        Raises InvalidIds, storing nothing, when an ID has a length the collector refuses.
        """
        now = self._clock()
        scan = _scan(req)
        n = scan.n
        batch = _Batch(
            raw if raw is not None else req.SerializeToString(), scan.layout, scan.services, list(scan.positions), n,
            now, transport,
        )  # fmt: skip
        with self._lock:
            self._count(scan, transport, now)
            self._hold(batch, scan)
            if self._span_total > self.max_spans:
                self._evict()
            observers = list(self._observers)
        if self._recorder is not None and n:
            self._recorder(req)
        if observers and n:
            arrivals = _arrivals(req, scan.services, transport, now)
            for observer in observers:
                observer(arrivals)
        return n

    def _count(self, scan: _Scan, transport: Transport, now: float) -> None:
        """Add one request's spans to the running totals (under the lock)."""
        st = self.stats
        n = scan.n
        st.spans += n
        st.by_transport[transport.value] += n
        st.zero_trace_id += scan.zero_trace
        st.zero_span_id += scan.zero_span
        st.negative_duration += scan.negative
        for (service, name, _), count in scan.op_counts.items():
            _bounded_add(st.by_operation, (service, name), count, (OTHER, OTHER))
            _bounded_add(st.by_service, service, count, OTHER)
        for key, count in scan.raw_counts.items():
            _bounded_add(st.service_raw, key, count, OTHER)
        if n:
            st.first_received = st.first_received or now
            st.last_received = now

    def _hold(self, batch: _Batch, scan: _Scan) -> None:
        """Keep one request's spans under their traces, and index their operations (under the lock)."""
        traces = self._traces
        ops_of = scan.ops_of
        seen = 0
        for tid, where in scan.positions.items():
            held = traces.get(tid)
            if held is None:
                traces[tid] = _Held(tid, [(batch, where)], ops_of[tid], len(where))
                seen += 1
            else:
                held.chunks.append((batch, where))
                held.ops += ops_of[tid]
                held.span_count += len(where)
        self.stats.traces_seen += seen
        self._span_total += scan.n
        index = self._ops
        for (service, name, kind), count in scan.op_counts.items():
            per = index.get(service)
            if per is None:
                per = index[service] = {}
            per[(name, kind)] = per.get((name, kind), 0) + count

    def _drop_ops(self, ops: list[tuple[str, str, int]]) -> None:
        index = self._ops
        for service, name, kind in ops:
            per = index[service]
            left = per[(name, kind)] - 1
            if left:
                per[(name, kind)] = left
            else:
                del per[(name, kind)]
                if not per:
                    del index[service]

    def _evict(self) -> None:
        released: list[_Batch] = []
        while self._span_total > self.max_spans and len(self._traces) > 1:
            _, old = self._traces.popitem(last=False)
            self._span_total -= old.span_count
            self.stats.evicted_traces += 1
            self.stats.evicted_spans += old.span_count
            self._drop_ops(old.ops)
            for batch, where in old.chunks:
                batch.live -= len(where)
                released.append(batch)
        if self._span_total > self.max_spans and self._traces:
            # One trace alone is over the bound: drop its oldest spans.
            trace = next(iter(self._traces.values()))
            drop = trace.span_count - self.max_spans
            self._drop_ops(trace.ops[:drop])
            del trace.ops[:drop]
            trace.span_count -= drop
            self._span_total -= drop
            self.stats.evicted_spans += drop
            while drop:
                batch, where = trace.chunks[0]
                cut = min(drop, len(where))
                batch.live -= cut
                released.append(batch)
                if cut == len(where):
                    trace.chunks.pop(0)
                else:
                    trace.chunks[0] = (batch, where[cut:])
                drop -= cut
        done: set[int] = set()
        for batch in released:
            if id(batch) in done:
                continue
            done.add(id(batch))
            if 0 < batch.live * 4 <= batch.total and batch.total >= _COMPACT_MIN_SPANS:
                self._compact(batch)

    def _compact(self, batch: _Batch) -> None:
        """Re-encode a batch that holds mostly evicted spans with only its live ones (memory stays bounded)."""
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        users = []
        keep: set[int] = set()
        for tid in batch.tids:
            held = self._traces.get(tid)
            if held is None:
                continue
            for i, (b, where) in enumerate(held.chunks):
                if b is batch:
                    users.append((held, i))
                    keep.update(where)
        old = ExportTraceServiceRequest()
        old.ParseFromString(batch.raw)
        new = ExportTraceServiceRequest()
        renumber: dict[int, int] = {}
        layout: list[tuple[int, int, int, int]] = []
        services: list[tuple[str, str | None, bool]] = []
        count = 0
        last_rs = -1
        for rs_i, ss_i, first, length in batch.layout:
            picked = [p for p in range(first, first + length) if p in keep]
            if not picked:
                continue
            rs = old.resource_spans[rs_i]
            if rs_i != last_rs:
                last_rs = rs_i
                out_rs = new.resource_spans.add()
                out_rs.resource.CopyFrom(rs.resource)
                out_rs.schema_url = rs.schema_url
                services.append(batch.services[rs_i])
            out_rs = new.resource_spans[-1]
            ss = rs.scope_spans[ss_i]
            out_ss = out_rs.scope_spans.add()
            out_ss.scope.CopyFrom(ss.scope)
            out_ss.schema_url = ss.schema_url
            layout.append((len(new.resource_spans) - 1, len(out_rs.scope_spans) - 1, count, len(picked)))
            for p in picked:
                out_ss.spans.append(ss.spans[p - first])
                renumber[p] = count
                count += 1
        fresh = _Batch(
            new.SerializeToString(), layout, services, [h.tid for h, _ in users], count, batch.received,
            batch.transport,
        )  # fmt: skip
        for held, i in users:
            _, where = held.chunks[i]
            held.chunks[i] = (fresh, [renumber[p] for p in where])
        batch.live = 0  # whatever still points at it is a snapshot being read; nothing to compact again

    # --- reading -------------------------------------------------------------------------------

    def get(self, trace_id: bytes) -> StoredTrace | None:
        with self._lock:
            held = self._traces.get(trace_id)
            chunks = list(held.chunks) if held is not None else None
        return _materialize(trace_id, chunks, _Parsed()) if chunks is not None else None

    def newest_first(self) -> Iterator[StoredTrace]:
        """Every trace, most recently started (first span arrived) first, as Jaeger's search walks them.

        Traces are decoded one by one as the caller walks them (each request decoded once per walk).
        """
        with self._lock:
            held = [(h.tid, list(h.chunks)) for h in reversed(self._traces.values())]
        parsed = _Parsed()
        for tid, chunks in held:
            yield _materialize(tid, chunks, parsed)

    def services(self) -> list[str]:
        with self._lock:
            return list(self._ops)

    def operations(self, service: str, kind: str = "") -> list[tuple[str, str]]:
        with self._lock:
            ops = [(name, SPAN_KINDS.get(k, "") if k else "") for name, k in self._ops.get(clip(service), {})]
        return list(dict.fromkeys(op for op in ops if kind == "" or op[1] == kind))

    @property
    def span_count(self) -> int:
        with self._lock:
            return self._span_total

    @property
    def trace_count(self) -> int:
        with self._lock:
            return len(self._traces)


INVALID_TRACE_ID = "unmarshal: invalid TraceID length"  # the collector v0.155, verified
INVALID_SPAN_ID = "unmarshal: invalid SpanID length"


class _Scan:
    """One pass over a request's spans: where each trace's spans are (span numbers), and what to count."""

    __slots__ = ("layout", "n", "negative", "op_counts", "ops_of", "positions", "raw_counts", "services",
                 "zero_span", "zero_trace")  # fmt: skip

    def __init__(self) -> None:
        self.layout: list[tuple[int, int, int, int]] = []
        self.services: list[tuple[str, str | None, bool]] = []
        self.positions: dict[bytes, list[int]] = {}
        self.ops_of: dict[bytes, list[tuple[str, str, int]]] = {}
        """Per trace, each of its spans' (service, name, kind), in span order."""
        self.op_counts: dict[tuple[str, str, int], int] = {}
        self.raw_counts: dict[str, int] = {}
        """Spans per service.name as sent ('' for none)."""
        self.n = self.zero_trace = self.zero_span = self.negative = 0


def _scan(req: ExportTraceServiceRequest) -> _Scan:
    """Read the few fields `write` needs from every span (the hot loop: one pass, locals only).

    Raises InvalidIds when an ID has a length the collector refuses.
    """
    scan = _Scan()
    layout, services, positions, ops_of, op_counts = (
        scan.layout, scan.services, scan.positions, scan.ops_of, scan.op_counts,
    )  # fmt: skip
    canon: dict[tuple[str, str, int], tuple[str, str, int]] = {}
    n = zero_trace = zero_span = negative = 0
    for rs_i, rs in enumerate(req.resource_spans):
        service, service_raw, fix = service_of(rs.resource)
        services.append((service, service_raw, fix))
        service_key = clip(service)
        first = n
        for ss_i, ss in enumerate(rs.scope_spans):
            spans = ss.spans
            layout.append((rs_i, ss_i, n, len(spans)))
            for span in spans:
                tid = span.trace_id
                sid = span.span_id
                parent = span.parent_span_id
                if (
                    len(tid) != 16 or tid == ZERO_TRACE_ID or len(sid) != 8 or sid == ZERO_SPAN_ID
                    or (parent and len(parent) != 8) or span.links
                ):  # fmt: skip
                    zero_t, zero_s = _odd_ids(span)
                    zero_trace += zero_t
                    zero_span += zero_s
                if span.start_time_unix_nano >= span.end_time_unix_nano:
                    negative += 1
                name = span.name
                op: tuple[str, str, int] = (service_key, name if len(name) <= MAX_KEY_CHARS else clip(name), span.kind)
                count = op_counts.get(op)
                if count is None:
                    canon[op] = op
                    op_counts[op] = 1
                else:
                    op = canon[op]  # one tuple per operation and write, shared by its spans
                    op_counts[op] = count + 1
                where = positions.get(tid)
                if where is None:
                    positions[tid] = [n]
                    ops_of[tid] = [op]
                else:
                    where.append(n)
                    ops_of[tid].append(op)
                n += 1
        if n > first:
            raw_key = clip(service_raw or "")
            scan.raw_counts[raw_key] = scan.raw_counts.get(raw_key, 0) + n - first
    scan.n, scan.zero_trace, scan.zero_span, scan.negative = n, zero_trace, zero_span, negative
    return scan


def _odd_ids(span: Span) -> tuple[int, int]:
    """A span with an empty, zero or odd-length ID, or with links: (zero trace ID?, zero span ID?) as 0/1.

    Raises InvalidIds for an ID of a length the collector refuses (its message, checked in this order).
    """
    tid, sid, parent = span.trace_id, span.span_id, span.parent_span_id
    zero_trace = zero_span = 0
    if len(tid) != 16 or tid == ZERO_TRACE_ID:
        if tid and tid != ZERO_TRACE_ID:
            raise InvalidIds(INVALID_TRACE_ID)
        zero_trace = 1
    if len(sid) != 8 or sid == ZERO_SPAN_ID:
        if sid and sid != ZERO_SPAN_ID:
            raise InvalidIds(INVALID_SPAN_ID)
        zero_span = 1
    if parent and len(parent) != 8:
        raise InvalidIds(INVALID_SPAN_ID)
    _check_links(span.links)
    return zero_trace, zero_span


def _check_links(links: Any) -> None:
    for link in links:
        if link.trace_id and len(link.trace_id) != 16:
            raise InvalidIds(INVALID_TRACE_ID)
        if link.span_id and len(link.span_id) != 8:
            raise InvalidIds(INVALID_SPAN_ID)


def _bounded_add(counter: Counter[Any], key: Any, count: int, other: Any) -> None:
    if key not in counter and len(counter) >= MAX_ID_KEYS:
        key = other
    counter[key] += count


class _Parsed:
    """Decoded requests, reused while one read walks many traces; bounded by the bytes it holds."""

    LIMIT = 64 << 20

    def __init__(self) -> None:
        self._cache: OrderedDict[int, tuple[_Batch, Any]] = OrderedDict()
        self._bytes = 0

    def get(self, batch: _Batch) -> Any:
        hit = self._cache.get(id(batch))
        if hit is not None and hit[0] is batch:
            self._cache.move_to_end(id(batch))
            return hit[1]
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        req = ExportTraceServiceRequest()
        req.ParseFromString(batch.raw)
        self._cache[id(batch)] = (batch, req)
        self._bytes += len(batch.raw)
        while self._bytes > self.LIMIT and len(self._cache) > 1:
            _, (old, _) = self._cache.popitem(last=False)
            self._bytes -= len(old.raw)
        return req


def _materialize(tid: bytes, chunks: list[tuple[_Batch, list[int]]], parsed: _Parsed) -> StoredTrace:
    """The trace as records, grouped per write, resource and scope as Jaeger's memory store groups it."""
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource

    trace = StoredTrace(tid)
    for write, (batch, where) in enumerate(chunks, 1):
        req = parsed.get(batch)
        wanted = where  # in request order: written so, and kept so by compaction
        k = 0
        group: ResourceGroup | None = None
        group_rs = -1
        for rs_i, ss_i, first, length in batch.layout:
            end = first + length
            if k >= len(wanted):
                break
            if wanted[k] >= end:
                continue
            rs = req.resource_spans[rs_i]
            if group is None or group_rs != rs_i:
                service, service_raw, fix = batch.services[rs_i]
                resource = rs.resource
                if fix:
                    resource = Resource()
                    resource.CopyFrom(rs.resource)
                    _set_service(resource, service)
                group = ResourceGroup(write, resource.SerializeToString(), service, service_raw, [])
                group_rs = rs_i
                trace.groups.append(group)
            ss = rs.scope_spans[ss_i]
            scope = ScopeGroup(ss.scope.SerializeToString(), [])
            group.scopes.append(scope)
            spans = ss.spans
            while k < len(wanted) and wanted[k] < end:
                rec = _record(spans[wanted[k] - first], batch.received)
                scope.spans.append(rec)
                trace.span_count += 1
                if trace.start_ns == 0 or rec.start_ns < trace.start_ns:
                    trace.start_ns = rec.start_ns
                trace.end_ns = max(trace.end_ns, rec.end_ns)
                k += 1
    return trace


def _record(span: Span, received: float) -> SpanRecord:
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start >= end:
        new_end = start + 1
        span = _sanitized_duration(span, start, end, new_end)
        end = new_end
    return SpanRecord(span, start, end, received)


def _arrivals(
    req: ExportTraceServiceRequest, services: list[tuple[str, str | None, bool]], transport: Transport, now: float
) -> list[Arrival]:
    out = []
    for rs, (service, service_raw, _) in zip(req.resource_spans, services, strict=True):
        for ss in rs.scope_spans:
            for sent in ss.spans:
                span, start, end = sent, sent.start_time_unix_nano, sent.end_time_unix_nano
                if start >= end:
                    span = _sanitized_duration(sent, start, end, start + 1)
                out.append(_arrival(span, _record(span, now), service, service_raw, transport, now))
    return out


def _sanitized_duration(span: Span, start: int, end: int, new_end: int) -> Span:
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    fixed = Span()
    fixed.CopyFrom(span)
    fixed.end_time_unix_nano = new_end
    _add_warning(
        fixed,
        "Negative duration detected, sanitizing end timestamp. "
        f"Original end timestamp: {_go_time(end)}, adjusted to: {_go_time(new_end)}",
    )
    return fixed


# Attributes worth showing on one line, in this order, when a span has them.
KEY_ATTRIBUTES = (
    "http.request.method", "http.method", "http.route", "url.path", "http.target",
    "http.response.status_code", "http.status_code", "rpc.system", "rpc.method", "db.system",
    "db.operation.name", "db.operation", "messaging.system", "messaging.destination.name", "error.type",
    "exception.type",
)  # fmt: skip


def _arrival(
    span: Span, rec: SpanRecord, service: str, service_raw: str | None, transport: Transport, now: float
) -> Arrival:
    attrs = {kv.key: kv.value for kv in span.attributes if kv.key in KEY_ATTRIBUTES}
    shown = tuple((k, clip(_display_value(attrs[k]), MAX_SHOWN_CHARS)) for k in KEY_ATTRIBUTES if k in attrs)
    return Arrival(
        received=now, transport=transport, service=clip(service, MAX_SHOWN_CHARS),
        service_raw=None if service_raw is None else clip(service_raw, MAX_SHOWN_CHARS),
        trace_id=rec.trace_id.hex(), span_id=rec.span_id.hex(), parent_span_id=rec.parent_span_id.hex(),
        name=clip(rec.name, MAX_SHOWN_CHARS), kind=SPAN_KINDS.get(rec.kind, "") or "unspecified",
        start_ns=rec.start_ns, end_ns=span.end_time_unix_nano, status_code=rec.status_code,
        status_message=clip(span.status.message, MAX_SHOWN_CHARS), attributes=shown,
    )  # fmt: skip
