"""Issue 24: programs otdiag starts, config expansion and listen keep their bounds on hostile input."""

from __future__ import annotations

import pytest

from otdiag.app.runner import scrub_argv
from otdiag.redact import REDACTED


@pytest.mark.parametrize(
    ("argv", "hidden"),
    [
        (["mysql", "-p", "Hunter2pw", "-u", "root"], "Hunter2pw"),
        (["mysql", "-pHunter2pw"], "Hunter2pw"),
        (["curl", "-u", "bob:Hunter2pw", "http://h"], "Hunter2pw"),
        (["curl", "--user=bob:Hunter2pw"], "Hunter2pw"),
        (["curl", "-HAuthorization: Bearer Hunter2pw"], "Hunter2pw"),
        (["curl", "-H", "X-Api-Token: Hunter2pw"], "Hunter2pw"),
        (["curl", "--header=Cookie: s=Hunter2pw"], "Hunter2pw"),
    ],
)
def test_run_argv_hides_curl_and_mysql_secrets(argv: list[str], hidden: str) -> None:
    shown = scrub_argv(argv)
    assert hidden not in " ".join(shown)
    assert REDACTED in " ".join(shown)
    assert len(shown) == len(argv)


def test_run_argv_keeps_what_is_no_secret() -> None:
    argv = ["python", "-u", "app.py", "-H", "Content-Type: application/json", "-u", "root"]
    assert scrub_argv(argv) == argv


# --- config expansion ----------------------------------------------------------------------------------

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from otdiag.model import ExitCode  # noqa: E402
from otdiag.validate import expand, yamlsrc  # noqa: E402


def _validate(
    args: list[str], env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otdiag", "validate-config", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
        input=stdin.decode() if stdin is not None else None,
    )


def test_a_file_that_names_itself_twice_stops_at_the_size_bound(tmp_path: Path) -> None:
    twice = tmp_path / "twice.txt"
    twice.write_text(f"${{file:{twice}}}${{file:{twice}}}")
    root, _ = yamlsrc.load(f"receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ${{file:{twice}}}\n")
    out = expand.expand(root, {}, tmp_path)
    assert [p.message for p in out.problems if "expansion stopped" in p.message], out.problems
    value = root.items[0][1].items[0][1].items[0][1].items[0][1].items[0][1].value
    assert not isinstance(value, str) or len(value) <= expand.MAX_VALUE

    env_twice = {"A": "${env:A}${env:A}"}
    root, _ = yamlsrc.load("exporters:\n  debug:\n    verbosity: ${env:A}\n")
    out = expand.expand(root, env_twice, None)
    assert any("expansion stopped" in p.message for p in out.problems)


def test_many_references_to_a_big_file_stop_at_the_total_bound(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("x" * 900_000)
    lines = "".join(f"    k{i}: ${{file:{big}}}\n" for i in range(40))
    root, _ = yamlsrc.load("exporters:\n  debug:\n" + lines)
    out = expand.expand(root, {}, tmp_path)
    assert sum("more than 16 MiB" in p.message for p in out.problems) >= 20


def test_the_environment_read_through_a_file_is_never_shown(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ${file:/proc/self/environ}\n"
        "exporters:\n  debug:\n    verbosity: ${env:STRIPE_KEY}\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [nope]\n"
    )
    env = {"MYSQL_PWD": "Pw9secretMysql", "DB_PASS": "Pw9secretDbPass", "STRIPE_KEY": "sk9secretStripe"}
    for fmt in ("text", "json", "sarif", "github"):
        res = _validate(["--format", fmt, str(cfg)], env)
        assert res.returncode in (ExitCode.OK, 1), res.stderr
        for value in env.values():
            assert value not in res.stdout + res.stderr, (fmt, value)


def test_a_datadog_api_key_in_a_code_frame_is_hidden(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    key = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    cfg.write_text(
        f"exporters:\n  datadog:\n    api:\n      key: {key}\n      key: {key}\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [datadog]\n"
    )
    res = _validate([str(cfg)])
    assert key not in res.stdout + res.stderr
    assert "key: <redacted>" in res.stdout


def test_a_config_over_the_cap_is_refused_with_the_cap_named() -> None:
    res = _validate(["--json", "-"], stdin=b"a: " + b"x" * (yamlsrc.MAX_BYTES + 10) + b"\n")
    assert res.returncode == ExitCode.USAGE
    assert "larger than 1 MiB" in res.stderr


# --- programs otdiag starts ----------------------------------------------------------------------------


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _cfg(tmp_path: Path) -> Path:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"
    )
    return cfg


def _in(cwd: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": "/usr/bin:/bin", "COLUMNS": "80", "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.run(
        [sys.executable, "-m", "otdiag", "validate-config", *args],
        capture_output=True, text=True, timeout=120, check=False, env=env, cwd=cwd,
    )  # fmt: skip


def test_otelcol_with_a_slash_runs_the_file_in_the_current_directory(tmp_path: Path) -> None:
    _script(tmp_path / "otelcol-contrib", 'echo "Error: invalid configuration: said-by-the-local-binary" >&2\nexit 1\n')
    res = _in(tmp_path, ["--otelcol", "./otelcol-contrib", str(_cfg(tmp_path))])
    assert "said-by-the-local-binary" in res.stdout, res.stdout + res.stderr


def test_otelcol_missing_is_a_usage_error(tmp_path: Path) -> None:
    res = _in(tmp_path, ["--otelcol", "./otelcol-contrib", str(_cfg(tmp_path))])
    assert res.returncode == ExitCode.USAGE, res.stdout + res.stderr
    assert "./otelcol-contrib is not an executable file" in res.stderr


def test_collector_version_binary_goes_through_the_bounded_runner(tmp_path: Path) -> None:
    """A grandchild holding the pipes does not hold otdiag; 200 MB of output is capped, not kept."""
    from otdiag.validate import versions

    _script(tmp_path / "otelcol", 'echo "otelcol-contrib version 0.124.1"\nsleep 300 &\n')
    assert versions.name(versions.from_binary(str(tmp_path / "otelcol"), timeout=60)) == "v0.124.1"
    _script(tmp_path / "chatty", "head -c 200000000 /dev/zero\necho 'otelcol version 0.124.1'\n")
    res = _in(tmp_path, ["--collector-version", "./chatty", str(_cfg(tmp_path))])
    assert res.returncode == ExitCode.USAGE and "names no release" in res.stderr, res.stderr
