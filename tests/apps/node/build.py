"""The Node.js test apps of `otdiag run`, with real pinned OpenTelemetry packages from npm.

One `npm ci` (from package.json and package-lock.json here) into
~/.cache/otdiag/apps/node-<hash of the pins and the Node major version>/node_modules is shared by
every case; each case's sources are copied beside it, under cases/<case>-<hash of its sources>, so
Node finds the shared node_modules by walking up. A case with its own package-lock.json (another SDK
release) gets its own `npm ci` in its directory. Built once, reused; nothing built is committed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS = ("package.json", "package-lock.json")


class BuildError(RuntimeError):
    """No Node.js/npm here, or the install failed."""


def _cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "otdiag" / "apps"


def _digest(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in sorted(paths):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def node_version() -> str:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        raise BuildError("node and npm are not installed")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.strip()


def dependencies() -> Path:
    """The shared root holding node_modules (installed on first use)."""
    major = node_version().split(".")[0]
    root = _cache() / f"node-{_digest([HERE / p for p in PINS], major)}"
    if (root / ".ready").exists():
        return root
    _cache().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="node-build-", dir=_cache()))
    try:
        for p in PINS:
            shutil.copyfile(HERE / p, tmp / p)
        _npm_ci(tmp)
        (tmp / ".ready").write_text("ok\n")
        try:
            tmp.rename(root)
        except OSError:  # built meanwhile by another process: keep theirs
            if not (root / ".ready").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def _npm_ci(where: Path) -> None:
    try:
        proc = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=where, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise BuildError("npm ci timed out") from exc
    if proc.returncode != 0:
        raise BuildError(f"npm ci failed: {proc.stderr[-2000:]}")


def case(name: str) -> Path:
    """The directory of one built case, ready to run with `node` in it."""
    source = HERE / name
    files = [p for p in source.iterdir() if p.is_file()]
    if not files:
        raise BuildError(f"no test app {name!r}")
    root = dependencies()
    target = root / "cases" / f"{name}-{_digest(files)}"
    if not target.exists():
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        for p in files:
            shutil.copyfile(p, tmp / p.name)
        if (tmp / "package-lock.json").exists():  # a case with its own pins (another SDK release)
            _npm_ci(tmp)
        (root / "cases").mkdir(exist_ok=True)
        try:
            tmp.rename(target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    return target
