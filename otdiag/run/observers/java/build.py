"""otdiag's own Java agent: compiled from its source with javac on first use, cached by the source's hash.

No jar is shipped: the source (agent/OtdiagObserver.java) is package data, and the jar is built into
~/.cache/otdiag/java-observer/<hash>/ (or $XDG_CACHE_HOME) the first time a Java app is run. The
class targets Java 8 (`--release 8`) so the one jar loads into any JVM from 8 on.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "agent" / "OtdiagObserver.java"
MAIN_CLASS = "otdiag.observer.OtdiagObserver"
_MANIFEST = f"Manifest-Version: 1.0\r\nPremain-Class: {MAIN_CLASS}\r\nAgent-Class: {MAIN_CLASS}\r\n\r\n"
_COMPILE_TIMEOUT_S = 120.0


class AgentBuildError(RuntimeError):
    """The observer agent could not be built (no javac, or javac failed): the app runs without it."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "otdiag" / "java-observer"


def source_hash() -> str:
    return hashlib.sha256(SOURCE.read_bytes() + _MANIFEST.encode()).hexdigest()[:16]


def find_javac(java: str | None) -> str | None:
    """The javac beside the app's java (same JDK) when there is one, else the first on PATH."""
    if java:
        resolved = shutil.which(java)
        if resolved:
            sibling = Path(os.path.realpath(resolved)).with_name("javac")
            if sibling.is_file() and os.access(sibling, os.X_OK):
                return str(sibling)
    return shutil.which("javac")


def agent_jar(java: str | None = None) -> Path:
    """The built observer jar (built now if it is not cached yet)."""
    target = cache_root() / source_hash() / "otdiag-observer.jar"
    if target.is_file():
        return target
    javac = find_javac(java)
    if javac is None:
        raise AgentBuildError("no javac found (a JRE without the JDK): install a JDK to let otdiag look inside")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix="build-", dir=target.parent) as tmp:
        classes = Path(tmp) / "classes"
        base = [javac, "-nowarn", "-Xlint:-options", "-d", str(classes), str(SOURCE)]
        for flags in (["--release", "8"], ["-source", "8", "-target", "8"]):  # JDK 8's javac has no --release
            try:
                done = subprocess.run(
                    [base[0], *flags, *base[1:]],
                    capture_output=True,
                    text=True,
                    timeout=_COMPILE_TIMEOUT_S,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise AgentBuildError(f"javac could not run: {type(exc).__name__}") from None
            if done.returncode == 0:
                break
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1][:200]
            raise AgentBuildError(f"javac failed ({done.returncode}): {last}")
        built = Path(tmp) / "otdiag-observer.jar"
        with zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as jar:
            jar.writestr("META-INF/MANIFEST.MF", _MANIFEST)
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())
        built.replace(target)  # atomic: a concurrent run sees the whole jar or none
    return target
