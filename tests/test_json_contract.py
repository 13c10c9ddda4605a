"""Every command's --json output, pinned: a refactor must not change a byte of it.

Each case runs a command where its answer is deterministic (nothing listens on 127.0.0.1:9; configs
from tests/; otdiag's own `listen` receiver, in process, where a receiver or a query API must answer),
normalizes only what truly varies from run to run (durations, generated IDs, free ports, arrival times,
temporary paths) and compares the whole document, key order and formatting included, with its golden
file in tests/contract/<case>.json. Where only a real server gives the shape (find-trace over the real
Jaeger v2 and v1), the case needs the peers and is marked so.

The golden files record the contract as it is; to record it again after an intended change (a new
field, documented in the README), run

    OTDIAG_UPDATE_CONTRACT=1 .venv/bin/python -m pytest tests/test_json_contract.py

and review the diff of tests/contract/ like any other change.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from tests.cli_runner import Result, run
from tests.listen_helpers import Running, listening
from tests.otlp_craft import S
from tests.otlp_craft import send as send_otlp
from tests.peers import JAEGERS, REPO, Jaeger, free_port, port_open
from tests.test_e2e_pipeline import wait_for_trace

CONTRACT = Path(__file__).parent / "contract"
UPDATE = os.environ.get("OTDIAG_UPDATE_CONTRACT") == "1"
DEAD = "127.0.0.1:9"  # the discard port: nothing listens there on a test machine

# Values that are measured, not decided: they become "<varies>" (a null stays null: that is contract).
# Every `*_ms` is a measured time; `received` is an arrival time; `python` and the `distributions`
# are the versions of the interpreter and packages the tests run with.
_MEASURED = {"received", "spans_per_second", "python"}
_MEASURED_MAPS = {"distributions"}
_HEX_ID = re.compile(r"(?<![0-9a-f])([0-9a-f]{32}|[0-9a-f]{16})(?![0-9a-f])")
_MEASURED_TEXT = re.compile(r"\b\d+(?:\.\d+)? ms\b")  # "accepted (19 ms)", "visible after 3 ms"
_LOOPBACK_PORT = re.compile(r"(127\.0\.0\.\d+|localhost):(\d+)")
_FIXED_PORTS = {"9", "4317", "4318", "13133", "8888", "16686"}

# Fixed IDs and times of the crafted trace (2026-01-01T00:00:00Z): kept as they are in the documents.
T0 = 1_767_225_600_000_000_000
TRACE = "5b8efff798038103d269b633813fc60c"
ROOT, CHILD, ORPHAN = "1111111111111111", "2222222222222222", "3333333333333333"
PADDED = "00000000000000000000000000000abc"  # find-trace abc
FIXED_IDS = {TRACE, ROOT, CHILD, ORPHAN, "4444444444444444", PADDED}


class _Normalizer:
    """Replaces what varies between runs by stable placeholders, the same value by the same one."""

    def __init__(self, paths: dict[str, str], decided: frozenset[str]) -> None:
        self.ids: dict[str, str] = {}
        self.paths = paths
        self.decided = decided

    def _id(self, m: re.Match[str]) -> str:
        value = m.group(1)
        if value in FIXED_IDS:
            return value
        if value not in self.ids:
            kind = "trace-id" if len(value) == 32 else "span-id"
            self.ids[value] = f"<{kind}-{len(self.ids) + 1}>"
        return self.ids[value]

    def text(self, s: str) -> str:
        for path, name in self.paths.items():
            s = s.replace(path, name)
        s = _HEX_ID.sub(self._id, s)
        s = _MEASURED_TEXT.sub("<n> ms", s)
        return _LOOPBACK_PORT.sub(self._port, s)

    @staticmethod
    def _port(m: re.Match[str]) -> str:
        """Free ports (handed out by the kernel) vary; the fixed ones and a config's port 0 do not."""
        port = m.group(2)
        return m.group(0) if port in _FIXED_PORTS or int(port) < 1024 else f"{m.group(1)}:<port>"

    def doc(self, node: Any, key: str | None = None) -> Any:
        if isinstance(node, dict):
            if key in _MEASURED_MAPS:
                return {self.text(k): "<varies>" for k in node}
            return {self.text(k): self.doc(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.doc(v, key) for v in node]
        measured = key is not None and key not in self.decided and (key in _MEASURED or key.endswith("_ms"))
        if measured and isinstance(node, int | float | str) and not isinstance(node, bool):
            return "<varies>"
        if isinstance(node, str):
            return self.text(node)
        return node


def _dumps(doc: Any, indent: int | None) -> str:
    return json.dumps(doc, indent=indent, ensure_ascii=False)


def _pin(
    case: str,
    res: Result,
    *,
    lines: bool = False,
    paths: dict[str, str] | None = None,
    decided: frozenset[str] = frozenset(),
    server_order: bool = False,
) -> list[Any]:
    """Check the formatting of stdout, normalize it, and compare it with (or record) the golden file.

    `decided`: keys whose values the case fixes, though they look measured (a crafted span's duration).
    `server_order`: the trace's spans come in the order the server returned them, which a real Jaeger
    does not keep from one query to the next; they are compared sorted by span ID.
    """
    stdout = res.stdout
    norm = _Normalizer({**(paths or {}), str(REPO): "<repo>"}, decided)
    raw = stdout.splitlines() if lines else [stdout.removesuffix("\n")]
    assert raw and stdout.endswith("\n"), f"{case}: no output, or no final newline: {stdout!r}"
    docs = [json.loads(text) for text in raw]
    indent = None if lines else 2
    for text, doc in zip(raw, docs, strict=True):
        # Byte compatibility: the output is exactly this serialization (separators, indent, escapes).
        assert _dumps(doc, indent) == text, f"{case}: not formatted as the contract's JSON"
    if not lines:  # the exit code says what `ok` says
        assert res.exit_code == (ExitCode.OK if docs[0]["ok"] else ExitCode.PROBLEM), (res.exit_code, res.stderr)
    if server_order:
        for doc in docs:
            if isinstance(doc.get("trace"), dict):
                doc["trace"]["spans"].sort(key=lambda span: span["span_id"])
    got = "".join(_dumps(norm.doc(doc), indent) + "\n" for doc in docs)
    golden = CONTRACT / f"{case}.json"
    if UPDATE:
        CONTRACT.mkdir(exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing: record it with OTDIAG_UPDATE_CONTRACT=1 (see this module)"
    want = golden.read_text(encoding="utf-8")
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "now", n=2))
        pytest.fail(
            f"{case}: the --json contract changed (OTDIAG_UPDATE_CONTRACT=1 records an intended change)\n{diff}"
        )
    return docs


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract must not depend on the OTEL_*/OTDIAG_* variables of whoever runs the tests."""
    for name in list(os.environ):
        if name.startswith(("OTEL_", "OTDIAG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")


def _ok(res: Result, *codes: ExitCode) -> Result:
    assert res.exit_code in codes, (res.exit_code, res.stderr[-2000:])
    return res


# --- check ------------------------------------------------------------------------------------------

_DEAD_CHECK = ["--otlp-endpoint", f"http://{DEAD}", "--jaeger-url", f"http://{DEAD}",
               "--collector-health-url", f"http://{DEAD}", "--collector-metrics-url", f"http://{DEAD}/metrics",
               "--env-file", "/dev/null", "--timeout", "1s", "--wait", "1s", "--json"]  # fmt: skip


def test_check_nothing_listening() -> None:
    _pin("check-dead", _ok(run("check", *_DEAD_CHECK), ExitCode.PROBLEM))


def test_check_grpc_with_a_config_and_an_app_env(tmp_path: Path) -> None:
    env = tmp_path / "app.env"
    env.write_text(f"OTEL_EXPORTER_OTLP_ENDPOINT=http://{DEAD}\nOTEL_TRACES_SAMPLER=always_off\n")
    config = REPO / "tests" / "validate_corpus_issues" / "batch-timeout-unitless.yaml"
    res = run("check", *_DEAD_CHECK[:-5], "--env-file", str(env), "--protocol", "grpc", "--no-e2e",
              "--config", str(config), "--timeout", "1s", "--json")  # fmt: skip
    _pin("check-config-env", _ok(res, ExitCode.PROBLEM), paths={str(tmp_path): "<tmp>"})


def test_check_end_to_end_through_listen() -> None:
    with listening() as lp:
        res = run("check", "--otlp-endpoint", f"http://{lp.http}", "--protocol", "http/protobuf",
                  "--jaeger-url", lp.query_url, "--collector-health-url", f"http://{DEAD}",
                  "--collector-metrics-url", f"http://{DEAD}/metrics", "--env-file", "/dev/null",
                  "--timeout", "2s", "--wait", "10s", "--json")  # fmt: skip
    _pin("check-e2e-listen", _ok(res, ExitCode.OK, ExitCode.PROBLEM))


def _tier(receiver: str, exporter: str) -> str:
    """A collector config whose every address is a dead port (9 to 12) on its own loopback address."""
    return f"""receivers:
  otlp:
    protocols:
      grpc:
        endpoint: {receiver}:9
      http:
        endpoint: {receiver}:10
processors:
  batch:
exporters:
  otlp:
    endpoint: {exporter}:9
    tls:
      insecure: true
extensions:
  health_check:
    endpoint: {receiver}:11
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp]
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: {receiver}
                port: 12
"""


def test_check_two_tiers_and_a_fleet_nothing_listening(tmp_path: Path) -> None:
    agent, gateway = tmp_path / "agent.yaml", tmp_path / "gateway.yaml"
    agent.write_text(_tier("127.0.0.2", "127.0.0.3"))
    gateway.write_text(_tier("127.0.0.3", "127.0.0.4"))
    res = run("check", "--config", f"agent={agent}", "--config", f"gateway={gateway}", "--jaeger-url", f"http://{DEAD}",
              "--prometheus-url", f"http://{DEAD}", "--env-file", "/dev/null", "--timeout", "1s", "--wait", "1s",
              "--json")  # fmt: skip
    _pin("check-chain-fleet", _ok(res, ExitCode.PROBLEM), paths={str(tmp_path): "<tmp>"})


# --- send-test-span ---------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_send_nothing_listening(protocol: str) -> None:
    res = run("send-test-span", "--endpoint", f"http://{DEAD}", "--protocol", protocol, "--timeout", "1s", "--json")
    _pin(f"send-dead-{protocol.replace('/', '-')}", _ok(res, ExitCode.PROBLEM))


def test_send_explain_settings() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
           "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20s3cr3t,x-tenant=a", "OTEL_EXPORTER_OTLP_TIMEOUT": "7000",
           "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_INSECURE": "true"}  # fmt: skip
    res = run("send-test-span", "--explain", "--json", env=env)
    docs = _pin("send-explain", _ok(res, ExitCode.OK, ExitCode.PROBLEM))
    assert "s3cr3t" not in json.dumps(docs)


def test_send_accepted_and_verified_by_listen() -> None:
    with listening() as lp:
        res = run("send-test-span", "--endpoint", f"http://{lp.http}", "--protocol", "http/protobuf",
                  "--jaeger-url", lp.query_url, "--verify", "--wait", "10s", "--child",
                  "--attribute", "k=v", "--json")  # fmt: skip
    _pin("send-verified", _ok(res, ExitCode.OK))


def test_send_grpc_accepted_by_listen() -> None:
    with listening() as lp:
        res = run("send-test-span", "--endpoint", f"http://{lp.grpc}", "--protocol", "grpc", "--insecure", "--json")
    _pin("send-grpc-accepted", _ok(res, ExitCode.OK))


def test_send_count_accepted_and_failed() -> None:
    with listening() as lp:
        res = run("send-test-span", "--endpoint", f"http://{lp.http}", "--protocol", "http/protobuf",
                  "--count", "20", "--batch-size", "5", "--json")  # fmt: skip
    _pin("send-count-accepted", _ok(res, ExitCode.OK))
    res = run("send-test-span", "--endpoint", f"http://{DEAD}", "--protocol", "http/protobuf",
              "--count", "10", "--batch-size", "5", "--timeout", "1s", "--json")  # fmt: skip
    _pin("send-count-dead", _ok(res, ExitCode.PROBLEM))


# --- validate-config --------------------------------------------------------------------------------

_ISSUES = REPO / "tests" / "validate_corpus_issues"


@pytest.mark.parametrize(
    ("case", "args"),
    [
        ("validate-errors", ["receivers-section-typo.yaml", "exporter-insecure-outside-tls.yaml"]),
        ("validate-warnings-strict", ["batch-timeout-unitless.yaml", "--strict"]),
        ("validate-jaeger-graph", ["jaeger-memory-docs.yaml", "--graph", "mermaid"]),
        ("validate-graph-text", ["probabilistic-sampler.yaml", "--graph", "text"]),
    ],
)
def test_validate_config(case: str, args: list[str]) -> None:
    argv = [str(_ISSUES / a) if a.endswith(".yaml") else a for a in args]
    res = run("validate-config", *argv, "--json")
    _pin(case, _ok(res, ExitCode.OK, ExitCode.PROBLEM))


def test_validate_config_yaml_syntax_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("receivers: [\n")
    res = run("validate-config", str(bad), "--json")
    _pin("validate-yaml-syntax", _ok(res, ExitCode.PROBLEM), paths={str(tmp_path): "<tmp>"})


# --- find-trace -------------------------------------------------------------------------------------


_CRAFTED = [
    S(TRACE, ROOT, "GET /orders", "shop", T0, T0 + 50_000_000, attrs={"http.route": "/orders"}),
    S(TRACE, CHILD, "SELECT orders", "db", T0 + 5_000_000, T0 + 20_000_000, parent=ROOT, error="timeout"),
    S(TRACE, ORPHAN, "late", "shop", T0 + 30_000_000, T0 + 40_000_000, parent="4444444444444444"),
]


def _crafted(lp: Running) -> None:
    send_otlp(lp.http, _CRAFTED)


def test_find_trace_by_id_and_search() -> None:
    with listening() as lp:
        _crafted(lp)
        url = ["--jaeger-url", lp.query_url]
        by_id = run("find-trace", TRACE, *url, "--json")
        window = ["--start", str(T0 // 10**9 - 60), "--end", str(T0 // 10**9 + 60)]
        search = run("find-trace", *url, "--service", "shop", *window, "--json")
        tagged = run("find-trace", *url, "--service", "shop", "--tag", "http.route=/orders", *window, "--json")
        none = run("find-trace", *url, "--service", "nobody", *window, "--json")
        missing = run("find-trace", "abc", *url, "--json")
    _pin("find-by-id", _ok(by_id, ExitCode.OK, ExitCode.PROBLEM))
    _pin("find-search", _ok(search, ExitCode.OK, ExitCode.PROBLEM))
    _pin("find-search-tag", _ok(tagged, ExitCode.OK, ExitCode.PROBLEM))
    _pin("find-search-none", _ok(none, ExitCode.PROBLEM))
    _pin("find-by-id-missing", _ok(missing, ExitCode.PROBLEM))


def test_find_trace_jaeger_down() -> None:
    url = ["--jaeger-url", f"http://{DEAD}", "--timeout", "1s", "--json"]
    _pin("find-by-id-down", _ok(run("find-trace", TRACE, *url), ExitCode.PROBLEM))
    _pin("find-search-down", _ok(run("find-trace", "--service", "shop", *url), ExitCode.PROBLEM))


@pytest.mark.peers
@pytest.mark.matrix(jaeger_peer=JAEGERS)
def test_find_trace_by_id_in_a_real_jaeger(jaeger: Jaeger, jaeger_peer: str) -> None:
    """The real Jaeger's answer, as find-trace reports it (v3 for Jaeger v2, the legacy API for v1)."""
    send_otlp(jaeger.otlp_http, _CRAFTED)
    wait_for_trace(jaeger.query_url, TRACE, spans=len(_CRAFTED))
    res = run("find-trace", TRACE, "--jaeger-url", jaeger.query_url, "--json")
    _pin(f"find-by-id-{jaeger_peer}", _ok(res, ExitCode.OK, ExitCode.PROBLEM), server_order=True)


# --- listen -----------------------------------------------------------------------------------------


def _send_when_open(port: int, spans: list[S], done: threading.Event) -> None:
    deadline = time.monotonic() + 20
    while not port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        send_otlp(f"127.0.0.1:{port}", spans)
    finally:
        done.set()


def test_listen_streamed_lines_and_summary() -> None:
    port = free_port()
    spans = [
        S(TRACE, ROOT, "GET /orders", "shop", T0, T0 + 50_000_000, attrs={"http.route": "/orders"}),
        S(TRACE, CHILD, "SELECT orders", "db", T0 + 5_000_000, T0 + 20_000_000, parent=ROOT, error="timeout"),
        S(TRACE, ORPHAN, "late", "unknown_service:python", T0 + 1, T0 + 2, parent="4444444444444444"),
    ]
    done = threading.Event()
    sender = threading.Thread(target=_send_when_open, args=(port, spans, done), daemon=True)
    sender.start()
    res = run("listen", "--grpc-endpoint", "off", "--http-endpoint", f"127.0.0.1:{port}", "--query-endpoint", "off",
              "--json-lines", "--stop-after", "2s")  # fmt: skip
    sender.join(5)
    assert done.is_set()
    docs = _pin("listen-json-lines", _ok(res, ExitCode.OK), lines=True, decided=frozenset({"duration_ms"}))
    assert [d["type"] for d in docs] == ["span", "span", "span", "summary"]


def test_listen_summary_of_nothing() -> None:
    res = run("listen", "--grpc-endpoint", "off", "--http-endpoint", f"127.0.0.1:{free_port()}",
              "--query-endpoint", "off", "--json-lines", "--stop-after", "200ms")  # fmt: skip
    _pin("listen-empty-summary", _ok(res, ExitCode.OK), lines=True)


# --- run --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "argv", "extra"),
    [
        ("run-traced-app", [sys.executable, "tests/apps/traced.py", "good", "3"], []),
        ("run-no-provider", [sys.executable, "tests/apps/traced.py", "no-provider"], ["--no-observe"]),
        ("run-no-spans", ["true"], []),
    ],
)
def test_run(case: str, argv: list[str], extra: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    res = run("run", "--json", "--grace", "0.3s", *extra, "--", *argv)
    _pin(case, _ok(res, ExitCode.OK, ExitCode.PROBLEM), paths={sys.executable: "<python>"})


def _iter_golden() -> Iterator[Path]:
    yield from sorted(CONTRACT.glob("*.json"))


def test_every_golden_file_belongs_to_a_case() -> None:
    """A case renamed or removed leaves no stale golden file behind."""
    source = Path(__file__).read_text(encoding="utf-8")
    known = set(re.findall(r'"([a-z0-9-]+)"', source))
    known |= {f"send-dead-{p}" for p in ("grpc", "http-protobuf", "http-json")}
    known |= {f"find-by-id-{j}" for j in JAEGERS}
    stale = [p.name for p in _iter_golden() if p.stem not in known]
    assert not stale, f"golden files with no case: {stale}"
