"""The command line itself: version, help, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from otdiag import __version__
from otdiag.cli.main import app
from otdiag.cli.root import COMMANDS, load_command
from otdiag.model import ExitCode
from tests.cli_runner import run
from tests.test_validate_binary import GOOD


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
        (["check", "--timeout", "-1"], "--timeout: '-1' must be a positive duration"),
        (["check", "--timeout", "0"], "--timeout: '0' must be more than 0s and at most 1h"),
        (["check", "--window", "5"], "--window: '5' has no unit: write 5s, 5m or 5h"),
        (["check", "--jaeger-url", "localhost:16686"], "must start with http:// or https://"),
        (["check", "--jaeger-url", "http://"], "has no host name"),
        (["check", "--jaeger-url", "http://host:99999"], "is not a valid URL"),
        (["check", "--otlp-endpoint", "ftp://x:4317"], "must start with http:// or https://"),
        (["check", "--header", "novalue"], "--header: 'novalue' must be written NAME=VALUE"),
        (["check", "--ca-file", "/nonexistent/ca.pem"], "--ca-file: /nonexistent/ca.pem does not exist"),
    ],
)
def test_bad_input_is_exit_2_with_one_message_and_no_traceback(args: list[str], expected: str) -> None:
    """A usage error is one message: one line when it fits, else wrapped at the width under "otdiag: ",
    between words, and the same text joined."""
    res = run(*args, env={"COLUMNS": "1000"})
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert expected in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert len(res.stderr.strip().splitlines()) == 1
    narrow = run(*args, env={"COLUMNS": "40"})
    assert narrow.exit_code == ExitCode.USAGE
    lines = narrow.stderr.rstrip("\n").splitlines()
    assert lines[0].startswith("otdiag: ") and all(line.startswith(" " * 8) for line in lines[1:]), lines
    assert " ".join(" ".join(lines).split()) == res.stderr.strip()
    # Only a word that cannot break (a URL, a path) may overflow, alone on its line.
    assert all(len(line) <= 40 or len(line[8:].split()) == 1 for line in lines), lines


def test_unknown_protocol_is_a_usage_error() -> None:
    res = run("check", "--protocol", "thrift")
    assert res.exit_code == ExitCode.USAGE
    assert "Traceback" not in res.stderr


def test_bad_protocol_in_the_environment_is_a_usage_error_for_send_but_a_finding_for_check() -> None:
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/PROTOBUF"}
    res = run("send-test-span", env=env)
    assert res.exit_code == ExitCode.USAGE
    assert "OTEL_EXPORTER_OTLP_PROTOCOL='HTTP/PROTOBUF'" in res.stderr
    res = run("check", "--json", "--timeout", "1s", "--jaeger-url", "http://127.0.0.1:1", env=env)
    assert res.exit_code == ExitCode.PROBLEM
    assert res.json()["findings"][0]["code"] == "app.exporter-unknown"


def test_secret_in_a_bad_url_is_not_echoed() -> None:
    res = run("check", "--jaeger-url", "ftp://user:hunter22@jaeger:16686")
    assert res.exit_code == ExitCode.USAGE
    assert "hunter22" not in res.stderr


def _with_stdout(args: list[str], stdout: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(GOOD)
    argv = [sys.executable, "-m", "otdiag", *[str(cfg) if a == "CFG" else a for a in args]]
    return subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["validate-config", "--json", "CFG"], ExitCode.OK),  # the report's own code
        (["validate-config", "CFG"], ExitCode.OK),
        (["send-test-span", "--endpoint", "http://127.0.0.1:9", "--timeout", "1s"], ExitCode.PROBLEM),
    ],
)
def test_a_reader_that_goes_away_ends_the_output_quietly(args: list[str], code: int, tmp_path: Path) -> None:
    # `otdiag ... | head`: the reader closed the pipe before otdiag wrote. Like any filter: no traceback,
    # no "internal error", and the exit code of what was found.
    r, w = os.pipe()
    os.close(r)
    try:
        res = _with_stdout(args, w, tmp_path)
    finally:
        os.close(w)
    assert res.returncode == code, res.stderr
    assert res.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["validate-config", "--json", "CFG"], ["validate-config", "CFG"], ["--help"]])
def test_output_that_cannot_be_written_is_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        res = _with_stdout(args, full.fileno(), tmp_path)
    assert res.returncode == ExitCode.USAGE
    assert res.stderr == "otdiag: cannot write the output: No space left on device\n"


def test_importing_otdiag_installs_no_signal_handler() -> None:
    """Only the program (otdiag.cli.main.main) decides what Ctrl-C does; an import changes nothing."""
    code = "import sys; sys.argv[0] = '-m'; import signal, otdiag, otdiag.cli.main; "
    code += "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "True"


def test_main_returns_the_exit_code_and_never_exits(capsys: pytest.CaptureFixture[str]) -> None:
    from otdiag.cli.main import main

    assert main(["--bogus"]) is ExitCode.USAGE
    assert "otdiag: No such option: --bogus (see 'otdiag --help')" in capsys.readouterr().err
    assert main(["check", "--timeout", "abc"]) is ExitCode.USAGE
    assert main(["--version"]) is ExitCode.OK
    assert main(["validate-config", "/nonexistent/otdiag.yaml"]) is ExitCode.USAGE
    assert main([]) is ExitCode.USAGE
    assert "Usage: otdiag" in capsys.readouterr().out
    before = dict(os.environ)
    assert (
        main(["send-test-span", "--timeout", "1s"], {"OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"}) is ExitCode.USAGE
    )
    assert "carrier-pigeon" in capsys.readouterr().err
    assert dict(os.environ) == before


def test_a_mistyped_command_gets_a_did_you_mean_and_exit_2() -> None:
    got = run("chek")
    assert got.exit_code == 2
    assert "Did you mean 'check'?" in got.stderr
    far = run("zzzz")
    assert far.exit_code == 2 and "Did you mean" not in far.stderr


def test_the_command_list_shows_whole_summaries_at_80_columns() -> None:
    got = run("--help", env={"COLUMNS": "80"})
    assert got.exit_code == 0
    flowing = " ".join(got.stdout.split())
    for spec in COMMANDS.values():
        assert " ".join(spec.summary.split()) in flowing, spec.summary
    assert all(len(line) <= 80 for line in got.stdout.splitlines())
