"""`otdiag replay` without a collector: spans from every source, and the private config it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from otdiag.errors import UsageError
from otdiag.replay import rewrite, spans
from tests.cli_runner import run

USER_CONFIG: dict[str, Any] = {
    "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
    "processors": {
        "memory_limiter": {"check_interval": "1s", "limit_mib": 512},
        "filter/health": {"traces": {"span": ['attributes["http.route"] == "/health"']}},
        "tail_sampling": {"decision_wait": "10s", "policies": [{"name": "errors", "type": "status_code"}]},
        "batch": {},
    },
    "exporters": {
        "otlp/jaeger": {"endpoint": "jaeger.prod.example:4317"},
        "debug": {},
    },
    "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}, "pprof": {}},
    "connectors": {"forward": {}},
    "service": {
        "extensions": ["health_check", "pprof"],
        "pipelines": {
            "traces": {
                "receivers": ["otlp"],
                "processors": ["memory_limiter", "filter/health", "tail_sampling", "batch"],
                "exporters": ["otlp/jaeger", "forward"],
            },
            "traces/2": {"receivers": ["forward"], "processors": [], "exporters": ["debug"]},
            "metrics": {"receivers": ["otlp"], "exporters": ["debug"]},
        },
    },
}


def _plan(fast: bool = False) -> rewrite.Plan:
    return rewrite.plan(USER_CONFIG, receive_port=4999, capture_url="http://127.0.0.1:5000", fast=fast)


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (str(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [str(node)]


def test_private_config_has_one_stage_per_processor_and_reaches_nothing_outside() -> None:
    p = _plan()
    cfg = p.config
    assert list(cfg["receivers"]) == ["otlp/otdiag_replay"]
    assert cfg["receivers"]["otlp/otdiag_replay"]["protocols"] == {"http": {"endpoint": "127.0.0.1:4999"}}
    assert "extensions" not in cfg and "connectors" not in cfg
    assert "extensions" not in cfg["service"]
    assert cfg["service"]["telemetry"]["metrics"] == {"level": "none"}
    # traces: 4 processors -> 5 stages; traces/2: no processor -> 1 stage; metrics is not replayed
    assert len(cfg["service"]["pipelines"]) == 6
    assert [len(pl.stages) for pl in p.pipelines] == [5, 1]
    assert cfg["service"]["pipelines"]["traces/otdiag_0_2"]["processors"] == ["memory_limiter", "filter/health"]
    for exporter in cfg["exporters"].values():
        assert exporter["traces_endpoint"].startswith("http://127.0.0.1:5000/stage/")
        assert exporter["retry_on_failure"] == {"enabled": False}
    text = " ".join(_strings(cfg))
    assert "jaeger.prod.example" not in text and "0.0.0.0" not in text and "13133" not in text
    assert p.pipelines[0].exporters == ("otlp/jaeger", "forward")
    assert p.pipelines[1].connector_fed == "forward"
    assert any("health_check, pprof" in note for note in p.left_out)
    assert any("connectors forward" in note for note in p.left_out)


def test_user_waits_are_kept_unless_fast() -> None:
    slow = _plan()
    assert slow.hold_s == 10.0 and not slow.scaled
    assert slow.config["processors"]["tail_sampling"]["decision_wait"] == "10s"
    fast = _plan(fast=True)
    assert fast.hold_s == rewrite.FAST_WAIT_S
    assert fast.config["processors"]["tail_sampling"]["decision_wait"] == "1s"
    assert fast.scaled == ("tail_sampling: decision_wait 10s -> 1s (--fast)",)
    assert any(n.startswith("memory_limiter:") for n in fast.not_faithful)


def test_default_decision_wait_is_the_collectors() -> None:
    cfg = json.loads(json.dumps(USER_CONFIG))
    del cfg["processors"]["tail_sampling"]["decision_wait"]
    assert rewrite.plan(cfg, receive_port=1, capture_url="http://127.0.0.1:2", fast=False).hold_s == 30.0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "not a YAML mapping"),
        ({"service": {}}, "no service::pipelines"),
        ({"service": {"pipelines": {"metrics": {}}}}, "no traces pipeline"),
        ({"service": {"pipelines": {"traces": {"processors": ["nope"]}}}}, "'nope' is not defined"),
    ],
)
def test_configs_that_cannot_be_replayed_are_usage_errors(config: Any, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        rewrite.plan(config, receive_port=1, capture_url="http://127.0.0.1:2", fast=False)


def test_span_descriptions_become_typed_otlp_spans() -> None:
    req, expect, labels = spans.from_specs(
        [
            'service=checkout name="GET /cart" id=root kind=server status=error message=boom '
            "http.route=/cart http.status_code=500 retry=true ratio=0.5 resource.k8s.namespace=shop expect=kept",
            "service=checkout name=child parent=root trace=t duration=2s",
        ]
    )
    assert len(req.resource_spans) == 1
    rs = req.resource_spans[0]
    assert spans.attributes_of(rs.resource.attributes) == {"service.name": "checkout", "k8s.namespace": "shop"}
    root, child = rs.scope_spans[0].spans
    assert root.name == "GET /cart" and root.kind == 2 and root.status.code == 2 and root.status.message == "boom"
    assert spans.attributes_of(root.attributes) == {
        "http.route": "/cart",
        "http.status_code": 500,
        "retry": True,
        "ratio": 0.5,
    }
    assert child.parent_span_id == root.span_id
    assert child.end_time_unix_nano - child.start_time_unix_nano == 2_000_000_000
    assert expect == {spans.key_of(root): "kept"}
    assert labels[spans.key_of(root)] == "root" and labels[spans.key_of(child)] == "child"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("kind=sideways", "kind='sideways'"),
        ("status=bad", "status='bad'"),
        ("duration=soon", "not a duration"),
        ("parent=ghost", "names no earlier span"),
        ("expect=maybe", "kept or dropped"),
        ("lonely", "KEY=VALUE"),
        ('name="unclosed', "No closing quotation"),
    ],
)
def test_bad_span_descriptions_are_usage_errors(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        spans.from_specs([spec])


def _request_json(name: str) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
                                "spanId": "00f067aa0ba902b7",
                                "name": name,
                                "kind": 2,
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": "2",
                            }
                        ]
                    }
                ],
            }
        ]
    }


def test_files_in_every_otlp_json_shape(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(_request_json("a"), indent=2))
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps(_request_json("b")) + "\n" + json.dumps(_request_json("c")) + "\n")
    jaeger = tmp_path / "jaeger.json"
    jaeger.write_text(json.dumps({"result": _request_json("d")}))
    names = [s.name for path in (one, lines, jaeger) for _, s in spans.iter_spans(spans.from_file(str(path)))]
    assert names == ["a", "b", "c", "d"]
    _, span = next(spans.iter_spans(spans.from_file(str(one))))
    assert spans.key_of(span) == spans.SpanKey("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


def test_a_file_that_is_not_otlp_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"resourceSpans": "nope"}\n')
    with pytest.raises(UsageError, match="not OTLP JSON traces"):
        spans.from_file(str(bad))
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    with pytest.raises(UsageError, match="holds no spans"):
        spans.from_file(str(empty))


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n")
    assert run("replay", "--span", "name=x").exit_code == 2  # no --config
    got = run("replay", "--config", str(cfg))
    assert got.exit_code == 2 and "no spans to replay" in got.stderr
    got = run("replay", "--config", str(cfg), "--span", "name=x", "--otelcol", str(tmp_path / "missing"),
              env={"COLUMNS": "1000"})  # fmt: skip
    assert got.exit_code == 2 and "is not an executable file" in got.stderr
    got = run("replay", "--config", "/dev/zero", "--span", "name=x")
    assert got.exit_code == 2


def test_from_jaeger_that_does_not_answer_is_a_usage_error_without_the_password(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n")
    got = run("replay", "--config", str(cfg), "--timeout", "1s",
              "--from-jaeger", "http://u:s3cretpw@127.0.0.1:9", "4bf92f3577b34da6a3ce929d0e0e4736")  # fmt: skip
    assert got.exit_code == 2, got.stderr
    assert "--from-jaeger" in got.stderr and "s3cretpw" not in got.stderr
