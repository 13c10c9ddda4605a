#!/usr/bin/env python3
"""Generate otdiag/validate/data/versions.json: which component types each collector release has.

Nothing here is typed by hand; everything is read from the releases' own module zips on the Go
module proxy (through `go mod download`, so the Go module cache keeps them):

- core (go.opentelemetry.io/collector): every release the proxy lists from --since on. Its root
  module's versions.yaml names the component modules of that release; each component module's
  metadata.yaml gives its `type` and `deprecated_type` (the alias it still accepts). A module's
  metadata is read at the first and last release that lists it, and where the two differ the
  change is bisected to the release that made it (e.g. `otlp` -> `otlp_grpc`).
- contrib (github.com/open-telemetry/opentelemetry-collector-contrib): every release whose root
  module the proxy serves (it serves few). Its reports/distributions/contrib.yaml lists the
  types of the contrib distribution in that release; its CHANGELOG.md dates, for the releases in
  between and before, the "New components" entries and the "Remove ..." entries of breaking
  changes (only entries that name one component).

Usage: scripts/gen_versions.py [--since v0.100.0 --every-minor]   (needs Go and the module proxy)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_components

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "otdiag" / "validate" / "data" / "versions.json"
CORE = "go.opentelemetry.io/collector"
CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
KINDS = ("receiver", "processor", "exporter", "connector", "extension")
_COMPONENT = re.compile(rf"^{re.escape(CORE)}/(?P<kind>{'|'.join(KINDS)})/(?P<name>[a-z0-9]+)$")

Version = tuple[int, int, int]


def vkey(v: str) -> Version:
    m = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", v)
    if not m:
        raise ValueError(v)
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def say(msg: str) -> None:
    print(f"gen-versions: {msg}", file=sys.stderr, flush=True)


def versions_of(module: str) -> list[str]:
    out = subprocess.run(["go", "list", "-m", "-versions", module], capture_output=True, text=True, check=False)
    return [v for v in out.stdout.split()[1:] if re.fullmatch(r"v\d+\.\d+\.\d+", v)]


def download(module: str, version: str) -> Path | None:
    """The module zip's path in the Go module cache, or None when the proxy does not serve it."""
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"{module}@{version}"], capture_output=True, text=True, check=False
    )
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        return None
    return Path(doc["Zip"]) if doc.get("Zip") and not doc.get("Error") else None


def read_member(zip_path: Path, module: str, version: str, name: str) -> str | None:
    with zipfile.ZipFile(zip_path) as zf:
        try:
            return zf.read(f"{module}@{version}/{name}").decode("utf-8", "replace")
        except KeyError:
            return None


# --- core ---------------------------------------------------------------------------------------------


def core_modules(release: str) -> dict[str, str] | None:
    """Component module path -> its version, in one core release (None: the proxy lacks it)."""
    zp = download(CORE, release)
    if zp is None:
        return None
    text = read_member(zp, CORE, release, "versions.yaml")
    if text is None:
        return None
    doc = yaml.safe_load(text) or {}
    out: dict[str, str] = {}
    for mset in (doc.get("module-sets") or {}).values():
        for mod in mset.get("modules") or []:
            m = _COMPONENT.match(mod)
            if m and m.group("name").endswith(m.group("kind")) and m.group("name") not in (f"x{m.group('kind')}",):
                out[mod] = mset["version"]
    return out


def metadata(module: str, version: str) -> tuple[str, str, str | None] | None:
    """(kind, type, deprecated_type) from a component module's metadata.yaml."""
    zp = download(module, version)
    if zp is None:
        return None
    text = read_member(zp, module, version, "metadata.yaml")
    if text is None:
        return None
    doc = yaml.safe_load(text) or {}
    kind = (doc.get("status") or {}).get("class")
    if kind not in KINDS or not doc.get("type"):
        return None
    return kind, str(doc["type"]), doc.get("deprecated_type")


def core_table(releases: list[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The releases read, and per module: the releases listing it and its metadata over time."""
    listing: dict[str, dict[str, str]] = {}
    for r in releases:
        mods = core_modules(r)
        if mods is None:
            say(f"core {r}: the proxy does not serve its root module; skipped")
            continue
        listing[r] = mods
    read = sorted(listing, key=vkey)
    modules: dict[str, dict[str, Any]] = {}
    for mod in sorted({m for mods in listing.values() for m in mods}):
        present = [r for r in read if mod in listing[r]]
        meta: dict[str, tuple[str, str, str | None] | None] = {}

        def at(r: str, mod: str = mod, meta: dict[str, Any] = meta) -> tuple[str, str, str | None] | None:
            if r not in meta:
                meta[r] = metadata(mod, listing[r][mod])
            return meta[r]

        changes = _bisect_changes(present, at)
        modules[mod] = {"present": present, "changes": changes}
    return read, modules


def _bisect_changes(present: list[str], at: Any) -> list[tuple[str, tuple[str, str, str | None]]]:
    """[(release, metadata)]: the module's first release, then each release where its metadata changed.

    A release whose zip the proxy does not serve reads as "like its neighbours".
    """

    def known(i: int, step: int, stop: int) -> tuple[int, Any]:
        while i != stop:
            m = at(present[i])
            if m is not None:
                return i, m
            i += step
        return stop, None

    lo, lo_m = known(0, 1, len(present))
    if lo_m is None:
        return []
    hi, hi_m = known(len(present) - 1, -1, lo)
    out: list[tuple[str, tuple[str, str, str | None]]] = [(present[0], lo_m)]

    def walk(lo: int, lo_m: Any, hi: int, hi_m: Any) -> None:
        if hi_m is None or lo_m == hi_m:
            return
        if hi - lo <= 1:
            out.append((present[hi], hi_m))
            return
        mid, mid_m = known((lo + hi) // 2, -1, lo)
        if mid == lo:
            mid, mid_m = known((lo + hi) // 2 + 1, 1, hi)
            if mid == hi:
                out.append((present[hi], hi_m))
                return
        walk(lo, lo_m, mid, mid_m)
        walk(mid, mid_m, hi, hi_m)

    walk(lo, lo_m, hi, hi_m)
    return sorted(out, key=lambda x: vkey(x[0]))


# --- contrib ------------------------------------------------------------------------------------------

_SECTION = re.compile(r"^## (v\d+\.\d+\.\d+)")
_SUBSECTION = re.compile(r"^### (.*)")
_ENTRY = re.compile(r"^- `(?P<comp>[a-z0-9_/]+)`: (?P<text>.*)")
_REMOVE = re.compile(r"\b[Rr]emov(e|ed|ing)\b")
_KIND_ALT = "|".join(KINDS)
_ALL_REMOVE = re.compile(
    rf"^[Rr]emove (?:the )?(?:deprecated |unmaintained )?"
    rf"(?:(?P<k1>{_KIND_ALT})/(?P<n1>\w+)|(?P<n2>\w+) (?P<k2>{_KIND_ALT}))\b"
)


def _as_component(token: str, types: dict[str, set[str]]) -> tuple[str, str] | None:
    """(kind, type) for a CHANGELOG component token: `receiver/foo`, `fooreceiver`, `foo_bar`."""
    token = token.strip("/")
    if "/" in token:
        kind, _, name = token.partition("/")
        if kind not in KINDS:
            return None
        name = name.removesuffix(kind)
    else:
        kind = next((k for k in KINDS if token.endswith(k) and token != k), "")
        if not kind:
            return None
        name = token.removesuffix(kind)
    if not name:
        return None
    squashed = name.replace("_", "")
    for t in types.get(kind, set()):
        if t.replace("_", "") == squashed:
            return kind, t
    return kind, name


_RENAME_QUOTED = re.compile(
    r"^- `(?P<kind>receiver|processor|exporter|connector|extension)/[\w]+`: Rename the '(?P<old>[a-z0-9_]+)' "
    r"\w+ to '(?P<new>[a-z0-9_]+)'\. The old '[a-z0-9_]+' type remains available as a deprecated alias"
)


def _renamed(line: str) -> tuple[str, str, str] | None:
    """(kind, new type, old type) for a CHANGELOG rename entry that keeps the old name as an alias."""
    m = _RENAME_QUOTED.match(line)
    if m:
        return m.group("kind"), m.group("new"), m.group("old")
    for rx in (gen_components._RENAME_KEPT, gen_components._RENAME_FROM, gen_components._RENAME):
        m = rx.match(line)
        if m and m.group("old") != m.group("new") and "_" in m.group("new") and "_" not in m.group("old"):
            return m.group("kind"), m.group("new"), m.group("old")
    return None


def changelog_events(text: str, types: dict[str, set[str]]) -> dict[str, list[tuple[str, ...]]]:
    """release -> [("new"|"removed", kind, type) | ("renamed", kind, new, old)] from contrib's CHANGELOG.md."""
    events: dict[str, list[tuple[str, ...]]] = {}
    release = sub = ""
    for line in text.splitlines():
        if m := _SECTION.match(line):
            release, sub = m.group(1), ""
            continue
        if m := _SUBSECTION.match(line):
            sub = m.group(1).lower()
            continue
        if not release:
            continue
        renamed = _renamed(line)
        if renamed is not None:
            events.setdefault(release, []).append(("renamed", *renamed))
            continue
        m = _ENTRY.match(line)
        if not m:
            continue
        comp = _as_component(m.group("comp"), types)
        if comp is None and m.group("comp") == "all" and "breaking" in sub:
            # "`all`: Remove deprecated SAPM exporter", "`all`: Remove unmaintained receiver/bigip component"
            a = _ALL_REMOVE.search(m.group("text"))
            if a:
                kind, name = (a.group("k1"), a.group("n1")) if a.group("k1") else (a.group("k2"), a.group("n2"))
                found = _as_component(f"{kind}/{name.lower()}", types)
                if found:
                    events.setdefault(release, []).append(("removed", *found))
            continue
        if comp is None:
            continue
        if "new component" in sub:
            events.setdefault(release, []).append(("new", *comp))
        elif "breaking" in sub and _REMOVE.search(m.group("text")):
            # Only "Remove the X receiver" / "Remove deprecated X": not a removed option of X.
            word = comp[1].replace("_", "")
            said = m.group("text").lower().replace("_", "")
            rx = (
                rf"remov\w* (?:the )?(?:deprecated |unmaintained )?`?{word}\w*`?(?: {comp[0]}s?)?"
                r"(?=$|[.,;:(]| \(| from\b| in favou?r| because| as\b| and\b| since\b| which\b)"
            )
            if re.search(rx, said):
                events.setdefault(release, []).append(("removed", *comp))
    return events


def contrib_snapshots(candidates: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in sorted(set(candidates), key=vkey):
        zp = download(CONTRIB, r)
        if zp is None:
            say(f"contrib {r}: the proxy does not serve its root module; skipped")
            continue
        dist = read_member(zp, CONTRIB, r, "reports/distributions/contrib.yaml")
        if dist is None:
            continue
        comps = (yaml.safe_load(dist) or {}).get("components") or {}
        out[r] = {
            "types": {k: sorted(comps.get(k) or []) for k in KINDS},
            "changelog": read_member(zp, CONTRIB, r, "CHANGELOG.md") or "",
        }
    return out


# --- the table ----------------------------------------------------------------------------------------


def build(since: str, every_minor: bool = False) -> dict[str, Any]:
    pins = tomllib.loads((REPO / "peers" / "pins.toml").read_text())
    pinned = {p["version"] for p in pins.values() if "manifest" in p}
    listed = {v for v in versions_of(CORE) if vkey(v) >= vkey(since)}
    if every_minor and listed:
        # The proxy's list can be sparse; the releases it does not list are still served.
        top = max(vkey(v) for v in listed)[1]
        listed |= {f"v0.{m}.0" for m in range(vkey(since)[1], top + 1)}
    core_releases = sorted(listed | pinned, key=vkey)
    say(f"core: {len(core_releases)} releases from {since} on")
    read, modules = core_table(core_releases)
    components: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}

    def entry(kind: str, typ: str) -> dict[str, Any]:
        return components[kind].setdefault(typ, {"dist": "core", "first": None, "removed": None, "use": None})

    for mod, info in modules.items():
        core_component(entry, read, mod, info["present"], info["changes"])
    contrib_candidates = versions_of(CONTRIB) + [p["version"] for p in pins.values() if "manifest" in p]
    snaps = contrib_snapshots(contrib_candidates)
    say(f"contrib: root modules served for {', '.join(snaps) or 'no release'}")
    if snaps:
        contrib_components(components, snaps)
    releases = sorted(set(read) | set(snaps), key=vkey)
    return {
        "generated_by": "scripts/gen_versions.py",
        "sources": [
            f"{CORE} root module versions.yaml at {', '.join(read)}; each component module's metadata.yaml",
            f"{CONTRIB} reports/distributions/contrib.yaml at {', '.join(snaps)}; CHANGELOG.md of the newest",
        ],
        "releases": releases,
        "core_releases": read,
        "newest": releases[-1],
        "oldest": releases[0],
        "components": {k: dict(sorted(v.items())) for k, v in components.items()},
        "contrib_snapshots": {r: snap["types"] for r, snap in snaps.items()},
    }


def contrib_components(components: dict[str, dict[str, dict[str, Any]]], snaps: dict[str, dict[str, Any]]) -> None:
    """Add contrib's types: present in the newest snapshot, or dated by the CHANGELOG."""
    order = list(snaps)
    newest = order[-1]
    listed = {k: {t for snap in snaps.values() for t in snap["types"][k]} for k in KINDS}
    events = changelog_events(snaps[newest]["changelog"], listed)
    firsts: dict[tuple[str, str], str] = {}
    removals: dict[tuple[str, str], str] = {}
    aliases: dict[tuple[str, str], tuple[str, str]] = {}
    for r in sorted(events, key=vkey):
        for what, k, t, *old in events[r]:
            if what == "new":
                firsts.setdefault((k, t), r)
            elif what == "removed":
                removals[(k, t)] = r
            else:
                firsts.setdefault((k, t), r)
                aliases.setdefault((k, old[0]), (t, r))
    for k in KINDS:
        named = listed[k] | {t for (kk, t) in [*firsts, *removals, *aliases] if kk == k}
        for t in sorted(named):
            if t in components[k]:
                continue  # a core type: its own metadata dates it
            if (k, t) in aliases:
                new, since = aliases[(k, t)]
                components[k][t] = {"dist": "contrib", "first": None, "removed": removals.get((k, t)), "use": new,
                                    "alias_of": new, "deprecated": since}  # fmt: skip
                continue
            in_newest = t in snaps[newest]["types"][k]
            renamed_to = next((n for n in snaps[newest]["types"][k] if n != t and n.replace("_", "") == t), None)
            if not in_newest and renamed_to:
                # An underscored rename keeps the old name as a deprecated alias (CHANGELOG: "remains
                # available as a deprecated alias"); undated here: the first snapshot listing the new name.
                since = next(r for r in order if renamed_to in snaps[r]["types"][k])
                components[k][t] = {"dist": "contrib", "first": None, "removed": None, "use": renamed_to,
                                    "alias_of": renamed_to, "deprecated": since}  # fmt: skip
                continue
            removed = None
            if not in_newest:
                last = max((r for r in order if t in snaps[r]["types"][k]), key=vkey, default=None)
                removed = removals.get((k, t))
                if last is not None and (removed is None or vkey(removed) <= vkey(last)):
                    # Not dated by the CHANGELOG: the first snapshot without it is an upper bound.
                    removed = next(r for r in order if vkey(r) > vkey(last))
                if removed is None:
                    continue  # neither listed nor removed: a CHANGELOG token that is no component
            components[k][t] = {"dist": "contrib", "first": firsts.get((k, t)), "removed": removed, "use": None}


def core_component(
    entry: Any, read: list[str], mod: str, present: list[str], changes: list[tuple[str, tuple[str, str, str | None]]]
) -> None:
    """The entries of one core component module: its type(s) over time and the aliases it declares."""
    gone = _next(read, present[-1])
    aliases = {alias for _, (_, _, alias) in changes if alias}
    types: list[tuple[str, str, str]] = []  # (kind, type, first release), in order
    for r, (kind, typ, _) in changes:
        if not types or types[-1][1] != typ:
            types.append((kind, typ, r))
    for i, (kind, typ, first) in enumerate(types):
        e = entry(kind, typ)
        e["module"] = mod
        if first != read[0]:
            e["first"] = first
            e["first_after"] = _prev(read, first)
        later = types[i + 1] if i + 1 < len(types) else None
        if later is None:
            e["removed"] = gone
        elif typ in aliases:
            # Renamed, the old name kept as a deprecated alias (from the rename on).
            e.update({"alias_of": later[1], "deprecated": later[2], "use": later[1]})
        else:
            e.update({"removed": later[2], "use": later[1]})


def _prev(read: list[str], r: str) -> str | None:
    i = read.index(r)
    return read[i - 1] if i > 0 else None


def _next(read: list[str], r: str) -> str | None:
    i = read.index(r)
    return read[i + 1] if i + 1 < len(read) else None


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--since", default="v0.111.0")
    ap.add_argument(
        "--every-minor", action="store_true", help="also read every v0.N.0 the proxy does not list (it serves them)"
    )
    args = ap.parse_args(argv)
    doc = build(args.since, args.every_minor)
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    n = sum(len(v) for v in doc["components"].values())
    say(f"wrote {OUT.relative_to(REPO)}: {n} component types over {len(doc['releases'])} releases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
