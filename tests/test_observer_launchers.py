"""`otdiag run` under the launchers users put in front of their apps.

`opentelemetry-instrument` (like ddtrace-run and newrelic-admin) puts its own `sitecustomize` first on
PYTHONPATH and execs the app; the observer must still load in the app, chain the launcher's, and see
what the auto-configured SDK does, rather than report an app that "never imported OpenTelemetry".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode, Severity
from otdiag.observe import instrumentation
from tests.app_venvs import cached_venv
from tests.peers import REPO

APPS = REPO / "tests" / "apps" / "launchers"
AUTO_PINS = (
    "opentelemetry-distro==0.66b1",
    "opentelemetry-instrumentation-urllib==0.66b1",
    "opentelemetry-exporter-otlp-proto-http==1.45.1",
)


@pytest.fixture(scope="session")
def auto_bin() -> Path:
    return cached_venv(*AUTO_PINS)


def run(argv: list[str], **env: str) -> tuple[int, Any, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_", "PYTHONPATH"))}
    clean.update(env, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", "--", *argv]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean, cwd=APPS, timeout=120, check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.mark.slow
def test_an_app_under_opentelemetry_instrument_is_observed_inside(auto_bin: Path) -> None:
    argv = [str(auto_bin / "opentelemetry-instrument"), str(auto_bin / "python"), "fetch_with_urllib.py"]
    rc, doc, err = run(argv, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf", OTEL_SERVICE_NAME="shop")
    assert rc == ExitCode.OK, (doc["findings"], err)
    assert doc["spans"] == 1 and doc["services"] == {"shop": 1}
    observed = doc["observer"]
    assert observed["loaded"] is True
    # The provider the distro's configurator built, seen from inside the app, with its exporter's results.
    assert "opentelemetry/sdk/_configuration" in observed["provider"]["site"]
    assert observed["spans"]["started"] == 1 and observed["spans"]["ended"] == 1
    [exporter] = observed["exporters"]
    assert exporter["type"].endswith("OTLPSpanExporter") and exporter["results"] == {"SUCCESS": 1}
    # The distro exports metrics and logs to the same endpoint: taken, so the app's stderr stays quiet.
    assert "Failed to export" not in err and "404" not in err, err


@pytest.mark.slow
def test_a_launcher_whose_exporter_is_not_installed_is_named(auto_bin: Path) -> None:
    # Only the HTTP exporter is installed; the default protocol (grpc) asks for one that is not.
    argv = [str(auto_bin / "opentelemetry-instrument"), str(auto_bin / "python"), "fetch_with_urllib.py"]
    rc, doc, err = run(argv)
    assert rc == ExitCode.PROBLEM
    assert doc["observer"]["loaded"] is True
    codes = [f["code"] for f in doc["findings"] if f["severity"] == "error"]
    assert codes[0] == "app.exporter-not-installed", (doc["findings"], err)
    assert "app.not-instrumented" not in codes


def _report(*missing: dict[str, Any]) -> dict[str, Any]:
    return {"v": 1, "auto_instrumentation": {"missing": list(missing), "installed": []}}


REQUESTS = {
    "library": "requests",
    "version": "2.32.3",
    "instrumentation": "opentelemetry-instrumentation-requests==0.66b1",
}
FLASK = {"library": "flask", "version": "3.1.0", "instrumentation": "opentelemetry-instrumentation-flask==0.66b1"}


def test_a_missing_instrumentation_is_the_cause_when_no_span_started() -> None:
    gaps = instrumentation.missing([_report(REQUESTS), _report(REQUESTS, FLASK)])
    assert [g.library for g in gaps] == ["requests", "flask"]  # one entry per library, across processes
    f = instrumentation.finding(gaps, spans_started=0)
    assert f is not None and (f.code, f.severity) == ("app.instrumentation-missing", Severity.ERROR)
    assert "uses requests 2.32.3, flask 3.1.0" in f.message and "no span was started" in f.message
    assert "pip install 'opentelemetry-instrumentation-requests==0.66b1' 'opentelemetry-instrumentation-flask" in f.hint


def test_with_other_spans_a_missing_instrumentation_is_a_warning() -> None:
    f = instrumentation.finding(instrumentation.missing([_report(FLASK)]), spans_started=3)
    assert f is not None and f.severity is Severity.WARNING
    assert instrumentation.finding([], spans_started=0) is None


@pytest.mark.parametrize(
    "entry",
    [
        {"library": "requests\x1b[2J", "version": "1", "instrumentation": "x==1"},
        {"library": "requests", "version": "1", "instrumentation": "x==1; rm -rf /"},
        {"library": ["requests"], "version": "1", "instrumentation": "x==1"},
        "requests",
    ],
)
def test_what_the_app_reports_is_shape_checked(entry: Any) -> None:
    # The report comes from the app's process: nothing that is not a package name reaches a finding.
    assert instrumentation.missing([{"v": 1, "auto_instrumentation": {"missing": [entry]}}]) == []


@pytest.fixture(scope="session")
def requests_bin() -> Path:
    return cached_venv(*AUTO_PINS, "requests==2.32.3")


@pytest.mark.slow
def test_a_library_without_its_instrumentation_is_why_no_span_was_started(requests_bin: Path) -> None:
    argv = [str(requests_bin / "opentelemetry-instrument"), str(requests_bin / "python"), "fetch_with_requests.py"]
    rc, doc, err = run(argv, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf")
    assert rc == ExitCode.PROBLEM
    first = next(f for f in doc["findings"] if f["severity"] == "error")
    assert first["code"] == "app.instrumentation-missing", (doc["findings"], err)
    assert "requests 2.32.3" in first["message"] and "no span was started" in first["message"]
    assert "opentelemetry-instrumentation-requests==0.66b1" in first["hint"]
    assert "app.no-span-started" not in [f["code"] for f in doc["findings"]]


@pytest.mark.slow
def test_a_launcher_that_picks_a_python_without_the_sdk_is_named(auto_bin: Path, tmp_path: Path) -> None:
    # `opentelemetry-instrument python app.py` outside the activated environment: `python` is another
    # interpreter, the launcher's sitecustomize fails to import opentelemetry, and `site` only prints it.
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    argv = [str(auto_bin / "opentelemetry-instrument"), str(bare / "bin" / "python"), "fetch_with_urllib.py"]
    rc, doc, err = run(argv, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf")
    assert rc == ExitCode.PROBLEM
    first = next(f for f in doc["findings"] if f["severity"] == "error")
    assert first["code"] == "app.sdk-not-in-interpreter", (doc["findings"], err)
    assert str(bare / "bin" / "python") in first["message"]
