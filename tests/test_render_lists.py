"""Lists the human view must never cut short: find-trace's search list at 80 columns against a real Jaeger,
and `otdiag run`'s providers and exporters (with the file:line that built them) for a real Python app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tests import peers
from tests.otlp_craft import S, new_id
from tests.otlp_craft import send as send_otlp
from tests.peers import REPO
from tests.test_e2e_pipeline import wait_for_trace


def _otdiag(*args: str, cwd: Path = REPO, columns: str = "80") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_", "NO_COLOR", "FORCE_COLOR"))}
    env.update({"PYTHONPATH": str(REPO), "COLUMNS": columns})
    return subprocess.run(
        [sys.executable, "-m", "otdiag", *args], capture_output=True, text=True, env=env, cwd=cwd,
        stdin=subprocess.DEVNULL, start_new_session=True, timeout=120, check=False,
    )  # fmt: skip


def _fits(text: str, width: int) -> None:
    wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not wide, f"wider than {width}: {wide}"


# --- find-trace: the search list at 80 columns -----------------------------------------------------------

ROOTS = {
    "frontend": "GET /api/v1/customers/{customer_id}/orders",
    "frontend-2": "POST /api/v1/checkout/confirm-payment",
}


@pytest.mark.peers
def test_the_search_list_at_80_columns_keeps_root_operation_and_services(jaeger: peers.Jaeger) -> None:
    now = time.time_ns()
    traces: dict[str, tuple[str, list[str], bool]] = {}
    spans: list[S] = []
    for i, (key, op) in enumerate(ROOTS.items()):
        tid, root = new_id(16), new_id(8)
        start = now - (3 - i) * 1_000_000_000
        downstream = ["inventory-service", "payment-gateway-service"][: i + 1]
        spans.append(S(tid, root, op, "frontend", start, start + 40_000_000, attrs={"case": key}))
        for j, svc in enumerate(downstream):
            spans.append(S(tid, new_id(8), f"call {svc}", svc, start + (j + 1) * 1_000_000,
                           start + (j + 2) * 1_000_000, parent=root, error="declined" if i == 1 else None))  # fmt: skip
        traces[tid] = (op, ["frontend", *downstream], i == 1)
    send_otlp(jaeger.otlp_http, spans)
    for tid, (_, services, _) in traces.items():
        wait_for_trace(jaeger.query_url, tid, spans=len(services))

    res = _otdiag("find-trace", "--service", "frontend", "--jaeger-url", jaeger.query_url, "--timeout", "5s")
    assert res.returncode == 0, res.stderr
    _fits(res.stdout, 80)
    lines = res.stdout.splitlines()
    header = lines[0].split()
    assert header[:2] == ["trace", "id"] and {"start", "spans", "errors", "duration"} <= set(header), lines[0]
    rows = {line.split()[0]: i for i, line in enumerate(lines) if line.split() and line.split()[0] in traces}
    assert set(rows) == set(traces), "every trace's full ID starts a row"
    for tid, at in rows.items():
        op, services, failed = traces[tid]
        row = lines[at].split()
        assert row[2] == str(len(services)), row
        assert ("✗" in row) is failed, row
        below = []
        for line in lines[at + 1 :]:
            if not line.startswith("    "):
                break
            below.append(line.strip())
        block = " ".join(below)
        assert f"frontend: {op}" in block, (op, below)
        for svc in services:
            assert svc in block, (svc, below)
    # The JSON has the same traces with the same roots.
    doc = json.loads(_otdiag("find-trace", "--service", "frontend", "--jaeger-url", jaeger.query_url, "--json").stdout)
    assert {t["trace_id"]: t["root"]["name"] for t in doc["traces"]} == {t: v[0] for t, v in traces.items()}


# --- run: every provider and exporter, and where a hard-coded endpoint is -------------------------------

FIVE = """\
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

providers = []
for i in range(5):
    provider = TracerProvider(resource=Resource.create({"service.name": f"worker-{i}"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(timeout=5)))
    providers.append(provider)
    with provider.get_tracer("five").start_as_current_span(f"job {i}"):
        pass
for provider in providers:
    provider.shutdown()
"""

HARD_CODED = """\
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(
    BatchSpanProcessor(OTLPSpanExporter(endpoint="http://localhost:{port}/v1/traces", timeout=3))
)
trace.set_tracer_provider(provider)
with trace.get_tracer(__name__).start_as_current_span("checkout"):
    pass
provider.shutdown()
"""


def _run_app(tmp: Path, source: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    (tmp / "app.py").write_text(source)
    argv = ("run", "--grace", "0.3s", "--", sys.executable, "app.py")
    human = _otdiag(*argv, cwd=tmp)
    doc = json.loads(_otdiag("run", "--json", *argv[1:], cwd=tmp).stdout)
    return human, doc


def test_five_providers_are_all_listed_with_their_exporters(tmp_path: Path) -> None:
    human, doc = _run_app(tmp_path, FIVE)
    _fits(human.stdout, 80)
    observer = doc["observer"]
    assert len(observer["providers"]) == 5 and len(observer["exporters"]) == 5, observer
    assert {p["site"] for p in observer["providers"]} == {"app.py:8"}
    assert {e["site"] for e in observer["exporters"]} == {"app.py:9"}
    text = " ".join(human.stdout.split())
    assert "5 TracerProviders built: app.py:8 ×5" in text, human.stdout
    assert text.count("OTLPSpanExporter → ") == 5, human.stdout
    assert text.count("(built at app.py:9)") == 5


def test_more_exporters_than_listed_are_counted_not_dropped(tmp_path: Path) -> None:
    human, doc = _run_app(tmp_path, FIVE.replace("range(5)", "range(11)"))
    assert len(doc["observer"]["exporters"]) == 11
    text = " ".join(human.stdout.split())
    assert text.count("OTLPSpanExporter → ") == 8
    assert "… and 3 more exporters (otdiag run --json lists them all)" in text, human.stdout


def test_a_hard_coded_endpoint_names_the_constructor_line_and_its_whole_error(tmp_path: Path) -> None:
    human, doc = _run_app(tmp_path, HARD_CODED.replace("{port}", str(peers.free_port())))
    assert human.returncode == 1, human.stderr
    _fits(human.stdout, 80)
    first = next(f for f in doc["findings"] if f["severity"] == "error")
    assert first["code"] == "ingest.refused", json.dumps(first, indent=1)
    assert first["location"] == {"file": "app.py", "line": 8, "column": 1}, first
    assert "built at app.py:8" in first["message"]
    said = next(e for e in first["evidence"] if e.startswith("the exporter said: "))
    assert "Connection refused" in said and not said.endswith("…"), said
    text = " ".join(human.stdout.split())
    assert "app.py:8:1" in text, human.stdout
    whole = " ".join(said.split()).split("Connection refused")[0] + "Connection refused"
    assert whole in text, "the exporter's error is whole in the human view (wrapped, not cut)"
