"""The human view's width and colour as the environment asks: COLUMNS, the terminal, 80; NO_COLOR, FORCE_COLOR.

Each case runs otdiag as a user does, its output into a pipe (as `| less` or `| cat`).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from otdiag.render import human
from tests.peers import REPO

ESC = "\x1b["


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TERM")}
    env.update({"PYTHONPATH": str(REPO), **env_extra})
    cmd = [sys.executable, "-m", "otdiag", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False)


@pytest.mark.parametrize(("columns", "width"), [(None, 80), ("60", 60), ("100", 100), ("0", 80), ("wide", 80)])
def test_a_pipe_follows_columns_then_80(monkeypatch: pytest.MonkeyPatch, columns: str | None, width: int) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)
    console = human.make_console()
    if console.is_terminal:
        pytest.skip("stdout is a terminal here")
    if columns is None and any(os.isatty(fd) for fd in (0, 1, 2)):
        pytest.skip("a terminal is attached: its width wins over 80")
    assert console.width == width


def test_with_columns_the_text_wraps_between_words_at_that_width() -> None:
    res = _run({"COLUMNS": "60"}, "send-test-span", "--endpoint", "http://127.0.0.1:9", "--timeout", "1s")
    lines = (res.stdout + res.stderr).splitlines()
    assert lines and max(len(line) for line in lines) <= 60, lines
    assert res.returncode == 1


def test_no_color_means_no_escape_at_all_even_bold() -> None:
    res = _run({"NO_COLOR": "1", "FORCE_COLOR": "1"}, "send-test-span", "--endpoint", "127.0.0.1:9:9")
    assert res.returncode == 2
    assert ESC not in res.stdout + res.stderr
    assert "otdiag:" in res.stderr


def test_force_color_styles_a_pipe_and_plain_pipes_stay_plain() -> None:
    forced = _run({"FORCE_COLOR": "1"}, "send-test-span", "--endpoint", "127.0.0.1:9:9")
    plain = _run({}, "send-test-span", "--endpoint", "127.0.0.1:9:9")
    assert ESC in forced.stderr
    assert ESC not in plain.stderr
    assert forced.returncode == plain.returncode == 2
