"""Encode many OTLP spans fast, for `send-test-span --count`.

Building each span through the SDK costs tens of microseconds; a load run
needs a few. So a span is framed by hand from protobuf wire-format pieces:
fresh random trace/span IDs and timestamps, then a constant tail (name,
kind, attributes) serialized once by the real `opentelemetry-proto` message.
The result decodes as an ordinary ExportTraceServiceRequest.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Mapping

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

import otdiag


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _kv(attrs: Mapping[str, str]) -> list[KeyValue]:
    return [KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attrs.items()]


class BatchEncoder:
    """Makes ExportTraceServiceRequest bytes holding `n` fresh root spans."""

    def __init__(
        self,
        service_name: str,
        span_name: str,
        attributes: Mapping[str, str] | None = None,
        resource_attributes: Mapping[str, str] | None = None,
    ) -> None:
        resource = Resource(attributes=_kv({**(resource_attributes or {}), "service.name": service_name}))
        scope = InstrumentationScope(name="otdiag", version=otdiag.__version__)
        # ResourceSpans field 1 (resource) and ScopeSpans field 1 (scope), serialized once.
        self._resource = ResourceSpans(resource=resource).SerializeToString()
        self._scope = ScopeSpans(scope=scope).SerializeToString()
        tail = Span(name=span_name, kind=Span.SPAN_KIND_CLIENT, attributes=_kv(dict(attributes or {})))
        self._tail = tail.SerializeToString()

    def one(self, duration_ns: int = 1_000_000) -> tuple[bytes, str, str]:
        """One span: (request bytes, trace ID hex, span ID hex)."""
        ids = os.urandom(24)
        return self.encode(1, duration_ns, ids), ids[:16].hex(), ids[16:].hex()

    def encode(self, n: int, duration_ns: int = 1_000_000, ids: bytes | None = None) -> bytes:
        ids = ids if ids is not None else os.urandom(24 * n)
        end = time.time_ns()
        times = b"\x39" + struct.pack("<Q", end - duration_ns) + b"\x41" + struct.pack("<Q", end)
        tail = times + self._tail
        spans = []
        for i in range(n):
            base = 24 * i
            # field 1 trace_id (16 bytes), field 2 span_id (8 bytes), then times and the constant tail.
            body = b"\x0a\x10" + ids[base : base + 16] + b"\x12\x08" + ids[base + 16 : base + 24] + tail
            spans.append(b"\x12" + _varint(len(body)) + body)  # ScopeSpans field 2: spans
        scope_spans = self._scope + b"".join(spans)
        resource_spans = self._resource + _field(2, scope_spans)
        return _field(1, resource_spans)
