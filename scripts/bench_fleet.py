#!/usr/bin/env python3
"""Benchmark check across collectors: `--prometheus-url` over 100+ instances, and a healthy 2-tier pipeline.

1. Fleet: one real collector scraped by a real Prometheus under --instances instance labels (half
   tier "agent", half "gateway", by static target labels), plus a second collector whose exporter
   fails, under 10 more. Measures `otdiag check --no-e2e --prometheus-url` (the whole command, its
   start-up included) against the goal of 2 s, and the fleet step alone.
2. Two tiers: App -> agent -> gateway -> Jaeger, all real. Floor: an oracle sends one span to the
   agent with the SDK and polls Jaeger every 10 ms. Goal: `check --config agent --config gateway`
   within floor + 0.3 s.

Usage: python3 scripts/bench_fleet.py [--repeat 5] [--instances 100]
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
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import peers  # noqa: E402
from tests.sdk_app import send_span  # noqa: E402


def _tier(exporters: dict[str, Any]) -> peers.Config:
    cfg = peers.collector_config(None)
    cfg["exporters"] = exporters
    cfg["service"]["pipelines"]["traces"]["exporters"] = list(exporters)
    return cfg


def _plain(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {"endpoint": endpoint, "tls": {"insecure": True}, **extra}


def fleet_config(healthy: str, broken: str, n: int) -> dict[str, Any]:
    """One scrape job per tier; each instance label is its own target (Prometheus keys targets by labels)."""
    jobs: dict[str, list[dict[str, Any]]] = {"agent": [], "gateway": []}
    for i in range(n):
        tier = "agent" if i % 2 else "gateway"
        jobs[tier].append({"targets": [healthy], "labels": {"instance": f"collector-{i:03d}"}})
    for i in range(10):
        jobs["gateway"].append({"targets": [broken], "labels": {"instance": f"broken-{i:02d}"}})
    return {
        "global": {"scrape_interval": "5s", "scrape_timeout": "4s"},
        "scrape_configs": [{"job_name": job, "static_configs": groups} for job, groups in jobs.items()],
    }


def _wait4(argv: list[str]) -> tuple[float, float, str]:
    """(wall, CPU user+sys seconds, stdout) of one command; exit 0 or 1 (problems found) both fine."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        rc = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if rc not in (0, 1):
        raise SystemExit(f"failed ({rc}): {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime, text


def otdiag(*args: str) -> tuple[float, float, dict[str, Any]]:
    """Wall time, CPU time and JSON report of one `otdiag check`."""
    wall, cpu, out = _wait4([sys.executable, "-m", "otdiag", "check", "--json", *args])
    return wall, cpu, json.loads(out)


def startup() -> tuple[float, float]:
    """`python -m otdiag --help`: what any otdiag command pays before its first probe, on this machine now."""
    wall, cpu, _ = _wait4([sys.executable, "-m", "otdiag", "--help"])
    return wall, cpu


def main() -> int:  # noqa: PLR0915 - a benchmark script: set up, measure, print, read top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--instances", type=int, default=100)
    a = ap.parse_args()
    jb, cb, pb = peers.locate("jaeger"), peers.locate("otelcol"), peers.locate("prometheus")
    if jb is None or cb is None or pb is None:
        print("run scripts/install_peers.py first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="otdiag-bench-fleet-"))
    started: list[Any] = []
    try:
        jaeger = peers.start_jaeger(jb, work)
        started.append(jaeger)
        healthy = peers.start_collector(cb, work, _tier({"otlp/jaeger": _plain(jaeger.otlp_grpc)}))
        broken = peers.start_collector(
            cb, work, _tier({"otlp/jaeger": _plain("127.0.0.1:1", retry_on_failure={"enabled": False})})
        )
        started += [healthy, broken]
        assert healthy.metrics_url and broken.metrics_url and broken.otlp_grpc
        for _ in range(3):
            send_span(broken.otlp_grpc, service="elsewhere")
        hp = healthy.metrics_url.removeprefix("http://").removesuffix("/metrics")
        bp = broken.metrics_url.removeprefix("http://").removesuffix("/metrics")
        prom = peers.start_prometheus(pb, work, fleet_config(hp, bp, a.instances))
        started.append(prom)
        total = a.instances + 10
        t0 = time.monotonic()
        prom.wait_for("up == 1", lambda r: len(r) >= total, timeout=60)
        prom.wait_for(
            '{__name__=~"otelcol_exporter_send_failed_spans(_total)?"} > 0', lambda r: len(r) >= 10, timeout=60
        )
        series = len(
            httpx.get(f"{prom.url}/api/v1/query", params={"query": '{__name__=~"otelcol_.*"}'}).json()["data"]["result"]
        )
        print(
            f"Prometheus scrapes {total} collector instances ({series} otelcol_* series),"
            f" ready after {time.monotonic() - t0:.0f}s"
        )
        args = ["--no-e2e", "--prometheus-url", prom.url, "--otlp-endpoint", f"http://{healthy.otlp_grpc}",
                "--protocol", "grpc", "--jaeger-url", jaeger.query_url, "--collector-health-url",
                str(healthy.health_url), "--collector-metrics-url", healthy.metrics_url]  # fmt: skip
        walls, cpus, steps, helps = [], [], [], []
        doc: dict[str, Any] = {}
        for _ in range(a.repeat):
            wall, cpu, doc = otdiag(*args)
            walls.append(wall)
            cpus.append(cpu)
            steps.append(next(s["duration_ms"] for s in doc["steps"] if s["name"] == "prometheus"))
            helps.append(startup()[0])
        instances = len(doc["fleet"]["instances"])
        first = next(f["code"] for f in doc["findings"] if f["severity"] == "error")
        wall = statistics.median(walls)
        print(f"fleet ({a.repeat} runs, medians; {instances} instances in the answer, first error {first}):")
        print(
            f"  otdiag check --prometheus-url wall    {wall * 1000:7.0f} ms"
            f"   (goal <= 2000 ms: {'met' if wall <= 2 else 'MISSED'}); CPU {statistics.median(cpus) * 1000:.0f} ms"
        )
        print(f"  its prometheus step (3 queries)       {statistics.median(steps):7.0f} ms")
        print(f"  python -m otdiag --help (start-up)    {statistics.median(helps) * 1000:7.0f} ms")
        print(f"  load average now                      {os.getloadavg()[0]:7.1f}")
        for p in started[1:]:
            p.stop()
        started = started[:1]

        gateway = peers.start_collector(cb, work, _tier({"otlp/jaeger": _plain(jaeger.otlp_grpc)}))
        agent = peers.start_collector(cb, work, _tier({"otlp/gateway": _plain(str(gateway.otlp_grpc))}))
        started += [gateway, agent]
        assert agent.otlp_grpc
        floors = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            tid = send_span(agent.otlp_grpc, service="oracle")
            with httpx.Client(timeout=2) as client:
                while client.get(f"{jaeger.query_url}/api/v3/traces/{tid}").status_code != 200:
                    time.sleep(0.01)
            floors.append(time.perf_counter() - t)
        env = work / "app.env"
        env.write_text(f"OTEL_SERVICE_NAME=bench\nOTEL_EXPORTER_OTLP_ENDPOINT=http://{agent.otlp_grpc}\n"
                       "OTEL_EXPORTER_OTLP_PROTOCOL=grpc\n")  # fmt: skip
        walls, cpus, e2es, helps = [], [], [], []
        for _ in range(a.repeat):
            tiers = ["--config", f"agent={agent.config_path}", "--config", f"gateway={gateway.config_path}"]
            wall, cpu, doc = otdiag("--env-file", str(env), *tiers, "--jaeger-url", jaeger.query_url)
            assert doc["ok"], doc["findings"]
            walls.append(wall)
            cpus.append(cpu)
            e2es.append(next(s["duration_ms"] for s in doc["steps"] if s["name"] == "end-to-end") / 1000)
            helps.append(startup()[0])
        floor, wall, e2e = statistics.median(floors), statistics.median(walls), statistics.median(e2es)
        print(f"healthy 2-tier pipeline ({a.repeat} runs, medians):")
        print(f"  floor (SDK span -> agent -> gateway -> queryable)   {floor * 1000:7.0f} ms")
        print(
            f"  otdiag check --config agent --config gateway        {wall * 1000:7.0f} ms   "
            f"= floor + {(wall - floor) * 1000:.0f} ms (goal <= floor + 300 ms);"
            f" CPU {statistics.median(cpus) * 1000:.0f} ms"
        )
        over = (e2e - floor) * 1000
        print(f"  its end-to-end step (span sent -> seen, all tiers)  {e2e * 1000:7.0f} ms   = floor + {over:.0f} ms")
        print(f"  python -m otdiag --help (start-up)                  {statistics.median(helps) * 1000:7.0f} ms")
        print(f"  load average now                                    {os.getloadavg()[0]:7.1f}")
    finally:
        for p in reversed(started):
            p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
