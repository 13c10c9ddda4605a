"""Attacked as an adversary would (issue 12): every class of attack, with hand-made hostile peers.

No real peer lies, floods, hangs or injects escape sequences on purpose, so the servers here are
hand-made (tests/hostile.py). Each test asserts the exit code, the bytes that reached the output
(no secret, no raw control character), and where it matters the time (generous bounds from
tests/bounds.py) and the peak memory of a real otdiag process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otdiag import redact
from otdiag.model import ExitCode
from tests import hostile
from tests.bounds import within
from tests.cli_runner import Result, run

SECRETS = ("PWsecret9", "TOKsecret7", "APIsecret5", "HDRsecret3", "JPWsecret1")
EVIL = "\x1b]0;pwned\x07\x1b[31mred\x1b[0m\nFORGED LINE\r\x9b2J\u202egnp.exe\x00"
"""An OSC title, a colour, a forged line, a carriage return, a C1 CSI, a bidi override and a NUL."""


def clean_bytes(text: str) -> None:
    """Nothing a terminal would act on: no ESC, no C1, no BEL/CR/NUL, no bidi override, no secret."""
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked: {text[:2000]}"
    bad = re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert not bad, f"raw control characters {bad!r} in {text[:2000]!r}"
    for line in text.splitlines():
        assert not line.startswith("FORGED LINE"), "a newline from the network started a line of its own"


def no_traceback(res: Result) -> None:
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr, res.stderr


@dataclass
class Proc:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float


def otdiag(*args: str, env: dict[str, str] | None = None, limit: float = 60.0, signals: Any = None) -> Proc:
    """otdiag as a real process: exit code, output, wall time and peak RSS (from wait4).

    `signals`: [(after_seconds, signum), ...] sent to it while it runs.
    """
    out, err = (Path(os.environ.get("TMPDIR", "/tmp")) / f"otdiag-hostile-{os.getpid()}-{n}" for n in ("o", "e"))
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})}
    started = time.monotonic()
    rss = out.with_suffix(".rss")
    with out.open("wb") as fo, err.open("wb") as fe:
        # Through a small launcher: Linux counts the RSS of the process that spawned a child in the child's
        # peak (it is the child's until exec), and this test process is large by now.
        # Signals go to otdiag itself: those tests read its exit, not its memory.
        launch = [] if signals else [sys.executable, "-S", "-c", _LAUNCHER, str(rss)]
        proc = subprocess.Popen(
            [*launch, sys.executable, "-m", "otdiag", *args], stdout=fo, stderr=fe, env=full_env
        )  # fmt: skip
        timers = [threading.Timer(t, lambda s=s: _signal(proc, s)) for t, s in (signals or [])]
        killer = threading.Timer(limit, lambda: _signal(proc, signal.SIGKILL))
        for t in [*timers, killer]:
            t.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        for t in [*timers, killer]:
            t.cancel()
    usage_kib = usage.ru_maxrss
    if launch:
        usage_kib = int(rss.read_text() or "0")
        rss.unlink()
    seconds = time.monotonic() - started
    res = Proc(proc.returncode, out.read_text("utf-8", "replace"), err.read_text("utf-8", "replace"), seconds,
               usage_kib / 1024)  # fmt: skip
    out.unlink()
    err.unlink()
    return res


_LAUNCHER = """
import os, signal, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, lambda n, _f: os.kill(pid, n))
while True:
    try:
        _, status, usage = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""
"""Runs otdiag as its child and writes the child's own peak RSS (KiB); signals pass through, and it ends as
the child ended (the same exit status, or the same signal)."""


def _signal(proc: subprocess.Popen[bytes], signum: int) -> None:
    if proc.returncode is None:
        with suppress(ProcessLookupError):
            os.kill(proc.pid, signum)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# === 1. unbounded reads and children ==================================================================


def test_dev_zero_as_env_file_is_refused_quickly_and_small() -> None:
    p = otdiag("check", "--env-file", "/dev/zero", "--timeout", "1s", "--no-e2e")
    assert p.rc == ExitCode.USAGE, p.stderr
    assert "larger than 1 MiB" in p.stderr
    assert p.seconds < within(1)
    assert p.max_rss_mb < 300


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom"])
def test_devices_as_config_files_are_refused(source: str) -> None:
    res = run("validate-config", source)
    assert res.exit_code == ExitCode.USAGE
    # One message: its wrapped lines (at 80 columns without a terminal) are indented under "otdiag: ".
    lines = res.stderr.rstrip("\n").split("\n")
    assert "larger than" in " ".join(res.stderr.split()) and all(line.startswith(" ") for line in lines[1:])
    res = run("check", "--config", source, "--env-file", "/dev/null", "--timeout", "1s", "--no-e2e")
    assert res.exit_code == ExitCode.USAGE


def test_fifo_env_file_with_a_silent_writer_ends_at_the_timeout(tmp_path: Path) -> None:
    fifo = tmp_path / "env"
    os.mkfifo(fifo)
    holder = subprocess.Popen(["sh", "-c", f"sleep 30 > {fifo}"])
    try:
        started = time.monotonic()
        res = run("check", "--env-file", str(fifo), "--timeout", "1s", "--no-e2e")
        assert time.monotonic() - started < within(1)
    finally:
        holder.kill()
        holder.wait()
    assert res.exit_code == ExitCode.USAGE
    assert "did not finish within 1s" in " ".join(res.stderr.split())


def test_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "c.yaml"
    os.mkfifo(fifo)
    started = time.monotonic()
    res = run("validate-config", str(fifo), "--json")
    assert time.monotonic() - started < within(1)
    no_traceback(res)
    assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM)


def test_a_sparse_huge_file_is_refused_from_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.env"
    with big.open("wb") as fh:
        fh.truncate(8 * 1024**3)
    started = time.monotonic()
    res = run("check", "--env-file", str(big), "--timeout", "1s", "--no-e2e")
    assert res.exit_code == ExitCode.USAGE and "larger than 1 MiB" in res.stderr
    assert time.monotonic() - started < within(1)
    res = run("send-test-span", "--ca-file", str(big), "--endpoint", "https://127.0.0.1:1", "--timeout", "1s")
    assert res.exit_code == ExitCode.USAGE and "larger than" in res.stderr


def test_file_reference_to_a_device_in_a_config_is_a_finding(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ${file:/dev/zero}\n")
    started = time.monotonic()
    res = run("validate-config", str(cfg), "--json")
    assert time.monotonic() - started < within(5)
    no_traceback(res)
    assert res.exit_code == ExitCode.PROBLEM
    assert "larger than" in res.stdout


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_otelcol_that_never_exits_is_killed_with_its_grandchildren(tmp_path: Path, monkeypatch: Any) -> None:
    from otdiag.validate import binary

    pidfile = tmp_path / "pids"
    fake = _script(tmp_path, "otelcol", f"(sleep 300) &\necho $! > {pidfile}\nsleep 300\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("receivers: {}\n")
    monkeypatch.setattr(binary, "TIMEOUT_S", 1.0)
    started = time.monotonic()
    res = run("validate-config", str(cfg), "--otelcol", str(fake), "--json")
    assert time.monotonic() - started < within(1)
    no_traceback(res)
    codes = [f["code"] for f in res.json()["files"][0]["findings"]]
    assert "config.collector-not-run" in codes
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 3
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), "the grandchild holding the pipes survived"


def test_otelcol_that_exits_but_leaves_a_grandchild_on_the_pipes_does_not_hold_otdiag(tmp_path: Path) -> None:
    fake = _script(tmp_path, "otelcol", "(sleep 300) &\necho 'Error: invalid configuration'\nexit 1\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("receivers: {}\n")
    started = time.monotonic()
    res = run("validate-config", str(cfg), "--otelcol", str(fake), "--json")
    assert time.monotonic() - started < within(1)
    assert "invalid configuration" in res.stdout


def test_otelcol_flooding_its_output_is_capped(tmp_path: Path) -> None:
    fake = _script(tmp_path, "otelcol", "head -c 1500000000 /dev/zero | tr '\\0' 'x'\nexit 1\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("receivers: {}\n")
    p = otdiag("validate-config", str(cfg), "--otelcol", str(fake), "--json", limit=120)
    assert p.rc == ExitCode.PROBLEM, p.stderr
    assert p.max_rss_mb < 400, f"{p.max_rss_mb:.0f} MB"
    assert len(p.stdout) < 2 * 1024 * 1024


def test_otelcol_output_is_scrubbed_and_printable(tmp_path: Path) -> None:
    evil = EVIL.replace("\x00", "").replace("\n", " ").replace("\r", " ")
    fake = _script(
        tmp_path,
        "otelcol",
        f"printf '%s\\n' 'Error: exporters::otlp: dial http://admin:PWsecret9@collector:4317?token=TOKsecret7 "
        f"{evil}'\nexit 1\n",
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text("exporters:\n  otlp:\n    endpoint: collector:4317\n")
    for fmt in ("text", "json", "sarif", "github"):
        res = run("validate-config", str(cfg), "--otelcol", str(fake), "--format", fmt)
        assert res.exit_code == ExitCode.PROBLEM, (fmt, res.stderr)
        assert "collector:4317" in res.stdout
        clean_bytes(res.stdout)


# === 2. secrets on every output path ===================================================================

URL_PW = "http://admin:PWsecret9@127.0.0.1:{port}/path?token=TOKsecret7&api_key=APIsecret5&keep=1"


@pytest.mark.parametrize("as_json", [False, True])
def test_send_test_span_never_prints_userinfo_or_secret_query(as_json: bool) -> None:
    port = free_port()
    args = ["send-test-span", "--endpoint", URL_PW.format(port=port), "--timeout", "1s"]
    args += ["--header", "authorization=Bearer HDRsecret3", "--jaeger-url", f"http://u:JPWsecret1@127.0.0.1:{port}"]
    res = run(*args, *(["--json"] if as_json else []))
    assert res.exit_code == ExitCode.PROBLEM
    clean_bytes(res.stdout + res.stderr)
    assert "keep=1" in res.stdout and "<redacted>" in res.stdout
    if as_json:
        doc = res.json()
        assert doc["settings"]["headers"]["authorization"] == "<redacted>"


def test_basic_auth_from_userinfo_is_named_never_valued() -> None:
    res = run("send-test-span", "--endpoint", "http://admin:PWsecret9@127.0.0.1:1", "--explain", "--json")
    headers = res.json()["settings"]["headers"]
    assert headers["authorization"].startswith("Basic <redacted>")
    clean_bytes(res.stdout)
    import base64

    assert base64.b64encode(b"admin:PWsecret9").decode() not in res.stdout


def test_a_server_echoing_the_credentials_does_not_leak_them() -> None:
    with hostile.http_server(hostile.echo_auth()) as port:
        url = f"http://admin:PWsecret9@127.0.0.1:{port}/v1/traces?sig=TOKsecret7"
        for extra in ([], ["--json"]):
            res = run(
                "send-test-span", "--endpoint", url, "--header", "x-api-key=APIsecret5", "--timeout", "2s", *extra
            )
            assert res.exit_code == ExitCode.PROBLEM
            assert "401" in res.stdout
            clean_bytes(res.stdout + res.stderr)


@pytest.mark.parametrize("as_json", [False, True])
def test_check_never_prints_secrets_from_flags_env_or_env_file(tmp_path: Path, as_json: bool) -> None:
    port = free_port()
    env_file = tmp_path / "app.env"
    env_file.write_text(
        f"OTEL_EXPORTER_OTLP_ENDPOINT={URL_PW.format(port=port)}\n"
        "OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20HDRsecret3\n"
    )
    args = [
        "check", "--env-file", str(env_file), "--timeout", "1s", "--wait", "1s",
        "--jaeger-url", f"http://admin:JPWsecret1@127.0.0.1:{port}/?api_key=APIsecret5",
        "--collector-health-url", f"http://u:PWsecret9@127.0.0.1:{port}/",
        "--collector-metrics-url", f"http://127.0.0.1:{port}/metrics?token=TOKsecret7",
    ]  # fmt: skip
    res = run(*args, *(["--json"] if as_json else []))
    assert res.exit_code == ExitCode.PROBLEM
    clean_bytes(res.stdout + res.stderr)


def test_secrets_in_the_environment_and_jaeger_url_variable(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": URL_PW.format(port=port),
        "OTDIAG_JAEGER_URL": f"http://admin:JPWsecret1@127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=APIsecret5",
    }
    for args in (
        ["send-test-span", "--timeout", "1s", "--verify", "--verify-wait", "1s"],
        ["check", "--timeout", "1s"],
    ):
        for extra in ([], ["--json"]):
            res = run(*args, *extra, env=env)
            no_traceback(res)
            clean_bytes(res.stdout + res.stderr)


def test_check_config_exporter_endpoints_with_passwords(tmp_path: Path) -> None:
    port = free_port()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{port}\n"
        f"exporters:\n  otlphttp:\n    endpoint: http://admin:PWsecret9@127.0.0.1:{port}?token=TOKsecret7\n"
        "    headers:\n      authorization: Bearer HDRsecret3\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [otlphttp]\n"
    )
    for extra in ([], ["--json"]):
        res = run("check", "--config", str(cfg), "--env-file", "/dev/null", "--timeout", "1s", "--no-e2e", *extra)
        no_traceback(res)
        clean_bytes(res.stdout + res.stderr)


CONFIG_WITH_SECRETS = """receivers:
  otlp:
    protocols:
      grpc:
exporters:
  otlphttp:
    endpoint: "http://admin:PWsecret9@collector:4318"
    headers:
      authorization: "Bearer HDRsecret3"
      x-api-key: APIsecret5
  otlphttp/2:
    endpoint: "http://admin:P\\x57secret9@collector:4318"
    password: 123456789
    token:
      - TOKsecret7
    client_secret: |
      JPWsecret1
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp, otlphttp/2, nope]
"""


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_validate_config_never_prints_secret_values(tmp_path: Path, fmt: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG_WITH_SECRETS)
    res = run("validate-config", str(cfg), "--format", fmt)
    assert res.exit_code == ExitCode.PROBLEM
    clean_bytes(res.stdout + res.stderr)
    assert "123456789" not in res.stdout and "PWsecret9" not in res.stdout
    if fmt == "text":
        assert "nope" in res.stdout  # the frames are still shown


def test_headers_errors_never_echo_values() -> None:
    env = {"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer HDRsecret3,Bearer APIsecret5"}
    res = run("send-test-span", "--endpoint", "http://127.0.0.1:1", "--timeout", "1s", env=env)
    clean_bytes(res.stdout + res.stderr)
    assert "header item #2" in res.stdout


@pytest.mark.parametrize("value", ["Bearer%0D%0AX-Evil:%201", "Bearer%0AHDRsecret3", "a%00b"])
def test_cr_lf_in_a_header_is_a_finding_without_the_value(value: str) -> None:
    # The app's environment: a finding (check says the same); the flag otdiag was given: a usage error.
    env = {"OTEL_EXPORTER_OTLP_HEADERS": f"authorization={value}"}
    res = run("send-test-span", "--endpoint", "http://127.0.0.1:1", "--timeout", "1s", "--json", env=env)
    assert res.exit_code == ExitCode.PROBLEM
    bad = [f for f in json.loads(res.stdout)["findings"] if f["code"] == "ingest.bad-header"]
    assert len(bad) == 1 and "authorization" in bad[0]["message"]
    assert "Evil" not in res.stdout and "HDRsecret3" not in res.stdout
    clean_bytes(res.stdout + res.stderr)
    res = run("send-test-span", "--endpoint", "http://127.0.0.1:1", "--header", "x=a\r\nb", "--timeout", "1s")
    assert res.exit_code == ExitCode.USAGE


def test_the_scrubber_is_idempotent_and_keeps_plain_text() -> None:
    for text in ("http://a:b@h/p?token=x&keep=1", "authorization: Bearer abcdef123", "password=hunter22"):
        once = redact.scrub(text)
        assert once != text and redact.scrub(once) == once
    plain = "Add a default: ${env:X:-value}. Use Bearer TOKEN or Basic auth."
    assert redact.scrub(plain) == plain


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # a token with its scheme word anywhere: an argv word, a quoted header, an SDK error (issue 23)
        ("Bearer wrong-T0KEN-leak1", "Bearer <redacted>"),
        ("node app.cjs http://h:4318 Bearer wrong-T0KEN-leak1", "node app.cjs http://h:4318 Bearer <redacted>"),
        ("header 'Basic b3RkaWFnOndyb25nUFctbGVhazI='", "header 'Basic <redacted>'"),
        ("Authorization: Negotiate YIIabc123", "Authorization: Negotiate <redacted>"),
        ("authorization=Basic eHl6OmFiYw==", "authorization=Basic <redacted>"),
        # prose keeps its words
        ("a Bearer token is missing; basic auth failed", "a Bearer token is missing; basic auth failed"),
        ("basic setup done", "basic setup done"),
    ],
)
def test_a_token_after_its_scheme_word_is_redacted(text: str, scrubbed: str) -> None:
    assert redact.scrub(text) == scrubbed


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # the sentence's punctuation after a URL stays the sentence's
        ("POST http://h:4318/v1/traces?token=abc: refused", "POST http://h:4318/v1/traces?token=<redacted>: refused"),
        ("(see http://h/?api_key=abc).", "(see http://h/?api_key=<redacted>)."),
        ("http://h/?sig=abc&b=1: ok", "http://h/?sig=<redacted>&b=1: ok"),
        # punctuation inside the value is the value's: all of it goes
        ("http://h/?token=a:b:c now", "http://h/?token=<redacted> now"),
        ("http://h/?token=a.b.c", "http://h/?token=<redacted>"),
    ],
)
def test_a_secret_query_value_ends_where_the_url_does(text: str, scrubbed: str) -> None:
    assert redact.scrub(text) == scrubbed


# === 3. a hostile or lying Jaeger =======================================================================


def _span_v3(**over: Any) -> dict[str, Any]:
    span = {
        "traceId": "0" * 31 + "1", "spanId": "1" * 16, "name": "op", "kind": 2,
        "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000100000000",
        "status": {}, "attributes": [{"key": "k", "value": {"stringValue": "v"}}],
    }  # fmt: skip
    span.update(over)
    return span


def _v3(spans: list[Any], resource: Any = None) -> bytes:
    res = resource if resource is not None else {"attributes": [{"key": "service.name", "value": {"stringValue": "s"}}]}
    doc = {"result": {"resourceSpans": [{"resource": res, "scopeSpans": [{"spans": spans}]}]}}
    return json.dumps(doc).encode()


def _legacy(span_over: dict[str, Any]) -> bytes:
    span = {"traceID": "1", "spanID": "2", "operationName": "op", "startTime": 1700000000000000, "duration": 5,
            "processID": "p1", "references": [], "tags": []}  # fmt: skip
    span.update(span_over)
    return json.dumps({"data": [{"traceID": "1", "spans": [span], "processes": {"p1": {"serviceName": "s"}}}]}).encode()


HOSTILE_TRACES: list[tuple[str, bytes]] = [
    ("strings as resourceSpans", b'{"result": {"resourceSpans": ["a", "b"]}}'),
    ("resourceSpans an object", b'{"result": {"resourceSpans": {"x": 1}}}'),
    ("deep array", b"[" * 100_000 + b"]" * 100_000),
    ("deep object in result", b'{"result": ' + b'{"a":' * 5000 + b"1" + b"}" * 5001),
    ("legacy startTime 1e30", _legacy({"startTime": 10**30})),
    ("legacy startTime float inf", _legacy({"startTime": 1e400})),
    ("legacy duration negative", _legacy({"duration": -5})),
    ("legacy spans strings", b'{"data": [{"traceID": "1", "spans": ["x"], "processes": {}}]}'),
    ("legacy references junk", _legacy({"references": ["x"]})),
    ("legacy processes list", _legacy({}).replace(b'"processes": {"p1": {"serviceName": "s"}}', b'"processes": []')),
    ("v3 startTimeUnixNano 1e26", _v3([_span_v3(startTimeUnixNano=str(10**26))])),
    ("v3 time NaN", _v3([_span_v3(startTimeUnixNano="NaN")])),
    ("v3 time 5000 digits", b'{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":'
     + b"9" * 5000 + b"}]}]}]}}"),
    ("v3 name a list", _v3([_span_v3(name=["x"])])),
    ("v3 kind a list", _v3([_span_v3(kind=[1])])),
    ("v3 status a string", _v3([_span_v3(status="bad")])),
    ("v3 traceId not hex", _v3([_span_v3(traceId="[link=http://evil]x[/link]")])),
    ("v3 spanId too long", _v3([_span_v3(spanId="f" * 40)])),
    ("v3 spans a number", b'{"result": {"resourceSpans": [{"scopeSpans": [{"spans": 7}]}]}}'),
    ("v3 resource a list", _v3([_span_v3()], resource=[1, 2])),
]  # fmt: skip


@contextmanager
def lying_jaeger(body: bytes, status: int = 200) -> Iterator[str]:
    """Answers every query with `body`; a legacy-shaped body comes from a Jaeger without API v3."""
    answer = hostile.reply(status, body, "application/json")
    if body.startswith(b'{"data"'):
        answer = hostile.routes({"/api/v3/": hostile.reply(404, b"404 page not found", "text/plain"), "/api/": answer})
    with hostile.http_server(answer) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(("name", "body"), HOSTILE_TRACES, ids=[n for n, _ in HOSTILE_TRACES])
def test_a_lying_jaeger_is_a_bad_answer_finding_never_a_crash(name: str, body: bytes) -> None:
    with lying_jaeger(body) as url:
        res = run("find-trace", "1", "--jaeger-url", url, "--json", "--timeout", "5s")
        no_traceback(res)
        assert res.exit_code == ExitCode.PROBLEM, (name, res.stdout, res.stderr)
        f = res.json()["findings"][0]
        assert f["code"] in ("jaeger.bad-answer", "jaeger.not-query-api"), f
        clean_bytes(res.stdout)
        human = run("find-trace", "1", "--jaeger-url", url, "--timeout", "5s")
        assert human.exit_code == ExitCode.PROBLEM
        clean_bytes(human.stdout)


def test_the_bad_answer_quotes_a_short_sanitised_excerpt() -> None:
    with lying_jaeger(_v3([_span_v3(startTimeUnixNano=str(10**26), name=EVIL)])) as url:
        res = run("find-trace", "1", "--jaeger-url", url, "--json", "--timeout", "5s")
    f = res.json()["findings"][0]
    assert f["code"] == "jaeger.bad-answer"
    assert str(10**26)[:20] in f["message"] and len(f["message"]) < 600
    clean_bytes(res.stdout)


def test_search_with_a_lying_jaeger() -> None:
    with lying_jaeger(b'{"result": {"resourceSpans": [1, 2, 3]}}') as url:
        res = run("find-trace", "--service", "s", "--jaeger-url", url, "--json", "--timeout", "5s")
    no_traceback(res)
    assert res.exit_code == ExitCode.PROBLEM
    assert res.json()["findings"][0]["code"] == "jaeger.bad-answer"


@pytest.mark.parametrize(
    "services", [b'{"services": [1, [2], {"a": 3}]}', b'{"services": "abc"}', b"[" * 50_000 + b"]" * 50_000]
)
def test_check_with_a_lying_jaeger_is_not_a_crash(services: bytes) -> None:
    with hostile.http_server(hostile.reply(200, services, "application/json")) as port:
        res = run("check", "--jaeger-url", f"http://127.0.0.1:{port}", "--env-file", "/dev/null",
                  "--otlp-endpoint", f"http://127.0.0.1:{free_port()}", "--timeout", "1s", "--json")  # fmt: skip
    no_traceback(res)
    assert res.exit_code == ExitCode.PROBLEM
    clean_bytes(res.stdout)


def test_send_verify_with_a_lying_jaeger() -> None:
    otlp = hostile.routes({"/v1/traces": hostile.reply(200, b"", "application/x-protobuf")})
    with hostile.http_server(otlp) as port, lying_jaeger(_legacy({"startTime": 10**30})) as jaeger:
        res = run("send-test-span", "--endpoint", f"http://127.0.0.1:{port}", "--verify", "--verify-wait", "1s",
                  "--jaeger-url", jaeger, "--json", "--timeout", "2s")  # fmt: skip
    no_traceback(res)
    assert res.exit_code == ExitCode.PROBLEM
    assert "jaeger.bad-answer" in [f["code"] for f in res.json()["findings"]]


_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
)  # fmt: skip
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_span_keys = ["traceId", "spanId", "parentSpanId", "name", "kind", "startTimeUnixNano", "endTimeUnixNano",
              "status", "attributes", "events"]  # fmt: skip
_legacy_keys = [
    "traceID",
    "spanID",
    "operationName",
    "startTime",
    "duration",
    "processID",
    "references",
    "tags",
    "logs",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    legacy=st.booleans(),
    overrides=st.dictionaries(st.sampled_from(_span_keys + _legacy_keys), _json, max_size=4),
    envelope=st.one_of(st.none(), _json),
)
def test_fuzzed_jaeger_answers_never_crash_the_adapter_or_the_views(
    legacy: bool, overrides: dict[str, Any], envelope: Any
) -> None:
    """Mutated Jaeger answers: the adapter returns traces or raises JaegerError; the views never raise."""
    import io

    from otdiag.jaeger.client import JaegerClient, JaegerError, _parse
    from otdiag.jaeger.trace import from_legacy, from_v3
    from otdiag.jaeger.trace_analysis import analyse
    from otdiag.net import http
    from otdiag.render.human import make_console, print_findings
    from otdiag.render.waterfall import print_trace, print_trace_list

    body = (_legacy(overrides) if legacy else _v3([_span_v3(**overrides)])) if envelope is None else b""
    try:
        raw = json.dumps(envelope).encode() if envelope is not None else body
    except ValueError:
        return
    resp = http.Response(200, {"content-type": "application/json"}, raw, 1.0)
    try:
        doc = JaegerClient._doc(resp)
        traces = _parse(from_legacy if legacy else from_v3, doc)
    except JaegerError:
        return
    except Exception as exc:
        assert type(exc).__name__ == "_RouteMissing", exc
        return
    out = io.StringIO()
    console = make_console(width=100)
    console.file = out
    for t in traces:
        print_trace(console, t, verbose=True)
        print_findings(console, analyse(t))
        redact.json_dumps(t.to_json())
    print_trace_list(console, traces)
    clean_bytes(out.getvalue())


# === 4. terminal escape injection ======================================================================


def test_find_trace_makes_every_network_string_printable() -> None:
    spans = [
        _span_v3(name=EVIL, status={"code": 2, "message": EVIL}, attributes=[{"key": EVIL, "value": {"stringValue": EVIL}}]),
        _span_v3(spanId="2" * 16, parentSpanId="3" * 16, name="[link=http://evil]x[/link] :x:", kind="SPAN_KIND_" + EVIL),
    ]  # fmt: skip
    res_attr = {"attributes": [{"key": "service.name", "value": {"stringValue": EVIL}}]}
    with lying_jaeger(_v3(spans, res_attr)) as url:
        human = run("find-trace", "1", "--jaeger-url", url, "--timeout", "5s", "-v")
        as_json = run("find-trace", "1", "--jaeger-url", url, "--timeout", "5s", "--json")
    assert human.exit_code in (ExitCode.OK, ExitCode.PROBLEM), human.stdout
    no_traceback(human)
    clean_bytes(human.stdout)
    assert "⏎FORGED LINE" in human.stdout and "[link=http://evil]x[/link] :x:" in human.stdout
    assert "❌" not in human.stdout
    clean_bytes(as_json.stdout)
    assert json.loads(as_json.stdout)["trace"]["spans"][0]["name"] == EVIL  # JSON keeps the data, escaped


def test_receiver_error_bodies_are_printable_in_send_and_check() -> None:
    body = ("bad request: " + EVIL).encode()
    with hostile.http_server(hostile.reply(400, body, "text/plain")) as port:
        send = run("send-test-span", "--endpoint", f"http://127.0.0.1:{port}", "--timeout", "2s")
        check = run("check", "--otlp-endpoint", f"http://127.0.0.1:{port}", "--env-file", "/dev/null",
                    "--jaeger-url", f"http://127.0.0.1:{port}", "--timeout", "1s")  # fmt: skip
    assert send.exit_code == ExitCode.PROBLEM and check.exit_code == ExitCode.PROBLEM
    for res in (send, check):
        no_traceback(res)
        clean_bytes(res.stdout + res.stderr)


def test_evil_input_in_usage_errors_is_printable() -> None:
    res = run("find-trace", EVIL, env={"COLUMNS": "1000"})  # one line at 1000 columns (it wraps when narrower)
    assert res.exit_code == ExitCode.USAGE
    assert res.stderr.count("\n") == 1
    clean_bytes(res.stderr)
    res = run("send-test-span", "--endpoint", "http://h/\x1b[2J", "--timeout", "1s")
    assert res.exit_code == ExitCode.USAGE
    clean_bytes(res.stderr)


def test_listen_live_lines_and_summary_are_printable() -> None:
    from tests.otlp_craft import S, new_id
    from tests.otlp_craft import send as send_otlp

    grpc_port, http_port = free_port(), free_port()
    args = ["listen", "--grpc-endpoint", f"127.0.0.1:{grpc_port}", "--http-endpoint", f"127.0.0.1:{http_port}",
            "--query-endpoint", "off", "--stop-after", "4s"]  # fmt: skip
    box: dict[str, Proc] = {}
    t = threading.Thread(target=lambda: box.setdefault("p", otdiag(*args, limit=30)))
    t.start()
    deadline = time.monotonic() + 15
    now = time.time_ns()
    while time.monotonic() < deadline:
        try:
            span = S(new_id(16), new_id(8), EVIL, EVIL, now, now + 1000, error=EVIL, attrs={EVIL: EVIL})
            send_otlp(f"127.0.0.1:{http_port}", [span])
            break
        except Exception:
            time.sleep(0.2)
    t.join()
    p = box["p"]
    assert p.rc == ExitCode.OK, p.stderr
    assert "FORGED LINE" in p.stdout + p.stderr
    clean_bytes(p.stdout + p.stderr)


# === 6. wrong verdicts ================================================================================


@pytest.mark.parametrize(
    ("protocol", "respond"),
    [
        ("http/protobuf", hostile.reply(200, b"hello, this is not protobuf", "application/x-protobuf")),
        ("http/protobuf", hostile.reply(200, b"\x08\x01\x10\x02", "application/x-protobuf")),
        ("http/protobuf", hostile.chunked_forever()),
        ("http/protobuf", hostile.short_body()),
        ("http/json", hostile.reply(200, b"{not json", "application/json")),
        ("http/json", hostile.reply(200, b"[1, 2]", "application/json")),
        ("http/json", hostile.reply(200, b'{"partialSuccess": "x"}', "application/json")),
        ("http/json", hostile.chunked_forever("application/json")),
    ],
)
def test_garbage_200_is_not_acceptance(protocol: str, respond: hostile.Responder) -> None:
    with hostile.http_server(respond) as port:
        started = time.monotonic()
        res = run("send-test-span", "--protocol", protocol, "--endpoint", f"http://127.0.0.1:{port}",
                  "--timeout", "1.5s", "--json")  # fmt: skip
        assert time.monotonic() - started < within(1.5)
        human = run("send-test-span", "--protocol", protocol, "--endpoint", f"http://127.0.0.1:{port}",
                    "--timeout", "1.5s")  # fmt: skip
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    doc = res.json()
    assert doc["accepted"] == 0
    assert doc["findings"][0]["code"] in ("ingest.not-otlp", "ingest.no-answer", "ingest.closed")
    assert "Accepted" not in human.stdout and human.exit_code == ExitCode.PROBLEM


@pytest.mark.parametrize(
    ("protocol", "body", "content_type"),
    [("http/protobuf", b"", "application/x-protobuf"), ("http/json", b"{}", "application/json")],
)
def test_an_empty_answer_is_acceptance(protocol: str, body: bytes, content_type: str) -> None:
    with hostile.http_server(hostile.reply(200, body, content_type)) as port:
        res = run("send-test-span", "--protocol", protocol, "--endpoint", f"http://127.0.0.1:{port}", "--json")
    assert res.exit_code == ExitCode.OK, res.stdout
    assert res.json()["accepted"] == 1


def test_grpc_garbage_ok_is_not_acceptance() -> None:
    with hostile.grpc_server(lambda req: b"\xff\xfe garbage") as port:
        res = run("send-test-span", "--protocol", "grpc", "--endpoint", f"http://127.0.0.1:{port}", "--json",
                  "--timeout", "3s")  # fmt: skip
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    assert res.json()["findings"][0]["code"] == "ingest.not-otlp"


def test_grpc_server_that_never_answers_is_no_answer_not_a_connect_timeout() -> None:
    with hostile.grpc_server(None) as port:
        started = time.monotonic()
        res = run("send-test-span", "--protocol", "grpc", "--endpoint", f"http://127.0.0.1:{port}", "--json",
                  "--timeout", "1s")  # fmt: skip
        assert time.monotonic() - started < within(1)
    f = res.json()["findings"][0]
    assert f["code"] == "ingest.no-answer", f
    assert "connection attempt timed out" not in f["message"]


def test_a_black_hole_is_still_a_connect_timeout_over_grpc() -> None:
    with hostile.black_hole() as port:
        res = run("send-test-span", "--protocol", "grpc", "--endpoint", f"http://127.0.0.1:{port}", "--json",
                  "--timeout", "1s")  # fmt: skip
    assert res.json()["findings"][0]["code"] == "ingest.timeout"


def test_bad_traces_protocol_is_named_by_its_own_name(tmp_path: Path) -> None:
    env = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpcx", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    res = run("send-test-span", "--endpoint", "http://127.0.0.1:1", "--timeout", "1s", env=env)
    assert res.exit_code == ExitCode.USAGE
    assert "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL='grpcx'" in res.stderr
    from otdiag.app import env_analysis

    found = [f for f in env_analysis.analyse(env).findings if "grpcx" in f.message]
    assert found and found[0].message.startswith("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL='grpcx'")


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999", "http://[zz]:4318", "grpc://[::1"])
def test_malformed_ipv6_endpoints_are_exit_2(url: str) -> None:
    for proto in ("http/protobuf", "grpc"):
        res = run("send-test-span", "--endpoint", url, "--protocol", proto, "--timeout", "1s", env={"COLUMNS": "1000"})
        assert res.exit_code == ExitCode.USAGE, (url, proto, res.stderr)
        assert res.stderr.count("\n") == 1
    res = run("find-trace", "1", "--jaeger-url", url)
    assert res.exit_code == ExitCode.USAGE


def test_emoji_codes_are_never_rendered(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ${env:X}:4317\n"
        "exporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"
    )
    res = run("validate-config", str(cfg))
    assert "${env:X:-<default>}" in res.stdout, res.stdout
    assert "❌" not in res.stdout


# === 7. time and signal bounds ========================================================================


def test_a_load_run_against_a_hung_server_ends_within_one_timeout() -> None:
    with hostile.silent_server() as port:
        started = time.monotonic()
        res = run("send-test-span", "--endpoint", f"http://127.0.0.1:{port}", "--count", "5000", "--batch-size", "10",
                  "--timeout", "1s", "--json")  # fmt: skip
        took = time.monotonic() - started
    assert res.exit_code == ExitCode.PROBLEM
    assert took < 1 + 2.5, f"{took:.1f}s for --timeout 1"


def test_a_load_run_against_a_dripping_server_is_bounded() -> None:
    with hostile.http_server(hostile.drip(0.2)) as port:
        started = time.monotonic()
        res = run("send-test-span", "--endpoint", f"http://127.0.0.1:{port}", "--count", "100", "--batch-size", "10",
                  "--timeout", "1s", "--json")  # fmt: skip
        assert time.monotonic() - started < within(1)
    assert res.exit_code == ExitCode.PROBLEM


@pytest.mark.parametrize("after", [0.15, 0.3, 1.0, 2.5])
def test_ctrl_c_abandons_network_calls_in_flight(after: float) -> None:
    """Whenever it comes (while modules load, while options parse, while probes wait), Ctrl-C is 130 at once."""
    with hostile.silent_server() as port:
        url = f"http://127.0.0.1:{port}"
        p = otdiag("check", "--otlp-endpoint", url, "--jaeger-url", url, "--collector-health-url", url,
                   "--env-file", "/dev/null", "--timeout", "20s", signals=[(after, signal.SIGINT)], limit=30)  # fmt: skip
    assert p.rc == ExitCode.INTERRUPTED, (p.rc, p.stderr)
    assert p.seconds < after + 3.0, f"{p.seconds:.1f}s for a Ctrl-C after {after}s"
    assert "Traceback" not in p.stderr


def _listen_args() -> list[str]:
    return ["listen", "--grpc-endpoint", f"127.0.0.1:{free_port()}", "--http-endpoint", f"127.0.0.1:{free_port()}",
            "--query-endpoint", "off"]  # fmt: skip


def test_listen_sighup_prints_the_summary() -> None:
    p = otdiag(*_listen_args(), "--json-lines", signals=[(3.0, signal.SIGHUP)], limit=30)
    assert p.rc == ExitCode.INTERRUPTED, p.stderr
    assert '"type": "summary"' in p.stdout
    assert "Summary" in p.stderr


def test_listen_second_ctrl_c_exits_130() -> None:
    p = otdiag(*_listen_args(), signals=[(3.0, signal.SIGINT), (3.02, signal.SIGINT), (3.05, signal.SIGINT)], limit=30)
    assert p.rc == ExitCode.INTERRUPTED, (p.rc, p.stderr)
    assert "Traceback" not in p.stderr


def test_stdin_from_a_device_is_capped() -> None:
    with open("/dev/zero", "rb") as zero:
        p = subprocess.run(
            [sys.executable, "-m", "otdiag", "validate-config", "-"],
            stdin=zero,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert p.returncode == ExitCode.USAGE, p.stderr
    assert b"stdin is larger than" in p.stderr


@pytest.mark.parametrize("variable", ["OTEL_EXPORTER_OTLP_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY"])
def test_devices_as_certificates_from_the_environment_are_refused(variable: str, tmp_path: Path) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo)):
        env = {variable: path, "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": "/dev/null"}
        started = time.monotonic()
        res = run("send-test-span", "--endpoint", "https://127.0.0.1:1", "--timeout", "1s", env=env)
        assert time.monotonic() - started < within(1)
        assert res.exit_code == ExitCode.USAGE, res.stderr
        assert "not a regular file" in res.stderr


def test_a_grpc_endpoint_without_scheme_never_shows_its_password() -> None:
    for endpoint in ("admin:PWsecret9@127.0.0.1:1", "admin:PWsecret9@[::1"):
        res = run("send-test-span", "--protocol", "grpc", "--endpoint", endpoint, "--insecure", "--timeout", "1s")
        no_traceback(res)
        clean_bytes(res.stdout + res.stderr)


def test_graphs_keep_their_lines(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n"
        "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [debug]\n"
    )
    res = run("validate-config", str(cfg), "--graph", "mermaid")
    assert "⏎" not in res.stdout
    assert res.stdout.count("\n") > 8


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"[" * 20_000 + b"]" * 20_000, "application/json"),
        (b'{"components":' * 900 + b"{}" + b"}" * 900, "application/json"),
        (json.dumps({"status": EVIL, "healthy": True, "components": {EVIL: {"status": EVIL}}}).encode(), "application/json"),
        (("# HELP x " + EVIL + '\notelcol_receiver_refused_spans{receiver="' + EVIL.replace("\n", " ") + '"} 1e999\n').encode(),
         "text/plain"),
    ],
)  # fmt: skip
def test_check_with_hostile_health_and_metrics_endpoints(body: bytes, content_type: str) -> None:
    with hostile.http_server(hostile.reply(200, body, content_type)) as port:
        url = f"http://127.0.0.1:{port}"
        for extra in ([], ["--json"]):
            res = run("check", "--collector-health-url", url, "--collector-metrics-url", url, "--jaeger-health-url", url,
                      "--jaeger-url", url, "--otlp-endpoint", f"http://127.0.0.1:{free_port()}",
                      "--env-file", "/dev/null", "--timeout", "1s", *extra)  # fmt: skip
            no_traceback(res)
            assert res.exit_code == ExitCode.PROBLEM
            clean_bytes(res.stdout + res.stderr)
            if extra:
                json.loads(res.stdout)


def test_non_finite_numbers_from_jaeger_stay_valid_json() -> None:
    span = _span_v3(attributes=[{"key": "x", "value": {"doubleValue": 1e400}}])
    with lying_jaeger(_v3([span])) as url:
        res = run("find-trace", "1", "--jaeger-url", url, "--json", "--timeout", "5s")
    assert '"x": "inf"' in res.stdout
    json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


def test_arguments_that_are_not_utf8_are_exit_2() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "otdiag", "find-trace", "--service", os.fsdecode(b"\xff\xfe"), "--timeout", "1s"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert p.returncode == ExitCode.USAGE, p.stderr
    assert b"not valid UTF-8" in p.stderr


HOSTILE_VALUES = [EVIL, "http://u:PWsecret9@[::1", "\udcff", "x" * 5000, "1e309", "/dev/zero", "[bold]:x:[/bold]"]
OPTIONS = {
    "check": ["--otlp-endpoint", "--jaeger-url", "--collector-health-url", "--collector-metrics-url", "--config",
              "--env-file", "--header", "--ca-file", "--timeout", "--wait"],
    "send-test-span": ["--endpoint", "--header", "--ca-file", "--service-name", "--span-name", "--attribute",
                       "--count", "--rate", "--jaeger-url", "--wait", "--verify-wait", "--timeout"],
    "find-trace": ["--jaeger-url", "--service", "--tag", "--lookback", "--start", "--min-duration", "--wait", "--limit"],
    "validate-config": ["--otelcol", "--format"],
}  # fmt: skip
BASE = {
    "check": ["--timeout", "0.5s", "--no-e2e", "--env-file", "/dev/null"],
    "send-test-span": ["--timeout", "0.5s", "--endpoint", "http://127.0.0.1:1"],
    "find-trace": ["--timeout", "0.5s", "--jaeger-url", "http://127.0.0.1:1"],
    "validate-config": ["/dev/null"],
}


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_hostile_option_values_are_never_a_crash_a_secret_or_an_escape(command: str) -> None:
    """Every option of the command, given each hostile value: exit 0-2, one clean output."""
    for option in OPTIONS[command]:
        for value in HOSTILE_VALUES:
            extra = ["1"] if command == "find-trace" and option != "--service" else []
            res = run(command, *BASE[command], option, value, *extra)
            where = f"{command} {option} {value[:30]!r}"
            assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM, ExitCode.USAGE), (where, res.stderr)
            no_traceback(res)
            clean_bytes(res.stdout + res.stderr)


ENV_VARS = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_CERTIFICATE",
            "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER",
            "OTEL_TRACES_SAMPLER_ARG", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_INSECURE"]  # fmt: skip


@pytest.mark.parametrize("variable", ENV_VARS)
def test_hostile_values_in_an_env_file(variable: str, tmp_path: Path) -> None:
    """The app's environment is a file an attacker may write: escapes, NULs, secrets in every variable."""
    evil = EVIL.replace("\n", "").replace("\r", "") + " http://u:PWsecret9@h?token=TOKsecret7"
    env_file = tmp_path / "app.env"
    env_file.write_text(f"{variable}={evil}\nOTEL_EXPORTER_OTLP_ENDPOINT_X={evil}\n")
    for extra in ([], ["--json"]):
        res = run("check", "--env-file", str(env_file), "--timeout", "0.5s", "--no-e2e",
                  "--jaeger-url", "http://127.0.0.1:1", *extra)  # fmt: skip
        assert res.exit_code in (ExitCode.PROBLEM, ExitCode.USAGE), res.stderr
        no_traceback(res)
        clean_bytes(res.stdout + res.stderr)
