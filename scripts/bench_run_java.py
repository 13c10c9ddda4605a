#!/usr/bin/env python3
"""Benchmark the cost of `otdiag run`'s Java observer (otdiag's -javaagent) against the same app without it.

In one run, interleaved so both sides see the same machine load:
  - start-up: the SDK test app (autoconfigure, no exporter, no span) and the same app under the
    OpenTelemetry Java agent, each with and without otdiag's observer agent inserted as `run` inserts
    it; the median wall time of each side and the ratio. Target: at most 1.10.
  - per span: the SDK app creating N spans (default 100,000) with a BatchSpanProcessor and no
    exporter, the loop's own time measured inside the app, median of --repeat runs, and the ratio.
    Target: at most 1.05.
Figures, not assertions; the targets are printed next to them.

Usage: python3 scripts/bench_run_java.py [--spans 100000] [--repeat 5] [--starts 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from otdiag.run.observers.java import build as observer_build  # noqa: E402
from tests.apps.java import build as apps_build  # noqa: E402

ENV = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"}


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds (user+sys), stderr) of one run."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        err.seek(0)
        text = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{text[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, text


def _with_observer(argv: list[str], jar: Path, workdir: str) -> list[str]:
    return [argv[0], f"-javaagent:{jar}={workdir}", *argv[1:]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    apps = apps_build.build()
    jar = observer_build.agent_jar(apps.java)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "JAVA_TOOL_OPTIONS"))}
    env.update(ENV)
    with tempfile.TemporaryDirectory() as workdir:
        for label, argv in (
            ("SDK app start-up", apps.command("sdk_auto", jvm=(), args=("0",))),
            ("agent app start-up", apps.command("agent_app", agent=True)),
        ):
            plain: list[tuple[float, float, str]] = []
            seen: list[tuple[float, float, str]] = []
            _run(argv, env)  # warm the page cache
            for _ in range(args.starts):
                plain.append(_run(argv, env))
                seen.append(_run(_with_observer(argv, jar, workdir), env))
            for what, i in (("wall", 0), ("CPU", 1)):
                a, b = statistics.median(r[i] for r in plain), statistics.median(r[i] for r in seen)
                print(
                    f"{label} ({what}): {a * 1000:.0f} ms without, {b * 1000:.0f} ms with otdiag's observer "
                    f"(+{(b - a) * 1000:.0f} ms, ratio {b / a:.3f}; target <= 1.10; median of {args.starts})"
                )
        argv = apps.command("sdk_auto", args=(str(args.spans),))
        loops: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(args.repeat):
            for side, cmd in (("without", argv), ("with", _with_observer(argv, jar, workdir))):
                _, _, err = _run(cmd, env)
                ns = next(int(line.split()[1]) for line in err.splitlines() if line.startswith("spans-ns "))
                loops[side].append(ns / 1e9)
    a, b = statistics.median(loops["without"]), statistics.median(loops["with"])
    print(
        f"{args.spans} spans: {a * 1e9 / args.spans:.0f} ns/span without, {b * 1e9 / args.spans:.0f} ns/span "
        f"with (ratio {b / a:.3f}; target <= 1.05; median of {args.repeat})"
    )


if __name__ == "__main__":
    main()
