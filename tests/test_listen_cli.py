"""`otdiag listen` as a user runs it: a process that shows spans, answers queries, and sums up on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from otdiag.model import ExitCode
from tests.cli_runner import run
from tests.peers import REPO, free_port
from tests.sdk_app import send_span


@dataclass
class ListenProc:
    proc: subprocess.Popen[str]
    grpc: str
    http: str
    query_url: str

    def interrupt(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        os.kill(self.proc.pid, sig)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out, err


@contextmanager
def listen_process(*extra: str) -> Iterator[ListenProc]:
    grpc, http, query = (f"127.0.0.1:{free_port()}" for _ in range(3))
    argv = [sys.executable, "-m", "otdiag", "listen", "--grpc-endpoint", grpc, "--http-endpoint", http,
            "--query-endpoint", query, *extra]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://{query}/api/v3/services", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            assert proc.poll() is None, proc.communicate()
        yield ListenProc(proc, grpc, http, f"http://{query}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def test_json_lines_then_summary_on_ctrl_c() -> None:
    with listen_process("--json-lines") as lp:
        tid = send_span(lp.grpc, service="shop", name="checkout", children=1)
        send_span(lp.http, protocol="http", service="shop", name="pay")
        # The query API answers for the trace at once.
        doc = httpx.get(f"{lp.query_url}/api/v3/traces/{tid}").json()
        assert len(doc["result"]["resourceSpans"]) == 2
        code, out, err = lp.interrupt()
    assert code == ExitCode.INTERRUPTED, err
    lines = [json.loads(line) for line in out.splitlines()]
    spans = [line for line in lines if line["type"] == "span"]
    assert sorted(s["name"] for s in spans) == ["checkout", "checkout-child-0", "pay"]
    assert {s["transport"] for s in spans} == {"grpc", "http/protobuf"}
    child = next(s for s in spans if s["name"] == "checkout-child-0")
    assert child["trace_id"] == tid and child["parent_span_id"]
    summary = lines[-1]
    assert summary["type"] == "summary"
    assert summary["spans"] == 3 and summary["traces"] == 2
    assert summary["services"] == {"shop": 3}
    assert summary["findings"] == []
    assert "Summary" in err and "Traceback" not in err


def test_human_display_and_problems_in_the_summary() -> None:
    with listen_process() as lp:
        body = {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "unknown_service:python"}}]},
                    "scopeSpans": [{"spans": [
                        {"traceId": "00000000000000000000000000000000", "spanId": "1111111111111111", "name": "zero"},
                        {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "2222222222222222",
                         "parentSpanId": "3333333333333333", "name": "orphan", "startTimeUnixNano": "1",
                         "endTimeUnixNano": "2"},
                    ]}],
                }
            ]
        }  # fmt: skip
        r = httpx.post(f"http://{lp.http}/v1/traces", json=body)
        assert r.status_code == 200
        time.sleep(0.5)
        code, out, err = lp.interrupt(signal.SIGTERM)
    assert code == ExitCode.INTERRUPTED
    assert "orphan" in out and "unknown_service:python" in out
    for code_name in ("app.zero-trace-id", "trace.unknown-service", "trace.orphan-spans"):
        assert code_name in err, err


def test_stop_after_exits_0() -> None:
    res = run("listen", "--grpc-endpoint", f"127.0.0.1:{free_port()}", "--http-endpoint", "off",
              "--query-endpoint", "off", "--stop-after", "0.5s")  # fmt: skip
    assert res.exit_code == ExitCode.OK
    assert "0 traces, 0 spans from 0 services" in res.stderr


def test_bad_addresses_are_usage_errors() -> None:
    for args, text in (
        (["--grpc-endpoint", ":4317"], "has no host"),
        (["--http-endpoint", "127.0.0.1:99999"], "not a port number"),
        (["--query-endpoint", "localhost"], "must be HOST:PORT"),
        (["--grpc-endpoint", "off", "--http-endpoint", "off"], "nothing would receive"),
        (["--max-spans", "0"], "at least 1"),
    ):
        res = run("listen", *args, env={"COLUMNS": "1000"})  # one line at 1000 columns (it wraps when narrower)
        assert res.exit_code == ExitCode.USAGE, (args, res.stderr)
        assert text in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


def test_summary_uses_find_traces_analysis_for_skew_and_several_roots() -> None:
    from tests.otlp_craft import S, new_id
    from tests.otlp_craft import send as send_otlp

    now, tid = time.time_ns(), new_id(16)
    root = new_id(8)
    with listen_process("--json-lines") as lp:
        send_otlp(lp.http, [
            S(tid, root, "handle", "api", now - 100_000_000, now - 50_000_000),
            S(tid, new_id(8), "query", "db", now - 130_000_000, now - 60_000_000, parent=root),
            S(tid, new_id(8), "second-root", "api", now - 10_000_000, now),
        ])  # fmt: skip
        code, out, _err = lp.interrupt()
    assert code == ExitCode.INTERRUPTED
    doc = json.loads(out.splitlines()[-1])
    assert doc["type"] == "summary"
    codes = {f["code"]: f for f in doc["findings"]}
    assert {"trace.clock-skew", "trace.several-roots"} <= set(codes), codes
    assert tid in codes["trace.clock-skew"]["message"]
