#!/usr/bin/env python3
"""Run every speed benchmark of issue 18 once and print its table, each figure beside its anchor.

Every anchor is measured in the same run, on the same machine, next to the figure it anchors:
`python -c pass` for start-up, the real collector's `otelcol validate` for validate-config, the
end-to-end floor (the SDK's span queryable in the real Jaeger) for check, telemetrygen for
send-test-span's load mode, and for listen's intake the same replay driver against the real
collector. Figures only; nothing is asserted. Peers come from scripts/install_peers.py.

    python3 scripts/bench_all.py [--repo DIR] [--quick]

--repo benchmarks another checkout of otdiag (e.g. an older commit, exported with `git archive`),
so before/after tables come from the same script.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_check import oracle  # noqa: E402
from bench_validate import generate  # noqa: E402

from tests import peers  # noqa: E402


@dataclass
class Row:
    what: str
    figure: str
    anchor: str
    goal: str
    met: bool | None


class Otdiag:
    """How to run the otdiag under test (this checkout or --repo)."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.env = {**os.environ, "PYTHONPATH": str(repo), "NO_COLOR": "1", "COLUMNS": "80"}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "otdiag", *args]

    def run(self, *args: str, stdin: bytes | None = None, timeout: float = 900) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            env=self.env,
            cwd=self.repo,
            input=stdin,
            timeout=timeout,
            check=False,
        )


def wall(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env, cwd=cwd, check=False, timeout=300)
    return time.perf_counter() - started


def paired(first: Callable[[], float], second: Callable[[], float], n: int) -> tuple[float, float]:
    """Medians of n alternating runs of two timers (so both see the same machine load)."""
    a, b = [], []
    for _ in range(n):
        a.append(first())
        b.append(second())
    return statistics.median(a), statistics.median(b)


# --- start-up ----------------------------------------------------------------------------------------


def startup_rows(o: Otdiag, n: int, small: Path) -> list[Row]:
    def py_pass() -> float:
        return wall([sys.executable, "-c", "pass"])

    rows = []
    for flag, goal in (("--help", 10), ("--version", 5)):
        t, base = paired(lambda f=flag: wall(o.argv(f), o.env, o.repo), py_pass, n)
        ratio = t / base
        rows.append(
            Row(
                f"`otdiag {flag}` vs `python -c pass`",
                f"{t * 1000:.0f} ms = {ratio:.1f}x",
                f"python -c pass {base * 1000:.0f} ms",
                f"<= {goal}x",
                ratio <= goal,
            )
        )
    t, base = paired(lambda: wall(o.argv("validate-config", str(small)), o.env, o.repo), py_pass, n)
    rows.append(
        Row(
            "`validate-config` on a small file",
            f"{t:.3f} s",
            f"python -c pass {base * 1000:.0f} ms",
            "<= 0.15 s",
            t <= 0.15,
        )
    )
    return rows


# --- validate-config against otelcol validate ---------------------------------------------------------


def validate_rows(o: Otdiag, otelcol: Path | None, work: Path) -> list[Row]:
    figures, anchors, ok = [], [], True
    for n in (5000, 500):
        path = work / f"p{n}.yaml"
        path.write_text(generate(n))
        ow = wall(o.argv("validate-config", "--json", str(path)), o.env, o.repo)
        if otelcol is None:
            figures.append(f"{n}: {ow:.2f} s")
            anchors.append("otelcol not installed")
            ok = False
            continue
        cw = wall([str(otelcol), "validate", f"--config={path}"])
        figures.append(f"{n}: {ow / cw:.2f}x")
        anchors.append(f"{n}: otdiag {ow:.2f} s, otelcol {cw:.2f} s")
        ok = ok and ow / cw <= 0.5
    return [Row("`validate-config` vs real `otelcol validate` (pipelines: ratio)", ", ".join(figures),
                "; ".join(anchors), "<= 0.5x at both", ok)]  # fmt: skip


# --- check on a healthy pipeline -----------------------------------------------------------------------


def check_row(o: Otdiag, jb: Path, cb: Path, work: Path, n: int) -> Row:
    jaeger = peers.start_jaeger(jb, work)
    collector = peers.start_collector(cb, work, peers.collector_config(jaeger.otlp_grpc))
    try:
        assert collector.otlp_grpc
        env = {
            **o.env,
            "OTEL_SERVICE_NAME": "bench",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_grpc}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        }
        args = ["check", "--json", "--jaeger-url", jaeger.query_url, "--collector-health-url",
                str(collector.health_url), "--collector-metrics-url", str(collector.metrics_url)]  # fmt: skip

        def floor() -> float:
            return oracle(collector, jaeger)  # the floor bench_check.py measures, from the same code

        def check() -> float:
            started = time.perf_counter()
            out = subprocess.run(o.argv(*args), capture_output=True, env=env, cwd=o.repo, check=False, timeout=120)
            took = time.perf_counter() - started
            doc = json.loads(out.stdout)
            if not doc["ok"]:
                raise SystemExit(f"check did not pass on the healthy pipeline: {doc['findings'][:1]}")
            return took

        check()  # warm the collector and Jaeger
        t, f = paired(check, floor, n)
        extra = t - f
        return Row(
            "`check` on a healthy real pipeline",
            f"floor + {extra * 1000:.0f} ms",
            f"floor {f * 1000:.0f} ms, check {t * 1000:.0f} ms",
            "<= floor + 300 ms",
            extra <= 0.3,
        )
    finally:
        collector.stop()
        jaeger.stop()


# --- listen's intake: a replay driver ------------------------------------------------------------------


def bodies(spans: int, batch: int, as_json: bool) -> list[bytes]:
    """Pre-encoded export requests of fresh root spans (so the driver costs next to nothing per span)."""
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from otdiag.otlp.load import BatchEncoder

    enc = BatchEncoder("bench", "bench-op", {"http.request.method": "GET", "http.route": "/items/{id}"})
    out = []
    for _ in range(max(1, spans // batch)):
        raw = enc.encode(batch)
        if as_json:
            req = ExportTraceServiceRequest()
            req.ParseFromString(raw)
            doc = json_format.MessageToDict(req)
            for rs in doc.get("resourceSpans", []):
                for ss in rs.get("scopeSpans", []):
                    for s in ss.get("spans", []):
                        for key in ("traceId", "spanId"):
                            s[key] = base64.b64decode(s[key]).hex()
            raw = json.dumps(doc, separators=(",", ":")).encode()
        out.append(raw)
    return out


def drive_grpc(target: str, reqs: list[bytes], batch: int, inflight: int = 8) -> float:
    import grpc

    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
    call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
    grpc.channel_ready_future(channel).result(10)
    started = time.perf_counter()
    pending: list[Any] = []
    for body in reqs:
        pending.append(call.future(body, timeout=60))
        if len(pending) >= inflight:
            pending.pop(0).result()
    for fut in pending:
        fut.result()
    took = time.perf_counter() - started
    channel.close()
    return len(reqs) * batch / took


def drive_http(hostport: str, reqs: list[bytes], batch: int, content_type: str, conns: int = 4) -> float:
    host, port = hostport.rsplit(":", 1)
    chunks = [reqs[i::conns] for i in range(conns)]
    failures: list[str] = []

    def worker(mine: list[bytes]) -> None:
        c = http.client.HTTPConnection(host, int(port), timeout=60)
        for body in mine:
            c.request("POST", "/v1/traces", body=body, headers={"Content-Type": content_type})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                failures.append(str(r.status))
        c.close()

    threads = [threading.Thread(target=worker, args=(ch,)) for ch in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    if failures:
        raise SystemExit(f"the receiver refused requests: {failures[:3]}")
    return len(reqs) * batch / took


def rss_kib(pid: int) -> int:
    m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(m.group(1)) if m else 0


def wait_port(hostport: str, timeout: float = 30) -> None:
    host, port = hostport.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {hostport}")


def listen_rows(o: Otdiag, cb: Path, work: Path, spans: int, max_spans: int) -> list[Row]:
    batch = 512
    grpc_reqs = bodies(spans, batch, as_json=False)
    json_reqs = bodies(spans // 2, batch, as_json=True)
    wire = sum(map(len, grpc_reqs)) / (len(grpc_reqs) * batch)

    # Anchor: the same driver against the real collector (nop exporter, no processors).
    cfg = peers.collector_config(None)
    cfg["exporters"] = {"nop": {}}
    cfg["processors"] = {}
    cfg["service"]["pipelines"]["traces"].update(processors=[], exporters=["nop"])
    col = peers.start_collector(cb, work, cfg)
    try:
        assert col.otlp_grpc and col.otlp_http
        anchor = {
            "grpc": drive_grpc(col.otlp_grpc, grpc_reqs, batch),
            "http/protobuf": drive_http(col.otlp_http, grpc_reqs, batch, "application/x-protobuf"),
            "http/json": drive_http(col.otlp_http, json_reqs, batch, "application/json"),
        }
    finally:
        col.stop()

    g, h, q = (f"127.0.0.1:{peers.free_port()}" for _ in range(3))
    proc = subprocess.Popen(
        o.argv(
            "listen",
            "--quiet",
            "--grpc-endpoint",
            g,
            "--http-endpoint",
            h,
            "--query-endpoint",
            q,
            "--max-spans",
            str(max_spans),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=o.env,
        cwd=o.repo,
    )
    try:
        wait_port(q)
        wait_port(h)
        time.sleep(0.5)
        idle = rss_kib(proc.pid)
        got = {
            "grpc": drive_grpc(g, grpc_reqs, batch),
            "http/protobuf": drive_http(h, grpc_reqs, batch, "application/x-protobuf"),
            "http/json": drive_http(h, json_reqs, batch, "application/json"),
        }
        full = rss_kib(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    goals = {"grpc": 200_000, "http/protobuf": 150_000, "http/json": 50_000}
    rows = []
    for name, goal in goals.items():
        rows.append(
            Row(
                f"`listen` intake, {name} (spans/s)",
                f"{got[name]:,.0f}",
                f"real collector, same driver: {anchor[name]:,.0f}",
                f">= {goal:,}",
                got[name] >= goal,
            )
        )
    per_span = (full - idle) * 1024 / max_spans
    rows.append(
        Row(
            "`listen` memory per stored span",
            f"{per_span:,.0f} B",
            f"wire size {wire:.0f} B/span; RSS {idle / 1024:.0f} -> {full / 1024:.0f} MiB at --max-spans {max_spans:,}",
            "<= 1 KiB",
            per_span <= 1024,
        )
    )
    return rows


# --- send-test-span --count vs telemetrygen -------------------------------------------------------------


def send_rows(o: Otdiag, cb: Path, tg: Path, work: Path, n: int) -> list[Row]:
    cfg = peers.collector_config(None)
    cfg["exporters"] = {"nop": {}}
    cfg["processors"] = {}
    cfg["service"]["pipelines"]["traces"].update(processors=[], exporters=["nop"])
    col = peers.start_collector(cb, work, cfg)
    rows = []
    try:
        for proto, endpoint, extra in (("grpc", col.otlp_grpc, []), ("http/protobuf", col.otlp_http, ["--otlp-http"])):
            started = time.perf_counter()
            out = o.run(
                "send-test-span", "--json", f"--endpoint=http://{endpoint}", f"--protocol={proto}", f"--count={n}"
            )
            ow = time.perf_counter() - started
            doc = json.loads(out.stdout)
            if doc.get("accepted") != n:
                raise SystemExit(f"send-test-span did not get {n} spans accepted: {doc}")
            # telemetrygen: n/2 traces of a root and one child = n spans.
            tw = wall(
                [
                    str(tg),
                    "traces",
                    f"--otlp-endpoint={endpoint}",
                    "--otlp-insecure",
                    "--rate=0",
                    f"--traces={n // 2}",
                    "--child-spans=1",
                    *extra,
                ]
            )
            ratio = (n / ow) / (n / tw)
            rows.append(
                Row(
                    f"`send-test-span --count {n:,}`, {proto} (vs telemetrygen)",
                    f"{ratio:.2f}x",
                    f"otdiag {n / ow:,.0f} spans/s ({ow:.1f} s), telemetrygen {n / tw:,.0f} spans/s ({tw:.1f} s)",
                    ">= 1.5x",
                    ratio >= 1.5,
                )
            )
    finally:
        col.stop()
    return rows


def measure(o: Otdiag, a: argparse.Namespace, work: Path) -> list[Row]:
    only = set(filter(None, a.only.split(",")))
    runs = 5 if a.quick else 11
    jb, cb, tg = peers.locate("jaeger"), peers.locate("otelcol"), peers.locate("telemetrygen")
    small = work / "small.yaml"
    small.write_text(generate(1))
    rows: list[Row] = []

    def want(name: str) -> bool:
        return not only or name in only

    if want("startup"):
        rows += startup_rows(o, runs, small)
    if want("check"):
        if jb and cb:
            rows.append(check_row(o, jb, cb, work, 3 if a.quick else 5))
        else:
            rows.append(Row("`check` on a healthy real pipeline", "-", "peers not installed", "", None))
    if want("validate"):
        rows += validate_rows(o, cb, work)
    if want("listen"):
        if cb:
            rows += listen_rows(o, cb, work, 100_000 if a.quick else 200_000, 100_000)
        else:
            rows.append(Row("`listen` intake", "-", "the collector is not installed", "", None))
    if want("send"):
        if cb and tg:
            rows += send_rows(o, cb, tg, work, 200_000 if a.quick else 1_000_000)
        else:
            rows.append(Row("`send-test-span --count`", "-", "peers not installed", "", None))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", type=Path, default=HERE.parent, help="the otdiag checkout to benchmark")
    ap.add_argument(
        "--before", type=Path, default=None, help="another checkout, measured group by group alternately with --repo"
    )
    ap.add_argument("--quick", action="store_true", help="fewer runs and spans (a rough table)")
    ap.add_argument("--only", default="", help="comma-separated: startup,validate,check,listen,send")
    a = ap.parse_args()
    o = Otdiag(a.repo.resolve())
    work = Path(tempfile.mkdtemp(prefix="otdiag-bench-"))
    stamp = f"{'quick' if a.quick else 'full'} run, {time.strftime('%Y-%m-%d %H:%M')}"
    if a.before is None:
        rows = measure(o, a, work)
        print(f"otdiag at {o.repo} ({stamp})\n")
        print("| what | measured | anchor (same run) | goal | met |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| {r.what} | {r.figure} | {r.anchor} | {r.goal} | {_met(r)} |")
        return 0
    b = Otdiag(a.before.resolve())
    groups = [g for g in ("startup", "check", "validate", "listen", "send") if not a.only or g in a.only.split(",")]
    pairs: list[tuple[Row, Row]] = []
    for group in groups:
        # Group by group, before then after, so both see the same load on the machine.
        a.only = group
        pairs += zip(measure(b, a, work), measure(o, a, work), strict=True)
    print(f"before: {b.repo}; after: {o.repo} ({stamp}; each figure beside its own anchor)\n")
    print("| what | before | after | goal | met after |")
    print("|---|---|---|---|---|")
    for old, new in pairs:
        print(f"| {new.what} | {old.figure} ({old.anchor}) | {new.figure} ({new.anchor}) | {new.goal} | {_met(new)} |")
    return 0


def _met(r: Row) -> str:
    return "-" if r.met is None else ("yes" if r.met else "**no**")


if __name__ == "__main__":
    sys.exit(main())
