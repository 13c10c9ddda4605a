"""`otdiag run` on real Go apps built with the OpenTelemetry Go SDK (tests/apps/go), healthy and broken.

The apps are built once into ~/.cache/otdiag/apps (tests/apps/go/build.py). Without a Go toolchain
the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otdiag.listen.store import SpanStore
from otdiag.listen.summary import summarize
from otdiag.model import ExitCode
from otdiag.run.observer import AppRun, Launch
from otdiag.run.observers import pick
from otdiag.run.observers.go import binary
from otdiag.run.observers.go.analyse import analyse_go
from otdiag.run.observers.go.linked import Linked, go_run_target, skew
from tests.apps.go import build as go_build
from tests.conftest import IN_CI
from tests.peers import REPO


@pytest.fixture(scope="module")
def go_apps() -> dict[str, Path]:
    try:
        return go_build.build_all()
    except go_build.BuildError as exc:
        if IN_CI:
            pytest.fail(f"{exc} (CI=true: a missing toolchain or build is a failure)")
        pytest.skip(str(exc))


def otdiag_run(app: list[str], *args: str, cwd: Path = REPO) -> tuple[int, Any, str]:
    env = go_build.go_env()
    env["PYTHONPATH"] = str(REPO)
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", *args, "--", *app]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, cwd=cwd, check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


FAULTS = [
    ("api_only", "app.no-provider"),
    ("provider_not_set", "app.provider-not-set"),
    ("schema_conflict", "app.go-schema-url-conflict"),
    ("grpc_tls_plaintext", "ingest.tls-to-plaintext"),
    ("exit_before_shutdown", "app.exit-before-flush"),
    ("endpoint_with_scheme", "app.go-endpoint-has-scheme"),
    ("stdout_only", "app.exporter-console"),
    ("never_sample", "app.sampler-drops-all"),
    ("panic_before_shutdown", "app.crashed"),
]


@pytest.mark.parametrize(("case", "first"), FAULTS, ids=[c for c, _ in FAULTS])
def test_each_broken_go_app_gets_its_own_root_cause(go_apps: dict[str, Path], case: str, first: str) -> None:
    code, doc, err = otdiag_run([str(go_apps[case])])
    assert code == ExitCode.PROBLEM, (doc, err)
    assert doc["spans"] == 0
    assert codes(doc)[0] == first, (codes(doc), err)
    assert doc["findings"][0]["severity"] == "error"
    assert "app.no-spans" not in codes(doc)
    observer = doc["observer"]
    assert observer["runtime"] == "go" and observer["loaded"] is True and observer["how"] == "build-info"
    assert "go.opentelemetry.io/otel" in observer["packages"]
    text = json.dumps(doc["findings"])
    for python_word in ("NonRecordingSpan", "os._exit", "provider.shutdown()", "set_tracer_provider"):
        assert python_word not in text, (python_word, text)


def test_a_panic_points_at_the_app_s_own_frame(go_apps: dict[str, Path]) -> None:
    code, doc, err = otdiag_run([str(go_apps["panic_before_shutdown"])])
    assert code == ExitCode.PROBLEM
    assert doc["exit_status"] == 2, err
    crash = doc["findings"][0]
    source = (REPO / "tests" / "apps" / "go" / "panic_before_shutdown" / "main.go").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "orders[len(orders)]" in text)
    assert crash["code"] == "app.crashed" and crash["location"]["line"] == line
    assert crash["location"]["file"].endswith("panic_before_shutdown/main.go")
    assert "main.handle" in crash["message"] and "index out of range" in crash["message"]


@pytest.mark.parametrize("case", ["healthy_grpc", "healthy_http"])
def test_a_healthy_go_app_has_no_error_and_its_spans_arrive(go_apps: dict[str, Path], case: str) -> None:
    code, doc, err = otdiag_run([str(go_apps[case])])
    assert code == ExitCode.OK, (doc, err)
    assert doc["spans"] == 3 and doc["operations"] == {"otdiag-run": {"work": 3}}
    assert not [f for f in doc["findings"] if f["severity"] == "error"], doc["findings"]
    observer = doc["observer"]
    assert observer["provider"]["registered"] is True
    exporter = "otlptracegrpc" if case == "healthy_grpc" else "otlptracehttp"
    assert [e["type"] for e in observer["exporters"]] == [exporter]
    assert observer["packages"]["go.opentelemetry.io/otel/sdk"] == "v1.47.0"
    assert observer["runtime_version"].startswith("go1.")


def _app_output(stderr: str) -> list[str]:
    """The app's own lines: not otdiag's start line, nor its wrapped continuation (indented)."""
    return [line for line in stderr.splitlines() if not line.startswith(("otdiag", " "))]


def test_the_observer_does_not_change_what_the_app_does(go_apps: dict[str, Path]) -> None:
    app = [str(go_apps["healthy_http"])]
    code_on, doc_on, err_on = otdiag_run(app)
    code_off, doc_off, err_off = otdiag_run(app, "--no-observe")
    assert doc_on["exit_status"] == doc_off["exit_status"] == 0
    assert code_on == code_off == ExitCode.OK
    assert _app_output(err_on) == _app_output(err_off) == ["started 3 spans", "healthy-http: done"]
    assert doc_on["spans"] == doc_off["spans"] == 3
    assert doc_off["observer"] == {"loaded": False}


def test_go_run_reads_the_modules_and_points_at_the_line(go_apps: dict[str, Path]) -> None:
    code, doc, err = otdiag_run([go_build.go_tool(), "run", "./never_sample"], cwd=REPO / "tests" / "apps" / "go")
    assert code == ExitCode.PROBLEM, (doc, err)
    first = doc["findings"][0]
    assert first["code"] == "app.sampler-drops-all", codes(doc)
    source = (REPO / "tests" / "apps" / "go" / "never_sample" / "main.go").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "NeverSample()" in text and "//" not in text)
    column = source[line - 1].index("NeverSample()") + 1
    assert first["location"] == {"file": "never_sample/main.go", "line": line, "column": column}
    assert doc["observer"]["how"] == "go-list"
    assert doc["observer"]["packages"]["go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"] == "v1.47.0"


def test_the_binary_reader_sees_modules_and_calls(go_apps: dict[str, Path]) -> None:
    b = binary.read(go_apps["exit_before_shutdown"])
    assert b.go_version.startswith("go1.") and b.main_path == "otdiag.test/goapps"
    assert b.modules["go.opentelemetry.io/otel/sdk"] == "v1.47.0"
    assert b.main_refs.get("os.Exit") == "main.main"
    assert "go.opentelemetry.io/otel.SetTracerProvider" in b.functions
    api_only = binary.read(go_apps["api_only"])
    assert "go.opentelemetry.io/otel/sdk" not in api_only.modules
    assert pick([str(go_apps["api_only"])]) is not None


def test_what_is_not_a_go_binary_is_refused_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "app.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    assert pick([str(script)]) is None
    assert pick([sys.executable, "-c", "pass"]) is None or Path(sys.executable).name.startswith("python")
    for data in (b"", b"\x7fELF", b"\x7fELF" + b"\x02\x01\x01" + b"\0" * 57, b"\x7fELF\x02\x01" + b"\xff" * 5000):
        bad = tmp_path / "bad"
        bad.write_bytes(data)
        assert not binary.is_go(bad)
        with pytest.raises(binary.NotGo):
            binary.read(bad)


def test_truncated_build_info_and_pclntab_are_errors_not_crashes() -> None:
    with pytest.raises(binary.NotGo):
        binary.parse_buildinfo(binary.MAGIC + b"\x08\x02" + b"\0" * 16 + b"\xff\xff\xff")
    assert (
        binary.parse_funcnames(b"\xf1\xff\xff\xff\0\0\x01\x08" + struct.pack("<QQQQQ", 1, 1, 0, 99, 98)) == frozenset()
    )
    version, text = binary.parse_buildinfo(
        binary.MAGIC
        + b"\x08\x02"
        + b"\0" * 16
        + b"\x07go1.2x3"
        + bytes([len(b"mod\tm\t(devel)\t\n")])
        + b"mod\tm\t(devel)\t\n"
    )
    assert version == "go1.2x3" and binary.parse_modinfo(text)[0] == "m"


def test_go_run_arguments_and_version_skew() -> None:
    assert go_run_target(["go", "run", "-tags", "x", "-race", "./cmd/api", "--flag"]) == (["-tags", "x"], ["./cmd/api"])
    assert go_run_target(["go", "run", "main.go", "util.go", "arg"]) == ([], ["main.go", "util.go"])
    assert go_run_target(["go", "run"]) == ([], ["."])
    mixed = {"go.opentelemetry.io/otel": "v1.47.0", "go.opentelemetry.io/otel/sdk": "v1.40.0",
             "go.opentelemetry.io/otel/log": "v0.20.0"}  # fmt: skip
    assert skew(mixed) == {"go.opentelemetry.io/otel": "v1.47.0", "go.opentelemetry.io/otel/sdk": "v1.40.0"}
    assert skew({"go.opentelemetry.io/otel": "v1.47.0", "go.opentelemetry.io/otel/sdk": "v1.47.1"}) == {}


# --- the analysis on facts that no pinned app can produce (the Jaeger exporter needs otel <= v1.17) ---


def _app_run(stderr: tuple[str, ...] = (), env: dict[str, str] | None = None) -> AppRun:
    launch = Launch(("./svc",), env or {}, Path("/nonexistent"), "http://127.0.0.1:1", Path("."))
    return AppRun(launch, 0, None, stderr, summarize(SpanStore(10)))


def _linked(**modules: str) -> Linked:
    base = {"go.opentelemetry.io/otel": "v1.17.0", "go.opentelemetry.io/otel/sdk": "v1.17.0"}
    return Linked("build-info", "go1.22.0", {**base, **modules}, set_provider=True, calls_known=True)


def test_the_removed_jaeger_exporter_comes_first() -> None:
    linked = _linked(**{"go.opentelemetry.io/otel/exporters/jaeger": "v1.17.0"})
    found = analyse_go(linked, _app_run(("2024/01/01 traces export: Post http://localhost:14268: connection refused",)))
    assert [f.code for f in found][:2] == ["app.jaeger-exporter-removed", "ingest.refused"]
    assert "v1.17.0" in found[0].message


def test_export_errors_get_the_fix_for_their_cause() -> None:
    linked = _linked(**{"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": "v1.17.0"})
    refused = analyse_go(linked, _app_run(("traces export: Post http://127.0.0.1:4318/v1/traces: connection refused",)))
    # The classifier's codes, as send-test-span and check give them; the fix in the Go API's words.
    assert refused[0].code == "ingest.refused" and "WithEndpoint" in refused[0].hint
    missing = analyse_go(linked, _app_run(("traces export: failed to send to http://h/v1/trace: 404 Not Found",)))
    assert missing[0].code == "ingest.http-404" and "WithURLPath" in missing[0].hint
    secret = analyse_go(linked, _app_run(("traces export: Post http://u:hunter2@h/v1/traces: connection refused",)))
    assert "hunter2" not in repr(secret)


def test_skew_and_an_ignored_protocol_are_warnings() -> None:
    linked = _linked(**{"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": "v1.12.0"})
    run = _app_run(env={"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    found = {f.code: f for f in analyse_go(linked, run)}
    assert found["app.otel-version-skew"].severity.value == "warning"
    assert "otlptracehttp v1.12.0" in found["app.otel-version-skew"].message
    assert found["app.go-protocol-ignored"].severity.value == "warning"


def test_go_launchers_are_not_taken_for_the_app() -> None:
    go = go_build.go_tool()
    assert binary.is_go(Path(go))  # the go command is itself a Go binary...
    assert pick([go, "test", "./..."]) is None  # ...but its build info says nothing about the app
    assert pick([go, "run", "."]) is not None


def test_with_endpoint_without_insecure_is_a_warning_run_cannot_reproduce() -> None:
    grpc = {"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc": "v1.17.0"}
    linked = Linked("build-info", "go1.22.0", {**_linked().modules, **grpc}, calls={"WithEndpoint": "main.setup"})
    found = [f for f in analyse_go(linked, _app_run()) if f.code == "app.go-tls-by-default"]
    assert len(found) == 1 and "main.setup" in found[0].message and found[0].severity.value == "warning"
    safe = Linked(
        "build-info", "go1.22.0", linked.modules, calls={"WithEndpoint": "main.setup", "WithInsecure": "main.setup"}
    )
    assert "app.go-tls-by-default" not in [f.code for f in analyse_go(safe, _app_run())]
