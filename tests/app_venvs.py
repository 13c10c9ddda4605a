"""Virtual environments for the apps `otdiag run` observes, with real packages from the index.

Each is built once into ~/.cache/otdiag/apps (keyed by its pins) and reused. Without an index a test
that needs one skips locally, and fails under CI=true: a missing peer is never a pass.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def cached_venv(*pins: str) -> Path:
    """The `bin/` directory of a virtual environment holding exactly `pins` (and their dependencies)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "otdiag" / "apps"
    root = cache / ("otel-" + hashlib.sha256(" ".join(pins).encode()).hexdigest()[:12])
    if (root / ".ready").exists() and (root / "bin" / "python").exists():
        return root / "bin"
    shutil.rmtree(root, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, capture_output=True, timeout=120)
        subprocess.run(
            [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        message = f"cannot build an environment with {' '.join(pins)} ({type(exc).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    (root / ".ready").write_text("ok\n")
    return root / "bin"
