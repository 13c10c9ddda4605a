#!/usr/bin/env python3
"""Generate otdiag/validate/data/{contrib,core,jaeger}.json: what each distribution's components accept.

Nothing here is typed by hand. The sources, in order of authority:

1. The Go config structs themselves, read by reflection (scripts/gen_components/reflect_configs.go):
   every factory of the collector built from peers/otelcol-builder.yaml (its components() function
   is regenerated with the OpenTelemetry Collector Builder) and of Jaeger v2's cmd/jaeger
   (internal.Components, built inside the Jaeger module). This gives each component's type,
   deprecated alias, stability per signal, the exact key tree the strict decoder accepts, and
   its default config - the same code `otelcol validate` runs.
2. Upstream metadata of the contrib repository at the collector's version (Go module cache):
   reports/distributions/{contrib,core}.yaml (which types each distribution holds),
   metadata.yaml of every component module present (signals, stability, deprecated alias,
   distributions), and the CHANGELOG's "Rename X ... deprecated alias Y" entries.

A component known only from (2) has `config: null` (its keys are not checked: no false
"has invalid keys") and, without a metadata.yaml, `signals: null` (signal support not checked).

Usage: scripts/gen_components.py [--reflected DIR]   (DIR: reuse otelcol.json / jaeger.json)
Needs Go, the built peers (scripts/install_peers.py) and their modules in the Go module cache;
it works offline (GOPROXY=off).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "otdiag" / "validate" / "data"
REFLECT_GO = Path(__file__).resolve().parent / "gen_components" / "reflect_configs.go"
CONTRIB_MODULE = "github.com/open-telemetry/opentelemetry-collector-contrib"
KINDS = ("receiver", "processor", "exporter", "connector", "extension")
OFFLINE = {"GOPROXY": "off", "GOSUMDB": "off", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}

sys.path.insert(0, str(REPO / "scripts"))
import install_peers  # noqa: E402


def gomodcache() -> Path:
    out = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def module_dir(path: str, version: str) -> Path:
    # The module cache escapes capitals as !lower.
    escaped = re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)
    return gomodcache() / f"{escaped}@{version}"


def _strip_build_tag(src: str) -> str:
    return re.sub(r"^//go:build ignore\n\n", "", src)


def reflect_otelcol(work: Path) -> dict[str, Any]:
    pins = tomllib.loads((REPO / "peers" / "pins.toml").read_text())
    pin = pins["otelcol"]
    builder = install_peers.pin_dir("builder", pin) / "bin" / "builder"
    if not builder.exists():
        raise SystemExit(f"gen_components: {builder} is missing: run scripts/install_peers.py")
    shutil.copy(REPO / pin["manifest"], work / "manifest.yaml")
    env = {**os.environ, **OFFLINE, "GOFLAGS": "-mod=mod -e"}
    subprocess.run([str(builder), "--config", "manifest.yaml", "--skip-compilation"], cwd=work, env=env, check=True)
    dist = work / "dist"
    for stale in dist.glob("main*.go"):
        stale.unlink()
    (dist / "reflect_configs.go").write_text(_strip_build_tag(REFLECT_GO.read_text()))
    out = subprocess.run(["go", "run", "."], check=False, cwd=dist, env={**os.environ, **OFFLINE}, capture_output=True)
    if out.returncode:
        raise SystemExit(out.stderr.decode())
    data: dict[str, Any] = json.loads(out.stdout)
    data["version"] = pin["version"]
    return data


def reflect_jaeger(work: Path) -> dict[str, Any]:
    pin = tomllib.loads((REPO / "peers" / "pins.toml").read_text())["jaeger"]
    src = module_dir(pin["module"], pin["version"])
    if not src.exists():
        raise SystemExit(f"gen_components: {src} is missing: run scripts/install_peers.py")
    tree = work / "jaeger"
    shutil.copytree(src, tree)
    for d, _, files in os.walk(tree):
        os.chmod(d, 0o755)  # noqa: PTH101, S103 - the module cache is read-only
        for f in files:
            os.chmod(Path(d) / f, 0o644)  # noqa: PTH101
    # Inside cmd/jaeger so that Go lets it import cmd/jaeger/internal.
    pkg = tree / "cmd" / "jaeger" / "otdiagreflect"
    pkg.mkdir()
    (pkg / "main.go").write_text(_strip_build_tag(REFLECT_GO.read_text()))
    (pkg / "adapter.go").write_text(
        'package main\n\nimport (\n\t"go.opentelemetry.io/collector/otelcol"\n\n'
        '\tjaegerinternal "github.com/jaegertracing/jaeger/cmd/jaeger/internal"\n)\n\n'
        "func components() (otelcol.Factories, error) { return jaegerinternal.Components() }\n"
    )
    env = {**os.environ, **OFFLINE, "GOFLAGS": ""}
    out = subprocess.run(
        ["go", "run", "./cmd/jaeger/otdiagreflect"], check=False, cwd=tree, env=env, capture_output=True
    )
    if out.returncode:
        raise SystemExit(out.stderr.decode())
    data: dict[str, Any] = json.loads(out.stdout)
    data["version"] = pin["version"]
    data["release"] = "v2.13.0"
    return data


def compact(node: Any) -> Any:
    """Drop the Go type names (kept only for opaque strings' sake) to keep the data small."""
    if not isinstance(node, dict):
        return node
    out = {k: v for k, v in node.items() if k != "go" or node.get("t") in ("int", "uint")}
    if "keys" in out:
        out["keys"] = {k: compact(v) for k, v in sorted(out["keys"].items())}
    if "v" in out:
        out["v"] = compact(out["v"])
    return out


_SIGNAL_NAMES = {"traces", "metrics", "logs", "profiles"}


def metadata_signals(meta: dict[str, Any]) -> dict[str, str] | None:
    stability = (meta.get("status") or {}).get("stability") or {}
    out: dict[str, str] = {}
    for level, signals in stability.items():
        for s in signals or []:
            if s in _SIGNAL_NAMES or "_to_" in s or s == "extension":
                out[s] = str(level).capitalize()
    return out or None


def local_metadata() -> dict[tuple[str, str], dict[str, Any]]:
    """metadata.yaml of every component module at the collector's version in the module cache."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    roots = [gomodcache() / "go.opentelemetry.io" / "collector", gomodcache() / CONTRIB_MODULE]
    for root in roots:
        for meta_path in sorted(root.glob("*/*@v0.155.0/metadata.yaml")):
            meta = yaml.safe_load(meta_path.read_text()) or {}
            cls = (meta.get("status") or {}).get("class")
            if cls in KINDS and meta.get("type"):
                meta["_module"] = meta_path.parent.name
                found[(cls, meta["type"])] = meta
    return found


_RENAME = re.compile(
    r"^- `(?P<kind>receiver|processor|exporter|connector|extension)/[\w]+`: .*?"
    r"(?:[Rr]ename\w*).*?`(?P<new>[a-z0-9_]+)`.*?deprecated alias `(?P<old>[a-z0-9_]+)`"
)
_RENAME_KEPT = re.compile(
    r"^- `(?P<kind>receiver|processor|exporter|connector|extension)/[\w]+`: Rename component type from "
    r"`(?P<old>[a-z0-9_]+)` to `(?P<new>[a-z0-9_]+)`"
)
_RENAME_FROM = re.compile(
    r"^- `(?P<kind>receiver|processor|exporter|connector|extension)/[\w]+`: Rename (?:the )?`?(?P<old>[a-z0-9]+)`? "
    r"(?:receiver|processor|exporter|connector|extension)? ?to `(?P<new>[a-z0-9_]+)`"
)


def changelog_aliases(contrib_root: Path) -> dict[tuple[str, str], str]:
    """(kind, new type) -> deprecated alias, from the contrib CHANGELOG's rename entries."""
    out: dict[tuple[str, str], str] = {}
    for line in (contrib_root / "CHANGELOG.md").read_text().splitlines():
        for rx in (_RENAME_KEPT, _RENAME_FROM, _RENAME):
            m = rx.match(line)
            if m and m.group("old") != m.group("new") and "_" in m.group("new"):
                old = m.group("old")
                # "add deprecated alias `signal_to_metrics`" in one entry names the new type by mistake.
                if "_" in old:
                    continue
                out.setdefault((m.group("kind"), m.group("new")), old)
                break
    return out


_MATCH_TYPE_GO = "/internal/filter/filterset.MatchType"


def match_type_enum(version: str) -> dict[str, Any] | None:
    """filterset.MatchType's valid values and error, from internal/filter/filterset/config.go.

    A plain string to the decoder and to Validate(): only creating the component (which
    `otelcol validate` does while building pipelines) refuses another value, through
    CreateFilterSet and NewUnrecognizedMatchTypeError.
    """
    src_path = module_dir(f"{CONTRIB_MODULE}/internal/filter", version) / "filterset" / "config.go"
    if not src_path.exists():
        return None
    src = src_path.read_text()
    consts = dict(re.findall(r'^\s*(\w+)\s+MatchType\s*=\s*"([^"]*)"', src, re.M))
    valid = re.search(r"validMatchTypes\s*=\s*\[\]MatchType\{([^}]*)\}", src)
    field = re.search(r'MatchTypeFieldName\s*=\s*"(\w+)"', src)
    fmt = re.search(r'NewUnrecognizedMatchTypeError\(.*?\{\s*return fmt\.Errorf\("([^"]+)"', src, re.S)
    if not (valid and field and fmt):
        return None
    values = [consts[name.strip()] for name in valid.group(1).split(",") if name.strip() in consts]
    # fmt.Errorf("unrecognized %v: '%v', valid types are: %v", field, value, validMatchTypes)
    parts = iter([field.group(1), "{value}", "[" + " ".join(values) + "]"])
    error = re.sub(r"%v", lambda _m: next(parts), fmt.group(1))
    return {"values": values, "error": error, "stage": "create"}


def annotate(node: Any, match_type: dict[str, Any] | None) -> Any:
    """Mark values only component creation checks (filterset match types) in a reflected key tree."""
    if isinstance(node, dict):
        if match_type and node.get("t") == "str" and str(node.get("go", "")).endswith(_MATCH_TYPE_GO):
            node["enum"] = match_type
        for child in (node.get("keys") or {}).values():
            annotate(child, match_type)
        if "v" in node:
            annotate(node["v"], match_type)
    return node


def component_entry(c: dict[str, Any], source: str, match_type: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "aliases": [c["deprecated_alias"]] if c.get("deprecated_alias") else [],
        "signals": c["stability"],
        "config": compact(annotate(c["config"], match_type)),
        "defaults": c.get("defaults"),
        "source": source,
    }


def build(otelcol: dict[str, Any], jaeger: dict[str, Any]) -> dict[str, dict[str, Any]]:
    contrib_root = module_dir(CONTRIB_MODULE, "v0.155.0")
    reports = {
        name: yaml.safe_load((contrib_root / "reports" / "distributions" / f"{name}.yaml").read_text())
        for name in ("contrib", "core")
    }
    metas = local_metadata()
    aliases = changelog_aliases(contrib_root)
    match_type = match_type_enum("v0.155.0")
    ver = otelcol["version"]
    sources = {
        "otelcol": f"otelcol-otdiag {ver} built from peers/otelcol-builder.yaml: Go config structs by reflection",
        "contrib-metadata": f"{CONTRIB_MODULE}@v0.155.0 reports/distributions, metadata.yaml, CHANGELOG.md",
        "jaeger": f"github.com/jaegertracing/jaeger@{jaeger['version']} (Jaeger {jaeger['release']}) "
        "cmd/jaeger components: Go config structs by reflection",
    }
    dists: dict[str, dict[str, Any]] = {}
    for dist in ("contrib", "core"):
        comps: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
        for c in otelcol["components"]:
            meta = metas.get((c["kind"], c["type"]), {})
            in_dist = dist in ((meta.get("status") or {}).get("distributions") or [])
            # contrib is read as "every component of the contrib repositories": the test collector's
            # development-stage extras (healthcheckv2) are accepted there too.
            if in_dist or dist == "contrib":
                comps[c["kind"]][c["type"]] = component_entry(c, sources["otelcol"], match_type)
        listed = reports[dist]["components"]
        for kind in KINDS:
            for typ in listed.get(kind) or []:
                if typ in comps[kind]:
                    continue
                meta = metas.get((kind, typ))
                alias = (meta or {}).get("deprecated_type") or aliases.get((kind, typ))
                comps[kind][typ] = {
                    "aliases": [alias] if alias else [],
                    "signals": metadata_signals(meta) if meta else None,
                    "config": None,
                    "defaults": None,
                    "source": sources["contrib-metadata"]
                    + (f" ({meta['_module']}/metadata.yaml)" if meta else " (type only)"),
                }
        dists[dist] = {
            "distribution": dist,
            "generated_by": "scripts/gen_components.py",
            "versions": {"collector": ver, "contrib": "v0.155.0"},
            "sources": [sources["otelcol"], sources["contrib-metadata"]],
            "components": {k: dict(sorted(v.items())) for k, v in comps.items()},
            "telemetry": compact(otelcol.get("telemetry")),
        }
    jcomps: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
    jaeger_match_type = match_type_enum("v0.140.1")
    for c in jaeger["components"]:
        jcomps[c["kind"]][c["type"]] = component_entry(c, sources["jaeger"], jaeger_match_type)
    dists["jaeger"] = {
        "distribution": "jaeger",
        "generated_by": "scripts/gen_components.py",
        "versions": {"jaeger": jaeger["release"], "jaeger_module": jaeger["version"]},
        "sources": [sources["jaeger"]],
        "components": {k: dict(sorted(v.items())) for k, v in jcomps.items()},
        "telemetry": compact(jaeger.get("telemetry")),
    }
    return dists


def tail_sampling_policies() -> dict[str, Any]:
    """tail_sampling's policy types, from the `PolicyType = "..."` constants of its config.go.

    Types without a settings block of their own (always_sample) cannot be seen in the reflected
    key tree, so they are read here, per module version (contrib's and Jaeger's).
    """
    out: dict[str, Any] = {"generated_by": "scripts/gen_components.py", "versions": {}}
    for dist, version in (("contrib", "v0.155.0"), ("core", "v0.155.0"), ("jaeger", "v0.140.1")):
        src = module_dir(f"{CONTRIB_MODULE}/processor/tailsamplingprocessor", version) / "config.go"
        types = sorted(set(re.findall(r'PolicyType\s*=\s*"([a-z_]+)"', src.read_text())))
        out["versions"][dist] = {"module_version": version, "policy_types": types}
    return out


# --- OTTL: function names per processor and context, context paths and enums (data/ottl.json) ----------
_GO_FUNC = re.compile(r"^func (?:\([^)]*\) )?(\w+)", re.M)


def _go_bodies(folder: Path) -> dict[str, str]:
    """Top-level Go functions of a package folder (tests excluded), by name: their text."""
    out: dict[str, str] = {}
    for f in sorted(folder.glob("*.go")):
        if f.name.endswith("_test.go"):
            continue
        src = f.read_text()
        starts = [(m.start(), m.group(1)) for m in _GO_FUNC.finditer(src)]
        for i, (at, name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(src)
            out.setdefault(name, src[at:end])
    return out


def _go_structs(folder: Path) -> dict[str, list[str]]:
    """Go struct types of a package folder: their field type expressions, in order."""
    out: dict[str, list[str]] = {}
    for f in sorted(folder.glob("*.go")):
        if f.name.endswith("_test.go"):
            continue
        for m in re.finditer(r"^type (\w+)(?:\[[^\]]*\])? struct \{\n(.*?)^\}", f.read_text(), re.M | re.S):
            fields = []
            for raw in m.group(2).splitlines():
                line = raw.split("//", 1)[0].strip()
                fm = re.match(r"^([A-Z]\w*)\s+(\S.*?)\s*(`.*`)?$", line)
                if fm:
                    fields.append(fm.group(2))
            out[m.group(1)] = fields
    return out


class _GoFuncs:
    """Follows calls from a functions-map builder down to the ottl.NewFactory("Name", ...) calls."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.bodies = {pkg: _go_bodies(d) for pkg, d in folders.items()}
        self.structs = {pkg: _go_structs(d) for pkg, d in folders.items()}
        self.args: dict[str, Any] = {}

    def names(self, pkg: str, func: str, seen: set[tuple[str, str]] | None = None) -> set[str]:
        seen = set() if seen is None else seen
        if (pkg, func) in seen:
            return set()
        seen.add((pkg, func))
        body = self.bodies[pkg][func]
        made = re.search(r'ottl\.NewFactory\(\s*"(\w+)",\s*(nil|&(\w+))', body)
        if made:
            name, struct = made.group(1), made.group(3)
            fields = self.structs[pkg].get(struct) if struct else None
            self.args[name] = (
                None
                if fields is None
                else [{"optional": t.startswith("ottl.Optional"), "function": "FunctionGetter" in t} for t in fields]
            )
            return {name}
        found: set[str] = set()
        for m in re.finditer(r"\b(?:(\w+)\.)?(\w+)(?:\[[^\]()]*\])?\(", body.split("{", 1)[-1]):
            qual, callee = m.group(1), m.group(2)
            target = qual if qual in self.bodies else pkg
            if callee in self.bodies.get(target, {}):
                found |= self.names(target, callee, seen)
        return found


def _ctx_segments(getter_src: str) -> list[str]:
    """The first path segments a context's PathGetSetter accepts: the cases of its first `switch path.Name()`."""
    body = getter_src[getter_src.index("switch path.Name() {") :]
    depth, cases = 0, []
    for m in re.finditer(r'[{}]|case ((?:"\w+",?\s*)+):', body):
        tok = m.group(0)
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0:
                break
        elif depth == 1:
            cases += re.findall(r'"(\w+)"', m.group(1))
    return sorted(set(cases))


def ottl_tables() -> dict[str, Any]:
    """OTTL's functions, contexts, paths and enums as the v0.155.0 transform and filter processors see them."""
    version = "v0.155.0"
    ottl = module_dir(f"{CONTRIB_MODULE}/pkg/ottl", version)
    transform = module_dir(f"{CONTRIB_MODULE}/processor/transformprocessor", version)
    filt = module_dir(f"{CONTRIB_MODULE}/internal/filter", version)
    go = _GoFuncs(
        {
            "ottlfuncs": ottl / "ottlfuncs",
            "common": transform / "internal" / "common",
            "traces": transform / "internal" / "traces",
            "metrics": transform / "internal" / "metrics",
            "logs": transform / "internal" / "logs",
            "profiles": transform / "internal" / "profiles",
            "logparsingfuncs": transform / "internal" / "logparsingfuncs",
            "filterottl": filt / "filterottl",
        }
    )
    # Which functions map each processor hands to each context's parser (transform: internal/common
    # and internal/*/functions.go; filter: its factory's defaults, filterottl.Standard*Funcs).
    transform_maps = {
        "resource": ("common", "ResourceFunctions"),
        "scope": ("common", "ScopeFunctions"),
        "span": ("traces", "SpanFunctions"),
        "spanevent": ("traces", "SpanEventFunctions"),
        "metric": ("metrics", "MetricFunctions"),
        "datapoint": ("metrics", "DataPointFunctions"),
        "log": ("logs", "LogFunctions"),
        "profile": ("profiles", "ProfileFunctions"),
    }
    filter_maps = {
        ctx: ("filterottl", f"Standard{fn}Funcs")
        for ctx, fn in (
            ("resource", "Resource"),
            ("scope", "Scope"),
            ("span", "Span"),
            ("spanevent", "SpanEvent"),
            ("metric", "Metric"),
            ("datapoint", "DataPoint"),
            ("log", "Log"),
            ("profile", "Profile"),
        )
    }
    functions = {
        "transform": {ctx: sorted(go.names(*where)) for ctx, where in transform_maps.items()},
        "filter": {ctx: sorted(go.names(*where)) for ctx, where in filter_maps.items()},
    }
    # Each statements list's contexts: the parsers its ParserCollection registers.
    signal_files = {"trace": "traces", "metric": "metrics", "log": "logs", "profile": "profiles"}
    common_ctx = re.findall(r"ottl(\w+)\.ContextName", go.bodies["common"]["withCommonContextParsers"])
    statement_contexts = {}
    for signal, stem in signal_files.items():
        src = (transform / "internal" / "common" / f"{stem}.go").read_text()
        registered = re.findall(r"WithParserCollectionContext\(ottl(\w+)\.ContextName", src)
        statement_contexts[f"{signal}_statements"] = sorted(set(registered) | set(common_ctx))
    context_ids = re.findall(
        r'(\w+)\s+ContextID = "(\w+)"', (transform / "internal" / "common" / "config.go").read_text()
    )
    contexts: dict[str, Any] = {}
    internal = ottl / "contexts" / "internal"

    def ctx_const(pkg: str, const: str) -> str:
        src = "".join(p.read_text() for p in sorted((internal / pkg).glob("*.go")) if not p.name.endswith("_test.go"))
        m = re.search(rf'\b{const}\s*=\s*"([^"]+)"', src)
        if not m:
            raise SystemExit(f"gen_components: no {const} in {pkg}")
        return m.group(1)

    for folder in sorted((ottl / "contexts").glob("ottl*")):
        src = "".join(p.read_text() for p in sorted(folder.glob("*.go")) if not p.name.endswith("_test.go"))
        own = re.search(r"const ContextName = (ctx\w+)\.Name", src)
        if not own or "func pathExpressionParser" not in src:
            continue
        name = ctx_const(own.group(1), "Name")
        parsers_src = src[src.index("func pathExpressionParser") :]
        parsers_src = parsers_src[: parsers_src.index("\n}\n")]

        def segments(pkg: str) -> list[str]:
            files = sorted((internal / pkg).glob("*.go"))
            getter = "".join(p.read_text() for p in files if not p.name.endswith("_test.go"))
            return _ctx_segments(getter[getter.index("func PathGetSetter") :])

        parsers = {}
        for pkg, const, value in re.findall(r"(ctx\w+)\.(Name|LegacyName):\s+([\w.]+)", parsers_src):
            if value.endswith(".PathGetSetter"):
                parsers[ctx_const(pkg, const)] = segments(value.split(".")[0])
            else:
                # A context's own getter wrapping the shared one (spanevent adds event_index).
                local = src[src.index(f"func {value}(") :]
                local = local[: local.index("\n}\n")]
                extra = re.findall(r'path\.Name\(\) == "(\w+)"', local)
                inner = [s for p in re.findall(r"(ctx\w+)\.PathGetSetter", local) for s in segments(p)]
                parsers[ctx_const(pkg, const)] = sorted(set(extra) | set(inner))
        names_src = src[src.index("func EnablePathContextNames") :]
        names_src = names_src[: names_src.index("\n}\n")]
        path_names = [
            name if m.group(0) == "ContextName" else ctx_const(m.group(1), m.group(2))
            for m in re.finditer(r"(ctx\w+)\.(Name|LegacyName)|\bContextName\b", names_src)
        ]
        enums: list[str] = []
        table = re.search(r"(ctx\w+)\.SymbolTable\[", src)
        if table:
            sym = (internal / table.group(1) / "symbols.go").read_text()
            enums = sorted(re.findall(r'^\s*"(\w+)":\s+ottl\.Enum', sym, re.M))
        contexts[name] = {
            "doc": ctx_const(own.group(1), "DocRef"),
            "path_context_names": path_names,
            "paths": parsers,
            "enums": enums,
        }
    return {
        "generated_by": "scripts/gen_components.py",
        "module_version": version,
        "context_ids": sorted(v for _, v in context_ids),
        "statement_contexts": statement_contexts,
        "functions": functions,
        "arguments": dict(sorted(go.args.items())),
        "contexts": contexts,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reflected", type=Path, help="reuse otelcol.json and jaeger.json from this folder")
    parser.add_argument("--keep", type=Path, help="also save the raw reflection output here")
    parser.add_argument("--policies-only", action="store_true", help="only regenerate tail_sampling.json")
    parser.add_argument("--ottl-only", action="store_true", help="only regenerate ottl.json")
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "ottl.json").write_text(json.dumps(ottl_tables(), separators=(",", ":")) + "\n")
    if args.ottl_only:
        return 0
    (DATA / "tail_sampling.json").write_text(json.dumps(tail_sampling_policies(), indent=1) + "\n")
    if args.policies_only:
        return 0
    if args.reflected:
        otelcol = json.loads((args.reflected / "otelcol.json").read_text())
        jaeger = json.loads((args.reflected / "jaeger.json").read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="otdiag-gen-") as tmp:
            otelcol = reflect_otelcol(Path(tmp))
            jaeger = reflect_jaeger(Path(tmp))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "otelcol.json").write_text(json.dumps(otelcol))
        (args.keep / "jaeger.json").write_text(json.dumps(jaeger))
    DATA.mkdir(parents=True, exist_ok=True)
    for name, doc in build(otelcol, jaeger).items():
        (DATA / f"{name}.json").write_text(json.dumps(doc, separators=(",", ":"), sort_keys=False) + "\n")
        counts = {k: len(v) for k, v in doc["components"].items()}
        print(f"gen_components: {name}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
