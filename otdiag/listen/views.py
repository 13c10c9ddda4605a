"""Stored traces as Jaeger v2 shows them: API v3 (OTLP/JSON) and the legacy UI JSON.

Jaeger does not return what it stored verbatim. API v3 runs its v2
"adjusters" (cmd/query/app/querysvc/v2/adjuster): attributes and events
sorted, duplicate spans dropped, a warning on spans whose parent is missing,
IP attributes normalised, telemetry.sdk.* moved to the resource, links
without a trace ID removed. The legacy API converts to Jaeger's own model
(the collector-contrib translator: scope, kind, status and trace state as
tags, events as logs, links as FOLLOWS_FROM references) and runs the v1
adjusters. Both are reproduced here so that clients see the same documents
from `otdiag listen` as from Jaeger (tests/test_listen_conformance.py
compares them against the real Jaeger).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otdiag.listen import gofmt
from otdiag.listen.store import WARNINGS_ATTRIBUTE, StoredTrace
from otdiag.model import SPAN_KINDS

LIBRARY_KEYS = frozenset(
    {
        "telemetry.sdk.language",
        "telemetry.sdk.name",
        "telemetry.sdk.version",
        "telemetry.distro.name",
        "telemetry.distro.version",
    }
)
IP_KEYS = frozenset({"ip", "peer.ipv4"})
EMPTY_SPAN_ID = bytes(8)


# --- decoded, mutable copies of a stored trace --------------------------------------------------------


@dataclass
class _Block:
    resource: Resource
    scopes: list[tuple[InstrumentationScope, list[Span]]]


def _decode(trace: StoredTrace) -> list[_Block]:
    blocks = []
    for group in trace.groups:
        resource = Resource()
        resource.ParseFromString(group.resource)
        scopes = []
        for sg in group.scopes:
            scope = InstrumentationScope()
            scope.ParseFromString(sg.scope)
            spans = []
            for rec in sg.spans:
                span = Span()
                span.ParseFromString(rec.raw)
                spans.append(span)
            scopes.append((scope, spans))
        blocks.append(_Block(resource, scopes))
    return blocks


def _is_empty_id(b: bytes) -> bool:
    return not b or not any(b)


def _sort_kvs(kvs: Any) -> None:
    items = sorted(((kv.key, kv.SerializeToString()) for kv in kvs), key=lambda item: item[0])
    del kvs[:]
    for _, raw in items:
        kvs.add().ParseFromString(raw)


def _get(kvs: Iterable[KeyValue], key: str) -> KeyValue | None:
    for kv in kvs:
        if kv.key == key:
            return kv
    return None


def add_warning(span: Span, warning: str) -> None:
    kv = _get(span.attributes, WARNINGS_ATTRIBUTE)
    if kv is None:
        kv = span.attributes.add(key=WARNINGS_ATTRIBUTE)
        kv.value.array_value.SetInParent()
    kv.value.array_value.values.append(AnyValue(string_value=warning))


def _ip_string(n: int) -> str:
    n &= 0xFFFFFFFF
    return ".".join(str(b) for b in n.to_bytes(4, "big"))


# --- API v3: the v2 adjusters ---------------------------------------------------------------------


def _v2_sort(blocks: list[_Block]) -> None:
    for block in blocks:
        _sort_kvs(block.resource.attributes)
        for scope, spans in block.scopes:
            _sort_kvs(scope.attributes)
            for span in spans:
                _sort_kvs(span.attributes)
                events = sorted(((e.name, e.SerializeToString()) for e in span.events), key=lambda item: item[0])
                del span.events[:]
                for _, raw in events:
                    ev = span.events.add()
                    ev.ParseFromString(raw)
                    _sort_kvs(ev.attributes)
                for link in span.links:
                    _sort_kvs(link.attributes)


def _v2_dedupe(blocks: list[_Block]) -> None:
    seen: set[tuple[bytes, bytes, bytes]] = set()
    for block in blocks:
        rattrs = Resource(attributes=block.resource.attributes).SerializeToString()
        for i, (scope, spans) in enumerate(block.scopes):
            sattrs = InstrumentationScope(attributes=scope.attributes).SerializeToString()
            kept = []
            for span in spans:
                key = (rattrs, sattrs, span.SerializeToString())
                if key not in seen:
                    seen.add(key)
                    kept.append(span)
            block.scopes[i] = (scope, kept)


def _host_key_v2(resource: Resource) -> str:
    for key in ("host.id", "host.ip", "host.name"):
        kv = _get(resource.attributes, key)
        if kv is None:
            continue
        v = kv.value
        if key == "host.ip" and v.WhichOneof("value") == "array_value":
            return _as_string(v.array_value.values[0]) if v.array_value.values else ""
        return v.string_value if v.WhichOneof("value") == "string_value" else ""
    return ""


@dataclass
class _Node:
    span: Any
    host: str
    parent: bytes
    start: int
    end: int
    children: list[_Node] = field(default_factory=list)


def _skew(child: _Node, parent: _Node) -> int:
    pd, cd = parent.end - parent.start, child.end - child.start
    if cd > pd:
        return parent.start - child.start if child.start < parent.start else 0
    if child.start >= parent.start and child.end <= parent.end:
        return 0
    latency = int((pd - cd) / 2)
    return parent.start + latency - child.start


def _clock_skew(
    nodes_in: list[tuple[Any, str, bytes, bytes, int, int]],
    warn: Any,
    missing_parent: str,
) -> None:
    """Jaeger's clock-skew adjuster with its default max delta 0: only the warnings it adds."""
    nodes: dict[bytes, _Node] = {}
    order: list[_Node] = []
    for span, host, sid, pid, start, end in nodes_in:
        if sid in nodes:
            warn(span, "duplicate span IDs; skipping clock skew adjustment")
            continue
        node = _Node(span, host, pid, start, end)
        nodes[sid] = node
        order.append(node)
    roots: list[_Node] = []
    for node in order:
        pid = node.parent
        if _is_empty_id(pid):
            roots.append(node)
        elif pid in nodes:
            nodes[pid].children.append(node)
        else:
            warn(node.span, missing_parent.format(pid.hex()))
            roots.append(node)

    def visit(n: _Node, parent: _Node | None, host: str, delta: int) -> None:
        if parent is not None and (n.host != host or n.host == ""):
            host, delta = n.host, _skew(n, parent)
        if delta != 0:
            warn(
                n.span,
                "clock skew adjustment disabled; not applying calculated delta of " + gofmt.duration_string(delta),
            )
        for child in n.children:
            visit(child, n, host, delta)

    for root in roots:
        visit(root, None, root.host, 0)


def _v2_adjust(blocks: list[_Block]) -> None:
    _v2_sort(blocks)
    _v2_dedupe(blocks)
    entries = []
    for block in blocks:
        host = _host_key_v2(block.resource)
        for _, spans in block.scopes:
            for span in spans:
                entries.append(
                    (span, host, bytes(span.span_id), bytes(span.parent_span_id),
                     span.start_time_unix_nano, span.end_time_unix_nano)
                )  # fmt: skip
    _clock_skew(entries, add_warning, "parent span ID={} is not in the trace; skipping clock skew adjustment")
    for block in blocks:
        _normalize_ips(block.resource.attributes)
        for _, spans in block.scopes:
            for span in spans:
                _normalize_ips(span.attributes)
                _move_library_attributes(span, block.resource)
                valid = [link.SerializeToString() for link in span.links if not _is_empty_id(link.trace_id)]
                if len(valid) != len(span.links):
                    for _ in range(len(span.links) - len(valid)):
                        add_warning(span, "Invalid span link removed")
                    del span.links[:]
                    for raw in valid:
                        span.links.add().ParseFromString(raw)


def _normalize_ips(kvs: Any) -> None:
    for kv in kvs:
        if kv.key in IP_KEYS:
            which = kv.value.WhichOneof("value")
            if which == "int_value":
                kv.value.CopyFrom(AnyValue(string_value=_ip_string(kv.value.int_value)))
            elif which == "double_value":
                kv.value.CopyFrom(AnyValue(string_value=_ip_string(int(kv.value.double_value))))


def _move_library_attributes(span: Span, resource: Resource) -> None:
    moving = [kv for kv in span.attributes if kv.key in LIBRARY_KEYS]
    for kv in moving:
        existing = _get(resource.attributes, kv.key)
        if existing is not None and existing.value.SerializeToString() != kv.value.SerializeToString():
            add_warning(span, "conflicting values between Span and Resource for attribute " + kv.key)
            continue
        if existing is None:
            resource.attributes.add().CopyFrom(kv)
        keep = [a.SerializeToString() for a in span.attributes if a.key != kv.key]
        del span.attributes[:]
        for raw in keep:
            span.attributes.add().ParseFromString(raw)


_V3_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(d: dict[str, Any]) -> dict[str, Any]:
    for key in _V3_ID_KEYS:
        if key in d:
            d[key] = base64.b64decode(d[key]).hex()
    return d


def _json_numbers(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _json_numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_numbers(v) for v in node]
    if isinstance(node, float):
        return gofmt.float_value(node)
    return node


def _span_json(span: Span) -> dict[str, Any]:
    d = MessageToDict(span, use_integers_for_enums=True)
    _hex_ids(d)
    for link in d.get("links", []):
        _hex_ids(link)
    d.setdefault("status", {})
    return d


def v3_resource_spans(trace: StoredTrace, *, raw: bool = False) -> list[dict[str, Any]]:
    """The trace's `resourceSpans`, as API v3 returns them."""
    blocks = _decode(trace)
    if not raw:
        _v2_adjust(blocks)
    out = []
    for block in blocks:
        scope_spans = []
        for scope, spans in block.scopes:
            block_doc: dict[str, Any] = {"scope": MessageToDict(scope)}
            if spans:  # a scope whose spans were all duplicates stays, empty, as in Jaeger
                block_doc["spans"] = [_span_json(s) for s in spans]
            scope_spans.append(block_doc)
        out.append({"resource": MessageToDict(block.resource), "scopeSpans": scope_spans})
    return list(_json_numbers(out))


# --- the legacy API: Jaeger's model and the v1 adjusters --------------------------------------------


def _as_string(v: AnyValue) -> str:
    """pcommon.Value.AsString()."""
    which = v.WhichOneof("value")
    if which == "string_value":
        return v.string_value
    if which == "bool_value":
        return "true" if v.bool_value else "false"
    if which == "int_value":
        return str(v.int_value)
    if which == "double_value":
        return gofmt.float_string(v.double_value)
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    if which in ("array_value", "kvlist_value"):
        return gofmt.go_json(_as_raw(v))
    return ""


def _as_raw(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which == "string_value":
        return v.string_value
    if which == "bool_value":
        return v.bool_value
    if which == "int_value":
        return v.int_value
    if which == "double_value":
        return gofmt.float_value(v.double_value)
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode()
    if which == "array_value":
        return [_as_raw(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: _as_raw(kv.value) for kv in v.kvlist_value.values}
    return None


JS_MAX_SAFE = (1 << 53) - 1


@dataclass
class _Tag:
    key: str
    type: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if self.type == "int64" and not -JS_MAX_SAFE <= value <= JS_MAX_SAFE:
            value = str(value)
        elif self.type == "float64":
            value = gofmt.float_value(value)
        elif self.type == "binary":
            value = base64.b64encode(value).decode()
        return {"key": self.key, "type": self.type, "value": value}


def _tag(key: str, v: AnyValue) -> _Tag:
    which = v.WhichOneof("value")
    if which == "bool_value":
        return _Tag(key, "bool", v.bool_value)
    if which == "int_value":
        return _Tag(key, "int64", v.int_value)
    if which == "double_value":
        return _Tag(key, "float64", v.double_value)
    if which == "bytes_value":
        return _Tag(key, "binary", bytes(v.bytes_value))
    return _Tag(key, "string", _as_string(v))


@dataclass
class _Process:
    service: str
    tags: list[_Tag]

    def key(self) -> str:
        return repr((self.service, [(t.key, t.type, t.value) for t in self.tags]))


@dataclass
class _LSpan:
    trace_id: bytes
    span_id: bytes
    name: str
    refs: list[tuple[str, bytes, bytes]]
    start_us: int
    duration_us: int
    start_ns: int
    end_ns: int
    tags: list[_Tag]
    logs: list[tuple[int, list[_Tag]]]
    process: _Process
    warnings: list[str]

    def parent_id(self) -> bytes:
        for ref_type, tid, sid in self.refs:
            if ref_type == "CHILD_OF" and tid == self.trace_id:
                return sid
        return EMPTY_SPAN_ID


def _to_model(trace: StoredTrace) -> list[_LSpan]:
    spans = []
    for block in _decode(trace):
        service = ""
        ptags: list[_Tag] = []
        for kv in block.resource.attributes:
            if kv.key == "service.name":
                service = kv.value.string_value
            else:
                ptags.append(_tag(kv.key, kv.value))
        for scope, sspans in block.scopes:
            lib = []
            if scope.name:
                lib.append(_Tag("otel.scope.name", "string", scope.name))
            if scope.version:
                lib.append(_Tag("otel.scope.version", "string", scope.version))
            for span in sspans:
                spans.append(_span_to_model(span, lib, _Process(service, list(ptags))))
    return spans


_STATUS = {1: "OK", 2: "ERROR"}


def _span_to_model(span: Span, lib: list[_Tag], process: _Process) -> _LSpan:
    warnings: list[str] = []
    tags = list(lib)
    for kv in span.attributes:
        if kv.key == WARNINGS_ATTRIBUTE:
            vals = kv.value.array_value.values
            warnings += [v.string_value for v in vals] if kv.value.HasField("array_value") else [_as_string(kv.value)]
            continue
        tags.append(_tag(kv.key, kv.value))
    kind = SPAN_KINDS.get(span.kind, "") if span.kind else ""
    if kind:
        tags.append(_Tag("span.kind", "string", kind))
    code = span.status.code
    if code in _STATUS:
        tags.append(_Tag("otel.status_code", "string", _STATUS[code]))
    if code == 2:
        tags.append(_Tag("error", "bool", True))
    if span.status.message:
        tags.append(_Tag("otel.status_description", "string", span.status.message))
    if span.trace_state:
        tags.append(_Tag("w3c.tracestate", "string", span.trace_state))
    tid = bytes(span.trace_id).rjust(16, b"\0")
    refs = []
    if not _is_empty_id(span.parent_span_id):
        refs.append(("CHILD_OF", tid, bytes(span.parent_span_id)))
    for link in span.links:
        refs.append(("FOLLOWS_FROM", bytes(link.trace_id).rjust(16, b"\0"), bytes(link.span_id)))
    logs = []
    for ev in span.events:
        fields = []
        if ev.name and _get(ev.attributes, "event") is None:
            fields.append(_Tag("event", "string", ev.name))
        fields += [_tag(kv.key, kv.value) for kv in ev.attributes]
        logs.append((ev.time_unix_nano // 1000, fields))
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    return _LSpan(
        trace_id=tid, span_id=bytes(span.span_id), name=span.name, refs=refs, start_us=start // 1000,
        duration_us=(end - start) // 1000, start_ns=start, end_ns=end, tags=tags, logs=logs,
        process=process, warnings=warnings,
    )  # fmt: skip


def _host_key_v1(span: _LSpan) -> str:
    for tag in span.process.tags:
        if tag.key == "ip":
            if tag.type == "string":
                return str(tag.value)
            if tag.type == "int64":
                return _ip_string(int(tag.value))
            return ""
    return ""


def _v1_adjust(spans: list[_LSpan]) -> list[_LSpan]:
    for span in spans:
        span.tags.sort(key=lambda t: t.key)
        span.process.tags.sort(key=lambda t: t.key)
        for i, (ts, fields) in enumerate(span.logs):
            offset = 0
            for j, f in enumerate(fields):
                if f.key == "event" and f.type == "string":
                    fields[0], fields[j] = fields[j], fields[0]
                    offset = 1
                    break
            fields[offset:] = sorted(fields[offset:], key=lambda t: t.key)
            span.logs[i] = (ts, fields)
    deduped: dict[str, _LSpan] = {}
    for span in spans:
        deduped.setdefault(_span_hash(span), span)
    spans = list(deduped.values())
    _clock_skew(
        [(s, _host_key_v1(s), s.span_id, s.parent_id(), s.start_ns, s.end_ns) for s in spans],
        lambda s, w: s.warnings.append(w),
        "invalid parent span IDs={}; skipping clock skew adjustment",
    )
    for span in spans:
        for tags in (span.tags, span.process.tags):
            for t in tags:
                if t.key in IP_KEYS and t.type in ("int64", "float64"):
                    t.type, t.value = "string", _ip_string(int(t.value))
        moved = [t for t in span.tags if t.key in LIBRARY_KEYS]
        if moved:
            span.tags = [t for t in span.tags if t.key not in LIBRARY_KEYS]
            span.process = _Process(span.process.service, sorted([*span.process.tags, *moved], key=lambda t: t.key))
        kept = []
        for ref in span.refs:
            if _is_empty_id(ref[1]):
                span.warnings.append(
                    "Invalid span reference removed "
                    f"{{TraceID:{gofmt.legacy_trace_id(ref[1])} "
                    f"SpanID:{gofmt.legacy_span_id(ref[2])} RefType:{ref[0]} "
                    # Go's %+v of the gogo-protobuf struct shows its bookkeeping fields too.
                    "XXX_NoUnkeyedLiteral:{} XXX_unrecognized:[] XXX_sizecache:0}"
                )
            else:
                kept.append(ref)
        span.refs = kept
        first_child = next((i for i, r in enumerate(span.refs) if r[1] == span.trace_id and r[0] == "CHILD_OF"), -1)
        first_other = next((i for i, r in enumerate(span.refs) if r[1] == span.trace_id), -1)
        swap = first_child if first_child != -1 else first_other
        if swap > 0:
            span.refs[0], span.refs[swap] = span.refs[swap], span.refs[0]
    return spans


def _span_hash(span: _LSpan) -> str:
    return repr(
        (span.trace_id, span.span_id, span.name, span.refs, span.start_ns, span.end_ns,
         [(t.key, t.type, t.value) for t in span.tags],
         [(ts, [(f.key, f.type, f.value) for f in fs]) for ts, fs in span.logs],
         span.process.key(), span.warnings)
    )  # fmt: skip


def legacy_trace(trace: StoredTrace, *, raw: bool = False) -> dict[str, Any]:
    """One trace in Jaeger's UI JSON (the `data[]` item of /api/traces)."""
    spans = _to_model(trace)
    if not raw:
        spans = _v1_adjust(spans)
    processes: dict[str, str] = {}
    process_docs: dict[str, dict[str, Any]] = {}
    out_spans = []
    for span in spans:
        key = span.process.key()
        pid = processes.get(key)
        if pid is None:
            pid = f"p{len(processes) + 1}"
            processes[key] = pid
            process_docs[pid] = {
                "serviceName": span.process.service,
                "tags": [t.to_json() for t in span.process.tags],
            }
        out_spans.append(
            {
                "traceID": gofmt.legacy_trace_id(span.trace_id),
                "spanID": gofmt.legacy_span_id(span.span_id),
                "operationName": span.name,
                "references": [
                    {"refType": r, "traceID": gofmt.legacy_trace_id(t), "spanID": gofmt.legacy_span_id(s)}
                    for r, t, s in span.refs
                ],
                "startTime": span.start_us,
                "duration": span.duration_us,
                "tags": [t.to_json() for t in span.tags],
                "logs": [{"timestamp": ts, "fields": [f.to_json() for f in fs]} for ts, fs in span.logs],
                "processID": pid,
                "warnings": span.warnings or None,
            }
        )
    trace_id = out_spans[0]["traceID"] if out_spans else ""
    return {"traceID": trace_id, "spans": out_spans, "processes": process_docs, "warnings": None}
