#!/usr/bin/env python3
"""Benchmark: otdiag validate-config vs the real `otelcol validate` on generated configs.

Prints wall time and peak memory (max RSS of the child process) for configs with 500, 5,000 and
50,000 pipelines, one run each, and the cost of a small config against `otdiag --help`.
Figures only; nothing here asserts a time.

    python3 scripts/bench_validate.py [--sizes 500,5000,50000] [--otelcol PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import install_peers  # noqa: E402


def generate(pipelines: int) -> str:
    """N traces pipelines, each with its own receiver and exporter, sharing processors."""
    out = ["receivers:"]
    for i in range(pipelines):
        out.append(f"  otlp/r{i}:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{10000 + i % 50000}")
    out.append("processors:\n  memory_limiter:\n    check_interval: 1s\n    limit_mib: 512\n  batch:")
    out.append("exporters:")
    for i in range(pipelines):
        out.append(f"  otlp_grpc/e{i}:\n    endpoint: jaeger:4317\n    tls:\n      insecure: true")
    out.append("service:\n  pipelines:")
    for i in range(pipelines):
        out.append(
            f"    traces/p{i}:\n      receivers: [otlp/r{i}]\n      processors: [memory_limiter, batch]\n"
            f"      exporters: [otlp_grpc/e{i}]"
        )
    return "\n".join(out) + "\n"


def measure(argv: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one run, RSS from wait4's rusage."""
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000,50000")
    parser.add_argument("--otelcol", default=None)
    args = parser.parse_args(argv)
    otelcol = args.otelcol or install_peers.locate("otelcol")
    otdiag = [sys.executable, "-m", "otdiag"]
    print(f"{'pipelines':>10} {'bytes':>12} | {'otdiag s':>9} {'MiB':>7} | {'otelcol s':>9} {'MiB':>7} | ratio")
    with tempfile.TemporaryDirectory(prefix="otdiag-bench-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"p{n}.yaml"
            path.write_text(generate(n))
            ow, om, _ = measure([*otdiag, "validate-config", "--json", str(path)])
            if otelcol:
                cw, cm, _ = measure([str(otelcol), "validate", f"--config={path}"])
                ratio = f"{ow / cw:.2f}x"
            else:
                cw, cm, ratio = float("nan"), float("nan"), "-"
            print(f"{n:>10} {path.stat().st_size:>12,} | {ow:>9.2f} {om:>7.0f} | {cw:>9.2f} {cm:>7.0f} | {ratio}")
        small = Path(tmp) / "small.yaml"
        small.write_text(generate(1))
        hw, hm, _ = measure([*otdiag, "--help"])
        sw, sm, _ = measure([*otdiag, "validate-config", str(small)])
        print(
            f"small config: otdiag validate-config {sw:.2f}s {sm:.0f} MiB; otdiag --help {hw:.2f}s {hm:.0f} MiB "
            f"({sw / hw:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
