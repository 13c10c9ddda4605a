#!/usr/bin/env python3
"""Benchmark `otdiag check`: a healthy real pipeline against its floor, and dead pipelines against the timeout.

Floor: an oracle sends one span through the real collector with the SDK and
polls Jaeger every 10 ms until it is queryable; that time is the least any
end-to-end check can take. Goal: check's wall <= floor + 0.3 s (its process
start-up included, which the oracle does not pay).
Dead (nothing listening) and black-holed (connects never answered) pipelines:
goal wall <= 1.2 x --timeout.

Usage: python3 scripts/bench_check.py [--repeat 5] [--timeout 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import hostile, peers  # noqa: E402
from tests.sdk_app import send_span  # noqa: E402


def oracle(collector: peers.Collector, jaeger: peers.Jaeger) -> float:
    assert collector.otlp_grpc
    started = time.perf_counter()
    tid = send_span(collector.otlp_grpc, service="oracle")
    with httpx.Client(timeout=2) as client:
        while client.get(f"{jaeger.query_url}/api/v3/traces/{tid}").status_code != 200:
            time.sleep(0.01)
    return time.perf_counter() - started


def run_check(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "otdiag", "check", "--json", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    return time.perf_counter() - started, json.loads(out.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    jb, cb = peers.locate("jaeger"), peers.locate("otelcol")
    if jb is None or cb is None:
        print("run scripts/install_peers.py first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="otdiag-bench-"))
    jaeger = peers.start_jaeger(jb, work)
    collector = peers.start_collector(cb, work, peers.collector_config(jaeger.otlp_grpc))
    try:
        env = {
            "OTEL_SERVICE_NAME": "bench",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_grpc}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        }
        args = [
            "--jaeger-url",
            jaeger.query_url,
            "--collector-health-url",
            str(collector.health_url),
            "--collector-metrics-url",
            str(collector.metrics_url),
        ]
        floors = [oracle(collector, jaeger) for _ in range(a.repeat)]
        walls, visible = [], []
        for _ in range(a.repeat):
            wall, doc = run_check(args, env)
            assert doc["ok"], doc["findings"]
            walls.append(wall)
            visible.append(float(str(doc["time_to_visible_ms"])) / 1000)
        help_wall = statistics.median(
            time.perf_counter() - t0
            for t0 in [time.perf_counter()]
            for _ in [subprocess.run([sys.executable, "-m", "otdiag", "--help"], capture_output=True, check=False)]
        )
        floor, wall = statistics.median(floors), statistics.median(walls)
        print(f"healthy pipeline ({a.repeat} runs, medians):")
        print(f"  floor (SDK span -> queryable, polled every 10 ms)   {floor * 1000:7.0f} ms")
        print(
            f"  otdiag check wall (whole command)                  {wall * 1000:7.0f} ms   "
            f"= floor + {(wall - floor) * 1000:.0f} ms (goal <= floor + 300 ms)"
        )
        print(f"  check's own time_to_visible                        {statistics.median(visible) * 1000:7.0f} ms")
        print(f"  python -m otdiag --help (start-up alone)           {help_wall * 1000:7.0f} ms")
    finally:
        collector.stop()
        jaeger.stop()

    print(f"\ndead and black-holed pipelines (--timeout {a.timeout:g}, goal <= {1.2 * a.timeout:.1f} s):")
    dead = [f"http://127.0.0.1:{peers.free_port()}" for _ in range(4)]
    wall, doc = run_check(
        [
            "--otlp-endpoint",
            dead[0],
            "--protocol",
            "grpc",
            "--jaeger-url",
            dead[1],
            "--collector-health-url",
            dead[2],
            "--collector-metrics-url",
            dead[3] + "/metrics",
            "--timeout",
            f"{a.timeout:g}s",
        ],
        {},
    )
    print(f"  nothing listening   {wall:5.2f} s  first error {doc['findings'][0]['code']}")
    with hostile.black_hole() as p1, hostile.black_hole() as p2, hostile.black_hole() as p3:
        wall, doc = run_check(
            [
                "--otlp-endpoint",
                f"http://127.0.0.1:{p1}",
                "--protocol",
                "grpc",
                "--jaeger-url",
                f"http://127.0.0.1:{p2}",
                "--collector-health-url",
                f"http://127.0.0.1:{p3}",
                "--collector-metrics-url",
                f"http://127.0.0.1:{p3}/metrics",
                "--timeout",
                f"{a.timeout:g}s",
            ],
            {},
        )
    print(f"  black holes         {wall:5.2f} s  first error {doc['findings'][0]['code']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
