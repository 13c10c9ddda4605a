#!/usr/bin/env python3
"""Generate otdiag/validate/data/settings.json: which settings each collector release accepts.

Nothing here is typed by hand but the list of components below (which module holds which
component). For every core release from --since to the newest the Go module proxy serves, the
config struct of each component (and the service's telemetry section) is read from that release's
own source: scripts/gen_settings/keys.go parses the module (go/parser + go/ast, fetched with
`go mod download -json` into a private GOMODCACHE under ~/.cache/otdiag/gomod) and prints every
`mapstructure` key path, following embedded `,squash` structs and types of other modules (resolved
through the component module's go.mod).

What is stored is small: per component, only the key paths that differ between releases, each with
the releases that have it (as ranges), and the paths whose kind differs (a custom Unmarshal added,
a scalar turned into a section). A path absent from the data is in every release read.

The same reader gives otdiag/validate/data/sdk_config.json: the keys of the SDK's declarative
configuration file (OTEL_CONFIG_FILE, the opentelemetry-configuration schema), from the Go SDK's
generated model (go.opentelemetry.io/contrib/otelconf, type OpenTelemetryConfiguration).

Usage: scripts/gen_settings.py [--since v0.100.0] [--step 1] [--jobs 6] [--only releases|sdk]
(needs Go and the proxy)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "otdiag" / "validate" / "data" / "settings.json"
KEYS_GO = Path(__file__).resolve().parent / "gen_settings" / "keys.go"
CORE = "go.opentelemetry.io/collector"
CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
GOMODCACHE = Path.home() / ".cache" / "otdiag" / "gomod"
BASELINE = "v0.155.0"
"""The release the key trees of otdiag/validate/data/{core,contrib}.json were reflected from."""
PINNED = ("v0.111.0", "v0.155.0")

# (knowledge ID, module, packages to try (first declaring Config wins), Go type)
COMPONENTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("receiver/otlp", f"{CORE}/receiver/otlpreceiver", ("",), "Config"),
    ("receiver/jaeger", f"{CONTRIB}/receiver/jaegerreceiver", ("",), "Config"),
    ("receiver/zipkin", f"{CONTRIB}/receiver/zipkinreceiver", ("",), "Config"),
    ("processor/batch", f"{CORE}/processor/batchprocessor", ("",), "Config"),
    ("processor/memory_limiter", f"{CORE}/processor/memorylimiterprocessor", ("",), "Config"),
    ("processor/attributes", f"{CONTRIB}/processor/attributesprocessor", ("",), "Config"),
    ("processor/filter", f"{CONTRIB}/processor/filterprocessor", ("",), "Config"),
    ("processor/probabilistic_sampler", f"{CONTRIB}/processor/probabilisticsamplerprocessor", ("",), "Config"),
    ("processor/resource", f"{CONTRIB}/processor/resourceprocessor", ("",), "Config"),
    ("processor/tail_sampling", f"{CONTRIB}/processor/tailsamplingprocessor", ("",), "Config"),
    ("processor/transform", f"{CONTRIB}/processor/transformprocessor", ("",), "Config"),
    ("exporter/debug", f"{CORE}/exporter/debugexporter", ("",), "Config"),
    ("exporter/otlp_grpc", f"{CORE}/exporter/otlpexporter", ("",), "Config"),
    ("exporter/otlp_http", f"{CORE}/exporter/otlphttpexporter", ("",), "Config"),
    ("exporter/file", f"{CONTRIB}/exporter/fileexporter", ("",), "Config"),
    ("connector/span_metrics", f"{CONTRIB}/connector/spanmetricsconnector", ("",), "Config"),
    ("extension/zpages", f"{CORE}/extension/zpagesextension", ("",), "Config"),
    ("extension/health_check", f"{CONTRIB}/extension/healthcheckextension", ("",), "Config"),
    ("extension/healthcheckv2", f"{CONTRIB}/extension/healthcheckv2extension", ("",), "Config"),
    ("extension/pprof", f"{CONTRIB}/extension/pprofextension", ("",), "Config"),
    ("extension/basicauth", f"{CONTRIB}/extension/basicauthextension", ("",), "Config"),
    ("extension/bearertokenauth", f"{CONTRIB}/extension/bearertokenauthextension", ("",), "Config"),
    ("service/telemetry", f"{CORE}/service", ("/telemetry/otelconftelemetry", "/telemetry"), "Config"),
)

Version = tuple[int, int, int]


def vkey(v: str) -> Version:
    m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", v)
    if not m:
        raise ValueError(v)
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def say(msg: str) -> None:
    print(f"gen-settings: {msg}", file=sys.stderr, flush=True)


def go_env() -> dict[str, str]:
    GOMODCACHE.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "GOMODCACHE": str(GOMODCACHE), "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}


def download(module: str, version: str) -> Path | None:
    """The module's directory in the private module cache (None: the proxy does not serve it)."""
    for _ in range(3):  # a busy proxy or machine fails now and then: not a missing module
        got = _download(module, version)
        if got is not None:
            return got
    return None


def _download(module: str, version: str) -> Path | None:
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        capture_output=True, text=True, check=False, env=go_env(), timeout=300,
    )  # fmt: skip
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        return None
    return Path(doc["Dir"]) if doc.get("Dir") and not doc.get("Error") else None


def core_versions(release: str) -> dict[str, str] | None:
    """Every module of one core release -> its version (from the root module's versions.yaml)."""
    d = download(CORE, release)
    if d is None or not (d / "versions.yaml").is_file():
        return None
    doc = yaml.safe_load((d / "versions.yaml").read_text()) or {}
    return {m: s["version"] for s in (doc.get("module-sets") or {}).values() for m in s.get("modules") or []}


def contrib_version(module: str, release: str) -> str | None:
    """The contrib module's tag for a core release: the same number, or its first patch release."""
    major, minor, _ = vkey(release)
    for patch in (0, 1, 2):
        v = f"v{major}.{minor}.{patch}"
        if download(module, v) is not None:
            return v
    return None


def read_release(release: str, binary: Path) -> dict[str, Any] | None:
    mods = core_versions(release)
    if mods is None:
        say(f"{release}: the proxy does not serve the core root module; skipped")
        return None
    roots = []
    for cid, module, pkgs, typ in COMPONENTS:
        version = mods.get(module) if module.startswith(CORE) else contrib_version(module, release)
        if version is None:
            continue
        roots.append({"id": cid, "module": module, "version": version, "pkgs": [module + p for p in pkgs], "type": typ})
    out = subprocess.run(
        [str(binary)], input=json.dumps(roots), capture_output=True, text=True, check=False, env=go_env(), timeout=1800
    )
    if out.returncode != 0:
        say(f"{release}: keys failed: {out.stderr[-500:]}")
        return None
    doc: dict[str, Any] = json.loads(out.stdout)
    doc["_validate_builds"] = validate_builds(mods)
    bad = [k for k, v in doc.items() if isinstance(v, dict) and "error" in v]
    for k in bad:
        say(f"{release}: {k}: {doc.pop(k)['error']}")
    say(f"{release}: {len(doc)} components read")
    return doc


def validate_builds(mods: dict[str, str]) -> bool | None:
    """Whether the release's `otelcol validate` builds the pipelines (creating every component, checking
    signals and connectors), read from otelcol's DryRun; None when its source is not served."""
    module = f"{CORE}/otelcol"
    d = download(module, mods[module]) if module in mods else None
    if d is None or not (d / "collector.go").is_file():
        return None
    text = (d / "collector.go").read_text(errors="replace")
    body = text[text.find("func (col *Collector) DryRun") :]
    body = body[: body.find("\nfunc ", 1)]
    return "service.Validate(" in body


def releases(since: str, step: int) -> list[str]:
    """v0.N.0 from `since` to the newest core release the proxy serves, every `step`, with PINNED and the newest."""
    listed = subprocess.run(
        ["go", "list", "-m", "-versions", CORE], capture_output=True, text=True, check=False, env=go_env()
    ).stdout.split()[1:]
    newest = max((v for v in listed if re.fullmatch(r"v0\.\d+\.0", v)), key=vkey)
    lo, hi = vkey(since)[1], vkey(newest)[1]
    picked = {f"v0.{m}.0" for m in range(lo, hi + 1, step)} | {newest, *PINNED}
    return sorted((v for v in picked if vkey(v) >= vkey(since)), key=vkey)


def ranges(present: Sequence[bool], order: Sequence[str]) -> list[list[str | None]]:
    """[[first, last], ...] of consecutive releases where `present`; None as last: up to the newest read."""
    out: list[list[str | None]] = []
    start: int | None = None
    for i, p in enumerate([*present, False]):
        if p and start is None:
            start = i
        elif not p and start is not None:
            out.append([order[start], None if i == len(order) else order[i - 1]])
            start = None
    return out


def diff(read: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per component: the key paths not in every release, and the paths whose kind changed."""
    order = sorted(read, key=vkey)
    comps = sorted({c for r in order for c in read[r]})
    out: dict[str, Any] = {}
    for cid in comps:
        have = [r for r in order if cid in read[r]]
        paths = sorted({p for r in have for p in read[r][cid]})
        entry: dict[str, Any] = {"first_read": have[0], "keys": {}, "kinds": {}}
        for p in paths:
            kinds_seen = [read[r][cid].get(p) for r in have]
            if any(k is None for k in kinds_seen):
                entry["keys"][p] = {"in": ranges([k is not None for k in kinds_seen], have)}
            distinct = sorted({k for k in kinds_seen if k is not None})
            if len(distinct) > 1:
                entry["kinds"][p] = {k: ranges([x == k for x in kinds_seen], have) for k in distinct}
        for p in list(entry["keys"]):
            newest_kind = read[have[-1]][cid].get(p)
            oldest_kind = next(k for k in (read[r][cid].get(p) for r in have) if k is not None)
            entry["keys"][p]["kind"] = newest_kind or oldest_kind
        # A key that comes and goes with its section is implied by it: only the section is stored.
        for p in sorted(entry["keys"], key=lambda x: x.count(".")):
            parent = p.rsplit(".", 1)[0] if "." in p else None
            while parent is not None and parent not in entry["keys"]:
                parent = parent.rsplit(".", 1)[0] if "." in parent else None
            if parent is not None and entry["keys"][parent]["in"] == entry["keys"][p]["in"]:
                entry["keys"][p]["implied"] = True
        entry["keys"] = {p: e for p, e in entry["keys"].items() if not e.get("implied")}
        out[cid] = entry
    return out


SDK_OUT = REPO / "otdiag" / "validate" / "data" / "sdk_config.json"
OTELCONF = "go.opentelemetry.io/contrib/otelconf"


def sdk_config(binary: Path) -> None:
    """The declarative configuration's key paths, from the newest otelconf the proxy serves."""
    listed = subprocess.run(
        ["go", "list", "-m", "-versions", OTELCONF], capture_output=True, text=True, check=False, env=go_env()
    ).stdout.split()[1:]
    version = max((v for v in listed if re.fullmatch(r"v\d+\.\d+\.\d+", v)), key=vkey)
    roots = [
        {"id": "sdk", "module": OTELCONF, "version": version, "pkgs": [OTELCONF], "type": "OpenTelemetryConfiguration"}
    ]
    out = subprocess.run(
        [str(binary)], input=json.dumps(roots), capture_output=True, text=True, check=True, env=go_env(), timeout=600
    )
    keys = json.loads(out.stdout)["sdk"]
    if "error" in keys:
        raise SystemExit(f"gen-settings: {keys['error']}")
    d = download(OTELCONF, version)
    fmt = None
    if d is not None:
        m = re.search(r'FileFormat:\s*"([0-9][^"]*)"', (d / "config_test.go").read_text(errors="replace"))
        fmt = m.group(1) if m else None
    doc = {
        "generated_by": "scripts/gen_settings.py",
        "source": f"{OTELCONF}@{version} OpenTelemetryConfiguration "
        "(generated from the opentelemetry-configuration schema)",
        "file_format": fmt,
        "keys": keys,
    }
    SDK_OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    say(f"wrote {SDK_OUT.relative_to(REPO)} ({len(keys)} key paths, otelconf {version}, file_format {fmt})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--since", default="v0.100.0")
    ap.add_argument("--step", type=int, default=1, help="read every Nth minor release (PINNED and the newest always)")
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--only", choices=("releases", "sdk"), default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "keys"
        subprocess.run(["go", "build", "-o", str(binary), str(KEYS_GO)], check=True, env={**go_env(), "GOFLAGS": ""})
        if args.only != "releases":
            sdk_config(binary)
        if args.only == "sdk":
            return
        wanted = releases(args.since, args.step)
        say(f"{len(wanted)} releases: {wanted[0]} .. {wanted[-1]}")
        with ThreadPoolExecutor(args.jobs) as pool:
            got = dict(zip(wanted, pool.map(lambda r: read_release(r, binary), wanted), strict=True))
    read = {r: d for r, d in got.items() if d}
    builds = {r: d.pop("_validate_builds") for r, d in read.items()}
    first_build = next((r for r in sorted(read, key=vkey) if builds[r]), None)
    doc = {
        "generated_by": "scripts/gen_settings.py",
        "sources": [
            "each release's component modules (and the modules their config structs use) from the Go module "
            "proxy; mapstructure keys of the config structs read by scripts/gen_settings/keys.go"
        ],
        "baseline": BASELINE,
        "validate_builds_pipelines_from": first_build,
        "releases": sorted(read, key=vkey),
        "components": diff(read),
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    say(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size:,} bytes, {len(read)} releases)")


if __name__ == "__main__":
    main()
