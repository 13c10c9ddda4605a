#!/usr/bin/env python3
"""Benchmark `otdiag send-test-span`: load throughput against telemetrygen, single-span latency, memory.

Starts the real collector (receiving OTLP on free loopback ports, exporting to
nop), then in one run:
  - otdiag send-test-span --count N  (gRPC, and HTTP/protobuf)
  - telemetrygen traces with the same number of spans (gRPC, and HTTP)
  - otdiag send-test-span (one span) several times: wall latency and export latency
Prints spans per second and the otdiag / telemetrygen ratio, and each
command's peak RSS. Figures, not assertions.

Usage: python3 scripts/bench_send.py [--spans 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchlib import timed  # noqa: E402

from tests import peers  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spans", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    otelcol, telemetrygen = peers.locate("otelcol"), peers.locate("telemetrygen")
    if otelcol is None or telemetrygen is None:
        print("run scripts/install_peers.py first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="otdiag-bench-"))
    cfg = peers.collector_config(None, overrides={"exporters": {"nop": {}}})
    cfg["exporters"] = {"nop": {}}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["nop"]
    cfg["service"]["pipelines"]["traces"]["processors"] = []
    cfg["processors"] = {}
    col = peers.start_collector(otelcol, work, cfg)
    otdiag = [sys.executable, "-m", "otdiag", "send-test-span", "--json"]
    n = args.spans
    try:
        print(f"collector: {col.otlp_grpc} (gRPC), {col.otlp_http} (HTTP), exporter nop; {n} spans per run\n")
        rows = []
        for proto, endpoint, tg_extra in (
            ("grpc", col.otlp_grpc, []),
            ("http/protobuf", col.otlp_http, ["--otlp-http"]),
        ):
            wall_o, rss_o, out = timed(
                [*otdiag, f"--endpoint=http://{endpoint}", f"--protocol={proto}", f"--count={n}"]
            )
            doc = json.loads(out)
            assert doc["accepted"] == n, doc
            # telemetrygen: one trace = a root and --child-spans children; n/2 traces of 2 spans = n spans.
            tg = [
                str(telemetrygen),
                "traces",
                f"--otlp-endpoint={endpoint}",
                "--otlp-insecure",
                "--rate=0",
                f"--traces={n // 2}",
                "--child-spans=1",
                *tg_extra,
            ]
            wall_t, rss_t, _ = timed(tg)
            rows.append((proto, n / wall_o, doc["spans_per_second"], rss_o, n / wall_t, rss_t))
        print(
            f"{'protocol':<14} {'otdiag spans/s':>15} {'(export only)':>14} {'peak MiB':>9} "
            f"{'telemetrygen spans/s':>21} {'peak MiB':>9} {'ratio':>6}"
        )
        for proto, o, o_inner, rss_o, t, rss_t in rows:
            print(
                f"{proto:<14} {o:>15,.0f} {o_inner:>14,.0f} {rss_o / 1024:>9.1f} {t:>21,.0f} {rss_t / 1024:>9.1f} "
                f"{o / t:>5.2f}x"
            )
        print(
            "\n(spans/s = spans / wall time of the whole command, process start included; "
            "'export only' is otdiag's own figure without start-up)"
        )

        walls, exports, rsss = [], [], []
        for _ in range(args.repeat):
            wall, rss, out = timed([*otdiag, f"--endpoint=http://{col.otlp_grpc}", "--protocol=grpc"])
            walls.append(wall)
            exports.append(json.loads(out)["duration_ms"])
            rsss.append(rss)
        help_wall = statistics.median(timed([sys.executable, "-m", "otdiag", "--help"])[0] for _ in range(3))
        print(
            f"\nsingle span over gRPC ({args.repeat} runs): median wall {statistics.median(walls) * 1000:.0f} ms "
            f"(otdiag --help: {help_wall * 1000:.0f} ms), median export {statistics.median(exports):.1f} ms, "
            f"peak {max(rsss) / 1024:.1f} MiB"
        )
    finally:
        col.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
