"""What a collector's exporters logged about failed exports (`check --collector-log FILE`), as findings.

A collector that cannot deliver logs one line per failed export: `Exporting failed. Will retry the request
after interval.` or `Exporting failed. Dropping data.`, with the exporter's ID and its error (`rpc error:
code = Unavailable desc = ... connection refused`, a TLS error, `HTTP Status Code 404`, `sending queue is
full`). Those lines come in zap's console or JSON encoding, possibly behind a `docker logs -t` or
`kubectl logs --timestamps` prefix. Each error goes through the one export-failure classifier
(otdiag.otlp.classify), the same that `send-test-span` and `run` use, and becomes the collector -> Jaeger
kind of the same cause (export.refused, export.tls-to-plaintext, ...): one finding per code and exporter,
with how often it was logged, the exporter's target and the scrubbed line as evidence.

Bounded: only the last MAX_BYTES of the log are read, each line cut at MAX_LINE characters.
"""

from __future__ import annotations

import json
import os
import re
import select
import stat
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from otdiag import catalogue as c
from otdiag.bounded import ReadError
from otdiag.catalogue import Kind
from otdiag.errors import UsageError
from otdiag.model import Finding, Protocol
from otdiag.otlp.classify import Failure, classify, parse_text, scrub_error
from otdiag.redact import printable

MAX_BYTES = 4 * 1024 * 1024
"""The tail of the log that is read (a longer file or stream: its last 4 MiB)."""
MAX_LINE = 8 * 1024
"""Each line is cut here before it is looked at."""
MAX_STREAM = 256 * 1024 * 1024
"""A stream (stdin, a pipe) longer than this is refused: /dev/zero, an endless `kubectl logs -f`."""
READ_TIMEOUT = 10.0
MARKERS = ("Exporting failed", "sending queue is full", "Dropping data because sending_queue is full")
"""A line holding none of these is not read further (a plain substring test, no pattern)."""
_FIELD = re.compile(r'"(otelcol\.component\.id|name|error)":\s?"((?:[^"\\]|\\.){0,2000})"')
"""A field of a zap line whose JSON was cut at MAX_LINE: the exporter's ID and its error."""


_NOT_QUOTED = frozenset({"resource", "stacktrace", "caller", "otelcol.component.kind", "otelcol.signal"})
"""Fields left out of the quoted line: the same on every line, or long."""


@dataclass(frozen=True, slots=True)
class LoggedError:
    """One exporter error line, parsed."""

    exporter: str
    error: str
    line: str
    dropped: bool
    """The collector dropped the data ("Dropping data", "no more retries left"), not only retried."""


@dataclass
class _Group:
    exporter: str
    kind: Kind
    message: str
    hint: str | None
    target: str
    line: str
    count: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)


def read_log(path: str, *, timeout: float = READ_TIMEOUT) -> str:
    """The last MAX_BYTES of the log at `path` ('-': stdin), as text; UsageError when it cannot be read."""
    shown = "stdin" if path == "-" else printable(path)
    try:
        data = _read_tail(path, timeout)
    except ReadError as exc:
        raise UsageError(f"--collector-log: {shown} {exc}") from None
    return data.decode("utf-8", "replace")


def _read_tail(path: str, timeout: float) -> bytes:
    if path == "-":
        try:
            fd = sys.stdin.buffer.fileno()
        except (AttributeError, OSError, ValueError):  # an in-process test harness
            return _cut_head(sys.stdin.buffer.read(MAX_STREAM)[-MAX_BYTES - 1 :])
        return _stream_tail(fd, timeout)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ReadError("does not exist") from None
    except IsADirectoryError:
        raise ReadError("is a directory, not a file") from None
    except (OSError, ValueError) as exc:
        raise ReadError(f"cannot be read ({getattr(exc, 'strerror', None) or 'not a file name'})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode) or stat.S_ISBLK(mode):
            raise ReadError("is not a regular file")
        if not stat.S_ISREG(mode):
            return _stream_tail(fd, timeout)
        size = os.fstat(fd).st_size
        start = max(0, size - MAX_BYTES - 1)
        os.lseek(fd, start, os.SEEK_SET)
        chunks, got = [], 0
        while got < size - start:
            chunk = os.read(fd, min(1 << 20, size - start - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
        return _cut_head(data) if start else data
    except OSError as exc:
        raise ReadError(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def _stream_tail(fd: int, timeout: float) -> bytes:
    """The last MAX_BYTES of a pipe or FIFO, read until its end, refused past MAX_STREAM or `timeout`."""
    deadline = time.monotonic() + timeout
    kept = bytearray()
    total = 0
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ReadError(
                        f"did not end within {timeout:g}s (a FIFO nobody writes to, or `logs -f`?)"
                    ) from None
                select.select([fd], [], [], min(left, 0.5))
                continue
            except OSError as exc:
                raise ReadError(f"cannot be read ({exc.strerror})") from None
            if not chunk:
                return _cut_head(bytes(kept)) if total > len(kept) else bytes(kept)
            total += len(chunk)
            if total > MAX_STREAM:
                raise ReadError(f"is longer than {MAX_STREAM >> 20} MiB (a device or an endless stream?)")
            kept += chunk
            if len(kept) > 2 * MAX_BYTES:
                del kept[: len(kept) - MAX_BYTES - 1]
            if time.monotonic() > deadline:
                raise ReadError(f"did not end within {timeout:g}s")
    finally:
        if blocking:
            os.set_blocking(fd, True)


def _cut_head(data: bytes) -> bytes:
    """A tail without its first, partial line."""
    data = data[-MAX_BYTES - 1 :]
    nl = data.find(b"\n")
    return data[nl + 1 :] if nl >= 0 else data[-MAX_BYTES:]


def parse_line(raw: str) -> LoggedError | None:
    """An exporter error line (zap console or JSON, any prefix), or None."""
    line = raw[:MAX_LINE].rstrip("\r\n")
    if not any(m in line for m in MARKERS):
        return None
    fields, before = _fields(line)
    exporter = str(fields.get("otelcol.component.id") or fields.get("name") or "")
    error = str(fields.get("error") or "")
    msg = str(fields.get("msg") or line)
    if not error and "sending queue is full" in line:
        error = "sending queue is full"
    if not exporter or not error:
        return None
    dropped = "Dropping data" in msg or "no more retries left" in error or "Rejecting data" in msg
    shown = {k: v for k, v in fields.items() if k not in _NOT_QUOTED}
    quote = f"{before.strip()} {json.dumps(shown, ensure_ascii=False)}".strip() if shown else line
    return LoggedError(exporter=exporter[:200], error=error[:2000], line=quote[:MAX_LINE], dropped=dropped)


def _fields(line: str) -> tuple[dict[str, Any], str]:
    """The structured fields of a zap line (the whole JSON object, or the console encoding's trailing one),
    and the text before them (a prefix, or the console's time, level, caller and message)."""
    decoder = json.JSONDecoder()
    start = line.find("{")
    for _ in range(16):
        if start < 0:
            break
        try:
            value, end = decoder.raw_decode(line, start)
        except ValueError:
            value, end = None, -1
        if isinstance(value, dict) and not line[end:].strip():  # the object that ends the line, not one inside
            return value, line[:start]
        start = line.find("{", start + 1)
    # Cut at MAX_LINE, or not JSON at all: the fields that matter, one by one.
    out: dict[str, Any] = {}
    for m in _FIELD.finditer(line):
        out.setdefault(m.group(1), _unescape(m.group(2)))
    brace = line.find("{")
    return out, line[:brace] if brace >= 0 else line


def _unescape(s: str) -> str:
    try:
        value = json.loads(f'"{s}"')
    except ValueError:
        return s
    return value if isinstance(value, str) else s


def _protocol(exporter: str) -> Protocol | None:
    kind = exporter.partition("/")[0]
    if kind in ("otlphttp", "otlp_http"):
        return Protocol.HTTP_PROTOBUF
    if kind in ("otlp", "otlp_grpc"):
        return Protocol.GRPC
    return None


def classify_error(e: LoggedError) -> tuple[Kind, str, str | None, str]:
    """(the collector -> Jaeger kind, message, specific fix or None, target) for one logged error."""
    protocol = _protocol(e.exporter)
    failure = parse_text(e.error, protocol=protocol)
    if "sending queue is full" in e.error.lower():
        return (
            c.EXPORT_QUEUE_FULL,
            f"The collector's exporter {e.exporter} refused data because its sending queue is full.",
            None,
            failure.target if failure else "",
        )
    if failure is None:
        failure = Failure(protocol, message=scrub_error(e.error)[:300])
    got = classify(failure)
    suffix = got.code.removeprefix("ingest.")
    kind = c.EXPORT_KINDS.get(suffix) if got.code.startswith("ingest.") else got.kind
    if kind is None:
        kind = c.EXPORT_KINDS["http-error"]
    message = f"The collector's exporter {e.exporter} logged: {got.message[0].lower()}{got.message[1:]}"
    # The ingest fix speaks to an app's SDK; the collector's exporter has its own (the export.* kind's).
    return kind, message, None, failure.target


def findings(text: str) -> list[Finding]:
    """One collector -> Jaeger finding per (code, exporter) logged in `text`, most frequent first."""
    groups: dict[tuple[str, str], _Group] = {}
    for raw in text.splitlines():
        e = parse_line(raw)
        if e is None:
            continue
        kind, message, hint, target = classify_error(e)
        g = groups.get((kind.code, e.exporter))
        if g is None:
            g = groups[(kind.code, e.exporter)] = _Group(e.exporter, kind, message, hint, target, e.line)
        g.count += 1
        g.dropped += e.dropped
    out = []
    for g in sorted(groups.values(), key=lambda g: -g.count):
        what = f"{g.count} failed export(s) logged by {g.exporter}"
        what += f", {g.dropped} of them dropping the data" if g.dropped else " (retried; none dropped yet)"
        evidence = [f"{what}; the collector's log says:", _quote(g.line)]
        out.append(g.kind(g.message, hint=g.hint, target=g.target or None, evidence=evidence))
    return out


def _quote(line: str) -> str:
    """The log line as evidence: scrubbed and printable, at most 500 characters."""
    safe = scrub_error(line)
    return safe if len(safe) <= 500 else safe[:499] + "…"
