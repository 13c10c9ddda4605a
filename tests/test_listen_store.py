"""The span store keeps requests compact and decodes them when read: same records, bounded memory."""

from __future__ import annotations

import time

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag.listen import store as store_mod
from otdiag.listen.store import InvalidIds, SpanStore, StoredTrace, Transport
from tests.otlp_craft import S, new_id, request


def _req(spans: list[S]) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    req.ParseFromString(request(spans))
    return req


def _write(store: SpanStore, spans: list[S]) -> int:
    raw = request(spans)
    req = ExportTraceServiceRequest()
    req.ParseFromString(raw)
    return store.write(req, Transport.GRPC, raw=raw)


def _shape(trace: StoredTrace) -> list[tuple[str, str, list[tuple[str, str, int, int]]]]:
    return [
        (
            g.service,
            g.resource.hex(),
            [(r.span_id.hex(), r.name, r.start_ns, r.end_ns) for s in g.scopes for r in s.spans],
        )
        for g in trace.groups
    ]


def test_a_trace_reads_back_grouped_per_write_and_service() -> None:
    now = time.time_ns()
    tid, other = new_id(16), new_id(16)
    st = SpanStore(100)
    _write(st, [S(tid, new_id(8), "a", "svc1", now, now + 5), S(other, new_id(8), "x", "svc1", now, now + 5),
                S(tid, new_id(8), "b", "svc2", now + 1, now + 3)])  # fmt: skip
    _write(st, [S(tid, new_id(8), "c", "svc1", now + 2, now + 2)])  # a non-positive duration is sanitised
    trace = st.get(bytes.fromhex(tid))
    assert trace is not None and trace.span_count == 3
    assert [(g.write, g.service, [r.name for s in g.scopes for r in s.spans]) for g in trace.groups] == [
        (1, "svc1", ["a"]),
        (1, "svc2", ["b"]),
        (2, "svc1", ["c"]),
    ]
    last = trace.groups[-1].scopes[0].spans[0]
    assert last.end_ns == now + 3  # start + 1 ns, as Jaeger's sanitizer writes it
    assert (trace.start_ns, trace.end_ns) == (now, now + 5)
    assert [t.trace_id.hex() for t in st.newest_first()] == [other, tid]


def test_ids_of_a_wrong_length_refuse_the_whole_request() -> None:
    now = time.time_ns()
    st = SpanStore(100)
    good = S(new_id(16), new_id(8), "ok", "svc", now, now + 1)
    for bad in (S(new_id(15), new_id(8), "t", "svc", now, now + 1), S(new_id(32), new_id(8), "t", "svc", now, now + 1)):
        with pytest.raises(InvalidIds, match="TraceID"):
            _write(st, [good, bad])
    with pytest.raises(InvalidIds, match="SpanID"):
        _write(st, [good, S(new_id(16), new_id(9), "s", "svc", now, now + 1)])
    with pytest.raises(InvalidIds, match="SpanID"):
        _write(st, [good, S(new_id(16), new_id(8), "p", "svc", now, now + 1, parent=new_id(4))])
    assert st.span_count == 0 and st.stats.spans == 0 and st.services() == []
    # Empty IDs are accepted (and counted as zero IDs), as the collector accepts them.
    assert _write(st, [S("", "", "empty", "svc", now, now + 1)]) == 1
    assert st.stats.zero_trace_id == 1 and st.stats.zero_span_id == 1


def test_links_and_all_zero_ids_are_checked_like_the_collector() -> None:
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    now = time.time_ns()
    st = SpanStore(100)
    req = _req(
        [S(new_id(16), new_id(8), "linked", "svc", now, now + 1), S("00" * 16, "00" * 8, "zero", "svc", now, now)]
    )
    link = req.resource_spans[0].scope_spans[0].spans[0].links.add()
    link.CopyFrom(Span.Link(trace_id=bytes.fromhex(new_id(16)), span_id=bytes.fromhex(new_id(8))))
    assert st.write(req, Transport.GRPC) == 2
    assert (st.stats.zero_trace_id, st.stats.zero_span_id, st.stats.negative_duration) == (1, 1, 1)
    for bad in (Span.Link(trace_id=bytes(3)), Span.Link(trace_id=bytes.fromhex(new_id(16)), span_id=bytes(9))):
        link.CopyFrom(bad)
        with pytest.raises(InvalidIds, match="TraceID" if len(bad.trace_id) != 16 else "SpanID"):
            st.write(req, Transport.GRPC)
    assert st.stats.spans == 2, "a refused request adds nothing"


def test_services_and_operations_leave_with_evicted_traces() -> None:
    now = time.time_ns()
    st = SpanStore(10)
    for i in range(300):
        _write(st, [S(new_id(16), new_id(8), f"op-{i}-" + "x" * 200, f"svc-{i}-" + "y" * 200, now, now + 1)])
    assert st.span_count == 10
    assert len(st.services()) == 10
    assert st.services() == [f"svc-{i}-" + "y" * 200 for i in range(290, 300)]
    assert st.operations(f"svc-299-{'y' * 200}") == [(f"op-299-{'x' * 200}", "server")]
    assert st.operations("svc-0-" + "y" * 200) == []
    assert st.stats.spans == 300 and st.stats.evicted_traces == 290


def test_running_totals_count_every_span_but_keep_a_bounded_number_of_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "MAX_ID_KEYS", 50)
    now = time.time_ns()
    st = SpanStore(10)
    for i in range(200):
        _write(st, [S(new_id(16), new_id(8), f"op-{i}", f"svc-{i}", now, now + 1)])
    assert sum(st.stats.by_operation.values()) == 200
    assert len(st.stats.by_operation) == 51 and st.stats.by_operation[(store_mod.OTHER, store_mod.OTHER)] == 150
    assert len(st.stats.by_service) == 51 and sum(st.stats.by_service.values()) == 200


def test_a_request_mostly_evicted_is_reencoded_with_its_live_spans() -> None:
    now = time.time_ns()
    batch = [
        S(new_id(16), new_id(8), f"span-{i}", "svc-a" if i % 2 else "svc-b", now + i, now + i + 1) for i in range(61)
    ]
    st = SpanStore(15)
    _write(st, batch)  # 61 one-span traces, bound 15: the 46 oldest go, 15 of the request's 61 spans stay live
    held = list(st.newest_first())
    in_request = sorted(batch, key=lambda s: s.service != "svc-b")  # one resource block per service, in order
    assert [t.groups[0].scopes[0].spans[0].name for t in reversed(held)] == [s.name for s in in_request[46:]]
    for t, s in zip(reversed(held), in_request[46:], strict=True):
        assert t.span_count == 1 and t.groups[0].service == s.service
        assert t.groups[0].scopes[0].spans[0].span_id.hex() == s.span_id
    sizes = {len(b.raw) for h in st._traces.values() for b, _ in h.chunks}
    assert len(sizes) == 1 and sizes.pop() < len(request(batch)) // 3  # re-encoded with only the live spans
    assert st.operations("svc-a") and not st.operations("svc-b")
