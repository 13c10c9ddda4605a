"""Received spans, kept in memory and bounded, grouped the way Jaeger's in-memory storage groups them.

Jaeger v2's memory store splits every write by trace: each trace gets, per
write, one resource block holding one scope block per instrumentation scope
that had spans of that trace. Keeping the same grouping lets the query API
answer with the same shapes. Each span is kept as its serialized protobuf
(compact, decoded again only to answer a query) plus the few fields that
searches and the summary need.

The bound is on spans: when a write takes the total over `max_spans`, whole
traces are evicted, oldest first (by when their first span arrived), and the
evictions are counted. Services and operations, once seen, stay listed, as
in Jaeger.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

ZERO_TRACE_ID = bytes(16)
ZERO_SPAN_ID = bytes(8)
WARNINGS_ATTRIBUTE = "@jaeger@warnings"

# What Jaeger's storage exporter writes when a resource has no usable service.name.
MISSING_SERVICE = "missing-service-name"
EMPTY_SERVICE = "empty-service-name"
WRONG_TYPE_SERVICE = "service-name-wrong-type"

SPAN_KINDS = {0: "", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


class Transport(StrEnum):
    GRPC = "grpc"
    HTTP_PROTOBUF = "http/protobuf"
    HTTP_JSON = "http/json"


@dataclass(slots=True)
class SpanRecord:
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    name: str
    kind: int
    start_ns: int
    end_ns: int
    """After Jaeger's sanitizer: at least start + 1 ns."""
    status_code: int
    raw: bytes
    """The serialized Span, as Jaeger would store it (sanitized)."""
    received: float
    """Wall-clock seconds when it arrived."""


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


class SpanStore:
    """Thread-safe: receivers write from their threads, the query API and the CLI read."""

    def __init__(self, max_spans: int = 100_000, *, clock: Callable[[], float] = time.time) -> None:
        if max_spans < 1:
            raise ValueError("max_spans must be at least 1")
        self.max_spans = max_spans
        self._clock = clock
        self._lock = threading.RLock()
        self._traces: OrderedDict[bytes, StoredTrace] = OrderedDict()
        self._span_total = 0
        self._writes = 0
        self._services: dict[str, None] = {}
        self._operations: dict[str, dict[tuple[str, str], None]] = {}
        self.stats = Stats()
        self._observers: list[Observer] = []

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

    def write(self, req: ExportTraceServiceRequest, transport: Transport) -> int:
        """Store every span of one export request; returns how many spans it held."""
        now = self._clock()
        observers = self._observers
        arrivals: list[Arrival] = []
        by_trace: dict[bytes, list[ResourceGroup]] = {}
        count = 0
        with self._lock:
            self._writes += 1
            write = self._writes
        stats_ops: Counter[tuple[str, str]] = Counter()
        stats_raw: Counter[str] = Counter()
        zero_trace = zero_span = negative = 0
        for rs in req.resource_spans:
            resource = rs.resource
            service, service_raw, fix = service_of(resource)
            if fix:
                resource = Resource()
                resource.CopyFrom(rs.resource)
                _set_service(resource, service)
            resource_bytes = resource.SerializeToString()
            groups_here: dict[bytes, ResourceGroup] = {}
            for ss in rs.scope_spans:
                scope_bytes = ss.scope.SerializeToString()
                scopes_here: dict[bytes, ScopeGroup] = {}
                for sent in ss.spans:
                    span = sent
                    count += 1
                    tid = span.trace_id
                    sid = span.span_id
                    if tid in (b"", ZERO_TRACE_ID):
                        zero_trace += 1
                    if sid in (b"", ZERO_SPAN_ID):
                        zero_span += 1
                    start, end = span.start_time_unix_nano, span.end_time_unix_nano
                    if start >= end:
                        negative += 1
                        new_end = start + 1
                        span = _sanitized_duration(span, start, end, new_end)
                        end = new_end
                    rec = SpanRecord(
                        trace_id=tid, span_id=sid, parent_span_id=span.parent_span_id, name=span.name,
                        kind=span.kind, start_ns=start, end_ns=end, status_code=span.status.code,
                        raw=span.SerializeToString(), received=now,
                    )  # fmt: skip
                    stats_ops[(service, span.name)] += 1
                    stats_raw[service_raw or ""] += 1
                    group = groups_here.get(tid)
                    if group is None:
                        group = ResourceGroup(write, resource_bytes, service, service_raw, [])
                        groups_here[tid] = group
                        by_trace.setdefault(tid, []).append(group)
                    scope = scopes_here.get(tid)
                    if scope is None:
                        scope = ScopeGroup(scope_bytes, [])
                        scopes_here[tid] = scope
                        group.scopes.append(scope)
                    scope.spans.append(rec)
                    if observers:
                        arrivals.append(_arrival(span, rec, service, service_raw, transport, now))
        with self._lock:
            st = self.stats
            st.spans += count
            st.by_transport[transport.value] += count
            st.zero_trace_id += zero_trace
            st.zero_span_id += zero_span
            st.negative_duration += negative
            st.by_operation.update(stats_ops)
            st.service_raw.update(stats_raw)
            for (service, _), n in stats_ops.items():
                st.by_service[service] += n
            if count:
                st.first_received = st.first_received or now
                st.last_received = now
            for tid, groups in by_trace.items():
                self._add(tid, groups)
            self._index_operations(by_trace)
            self._evict()
        for observer in observers:
            if arrivals:
                observer(arrivals)
        return count

    def _add(self, tid: bytes, groups: list[ResourceGroup]) -> None:
        trace = self._traces.get(tid)
        if trace is None:
            trace = StoredTrace(tid)
            self._traces[tid] = trace
            self.stats.traces_seen += 1
        for group in groups:
            trace.groups.append(group)
            for scope in group.scopes:
                for rec in scope.spans:
                    trace.span_count += 1
                    self._span_total += 1
                    if trace.start_ns == 0 or rec.start_ns < trace.start_ns:
                        trace.start_ns = rec.start_ns
                    trace.end_ns = max(trace.end_ns, rec.end_ns)

    def _index_operations(self, by_trace: dict[bytes, list[ResourceGroup]]) -> None:
        for groups in by_trace.values():
            for group in groups:
                ops = self._operations.setdefault(group.service, {})
                self._services.setdefault(group.service, None)
                for scope in group.scopes:
                    for rec in scope.spans:
                        ops.setdefault((rec.name, SPAN_KINDS.get(rec.kind, "")), None)

    def _evict(self) -> None:
        while self._span_total > self.max_spans and len(self._traces) > 1:
            _, old = self._traces.popitem(last=False)
            self._span_total -= old.span_count
            self.stats.evicted_traces += 1
            self.stats.evicted_spans += old.span_count
        if self._span_total > self.max_spans and self._traces:
            # One trace alone is over the bound: drop its oldest spans.
            trace = next(iter(self._traces.values()))
            while trace.span_count > self.max_spans and trace.groups:
                group = trace.groups[0]
                scope = group.scopes[0]
                scope.spans.pop(0)
                trace.span_count -= 1
                self._span_total -= 1
                self.stats.evicted_spans += 1
                if not scope.spans:
                    group.scopes.pop(0)
                if not group.scopes:
                    trace.groups.pop(0)

    # --- reading -------------------------------------------------------------------------------

    def get(self, trace_id: bytes) -> StoredTrace | None:
        with self._lock:
            trace = self._traces.get(trace_id)
            return _snapshot(trace) if trace is not None else None

    def newest_first(self) -> list[StoredTrace]:
        """Every trace, most recently started (first span arrived) first, as Jaeger's search walks them."""
        with self._lock:
            return [_snapshot(t) for t in reversed(self._traces.values())]

    def services(self) -> list[str]:
        with self._lock:
            return list(self._services)

    def operations(self, service: str, kind: str = "") -> list[tuple[str, str]]:
        with self._lock:
            ops = self._operations.get(service, {})
            return [op for op in ops if kind == "" or op[1] == kind]

    @property
    def span_count(self) -> int:
        with self._lock:
            return self._span_total

    @property
    def trace_count(self) -> int:
        with self._lock:
            return len(self._traces)


def _snapshot(trace: StoredTrace) -> StoredTrace:
    """A copy whose lists later writes will not change (records themselves are never mutated)."""
    groups = [
        ResourceGroup(
            g.write,
            g.resource,
            g.service,
            g.service_raw,
            [ScopeGroup(s.scope, list(s.spans)) for s in g.scopes],
        )
        for g in trace.groups
    ]
    return StoredTrace(trace.trace_id, groups, trace.span_count, trace.start_ns, trace.end_ns)


def _sanitized_duration(span: Span, start: int, end: int, new_end: int) -> Span:
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
    shown = tuple((k, _display_value(attrs[k])) for k in KEY_ATTRIBUTES if k in attrs)
    return Arrival(
        received=now, transport=transport, service=service, service_raw=service_raw,
        trace_id=rec.trace_id.hex(), span_id=rec.span_id.hex(), parent_span_id=rec.parent_span_id.hex(),
        name=rec.name, kind=SPAN_KINDS.get(rec.kind, "") or "unspecified", start_ns=rec.start_ns,
        end_ns=span.end_time_unix_nano, status_code=rec.status_code, status_message=span.status.message,
        attributes=shown,
    )  # fmt: skip
