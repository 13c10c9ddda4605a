"""Never two answers: each contradiction of issue 23 as a test that the human view, the JSON and the exit code agree.

Every case runs otdiag as a user does (a subprocess, output into a pipe); nothing listens on 127.0.0.3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from otdiag.model import ExitCode
from tests.peers import REPO

NOWHERE_GRPC = "http://127.0.0.3:4317"


def _otdiag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_"))}
    base.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", **(env or {})})
    cmd = [sys.executable, "-m", "otdiag", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=base, cwd=REPO, timeout=90, check=False)


def _codes(doc: dict[str, object]) -> list[str]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [f["code"] for f in findings]


def test_an_unset_protocol_on_port_4317_is_grpc_in_send_and_in_check(tmp_path: Path) -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": NOWHERE_GRPC}
    sent = _otdiag("send-test-span", "--timeout", "1s", "--json", env=env)
    doc = json.loads(sent.stdout)
    assert doc["protocol"] == "grpc" and doc["settings"]["sources"]["protocol"].startswith("not set: grpc")
    assert "app.protocol-unset-grpc-port" in _codes(doc)
    assert "ingest.http-to-grpc-port" not in _codes(doc)
    assert sent.returncode == ExitCode.PROBLEM and doc["ok"] is False
    human = _otdiag("send-test-span", "--timeout", "1s", env=env)
    assert human.returncode == sent.returncode
    assert "(grpc)" in human.stdout and "app.protocol-unset-grpc-port" in human.stdout

    env_file = tmp_path / "app.env"
    env_file.write_text(f"OTEL_EXPORTER_OTLP_ENDPOINT={NOWHERE_GRPC}\n")
    args = ("check", "--no-e2e", "--timeout", "1s", "--jaeger-url", "http://127.0.0.3:9", "--env-file", str(env_file))
    checked = _otdiag(*args, "--json")
    cdoc = json.loads(checked.stdout)
    assert "app.protocol-unset-grpc-port" in _codes(cdoc)
    human_check = _otdiag(*args)
    assert "app.protocol-unset-grpc-port" in human_check.stdout
    assert human_check.returncode == checked.returncode


def test_a_scheme_less_4317_endpoint_is_not_both_tls_and_ignored(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("OTEL_EXPORTER_OTLP_ENDPOINT=127.0.0.3:4317\n")
    args = ("check", "--no-e2e", "--timeout", "1s", "--jaeger-url", "http://127.0.0.3:9", "--env-file", str(env_file))
    doc = json.loads(_otdiag(*args, "--json").stdout)
    codes = _codes(doc)
    assert "app.grpc-endpoint-means-tls" in codes  # the value is used (as gRPC, with TLS) ...
    assert "app.export-setting-ignored" not in codes  # ... so it is not also "ignored"
    human = _otdiag(*args).stdout
    assert "must start with http://" not in human


def test_the_endpoint_forms_the_help_shows_are_accepted_and_curls_header_form_too() -> None:
    res = _otdiag(
        "send-test-span", "--endpoint", "127.0.0.3:4318", "--header", "Authorization: Bearer s3cr3t-tok",
        "--explain", "--json",
    )  # fmt: skip
    assert res.returncode == ExitCode.OK, res.stderr
    s = json.loads(res.stdout)["settings"]
    assert s["endpoint"] == "http://127.0.0.3:4318/v1/traces" and s["protocol"] == "http/protobuf"
    assert "http:// assumed" in s["sources"]["endpoint"]
    assert s["headers"] == {"authorization": "<redacted>"}
    assert "s3cr3t-tok" not in res.stdout + res.stderr
    grpc = json.loads(_otdiag("send-test-span", "--endpoint", "127.0.0.3:4317", "--explain", "--json").stdout)
    assert grpc["settings"]["protocol"] == "grpc"


def test_no_fix_tells_the_user_to_hard_code_an_endpoint() -> None:
    """run says 'do not hard-code endpoint='; no other command's fix may recommend it."""
    from otdiag import catalogue

    for kind in catalogue.KINDS.values():
        assert 'endpoint="http' not in kind.hint and "endpoint='http" not in kind.hint, kind.code


def test_find_trace_names_the_service_it_does_not_know_and_the_filter_that_emptied_the_search() -> None:
    from tests.listen_helpers import listening
    from tests.sdk_app import send_span

    with listening() as lp:
        send_span(lp.grpc, service="payment", name="charge")
        url = ("--jaeger-url", lp.query_url)
        typo = _otdiag("find-trace", "--service", "paymnet", *url, "--json")
        typo_human = _otdiag("find-trace", "--service", "paymnet", *url)
        slow = _otdiag("find-trace", "--service", "payment", "--min-duration", "10s", *url, "--json")
        slow_human = _otdiag("find-trace", "--service", "payment", "--min-duration", "10s", *url)
    (f,) = json.loads(typo.stdout)["findings"]
    assert f["code"] == "trace.not-found" and "Did you mean 'payment'?" in f["message"]
    assert "payment" in f["hint"]
    assert typo.returncode == typo_human.returncode == ExitCode.PROBLEM
    assert "Did you mean 'payment'?" in " ".join(typo_human.stdout.split())
    (g,) = json.loads(slow.stdout)["findings"]
    assert "--min-duration" in g["message"] and g["hint"].startswith("Loosen --min-duration first")
    assert slow.returncode == slow_human.returncode == ExitCode.PROBLEM
    assert "Loosen --min-duration" in " ".join(slow_human.stdout.split())
