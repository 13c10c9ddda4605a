"""`--save FILE`: every accepted export request, one OTLP JSON line each (the collector file exporter's format).

`otdiag replay` reads the file back, so what an app sent can be put through a collector config later.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otdiag import redact
from otdiag.errors import UsageError

MAX_SAVE_BYTES = 1024 * 1024 * 1024
"""What one --save file may grow to; later requests are counted, not written."""


class SaveFile:
    """Appends each request as a JSON line; thread-safe, bounded, and never blocks on a FIFO or device."""

    def __init__(self, path: str, *, max_bytes: int = MAX_SAVE_BYTES) -> None:
        shown = redact.printable(path[:200])
        try:
            existing = Path(path).stat()
        except FileNotFoundError:
            existing = None
        except OSError as exc:
            raise UsageError(f"--save: {shown}: {exc.strerror or exc}") from None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            raise UsageError(f"--save: {shown} is not a regular file")
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except OSError as exc:
            raise UsageError(f"--save: cannot write {shown}: {exc.strerror or exc}") from None
        self.path = path
        self.max_bytes = max_bytes
        self.written = 0
        self.requests = 0
        self.skipped = 0
        """Requests not written: the file reached max_bytes, or the disk refused."""
        self._lock = threading.Lock()

    def __call__(self, req: ExportTraceServiceRequest) -> None:
        from otdiag.otlp.otlp_json import dumps

        line = dumps(req) + b"\n"
        with self._lock:
            if self._fd < 0 or self.written + len(line) > self.max_bytes:
                self.skipped += 1
                return
            try:
                os.write(self._fd, line)
            except OSError:
                self.skipped += 1
                return
            self.written += len(line)
            self.requests += 1

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = -1
