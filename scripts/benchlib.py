"""What the benchmark scripts share: time a command and read its peak memory, in one run."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS KiB, stdout) of one command; exits with its output if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss, stdout
