"""Run one collector binary on the private config, send the spans, and collect what each stage let out."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag import bounded, redact
from otdiag.errors import UsageError
from otdiag.replay.capture import Captured, CaptureServer
from otdiag.replay.rewrite import Plan, plan

START_TIMEOUT_S = 30.0
SETTLE_S = 0.6
"""How long the capture must stay quiet before the replay ends (beyond the processors' own waits)."""
STOP_TIMEOUT_S = 10.0
MAX_STDERR = 256 * 1024
_VERSION = re.compile(r"version\s+v?(\d+\.\d+\.\d+\S*)")
_ERROR_LINE = re.compile(r"^(Error: .*|.*\berror\b.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Binary:
    path: str
    version: str
    """What `--version` says (e.g. 0.155.0), or '' when it did not say."""

    @property
    def label(self) -> str:
        name = Path(self.path).name
        return f"{name} v{self.version}" if self.version else name


@dataclass(frozen=True, slots=True)
class Ran:
    """What one binary did with the spans."""

    binary: Binary
    plan: Plan
    captured: dict[str, list[Captured]]
    sent_at: float
    accepted: bool
    """The private receiver took every request (a memory_limiter may refuse)."""
    refusal: str | None
    failure: str | None
    """Why the collector did not run the config (its own error line), when it did not."""
    waited_s: float


def find_binaries(paths: Sequence[str]) -> list[Binary]:
    """The binaries --otelcol names, else otelcol* on PATH, else otdiag's cached test build; exit 2 if none."""
    found: list[str] = []
    for given in paths:
        p = Path(given)
        if ("/" in given or p.exists()) and p.is_file() and os.access(p, os.X_OK):
            found.append(str(p.resolve()))
            continue
        which = shutil.which(given) if "/" not in given else None
        if which is None:
            raise UsageError(f"--otelcol: {redact.printable(given[:200])} is not an executable file")
        found.append(which)
    if not found:
        for name in ("otelcol-contrib", "otelcol", "otelcol-k8s", "otelcol-otdiag"):
            which = shutil.which(name)
            if which:
                found.append(which)
                break
    if not found:
        cached = sorted(Path.home().glob(".cache/otdiag/peers/otelcol-v*/otelcol-otdiag"), reverse=True)
        if cached:
            found.append(str(cached[0]))
    if not found:
        raise UsageError("no collector binary: give --otelcol PATH (or put otelcol-contrib on PATH)")
    return [Binary(path, _version(path)) for path in found]


def _version(path: str) -> str:
    try:
        done = bounded.run([path, "--version"], timeout=10, max_output=4096)
    except OSError as exc:
        raise UsageError(f"--otelcol: cannot run {redact.printable(path[:200])}: {exc.strerror or exc}") from None
    m = _VERSION.search(done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace"))
    return m.group(1) if m else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def replay(
    binary: Binary,
    config: object,
    requests: Sequence[ExportTraceServiceRequest],
    *,
    fast: bool,
    pipeline: str | None,
    progress: Callable[[str], None],
) -> Ran:
    """Run `binary` on the private version of `config`, send `requests`, wait, stop, and return what came out."""
    port = free_port()
    with CaptureServer() as capture, tempfile.TemporaryDirectory(prefix="otdiag-replay-") as tmp:
        the_plan = plan(config, receive_port=port, capture_url=capture.url, fast=fast, only=pipeline)
        path = Path(tmp) / "replay.yaml"
        path.write_text(yaml.safe_dump(the_plan.config, sort_keys=False))
        errlog = Path(tmp) / "stderr.log"
        with errlog.open("wb") as err:
            proc = subprocess.Popen(
                [binary.path, "--config", str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=tmp,
                process_group=0,
            )
        try:
            progress(f"starting {binary.label}")
            failure = _wait_ready(proc, port, errlog)
            if failure is not None:
                return Ran(binary, the_plan, {}, 0.0, False, None, failure, 0.0)
            sent_at = time.monotonic()
            refusal = _send(port, requests)
            waited = _settle(the_plan, capture, sent_at, progress)
        finally:
            _stop(proc)
        with capture.captures.lock:
            captured = {k: list(v) for k, v in capture.captures.by_path.items()}
    return Ran(binary, the_plan, captured, sent_at, refusal is None, refusal, None, waited)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, errlog: Path) -> str | None:
    """None once the private receiver accepts connections; else the collector's own reason for exiting."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return _failure_text(errlog) or f"the collector exited with status {proc.returncode}"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return None
        time.sleep(0.1)
    return f"the collector did not start its receiver within {START_TIMEOUT_S:g}s"


def _failure_text(errlog: Path) -> str:
    try:
        data = bounded.read_bytes(str(errlog), max_bytes=MAX_STDERR)
    except (OSError, UsageError):
        return ""
    lines = data.decode("utf-8", "replace").splitlines()
    for n in range(len(lines) - 1, -1, -1):
        if lines[n].startswith("Error:"):
            # The collector's error goes on over the next lines (one per decoding error): keep them, joined.
            said = [lines[n].removeprefix("Error: ").strip()]
            said += [ln.strip() for ln in lines[n + 1 : n + 8] if ln.strip() and not ln.startswith("20")]
            return redact.printable(" ".join(said)[:600])
    text = "\n".join(lines)
    lines = [ln for ln in _ERROR_LINE.findall(text[-8192:]) if ln.strip()]
    return redact.printable(lines[-1][:600]) if lines else ""


def _send(port: int, requests: Sequence[ExportTraceServiceRequest]) -> str | None:
    """POST every request to the private receiver; the first refusal's text, or None when all were taken."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10.0)
    try:
        for req in requests:
            try:
                conn.request(
                    "POST",
                    "/v1/traces",
                    body=req.SerializeToString(),
                    headers={"Content-Type": "application/x-protobuf"},
                )
                resp = conn.getresponse()
                body = resp.read(4096)
            except (OSError, http.client.HTTPException) as exc:
                return f"the collector's receiver failed: {type(exc).__name__}"
            if resp.status != 200:
                return f"HTTP {resp.status}: {redact.printable(body.decode('utf-8', 'replace')[:300])}"
    finally:
        conn.close()
    return None


def _settle(the_plan: Plan, capture: CaptureServer, sent_at: float, progress: Callable[[str], None]) -> float:
    """Wait for the processors' own holds (decision_wait, ...) and then for the capture to go quiet."""
    hold = the_plan.hold_s + (1.5 if the_plan.hold_s else 0.0)
    if hold:
        progress(f"waiting {hold:.0f}s for processors that hold spans (decision_wait...)")
    deadline = sent_at + hold + 60.0
    while True:
        now = time.monotonic()
        last = capture.captures.last
        quiet_since = max(last, sent_at + hold)
        if now - quiet_since >= SETTLE_S or now >= deadline:
            return now - sent_at
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the collector's group (batch processors flush on shutdown), SIGKILL if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(2)
