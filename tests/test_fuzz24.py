"""Fuzz targets for the parsers of untrusted input (issue 24), a bounded number of examples each, in the
normal suite: observer reports, OTLP/JSON and protobuf decode, query strings, configs with expansion.
Each may refuse its input, never crash; every finding code it produces is one of the catalogue's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otdiag import catalogue

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

_KEYS = [
    "v",
    "started_at",
    "accepted",
    "atexit",
    "auto_configured",
    "count",
    "crash",
    "description",
    "disabled",
    "dropped_parent",
    "dropped_root",
    "ended_after_shutdown",
    "endpoint",
    "errors",
    "exceptions",
    "executable",
    "exit",
    "exporter",
    "exporters",
    "final",
    "first_drop_site",
    "first_noop_site",
    "force_flush",
    "forked",
    "frames",
    "handed",
    "hooked",
    "id",
    "import_failures",
    "jaeger",
    "level",
    "logger",
    "logs",
    "message",
    "name",
    "noop",
    "noop_before_provider",
    "open",
    "open_count",
    "processors",
    "protocol",
    "providers",
    "python",
    "queued",
    "recording",
    "refused",
    "results",
    "sampled",
    "sampler",
    "sampler_in_code",
    "service_name",
    "set_provider_calls",
    "shutdown",
    "shutdown_on_exit",
    "site",
    "spans",
    "started",
    "sys_path",
    "type",
    "unavailable",
    "via",
    "file",
    "line",
    "function",
]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=40)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=30,
)
_reports = st.dictionaries(st.sampled_from(_KEYS), _json, max_size=12).map(lambda d: {**d, "v": 1})


def _known(codes: list[str]) -> None:
    known = {k.code for k in vars(catalogue).values() if isinstance(k, catalogue.Kind)}
    assert set(codes) <= known, set(codes) - known


@FUZZ
@given(st.lists(_reports, min_size=1, max_size=3))
def test_observer_reports_never_crash_the_analysis(reports: list[dict[str, Any]]) -> None:
    from otdiag.observe import analysis

    found = analysis.analyse(reports, analysis.Context(endpoint="127.0.0.1:4318", receiver_spans=0, returncode=0))
    _known([f.code for f in found.findings])
    json.dumps([f.message for f in found.findings])


@FUZZ
@given(st.binary(max_size=400) | _json.map(lambda d: json.dumps(d).encode()))
def test_observer_report_files_never_crash_the_reader(raw: bytes) -> None:
    import tempfile

    from otdiag.observe import analysis

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "obs-1.json").write_bytes(raw)
        for doc in analysis.read_reports(Path(tmp)):
            assert isinstance(doc, dict)


def test_a_report_with_a_string_for_a_count_is_ignored_with_an_observer_error() -> None:
    from otdiag.observe import analysis

    good = {"v": 1, "started_at": 1.0}
    bad = {"v": 1, "started_at": 2.0, "spans": "many", "providers": "x", "exporters": [{"queued": "lots"}]}
    found = analysis.analyse([good, bad], analysis.Context(endpoint="127.0.0.1:4318", receiver_spans=0, returncode=0))
    _known([f.code for f in found.findings])


# --- OTLP decode, query strings, configs with expansion (listen and validate-config) ----------------------

_OTLP_KEYS = ["resourceSpans", "scopeSpans", "spans", "resource", "scope", "attributes", "key", "value",
              "stringValue", "intValue", "doubleValue", "boolValue", "arrayValue", "kvlistValue", "values",
              "traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano",
              "status", "code", "events", "links", "bytesValue"]  # fmt: skip
_otlp_json = st.recursive(
    _scalars | st.sampled_from(["", TID := "0" * 31 + "1", "0" * 15 + "1", "SPAN_KIND_SERVER", "9" * 30]),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_OTLP_KEYS), inner, max_size=5)
    ),
    max_leaves=40,
)


def _decoded_within_bounds(req: Any, body: bytes) -> None:
    from otdiag.listen import otlp_decode

    # What is kept is never larger than a small multiple of what came in, and never deeper than the cut.
    assert len(req.SerializeToString()) <= 4 * len(body) + 4096
    otlp_decode.decode_protobuf(req.SerializeToString())


@FUZZ
@given(_otlp_json)
def test_otlp_json_decode_refuses_or_decodes(doc: Any) -> None:
    from otdiag.listen import otlp_decode

    body = json.dumps({"resourceSpans": doc} if not isinstance(doc, dict) else doc).encode()
    try:
        req = otlp_decode.decode_json(body)
    except otlp_decode.PayloadError as exc:
        assert len(str(exc)) <= 300
        return
    _decoded_within_bounds(req, body)


@FUZZ
@given(st.integers(0, 400), st.sampled_from(["kvlistValue", "arrayValue"]), st.booleans())
def test_otlp_json_nesting_is_taken_at_any_depth(depth: int, kind: str, broken: bool) -> None:
    from otdiag.listen import otlp_decode

    inner = '{"kvlistValue":{"values":[{"key":"k","value":' if kind == "kvlistValue" else '{"arrayValue":{"values":['
    close = "}]}}" if kind == "kvlistValue" else "]}}"
    value = inner * depth + '{"stringValue":"x"}' + close * depth + ("]" if broken else "")
    body = ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"n","attributes":[{"key":"a","value":' + value
            + "}]}]}]}]}").encode()  # fmt: skip
    try:
        req = otlp_decode.decode_json(body)
    except otlp_decode.PayloadError:
        assert broken
        return
    assert not broken
    _decoded_within_bounds(req, body)


@FUZZ
@given(st.binary(max_size=300) | _otlp_json.map(lambda d: json.dumps(d).encode()))
def test_otlp_protobuf_decode_refuses_or_decodes(body: bytes) -> None:
    from otdiag.listen import otlp_decode

    try:
        req, kept = otlp_decode.decode_protobuf_kept(body)
    except otlp_decode.PayloadError:
        return
    assert kept is body
    _decoded_within_bounds(req, body)


_QUERY_NAMES = ["service", "operation", "tag", "tags", "limit", "start", "end", "minDuration", "maxDuration",
                "traceID", "raw", "spanKind", "query.service_name", "query.operation_name", "query.attributes",
                "query.start_time_min", "query.start_time_max", "query.num_traces", "query.duration_min",
                "query.duration_max", "query.raw_traces", "span_kind", "raw_traces"]  # fmt: skip
_QUERY_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2020-01-01T00:00:00Z",
            "2030-01-01T00:00:00Z",
            "1s",
            "9" * 40,
            "-1",
            "+5",
            "²",
            "1e3",
            '{"a":"b"}',
            '{"a":1}',
            "[" * 2000,
            "a:b",
            "true",
            TID,
        ]
    ),
)
_PATHS = ["/api/v3/traces", "/api/v3/services", "/api/v3/operations", f"/api/v3/traces/{TID}", "/api/traces",
          "/api/services", "/api/operations", f"/api/traces/{TID}", "/api/services/a/operations", "/api/x"]  # fmt: skip


@FUZZ
@given(st.sampled_from(_PATHS), st.lists(st.tuples(st.sampled_from(_QUERY_NAMES), _QUERY_VALUES), max_size=6))
def test_query_strings_get_an_answer_never_an_exception(path: str, params: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    from otdiag.listen.httpserver import Request
    from otdiag.listen.query_api import QueryApp
    from otdiag.listen.store import SpanStore

    query = urlencode(params)
    req = Request("GET", f"{path}?{query}", path, path, query, "HTTP/1.1", {"host": "x"})
    resp = QueryApp(SpanStore(10)).handle(req, b"")
    assert resp.status in (200, 400, 404, 500)
    body = resp.body if resp.stream is None else b"".join(resp.stream)
    assert len(body) <= 2 * len(query) + 4096


_CONFIG_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "${env:A}",
            "${env:B:-d}",
            "${A}",
            "$${env:A}",
            "${file:cfg.yaml}",
            "${file:/proc/self/environ}",
            "${env:",
            "${",
            "${unknown:x}",
            "${env:A}${env:A}",
            "${env:NESTED}",
        ]
    ),
)


@FUZZ
@given(
    st.dictionaries(st.sampled_from(["receivers", "exporters", "endpoint", "a", "b"]), _CONFIG_VALUES, max_size=5),
    st.dictionaries(st.sampled_from(["A", "B", "NESTED"]), _CONFIG_VALUES, max_size=3),
)
def test_config_expansion_stays_bounded(doc: dict[str, str], environ: dict[str, str]) -> None:
    import tempfile

    from otdiag.validate import expand, yamlsrc

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "cfg.yaml").write_text("x: ${file:cfg.yaml}${file:cfg.yaml}\n")
        try:
            root, _ = yamlsrc.load(json.dumps(doc, ensure_ascii=False))
        except yamlsrc.LoadError:
            return  # the documented refusal of a file that is no YAML
        out = expand.expand(root, environ, Path(tmp))
    for problem in out.problems:
        assert len(str(problem)) < 4096
    total = 0
    todo = [root]
    while todo:
        n = todo.pop()
        total += len(str(n.value)) if n.kind == "scalar" else 0
        todo.extend(v for _, v in n.items) if n.kind == "map" else todo.extend(n.children)
    assert total <= 64 * 1024 * 1024
