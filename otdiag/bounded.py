"""Every input otdiag reads, and every child process it runs, bounded in size and time.

`read` is the one reader for files and stdin: a size cap, a time bound, and no
trust in what the path is. A regular file larger than the cap is refused from
its size; a directory or block device is refused; a FIFO, pipe, terminal or
character device (/dev/zero, /dev/urandom, `<(cmd)`) is read without blocking,
and refused once it passes the cap or the time bound. Opening never blocks (a
FIFO without a writer reads as empty).

`run` starts a child in its own process group, reads its output with a cap
(the rest is drained and dropped), and kills the whole group at the deadline
or once the child is gone, so a grandchild holding the pipes cannot hold otdiag.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from otdiag import redact
from otdiag.errors import UsageError

DEFAULT_TIMEOUT_S = 10.0
_CHUNK = 64 * 1024


def _size(n: int) -> str:
    return f"{n // 1048576} MiB" if n >= 1048576 else f"{n // 1024} KiB" if n >= 1024 else f"{n} bytes"


class ReadError(Exception):
    """Why an input was not read: the reason, worded to follow the input's name."""


def read(path: str, *, what: str, max_bytes: int, timeout: float = DEFAULT_TIMEOUT_S) -> bytes:
    """The bytes of `path` ('-' is stdin), at most `max_bytes`, within `timeout` seconds; UsageError else.

    `what` names the input in the one-line error (an option, or the file's role).
    """
    try:
        return read_bytes(path, max_bytes=max_bytes, timeout=timeout)
    except ReadError as exc:
        shown = "stdin" if path == "-" else redact.printable(path)
        raise UsageError(f"{what}: {shown} {exc}") from None


def read_bytes(path: str, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT_S) -> bytes:
    """As `read`, raising `ReadError`."""
    if path == "-":
        try:
            fd = sys.stdin.buffer.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (an in-process test harness)
            data: bytes = sys.stdin.buffer.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise ReadError(f"is larger than {_size(max_bytes)}") from None
            return data
        return _read_fd(fd, max_bytes, timeout, close=False)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ReadError("does not exist") from None
    except IsADirectoryError:
        raise ReadError("is a directory, not a file") from None
    except OSError as exc:
        raise ReadError(f"cannot be read ({exc.strerror})") from None
    except ValueError:
        raise ReadError("is not a file name (it holds a NUL byte)") from None
    try:
        st = os.fstat(fd)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            raise ReadError("is a directory, not a file")
        if stat.S_ISBLK(mode):
            raise ReadError("is a block device, not a file")
        if stat.S_ISREG(mode) and st.st_size > max_bytes:
            raise ReadError(f"is larger than {_size(max_bytes)}")
    except OSError as exc:
        os.close(fd)
        raise ReadError(f"cannot be read ({exc.strerror})") from None
    except ReadError:
        os.close(fd)
        raise
    return _read_fd(fd, max_bytes, timeout, close=True)


def _read_fd(fd: int, max_bytes: int, timeout: float, *, close: bool) -> bytes:
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    blocking = os.get_blocking(fd)
    try:
        if blocking:
            os.set_blocking(fd, False)
        while True:
            try:
                chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - size))
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ReadError(
                        f"did not finish within {timeout:g}s (a FIFO or terminal nobody writes to?)"
                    ) from None
                select.select([fd], [], [], min(left, 0.5))
                continue
            except OSError as exc:
                raise ReadError(f"cannot be read ({exc.strerror})") from None
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > max_bytes:
                raise ReadError(f"is larger than {_size(max_bytes)} (a device or an endless stream?)")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise ReadError(f"did not finish within {timeout:g}s")
    finally:
        if close:
            os.close(fd)
        elif blocking:
            with contextlib.suppress(OSError):
                os.set_blocking(fd, True)


@dataclass(frozen=True)
class Finished:
    """What a bounded child process did."""

    returncode: int | None
    """None: it was killed at the deadline."""
    stdout: bytes
    stderr: bytes
    timed_out: bool
    truncated: bool
    """Its output passed the cap; the rest was dropped."""


def run(
    argv: Sequence[str], *, timeout: float, max_output: int = 1024 * 1024, grace: float = 0.5, cwd: str | None = None
) -> Finished:
    """Run `argv` (stdin /dev/null) in its own process group; OSError if it cannot start."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=cwd,
    )
    assert proc.stdout is not None and proc.stderr is not None
    deadline = time.monotonic() + timeout
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs: dict[int, bytearray] = {out_fd: bytearray(), err_fd: bytearray()}
    open_fds = set(bufs)
    for fd in open_fds:
        os.set_blocking(fd, False)
    truncated = timed_out = False
    exited_at: float | None = None
    try:
        while open_fds:
            now = time.monotonic()
            if now >= deadline:
                timed_out = proc.poll() is None
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > grace:
                break  # the child is gone; what still holds its pipes is a stray grandchild
            ready, _, _ = select.select(list(open_fds), [], [], min(0.1, deadline - now))
            for fd in ready:
                try:
                    chunk = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    open_fds.discard(fd)
                    continue
                buf = bufs[fd]
                room = max_output - len(buf)
                if room > 0:
                    buf += chunk[:room]
                if len(chunk) > room:
                    truncated = True
    finally:
        _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()
    rc = None if timed_out else proc.returncode
    return Finished(rc, bytes(bufs[out_fd]), bytes(bufs[err_fd]), timed_out, truncated)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (it leads it), and reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=2)
