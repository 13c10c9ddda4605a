"""The README's quick start, as a newcomer runs it: listen, send-test-span, find-trace, check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from tests import peers


def test_listen_then_send_then_find_then_check() -> None:
    grpc, http, query = (peers.addr(peers.free_port()) for _ in range(3))
    listener = subprocess.Popen(
        [sys.executable, "-m", "otdiag", "listen", "--grpc-endpoint", grpc, "--http-endpoint", http,
         "--query-endpoint", query, "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not peers.port_open("127.0.0.1", int(query.rpartition(":")[2])):
            assert listener.poll() is None and time.monotonic() < deadline, listener.communicate(timeout=5)
            time.sleep(0.05)

        def otdiag(*args: str) -> subprocess.CompletedProcess[str]:
            env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
            return subprocess.run([sys.executable, "-m", "otdiag", *args], capture_output=True, text=True,
                                  timeout=60, env=env, check=False)  # fmt: skip

        sent = otdiag("send-test-span", "--endpoint", f"http://{http}", "--json")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        trace_id = json.loads(sent.stdout)["trace_id"]

        found = otdiag("find-trace", trace_id, "--jaeger-url", f"http://{query}", "--wait", "5s", "--json")
        assert found.returncode == 0, found.stdout + found.stderr
        doc = json.loads(found.stdout)
        assert doc["trace"]["spans"][0]["service"] == "otdiag"
        assert httpx.get(f"http://{query}/api/v3/services", timeout=5).json()["services"] == ["otdiag"]

        # check against the listener: no collector health or metrics there, but the span goes end to end.
        checked = otdiag("check", "--otlp-endpoint", f"http://{grpc}", "--protocol", "grpc",
                         "--jaeger-url", f"http://{query}", "--env-file", "/dev/null", "--json")  # fmt: skip
        report = json.loads(checked.stdout)
        assert checked.returncode == 0, report["findings"]
        assert {s["name"]: s["status"] for s in report["steps"]}["end-to-end"] == "pass"
    finally:
        listener.send_signal(signal.SIGINT)
        out, err = listener.communicate(timeout=20)
    assert listener.returncode == 130
    assert "2 traces, 2 spans" in out + err  # the test span and check's end-to-end span
