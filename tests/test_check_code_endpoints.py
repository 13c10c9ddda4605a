"""check --app-dir reads the exporter endpoints an app's source sets (issue 23, "Advice agrees across commands").

The source trees below are written as real apps write them (Python, Node.js, Java, Go, .NET); nothing is built: the
reading is static. The end-to-end cases run check and run against a real collector and Jaeger, and assert that the
human view, the JSON and the exit code agree, and that run gives the same code on the same Python app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode, Protocol
from otdiag.observe import code_endpoints
from otdiag.observe.code_endpoints import CodeEndpoint
from tests import peers
from tests.peers import REPO

PYTHON_GRPC = """\
import os

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

provider = TracerProvider()
# provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="http://old:4317")))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="{endpoint}", insecure=True, timeout=2)))
trace.set_tracer_provider(provider)
with trace.get_tracer("hc").start_as_current_span("hc-op"):
    pass
provider.shutdown()
"""

PYTHON_HTTP = """\
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

provider = TracerProvider()
provider.add_span_processor(
    BatchSpanProcessor(
        OTLPSpanExporter(
            endpoint="{endpoint}",
            timeout=2,
        )
    )
)
trace.set_tracer_provider(provider)
with trace.get_tracer("hc").start_as_current_span("hc-op"):
    pass
provider.shutdown()
"""

NODE = """\
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');

const sdk = new NodeSDK({
  traceExporter: new OTLPTraceExporter({
    headers: { 'x-team': 'shop' },
    url: 'http://collector:4318/v1/traces',
  }),
});
sdk.start();
"""

NODE_ENV = """\
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
export const exporter = new OTLPTraceExporter({ url: process.env.COLLECTOR_URL || 'http://localhost:4317' });
"""

JAVA = """\
package shop;

import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

public final class Telemetry {
  static SdkTracerProvider provider() {
    OtlpGrpcSpanExporter exporter =
        OtlpGrpcSpanExporter.builder()
            .setEndpoint("http://collector:4317")
            .setTimeout(java.time.Duration.ofSeconds(2))
            .build();
    return SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build();
  }

  static void other(Client client) {
    client.setEndpoint("http://not-an-exporter:9000");
  }
}
"""

GO = """\
package main

import (
\t"context"

\t"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
\t"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
)

func exporters(ctx context.Context) {
\tg, _ := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint("collector:4317"), otlptracegrpc.WithInsecure())
\th, _ := otlptracehttp.New(ctx,
\t\totlptracehttp.WithEndpoint("collector:4318"),
\t\totlptracehttp.WithURLPath("/otlp/v1/traces"),
\t)
\tu, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL("http://collector:4318"))
\t_, _, _ = g, h, u
}
"""

DOTNET = """\
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

builder.Services.AddOpenTelemetry().WithTracing(t => t.AddOtlpExporter(o =>
{
    o.Endpoint = new Uri("http://collector:4318/v1/traces");
    o.Protocol = OtlpExportProtocol.HttpProtobuf;
}));
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _by_file(found: tuple[CodeEndpoint, ...]) -> dict[str, list[CodeEndpoint]]:
    out: dict[str, list[CodeEndpoint]] = {}
    for ep in found:
        out.setdefault(Path(ep.file).name, []).append(ep)
    return out


def test_each_languages_exporter_endpoint_is_found_with_its_line_and_protocol(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "app/main.py": PYTHON_GRPC.format(endpoint="127.0.0.1:1"),
            "app/http_app.py": PYTHON_HTTP.format(endpoint="http://collector:4318"),
            "web/index.js": NODE,
            "web/tracing.mjs": NODE_ENV,
            "src/main/java/shop/Telemetry.java": JAVA,
            "cmd/api/main.go": GO,
            "Api/Program.cs": DOTNET,
        },
    )
    got = _by_file(code_endpoints.scan(tmp_path).endpoints)

    [py] = got["main.py"]  # the commented-out exporter above it is not one
    assert (py.line, py.protocol, py.literal, py.insecure) == (10, Protocol.GRPC, "127.0.0.1:1", True)
    assert py.file == str(tmp_path / "app" / "main.py") and py.drop == "endpoint= from the exporter"
    [http] = got["http_app.py"]
    assert (http.line, http.protocol, http.literal) == (9, Protocol.HTTP_PROTOBUF, "http://collector:4318")

    [node] = got["index.js"]
    assert (node.line, node.protocol, node.literal) == (6, Protocol.HTTP_PROTOBUF, "http://collector:4318/v1/traces")
    [node_env] = got["tracing.mjs"]
    assert (node_env.protocol, node_env.literal, node_env.env_var) == (Protocol.GRPC, None, "COLLECTOR_URL")
    assert node_env.value({}) == "http://localhost:4317"
    assert node_env.value({"COLLECTOR_URL": "http://gw:4317"}) == "http://gw:4317"

    [java] = got["Telemetry.java"]  # a setEndpoint on something other than an exporter builder is not one
    assert (java.line, java.protocol, java.literal) == (11, Protocol.GRPC, "http://collector:4317")

    grpc, http_path, http_url = got["main.go"]
    # host:port: plaintext as WithInsecure() says; the HTTP exporter posts to WithURLPath.
    assert (grpc.line, grpc.protocol, grpc.literal) == (11, Protocol.GRPC, "http://collector:4317")
    assert (http_path.line, http_path.literal) == (13, "https://collector:4318/otlp/v1/traces")
    assert (http_url.line, http_url.literal) == (16, "http://collector:4318")

    [cs] = got["Program.cs"]
    assert (cs.line, cs.protocol, cs.literal) == (6, Protocol.HTTP_PROTOBUF, "http://collector:4318/v1/traces")


def test_an_endpoint_read_from_the_environment_is_known_only_when_that_variable_is_set(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"main.py": PYTHON_HTTP.replace('"{endpoint}"', 'os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]')},
    )
    [ep] = code_endpoints.scan(tmp_path).endpoints
    assert (ep.literal, ep.env_var) == (None, "OTEL_EXPORTER_OTLP_ENDPOINT")
    assert ep.value({}) is None
    # The generic variable, passed to the constructor, is used as is: no /v1/traces appended.
    assert ep.value({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) == "http://c:4318"


def test_dependency_folders_links_out_of_the_tree_and_oversized_files_are_not_read(tmp_path: Path) -> None:
    app, outside = tmp_path / "app", tmp_path / "outside"
    exporter = PYTHON_GRPC.format(endpoint="127.0.0.1:9")
    _write(outside, {"lib.py": exporter})
    _write(app, {f"{d}/pkg/x.py": exporter for d in sorted(code_endpoints.SKIPPED_DIRS)})
    _write(app, {"big.py": "#" * (code_endpoints.MAX_FILE_BYTES + 10) + "\n" + exporter})
    (app / "linked").symlink_to(outside, target_is_directory=True)
    (app / "linked.py").symlink_to(outside / "lib.py")
    scan = code_endpoints.scan(app)
    assert scan.endpoints == ()
    assert scan.files_read == 1 and scan.bytes_read == code_endpoints.MAX_FILE_BYTES
    # The same exporter, in the tree itself, is found.
    _write(app, {"svc/main.py": exporter})
    assert [Path(e.file).name for e in code_endpoints.scan(app).endpoints] == ["main.py"]


def test_tests_examples_and_prose_about_the_call_are_not_the_apps_endpoints(tmp_path: Path) -> None:
    exporter = PYTHON_GRPC.format(endpoint="127.0.0.1:9")
    _write(
        tmp_path,
        {
            "test_app.py": exporter, "app_test.py": exporter, "web/app.test.js": NODE, "web/app.spec.ts": NODE,
            "cmd/main_test.go": GO, "src/test/java/shop/Telemetry.java": JAVA, "examples/demo.py": exporter,
            "pkg/mod/go.opentelemetry.io/otel/x.go": GO,
            "notes.py": '"""Build OTLPSpanExporter(endpoint=...) with the collector\'s address."""\n',
        },
    )  # fmt: skip
    assert code_endpoints.scan(tmp_path).endpoints == ()


def test_the_walk_stops_at_its_file_bound_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {f"m{i:02}.py": "x = 1\n" for i in range(12)})
    monkeypatch.setattr(code_endpoints, "MAX_FILES", 5)
    scan = code_endpoints.scan(tmp_path)
    assert scan.files_read == 5 and scan.stopped is not None and "5 files" in scan.stopped


# --- end to end: check and run on the same app, a real collector and Jaeger ------------------------------------


def _otdiag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_"))}
    base.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", "COLUMNS": "80", **env})
    cmd = [sys.executable, "-m", "otdiag", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=base, cwd=REPO, timeout=120, check=False)


def _both(*args: str, env: dict[str, str], app: tuple[str, ...] = ()) -> tuple[dict[str, Any], str, int]:
    as_json = _otdiag(*args, "--json", *app, env=env)
    human = _otdiag(*args, *app, env=env)
    assert as_json.returncode == human.returncode, (as_json.stdout, human.stdout)
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is (as_json.returncode == ExitCode.OK)
    return doc, " ".join(human.stdout.split()), human.returncode


def _check(
    app: Path, col: peers.Collector, jaeger: peers.Jaeger, env: dict[str, str]
) -> tuple[dict[str, Any], str, int]:
    return _both(
        "check", "--app-dir", str(app), "--config", str(col.config_path), "--jaeger-url", jaeger.query_url,
        "--timeout", "3s", "--wait", "8s", env=env,
    )  # fmt: skip


def _errors(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["severity"] == "error"]


def test_a_dead_hard_coded_endpoint_is_the_same_error_in_check_and_run(
    tmp_path: Path, collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]
) -> None:
    col, jaeger = collector_to_jaeger
    dead = f"127.0.0.1:{peers.free_port()}"
    _write(
        tmp_path,
        {
            "main.py": PYTHON_GRPC.format(endpoint=dead),
            "jobs/worker.py": PYTHON_GRPC.format(endpoint=dead),  # the same endpoint: one probe, one finding
            "tests/test_main.py": PYTHON_GRPC.format(endpoint="127.0.0.1:2"),  # the tests' endpoints are not the app's
        },
    )
    # The environment names the live collector: the code overrides it.
    env = {"OTEL_SERVICE_NAME": "shop", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{col.otlp_grpc}",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}  # fmt: skip
    doc, human, code = _check(tmp_path, col, jaeger, env)
    assert code == ExitCode.PROBLEM
    first = _errors(doc)[0]
    assert first["code"] == "ingest.refused" and dead in first["message"], doc["findings"]
    column = PYTHON_GRPC.splitlines()[9].index("OTLPSpanExporter(") + 1
    assert first["location"] == {"file": str(tmp_path / "main.py"), "line": 10, "column": column}
    assert "drop endpoint= from the exporter so OTEL_EXPORTER_OTLP_ENDPOINT decides" in " ".join(first["hint"].split())
    assert f"it overrides OTEL_EXPORTER_OTLP_ENDPOINT=http://{col.otlp_grpc}" in first["evidence"]
    assert f'written in the code: "{dead}"' in first["evidence"]
    assert [e["code"] for e in _errors(doc)] == ["ingest.refused"]  # the environment's collector is fine
    assert f"also set at {tmp_path / 'jobs' / 'worker.py'}:10" in first["evidence"]
    assert [s["name"] for s in doc["steps"] if s["name"].startswith("code ")] == ["code main.py:10"]
    assert "(ingest.refused)" in human and f"{tmp_path / 'main.py'}:10:{column}" in human
    assert f"sends to {dead}, set in the code: Nothing listens at {dead}" in human
    assert next(s for s in doc["steps"] if s["name"] == "code main.py:10")["status"] == "fail"

    ran, ran_human, ran_code = _both("run", env=env, app=("--", sys.executable, str(tmp_path / "main.py")))
    assert ran_code == code == ExitCode.PROBLEM
    assert _errors(ran)[0]["code"] == first["code"]
    assert "drop endpoint= from the exporter so OTEL_EXPORTER_OTLP_ENDPOINT decides" in ran_human


def test_a_hard_coded_live_collector_is_healthy_with_a_warning_that_it_overrides_the_environment(
    tmp_path: Path, collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]
) -> None:
    col, jaeger = collector_to_jaeger
    assert col.otlp_grpc is not None and col.otlp_http is not None
    _write(tmp_path, {"main.py": PYTHON_GRPC.format(endpoint=col.otlp_grpc)})
    env = {"OTEL_SERVICE_NAME": "shop", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{col.otlp_http}"}
    doc, human, code = _check(tmp_path, col, jaeger, env)
    assert code == ExitCode.OK and _errors(doc) == [], doc["findings"]
    [over] = [f for f in doc["findings"] if f["code"] == "app.exported-elsewhere"]
    assert over["severity"] == "warning" and over["location"]["line"] == 10
    assert f"it overrides OTEL_EXPORTER_OTLP_ENDPOINT=http://{col.otlp_http}." in over["message"]
    assert "(app.exported-elsewhere)" in human and f"! OTLPSpanExporter(endpoint=...) sends to {col.otlp_grpc}" in human
    assert next(s for s in doc["steps"] if s["name"] == "code main.py:10")["status"] == "pass"

    ran, _, ran_code = _both("run", env=env, app=("--", sys.executable, str(tmp_path / "main.py")))
    assert ran_code == code and "app.exported-elsewhere" in [f["code"] for f in ran["findings"]]


@pytest.mark.parametrize("written", ["literal", "environment"])
def test_an_http_exporter_given_the_base_url_in_code_is_path_missing_in_check_and_run(
    written: str, tmp_path: Path, collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]
) -> None:
    """The issue's case: `OTLPSpanExporter(endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])` posts to /."""
    col, jaeger = collector_to_jaeger
    base = f"http://{col.otlp_http}"
    source = PYTHON_HTTP.format(endpoint=base)
    if written == "environment":
        source = "import os\n" + source.replace(f'"{base}"', 'os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]')
    _write(tmp_path, {"main.py": source})
    env = {"OTEL_SERVICE_NAME": "shop", "OTEL_EXPORTER_OTLP_ENDPOINT": base}
    doc, human, code = _check(tmp_path, col, jaeger, env)
    assert code == ExitCode.PROBLEM
    [first] = _errors(doc)
    line = next(i for i, x in enumerate(source.splitlines(), 1) if "OTLPSpanExporter(" in x)
    assert first["code"] == "ingest.path-missing" and first["location"]["line"] == line, doc["findings"]
    assert f"pass {base}/v1/traces" in first["hint"]
    assert "(ingest.path-missing)" in human

    ran, _, ran_code = _both("run", env=env, app=("--", sys.executable, str(tmp_path / "main.py")))
    assert ran_code == code and _errors(ran)[0]["code"] == "ingest.path-missing", ran["findings"]


def test_a_bad_app_dir_is_a_usage_error(tmp_path: Path) -> None:
    got = _otdiag("check", "--app-dir", str(tmp_path / "nope"), "--no-e2e", env={})
    assert got.returncode == ExitCode.USAGE and "--app-dir" in got.stderr


def test_endpoints_built_from_unreadable_values_are_one_note_and_nothing_is_probed(tmp_path: Path) -> None:
    from otdiag.app import export_settings
    from otdiag.check import code

    _write(
        tmp_path,
        {
            "a.py": PYTHON_GRPC.replace('"{endpoint}"', "settings.collector"),
            "b.py": PYTHON_GRPC.replace('"{endpoint}"', 'os.environ["COLLECTOR"]'),
        },
    )
    found = code_endpoints.scan(tmp_path).endpoints
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://gw:4317"}
    steps, findings = code.start(found, env, export_settings.resolve(export_settings.Flags(), env), 1.0).result()
    assert steps == []
    [note] = findings
    assert (note.code, note.severity.value) == ("app.exported-elsewhere", "info")
    assert note.message.startswith("2 exporter endpoint(s) set in the code from values otdiag cannot read here")
    assert "they override OTEL_EXPORTER_OTLP_ENDPOINT=http://gw:4317" in note.message
    assert [e.split(": ", 1)[1] for e in note.evidence] == ["settings.collector", 'os.environ["COLLECTOR"]']
