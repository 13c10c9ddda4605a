"""check's App/SDK end without peers: which settings it probes, and whose mistake a bad value is."""

from __future__ import annotations

import pytest

from otdiag.app.export_settings import Flags
from otdiag.check.app import app_settings
from otdiag.check.request import CheckOptions
from otdiag.errors import UsageError
from otdiag.model import Finding, Protocol, Severity


def test_an_app_endpoint_that_cannot_work_is_a_finding_and_the_defaults_are_probed() -> None:
    findings: list[Finding] = []
    settings = app_settings(CheckOptions(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://nope"}), findings)
    assert [(f.code, f.severity) for f in findings] == [("app.export-setting-ignored", Severity.ERROR)]
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in findings[0].message and "probes the defaults" in findings[0].message
    assert settings.sources["endpoint"] == "default"


def test_a_flag_that_cannot_work_is_the_users_usage_error_whatever_the_environment_says() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "ftp://nope"}
    flags = Flags(endpoint="ftp://also-nope", protocol=Protocol.HTTP_PROTOBUF)
    with pytest.raises(UsageError, match=r"^--endpoint"):
        app_settings(CheckOptions(env=env, flags=flags), [])


def test_a_good_flag_beside_a_bad_environment_value_keeps_the_flag() -> None:
    findings: list[Finding] = []
    env = {"OTEL_EXPORTER_OTLP_CERTIFICATE": "/dev/null"}  # a device, not a PEM file
    flags = Flags(endpoint="http://127.0.0.1:4318", protocol=Protocol.HTTP_PROTOBUF)
    settings = app_settings(CheckOptions(env=env, flags=flags), findings)
    assert [f.code for f in findings] == ["app.export-setting-ignored"]
    assert "OTEL_EXPORTER_OTLP_CERTIFICATE" in findings[0].message
    assert settings.sources["endpoint"].startswith("--endpoint") and settings.port == 4318
