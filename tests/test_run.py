"""`otdiag run` against small real apps instrumented with the OpenTelemetry SDK, healthy and broken."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests.bounds import within
from tests.peers import REPO

APP = str(REPO / "tests" / "apps" / "traced.py")


def otdiag_run(*args: str, env: dict[str, str] | None = None, app: list[str] | None = None) -> tuple[int, Any, str]:
    """Run `otdiag run --json ... -- python traced.py ARGS` in a subprocess, as a user would."""
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(REPO)
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", *args, "--",
            *(app or [sys.executable, APP])]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=90, cwd=REPO, check=False)
    import json

    return proc.returncode, json.loads(proc.stdout), proc.stderr


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


@pytest.mark.parametrize("exporter", ["good", "http"])
def test_a_healthy_app_over_grpc_or_http(exporter: str) -> None:
    code, doc, err = otdiag_run(env={"OTEL_SERVICE_NAME": "orders"}, app=[sys.executable, APP, exporter])
    assert code == ExitCode.OK, (doc, err)
    assert doc["spans"] == 3 and doc["traces"] == 1
    assert doc["services"] == {"orders": 3}
    assert doc["operations"]["orders"] == {"GET /orders": 1, "SELECT orders 0": 1, "SELECT orders 1": 1}
    assert list(doc["transports"]) == (["grpc"] if exporter == "good" else ["http/protobuf"])
    assert doc["environment"]["set"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == doc["endpoint"]
    assert "OTEL_SERVICE_NAME" not in doc["environment"]["set"]
    assert doc["findings"] == []
    assert len(doc["trace_ids"]) == 1 and len(doc["trace_ids"][0]) == 32  # reusable: the full ID
    int(doc["trace_ids"][0], 16)


def test_the_default_service_name_is_reported_and_unknown_service_without_it() -> None:
    code, doc, _ = otdiag_run()
    assert code == ExitCode.OK
    assert codes(doc) == ["app.service-name-from-otdiag"]
    code, doc, _ = otdiag_run("--no-default-service-name")
    assert code == ExitCode.OK  # a warning, not an error
    assert "trace.unknown-service" in codes(doc)
    assert next(iter(doc["services"])).startswith("unknown_service")


def test_a_bare_resource_has_no_service_name() -> None:
    _, doc, _ = otdiag_run(app=[sys.executable, APP, "bare-resource"])
    assert "app.service-name-missing" in codes(doc)
    assert doc["services"] == {"missing-service-name": 3}


@pytest.mark.parametrize(
    ("app_mode", "env", "first", "also"),
    [
        ("no-provider", {}, "app.no-provider", []),
        ("os-exit", {}, "app.exit-before-flush", []),
        ("good", {"OTEL_TRACES_SAMPLER": "always_off"}, "app.sampler-drops-all", []),
        ("good", {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, "app.sampler-drops-all", []),
        ("auto", {"OTEL_TRACES_EXPORTER": "none"}, "app.exporter-none", []),
        ("auto", {"OTEL_TRACES_EXPORTER": "console"}, "app.exporter-console", []),
        (
            "auto",
            {
                "OTEL_TRACES_EXPORTER": "jaeger",
                "OTEL_EXPORTER_JAEGER_ENDPOINT": "http://localhost:14268/api/traces",
            },
            "app.exporter-jaeger",
            ["app.jaeger-variables", "app.exporter-not-installed"],
        ),
        ("good", {"OTEL_SDK_DISABLED": "true"}, "app.sdk-disabled", []),
    ],
)
def test_broken_apps_emit_nothing_and_say_why(app_mode: str, env: dict[str, str], first: str, also: list[str]) -> None:
    code, doc, err = otdiag_run(env=env, app=[sys.executable, APP, app_mode])
    assert code == ExitCode.PROBLEM, (doc, err)
    assert doc["spans"] == 0
    found = codes(doc)
    assert found[0] == first, (found, err)
    assert "app.no-spans" not in found  # something more specific is known
    for c in also:
        assert c in found, (found, err)


def test_a_crash_in_the_sdks_own_set_up_is_evidence_for_the_setting_that_caused_it() -> None:
    env = {"OTEL_TRACES_EXPORTER": "jaeger"}
    _, doc, _ = otdiag_run(env=env, app=[sys.executable, APP, "auto"])
    first = doc["findings"][0]
    assert first["code"] == "app.exporter-jaeger"
    assert any("crashed" in e for e in first["evidence"]), first
    assert "app.crashed" not in codes(doc)


def test_auto_configuration_without_an_exporter_names_the_variable() -> None:
    _, doc, _ = otdiag_run(app=[sys.executable, APP, "auto"])
    first = doc["findings"][0]
    assert first["code"] == "app.no-span-processor"
    assert "OTEL_TRACES_EXPORTER=otlp" in first["hint"]
    code, doc, _ = otdiag_run(env={"OTEL_TRACES_EXPORTER": "otlp"}, app=[sys.executable, APP, "auto"])
    assert code == ExitCode.OK and doc["spans"] == 3


def test_without_the_observer_the_receiver_analysis_stays() -> None:
    code, doc, _ = otdiag_run("--no-observe", app=[sys.executable, APP, "no-provider"])
    assert code == ExitCode.PROBLEM
    assert codes(doc)[0] == "app.no-spans"
    assert doc["observer"] == {"loaded": False}


def test_only_jaeger_variables_with_a_working_otlp_exporter_is_a_warning() -> None:
    code, doc, _ = otdiag_run(env={"OTEL_EXPORTER_JAEGER_AGENT_HOST": "jaeger"})
    found = {f["code"]: f["severity"] for f in doc["findings"]}
    assert found["app.jaeger-variables"] == "warning"
    assert code == ExitCode.OK


def test_a_provider_set_twice_is_read_from_stderr() -> None:
    _, doc, err = otdiag_run(env={"OTEL_SERVICE_NAME": "x"}, app=[sys.executable, APP, "set-twice"])
    assert "app.provider-set-twice" in codes(doc), err
    assert "Overriding of current TracerProvider is not allowed" in err  # passed through


def test_the_apps_environment_is_pointed_at_the_receiver() -> None:
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://elsewhere:4318/v1/traces", "OTEL_SERVICE_NAME": "x"}
    code, doc, _ = otdiag_run("--protocol", "http/protobuf", env=env, app=[sys.executable, APP, "http"])
    assert code == ExitCode.OK
    assert doc["environment"]["removed"] == ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    assert doc["environment"]["set"]["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert doc["spans"] == 3


def test_a_killed_app_is_reported() -> None:
    script = (
        "import os, signal, runpy, sys; sys.argv = ['traced.py', 'good']; "
        f"runpy.run_path({APP!r}, run_name='__main__'); os.kill(os.getpid(), signal.SIGKILL)"
    )
    _, doc, _ = otdiag_run(env={"OTEL_SERVICE_NAME": "x"}, app=[sys.executable, "-c", script])
    assert doc["exit_status"] == -9
    assert "app.killed" in codes(doc)


def test_usage_errors() -> None:
    from tests.cli_runner import run

    res = run("run", "--", "definitely-not-a-command-xyz")
    assert res.exit_code == ExitCode.USAGE
    assert "command not found: definitely-not-a-command-xyz" in res.stderr
    res = run("run")
    assert res.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_keep_open_serves_the_spans_until_stopped(stop: signal.Signals) -> None:
    # The report first (stdout), then the spans stay queryable through Jaeger's API until Ctrl-C/SIGTERM;
    # the exit code is still the report's.
    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = str(REPO)
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", "--keep-open", "--",
            sys.executable, APP, "good"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO, text=True)
    try:
        assert proc.stderr is not None and proc.stdout is not None
        url = ""
        deadline = time.monotonic() + within(30)
        while not url and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if m := re.search(r"stay queryable at (http://127\.0\.0\.1:\d+)", line):
                url = m.group(1)
        assert url, "no query URL announced"
        lines = [proc.stdout.readline()]  # the report is out before the wait: one indented document
        while lines[-1] not in ("}\n", ""):
            lines.append(proc.stdout.readline())
        doc = json.loads("".join(lines))
        assert doc["ok"] is True and doc["trace_ids"]
        for tid in doc["trace_ids"]:
            got = httpx.get(f"{url}/api/v3/traces/{tid}", timeout=5)
            assert got.status_code == 200 and tid in got.text
        assert proc.poll() is None  # still serving
        proc.send_signal(stop)
        assert proc.wait(timeout=within(5)) == ExitCode.OK
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
