"""otdiag runs on the oldest Typer pyproject.toml allows, not only on the locked one.

otdiag.cli.fast_typer uses Typer internals of the locked release for a faster start; on a Typer
without them otdiag.cli.root falls back to Typer's own coercion. This installs the floor release
(once, cached in ~/.cache/otdiag/typer-floor/) ahead of the locked one and runs real commands on it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.peers import REPO

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "otdiag" / "typer-floor"


def _range() -> tuple[str, str]:
    text = (REPO / "pyproject.toml").read_text()
    m = re.search(r'"typer>=([0-9.]+),<([0-9.]+)"', text)
    assert m, "pyproject.toml pins Typer as typer>=FLOOR,<CEILING"
    return m.group(1), m.group(2)


def _floor_typer() -> Path:
    floor, _ = _range()
    target = CACHE / floor
    if (target / "typer").is_dir():
        return target
    partial = target.with_suffix(".partial")
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--target", str(partial), f"typer=={floor}.0"]
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        msg = f"cannot install typer=={floor}.0: {getattr(exc, 'stderr', '') or exc}"[-500:]
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing toolchain is a failure)")
        pytest.skip(msg)
    partial.rename(target)
    return target


def _otdiag(typer_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(typer_dir), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "otdiag", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_the_floor_typer_runs_otdiag(tmp_path: Path) -> None:
    floor, _ = _range()
    typer_dir = _floor_typer()
    probe = _otdiag(typer_dir, "--version", cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    version = subprocess.run(
        [sys.executable, "-c", "import typer, importlib.metadata as m; print(m.version('typer'), typer.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(typer_dir)},
        check=True,
        timeout=60,
    ).stdout
    assert version.startswith(f"{floor}.0 ") and str(typer_dir) in version, version

    helped = _otdiag(typer_dir, "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "validate-config" in helped.stdout, helped.stderr
    assert _otdiag(typer_dir, "check", "--help", cwd=tmp_path).returncode == 0

    config = tmp_path / "collector.yaml"
    config.write_text(
        "receivers: {otlp: {protocols: {grpc: {}}}}\nexporters: {debug: {}}\n"
        "service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n"
    )
    valid = _otdiag(typer_dir, "validate-config", "--format", "json", str(config), cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert '"ok": true' in valid.stdout

    bogus = _otdiag(typer_dir, "--bogus", cwd=tmp_path)
    assert bogus.returncode == 2 and bogus.stderr.startswith("otdiag: "), bogus.stderr
    bad = _otdiag(typer_dir, "send-test-span", "--count", "many", cwd=tmp_path)
    assert bad.returncode == 2 and "--count" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    assert _otdiag(typer_dir, cwd=tmp_path).returncode == 2
