#!/usr/bin/env python3
"""What otdiag's Node.js preload costs an app: start-up added, and per-span cost on a loop of spans.

Runs the same small apps (pinned OpenTelemetry JS from tests/apps/node, built and cached like the
tests' apps) with and without `NODE_OPTIONS=--require otdiag-observe.cjs`, alternating, and prints
medians and ratios: start-up as the child's CPU time (user + system), the span loop as the
app's own CPU time around it (process.cpuUsage). No assertion: numbers to read (issue 22 asks
for <= 50 ms start-up added and <= 5 % per span).

    python scripts/bench_run_node.py [--runs 15] [--spans 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.apps.node import build  # noqa: E402

PRELOAD = REPO / "otdiag" / "run" / "observers" / "node" / "otdiag-observe.cjs"

STARTUP_APP = """
const { NodeSDK } = require('@opentelemetry/sdk-node');
const traceExporter = { export(spans, done) { done({ code: 0 }); }, shutdown() { return Promise.resolve(); } };
const sdk = new NodeSDK({ traceExporter });
sdk.start();
require('@opentelemetry/api').trace.getTracer('bench').startActiveSpan('one', (s) => s.end());
sdk.shutdown();
"""

PLAIN_APP = "require('http'); console.log('ok');\n"

SPANS_APP = """
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { trace } = require('@opentelemetry/api');
const exporter = { export(spans, done) { done({ code: 0 }); }, shutdown() { return Promise.resolve(); } };
const provider = new NodeTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 200000, maxExportBatchSize: 4096 })],
});
provider.register();
const tracer = trace.getTracer('bench');
const n = Number(process.argv[2]);
for (let i = 0; i < 2000; i++) tracer.startSpan('warm').end();
const c0 = process.cpuUsage();
for (let i = 0; i < n; i++) {
  tracer.startActiveSpan('op', (span) => { span.setAttribute('i', i); span.end(); });
}
const c1 = process.cpuUsage(c0);
process.stdout.write(String((c1.user + c1.system) / 1000) + '\\n');
provider.shutdown();
"""


def _run(cwd: Path, script: str, args: list[str], preload: bool, report_dir: Path) -> tuple[float, str]:
    """The child's CPU time (user + system: steadier than wall time on a loaded machine) and its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "NODE_OPTIONS"))}
    env["OTEL_TRACES_EXPORTER"] = "none"
    env["OTEL_METRICS_EXPORTER"] = "none"
    env["OTEL_LOGS_EXPORTER"] = "none"
    if preload:
        env["NODE_OPTIONS"] = f"--require {PRELOAD}"
        env["OTDIAG_NODE_DIR"] = str(report_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        ["node", script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    took = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{script} failed: {proc.stderr[-2000:]}")
    return took, proc.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--spans", type=int, default=100_000)
    opts = parser.parse_args()
    root = build.dependencies()
    with tempfile.TemporaryDirectory(dir=root, prefix=".bench-") as tmp:
        cwd = Path(tmp)
        (cwd / "startup.cjs").write_text(STARTUP_APP)
        (cwd / "plain.cjs").write_text(PLAIN_APP)
        (cwd / "spans.cjs").write_text(SPANS_APP)
        reports = cwd / "reports"
        reports.mkdir()
        print(f"node {build.node_version()}, {opts.runs} runs each, medians")
        for name in ("plain.cjs", "startup.cjs"):
            base: list[float] = []
            with_: list[float] = []
            for _ in range(opts.runs):
                base.append(_run(cwd, name, [], False, reports)[0])
                with_.append(_run(cwd, name, [], True, reports)[0])
            b, w = statistics.median(base), statistics.median(with_)
            print(
                f"start-up CPU {name:12} without {b * 1000:7.1f} ms   with preload {w * 1000:7.1f} ms   "
                f"added {(w - b) * 1000:+6.1f} ms   ratio {w / b:.3f}"
            )
        loops_base: list[float] = []
        loops_with: list[float] = []
        for _ in range(max(3, opts.runs // 3)):
            loops_base.append(float(_run(cwd, "spans.cjs", [str(opts.spans)], False, reports)[1]))
            loops_with.append(float(_run(cwd, "spans.cjs", [str(opts.spans)], True, reports)[1]))
        b, w = statistics.median(loops_base), statistics.median(loops_with)
        print(
            f"{opts.spans} spans       without {b:7.1f} ms   with preload {w:7.1f} ms   "
            f"per span {(w - b) * 1e6 / opts.spans:+.1f} ns   ratio {w / b:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
