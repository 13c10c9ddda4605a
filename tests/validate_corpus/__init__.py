"""The agreement corpus: upstream configs (see SOURCES.md) and our own, as (group, name, text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
UPSTREAM = HERE / "upstream"
_KIND_SECTION = {"receiver": "receivers", "processor": "processors", "exporter": "exporters",
                 "extension": "extensions", "connector": "connectors"}  # fmt: skip

BASE: dict[str, Any] = {
    "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.1:0"}}}},
    "processors": {"batch": {}},
    "exporters": {"debug": {}},
    "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["debug"]}}},
}


def _signal(kind: str, module: str) -> tuple[str, str | None]:
    if module in ("spanmetricsconnector",):
        return "traces", "metrics"
    if module == "forwardconnector":
        return "traces", "traces"
    return "traces", None


def wrap_fragment(kind: str, module: str, cid: str, cfg: Any) -> str:
    """A full config that uses component `cid` of `kind` with settings `cfg`, the rest minimal."""
    doc: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BASE))
    pipe = doc["service"]["pipelines"]["traces"]
    section = _KIND_SECTION[kind]
    doc.setdefault(section, {})[cid] = cfg
    if kind == "receiver":
        pipe["receivers"] = [cid]
    elif kind == "processor":
        pipe["processors"] = [cid]
    elif kind == "exporter":
        pipe["exporters"] = [cid]
    elif kind == "extension":
        doc["service"]["extensions"] = [cid]
    elif kind == "connector":
        _src, dst = _signal(kind, module)
        pipe["exporters"] = [cid]
        doc["service"]["pipelines"][f"{dst}/out"] = {"receivers": [cid], "exporters": ["debug"]}
    return yaml.safe_dump(doc, sort_keys=False)


def fragments() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted((UPSTREAM / "fragments").glob("*.yaml")):
        kind, module, _ = path.name.split("--", 2)
        try:
            doc = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue
        if not isinstance(doc, dict):
            continue
        entries = doc.get(_KIND_SECTION[kind]) if _KIND_SECTION[kind] in doc else doc
        if not isinstance(entries, dict):
            continue
        for cid, cfg in entries.items():
            if not isinstance(cid, str) or not isinstance(cfg, dict | type(None)):
                continue
            # Some fragments key entries by a bare name or use another type's ID: keep only this module's.
            out.append(("upstream-fragments", f"{path.stem}::{cid}", wrap_fragment(kind, module, cid, cfg)))
    return out


def files(group: str) -> list[tuple[str, str, str]]:
    return [(f"upstream-{group}", p.name, p.read_text()) for p in sorted((UPSTREAM / group).glob("*.yaml"))]


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def _variant(**changes: Any) -> str:
    doc: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BASE))
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k.replace("_SLASH_", "/"), {})
        last = keys[-1].replace("_SLASH_", "/")
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return dump(doc)


OURS_TEXT: dict[str, str] = {
    "dup-key": "receivers:\n  otlp:\n    protocols: {grpc: }\n  otlp:\n    protocols: {http: }\n"
    "exporters:\n  debug:\nservice:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "dup-key-nested": "receivers:\n  otlp:\n    protocols:\n      grpc:\n      grpc:\nexporters:\n  debug:\n"
    "service:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "env-invalid-name": 'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${1}"}}\nexporters:\n  debug:\n'
    "service:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "env-escaped": 'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "$${1}"}}\nexporters:\n  debug:\n'
    "service:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "env-default": 'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${env:OTDIAG_UNSET_X:-127.0.0.1:4317}"}}\n'
    "exporters:\n  debug:\nservice:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "env-bad-scheme": 'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${foo:bar}"}}\nexporters:\n  debug:\n'
    "service:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "bare-dollar": 'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "$HOST:4317"}}\nexporters:\n  debug:\n'
    "service:\n  pipelines:\n    traces: {receivers: [otlp], exporters: [debug]}\n",
    "empty-file": "",
    "comment-only": "# nothing\n",
    "list-top": "- receivers\n",
    "scalar-top": "hello\n",
    "yaml-syntax": "receivers:\n  otlp:\n   protocols: [\n",
    "tab-indent": "receivers:\n\totlp:\n",
    "pipelines-string": "receivers:\n  otlp:\n    protocols: {grpc: }\n  zipkin:\nexporters:\n  debug:\n"
    "service:\n  pipelines:\n    traces: {receivers: 'otlp,zipkin', exporters: debug}\n",
    "anchors-merge": "x: &x {protocols: {grpc: }}\n",
    "anchors-ok": "receivers:\n  otlp: &o\n    protocols: {grpc: {endpoint: 127.0.0.1:0}}\n  otlp/2: *o\n"
    "exporters:\n  debug:\nservice:\n  pipelines:\n    traces: {receivers: [otlp, otlp/2], exporters: [debug]}\n",
}

OURS: dict[str, str] = {
    "base": dump(BASE),
    "unknown-type": _variant(receivers__foo={}),
    "unknown-exporter-jaeger": _variant(exporters__jaeger={"endpoint": "x:14250"}),
    "logging-exporter": _variant(exporters__logging={}),
    "alias-otlp": _variant(exporters__otlp={"endpoint": "x:4317"}),
    "alias-otlphttp": _variant(exporters__otlphttp={"endpoint": "http://x:4318"}),
    "invalid-keys": _variant(receivers__otlp__protocols__grpc__bogus=1),
    "invalid-keys-top": _variant(receivers__otlp__foo=1),
    "telemetry-address": _variant(service__telemetry={"metrics": {"address": ":8888"}}),
    "telemetry-level": _variant(service__telemetry={"metrics": {"level": "loud"}}),
    "telemetry-ok": _variant(service__telemetry={"metrics": {"level": "detailed"}, "logs": {"level": "debug"}}),
    "wrong-type-str": _variant(exporters__otlp_grpc={"endpoint": 4317}),
    "wrong-type-uint": _variant(processors__memory_limiter={"check_interval": "1s", "limit_mib": "abc"}),
    "wrong-type-duration": _variant(processors__batch={"timeout": "5 s"}),
    "duration-int": _variant(processors__batch={"timeout": 1}),
    "wrong-type-bool": _variant(receivers__otlp__protocols__grpc__include_metadata="yes"),
    "wrong-type-map": _variant(receivers__otlp__protocols=5),
    "otlp-no-protocol": _variant(receivers__otlp={"protocols": {}}),
    "otlp-null": _variant(receivers__otlp=None),
    "otlp-grpc-null": _variant(receivers__otlp={"protocols": {"grpc": None}}),
    "otlp-grpc-disabled": _variant(receivers__otlp={"protocols": {"grpc": {"enabled": False}}}),
    "batch-max": _variant(processors__batch={"send_batch_max_size": 10}),
    "batch-ok": _variant(processors__batch={"send_batch_size": 10, "send_batch_max_size": 10}),
    "memory-limiter-empty": _variant(processors__memory_limiter={}),
    "memory-limiter-ok": _variant(
        processors__memory_limiter={
            "check_interval": "1s",
            "limit_percentage": 80,
            "spike_limit_percentage": 20,
        }
    ),
    "memory-limiter-spike": _variant(
        processors__memory_limiter={"check_interval": "1s", "limit_mib": 100, "spike_limit_mib": 200}
    ),
    "otlp-grpc-no-endpoint": _variant(exporters__otlp_grpc={}),
    "otlp-http-no-endpoint": _variant(exporters__otlp_http={}),
    "otlp-http-traces-endpoint": _variant(exporters__otlp_http={"traces_endpoint": "http://x:4318/v1/traces"}),
    "file-no-path": _variant(exporters__file={}),
    "debug-verbosity": _variant(exporters__debug={"verbosity": "loud"}),
    "debug-detailed": _variant(exporters__debug={"verbosity": "detailed"}),
    "attributes-no-actions": _variant(processors__attributes={}),
    "resource-no-attributes": _variant(processors__resource={}),
    "bearer-no-token": _variant(extensions__bearertokenauth={}),
    "bearer-token": _variant(extensions__bearertokenauth={"token": "abc123secret"}),
    "basicauth-none": _variant(extensions__basicauth={}),
    "jaeger-receiver-none": _variant(receivers__jaeger={"protocols": {}}),
    "jaeger-receiver-port": _variant(receivers__jaeger={"protocols": {"grpc": {"endpoint": "localhost"}}}),
    "jaeger-receiver-remote": _variant(receivers__jaeger={"protocols": {"grpc": None}, "remote_sampling": {}}),
    "no-pipelines": _variant(service__pipelines={}),
    "no-service": _variant(service=...),
    "no-receivers": _variant(receivers=..., service__pipelines__traces__receivers=...),
    "no-exporters": _variant(exporters=..., service__pipelines__traces__exporters=...),
    "pipeline-no-receivers": _variant(service__pipelines__traces__receivers=[]),
    "pipeline-no-exporters": _variant(service__pipelines__traces__exporters=[]),
    "pipeline-bad-signal": _variant(service__pipelines={"trace": {"receivers": ["otlp"], "exporters": ["debug"]}}),
    "pipeline-named": _variant(service__pipelines={"traces/a": {"receivers": ["otlp"], "exporters": ["debug"]}}),
    "pipeline-bad-key": _variant(service__pipelines__traces__connectors=["x"]),
    "dup-processor": _variant(service__pipelines__traces__processors=["batch", "batch"]),
    "dup-receiver": _variant(service__pipelines__traces__receivers=["otlp", "otlp"]),
    "undefined-receiver": _variant(service__pipelines__traces__receivers=["otlp", "nope"]),
    "undefined-processor": _variant(service__pipelines__traces__processors=["nope"]),
    "undefined-exporter": _variant(service__pipelines__traces__exporters=["nope"]),
    "undefined-extension": _variant(service__extensions=["health_check"]),
    "extension-ok": _variant(extensions__health_check={}, service__extensions=["health_check"]),
    "extension-unused": _variant(extensions__health_check={}),
    "bad-id-char": _variant(receivers={"ot-lp": {}}, service__pipelines__traces__receivers=["otlp"]),
    "bad-id-slash": _variant(receivers__otlp_SLASH_={"protocols": {"grpc": None}}),
    "bad-id-empty-type": _variant(receivers={"/x": {}, "otlp": {"protocols": {"grpc": None}}}),
    "id-name-ok": _variant(
        receivers={"otlp/in-1.a": {"protocols": {"grpc": None}}},
        service__pipelines__traces__receivers=["otlp/in-1.a"],
    ),
    "signal-zipkin-metrics": _variant(
        receivers__zipkin={},
        service__pipelines={"metrics": {"receivers": ["zipkin"], "exporters": ["debug"]}},
    ),
    "signal-tail-metrics": _variant(
        processors__tail_sampling={},
        service__pipelines={
            "metrics": {"receivers": ["otlp"], "processors": ["tail_sampling"], "exporters": ["debug"]}
        },
    ),
    "connector-forward-ok": _variant(
        connectors__forward={},
        service__pipelines={
            "traces": {"receivers": ["otlp"], "exporters": ["forward"]},
            "traces/2": {"receivers": ["forward"], "exporters": ["debug"]},
        },
    ),
    "connector-one-way": _variant(
        connectors__forward={},
        service__pipelines={"traces": {"receivers": ["otlp"], "exporters": ["forward", "debug"]}},
    ),
    "connector-receiver-only": _variant(
        connectors__forward={},
        service__pipelines={"traces": {"receivers": ["otlp", "forward"], "exporters": ["debug"]}},
    ),
    "connector-bad-pair": _variant(
        connectors__forward={},
        service__pipelines={
            "traces": {"receivers": ["otlp"], "exporters": ["forward"]},
            "metrics": {"receivers": ["forward"], "exporters": ["debug"]},
        },
    ),
    "connector-spanmetrics": _variant(
        connectors__span_metrics={},
        service__pipelines={
            "traces": {"receivers": ["otlp"], "exporters": ["span_metrics"]},
            "metrics": {"receivers": ["span_metrics"], "exporters": ["debug"]},
        },
    ),
    "connector-spanmetrics-alias": _variant(
        connectors__spanmetrics={},
        service__pipelines={
            "traces": {"receivers": ["otlp"], "exporters": ["spanmetrics"]},
            "metrics": {"receivers": ["spanmetrics"], "exporters": ["debug"]},
        },
    ),
    "connector-cycle": _variant(
        connectors={"forward/a": {}, "forward/b": {}},
        service__pipelines={
            "traces": {"receivers": ["otlp", "forward/b"], "exporters": ["forward/a"]},
            "traces/2": {"receivers": ["forward/a"], "exporters": ["forward/b", "debug"]},
        },
    ),
    "connector-self-loop": _variant(
        connectors__forward={},
        service__pipelines={"traces": {"receivers": ["otlp", "forward"], "exporters": ["forward", "debug"]}},
    ),
    "connector-ambiguous": _variant(
        connectors__nop={},
        exporters__nop={},
        service__pipelines={"traces": {"receivers": ["otlp"], "exporters": ["nop"]}},
    ),
    "auth-not-enabled": _variant(
        extensions__bearertokenauth={"token": "${env:OTDIAG_T:-x}"},
        exporters__otlp_grpc={"endpoint": "x:4317", "auth": {"authenticator": "bearertokenauth"}},
        service__pipelines__traces__exporters=["otlp_grpc"],
    ),
    "tail-sampling-bad-policy": _variant(
        processors__tail_sampling={"policies": [{"name": "a", "type": "nope"}, {"name": "a", "type": "always_sample"}]},
        service__pipelines__traces__processors=["tail_sampling"],
    ),
    "tail-sampling-ok": _variant(
        processors__tail_sampling={
            "decision_wait": "5s",
            "policies": [{"name": "all", "type": "always_sample"}],
        },
        service__pipelines__traces__processors=["tail_sampling"],
    ),
    "port-conflict": _variant(
        receivers={"otlp": {"protocols": {"grpc": None}}, "otlp/2": {"protocols": {"grpc": None}}},
        service__pipelines__traces__receivers=["otlp", "otlp/2"],
    ),
    "probabilistic-negative": _variant(processors__probabilistic_sampler={"sampling_percentage": -1}),
    "filter-ottl-ok": _variant(processors__filter={"traces": {"span": ['attributes["x"] == "y"']}}),
    "transform-ok": _variant(processors__transform={"trace_statements": ['set(span.attributes["x"], "y")']}),
    "warnings-galore": dump(
        {
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
            "processors": {"batch": {}, "memory_limiter": {"check_interval": "1s", "limit_mib": 400}},
            "exporters": {
                "otlp_grpc/jaeger": {
                    "endpoint": "http://jaeger:4317",
                    "headers": {"authorization": "Bearer abcdef123456"},
                },
                "otlp_http": {
                    "endpoint": "jaeger:4317/v1/traces",
                    "tls": {"insecure_skip_verify": True},
                    "sending_queue": {"enabled": False},
                },
            },
            "service": {
                "pipelines": {
                    "traces": {
                        "receivers": ["otlp"],
                        "processors": ["batch", "memory_limiter"],
                        "exporters": ["otlp_grpc/jaeger", "otlp_http"],
                    }
                }
            },
        }
    ),
}


def _ottl(typ: str, cfg: dict[str, Any]) -> str:
    """A traces pipeline through one transform or filter processor with these settings."""
    return _variant(**{f"processors__{typ}": cfg, "service__pipelines__traces__processors": [typ]})


# OTTL written for otdiag: valid statements that exercise the grammar, and one mistake each.
OTTL: dict[str, str] = {
    "ottl-ok-grammar": _ottl(
        "transform",
        {
            "trace_statements": [
                {
                    "context": "span",
                    "statements": [
                        'set(attributes["a"], Concat([name, "x"], "-")) where kind == SPAN_KIND_SERVER',
                        'set(attributes["n"], -1 * (3 + Len(name)) / 2) where not (IsMatch(name, "^a") or false)',
                        'set(attributes["m"], {"k": [1, 2.5, 0xAB, nil, true]}) where attributes["x"] != nil',
                        'replace_pattern(name, "a", "b", SHA256, "%s")',
                        'set(status.code, STATUS_CODE_ERROR) where resource.attributes["s"] == "x"',
                        'delete_key(attributes, "k") where attributes["q"] == "a\\"b"',
                    ],
                }
            ]
        },
    ),
    "ottl-ok-inferred": _ottl(
        "filter",
        {"trace_conditions": ['span.name == "a" and resource.attributes["x"] != nil', 'spanevent.name == "e"']},
    ),
    "ottl-ok-legacy-filter": _ottl("filter", {"traces": {"span": ['attributes["a"] == 1', "IsRootSpan()"]}}),
    "ottl-bad-unclosed": _ottl("transform", {"trace_statements": ['set(span.name, "x"']}),
    "ottl-bad-editor-as-converter": _ottl("transform", {"trace_statements": ['set(span.name, concat("a"))']}),
    "ottl-bad-converter-as-editor": _ottl("transform", {"trace_statements": ['Concat(["a"], "")']}),
    "ottl-bad-missing-context": _ottl("transform", {"trace_statements": ['set(name, "x")']}),
    "ottl-bad-enum": _ottl("filter", {"traces": {"span": ["kind == SPAN_KIND_NOPE"]}}),
    "ottl-bad-arg-count": _ottl("filter", {"traces": {"span": ["IsMatch(name) == true"]}}),
    "ottl-bad-path": _ottl("transform", {"log_statements": [{"context": "log", "statements": ['set(bodyy, "x")']}]}),
    "ottl-bad-escape": _ottl("filter", {"traces": {"span": ['IsMatch(name, "\\d+")']}}),
    "ottl-bad-odd-bytes": _ottl("filter", {"traces": {"span": ["trace_id == 0xabc"]}}),
    "ottl-bad-lexer": _ottl("filter", {"traces": {"span": ['name == "a" && kind == 1']}}),
    "ottl-bad-context-for-list": _ottl(
        "transform", {"log_statements": [{"context": "span", "statements": ['set(name, "x")']}]}
    ),
}


def ours() -> list[tuple[str, str, str]]:
    own = [("ours", name, text) for name, text in {**OURS, **OURS_TEXT, **OTTL}.items()]
    own += [("ours", p.name, p.read_text()) for p in sorted((HERE / "ours").glob("*.yaml"))]
    return own


def corpus() -> list[tuple[str, str, str]]:
    return [*files("core"), *files("jaeger"), *files("contrib-examples"), *fragments(), *ours()]
