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
        """n spans; `ids` (24 bytes a span: trace ID then span ID) when given, else fresh random IDs."""
        end = time.time_ns()
        times = b"\x39" + struct.pack("<Q", end - duration_ns) + b"\x41" + struct.pack("<Q", end)
        # Every span has the same size: field 1 trace_id (16 bytes), field 2 span_id (8 bytes), then the
        # times and the constant tail. One template repeated n times; only the IDs differ.
        body = b"\x0a\x10" + bytes(16) + b"\x12\x08" + bytes(8) + times + self._tail
        head = b"\x12" + _varint(len(body))  # ScopeSpans field 2: spans
        unit = len(head) + len(body)
        id_at = (len(head) + 2, len(head) + 20)
        spans = bytearray((head + body) * n)
        if ids is not None:
            for i in range(n):
                at, base = i * unit, 24 * i
                spans[at + id_at[0] : at + id_at[0] + 16] = ids[base : base + 16]
                spans[at + id_at[1] : at + id_at[1] + 8] = ids[base + 16 : base + 24]
        else:
            # Random IDs written one byte column at a time: byte k of every span's ID in one strided copy.
            view = memoryview(spans)
            noise = os.urandom(24 * n)
            for k in range(24):
                at = id_at[0] + k if k < 16 else id_at[1] + k - 16
                view[at::unit] = noise[k * n : (k + 1) * n]
        scope_spans = self._scope + spans
        resource_spans = self._resource + _field(2, scope_spans)
        return _field(1, resource_spans)
