"""Every validate-config rule and warning, located to the exact line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otdiag import catalogue
from otdiag import catalogue_config as kinds
from otdiag.model import Severity
from otdiag.validate import api
from otdiag.validate.knowledge import Distribution
from otdiag.validate.yamlsrc import MAX_DEPTH
from tests.cli_runner import run

OK_TAIL = "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"
RECV = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:4317\n"
EXP = "exporters:\n  debug:\n"


def findings(text: str, dist: Distribution | None = None, env: dict[str, str] | None = None) -> list[Any]:
    return api.validate_source(text, "c.yaml", dist, environ=env or {}).findings


def at(text: str, code: str, **kw: Any) -> list[tuple[int, int]]:
    return [(f.location.line, f.location.column) for f in findings(text, **kw) if f.code == code and f.location]


def _proc(name: str, body: str) -> str:
    """A processors section with one processor (from line 8 after RECV + EXP), used in the traces pipeline."""
    tail = OK_TAIL.replace("      exporters", f"      processors: [{name}]\n      exporters")
    return f"processors:\n  {name}:\n{body}{tail}"


# (name, config text, code, (line, column)) - the finding must be at exactly that place.
CASES = [
    (
        "duplicate key",
        RECV + "  otlp:\n    protocols: {http: }\n" + EXP + OK_TAIL,
        "config.duplicate-key",
        (6, 3),
    ),
    ("yaml syntax", "receivers:\n  otlp: [\n", "config.yaml-syntax", (3, 1)),
    ("not a mapping", "- a\n", "config.not-a-mapping", (1, 1)),
    (
        "env invalid name",
        'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${1}"}}\n' + EXP + OK_TAIL,
        "config.env-invalid-name",
        (3, 34),
    ),
    (
        "env unknown scheme",
        'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${foo:x}"}}\n' + EXP + OK_TAIL,
        "config.env-unknown-scheme",
        (3, 34),
    ),
    ("unknown section", RECV + EXP + OK_TAIL + "foo: 1\n", "config.unknown-section", (13, 1)),
    ("invalid id", RECV + "  ot-lp:\n" + EXP + OK_TAIL, "config.invalid-id", (6, 3)),
    ("unknown type", RECV + "  foo:\n" + EXP + OK_TAIL, "config.unknown-type", (6, 3)),
    ("removed logging", RECV + EXP + "  logging:\n" + OK_TAIL, "config.removed-type", (8, 3)),
    ("removed jaeger", RECV + EXP + "  jaeger:\n" + OK_TAIL, "config.removed-type", (8, 3)),
    ("invalid keys", RECV + "        bogus: 1\n" + EXP + OK_TAIL, "config.invalid-keys", (6, 9)),
    (
        "wrong type",
        RECV + "exporters:\n  otlp_grpc:\n    endpoint: 4317\n" + OK_TAIL,
        "config.wrong-type",
        (8, 15),
    ),
    (
        "invalid value",
        RECV + "processors:\n  batch:\n    send_batch_max_size: 1\n" + EXP + OK_TAIL,
        "config.invalid-value",
        (8, 26),
    ),
    (
        "telemetry",
        RECV + EXP + OK_TAIL + "  telemetry:\n    metrics:\n      level: loud\n",
        "config.telemetry-invalid",
        (15, 14),
    ),
    ("no receivers", EXP + OK_TAIL, "config.no-receivers", (1, 1)),
    ("no exporters", RECV + OK_TAIL, "config.no-exporters", (1, 1)),
    ("no pipelines", RECV + EXP + "service:\n  pipelines: {}\n", "config.no-pipelines", (9, 14)),
    (
        "bad pipeline id",
        RECV + EXP + "service:\n  pipelines:\n    trace:\n      receivers: [otlp]\n",
        "config.invalid-pipeline-id",
        (10, 5),
    ),
    (
        "pipeline no receivers",
        RECV + EXP + "service:\n  pipelines:\n    traces:\n      exporters: [debug]\n",
        "config.pipeline-no-receivers",
        (10, 5),
    ),
    (
        "pipeline no exporters",
        RECV + EXP + "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n",
        "config.pipeline-no-exporters",
        (10, 5),
    ),
    (
        "duplicate processor",
        RECV
        + "processors:\n  batch:\n"
        + EXP
        + "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [batch, batch]\n"
        "      exporters: [debug]\n",
        "config.duplicate-processor",
        (14, 27),
    ),
    (
        "undefined",
        RECV + EXP + "service:\n  pipelines:\n    traces:\n      receivers: [otlp, nope]\n      exporters: [debug]\n",
        "config.undefined-component",
        (11, 25),
    ),
    (
        "undefined extension",
        RECV + EXP + OK_TAIL + "  extensions: [pprof]\n",
        "config.undefined-extension",
        (13, 16),
    ),
    (
        "connector ambiguous",
        RECV + EXP + "  nop:\nconnectors:\n  nop:\n" + OK_TAIL,
        "config.connector-ambiguous",
        (10, 3),
    ),
    (
        "connector one way",
        RECV + EXP + "connectors:\n  forward:\nservice:\n  pipelines:\n    traces:\n"
        "      receivers: [otlp]\n      exporters: [forward, debug]\n",
        "config.connector-one-way",
        (14, 19),
    ),
    (
        "connector cycle",
        RECV + EXP + "connectors:\n  forward:\nservice:\n  pipelines:\n    traces:\n"
        "      receivers: [otlp, forward]\n      exporters: [forward, debug]\n",
        "config.connector-cycle",
        (14, 19),
    ),
    (
        "signal unsupported",
        "receivers:\n  zipkin:\n" + EXP + "service:\n  pipelines:\n    metrics:\n"
        "      receivers: [zipkin]\n      exporters: [debug]\n",
        "config.signal-unsupported",
        (8, 19),
    ),
    (
        "auth not enabled",
        RECV + "exporters:\n  otlp_grpc:\n    endpoint: x:4317\n    auth:\n"
        "      authenticator: basicauth\n" + OK_TAIL.replace("[debug]", "[otlp_grpc]"),
        "config.auth-extension-not-enabled",
        (10, 22),
    ),
    (
        "tail sampling policy",
        RECV + "processors:\n  tail_sampling:\n    policies:\n      - name: a\n"
        "        type: nope\n"
        + EXP
        + OK_TAIL.replace("      exporters", "      processors: [tail_sampling]\n      exporters"),
        "config.tail-sampling-policy",
        (10, 15),
    ),
    (
        "port conflict",
        RECV
        + "  otlp/2:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:4317\n"
        + EXP
        + OK_TAIL.replace("[otlp]", "[otlp, otlp/2]"),
        "config.port-conflict",
        (9, 19),
    ),
    # warnings
    (
        "memory limiter order",
        RECV + "processors:\n  batch:\n  memory_limiter:\n    check_interval: 1s\n"
        "    limit_mib: 100\n"
        + EXP
        + OK_TAIL.replace("      exporters", "      processors: [batch, memory_limiter]\n      exporters"),
        "config.memory-limiter-not-first",
        (17, 27),
    ),
    ("no memory limiter", RECV + EXP + OK_TAIL, "config.no-memory-limiter", (10, 5)),
    (
        "batch before sampling",
        RECV
        + "processors:\n  batch:\n  probabilistic_sampler:\n"
        + EXP
        + OK_TAIL.replace("      exporters", "      processors: [batch, probabilistic_sampler]\n      exporters"),
        "config.batch-before-sampling",
        (15, 20),
    ),
    (
        "http scheme tls",
        RECV
        + "exporters:\n  otlp_grpc:\n    endpoint: http://jaeger:4317\n"
        + OK_TAIL.replace("[debug]", "[otlp_grpc]"),
        "config.grpc-http-scheme-tls",
        (8, 15),
    ),
    (
        "grpc tls default",
        RECV + "exporters:\n  otlp_grpc:\n    endpoint: jaeger:4317\n" + OK_TAIL.replace("[debug]", "[otlp_grpc]"),
        "config.grpc-tls-default",
        (8, 15),
    ),
    (
        "wrong port",
        RECV
        + "exporters:\n  otlp_http:\n    endpoint: http://jaeger:4317\n"
        + OK_TAIL.replace("[debug]", "[otlp_http]"),
        "config.exporter-wrong-port",
        (8, 15),
    ),
    (
        "http endpoint form",
        RECV
        + "exporters:\n  otlp_http:\n    endpoint: http://jaeger:4318/v1/traces\n"
        + OK_TAIL.replace("[debug]", "[otlp_http]"),
        "config.otlp-http-endpoint-form",
        (8, 15),
    ),
    (
        "tls insecure",
        RECV
        + "exporters:\n  otlp_grpc:\n    endpoint: https://j:443\n    tls:\n      insecure: true\n"
        + OK_TAIL.replace("[debug]", "[otlp_grpc]"),
        "config.tls-insecure",
        (10, 17),
    ),
    (
        "receiver endpoint left out",
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n" + EXP + OK_TAIL,
        "config.receiver-on-localhost",
        (4, 7),
    ),
    ("unused", RECV + EXP + "  nop:\n" + OK_TAIL, "config.unused-component", (8, 3)),
    (
        "debug detailed",
        RECV + "exporters:\n  debug:\n    verbosity: detailed\n" + OK_TAIL,
        "config.debug-exporter",
        (8, 16),
    ),
    (
        "queue disabled",
        RECV + "exporters:\n  otlp_grpc:\n    endpoint: j:4317\n    tls: {insecure: true}\n"
        "    sending_queue:\n      enabled: false\n" + OK_TAIL.replace("[debug]", "[otlp_grpc]"),
        "config.queue-or-retry-disabled",
        (11, 16),
    ),
    (
        "duplicate in pipeline",
        RECV + EXP + OK_TAIL.replace("[otlp]", "[otlp, otlp]"),
        "config.duplicate-in-pipeline",
        (11, 25),
    ),
    (
        "deprecated alias",
        RECV
        + "exporters:\n  otlp:\n    endpoint: j:4317\n    tls: {insecure: true}\n"
        + OK_TAIL.replace("[debug]", "[otlp]"),
        "config.deprecated",
        (7, 3),
    ),
    (
        "env without default",
        'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${env:NOPE}"}}\n' + EXP + OK_TAIL,
        "config.env-without-default",
        (3, 34),
    ),
    (
        "bare dollar",
        'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "$HOST:4317"}}\n' + EXP + OK_TAIL,
        "config.bare-dollar-var",
        (3, 34),
    ),
    (
        "batch no max size",
        RECV + "processors:\n  batch:\nexporters:\n  otlp_grpc:\n    endpoint: j:4317\n"
        "    tls: {insecure: true}\n"
        + OK_TAIL.replace("[debug]", "[otlp_grpc]").replace(
            "      exporters", "      processors: [batch]\n      exporters"
        ),
        "config.batch-no-max-size",
        (16, 20),
    ),
    (
        "literal secret",
        RECV + "exporters:\n  otlp_grpc:\n    endpoint: j:4317\n    headers:\n"
        "      authorization: Bearer s3cr3t-t0ken\n" + OK_TAIL.replace("[debug]", "[otlp_grpc]"),
        "config.literal-secret",
        (10, 22),
    ),
    (
        "telemetry logs encoding",
        RECV + EXP + OK_TAIL + "  telemetry:\n    logs:\n      encoding: text\n",
        "config.telemetry-start",
        (15, 17),
    ),
    (
        "unitless duration",
        RECV
        + "processors:\n  batch:\n    timeout: 10\n"
        + EXP
        + OK_TAIL.replace("      exporters", "      processors: [batch]\n      exporters"),
        "config.unitless-duration",
        (8, 14),
    ),
    (
        "prometheus 8888",
        RECV
        + "exporters:\n  prometheus:\n    endpoint: 0.0.0.0:8888\n"
        + "service:\n  pipelines:\n    metrics:\n      receivers: [otlp]\n      exporters: [prometheus]\n",
        "config.prometheus-on-8888",
        (8, 15),
    ),
    (
        "zipkin endpoint deprecated",
        "receivers:\n  zipkin:\n    endpoint: 0.0.0.0:9411\n" + EXP + OK_TAIL.replace("[otlp]", "[zipkin]"),
        "config.deprecated-setting",
        (3, 15),
    ),
    (
        "ottl statement syntax (plain scalar)",
        RECV
        + EXP
        + _proc(
            "transform",
            "    trace_statements:\n      - context: span\n        statements:\n"
            '          - set(name, "x" where name == "y")\n',
        ),
        "config.ottl-syntax",
        (13, 27),
    ),
    (
        "ottl condition syntax (single-quoted)",
        RECV + EXP + _proc("filter", "    trace_conditions:\n      - 'span.name == \"a\" and'\n"),
        "config.ottl-syntax",
        (11, 30),
    ),
    (
        "ottl unknown converter (double-quoted)",
        RECV + EXP + _proc("transform", '    trace_statements:\n      - "set(span.attributes[\\"x\\"], Nope(1))"\n'),
        "config.ottl-invalid",
        (11, 38),
    ),
    (
        "ottl unknown path segment",
        RECV + EXP + _proc("filter", "    traces:\n      span:\n        - attributes[test] == 1\n"),
        "config.ottl-invalid",
        (12, 22),
    ),
    (
        "ottl unknown context",
        RECV + EXP + _proc("transform", "    trace_statements:\n      - context: bogus\n        statements: []\n"),
        "config.ottl-context",
        (11, 18),
    ),
    (
        "filter mixes conditions styles",
        RECV
        + EXP
        + _proc("filter", "    trace_conditions: ['span.name == \"a\"']\n    traces:\n      span: ['name == \"b\"']\n"),
        "config.invalid-value",
        (10, 23),
    ),
]


@pytest.mark.parametrize(("name", "text", "code", "where"), CASES, ids=[c[0] for c in CASES])
def test_rule_is_reported_at_the_exact_place(name: str, text: str, code: str, where: tuple[int, int]) -> None:
    places = at(text, code)
    assert where in places, f"{code} not at {where}: {places}; all: {[(f.code, f.location) for f in findings(text)]}"


def test_every_validate_code_is_covered_or_listed() -> None:
    covered = {c[2] for c in CASES} | {c[2] for c in JAEGER_CASES}
    not_tested_here = {  # covered elsewhere: bad input, CLI, warnings needing a bigger setup
        "config.not-text",
        "config.not-utf8",
        "config.too-large",
        "config.alias-bomb",
        "config.too-deep",
        "config.empty",
        "config.env-not-scalar",
        "config.duplicate-id",
        "config.section-not-a-map",
        "config.k8s-attributes-after-batch",
        "config.loadbalancing-routing-key",
        "config.metrics-after-sampler",
        "config.collector-says",
        "config.component-create",  # test_component_creation_errors, below
        "config.collector-not-run",
        "config.traces-no-backend",  # tests/test_loss.py
        "config.tls-file-missing",  # tests/test_validate_releases.py
        "config.queue-storage-undefined",  # tests/test_validate_releases.py
        "config.adaptive-sampling-no-extension",  # tests/test_validate_releases.py
    }
    codes = {k for k in catalogue.KINDS if k.startswith("config.")}
    assert codes - covered - not_tested_here == set()


JAEGER_BASE = (
    "extensions:\n  jaeger_storage:\n    backends:\n      mem: {memory: {max_traces: 10}}\n"
    "  jaeger_query:\n    storage:\n      traces: memx\n"
    "receivers:\n  otlp:\n    protocols: {grpc: }\nexporters:\n  jaeger_storage_exporter:\n    trace_storage: mem\n"
    "service:\n  extensions: [jaeger_query]\n  pipelines:\n    traces:\n      receivers: [otlp]\n"
    "      exporters: [jaeger_storage_exporter]\n"
)
JAEGER_CASES = [
    ("jaeger storage undeclared", JAEGER_BASE, "config.jaeger-storage-undeclared", (7, 15)),
    ("jaeger storage not enabled", JAEGER_BASE, "config.jaeger-storage-not-enabled", (12, 3)),
    (
        "memory max_traces zero",
        JAEGER_BASE.replace("max_traces: 10", "max_traces: 0").replace("[jaeger_query]", "[jaeger_storage]"),
        "config.jaeger-storage-init",
        (4, 34),
    ),
    (
        "adaptive without remote",
        JAEGER_BASE + "processors:\n  adaptive_sampling:\n",
        "config.adaptive-without-remote-sampling",
        (21, 3),
    ),
]


@pytest.mark.parametrize(("name", "text", "code", "where"), JAEGER_CASES, ids=[c[0] for c in JAEGER_CASES])
def test_jaeger_rules(name: str, text: str, code: str, where: tuple[int, int]) -> None:
    result = api.validate_source(text, "j.yaml", None, environ={})
    assert result.distribution is Distribution.JAEGER
    places = [(f.location.line, f.location.column) for f in result.findings if f.code == code and f.location]
    assert where in places, places


def test_start_time_errors_do_not_change_the_validate_verdict() -> None:
    text = CASES[[c[0] for c in CASES].index("port conflict")][1]
    result = api.validate_source(text, "c.yaml", environ={})
    assert not result.validate_errors
    conflict = [f for f in result.findings if f.code == "config.port-conflict"]
    assert conflict and conflict[0].code in kinds.START_TIME
    assert "otelcol validate" in conflict[0].evidence[0]


def test_all_errors_at_once_across_stages() -> None:
    text = (
        'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${1}"}}\n  foo:\n'
        "processors:\n  batch:\n    send_batch_max_size: 1\nexporters:\n  debug:\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp, nope]\n      exporters: [debug]\n"
    )
    codes = {f.code for f in findings(text) if f.severity is Severity.ERROR}
    assert {
        "config.env-invalid-name",
        "config.unknown-type",
        "config.invalid-value",
        "config.undefined-component",
    } <= codes


def test_core_distribution_lacks_contrib_components() -> None:
    text = RECV + "processors:\n  tail_sampling:\n" + EXP + OK_TAIL
    assert at(text, "config.unknown-type", dist=Distribution.CORE) == [(7, 3)]
    assert at(text, "config.unknown-type", dist=Distribution.CONTRIB) == []


def test_unset_env_without_default_is_empty_not_an_error() -> None:
    text = 'receivers:\n  otlp:\n    protocols: {grpc: {endpoint: "${env:NOPE}"}}\n' + EXP + OK_TAIL
    assert not api.validate_source(text, "c.yaml", environ={}).validate_errors


# --- bad input: a finding or exit 2, never a traceback, bounded -------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x00\x01\x02binary", "config.not-text"),
        (b"receivers:\n  otlp: \xff\xfe\n", "config.not-utf8"),
        ("[" * 20000 + "]" * 20000, "config.too-deep"),
        (
            "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)),
            "config.alias-bomb",
        ),
        ("", "config.empty"),
        ("- a\n", "config.not-a-mapping"),
    ],
    ids=["binary", "not-utf8", "deep", "alias-bomb", "empty", "list"],
)
def test_bad_input_is_a_finding(data: bytes | str, code: str) -> None:
    assert code in {f.code for f in api.validate_source(data, "c.yaml").findings}


def test_depth_limit_is_generous() -> None:
    deep = "a: " + "[" * (MAX_DEPTH - 5) + "]" * (MAX_DEPTH - 5) + "\n"
    assert "config.too-deep" not in {f.code for f in findings(deep)}


def test_a_config_at_the_size_cap_is_validated_quickly() -> None:
    import time

    # 25,000 components: just under the 1 MiB a config may have
    lines = ["receivers:"] + [f"  otlp/r{i}:\n    protocols: {{grpc: }}" for i in range(25_000)]
    text = "\n".join(lines) + "\n" + EXP + OK_TAIL.replace("[otlp]", "[otlp/r0]")
    started = time.monotonic()
    result = api.validate_source(text, "big.yaml", environ={})
    assert time.monotonic() - started < 120
    assert not result.validate_errors


# --- CLI ---------------------------------------------------------------------------------------------


def test_cli_exit_codes_and_json(tmp_path: Any) -> None:
    good = tmp_path / "good.yaml"
    jaeger = "  otlp_grpc/jaeger:\n    endpoint: jaeger:4317\n    tls:\n      insecure: true\n"
    good.write_text(
        RECV
        + "processors:\n  memory_limiter:\n    check_interval: 1s\n    limit_mib: 100\n"
        + EXP
        + jaeger
        + OK_TAIL.replace("      exporters", "      processors: [memory_limiter]\n      exporters").replace(
            "[debug]", "[debug, otlp_grpc/jaeger]"
        )
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(RECV + "  foo:\n" + EXP + OK_TAIL)
    res = run("validate-config", str(good), "--json")
    assert res.exit_code == 0, res.stdout
    doc = res.json()
    assert doc["command"] == "validate-config" and doc["files"][0]["ok"] is True
    # A receiver on 0.0.0.0 in a config that exports somewhere real is a normal gateway: nothing to say.
    assert doc["findings"] == []
    assert run("validate-config", str(good), "--strict").exit_code == 0
    # A note (the receiver's endpoint left out, so localhost since v0.104) does not fail --strict either.
    noted = tmp_path / "noted.yaml"
    noted.write_text(good.read_text().replace("      grpc:\n        endpoint: 0.0.0.0:4317\n", "      grpc:\n"))
    doc = run("validate-config", str(noted), "--json").json()
    assert [(f["severity"], f["code"]) for f in doc["findings"]] == [("info", "config.receiver-on-localhost")]
    assert run("validate-config", str(noted), "--strict").exit_code == 0
    warned = tmp_path / "warned.yaml"
    warned.write_text(good.read_text().replace("exporters:\n  debug:\n", "exporters:\n  debug:\n  nop:\n"))
    assert run("validate-config", str(warned)).exit_code == 0
    assert run("validate-config", str(warned), "--strict").exit_code == 1  # an unused exporter is a warning
    for fmt, marker in (("sarif", '"level": "note"'), ("github", "::notice ")):
        res = run("validate-config", str(noted), "--format", fmt, "--strict")
        assert res.exit_code == 0 and marker in res.stdout, res.stdout
    res = run("validate-config", str(good), str(bad), "--json", "--graph", "mermaid")
    assert res.exit_code == 1
    doc = res.json()
    assert [f["ok"] for f in doc["files"]] == [True, False]
    assert doc["graph"][str(good)]["rendered"].startswith("graph LR")
    assert run("validate-config", str(tmp_path / "missing.yaml")).exit_code == 2
    assert run("validate-config", str(tmp_path)).exit_code == 2


def test_cli_human_output_has_a_code_frame_and_redacts_secrets(tmp_path: Any) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(
        RECV + "exporters:\n  otlp_grpc:\n    endpoint: j:4317\n    headers:\n"
        "      authorization: Bearer s3cr3t-t0ken\n    bogus: 1\n" + OK_TAIL.replace("[debug]", "[otlp_grpc]")
    )
    res = run("validate-config", str(p))
    assert res.exit_code == 1
    assert "│" in res.stdout and "^" in res.stdout
    assert "s3cr3t-t0ken" not in res.stdout
    for fmt in ("json", "sarif", "github"):
        out = run("validate-config", str(p), "--format", fmt)
        assert "s3cr3t-t0ken" not in out.stdout, fmt
    sarif = json.loads(run("validate-config", str(p), "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    gh = run("validate-config", str(p), "--format", "github").stdout
    assert gh.startswith("::error file=") or "::warning file=" in gh


def test_cli_merge_deep_merges_maps_and_replaces_lists(tmp_path: Any) -> None:
    a = tmp_path / "a.yaml"
    a.write_text(RECV + EXP + OK_TAIL)
    b = tmp_path / "b.yaml"
    b.write_text("service:\n  pipelines:\n    traces:\n      receivers: [nope]\n")
    doc = run("validate-config", "--merge", str(a), str(b), "--json").json()
    errs = [f for f in doc["findings"] if f["code"] == "config.undefined-component"]
    assert errs and errs[0]["location"]["file"] == str(b)


def test_cli_reads_stdin(monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from otdiag.cli.main import app

    res = CliRunner().invoke(app, ["validate-config", "-", "--json"], input=RECV + EXP + OK_TAIL)
    assert res.exit_code == 0
    assert json.loads(res.stdout)["files"][0]["path"] == "<stdin>"


# --- property: generated configs never crash the validator ------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.text(max_size=12),
    st.sampled_from(["${env:X}", "${1}", "$$", "localhost:4317", "http://j:4317", "1s", "otlp"]),
)
_keys = st.sampled_from(
    [
        "receivers",
        "processors",
        "exporters",
        "connectors",
        "extensions",
        "service",
        "pipelines",
        "traces",
        "otlp",
        "otlp_grpc",
        "batch",
        "forward",
        "protocols",
        "grpc",
        "endpoint",
        "tls",
        "insecure",
        "receivers",
        "exporters",
        "memory_limiter",
        "debug",
        "x/y",
        "a-b",
    ]
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=6))
def test_generated_configs_never_crash(doc: dict[str, Any]) -> None:
    import yaml

    text = yaml.safe_dump(doc)
    for dist in Distribution:
        result = api.validate_source(text, "g.yaml", dist, environ={})
        for f in result.findings:
            assert f.code in catalogue.KINDS


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    """Whatever the bytes, a result whose every finding is a kind the catalogue declares."""
    result = api.validate_source(data, "b.yaml", environ={})
    for f in result.findings:
        assert f.code in catalogue.KINDS, f.code


def test_always_sample_is_a_tail_sampling_policy_type(tmp_path: Path) -> None:
    """It has no settings block of its own, so only the generated constants know it (the collector starts with it)."""
    cfg = tmp_path / "ts.yaml"
    cfg.write_text(
        "receivers: {otlp: {protocols: {grpc: }}}\nexporters: {debug: }\n"
        "processors:\n  tail_sampling:\n    policies:\n      - {name: all, type: always_sample}\n"
        "      - {name: odd, type: no_such_policy}\n"
        "service: {pipelines: {traces: {receivers: [otlp], processors: [tail_sampling], exporters: [debug]}}}\n"
    )
    res = run("validate-config", str(cfg), "--json")
    policy = [f for f in res.json()["files"][0]["findings"] if f["code"] == "config.tail-sampling-policy"]
    assert [f["location"]["line"] for f in policy] == [7]
    assert "no_such_policy" in policy[0]["message"]


@pytest.mark.parametrize(
    ("processor", "line", "column", "expected"),
    [
        ("  attributes/x:\n    include:\n      match_type: strict\n      log_bodies: [a]\n    actions:\n"
         "      - {key: k, action: delete}\n", 7, 19, "log_bodies should not be specified for trace spans"),
        ("  filter/x:\n    spans:\n      exclude:\n        match_type: regexp\n", 7, 9,
         'at least one of "attributes", "libraries",  or "resources" field must be specified'),
        ("  attributes/x:\n    actions:\n      - key: url\n        action: extract\n        pattern: ^(?P<a>.*)(x|y)$\n",
         8, 18, 'Field "pattern" contains at least one unnamed matcher group'),
    ],
)  # fmt: skip
def test_component_creation_errors(processor: str, line: int, column: int, expected: str, tmp_path: Path) -> None:
    name = processor.split(":", 1)[0].strip()
    text = (
        "receivers: {otlp: {protocols: {grpc: }}}\nexporters: {debug: }\nprocessors:\n"
        + processor
        + f"service: {{pipelines: {{traces: {{receivers: [otlp], processors: [{name}], exporters: [debug]}}}}}}\n"
    )
    res = api.validate_source(text, "c.yaml")
    [f] = [f for f in res.findings if f.code == "config.component-create"]
    assert expected in f.message and f'failed to create "{name}" processor, in pipeline "traces"' in f.message
    assert f.location is not None and (f.location.line, f.location.column) == (line, column)


def test_named_and_non_capturing_groups_and_escapes_are_fine() -> None:
    from otdiag.validate.create import unnamed_group

    assert not unnamed_group(r"^(?P<a>x)(?:y)\(z\)[(]$")
    assert unnamed_group(r"^(?P<a>x)(b)$")
