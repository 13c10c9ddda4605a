"""listen's fast OTLP/JSON decoding gives exactly what protobuf's own JSON parser gives, or steps aside."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag.listen import otlp_decode
from otdiag.otlp import encode
from otdiag.otlp.encode import SpanSpec


def _slow(doc: dict[str, Any]) -> ExportTraceServiceRequest | None:
    req = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(otlp_decode._fix_ids_in_request(doc), req, ignore_unknown_fields=True)
    except Exception:  # the slow path's refusal is what is compared
        return None
    return req


def _fast(doc: dict[str, Any]) -> ExportTraceServiceRequest | None:
    try:
        return otlp_decode._fast_request(doc)
    except otlp_decode._Slow:
        return None


def _same(doc: dict[str, Any]) -> bool:
    fast = _fast(doc)
    if fast is None:
        return False
    slow = _slow(doc)
    assert slow is not None, f"the fast path accepted what ParseDict refuses: {doc}"
    assert fast.SerializeToString(deterministic=True) == slow.SerializeToString(deterministic=True), doc
    return True


def test_what_real_exporters_send_takes_the_fast_path() -> None:
    built = encode.build(SpanSpec(service_name="json", with_child=True, attributes={"http.route": "/x"}))
    doc = json.loads(encode.to_json(encode.request(built.spans)))
    assert _same(doc)


_u64 = st.one_of(
    st.integers(-5, 2**64 + 5),
    st.sampled_from(["123", "+5", "007", "-1", "1e3", " 5", "", "x", "18446744073709551616"]),
)
_str = st.one_of(st.text(max_size=5), st.integers(0, 3), st.none())
_id = st.one_of(
    st.sampled_from(["", "zz", "0102030405060708", "0102030405060708090a0b0c0d0e0f10", "AABBCCDDEEFF0011"]),
    st.integers(),
)
_scalar_value = st.one_of(
    st.fixed_dictionaries({"stringValue": _str}),
    st.fixed_dictionaries({"boolValue": st.one_of(st.booleans(), st.integers(0, 1))}),
    st.fixed_dictionaries({"intValue": st.one_of(_u64, st.booleans(), st.floats(allow_nan=False))}),
    st.fixed_dictionaries(
        {"doubleValue": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-9, 9), st.just("NaN"))}
    ),
    st.fixed_dictionaries({"bytesValue": st.just("AAE=")}),
    st.fixed_dictionaries({"string_value": st.text(max_size=3), "int_value": st.just(1)}),
)
_value = st.recursive(
    _scalar_value,
    lambda inner: st.one_of(
        st.fixed_dictionaries({"arrayValue": st.fixed_dictionaries({"values": st.lists(inner, max_size=2)})}),
        st.fixed_dictionaries(
            {
                "kvlistValue": st.fixed_dictionaries(
                    {
                        "values": st.lists(
                            st.fixed_dictionaries({"key": st.text(max_size=2), "value": inner}), max_size=2
                        )
                    }
                )
            }
        ),
    ),
    max_leaves=4,
)
_attrs = st.lists(
    st.one_of(
        st.fixed_dictionaries({"key": _str, "value": _value}), st.fixed_dictionaries({"key": st.text(max_size=2)})
    ),
    max_size=3,
)


def _maybe(**fields: Any) -> Any:
    return st.fixed_dictionaries({}, optional=fields)


_span = _maybe(
    traceId=_id,
    spanId=_id,
    parentSpanId=_id,
    trace_id=_id,
    name=_str,
    kind=st.one_of(st.integers(-1, 7), st.sampled_from(["SPAN_KIND_SERVER", "SERVER", "SPAN_KIND_CLIENT"])),
    startTimeUnixNano=_u64,
    endTimeUnixNano=_u64,
    attributes=_attrs,
    droppedAttributesCount=st.integers(-1, 2**32),
    flags=st.integers(-1, 2**32),
    traceState=_str,
    status=_maybe(code=st.one_of(st.integers(-1, 3), st.sampled_from(["STATUS_CODE_ERROR", "ERROR"])), message=_str),
    events=st.lists(_maybe(timeUnixNano=_u64, name=_str, attributes=_attrs), max_size=2),
    links=st.lists(_maybe(traceId=_id, spanId=_id, attributes=_attrs, flags=st.integers(0, 3)), max_size=2),
    unknownField=st.integers(),
)
_doc = _maybe(
    resourceSpans=st.lists(
        _maybe(
            resource=_maybe(attributes=_attrs, droppedAttributesCount=st.integers(0, 3)),
            schemaUrl=_str,
            scopeSpans=st.lists(
                _maybe(
                    scope=_maybe(name=_str, version=_str, attributes=_attrs),
                    spans=st.lists(_span, max_size=3),
                    schemaUrl=_str,
                ),
                max_size=2,
            ),
        ),
        max_size=2,
    )
)


@settings(max_examples=600, deadline=None)
@given(_doc)
def test_the_fast_path_agrees_with_parsedict(doc: dict[str, Any]) -> None:
    _same(doc)
