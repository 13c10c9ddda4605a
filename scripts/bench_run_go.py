#!/usr/bin/env python3
"""Benchmark what `otdiag run`'s Go observer costs, against the same binary without it.

The Go observer injects nothing: before the start it only checks that the command is a Go binary
(ELF section headers), and after the exit it reads the build info, the function table and the main
package's calls. So, interleaved so both sides see the same load:
  - start-up: the observer's work before the app starts (`applies`), and after it exits (reading
    the binary), each a median over --starts calls; then `otdiag run` on the healthy OTLP/HTTP app
    with and without the observer (--no-observe), wall time, median of --repeat;
  - a loop that starts and ends N spans (default 100,000) with the real Go SDK and an OTLP/HTTP
    exporter to otdiag's receiver: the loop's own time measured inside the app (loop_ns), under
    `otdiag run` with and without the observer, and alone (no receiver: exports fail, the loop runs).
Figures, not assertions: start-up target <= 10% added, per-span target <= 5%.

Usage: python3 scripts/bench_run_go.py [--spans 100000] [--repeat 5] [--starts 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from otdiag.run.observers.go import OBSERVER  # noqa: E402
from otdiag.run.observers.go.linked import from_binary  # noqa: E402
from tests.apps.go import build  # noqa: E402


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _run(app: Path, *flags: str, env: dict[str, str]) -> tuple[float, str]:
    argv = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0s", *flags, "--", str(app)]
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False, cwd=REPO)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"otdiag run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, proc.stderr


def _loop_ns(stderr: str) -> float:
    m = re.search(r"loop_ns=(\d+)", stderr)
    if m is None:
        raise SystemExit(f"the app did not report its loop time:\n{stderr[-2000:]}")
    return float(m.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--starts", type=int, default=20)
    args = parser.parse_args()
    app = build.build_all()["healthy_http"]
    env = build.go_env()
    env["PYTHONPATH"] = str(REPO)

    applies, reads = [], []
    for _ in range(args.starts):
        t = time.perf_counter()
        assert OBSERVER.applies([str(app)])
        applies.append(time.perf_counter() - t)
        t = time.perf_counter()
        from_binary(app)
        reads.append(time.perf_counter() - t)
    print(f"before the start (is it a Go binary?): {_ms(applies):.2f} ms (median of {args.starts})")
    print(f"after the exit (build info, functions, calls): {_ms(reads):.1f} ms (median of {args.starts})")

    on, off = [], []
    small = dict(env, SPANS="3")
    for i in range(args.repeat):  # alternate which side goes first, so drifting load hits both
        for side in ((on, ()), (off, ("--no-observe",)))[:: 1 if i % 2 == 0 else -1]:
            side[0].append(_run(app, *side[1], env=small)[0])
    print(
        f"otdiag run, 3 spans (whole run, report included): {_ms(on):.0f} ms with the observer, {_ms(off):.0f} ms "
        f"without (median ratio {statistics.median(on) / statistics.median(off):.3f}, "
        f"best-of ratio {min(on) / min(off):.3f}; target <= 1.10)"
    )

    loop_on, loop_off, alone = [], [], []
    big = dict(env, SPANS=str(args.spans), REPORT_NS="1")
    lone = dict(big, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", OTEL_EXPORTER_OTLP_TIMEOUT="200")
    for i in range(args.repeat):
        for side in ((loop_on, ()), (loop_off, ("--no-observe",)))[:: 1 if i % 2 == 0 else -1]:
            side[0].append(_loop_ns(_run(app, *side[1], env=big)[1]))
        proc = subprocess.run([str(app)], capture_output=True, text=True, env=lone, timeout=600, check=False)
        alone.append(_loop_ns(proc.stderr))
    sides = (("on", loop_on), ("off", loop_off), ("alone", alone))
    per = {k: statistics.median(v) / args.spans for k, v in sides}
    best = {k: min(v) / args.spans for k, v in sides}
    print(
        f"{args.spans} spans, median: {per['on']:.0f} ns/span with the observer, {per['off']:.0f} without, "
        f"{per['alone']:.0f} alone (ratio {per['on'] / per['off']:.3f}); best of {args.repeat}: "
        f"{best['on']:.0f} / {best['off']:.0f} / {best['alone']:.0f} (ratio {best['on'] / best['off']:.3f}; "
        "target <= 1.05)"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
