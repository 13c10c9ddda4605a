#!/usr/bin/env python3
"""How long `otdiag mcp` takes to answer `initialize`, against `import mcp.server` alone.

Alternately, N times each: a fresh `python -c "import mcp.server"` (the SDK's own import, the anchor)
and a fresh `python -m otdiag mcp` sent one `initialize` request on stdin, timed until its answer is
read. Prints the medians, their difference (goal: at most 150 ms) and their ratio.

Usage: python scripts/bench_mcp.py [N]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}


def sdk_import() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mcp.server"], check=True)
    return time.perf_counter() - t0


def initialize() -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "otdiag", "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(INIT) + "\n")
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    took = time.perf_counter() - t0
    assert answer.get("id") == 1 and "result" in answer, answer
    proc.stdin.close()
    proc.wait(timeout=30)
    return took


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    anchor, ours = [], []
    for _ in range(n):
        anchor.append(sdk_import())
        ours.append(initialize())
    a, o = statistics.median(anchor), statistics.median(ours)
    print(f"import mcp.server          median {a * 1000:7.0f} ms  (n={n})")
    print(f"otdiag mcp -> initialize   median {o * 1000:7.0f} ms")
    print(f"difference {1000 * (o - a):+.0f} ms (goal <= +150 ms), ratio {o / a:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
