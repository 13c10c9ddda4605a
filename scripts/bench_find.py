#!/usr/bin/env python3
"""Benchmark `otdiag find-trace` on a 10,000-span trace stored in the real Jaeger v2.

Starts Jaeger (in-memory storage, free loopback ports), stores one trace of
N spans (a root, a few hundred mid-level spans, leaves under them), then times
the whole `otdiag find-trace` command — fetch, normalise, analyse, render —
for the human view and for --json, on each API, with peak RSS.

Usage: python3 scripts/bench_find.py [--spans 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchlib import timed  # noqa: E402

from tests import peers  # noqa: E402
from tests.otlp_craft import S, new_id, send  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spans", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    binary = peers.locate("jaeger")
    if binary is None:
        print("run scripts/install_peers.py first", file=sys.stderr)
        return 1
    jaeger = peers.start_jaeger(binary, Path(tempfile.mkdtemp(prefix="otdiag-bench-")))
    try:
        now, tid, root = time.time_ns(), new_id(16), new_id(8)
        spans = [S(tid, root, "batch-job", "orchestrator", now - 10**9, now)]
        mids = [new_id(8) for _ in range(max(1, args.spans // 50))]
        for i, mid in enumerate(mids):
            spans.append(S(tid, mid, f"stage-{i % 7}", f"worker-{i % 5}", now - 10**9 + i * 1000, now - 10**6, root))
        while len(spans) < args.spans:
            i = len(spans)
            spans.append(
                S(
                    tid,
                    new_id(8),
                    "item",
                    "db",
                    now - 10**9 + i * 50,
                    now - 10**9 + i * 50 + 40_000,
                    mids[i % len(mids)],
                )
            )
        for k in range(0, len(spans), 2000):
            send(jaeger.otlp_http, spans[k : k + 2000])
        deadline = time.monotonic() + 60
        import httpx

        while time.monotonic() < deadline:
            r = httpx.get(f"{jaeger.query_url}/api/traces/{tid}", timeout=10)
            if r.status_code == 200 and len(r.json()["data"][0]["spans"]) == len(spans):
                break
            time.sleep(0.3)
        else:
            print("the trace did not fully arrive", file=sys.stderr)
            return 1
        base = [sys.executable, "-m", "otdiag", "find-trace", tid, "--jaeger-url", jaeger.query_url]
        print(f"trace {tid}: {len(spans)} spans in Jaeger at {jaeger.query_url}\n")
        print(f"{'view':<28} {'median wall':>12} {'peak MiB':>9}")
        for name, extra in (("human (waterfall)", []), ("--json", ["--json"]), ("--raw", ["--raw"])):
            runs = [timed([*base, *extra])[:2] for _ in range(args.repeat)]
            wall = statistics.median(w for w, _ in runs)
            print(f"{name:<28} {wall * 1000:>10.0f}ms {max(r for _, r in runs) / 1024:>9.1f}")
        help_wall = statistics.median(timed([sys.executable, "-m", "otdiag", "--help"])[0] for _ in range(3))
        print(f"\n(otdiag --help alone: {help_wall * 1000:.0f} ms; goal for the 10,000-span fetch: <= 1 s, <= 200 MB)")
    finally:
        jaeger.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
