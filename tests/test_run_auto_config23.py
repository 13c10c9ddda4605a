"""`otdiag run -- opentelemetry-instrument python app.py` (issue 23): when the SDK's auto-configuration built
the sampler or exporter from OTEL_* variables, the fix names the variable, never a file of the SDK; a protocol
Python rejects is named, not "no provider"; a traces endpoint run took out is still judged; only libraries
the app's own code imports count as used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests.test_observer_launchers import AUTO_PINS, run

pytestmark = pytest.mark.slow
QUIET = {"OTEL_SERVICE_NAME": "shop", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}


@pytest.fixture(scope="module")
def auto(request: pytest.FixtureRequest) -> Path:
    from tests.app_venvs import cached_venv

    return cached_venv(*AUTO_PINS)


def _run(auto: Path, app: str = "api_only.py", **env: str) -> tuple[int, Any, str]:
    argv = [str(auto / "opentelemetry-instrument"), str(auto / "python"), app]
    return run(argv, **{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", **QUIET, **env})


def _errors(doc: Any) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["severity"] == "error"]


def _no_sdk_file(finding: dict[str, Any]) -> None:
    text = " ".join(str(finding.get(k) or "") for k in ("message", "hint", "location"))
    assert "site-packages" not in text and "_configuration" not in text, finding


@pytest.mark.parametrize(
    ("env", "code", "fix"),
    [
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
            "app.sampler-drops-all",
            "OTEL_TRACES_SAMPLER=parentbased_always_on",
        ),
        ({"OTEL_TRACES_EXPORTER": "console"}, "app.exporter-console", "OTEL_TRACES_EXPORTER=otlp"),
    ],
)
def test_what_auto_configuration_built_is_fixed_in_the_variable(
    auto: Path, env: dict[str, str], code: str, fix: str
) -> None:
    rc, doc, err = _run(auto, **env)
    assert rc == ExitCode.PROBLEM and doc["ok"] is False, (doc["findings"], err)
    first = _errors(doc)[0]
    assert first["code"] == code, doc["findings"]
    assert fix in (first["hint"] or ""), first
    for f in doc["findings"]:
        if f["code"] == code:
            _no_sdk_file(f)


def test_http_json_rejected_by_python_is_the_cause_not_a_missing_provider(auto: Path) -> None:
    rc, doc, err = _run(auto, OTEL_EXPORTER_OTLP_PROTOCOL="http/json")
    assert rc == ExitCode.PROBLEM and doc["ok"] is False, err
    codes = [f["code"] for f in doc["findings"]]
    first = _errors(doc)[0]
    assert first["code"] == "app.python-sdk-differs", doc["findings"]
    assert "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf" in first["hint"]
    assert "app.no-provider" not in codes and "TracerProvider()" not in str(doc["findings"])


def test_a_traces_endpoint_run_took_out_is_still_judged(auto: Path) -> None:
    rc, doc, err = _run(auto, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:4318")
    assert doc["environment"]["removed"] == ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    assert doc["spans"] == 3, err  # the app sent to run's receiver
    [f] = [f for f in doc["findings"] if f["code"] == "app.traces-endpoint-no-path"]
    assert f["severity"] == "warning" and "/v1/traces" in f["hint"]
    assert rc == ExitCode.OK  # a warning: this run's spans arrived


def test_libraries_only_the_exporter_imports_are_not_the_apps(auto: Path) -> None:
    rc, doc, err = _run(auto)
    assert rc == ExitCode.OK, (doc["findings"], err)
    assert doc["spans"] == 3
    assert "app.instrumentation-missing" not in [f["code"] for f in doc["findings"]], doc["findings"]
    # The same library imported by the app's own code (after the exporter did) is the app's.
    _, doc, err = _run(auto, "late_requests.py")
    missing = [f for f in doc["findings"] if f["code"] == "app.instrumentation-missing"]
    assert missing and "requests" in missing[0]["message"], (doc["findings"], err)
