"""The human view's width and colour as the environment asks: COLUMNS, the terminal, 80; NO_COLOR, FORCE_COLOR.

Each case runs otdiag as a user does, its output into a pipe (as `| less` or `| cat`), in a session of its
own (no controlling terminal) unless a pty stands for the user's terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from otdiag.render import human
from tests.peers import REPO, free_port

ESC = "\x1b["
_DROPPED = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE")

APP = """\
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(timeout=5)))
trace.set_tracer_provider(provider)
with trace.get_tracer("tiny").start_as_current_span("tiny work"):
    pass
provider.shutdown()
"""

TABBED = "receivers:\n  otlp:\n    protocols:\n\t  grpc:\nexporters:\n  debug:\n"


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED and not k.startswith(("OTEL_", "OTDIAG_"))}
    env.update({"PYTHONPATH": str(REPO), **extra})
    return env


def _run(env_extra: dict[str, str], *args: str, cwd: Path = REPO, **popen: Any) -> subprocess.CompletedProcess[str]:
    """otdiag with stdout and stderr into pipes, no stdin and no controlling terminal."""
    cmd = [sys.executable, "-m", "otdiag", *args]
    kw: dict[str, Any] = {
        "stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "start_new_session": True,
        **popen,
    }  # fmt: skip
    return subprocess.run(cmd, text=True, env=_env(env_extra), cwd=cwd, timeout=90, check=False, **kw)


def _commands(tmp: Path) -> dict[str, list[str]]:
    """One real invocation of each kind of output: probes, a config report, a table, a search, a run."""
    dead = f"http://127.0.0.1:{free_port()}"
    (tmp / "tabbed.yaml").write_text(TABBED)
    (tmp / "app.py").write_text(APP)
    return {
        "check": ["check", "--endpoint", dead, "--jaeger-url", dead, "--timeout", "1s", "--no-e2e"],
        "validate-config": ["validate-config", str(tmp / "tabbed.yaml")],
        "explain": ["explain", "--list"],
        "explain-code": ["explain", "ingest.refused"],
        "find-trace": ["find-trace", "--service", "shop", "--jaeger-url", dead, "--timeout", "1s"],
        "run": ["run", "--grace", "0.3s", "--", sys.executable, "app.py"],
    }


COMMANDS = ("check", "validate-config", "explain", "explain-code", "find-trace", "run")


def _widest(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _words(text: str) -> set[str]:
    """The words of an output, with what changes from run to run (IDs, ports, times) made equal."""
    text = re.sub(r"\b[0-9a-f]{16,32}\b", "ID", text)
    return set(re.sub(r"\d+(\.\d+)?", "N", text).split())


@pytest.mark.parametrize("command", COMMANDS)
def test_a_pipe_with_no_terminal_and_no_columns_is_80_wide_and_wraps_between_words(
    command: str, tmp_path: Path
) -> None:
    args = _commands(tmp_path)[command]
    narrow = _run({}, *args, cwd=tmp_path)
    out = narrow.stdout + narrow.stderr
    assert out.strip(), narrow
    assert _widest(out) <= 80, out
    wide = _run({"COLUMNS": "1000"}, *args, cwd=tmp_path)
    assert _widest(wide.stdout + wide.stderr) > 80, "the case must have lines longer than 80 columns to wrap"
    cut = _words(out) - _words(wide.stdout + wide.stderr)
    assert not cut, f"words cut or changed at 80 columns: {sorted(cut)}\n{out}"
    assert ESC not in out, "a pipe is not styled"
    assert narrow.returncode == wide.returncode


@pytest.mark.parametrize("command", COMMANDS)
def test_columns_60_bounds_every_line(command: str, tmp_path: Path) -> None:
    res = _run({"COLUMNS": "60"}, *_commands(tmp_path)[command], cwd=tmp_path)
    out = res.stdout + res.stderr
    assert out.strip() and _widest(out) <= 60, out


@pytest.mark.parametrize("command", COMMANDS)
def test_no_color_means_no_escape_at_all_and_force_color_styles_a_pipe(command: str, tmp_path: Path) -> None:
    args = _commands(tmp_path)[command]
    forced = _run({"FORCE_COLOR": "1"}, *args, cwd=tmp_path)
    assert ESC in forced.stdout + forced.stderr, forced
    for env in ({"NO_COLOR": "1"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}):
        res = _run(env, *args, cwd=tmp_path)
        assert "\x1b" not in res.stdout + res.stderr, (env, res.stdout + res.stderr)
        assert res.returncode == forced.returncode


def test_no_color_even_on_a_bad_invocation() -> None:
    res = _run({"NO_COLOR": "1", "FORCE_COLOR": "1"}, "send-test-span", "--endpoint", "127.0.0.1:9:9")
    assert res.returncode == 2
    assert "\x1b" not in res.stdout + res.stderr
    assert "otdiag:" in res.stderr


@pytest.mark.parametrize(
    ("columns", "width"),
    [(None, 80), ("60", 60), ("100", 100), ("0", 80), ("-5", 80), ("wide", 80), (" 72 ", 72), ("99999", 1000),
     ("3", 20)],
)  # fmt: skip
def test_columns_then_80_with_garbage_ignored_and_absurd_values_clamped(columns: str | None, width: int) -> None:
    code = "from otdiag.render import human; print(human.columns(), human.make_console().width)"
    env = {} if columns is None else {"COLUMNS": columns}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(env), stdin=subprocess.DEVNULL,
        start_new_session=True, timeout=30, check=True,
    )  # fmt: skip
    assert proc.stdout.split() == [str(width), str(width)]


def _pty(cols: int) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    return master, slave


def _drain(fd: int) -> threading.Thread:
    """Read the pty's master side until the child closes it, so a chatty child never blocks on it."""

    def read() -> None:
        try:
            while os.read(fd, 65536):
                pass
        except OSError:
            pass

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _on_pty(setup: Callable[[int], dict[str, Any]], env: dict[str, str], tmp: Path) -> str:
    master, slave = _pty(100)
    try:
        reader = _drain(master)
        res = _run(env, *_commands(tmp)["check"], cwd=tmp, **setup(slave))
    finally:
        os.close(slave)
    reader.join(timeout=10)
    os.close(master)
    assert res.returncode in (0, 1), res
    return res.stdout


def test_stdout_piped_follows_the_terminal_on_stderr(tmp_path: Path) -> None:
    out = _on_pty(lambda slave: {"stderr": slave}, {}, tmp_path)
    assert 80 < _widest(out) <= 100, out


def test_stdout_piped_follows_the_controlling_terminal(tmp_path: Path) -> None:
    """stdin, stdout and stderr are not terminals; /dev/tty (the terminal the user sits at) is 100 wide."""

    def controlling(slave: int) -> dict[str, Any]:
        def become() -> None:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        return {"start_new_session": False, "preexec_fn": become, "pass_fds": (slave,)}

    out = _on_pty(controlling, {}, tmp_path)
    assert 80 < _widest(out) <= 100, out
    assert _widest(_on_pty(controlling, {"COLUMNS": "70"}, tmp_path)) <= 70, "COLUMNS wins over the terminal"


def test_an_unsized_terminal_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        assert human._fd_columns(slave) is None
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
        assert human._fd_columns(slave) == 132
    finally:
        os.close(slave)
        os.close(master)
