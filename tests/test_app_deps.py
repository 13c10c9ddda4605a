"""`check --app-dir` and the dependency analysis `run` shares: removed packages and version skew."""

from __future__ import annotations

from pathlib import Path

import pytest

from otdiag.model import ExitCode
from otdiag.observe import deps
from tests.cli_runner import run


def app_check(app: Path) -> dict[str, dict[str, object]]:
    res = run("check", "--app-dir", str(app), "--no-e2e", "--timeout", "1s", "--json")
    assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM), res.stderr
    return {f["code"]: f for f in res.json()["findings"] if f["code"].startswith("app.")}


def test_requirements_naming_the_jaeger_exporter_and_skewed_pins(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "flask==3.0.0\n"
        "opentelemetry-api==1.20.0\n"
        "opentelemetry-sdk==1.27.0  # upgraded alone\n"
        "opentelemetry-exporter-jaeger-thrift==1.21.0\n"
    )
    found = app_check(tmp_path)
    jaeger = found["app.jaeger-exporter-removed"]
    assert jaeger["location"] == {"file": "requirements.txt", "line": 4, "column": 1}
    assert "1.21.0" in str(jaeger["message"]) and "OTLPSpanExporter" in str(jaeger["hint"])
    skew = found["app.otel-version-skew"]
    assert "opentelemetry-api 1.20.0" in str(skew["message"]) and "1.27.0" in str(skew["message"])
    assert skew["severity"] == "error"


def test_pyproject_dependencies_and_poetry(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\ndependencies = ["opentelemetry-exporter-jaeger>=1.10"]\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nopentelemetry-api = "1.27.0"\n'
        'opentelemetry-exporter-otlp-proto-grpc = "1.26.0"\n'
    )
    found = app_check(tmp_path)
    assert found["app.jaeger-exporter-removed"]["location"] == {"file": "pyproject.toml", "line": 3, "column": 1}
    assert "opentelemetry-exporter-otlp-proto-grpc==1.26.0" in str(found["app.otel-version-skew"]["message"])


def test_a_consistent_app_has_no_dependency_finding(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "opentelemetry-api==1.45.2\nopentelemetry-sdk==1.45.2\nopentelemetry-exporter-otlp==1.45.2\n"
        "opentelemetry-instrumentation-flask==0.66b2\n-r other.txt\ngit+https://example.invalid/x.git\n"
    )
    found = app_check(tmp_path)
    assert "app.jaeger-exporter-removed" not in found and "app.otel-version-skew" not in found


def test_a_missing_app_dir_is_a_usage_error(tmp_path: Path) -> None:
    res = run("check", "--app-dir", str(tmp_path / "nope"), "--no-e2e")
    assert res.exit_code == ExitCode.USAGE
    assert "--app-dir" in res.stderr


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ("1.45.2", "==1.45.2", True),
        ("1.45.2", "== 1.44.0", False),
        ("0.66b2", "==0.66b2", True),
        ("1.27.0", ">=1.20,<2", True),
        ("2.0.0", ">=1.20,<2", False),
        ("1.27.0", "~=1.27", True),
        ("1.27.5", "~=1.27.0", True),
        ("1.28.0", "~=1.27.0", False),
        ("1.27.0", "==1.27.*", True),
        ("1.26.9", "==1.27.*", False),
        ("1.0.0rc1", ">=1.0.0", False),
    ],
)
def test_specifiers(version: str, spec: str, ok: bool) -> None:
    assert deps.satisfies(version, spec) is ok


def test_installed_requires_are_checked_against_each_other() -> None:
    dists = {
        "opentelemetry-sdk": deps.Dist("opentelemetry-sdk", "1.45.2", ("opentelemetry-api==1.45.2",), "installed"),
        "opentelemetry-api": deps.Dist("opentelemetry-api", "1.44.0", (), "installed"),
        "opentelemetry-exporter-otlp-proto-grpc": deps.Dist(
            "opentelemetry-exporter-otlp-proto-grpc", "1.45.2",
            ("opentelemetry-sdk~=1.45.2", "opentelemetry-proto==1.45.2", 'grpcio; extra == "x"'), "installed",
        ),
        "opentelemetry-proto": deps.Dist("opentelemetry-proto", "1.40.0", (), "installed"),
    }  # fmt: skip
    skew = deps.analyse(dists).skew
    assert any("opentelemetry-api 1.44.0 and opentelemetry-sdk 1.45.2" in s for s in skew)
    assert any("requires opentelemetry-proto==1.45.2, but 1.40.0 is installed" in s for s in skew)
