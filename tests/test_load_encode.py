"""send --count's hand-framed spans decode as ordinary OTLP: fresh IDs for every span, the same tail."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otdiag.otlp.load import BatchEncoder


def _spans(raw: bytes) -> list[Span]:
    req = ExportTraceServiceRequest()
    req.ParseFromString(raw)
    assert len(req.resource_spans) == 1 and len(req.resource_spans[0].scope_spans) == 1
    return list(req.resource_spans[0].scope_spans[0].spans)


def test_every_span_of_a_batch_gets_its_own_ids_and_the_same_fields() -> None:
    enc = BatchEncoder("svc", "op", {"k": "v"}, {"deployment.environment": "test"})
    spans = _spans(enc.encode(1000, duration_ns=5_000))
    assert len(spans) == 1000
    assert len({s.trace_id for s in spans}) == 1000 and len({s.span_id for s in spans}) == 1000
    for s in spans:
        assert len(s.trace_id) == 16 and len(s.span_id) == 8
        assert s.name == "op" and s.kind == s.SPAN_KIND_CLIENT
        assert [(a.key, a.value.string_value) for a in s.attributes] == [("k", "v")]
        assert s.end_time_unix_nano - s.start_time_unix_nano == 5_000


def test_given_ids_are_placed_span_by_span() -> None:
    ids = bytes(range(240))  # 10 spans: 16-byte trace ID, then 8-byte span ID, each
    spans = _spans(BatchEncoder("svc", "op").encode(10, ids=ids))
    for i, s in enumerate(spans):
        assert s.trace_id == ids[24 * i : 24 * i + 16]
        assert s.span_id == ids[24 * i + 16 : 24 * i + 24]
    raw, tid, sid = BatchEncoder("svc", "op").one()
    (only,) = _spans(raw)
    assert (only.trace_id.hex(), only.span_id.hex()) == (tid, sid)
