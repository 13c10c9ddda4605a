"""`check --app-dir` on Node.js manifests (package.json, package-lock.json): skew and missing instrumentation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from otdiag.model import ExitCode
from otdiag.run.observers.node import manifest
from tests.cli_runner import run

APPS = Path(__file__).resolve().parent / "apps" / "node"


def app_check(app: Path) -> dict[str, dict[str, object]]:
    res = run("check", "--app-dir", str(app), "--no-e2e", "--timeout", "1s", "--json")
    assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM), res.stderr
    return {f["code"]: f for f in res.json()["findings"] if f["code"].startswith("app.")}


def test_the_test_apps_pinned_release_goes_together(tmp_path: Path) -> None:
    """The real lockfile of tests/apps/node (sdk-node 0.208 with sdk-trace-base 2.2, express instrumented)."""
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(APPS / name, tmp_path / name)
    assert manifest.findings(tmp_path) == []
    found = app_check(tmp_path)
    assert "app.otel-version-skew" not in found and "app.instrumentation-missing" not in found


def test_a_stable_package_upgraded_alone_is_skew_and_express_without_its_instrumentation(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps(
            {
                "name": "shop",
                "dependencies": {
                    "@opentelemetry/sdk-node": "^0.57.2",
                    "@opentelemetry/sdk-trace-base": "^2.2.0",
                    "express": "^4.21.2",
                },
            },
            indent=2,
        )
    )
    found = app_check(tmp_path)
    skew = found["app.otel-version-skew"]
    assert "0.57" in str(skew["message"]) and "2.x" in str(skew["message"])
    missing = found["app.instrumentation-missing"]
    assert "@opentelemetry/instrumentation-express" in str(missing["message"])
    assert missing["severity"] == "warning"
    assert missing["location"] == {"file": "package.json", "line": 6, "column": 1}


def test_the_lock_wins_over_the_ranges(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"dependencies": {"@opentelemetry/sdk-node": "*", "@opentelemetry/exporter-trace-otlp-http": "*"}})
    )
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "node_modules/@opentelemetry/sdk-node": {"version": "0.208.0"},
            "node_modules/@opentelemetry/exporter-trace-otlp-http": {"version": "0.203.0"},
            "node_modules/x/node_modules/@opentelemetry/core": {"version": "1.0.0"},
        },
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock))
    [skew] = manifest.findings(tmp_path)
    assert skew.code == "app.otel-version-skew" and "0.203.0" in skew.message and "0.208.0" in skew.message


def test_hostile_manifests_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("[1, 2")
    assert manifest.findings(tmp_path) == []
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"@opentelemetry/sdk-node": 5, "a": None}}))
    (tmp_path / "package-lock.json").write_text(json.dumps({"packages": {"node_modules/@opentelemetry/x": "y"}}))
    assert manifest.findings(tmp_path) == []
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"\x1b[31m": "1.0.0"}}) + " " * 1_000_001)
    assert manifest.findings(tmp_path) == []
