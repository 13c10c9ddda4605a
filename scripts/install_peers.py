#!/usr/bin/env python3
"""Install the real peers otdiag is tested against, into a cache outside the repo.

Reads peers/pins.toml. Each peer lands in $OTDIAG_PEERS_DIR (default
~/.cache/otdiag/peers) in a folder named after its pin; any change to the pin
(or, for the collector, to the builder manifest) names a new folder, so the
next run rebuilds. An existing, complete install is reused.

Usage: scripts/install_peers.py [--where] [jaeger|otelcol|telemetrygen|rotel|otelcol-newest|... ...]

Prints one line per peer: its name and the path of its executable; on stderr, what it
does for each peer (reuse the cache or build) and how long that took.
--where only looks (exit 1 if a peer is missing); tests call `locate()`.
Only the standard library is used: this runs before otdiag is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PINS = REPO / "peers" / "pins.toml"
Pin = dict[str, str]


def cache_root() -> Path:
    env = os.environ.get("OTDIAG_PEERS_DIR")
    return Path(env) if env else Path.home() / ".cache" / "otdiag" / "peers"


def say(msg: str) -> None:
    print(f"install-peers: {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    say("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, cwd=cwd, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"install-peers: command failed with exit {proc.returncode}: {' '.join(cmd)}")


def pin_dir(name: str, pin: Pin, extra: bytes = b"") -> Path:
    """The cache folder for a pin: any change to its fields (or `extra`) gives a new folder."""
    key = hashlib.sha256(json.dumps(pin, sort_keys=True).encode() + extra).hexdigest()[:10]
    return cache_root() / f"{name}-{pin['version']}-{key}"


def go_env(gobin: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if gobin is not None:
        env["GOBIN"] = str(gobin)
    env.setdefault("CGO_ENABLED", "0")
    return env


def staging(dest: Path) -> Path:
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def finish(dest: Path, tmp: Path) -> None:
    """Move a finished install into place, so a half-built one is never found."""
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def go_install(name: str, pin: Pin, *, build: bool, module_key: str = "module") -> Path | None:
    dest = pin_dir(name, pin)
    binary = dest / "bin" / name
    if binary.exists() or not build:
        return binary if binary.exists() else None
    tmp = staging(dest)
    say(f"building {name} {pin['version']} with 'go install' (a cold build takes minutes on two cores)")
    started = time.monotonic()
    run(["go", "install", f"{pin[module_key]}@{pin['version']}"], env=go_env(tmp / "bin"))
    finish(dest, tmp)
    say(f"built {name} in {time.monotonic() - started:.0f}s")
    return binary


def go_build_module(name: str, pin: Pin, *, build: bool) -> Path | None:
    """Build a package inside its downloaded module, where the module's go.mod replaces apply."""
    dest = pin_dir(name, pin)
    binary = dest / "bin" / name
    if binary.exists() or not build:
        return binary if binary.exists() else None
    tmp = staging(dest)
    say(f"building {name} {pin['version']} from the Go module proxy (a cold build takes 5-15 minutes)")
    started = time.monotonic()
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"{pin['module']}@{pin['version']}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"install-peers: cannot download {pin['module']}@{pin['version']}: {out.stdout}{out.stderr}")
    src = Path(json.loads(out.stdout)["Dir"])
    cmd = ["go", "build", "-trimpath", "-o", str(tmp / "bin" / name)]
    if pin.get("ldflags"):
        cmd.append(f"-ldflags={pin['ldflags']}")
    run([*cmd, pin["package"]], cwd=src, env=go_env())
    finish(dest, tmp)
    say(f"built {name} in {time.monotonic() - started:.0f}s")
    return binary


def build_otelcol(pin: Pin, *, build: bool) -> Path | None:
    manifest = (REPO / pin["manifest"]).read_bytes()
    dest = pin_dir("otelcol", pin, extra=manifest)
    binary = dest / "otelcol-otdiag"
    if binary.exists() or not build:
        return binary if binary.exists() else None
    builder = go_install("builder", pin, build=True, module_key="builder")
    assert builder is not None
    tmp = staging(dest)
    (tmp / "manifest.yaml").write_bytes(manifest)
    say(
        f"building the OpenTelemetry Collector {pin['version']} from {pin['manifest']} "
        "(a cold build takes 5-20 minutes on two cores)"
    )
    started = time.monotonic()
    env = go_env()
    # The builder's 'go mod tidy' also resolves the test-only imports of every
    # component, and the proxy here refuses some of those (contrib pkg/golden and
    # otlpencodingextension at v0.155.0); -e lets tidy carry on past them. The
    # compiled collector does not import them.
    env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -e").strip()
    run([str(builder), "--config", "manifest.yaml"], cwd=tmp, env=env)
    built = tmp / "dist" / "otelcol-otdiag"
    if not built.exists():
        raise SystemExit(f"install-peers: the builder did not produce {built}")
    shutil.copy2(built, tmp / "otelcol-otdiag")
    shutil.rmtree(tmp / "dist")
    finish(dest, tmp)
    say(f"built the collector in {time.monotonic() - started:.0f}s")
    return binary


def install_rotel(pin: Pin, *, build: bool) -> Path | None:
    dest = pin_dir("rotel", pin)
    binary = dest / "site" / "rotel" / "rotel-agent"
    if binary.exists() or not build:
        return binary if binary.exists() else None
    tmp = staging(dest)
    say(f"installing {pin['package']}=={pin['version']} from PyPI")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(tmp / "site"),
            f"{pin['package']}=={pin['version']}",
        ]
    )
    if not (tmp / "site" / "rotel" / "rotel-agent").exists():
        raise SystemExit("install-peers: the rotel wheel holds no rotel/rotel-agent executable")
    finish(dest, tmp)
    return binary


def install_apt(name: str, pin: Pin, *, build: bool) -> Path | None:
    """A Debian package's binary: `apt-get download` the pinned version, unpack it, keep the binary."""
    dest = pin_dir(name, pin)
    binary = dest / "bin" / name
    if binary.exists() or not build:
        return binary if binary.exists() else None
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise SystemExit(f"install-peers: {name} comes from Debian's archive; apt-get and dpkg-deb are needed")
    tmp = staging(dest)
    say(f"downloading Debian's {pin['apt']}={pin['version']} with apt-get")
    run(["apt-get", "download", f"{pin['apt']}={pin['version']}"], cwd=tmp)
    debs = sorted(tmp.glob("*.deb"))
    if len(debs) != 1:
        raise SystemExit(f"install-peers: apt-get download left {len(debs)} .deb files, expected one")
    run(["dpkg-deb", "-x", str(debs[0]), str(tmp / "root")])
    (tmp / "bin").mkdir()
    shutil.copy2(tmp / "root" / pin["binary"], tmp / "bin" / name)
    shutil.rmtree(tmp / "root")
    debs[0].unlink()
    finish(dest, tmp)
    return binary


def load_pins() -> dict[str, Pin]:
    return tomllib.loads(PINS.read_text())


def install(name: str, pin: Pin, *, build: bool = True) -> Path | None:
    """Install one peer (with build=False, only find it); return its executable or None."""
    if name == "otelcol" or "manifest" in pin:
        return build_otelcol(pin, build=build)
    if name == "rotel":
        return install_rotel(pin, build=build)
    if "apt" in pin:
        return install_apt(name, pin, build=build)
    if "package" in pin:
        return go_build_module(name, pin, build=build)
    return go_install(name, pin, build=build)


def locate(name: str) -> Path | None:
    """The installed executable of a peer, or None when it is not installed."""
    pins = load_pins()
    return install(name, pins[name], build=False) if name in pins else None


def main(argv: list[str]) -> int:
    where = "--where" in argv
    names = [a for a in argv if a != "--where"]
    pins = load_pins()
    names = names or list(pins)
    unknown = [n for n in names if n not in pins]
    if unknown:
        print(f"install-peers: unknown peer(s) {', '.join(unknown)} (known: {', '.join(pins)})", file=sys.stderr)
        return 2
    if not where and any(n != "rotel" and "apt" not in pins[n] for n in names) and not shutil.which("go"):
        print("install-peers: Go is needed to build the peers and is not on PATH", file=sys.stderr)
        return 1
    missing = 0
    for name in names:
        started = time.monotonic()
        cached = install(name, pins[name], build=False)
        path = cached if cached is not None or where else install(name, pins[name], build=True)
        if not where:
            how = "cached" if cached is not None else "built"
            say(f"{name} {pins[name].get('version', '')}: {how} in {time.monotonic() - started:.1f}s")
        if path is None:
            print(f"{name}\t(not installed)")
            missing += 1
        else:
            print(f"{name}\t{path}", flush=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
