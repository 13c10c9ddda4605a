"""Did-you-mean on every misspelt name, no cascade after a misspelt section, and the warning policy."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otdiag.model import Severity
from otdiag.validate import api, suggest
from tests.validate_corpus.typos import EXP, NEAR_MISSES, RECV, TAIL, TYPOS


def findings(text: str) -> list[Any]:
    return api.validate_source(text, "c.yaml", None, environ={}).findings


@pytest.mark.parametrize(("name", "text", "code", "want"), TYPOS, ids=[t[0] for t in TYPOS])
def test_a_typo_gets_the_nearest_valid_name(name: str, text: str, code: str, want: str) -> None:
    mine = [f for f in findings(text) if f.code == code]
    assert mine, f"{name}: no {code} finding"
    assert any(f'Did you mean "{want}"' in (f.hint or "") for f in mine), [(f.message, f.hint) for f in mine]


@pytest.mark.parametrize(("name", "text"), NEAR_MISSES, ids=[t[0] for t in NEAR_MISSES])
def test_no_suggestion_when_nothing_is_near(name: str, text: str) -> None:
    fs = findings(text)
    assert any(f.severity is Severity.ERROR for f in fs), name
    assert not [f.hint for f in fs if "Did you mean" in (f.hint or "")]


@pytest.mark.parametrize(
    "text",
    [
        RECV.replace("receivers:", "recievers:") + EXP + TAIL,
        RECV + EXP.replace("exporters:", "exportres:") + TAIL,
        RECV + EXP + TAIL.replace("pipelines:", "pipeline:"),
        RECV + EXP + TAIL.replace("      receivers:", "      receiver:"),
    ],
    ids=["top-level", "exporters", "service", "pipeline"],
)
def test_a_misspelt_section_is_one_error_not_a_cascade(text: str) -> None:
    errors = [f for f in findings(text) if f.severity is Severity.ERROR]
    assert [f.code for f in errors] == ["config.unknown-section"], [f.message for f in errors]


def _osa(a: str, b: str) -> int:
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@given(st.text("abc_", max_size=8), st.text("abc_", max_size=8), st.integers(0, 5))
def test_banded_distance_equals_the_full_table(a: str, b: str, limit: int) -> None:
    full = _osa(a, b)
    assert suggest.distance(a, b, limit) == (full if full <= limit else limit + 1)


def test_separators_and_case_cost_nothing_and_far_names_get_nothing() -> None:
    assert suggest.nearest("sendBatchSize", ["send_batch_size", "timeout"]) == "send_batch_size"
    assert suggest.nearest("memorylimiter", ["memory_limiter", "batch"]) == "memory_limiter"
    assert suggest.nearest("foo", ["batch", "filter"]) is None
    assert suggest.nearest("batch", ["batch"]) is None  # itself is no suggestion


# --- the warning policy -------------------------------------------------------------------------


def _severities(text: str) -> dict[str, Severity]:
    return {f.code: f.severity for f in findings(text)}


def test_best_practice_advice_is_info_not_warning() -> None:
    # No memory_limiter, a debug-only pipeline, a batch without max size before gRPC: advice.
    text = (
        RECV
        + "processors:\n  batch:\nexporters:\n  debug:\n  otlp_grpc:\n    endpoint: jaeger:4317\n"
        + "    tls: {insecure: true}\n"
        + TAIL.replace("[debug]", "[otlp_grpc]").replace(
            "      exporters", "      processors: [batch]\n      exporters"
        )
        + "    traces/debug:\n      receivers: [otlp]\n      exporters: [debug]\n"
    )
    sev = _severities(text)
    for code in ("config.no-memory-limiter", "config.batch-no-max-size", "config.debug-exporter"):
        assert sev.get(code) is Severity.INFO, (code, sev)
    assert Severity.WARNING not in sev.values(), sev


def test_default_localhost_listeners_are_one_note_per_receiver() -> None:
    text = "receivers:\n  otlp:\n    protocols: {grpc: , http: }\n" + EXP + TAIL
    local = [f for f in findings(text) if f.code == "config.receiver-on-localhost"]
    assert len(local) == 1 and local[0].severity is Severity.INFO
    assert "grpc" in local[0].message and "http" in local[0].message


@pytest.mark.parametrize(
    ("value", "secret"),
    [("$$5", False), ("true", False), ("gzip", False), ("Bearer s3cr3t-t0ken", True), ("hunter2hunter2", True)],
)
def test_a_literal_secret_needs_to_look_like_one(value: str, secret: bool) -> None:
    text = (
        RECV
        + f'exporters:\n  otlp_http:\n    endpoint: http://j:4318\n    headers:\n      x-api-key: "{value}"\n'
        + TAIL.replace("[debug]", "[otlp_http]")
    )
    leaked = [f for f in findings(text) if f.code == "config.literal-secret"]
    assert bool(leaked) is secret
    assert all(f.severity is Severity.WARNING for f in leaked)


@pytest.mark.parametrize(("value", "warned"), [("10", True), ("0", False), ("10s", False), ('"500ms"', False)])
def test_a_unitless_duration_is_a_warning(value: str, warned: bool) -> None:
    text = (
        RECV
        + f"processors:\n  batch:\n    timeout: {value}\n"
        + EXP
        + TAIL.replace("      exporters", "      processors: [batch]\n      exporters")
    )
    got = [f for f in findings(text) if f.code == "config.unitless-duration"]
    assert bool(got) is warned
    assert all(f.severity is Severity.WARNING and "nanoseconds" in f.message for f in got)
