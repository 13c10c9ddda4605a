"""`otdiag run` on real Java apps (SDK and agent pinned from Maven Central), healthy and broken.

Each broken app loses its spans for one reason, and the first finding must name that reason.
The apps are built once by tests/apps/java/build.py into ~/.cache/otdiag/apps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from otdiag.run.observer import Launch
from otdiag.run.observers import pick
from otdiag.run.observers.java import JavaObserver, cmdline
from tests.apps.java import build as java_build
from tests.conftest import IN_CI
from tests.peers import REPO

QUIET = {"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}
"""Only traces: the agent's metrics and logs exports would only slow the tests down."""
NO_RETRY = "-Dotel.java.exporter.otlp.retry.disabled=true"


@pytest.fixture(scope="module")
def apps() -> java_build.JavaApps:
    try:
        return java_build.build()
    except java_build.BuildError as exc:
        if IN_CI:
            pytest.fail(f"the Java test apps could not be built (CI=true: a failure): {exc}")
        pytest.skip(str(exc))


def otdiag_run(app: list[str], env: dict[str, str] | None = None) -> Any:
    """`otdiag run --json -- APP`'s JSON document (the app's output is in doc["_stderr"])."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "JAVA_TOOL_OPTIONS"))}
    full_env.update(QUIET)
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(REPO)
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.5s", "--", *app]
    proc = subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=180, cwd=REPO, check=False)
    doc = json.loads(proc.stdout)
    doc["_stderr"] = proc.stderr
    return doc


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def errors(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"] if f["severity"] == "error"]


def test_a_healthy_sdk_app(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("sdk_auto"), env={"OTEL_SERVICE_NAME": "orders"})
    assert errors(doc) == [], doc["findings"]
    assert doc["spans"] == 3 and doc["services"] == {"orders": 3}
    seen = doc["observer"]
    assert seen["loaded"] and seen["runtime"] == "java"
    assert seen["provider"]["type"] == "SdkTracerProvider" and seen["provider"]["site"].endswith("(Main.java:12)")
    assert seen["packages"]["opentelemetry-sdk-trace"] == java_build.SDK_VERSION
    assert seen["exit"]["how"] == "normal" and seen["exit"]["flushed"] is True
    assert "sdk app done" in doc["_stderr"]  # the app's stdout, sent to stderr under --json


def test_a_healthy_agent_app(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("agent_app", agent=True), env={"OTEL_SERVICE_NAME": "billing"})
    assert errors(doc) == [], doc["findings"]
    assert doc["services"].get("billing", 0) >= 3
    seen = doc["observer"]
    assert seen["packages"]["opentelemetry-javaagent"] == java_build.AGENT_VERSION
    assert seen["provider"]["type"] == "SdkTracerProvider (the Java agent's)"
    assert seen["exporters"][0]["type"] == "OtlpHttpSpanExporter"
    assert seen["exporters"][0]["protocol"] == "http/protobuf"


def test_agent_endpoint_on_4317_with_the_default_http_protobuf(apps: java_build.JavaApps) -> None:
    jvm = ("-Dotel.exporter.otlp.endpoint=http://127.0.0.1:4317", NO_RETRY)
    doc = otdiag_run(apps.command("agent_app", agent=True, jvm=jvm))
    assert doc["spans"] == 0
    assert codes(doc)[0] == "app.protocol-port-mismatch", doc["findings"]
    first = doc["findings"][0]
    assert "http/protobuf" in first["message"] and "Java agent's default" in first["message"]
    assert any("likely incorrect" in e for e in first["evidence"])  # the agent's own warning
    overridden = next(f for f in doc["findings"] if f["code"] == "app.java-endpoint-overridden")
    assert "-Dotel.exporter.otlp.endpoint=http://127.0.0.1:4317" in overridden["message"]
    assert doc["endpoint"] in overridden["message"]


def test_agent_logging_exporter(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("agent_app", agent=True, jvm=("-Dotel.traces.exporter=logging",)))
    assert doc["spans"] == 0
    assert codes(doc)[0] == "app.exporter-console", doc["findings"]
    assert doc["findings"][0]["message"].startswith("-Dotel.traces.exporter=logging: spans are written")
    assert doc["observer"]["exporters"][0]["type"] == "LoggingSpanExporter"


def test_agent_disabled(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("agent_app", agent=True, jvm=("-Dotel.javaagent.enabled=false",)))
    assert codes(doc)[0] == "app.java-agent-disabled", doc["findings"]


def test_api_without_sdk_or_agent(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(["java", "-cp", apps.classpath(sdk=False), "agent_app.Main"])
    assert codes(doc)[0] == "app.no-provider", doc["findings"]
    assert "javaagent" in doc["findings"][0]["hint"]


def test_sdk_provider_never_registered(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("sdk_not_registered"))
    assert doc["spans"] == 0
    assert codes(doc)[0] == "app.provider-not-set", doc["findings"]
    assert "GlobalOpenTelemetry" in doc["findings"][0]["message"]
    assert doc["observer"]["provider"]["registered"] is False


def test_system_exit_before_shutdown(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("sdk_exit"))
    assert doc["spans"] == 0
    first = doc["findings"][0]
    assert first["code"] == "app.exit-before-flush", doc["findings"]
    assert "System.exit" in first["message"] and "3 span(s)" in first["message"]
    assert first["location"] == {"file": "sdk_exit/Main.java", "line": 27, "column": 1}
    assert doc["observer"]["exit"]["how"] == "exit-call"


def _run_app(app: list[str], *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "JAVA_TOOL_OPTIONS"))}
    env.update({**QUIET, "PYTHONPATH": str(REPO), "COLUMNS": "80"})
    argv = [sys.executable, "-m", "otdiag", "run", *flags, "--grace", "0.5s", "--", *app]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, cwd=REPO, check=False)


def test_partial_loss_at_system_exit_is_an_error_and_the_observer_does_not_hide_it(
    apps: java_build.JavaApps,
) -> None:
    """3 spans exported, 4 queued, System.exit: the observer must not keep the JVM up for the 4 to leave."""
    plain = json.loads(_run_app(apps.command("sdk_partial"), "--json", "--no-observe").stdout)
    assert plain["spans"] == 3
    seen = []
    for _ in range(3):
        proc = _run_app(apps.command("sdk_partial"), "--json")
        doc = json.loads(proc.stdout)
        assert proc.returncode == 1, doc["findings"]
        first = doc["findings"][0]
        assert (first["code"], first["severity"]) == ("app.exit-before-flush", "error"), doc["findings"]
        assert "4 span(s)" in first["message"] and "System.exit" in first["message"]
        if doc["spans"] != 3:  # only if the batch's 100 ms tick fell inside the observer's few ms at exit
            assert doc["spans"] == 7 and "while otdiag's observer held the JVM" in first["message"]
        assert first["location"] == {"file": "sdk_partial/Main.java", "line": 35, "column": 1}
        seen.append([(f["code"], f["severity"]) for f in doc["findings"]])
    assert seen[0] == seen[1] == seen[2]
    human = _run_app(apps.command("sdk_partial"))
    assert human.returncode == 1
    assert "4 span(s)" in " ".join(human.stdout.split()) and "exit-before-flush" in human.stdout
    assert "Main.java:35" in human.stdout


def test_runtime_halt_before_shutdown(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("sdk_halt"))
    assert doc["spans"] == 0
    assert codes(doc)[0] == "app.exit-before-flush", doc["findings"]
    assert "halt" in doc["findings"][0]["message"]
    assert doc["observer"]["exit"]["how"] == "halt"


def test_sampler_always_off_property(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("sdk_auto", jvm=("-Dotel.traces.sampler=always_off",)))
    assert doc["spans"] == 0
    assert codes(doc)[0] == "app.sampler-drops-all", doc["findings"]
    assert doc["observer"]["provider"]["sampler"] == "AlwaysOffSampler"


def test_exporter_none_property(apps: java_build.JavaApps) -> None:
    doc = otdiag_run(apps.command("sdk_auto", jvm=("-Dotel.traces.exporter=none",)))
    assert codes(doc)[0] == "app.exporter-none", doc["findings"]


def test_secret_properties_are_not_shown(apps: java_build.JavaApps) -> None:
    jvm = ("-Dotel.exporter.otlp.headers=api-key=s3cr3t-value",)
    doc = otdiag_run(apps.command("sdk_auto", jvm=jvm))
    assert "s3cr3t-value" not in json.dumps(doc)
    assert doc["observer"]["settings"]["-Dotel.exporter.otlp.headers"] == "<redacted>"
    assert doc["observer"]["exporters"][0]["header_names"] == ["api-key"]


@pytest.mark.parametrize("case", ["sdk_auto", "sdk_exit", "sdk_halt"])
def test_the_observer_changes_nothing_the_app_does(apps: java_build.JavaApps, case: str) -> None:
    """Same exit status, stdout and stderr with and without otdiag's agent in the JVM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "JAVA_TOOL_OPTIONS"))}
    env.update({"OTEL_TRACES_EXPORTER": "none", **QUIET})
    argv = apps.command(case)
    with tempfile.TemporaryDirectory() as tmp:
        launch = Launch(tuple(argv), env, Path(tmp), "http://127.0.0.1:9", Path.cwd())
        prepared = JavaObserver().prepare(launch)
        assert prepared.argv is not None and prepared.argv[1].startswith("-javaagent:")
        plain = subprocess.run(argv, capture_output=True, env=env, timeout=60, check=False)
        seen = subprocess.run(list(prepared.argv), capture_output=True, env=env, timeout=60, check=False)
        assert list(Path(tmp).glob("java-*.start"))  # it did load
    assert (seen.returncode, seen.stdout, seen.stderr) == (plain.returncode, plain.stdout, plain.stderr)


def test_the_command_line_is_read_with_java_precedence() -> None:
    env = {"JAVA_TOOL_OPTIONS": "-Dotel.traces.exporter=otlp -javaagent:/x/opentelemetry-javaagent.jar",
           "_JAVA_OPTIONS": "-Dotel.service.name=last"}  # fmt: skip
    argv = ["/usr/bin/java", "-Dotel.traces.exporter=logging", "-cp", "a:b", "-Dotel.service.name=cli",
            "app.Main", "-Dotel.traces.exporter=none"]  # fmt: skip
    cmd = cmdline.parse(argv, env)
    assert cmd.properties == {"otel.traces.exporter": "logging", "otel.service.name": "last"}
    assert cmd.origin["otel.traces.exporter"] == "the command line"
    assert cmd.main == "app.Main" and cmd.otel_agent() == "/x/opentelemetry-javaagent.jar"
    assert cmdline.jvm_options(["java", "-jar", "app.jar", "-Dx=y"]) == ([], "app.jar")
    assert pick(["java", "-version"]) is not None and pick(["javac", "X.java"]) is None


def _analyse(tmp: Path, argv: tuple[str, ...], stderr: tuple[str, ...] = (), returncode: int = 0) -> Any:
    from otdiag.listen.store import SpanStore
    from otdiag.listen.summary import summarize
    from otdiag.run.observer import AppRun

    launch = Launch(argv, {}, tmp, "http://127.0.0.1:5555", tmp)
    return JavaObserver().analyse(AppRun(launch, returncode, None, stderr, summarize(SpanStore(10))))


def test_no_javac_means_a_note_and_the_command_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    launch = Launch(("java", "-jar", "app.jar"), {}, tmp_path, "http://127.0.0.1:5555", tmp_path)
    prepared = JavaObserver().prepare(launch)
    assert prepared.argv is None
    assert [f.code for f in prepared.findings] == ["app.java-observer-not-loaded"]


def test_hostile_reports_never_break_the_run(tmp_path: Path) -> None:
    (tmp_path / "java-a.start").write_text("")
    (tmp_path / "java-a.json").write_bytes(b"\x00{not json" * 1000)
    (tmp_path / "java-b.start").write_text("")
    (tmp_path / "java-b.json").write_text(
        json.dumps({"globals": "x", "providers": [1, {"exporters": [{"text": "endpoint=http://u:pw@h:1\x1b[31m"}]}]})
    )
    seen = _analyse(tmp_path, ("java", "X"))
    shown = json.dumps(seen.facts.to_json())
    assert "pw" not in shown and "\x1b" not in shown


def test_the_agent_lines_on_stderr_are_read(tmp_path: Path) -> None:
    stderr = (
        "[otel.javaagent 2026-01-01] [main] INFO io.opentelemetry.javaagent.tooling.VersionLogger - "
        "opentelemetry-javaagent - version: 2.21.0",
        "[otel.javaagent] ERROR io.opentelemetry.exporter.internal.http.HttpExporter - Failed to export spans. "
        "Server responded with HTTP status code 404. Error message: Not Found",
        'Exception in thread "main" java.lang.IllegalStateException: boom',
        "\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)",
        "\tat com.acme.App.main(App.java:42)",
    )
    seen = _analyse(tmp_path, ("java", "-javaagent:/x/opentelemetry-javaagent.jar", "com.acme.App"), stderr, 1)
    found = {f.code: f for f in seen.findings}
    assert seen.facts.packages["opentelemetry-javaagent"] == "2.21.0"
    assert "404" in found["ingest.http-404"].message  # the classifier send-test-span uses
    crash = found["app.crashed"]
    assert crash.location is not None and (crash.location.file, crash.location.line) == ("com/acme/App.java", 42)
    assert "app.java-observer-not-loaded" in found  # no report came: said, not guessed


@pytest.mark.parametrize(
    ("left_out", "artifact"),
    [
        ("opentelemetry-exporter-otlp-1", "io.opentelemetry:opentelemetry-exporter-otlp"),
        ("opentelemetry-sdk-trace-1", "io.opentelemetry:opentelemetry-sdk-trace"),
    ],
)
def test_an_opentelemetry_jar_missing_from_the_classpath_is_named(
    apps: java_build.JavaApps, left_out: str, artifact: str
) -> None:
    """Autoconfigure's 'not found on classpath' and a NoClassDefFoundError: the artifact to add, as for Python and Node."""
    classpath = [p for p in apps.classpath().split(os.pathsep) if left_out not in Path(p).name]
    doc = otdiag_run([str(apps.java), "-cp", os.pathsep.join(classpath), "sdk_auto.Main"])
    first = doc["findings"][0]
    assert doc["ok"] is False
    assert first["code"] == "app.otel-import-failed", (codes(doc), doc["_stderr"][-1500:])
    assert f"Add {artifact} " in first["hint"]
    assert first["location"] is not None and first["location"]["file"].endswith("Main.java")
    assert ".." not in first["message"]


def test_an_otel_setting_autoconfigure_refuses_is_the_cause_and_the_crash_its_evidence(
    apps: java_build.JavaApps,
) -> None:
    """OTEL_TRACES_EXPORTER=jaeger kills the JVM in autoconfigure: the removed exporter is named first, once."""
    doc = otdiag_run(apps.command("sdk_auto"), env={"OTEL_TRACES_EXPORTER": "jaeger"})
    assert codes(doc)[0] == "app.exporter-jaeger", (codes(doc), doc["_stderr"][-1500:])
    assert "app.otel-import-failed" not in codes(doc) and "app.crashed" not in codes(doc)
    assert any("ConfigurationException" in e for e in doc["findings"][0]["evidence"])
