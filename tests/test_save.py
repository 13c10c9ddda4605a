"""`listen --save` and `run --save`: what an app sent, as OTLP JSON lines that `otdiag replay` reads back."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from otdiag.errors import UsageError
from otdiag.listen.save import SaveFile
from otdiag.replay import spans
from tests import peers
from tests.cli_runner import run

APP = Path(__file__).resolve().parent / "apps" / "traced.py"


def test_listen_save_writes_what_replay_reads(tmp_path: Path) -> None:
    saved = tmp_path / "spans.jsonl"
    grpc, http = peers.free_port(), peers.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "otdiag", "listen", "--grpc-endpoint", f"127.0.0.1:{grpc}",
         "--http-endpoint", f"127.0.0.1:{http}", "--query-endpoint", "off", "--quiet",
         "--save", str(saved), "--stop-after", "20s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while not peers.port_open("127.0.0.1", http) and time.monotonic() < deadline:
            time.sleep(0.1)
        for name in ("first", "second"):
            got = run("send-test-span", "--endpoint", f"http://127.0.0.1:{http}", "--protocol", "http/protobuf",
                      "--span-name", name)  # fmt: skip
            assert got.exit_code == 0, got.stderr
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert b"saved 2 request(s)" in err
    names = [s.name for _, s in spans.iter_spans(spans.from_file(str(saved)))]
    assert names == ["first", "second"]
    assert len(saved.read_text().splitlines()) == 2


def test_run_save_records_the_apps_requests(tmp_path: Path) -> None:
    saved = tmp_path / "app.jsonl"
    got = run("run", "--json", "--save", str(saved), "--", sys.executable, str(APP), "good", "3")
    assert got.exit_code == 0, got.stderr
    names = sorted(s.name for _, s in spans.iter_spans(spans.from_file(str(saved))))
    assert names == ["GET /orders", "SELECT orders 0", "SELECT orders 1"]


def test_save_is_bounded_and_refuses_devices(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file"):
        SaveFile("/dev/zero")
    req, _, _ = spans.from_specs(["name=" + "x" * 500])
    small = SaveFile(str(tmp_path / "small.jsonl"), max_bytes=1000)
    small(req)
    small(req)
    small.close()
    assert (small.requests, small.skipped) == (1, 1)
    assert (tmp_path / "small.jsonl").stat().st_size <= 1000
