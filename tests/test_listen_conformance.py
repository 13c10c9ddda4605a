"""The listener's Jaeger-compatible API against the real Jaeger v2, field by field.

The same OTLP requests go to the real Jaeger (v2.13, in-memory storage) and
to `otdiag listen`; then the same queries go to both, on API v3 and on the
legacy API: trace by ID, search, services, operations, not found and bad
input. Normalised before comparing: span order (Jaeger's legacy API returns
spans in Go map order) and the p1/p2 process keys that depend on it, and
the order of lists Jaeger builds from Go maps (services, operations,
search results of one write). Everything else must be equal, including
timings, warnings and tags.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from otdiag.otlp import encode
from otdiag.otlp.encode import SpanSpec
from tests import peers
from tests.listen_helpers import Running, listening

pytestmark = [pytest.mark.peers]

NOW = time.time_ns()


def _hex(n: int) -> str:
    return os.urandom(n).hex()


def _kv(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def _span(tid: str, sid: str, name: str, start: int, end: int, **extra: Any) -> dict[str, Any]:
    return {"traceId": tid, "spanId": sid, "name": name, "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(end), **extra}  # fmt: skip


def rich_doc(RICH_TID: str, service: str) -> dict[str, Any]:
    """Every feature the two APIs render differently: attribute types, events, links, status, kinds, bad spans."""
    S1, S2, S3, S4 = _hex(8), _hex(8), _hex(8), _hex(8)
    LINKED_TID = _hex(16)
    return {
    "resourceSpans": [
        {
            "resource": {
                "attributes": [_kv("service.name", {"stringValue": service}), _kv("host.name", {"stringValue": "h1"}),
                               _kv("r.int", {"intValue": "42"}), _kv("ip", {"intValue": "3232235777"})],
                "droppedAttributesCount": 1,
            },
            "scopeSpans": [
                {
                    "scope": {"name": "my.lib", "version": "1.2.3", "attributes": [_kv("scope.attr", {"stringValue": "x"})]},
                    "spans": [
                        _span(RICH_TID, S1, "server-op", NOW - 5_000_000, NOW, kind=2, traceState="k=v", flags=257,
                              attributes=[_kv("s", {"stringValue": "str"}), _kv("b", {"boolValue": True}),
                                          _kv("i", {"intValue": "9007199254740993"}), _kv("i2", {"intValue": "-5"}),
                                          _kv("d", {"doubleValue": 1.5}), _kv("d2", {"doubleValue": 3.0}),
                                          _kv("arr", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}, {"doubleValue": 2.5}]}}),
                                          _kv("kv", {"kvlistValue": {"values": [_kv("z", {"stringValue": "<y>"}), _kv("a", {"boolValue": False})]}}),
                                          _kv("by", {"bytesValue": "AQID"}), _kv("empty", {}),
                                          _kv("peer.ipv4", {"intValue": "167772161"}),
                                          _kv("telemetry.sdk.name", {"stringValue": "opentelemetry"})],
                              droppedAttributesCount=2,
                              events=[{"timeUnixNano": str(NOW - 1_000_000), "name": "ev1", "attributes": [_kv("z", {"stringValue": "1"}), _kv("a", {"stringValue": "2"})], "droppedAttributesCount": 1},
                                      {"timeUnixNano": str(NOW - 500_000), "name": "", "attributes": [_kv("event", {"stringValue": "custom"})]},
                                      {"timeUnixNano": str(NOW - 700_000), "name": "another"}],
                              droppedEventsCount=3,
                              links=[{"traceId": LINKED_TID, "spanId": S3, "traceState": "a=b", "attributes": [_kv("la", {"stringValue": "lb"})]},
                                     {"traceId": RICH_TID, "spanId": S2}, {"traceId": "", "spanId": S4}],
                              droppedLinksCount=4, status={"code": 2, "message": "boom"}),
                        _span(RICH_TID, S2, "client-op", NOW - 4_000_000, NOW - 1_000_000, kind=3, parentSpanId=S1, status={"code": 1}),
                        _span(RICH_TID, S3, "producer-op", NOW - 3_000_000, NOW - 2_000_000, kind=4, parentSpanId=S2,
                              status={"code": 0, "message": "ignored"}),
                    ],
                },
                {"scope": {"name": "other.lib"}, "spans": [
                    # Starts before its parent and outlasts it: Jaeger warns about clock skew.
                    _span(RICH_TID, _hex(8), "late-child", NOW - 6_000_000, NOW + 1_000_000, parentSpanId=S3, kind=1),
                    # Ends before it starts.
                    _span(RICH_TID, _hex(8), "negative", NOW - 2_000_000, NOW - 3_000_000, parentSpanId=S1),
                ]},
            ],
        },
        {
            "resource": {"attributes": []},
            "scopeSpans": [{"scope": {}, "spans": [
                _span(RICH_TID, _hex(8), "consumer-op", NOW - 3_000_000, NOW - 2_500_000, kind=5, parentSpanId=S2),
                _span(RICH_TID, _hex(8), "orphan", NOW - 3_000_000, NOW - 2_500_000, parentSpanId=_hex(8)),
            ]}],
        },
        {
            "resource": {"attributes": [_kv("service.name", {"stringValue": ""})]},
            "scopeSpans": [{"scope": {"name": "x"}, "spans": [
                _span(RICH_TID, S4, "empty-service", NOW - 3_000_000, NOW - 2_900_000, parentSpanId=S1),
                _span(RICH_TID, S4, "duplicate-id", NOW - 3_000_000, NOW - 2_900_000, parentSpanId=S1),
            ]}],
        },
    ]
}  # fmt: skip


RICH_TID = _hex(16)
# API v3 queries each get their own copy: Jaeger's adjusters change what its memory store holds (see
# test_jaegers_own_answers_change_with_query_history), so a trace must be read through v3 only once.
V3_CASES = ["id", "raw", *(f"search-{i}" for i in range(5))]
V3_COPIES = {case: (_hex(16), f"rich-{case}") for case in V3_CASES}

SHORT_TID = "0000000000000000" + _hex(8)  # a 64-bit trace ID: the legacy API prints 16 hex digits
SHORT = {
    "resourceSpans": [{"resource": {"attributes": [_kv("service.name", {"stringValue": "short"})]},
                       "scopeSpans": [{"scope": {"name": "s"}, "spans": [
                           _span(SHORT_TID, _hex(8), "root", NOW - 9_000_000, NOW - 8_000_000, kind=2),
                       ]}]}]
}  # fmt: skip


def _sdk_requests() -> tuple[str, list[bytes]]:
    """Real SDK spans (a parent and a child), one export request per span as SimpleSpanProcessor sends them."""
    built = encode.build(SpanSpec(service_name="sdk-app", span_name="GET /cart", attributes={"http.route": "/cart"},
                                  with_child=True))  # fmt: skip
    return built.trace_id, [encode.request([s]).SerializeToString() for s in built.spans]


SDK_TID, SDK_REQUESTS = _sdk_requests()
DUPLICATE = encode.request(encode.build(SpanSpec(service_name="dup", span_name="same")).spans).SerializeToString()


class Pair:
    def __init__(self, jaeger: peers.Jaeger, ours: Running) -> None:
        self.jaeger, self.ours = jaeger, ours

    def get(self, path: str) -> tuple[httpx.Response, httpx.Response]:
        theirs = httpx.get(self.jaeger.query_url + path, timeout=10)
        mine = httpx.get(self.ours.query_url + path, timeout=10)
        return theirs, mine


def _post_both(jaeger: peers.Jaeger, ours: Running, body: bytes, content_type: str) -> None:
    for target in (jaeger.otlp_http, ours.http):
        r = httpx.post(f"http://{target}/v1/traces", content=body, headers={"Content-Type": content_type})
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    binary = peers.locate("jaeger")
    if binary is None:
        from tests.conftest import require_peer

        require_peer("jaeger")
    assert binary is not None
    jaeger = peers.start_jaeger(binary, tmp_path_factory.mktemp("jaeger"))
    try:
        with listening() as ours:
            _post_both(jaeger, ours, json.dumps(rich_doc(RICH_TID, "rich")).encode(), "application/json")
            for tid, service in V3_COPIES.values():
                _post_both(jaeger, ours, json.dumps(rich_doc(tid, service)).encode(), "application/json")
            _post_both(jaeger, ours, json.dumps(SHORT).encode(), "application/json")
            for body in SDK_REQUESTS:
                _post_both(jaeger, ours, body, "application/x-protobuf")
            for _ in range(2):  # the very same span twice: Jaeger drops the duplicate when reading
                _post_both(jaeger, ours, DUPLICATE, "application/x-protobuf")
            _wait_for_jaeger(
                jaeger, [RICH_TID, SHORT_TID, SDK_TID, *(t for t, _ in V3_COPIES.values())], len(SDK_REQUESTS)
            )
            yield Pair(jaeger, ours)
    finally:
        jaeger.stop()


def _wait_for_jaeger(jaeger: peers.Jaeger, trace_ids: list[str], total_spans: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Polled through the legacy API, which (unlike v3) leaves Jaeger's stored data as it is.
        ok = all(httpx.get(f"{jaeger.query_url}/api/traces/{t}").status_code == 200 for t in trace_ids)
        services = httpx.get(f"{jaeger.query_url}/api/v3/services").json().get("services", [])
        if ok and "dup" in services:
            sdk = httpx.get(f"{jaeger.query_url}/api/traces/{SDK_TID}").json()
            if len(sdk["data"][0]["spans"]) == total_spans:
                time.sleep(0.3)  # let the duplicate's second copy land too
                return
        time.sleep(0.1)
    raise AssertionError("Jaeger never stored the test traces")


# --- normalisation -------------------------------------------------------------------------------------


def norm_v3(doc: dict[str, Any]) -> Any:
    blocks = []
    for rs in doc["result"]["resourceSpans"]:
        scopes = []
        for ss in rs["scopeSpans"]:
            scopes.append({**ss, "spans": sorted(ss.get("spans", []), key=lambda s: (s["spanId"], s["name"]))})
        blocks.append({**rs, "scopeSpans": scopes})
    return sorted(blocks, key=lambda b: json.dumps(b, sort_keys=True))


def norm_legacy_trace(trace: dict[str, Any]) -> dict[str, Any]:
    processes = trace["processes"]
    spans = []
    for span in trace["spans"]:
        s = dict(span)
        s["process"] = processes[s.pop("processID")]
        spans.append(s)
    spans.sort(key=lambda s: (s["spanID"], s["operationName"]))
    # Of two spans sharing an ID, Jaeger warns on whichever its Go map yields first: pool those warnings.
    dup_warning = "duplicate span IDs; skipping clock skew adjustment"
    pooled: dict[str, int] = {}
    for s in spans:
        if s["warnings"] and dup_warning in s["warnings"]:
            pooled[s["spanID"]] = pooled.get(s["spanID"], 0) + s["warnings"].count(dup_warning)
            s["warnings"] = [w for w in s["warnings"] if w != dup_warning] or None
    return {"traceID": trace["traceID"], "spans": spans, "warnings": trace["warnings"],
            "process_count": len(processes), "duplicate_id_warnings": pooled}  # fmt: skip


def norm_legacy(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    if (
        isinstance(doc.get("data"), list)
        and doc["data"]
        and isinstance(doc["data"][0], dict)
        and "spans" in doc["data"][0]
    ):
        out["data"] = sorted((norm_legacy_trace(t) for t in doc["data"]), key=lambda t: t["traceID"])
    elif isinstance(doc.get("data"), list):
        out["data"] = sorted(doc["data"], key=lambda x: json.dumps(x, sort_keys=True))
    return out


def same_answer(pair: Pair, path: str, norm: Any = None) -> tuple[httpx.Response, httpx.Response]:
    theirs, mine = pair.get(path)
    assert mine.status_code == theirs.status_code, (path, theirs.text[:300], mine.text[:300])
    assert mine.headers.get("content-type") == theirs.headers.get("content-type"), path
    if norm is not None:
        assert norm(mine.json()) == norm(theirs.json()), path
    return theirs, mine


# --- services and operations (reading them changes nothing) ---------------------------------------------


def _sorted_services(doc: dict[str, Any]) -> Any:
    return sorted(doc.get("services", []))


def _sorted_operations(doc: dict[str, Any]) -> Any:
    return sorted(json.dumps(o, sort_keys=True) for o in doc.get("operations", []))


def test_services(pair: Pair) -> None:
    same_answer(pair, "/api/v3/services", _sorted_services)
    same_answer(pair, "/api/services", norm_legacy)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3/operations?service=rich",
        "/api/v3/operations?service=rich&span_kind=server",
        "/api/v3/operations?service=missing-service-name",
        "/api/v3/operations?service=nope",
        "/api/v3/operations",
        "/api/operations?service=rich",
        "/api/operations?service=rich&spanKind=client",
        "/api/operations?service=nope",
        "/api/operations",
        "/api/services/rich/operations",
        "/api/services/nope/operations",
        "/api/services/empty-service-name/operations",
    ],
)
def test_operations(pair: Pair, path: str) -> None:
    same_answer(pair, path, _sorted_operations if "/v3/" in path else norm_legacy)


def test_unknown_paths_get_a_page_like_jaegers_ui(pair: Pair) -> None:
    for path in ("/", "/api/nope", "/api/v3/nope", "/search"):
        theirs, mine = pair.get(path)
        assert mine.status_code == theirs.status_code == 200
        assert mine.headers["content-type"] == theirs.headers["content-type"] == "text/html; charset=utf-8"


# --- the legacy API (before any API v3 read: see V3_COPIES) ---------------------------------------------


@pytest.mark.parametrize("which", ["rich", "short", "sdk"])
def test_legacy_trace_by_id(pair: Pair, which: str) -> None:
    tid = {"rich": RICH_TID, "short": SHORT_TID, "sdk": SDK_TID}[which]
    theirs, _ = same_answer(pair, f"/api/traces/{tid}", norm_legacy)
    assert theirs.status_code == 200


def test_legacy_raw_trace(pair: Pair) -> None:
    same_answer(pair, f"/api/traces/{RICH_TID}?raw=true", norm_legacy)


@pytest.mark.parametrize(
    "query",
    [
        "service=rich",
        "service=sdk-app",
        "service=rich&operation=producer-op",
        "service=rich&tag=host.name:h1",
        "service=rich&tag=s:str",
        "service=rich&tag=s:nope",
        'service=rich&tags={"ea":"eb"}',
        "service=rich&tag=scope.attr:x",
        "service=rich&error=true",
        "service=rich&tag=error:true",
        "service=rich&minDuration=4ms",
        "service=rich&maxDuration=600us",
        "service=rich&limit=1",
        "service=short",
        "service=nope",
        "service=dup",
        f"service=rich&start={(NOW - 3600 * 10**9) // 1000}&end={(NOW + 3600 * 10**9) // 1000}",
        f"service=rich&start={(NOW + 3600 * 10**9) // 1000}",
        f"traceID={RICH_TID}&traceID=1",
        f"traceID={SHORT_TID[16:]}",
    ],
)
def test_legacy_search(pair: Pair, query: str) -> None:
    same_answer(pair, f"/api/traces?{query}", norm_legacy)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "operation=x",
        "service=rich&limit=x",
        "service=rich&tag=nocolon",
        "service=rich&minDuration=5ms&maxDuration=1ms",
        "service=rich&minDuration=xx",
        "service=rich&start=abc",
        "traceID=xyz",
        "service=rich&raw=maybe",
    ],
)
def test_legacy_search_errors(pair: Pair, query: str) -> None:
    theirs, mine = same_answer(pair, f"/api/traces?{query}")
    assert mine.text == theirs.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3/traces/00000000000000000000000000000001",
        "/api/v3/traces/1",
        "/api/v3/traces/xyz",
        "/api/v3/traces/0000000000000000000000000000000000001",
        "/api/v3/traces/abc?raw_traces=maybe",
        "/api/v3/traces/abc?start_time=yesterday",
        "/api/traces/1",
        "/api/traces/xyz",
        "/api/traces/12345678901234567890123456789012345",
        "/api/traces/zz00000000000000000001",
    ],
)
def test_not_found_and_bad_ids(pair: Pair, path: str) -> None:
    theirs, mine = same_answer(pair, path)
    if "start_time" in path:
        # Go's time parser words its error its own way; the status and the prefix match.
        assert mine.json()["error"]["message"].startswith("malformed parameter start_time: parsing time")
        return
    assert mine.text == theirs.text


# --- API v3: each stored trace is read through it once ----------------------------------------------------

WINDOW = "query.start_time_min=2000-01-01T00:00:00Z&query.start_time_max=2100-01-01T00:00:00Z"


def test_v3_raw_trace(pair: Pair) -> None:
    tid, _ = V3_COPIES["raw"]
    same_answer(pair, f"/api/v3/traces/{tid}?raw_traces=true", norm_v3)


@pytest.mark.parametrize("which", ["id", "short", "sdk"])
def test_v3_trace_by_id(pair: Pair, which: str) -> None:
    tid = {"id": V3_COPIES["id"][0], "short": SHORT_TID, "sdk": SDK_TID}[which]
    theirs, _ = same_answer(pair, f"/api/v3/traces/{tid}", norm_v3)
    assert theirs.status_code == 200


def test_v3_drops_duplicate_spans(pair: Pair) -> None:
    _, mine = same_answer(pair, f"/api/v3/traces?query.service_name=dup&{WINDOW}&query.num_traces=10", norm_v3)
    blocks = mine.json()["result"]["resourceSpans"]
    assert sum(len(ss.get("spans", [])) for rs in blocks for ss in rs["scopeSpans"]) == 1


V3_SEARCHES = [
    "",
    "&query.operation_name=client-op",
    "&query.duration_min=4ms",
    "&query.duration_max=1ms&query.duration_min=600us",
    "&query.num_traces=1",
]


@pytest.mark.parametrize("i", range(len(V3_SEARCHES)))
def test_v3_search(pair: Pair, i: int) -> None:
    _, service = V3_COPIES[f"search-{i}"]
    depth = "" if "num_traces" in V3_SEARCHES[i] else "&query.num_traces=20"
    same_answer(pair, f"/api/v3/traces?query.service_name={service}{V3_SEARCHES[i]}&{WINDOW}{depth}", norm_v3)


@pytest.mark.parametrize(
    "query",
    [
        f"query.service_name=nope&{WINDOW}&query.num_traces=20",
        f"query.service_name=rich&query.operation_name=nope&{WINDOW}&query.num_traces=20",
        "query.service_name=rich&query.start_time_min=2000-01-01T00:00:00Z"
        "&query.start_time_max=2000-01-02T00:00:00Z&query.num_traces=5",
        "query.service_name=rich",
        f"query.service_name=rich&{WINDOW}&query.num_traces=x",
        f"query.service_name=rich&{WINDOW}&query.num_traces=0",
        f"query.service_name=rich&{WINDOW}&query.num_traces=5&query.duration_min=xx",
        f"query.service_name=rich&{WINDOW}&query.num_traces=5&query.duration_min=5",
    ],
)
def test_v3_search_not_found_and_errors(pair: Pair, query: str) -> None:
    theirs, mine = same_answer(pair, f"/api/v3/traces?{query}")
    assert mine.text == theirs.text


def test_jaegers_own_answers_change_with_query_history(pair: Pair) -> None:
    """A Jaeger v2.13 quirk the listener does not copy: v3 reads rewrite what its memory store holds.

    Its adjusters work on the stored traces themselves, so each v3 read adds
    the same warnings again, and later reads (v3 raw, legacy) see sorted,
    moved and removed fields. The listener answers the same way every time.
    """
    tid, _ = V3_COPIES["id"]  # read once through v3 above
    theirs, mine = pair.get(f"/api/v3/traces/{tid}")
    assert norm_v3(mine.json()) != norm_v3(theirs.json())  # Jaeger now repeats its warnings
    again = httpx.get(f"{pair.ours.query_url}/api/v3/traces/{tid}")
    assert again.json() == mine.json()


def test_an_empty_store_answers_like_an_empty_jaeger(jaeger: peers.Jaeger) -> None:
    with listening() as ours:
        empty = Pair(jaeger, ours)
        for path in ("/api/v3/services", "/api/services", "/api/v3/operations?service=x",
                     "/api/services/x/operations", "/api/traces?service=x"):  # fmt: skip
            theirs, mine = empty.get(path)
            assert (mine.status_code, mine.json()) == (theirs.status_code, theirs.json()), path
