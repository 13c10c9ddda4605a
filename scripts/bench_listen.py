#!/usr/bin/env python3
"""Benchmark `otdiag listen`: spans per second it accepts over OTLP/gRPC and OTLP/HTTP, and its memory.

Starts `otdiag listen --quiet` on free loopback ports, drives it with
`otdiag send-test-span --count N` (otdiag's load mode) and, when installed,
with telemetrygen, then reads the listener's resident memory once the store
is full (--max-spans). Prints figures; asserts nothing.

    python3 scripts/bench_listen.py [--spans 200000] [--max-spans 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else float("nan")


def otdiag(*args: str) -> list[str]:
    return [sys.executable, "-m", "otdiag", *args]


def send_load(endpoint: str, protocol: str, spans: int, batch: int, concurrency: int) -> dict[str, float]:
    argv = otdiag("send-test-span", "--endpoint", endpoint, "--protocol", protocol, "--count", str(spans),
                  "--batch-size", str(batch), "--concurrency", str(concurrency), "--timeout", "30s",
                  "--json")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, check=False, timeout=900)
    doc = json.loads(out.stdout)
    return {
        "accepted": doc["accepted"],
        "seconds": doc["duration_ms"] / 1000,
        "rate": doc["spans_per_second"],
    }


def telemetrygen(endpoint: str, http: bool, spans: int, workers: int) -> dict[str, float] | None:
    sys.path.insert(0, str(REPO))
    from tests.peers import locate

    binary = locate("telemetrygen")
    if binary is None:
        return None
    argv = [str(binary), "traces", "--otlp-endpoint", endpoint, "--otlp-insecure", "--traces",
            str(max(1, spans // workers)), "--workers", str(workers), "--child-spans", "0",
            "--rate", "0"]  # fmt: skip
    if http:
        argv.append("--otlp-http")
    started = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=900)
    took = time.monotonic() - started
    if out.returncode != 0:
        print(f"  telemetrygen failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    sent = max(1, spans // workers) * workers
    return {"accepted": sent, "seconds": took, "rate": sent / took}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=200_000, help="spans per load run")
    parser.add_argument("--max-spans", type=int, default=100_000, help="the listener's --max-spans")
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    grpc, http, query = (f"127.0.0.1:{free_port()}" for _ in range(3))
    import tempfile

    log = tempfile.TemporaryFile()  # noqa: SIM115 - read back after the listener exits
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    listen = subprocess.Popen(
        otdiag("listen", "--quiet", "--grpc-endpoint", grpc, "--http-endpoint", http,
               "--query-endpoint", query, "--max-spans", str(args.max_spans)),
        stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(tuple(query.split(":")), timeout=0.2).close()  # type: ignore[arg-type]
                break
            except OSError:
                time.sleep(0.1)
        idle = rss_mib(listen.pid)
        print(f"otdiag listen (pid {listen.pid}), --max-spans {args.max_spans}; idle RSS {idle:.0f} MiB")
        print(f"load: {args.spans} spans per run, batches of {args.batch}, {args.concurrency} in flight")
        for protocol, endpoint in (("grpc", f"http://{grpc}"), ("http/protobuf", f"http://{http}"),
                                   ("http/json", f"http://{http}")):  # fmt: skip
            r = send_load(endpoint, protocol, args.spans, args.batch, args.concurrency)
            print(f"  send-test-span {protocol:<14} {r['accepted']:>8.0f} spans in {r['seconds']:6.2f}s "
                  f"= {r['rate']:>8.0f} spans/s   RSS {rss_mib(listen.pid):.0f} MiB")  # fmt: skip
        for name, endpoint, is_http in (("grpc", grpc, False), ("http", http, True)):
            r2 = telemetrygen(endpoint, is_http, args.spans, 4)
            if r2 is None:
                print(f"  telemetrygen {name}: not installed (scripts/install_peers.py)")
                continue
            print(f"  telemetrygen {name:<16} {r2['accepted']:>8.0f} spans in {r2['seconds']:6.2f}s "
                  f"= {r2['rate']:>8.0f} spans/s generated (telemetrygen drops what its queue cannot "
                  "hold: see the listener's own count below)")  # fmt: skip
        full = rss_mib(listen.pid)
        print(f"memory with the store full ({args.max_spans} spans held): RSS {full:.0f} MiB")
    finally:
        listen.send_signal(signal.SIGINT)
        try:
            listen.wait(30)
        except subprocess.TimeoutExpired:
            listen.kill()
            listen.wait(5)
        log.seek(0)
        counted = re.search(rb"(\d+) trace\(s\), (\d+) span\(s\)", log.read())
        if counted:
            print(f"the listener's own count: {int(counted.group(2))} spans received in total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
