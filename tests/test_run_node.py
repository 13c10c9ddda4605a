"""`otdiag run` on real Node.js apps (pinned OpenTelemetry JS from npm): the preload's facts and findings.

The apps live in tests/apps/node/<case>/ and share one cached `npm ci` (tests/apps/node/build.py).
Locally, without node/npm or the registry, these tests skip; under CI=true that is a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from otdiag.listen.store import SpanStore
from otdiag.listen.summary import summarize
from otdiag.run.facts import RuntimeFacts
from otdiag.run.observer import AppRun, Launch
from otdiag.run.observers.node import NodeObserver
from otdiag.run.observers.node.report import decode, read
from tests.apps.node import build as node_build
from tests.conftest import IN_CI
from tests.peers import REPO, free_port


@pytest.fixture(scope="module")
def built() -> None:
    try:
        node_build.dependencies()
    except (node_build.BuildError, OSError, subprocess.SubprocessError) as exc:
        if IN_CI:
            pytest.fail(f"cannot build the Node.js test apps: {exc}")
        pytest.skip(f"cannot build the Node.js test apps: {exc}")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "NODE_OPTIONS"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


def otdiag_run(
    case: str, *node_args: str, env: dict[str, str] | None = None, run_args: tuple[str, ...] = ()
) -> tuple[int, Any, str]:
    cwd = node_build.case(case)
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", *run_args, "--", "node", *node_args]
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(env), timeout=120, cwd=cwd, check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def errors(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"] if f["severity"] == "error"]


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize(
    ("case", "args", "healthy_line"),
    [
        ("healthy_cjs", ["app.cjs"], "healthy-cjs done"),
        ("healthy_esm", ["--import", "./register.mjs", "app.js"], "healthy-esm done"),
    ],
)
def test_healthy_apps_have_no_error_and_their_spans_arrive(case: str, args: list[str], healthy_line: str) -> None:
    status, doc, stderr = otdiag_run(case, *args)
    assert status == 0, stderr
    assert errors(doc) == []
    assert doc["spans"] >= 3  # the client span, the http server span and express' spans
    assert "GET" in " ".join(doc["operations"]["otdiag-run"])
    observer = doc["observer"]
    assert observer["spans"]["ended"] >= 3
    assert observer["loaded"] is True and observer["runtime"] == "node"
    assert observer["provider"]["type"] == "NodeTracerProvider" and observer["provider"]["registered"] is True
    assert observer["exporters"][0]["results"].get("SUCCESS", 0) >= 1
    assert observer["exit"]["flushed"] is True
    applied = {i["name"]: i["applied"] for i in observer["instrumentation"]}
    assert applied == {"@opentelemetry/instrumentation-http": True, "@opentelemetry/instrumentation-express": True}
    assert observer["packages"]["@opentelemetry/sdk-node"] == "0.208.0"
    assert healthy_line in stderr  # run --json sends the app's stdout to stderr


@pytest.mark.usefixtures("built")
def test_the_1x_sdk_with_processors_added_after_the_provider_is_healthy() -> None:
    status, doc, stderr = otdiag_run("sdk1_healthy", "app.cjs")
    assert status == 0, stderr
    assert errors(doc) == [] and doc["spans"] == 3
    observer = doc["observer"]
    assert observer["processors"] == ["BatchSpanProcessor"] and observer["spans"]["ended"] == 3
    assert observer["packages"]["@opentelemetry/sdk-trace-base"] == "1.30.1"
    assert observer["exporters"][0]["results"] == {"SUCCESS": 1}


FAULTS = [
    (
        "esm_require_only",
        ["--require", "./tracing.cjs", "app.js"],
        {},
        "app.node-esm-not-instrumented",
        "tracing.cjs:6",
    ),
    ("loaded_before", ["app.cjs"], {}, "app.node-loaded-before-instrumentation", "app.cjs:2"),
    ("exit_before_shutdown", ["app.cjs"], {}, "app.exit-before-flush", "app.cjs:11"),
    ("shutdown_not_awaited", ["app.cjs"], {}, "app.exit-before-flush", "app.cjs:9"),
    ("provider_not_registered", ["app.cjs"], {}, "app.provider-not-set", "app.cjs:5"),
    ("url_no_path", ["app.cjs"], {}, "app.node-exporter-url-no-path", "app.cjs:6"),
    ("console_only", ["app.cjs"], {}, "app.exporter-console", "app.cjs:5"),
    ("sampler_off", ["app.cjs"], {}, "app.sampler-drops-all", "app.cjs:6"),
    ("healthy_cjs", ["app.cjs"], {"OTEL_TRACES_EXPORTER": "none"}, "app.exporter-none", None),
]


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize(("case", "args", "env", "first", "where"), FAULTS, ids=[f[0] + "-" + f[3] for f in FAULTS])
def test_each_fault_is_named_first_with_its_place(
    case: str, args: list[str], env: dict[str, str], first: str, where: str | None
) -> None:
    _, doc, stderr = otdiag_run(case, *args, env=env)
    assert codes(doc)[0] == first, (codes(doc), stderr[-2000:])
    assert "app.no-spans" not in codes(doc)
    if where is not None:
        loc = doc["findings"][0]["location"]
        assert loc is not None and f"{Path(loc['file']).name}:{loc['line']}" == where
    text = json.dumps(doc["findings"])
    for python_word in ("NonRecordingSpan", "os._exit", "provider.shutdown()"):
        assert python_word not in text


@pytest.mark.usefixtures("built")
def test_a_server_stopped_by_a_signal_without_a_handler_loses_its_queue() -> None:
    """No 'exit' event on SIGTERM: the preload's last periodic report still tells what was queued."""
    env = {"OTEL_BSP_SCHEDULE_DELAY": "60000"}
    _, doc, stderr = otdiag_run("server_no_signal_handler", "app.cjs", env=env, run_args=("--timeout", "8s"))
    assert codes(doc)[0] == "app.exit-before-flush", (codes(doc), stderr[-2000:])
    assert "SIGTERM" in doc["findings"][0]["hint"]
    assert doc["observer"]["exit"]["how"] == "signal" and doc["observer"]["spans"]["ended"] >= 3
    stopped = next(f for f in doc["findings"] if f["code"] == "app.killed")
    assert "sdk.shutdown()" in (stopped["hint"] or ""), stopped


@pytest.mark.usefixtures("built")
def test_an_endpoint_written_in_the_code_delivers_elsewhere() -> None:
    """A real second receiver (otdiag listen) takes the spans; run's receiver gets none, and says why."""
    port = free_port()
    listen = subprocess.Popen(
        [sys.executable, "-m", "otdiag", "listen", "--grpc-endpoint", "off", "--http-endpoint", f"127.0.0.1:{port}",
         "--query-endpoint", "off", "--quiet", "--stop-after", "90s"],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        _, doc, stderr = otdiag_run("exported_elsewhere", "app.cjs", env={"OTHER_COLLECTOR_PORT": str(port)})
    finally:
        listen.terminate()
        listen.wait(timeout=30)
    assert doc["spans"] == 0
    assert codes(doc)[0] == "app.exported-elsewhere", (codes(doc), stderr[-2000:])
    assert f"127.0.0.1:{port}" in doc["findings"][0]["message"]
    assert doc["findings"][0]["location"]["line"] == 7


@pytest.mark.usefixtures("built")
def test_the_404_of_a_url_without_path_and_the_crash_it_caused_are_one_answer() -> None:
    _, doc, _ = otdiag_run("url_no_path", "app.cjs")
    found = codes(doc)
    # One failure, one answer: the 404s, the receiver's refusal and the crash the rejected export caused are
    # the url finding's evidence, not three more errors.
    assert found == ["app.node-exporter-url-no-path"], found
    evidence = doc["findings"][0]["evidence"]
    assert any("404" in e for e in evidence) and any("crashed the app" in e for e in evidence)


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize(
    ("case", "env"), [("exit_before_shutdown", {}), ("healthy_cjs", {"OTEL_TRACES_EXPORTER": "none"})]
)
def test_the_observer_changes_nothing_the_app_does(case: str, env: dict[str, str], tmp_path: Path) -> None:
    """Same exit status, stdout and stderr with and without the preload (otdiag's own NODE_OPTIONS)."""
    cwd = node_build.case(case)
    preload = REPO / "otdiag" / "run" / "observers" / "node" / "otdiag-observe.cjs"
    results = []
    for options in ("", f"--require {preload}"):
        full = _env({**env, "NODE_OPTIONS": options, "OTDIAG_NODE_DIR": str(tmp_path)})
        proc = subprocess.run(
            ["node", "app.cjs"], capture_output=True, text=True, env=full, cwd=cwd, timeout=60, check=False
        )
        results.append((proc.returncode, proc.stdout, proc.stderr))
    assert results[0] == results[1]
    assert results[0][0] == 0 and "done" in results[0][1]
    assert len(list(tmp_path.glob("node-*.json"))) == 1  # the preload did run, and reported


@pytest.mark.usefixtures("built")
def test_an_app_started_by_npm_is_seen_in_its_node_process_not_in_npm() -> None:
    cwd = node_build.case("healthy_cjs")
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", "--", "npm", "start", "--silent"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=180, cwd=cwd, check=False)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert errors(doc) == [] and doc["spans"] >= 3
    assert doc["observer"]["provider"]["type"] == "NodeTracerProvider"


@pytest.mark.usefixtures("built")
def test_the_apps_own_node_options_are_kept_after_the_preload() -> None:
    status, doc, stderr = otdiag_run("healthy_cjs", "app.cjs", env={"NODE_OPTIONS": "--require ./tracing.cjs"})
    assert status == 0, stderr
    assert doc["observer"]["loaded"] is True
    assert errors(doc) == []


def test_applies_to_node_launchers_only() -> None:
    obs = NodeObserver()
    assert obs.applies(["node", "app.js"]) and obs.applies(["/usr/bin/npm", "start"]) and obs.applies(["npx", "x"])
    assert not obs.applies(["python", "app.py"]) and not obs.applies(["java", "-jar", "a.jar"]) and not obs.applies([])


@pytest.mark.parametrize(
    "doc",
    [None, [], {"v": 2}, {"v": 1, "providers": "x", "exporters": [1, {"type": 5}], "loads": {"http": 3}},
     {"v": 1, "exit": {"code": 10**30, "how": ["x"]}, "diag": [[1, 2], ["warn"]], "packages": {"@opentelemetry/api": 1}},
     {"v": 1, "main": "\x1b[31mred\x07" + "x" * 5000, "exporters": [{"url": "http://u:secretpw@h/?token=abc"}]}],
)  # fmt: skip
def test_hostile_reports_decode_without_raising(doc: Any) -> None:
    r = decode(doc)
    if r is None:
        return
    assert len(r.main) <= 1000 and "\x1b" not in r.main and "\x07" not in r.main
    for e in r.exporters:
        assert "secretpw" not in (e.url or "") and "abc" not in (e.url or "")
    assert r.exit_code is None or abs(r.exit_code) < 2**31


def test_oversized_and_broken_report_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "node-1.json").write_text("{not json")
    (tmp_path / "node-2.json").write_text(json.dumps({"v": 1, "node": "v20", "pad": "x" * 2_000_000}))
    (tmp_path / "node-3.json").write_text(json.dumps({"v": 1, "node": "v20.1.0"}))
    assert [r.node for r in read(tmp_path)] == ["v20.1.0"]


def _app_run(workdir: Path, stderr: tuple[str, ...], returncode: int = 1) -> AppRun:
    launch = Launch(("node", "app.js"), {}, workdir, "http://127.0.0.1:4318", workdir)
    return AppRun(launch, returncode, None, stderr, summarize(SpanStore()))


def test_without_a_report_the_exporters_stderr_is_read(tmp_path: Path) -> None:
    lines = (
        "/app/node_modules/@opentelemetry/otlp-exporter-base/build/src/transport/http-transport-utils.js:52",
        "OTLPExporterError: Not Found",
        "  code: 404,",
    )
    seen = NodeObserver().analyse(_app_run(tmp_path, lines))
    assert isinstance(seen.facts, RuntimeFacts)
    assert not seen.loaded and seen.facts.notes
    assert [f.code for f in seen.findings] == ["ingest.http-404"]  # the classifier's code, as send-test-span's
    assert "404" in seen.findings[0].message and any("Not Found" in e for e in seen.findings[0].evidence)


def test_prepare_keeps_the_apps_node_options_after_the_preload(tmp_path: Path) -> None:
    launch = Launch(("node", "app.js"), {"NODE_OPTIONS": "--require ./otel.js --max-old-space-size=64"}, tmp_path,
                    "http://127.0.0.1:4318", tmp_path)  # fmt: skip
    prepared = NodeObserver().prepare(launch)
    options = prepared.env["NODE_OPTIONS"]
    assert options.startswith(f"--require {tmp_path / 'otdiag-observe.cjs'} ")
    assert options.endswith("--require ./otel.js --max-old-space-size=64")
    assert (tmp_path / "otdiag-observe.cjs").is_file() and prepared.argv is None


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize("launcher", ["script", "sh -c"])
def test_a_node_app_started_by_a_launcher_is_still_seen_inside(launcher: str, tmp_path: Path) -> None:
    """A start script or `sh -c` hides the runtime from the command: the preload still loads, and names the cause."""
    cwd = node_build.case("provider_not_registered")
    if launcher == "script":
        script = tmp_path / "start.sh"
        script.write_text('#!/bin/sh\nexec node app.cjs "$@"\n')
        script.chmod(0o755)
        command = [str(script)]
    else:
        command = ["sh", "-c", "node app.cjs"]
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", "--", *command]
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120, cwd=cwd, check=False)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert codes(doc)[0] == "app.provider-not-set", (codes(doc), proc.stderr[-2000:])
    assert doc["observer"]["runtime"] == "node"
    loc = doc["findings"][0]["location"]
    assert loc is not None and f"{Path(loc['file']).name}:{loc['line']}" == "app.cjs:5"


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("app.cjs", "const { trace } = require('@opentelemetry/api');\nrequire('@opentelemetry/sdk-node');\n"),
        ("app.mjs", "import { NodeSDK } from '@opentelemetry/sdk-node';\nnew NodeSDK().start();\n"),
    ],
)
def test_a_missing_opentelemetry_package_is_named_with_its_install_line(name: str, source: str, tmp_path: Path) -> None:
    """The same code as a Python app's failed import, at the app's line (not the preload's), with npm install."""
    (tmp_path / name).write_text(source)
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", "--", "node", name]
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120, cwd=tmp_path, check=False)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    first = doc["findings"][0]
    missing = "@opentelemetry/api" if name == "app.cjs" else "@opentelemetry/sdk-node"
    assert first["code"] == "app.otel-import-failed", codes(doc)
    assert f"npm install {missing}" in first["hint"]
    assert first["location"] is not None and first["location"]["file"].endswith(name)
    assert first["location"]["line"] == 1
    assert "otdiag-observe" not in json.dumps(doc["findings"])


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize(
    ("package", "url"),
    [
        ("exporter-trace-otlp-http", "http://127.0.0.1:{port}/v1/traces"),
        ("exporter-trace-otlp-proto", "http://127.0.0.1:{port}/v1/traces"),
        ("exporter-trace-otlp-grpc", "http://127.0.0.1:{port}"),
    ],
)
def test_a_refused_export_gets_the_classifiers_code_and_fix_as_send_test_span_does(package: str, url: str) -> None:
    """ECONNREFUSED from any Node exporter is ingest.refused with the code's url named, not a generic line."""
    port = free_port()
    cwd = node_build.case("healthy_cjs")
    app = Path(cwd) / f"refused_{package}.cjs"
    app.write_text(
        "const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');\n"
        "const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');\n"
        f"const {{ OTLPTraceExporter }} = require('@opentelemetry/{package}');\n"
        "const { trace } = require('@opentelemetry/api');\n"
        f"const exporter = new OTLPTraceExporter({{ url: '{url.format(port=port)}' }});\n"
        "const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });\n"
        "provider.register();\n"
        "trace.getTracer('t').startActiveSpan('work', (span) => span.end());\n"
        "provider.shutdown().then(() => console.log('done'));\n"
    )
    try:
        _, doc, stderr = otdiag_run("healthy_cjs", app.name)
    finally:
        app.unlink()
    assert codes(doc) == ["ingest.refused"], (codes(doc), stderr[-1500:])
    first = doc["findings"][0]
    assert f"127.0.0.1:{port}" in first["message"] and "set in the code" in first["message"]
    assert "drop url: from new OTLPTraceExporter()" in first["hint"]
    assert first["location"] is not None and first["location"]["line"] == 5


@pytest.mark.usefixtures("built")
def test_unknown_service_with_otel_service_name_set_says_the_provider_ignores_it() -> None:
    """NodeTracerProvider 2.x without a resource uses defaultResource(), which reads no environment: "Set
    OTEL_SERVICE_NAME" would be advice already followed (issue 23)."""
    app = Path(node_build.case("healthy_cjs")) / "unknown_service_tmp.cjs"
    app.write_text(
        "const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');\n"
        "const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');\n"
        "const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');\n"
        "const { trace } = require('@opentelemetry/api');\n"
        "const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });\n"
        "provider.register();\n"
        "trace.getTracer('t').startActiveSpan('work', (span) => span.end());\n"
        "provider.shutdown().then(() => console.log('done'));\n"
    )
    try:
        _, doc, stderr = otdiag_run("healthy_cjs", app.name, env={"OTEL_SERVICE_NAME": "shop"})
    finally:
        app.unlink()
    [f] = [f for f in doc["findings"] if f["code"] == "trace.unknown-service"]
    assert "OTEL_SERVICE_NAME='shop' is set" in f["message"], (doc["findings"], stderr[-800:])
    assert "resourceFromAttributes" in f["hint"] and "NodeSDK" in f["hint"]
    assert not f["hint"].startswith("Set OTEL_SERVICE_NAME")
