"""Narrow terminals and pipes, as a user runs otdiag: every command at COLUMNS=40, 60 and 80, into pipes, in a
session of its own (setsid, no terminal).

No line is wider than the width (but for a line that ends in one URL or ID, which is never cut), and no word is
cut: the words of a narrow run are those of a COLUMNS=1000 run, or pieces of one that end at a natural separator
(`,` `=` `/` `_`), or a location shortened from the left (`…/file.py:6:1`). FORCE_COLOR into a pipe styles the
output but draws no live display (no spinner frames, no cursor codes).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from otdiag.render import human
from tests.peers import REPO, free_port

WIDTHS = (40, 60, 80)
SEPARATORS = ",=/_:"
_DROPPED = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_UNBREAKABLE = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[0-9a-f]{16,}|[\w-]+(\.[\w-]+){2,}(:\d+)?", re.I)
"""What may overflow a line, alone after a short lead: a URL, an ID, a host[:port]."""
SPINNER_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

APP = """\
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

provider = TracerProvider(sampler=ALWAYS_OFF)
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(timeout=5)))
trace.set_tracer_provider(provider)
with trace.get_tracer("a_rather_long_instrumentation_scope_name").start_as_current_span("work"):
    pass
provider.shutdown()
"""

CONFIG = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
exporters:
  otlp_grpc/jaeger_with_a_long_name:
    endpoint: jaeger-collector.observability.svc.cluster.local:4317
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp_grpc/jaeger_with_a_long_name]
"""


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED and not k.startswith(("OTEL_", "OTDIAG_"))}
    env.update({"PYTHONPATH": str(REPO), **extra})
    return env


def _otdiag(args: list[str], extra: dict[str, str], cwd: Path, **popen: Any) -> subprocess.Popen[str]:
    """otdiag with stdout and stderr into pipes, no stdin and no controlling terminal (a session of its own)."""
    return subprocess.Popen(
        [sys.executable, "-m", "otdiag", *args], text=True, env=_env(extra), cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **popen,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out + err


def _listen(extra: dict[str, str], tmp: Path) -> tuple[int, str]:
    """`listen` for a moment, with one request it refuses (a POST to a path no receiver has)."""
    grpc, http = free_port(), free_port()
    args = ["listen", "--grpc-endpoint", f"127.0.0.1:{grpc}", "--http-endpoint", f"127.0.0.1:{http}",
            "--query-endpoint", "off", "--stop-after", "3s"]  # fmt: skip
    proc = _otdiag(args, extra, tmp)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", http), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    # The receivers take requests a moment before the live display subscribes (the banner is printed
    # between): a request in that moment is summarised but not shown live. Wait for the display.
    time.sleep(1.0)
    req = urllib.request.Request(f"http://127.0.0.1:{http}/v1/trace", data=b"\x00", method="POST",
                                 headers={"Content-Type": "application/x-protobuf"})  # fmt: skip
    with contextlib.suppress(urllib.error.HTTPError):  # refused: what the test is about
        urllib.request.urlopen(req, timeout=3).close()
    return _finish(proc)


def _cases(tmp: Path) -> dict[str, list[str]]:
    dead = f"http://127.0.0.1:{_DEAD}"
    (tmp / "app.py").write_text(APP)
    (tmp / "collector_config_with_a_long_file_name.yaml").write_text(CONFIG)
    return {
        "check": ["check", "--otlp-endpoint", dead, "--jaeger-url", dead, "--timeout", "1s", "--no-e2e"],
        "run": ["run", "--grace", "0.3s", "--", sys.executable, "app.py"],
        "send-test-span": ["send-test-span", "--endpoint", dead, "--timeout", "1s"],
        "validate-config": ["validate-config", "collector_config_with_a_long_file_name.yaml"],
        "usage-header": ["send-test-span", "--header", "X-Long-Header-Name=value\nInjected: yes"],
        "usage-duration": ["check", "--timeout", "nope"],
        "usage-click": ["send-test-span", "--protocol", "carrier-pigeon"],
    }


_DEAD = free_port()
COMMANDS = ("check", "run", "send-test-span", "validate-config", "usage-header", "usage-duration", "usage-click",
            "listen")  # fmt: skip


def _output(command: str, extra: dict[str, str], tmp: Path) -> tuple[int, str]:
    if command == "listen":
        return _listen(extra, tmp)
    return _finish(_otdiag(_cases(tmp)[command], extra, tmp))


def _normal(word: str) -> str:
    """A word with what changes from run to run (IDs, ports, times) made equal."""
    return re.sub(r"\d+(\.\d+)?", "N", re.sub(r"[0-9a-f]{16,32}", "ID", word))


def _cut_words(narrow: str, wide: str) -> list[str]:
    """Words of the narrow output that are no word of the wide one, nor a piece of one cut at a separator."""
    wide_words = {_normal(w) for w in wide.split()}
    # A code frame shows a window of the source line, cut with … marks to fit: that is its design.
    narrow = "\n".join(line for line in narrow.splitlines() if " │ " not in line)
    cut = []
    for word in map(_normal, narrow.split()):
        if word in wide_words:
            continue
        if word.startswith("…/") and any(w.endswith(word[1:]) for w in wide_words):
            continue  # a location shortened from the left
        if any(_separator_piece(word, w) for w in wide_words):
            continue
        cut.append(word)
    return cut


def _separator_piece(piece: str, word: str) -> bool:
    at = word.find(piece)
    while at >= 0:
        starts = at == 0 or word[at - 1] in SEPARATORS
        ends = at + len(piece) == len(word) or piece[-1] in SEPARATORS
        if starts and ends:
            return True
        at = word.find(piece, at + 1)
    return False


def _too_wide(text: str, width: int) -> list[str]:
    """Lines over the width, but for one that ends in a URL or an ID after a short lead (never cut)."""
    bad = []
    for line in text.splitlines():
        if cell_len(line) <= width:
            continue
        *lead, last = line.split()
        if _UNBREAKABLE.fullmatch(last.strip("()[],.;:'\"")) and cell_len(" ".join(lead)) <= width // 2:
            continue
        bad.append(line)
    return bad


@pytest.fixture(scope="module")
def wide_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    tmp = tmp_path_factory.mktemp("wide")
    return {command: _output(command, {"COLUMNS": "1000"}, tmp) for command in COMMANDS}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_line_over_the_width_and_no_word_cut(
    command: str, width: int, wide_runs: dict[str, tuple[int, str]], tmp_path: Path
) -> None:
    code, out = _output(command, {"COLUMNS": str(width)}, tmp_path)
    wide_code, wide = wide_runs[command]
    assert out.strip() and code == wide_code, (code, wide_code, out)
    assert "\x1b" not in out, "a pipe is not styled"
    assert not _too_wide(out, width), out
    assert not _cut_words(out, wide), f"words cut at {width} columns: {_cut_words(out, wide)}\n{out}"
    if width == 40 and command in ("check", "listen", "usage-header"):
        assert max(cell_len(line) for line in wide.splitlines()) > width, "the case has lines to wrap"


def test_the_cases_show_what_they_are_about(wide_runs: dict[str, tuple[int, str]]) -> None:
    """The cases hold what the narrow checks are about: refused requests, sampler names, env names, a location."""
    assert "refused" in wide_runs["listen"][1], wide_runs["listen"][1]
    run_out = wide_runs["run"][1]
    assert "AlwaysOffSampler" in run_out and "OTEL_EXPORTER_OTLP_ENDPOINT=" in run_out and "app.py:7:1" in run_out
    assert wide_runs["usage-header"][0] == 2 and wide_runs["usage-click"][0] == 2


@pytest.mark.parametrize("command", ("usage-header", "usage-duration", "usage-click"))
def test_a_usage_error_wraps_under_otdiag_and_reads_as_the_one_line(command: str, tmp_path: Path) -> None:
    code, narrow = _output(command, {"COLUMNS": "40"}, tmp_path)
    _, wide = _output(command, {"COLUMNS": "1000"}, tmp_path)
    assert code == 2 and len(wide.strip().splitlines()) == 1
    lines = narrow.rstrip("\n").splitlines()
    assert len(lines) > 1 and lines[0].startswith("otdiag: ")
    assert all(line.startswith(" " * len("otdiag: ")) for line in lines[1:]), "a hanging indent under the message"
    assert " ".join(line.strip() for line in lines) == " ".join(wide.split())


@pytest.mark.parametrize("command", ("check", "send-test-span", "run"))
def test_force_color_into_a_pipe_is_colour_without_a_live_display(command: str, tmp_path: Path) -> None:
    code, out = _output(command, {"FORCE_COLOR": "1", "COLUMNS": "80"}, tmp_path)
    assert _SGR.search(out), "FORCE_COLOR styles a pipe"
    assert "\x1b[?25l" not in out and "\r" not in out, "no cursor codes"
    assert not any(frame in out for frame in SPINNER_FRAMES), "no spinner frames"
    plain_code, plain = _output(command, {"NO_COLOR": "1", "COLUMNS": "80"}, tmp_path)
    assert code == plain_code and "\x1b" not in plain


# --- the wrapping rules themselves, on a console of a given width ----------------------------------------


def _hang(width: int, lead: str, body: str) -> list[str]:
    console = human.make_console(width=width, no_color=True)
    console.file = io.StringIO()
    human.hang(console, lead, body)
    text = console.file.getvalue()
    assert isinstance(text, str)
    return text.splitlines()


def test_a_location_is_never_split_and_is_shortened_from_the_left() -> None:
    path = "/root/.cache/otdiag/apps/node-0123456789abcdef/cases/export_fault/app.cjs"
    lines = _hang(40, "  ✗ ", f"The export failed at {path}:6:1 (app.export-failed)")
    assert any(line.strip().startswith("…/") and line.rstrip().endswith("app.cjs:6:1") for line in lines), lines
    assert all(cell_len(line) <= 40 for line in lines), lines
    short = _hang(40, "  ✗ ", "The export failed here (app.export-failed) node_fault.cjs:15:1")
    assert any(line.strip() == "node_fault.cjs:15:1" for line in short), short


def test_long_tokens_break_only_at_separators_and_urls_overflow_whole() -> None:
    lines = _hang(40, "  ", "set for the app: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:4318/v1/traces")
    assert "  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=" in lines and "  http://127.0.0.1:4318/v1/traces" in lines, lines
    url = "https://jaeger.example.com/trace/4bf92f3577b34da6a3ce929d0e0e4736?uiFind=00f067aa0ba902b7"
    assert f"  {url}" in _hang(40, "  ", f"open {url} to see it"), "a URL is never cut"
    sampler = _hang(30, "    ", "sampler ParentBased{root:AlwaysOffSampler,remoteParentSampled:AlwaysOnSampler}")
    assert sampler[1:] == [
        "    ParentBased{root:",
        "    AlwaysOffSampler,",
        "    remoteParentSampled:",
        "    AlwaysOnSampler}",
    ]


def test_a_step_table_at_40_columns_stacks_the_detail_under_the_name() -> None:
    lines = _hang(40, f"  ✗ {'collector-otlp-http':<22} ", "Nothing listens at 127.0.0.1:1 (connection refused).")
    assert lines[0] == "  ✗ collector-otlp-http"
    assert all(line.startswith("      ") and cell_len(line) <= 40 for line in lines[1:]), lines
    assert " ".join(" ".join(lines[1:]).split()) == "Nothing listens at 127.0.0.1:1 (connection refused)."
    wide = _hang(80, f"  ✗ {'collector-otlp-http':<22} ", "Nothing listens at 127.0.0.1:1 (connection refused).")
    assert len(wide) == 1, "at 80 columns the table keeps its two columns"
