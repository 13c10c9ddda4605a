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

from otdiag.model import ExitCode
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
    cmd = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3", "--", *argv]
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
