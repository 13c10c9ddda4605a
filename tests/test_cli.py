"""The command line itself: version, help, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from otdiag import __version__
from otdiag.cli.app import app
from otdiag.cli.root import COMMANDS, load_command
from otdiag.model import ExitCode
from tests.cli_runner import run


def test_version() -> None:
    res = run("--version")
    assert res.exit_code == ExitCode.OK
    assert res.stdout.strip() == f"otdiag {__version__}"


def test_help_lists_every_registered_command_with_a_description() -> None:
    res = run("--help")
    assert res.exit_code == 0
    assert COMMANDS, "no commands registered"
    for name, spec in COMMANDS.items():
        assert name in res.stdout
        cmd = load_command(name)
        assert cmd.name == name
        assert cmd.callback is not None and cmd.callback.__doc__, f"{name} has no help text"
        # The listing shows the summary kept beside the lazy registration: it must be the docstring's.
        assert spec.summary == cmd.callback.__doc__.strip().splitlines()[0], name
    assert not app.registered_commands, "commands are registered lazily, in otdiag.cli.root.COMMANDS"


def test_python_dash_m_runs_the_same_cli() -> None:
    out = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "otdiag", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"otdiag {__version__}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "--timeout", "-1"], "--timeout: -1 is not a positive number"),
        (["check", "--timeout", "0"], "--timeout: 0 is not a positive number"),
        (["check", "--jaeger-url", "localhost:16686"], "must start with http:// or https://"),
        (["check", "--jaeger-url", "http://"], "has no host name"),
        (["check", "--jaeger-url", "http://host:99999"], "is not a valid URL"),
        (["check", "--otlp-endpoint", "ftp://x:4317"], "must start with http:// or https://"),
        (["check", "--header", "novalue"], "--header: 'novalue' must be written NAME=VALUE"),
        (["check", "--ca-file", "/nonexistent/ca.pem"], "--ca-file: /nonexistent/ca.pem does not exist"),
    ],
)
def test_bad_input_is_exit_2_with_one_line_and_no_traceback(args: list[str], expected: str) -> None:
    res = run(*args)
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert expected in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert len(res.stderr.strip().splitlines()) == 1


def test_unknown_protocol_is_a_usage_error() -> None:
    res = run("check", "--protocol", "thrift")
    assert res.exit_code == ExitCode.USAGE
    assert "Traceback" not in res.stderr


def test_bad_protocol_in_the_environment_is_a_usage_error_for_send_but_a_finding_for_check() -> None:
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/PROTOBUF"}
    res = run("send-test-span", env=env)
    assert res.exit_code == ExitCode.USAGE
    assert "OTEL_EXPORTER_OTLP_PROTOCOL='HTTP/PROTOBUF'" in res.stderr
    res = run("check", "--json", "--timeout", "1", "--jaeger-url", "http://127.0.0.1:1", env=env)
    assert res.exit_code == ExitCode.PROBLEM
    assert res.json()["findings"][0]["code"] == "app.exporter-unknown"


def test_secret_in_a_bad_url_is_not_echoed() -> None:
    res = run("check", "--jaeger-url", "ftp://user:hunter22@jaeger:16686")
    assert res.exit_code == ExitCode.USAGE
    assert "hunter22" not in res.stderr
