#!/usr/bin/env python3
"""Benchmark the cost of `otdiag run`'s in-process observer on a Python app, against the same app without it.

In one run, interleaved so both sides see the same machine load:
  - start-up: `python -c pass` and `python -c "import opentelemetry.sdk.trace"`, with and without the
    observer (PYTHONPATH and OTDIAG_OBSERVE_DIR as otdiag run sets them); the added milliseconds
    (median) and the ratio. Target: at most 50 ms added.
  - a loop that creates N spans (default 100,000) with the real SDK, a BatchSpanProcessor and an
    exporter that accepts everything (no network): the loop's own time, measured inside the app,
    median of --repeat runs, and the ratio. Target: at most 1.05.
Figures, not assertions; the targets are printed next to them.

Usage: python3 scripts/bench_observer.py [--spans 100000] [--repeat 5] [--starts 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchlib import timed  # noqa: E402

from otdiag import observe as observer  # noqa: E402

LOOP = """
import sys, time
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

class Accept(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(Accept(), max_queue_size=200_000))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("bench")
n = int(sys.argv[1])
started = time.thread_time()
for i in range(n):
    with tracer.start_as_current_span("op"):
        pass
elapsed = time.thread_time() - started
provider.shutdown()
print(elapsed)
"""


def observe_env(report_dir: Path) -> dict[str, str]:
    """Exactly what otdiag run adds to the app's environment (a byte-compiled copy of the observer)."""
    return observer.environment({}, report_dir)


def environ(observe: bool, report_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_"))}
    env.pop("PYTHONPATH", None)
    if observe:
        env.update(observe_env(Path(report_dir)))
    return env


def run_with(env: dict[str, str], cmd: list[str]) -> tuple[float, str]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        wall, _, out = timed(cmd)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return wall, out


def cpu_of(env: dict[str, str], cmd: list[str]) -> float:
    """User + system CPU seconds of one run (less sensitive than wall time to other load on the machine)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--python", default=sys.executable, help="the interpreter the app runs with")
    args = parser.parse_args()
    py = args.python
    with tempfile.TemporaryDirectory() as reports:
        on, off = environ(True, reports), environ(False, reports)
        print(f"python: {py}")
        for label, code in (
            ("python -c pass", "pass"),
            ("import opentelemetry.sdk.trace", "import opentelemetry.sdk.trace"),
        ):
            walls: dict[bool, list[float]] = {True: [], False: []}
            cpus: dict[bool, list[float]] = {True: [], False: []}
            for n in range(args.starts):
                for observe in (False, True) if n % 2 == 0 else (True, False):
                    walls[observe].append(run_with(on if observe else off, [py, "-c", code])[0])
                    cpus[observe].append(cpu_of(on if observe else off, [py, "-c", code]))
            for what, got in (("wall", walls), ("CPU", cpus)):
                base, with_ = statistics.median(got[False]), statistics.median(got[True])
                print(
                    f"start-up ({what}), {label}: {base * 1000:.1f} ms without, {with_ * 1000:.1f} ms with the "
                    f"observer: {(with_ - base) * 1000:+.1f} ms, ratio {with_ / base:.3f} (target: at most +50 ms)"
                )
        script = Path(reports) / "loop.py"
        script.write_text(LOOP)
        loops: dict[bool, list[float]] = {True: [], False: []}
        for n in range(args.repeat):
            for observe in (False, True) if n % 2 == 0 else (True, False):
                _, out = run_with(on if observe else off, [py, str(script), str(args.spans)])
                loops[observe].append(float(out.strip().splitlines()[-1]))
        base, with_ = statistics.median(loops[False]), statistics.median(loops[True])
        print(
            f"{args.spans:,} spans (BatchSpanProcessor, accepting exporter): {base:.3f} s without, {with_:.3f} s "
            f"with the observer (CPU, median of {args.repeat}): ratio {with_ / base:.3f} (target: at most 1.05)"
        )
        print(f"  per span: {base / args.spans * 1e6:.2f} µs without, {with_ / args.spans * 1e6:.2f} µs with")
        low, low_with = min(loops[False]), min(loops[True])
        print(f"  best of {args.repeat} (least disturbed by other load): ratio {low_with / low:.3f}")


if __name__ == "__main__":
    main()
