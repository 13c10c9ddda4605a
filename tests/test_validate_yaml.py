"""YAML as the collector's decoder (yaml.v3) reads it: directives, document markers, merge keys."""

from __future__ import annotations

import pytest

from otdiag.validate import api
from tests.validate_corpus.typos import EXP, RECV, TAIL

BODY = RECV + EXP + TAIL


def codes(text: str) -> list[str]:
    return [f.code for f in api.validate_source(text, "c.yaml", None, environ={}).validate_errors]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("---\n" + BODY, True),
        ("---\n" + BODY + "...\n", True),
        ("%YAML 1.1\n---\n" + BODY, True),
        ("%YAML 1.2\n---\n" + BODY, False),
        ("%TAG !e! tag:example.com,2000:\n---\n" + BODY, True),
    ],
    ids=["start-marker", "both-markers", "yaml-1.1", "yaml-1.2", "tag-directive"],
)
def test_directives_and_markers(text: str, ok: bool) -> None:
    got = codes(text)
    assert (not got) is ok, got
    if not ok:
        assert got == ["config.yaml-syntax"]


MERGE = (
    RECV + "exporters:\n  otlp_grpc/a: &defaults\n    endpoint: jaeger:4317\n    tls:\n      insecure: true\n"
    "  otlp_grpc/b:\n    <<: *defaults\n    endpoint: other:4317\n"
    "  otlp_grpc/c:\n    endpoint: third:4317\n    <<: *defaults\n"
    + TAIL.replace("[debug]", "[otlp_grpc/a, otlp_grpc/b, otlp_grpc/c]")
)


def test_a_merge_key_may_be_overridden_before_or_after_it() -> None:
    result = api.validate_source(MERGE, "c.yaml", None, environ={})
    assert not result.validate_errors, [f.message for f in result.validate_errors]
    assert result.config is not None
    comps = result.config.comps["exporter"]
    assert comps["otlp_grpc/b"].value("endpoint") == "other:4317"
    assert comps["otlp_grpc/c"].value("endpoint") == "third:4317"
    assert comps["otlp_grpc/b"].value("tls", "insecure") is True


@pytest.mark.parametrize(
    "dup",
    [
        "  otlp_grpc/b:\n    endpoint: x:4317\n    endpoint: y:4317\n",
        "  otlp_grpc/b:\n    <<: *defaults\n    <<: *defaults\n",
    ],
    ids=["own-key-twice", "merge-key-twice"],
)
def test_keys_written_twice_are_still_duplicates(dup: str) -> None:
    text = (
        RECV
        + "exporters:\n  otlp_grpc/a: &defaults\n    endpoint: jaeger:4317\n"
        + dup
        + TAIL.replace("[debug]", "[otlp_grpc/a]")
    )
    assert "config.duplicate-key" in codes(text)
