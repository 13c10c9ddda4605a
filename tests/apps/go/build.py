"""Build the Go apps `otdiag run` is tested on, with the real OpenTelemetry Go SDK pinned in go.mod/go.sum.

Every case is a main package under this directory; they share one go.mod, so one module cache
(~/.cache/otdiag/apps/go-mod) and one build cache (go-build) serve all of them, and each is built
with its own `go build` into ~/.cache/otdiag/apps/go-<hash of the sources, the pins and the Go
version>. A finished build is reused; nothing built is ever written into the repository.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = tuple(sorted(p.name for p in HERE.iterdir() if p.is_dir() and (p / "main.go").exists()))


class BuildError(Exception):
    """No Go toolchain, or a build failed (the message says which)."""


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "otdiag" / "apps"


def go_tool() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if found is None:
        raise BuildError("no Go toolchain (go) on PATH")
    return found


def go_env() -> dict[str, str]:
    """The environment every build and `go run` of the test apps uses: the shared caches, no network
    but the module proxy, the toolchain that is installed."""
    cache = cache_root()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        GOMODCACHE=str(cache / "go-mod"),
        GOCACHE=str(cache / "go-build"),
        GOFLAGS="-mod=readonly",
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",
    )
    return env


def _key(go: str) -> str:
    h = hashlib.sha256()
    version = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, timeout=30, check=False)
    h.update(version.stdout.encode())
    for path in sorted([HERE / "go.mod", HERE / "go.sum", *(HERE / c / "main.go" for c in CASES)]):
        h.update(path.relative_to(HERE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def build_all() -> dict[str, Path]:
    """Case name -> built binary (built on first use, then reused)."""
    go = go_tool()
    root = cache_root() / f"go-{_key(go)}"
    done = {c: root / c for c in CASES}
    if (root / ".ready").exists() and all(p.exists() for p in done.values()):
        return done
    cache_root().mkdir(parents=True, exist_ok=True)
    with (cache_root() / "go-apps.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if (root / ".ready").exists() and all(p.exists() for p in done.values()):
                return done
            root.mkdir(parents=True, exist_ok=True)
            env = go_env()
            for case, out in done.items():
                proc = subprocess.run(
                    [go, "build", "-o", str(out), f"./{case}"],
                    cwd=HERE, env=env, capture_output=True, text=True, timeout=600, check=False,
                )  # fmt: skip
                if proc.returncode != 0:
                    raise BuildError(f"go build ./{case} failed: {proc.stderr.strip()[-800:]}")
            (root / ".ready").write_text("ok\n")
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"go build timed out: {exc}") from None
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(lock, fcntl.LOCK_UN)
    return done


if __name__ == "__main__":
    for name, path in build_all().items():
        print(f"{name}\t{path}")
