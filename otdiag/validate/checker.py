"""The collector's own verdict, stage by stage, without stopping at the first failing stage.

Stages as `otelcol validate` runs them: resolve (${...}), unmarshal (IDs, types, keys, value
types), every component's Validate() plus the service's checks, then the pipeline graph
(signals, connectors, cycles); after them, what fails only when the collector starts.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otdiag import catalogue_config as kinds
from otdiag.catalogue import Kind
from otdiag.model import Finding, Location, Severity
from otdiag.validate import rules, schema, settings, suggest
from otdiag.validate.expand import Expansion, expand
from otdiag.validate.knowledge import SECTIONS, SIGNALS, Distribution, Knowledge, load
from otdiag.validate.model import Comp, Config, Pipeline, Ref
from otdiag.validate.yamlsrc import Node

_TYPE = re.compile(r"^[a-zA-Z][0-9a-zA-Z_]{0,62}$")
TOP_LEVEL = ("receivers", "processors", "exporters", "connectors", "extensions", "service")
_PIPELINE_KEYS = ("receivers", "processors", "exporters")
_SERVICE_KEYS = ("extensions", "pipelines", "telemetry")
_REMOVED = {
    ("exporter", "jaeger"): "the jaeger exporter was removed in v0.85.0: use otlp_grpc to Jaeger's 4317 "
    "(tls.insecure: true for plaintext) or otlp_http to 4318",
    (
        "exporter",
        "jaeger_thrift",
    ): "the jaeger_thrift exporter was removed in v0.85.0: use otlp_http to Jaeger's 4318",
    (
        "exporter",
        "jaegerthrifthttp",
    ): "the jaegerthrifthttp exporter was removed in v0.85.0: use otlp_http to Jaeger's 4318",
    (
        "extension",
        "memory_ballast",
    ): "the memory_ballast extension was removed in v0.109: set GOMEMLIMIT instead",
}


def _name_error(name: str) -> str | None:
    if len(name) > 1024:
        return f"name {name!r} is longer than 1024 characters ({len(name)} characters)"
    for ch in name:
        if unicodedata.category(ch)[0] in "ZCS":
            return f'invalid character(s) in name "{name}"'
    return None


def parse_id(raw: str) -> tuple[str, str, str | None]:
    """(type, name, error) as component.ID.UnmarshalText reads `raw`."""
    typ, sep, name = raw.partition("/")
    typ = typ.strip()
    if not typ:
        if sep:
            return "", "", f'in "{raw}" id: the part before / should not be empty'
        return "", "", "id must not be empty"
    if sep:
        name = name.strip()
        if not name:
            return typ, "", f'in "{raw}" id: the part after / should not be empty'
        err = _name_error(name)
        if err:
            return typ, name, f'in "{name}" id: {err}'
    if not _TYPE.match(typ):
        return typ, name, f'in "{raw}" id: invalid character(s) in type "{typ}"'
    return typ, name, None


MAX_PER_CODE = 200
"""Past this many findings of one code, the rest are counted, not listed (a 200,000-component file
would otherwise print 200,000 'unused component' warnings, and hold them all in memory)."""


@dataclass
class Checker:
    file: str
    root: Node
    know: Knowledge
    environ: Mapping[str, str]
    findings: list[Finding] = field(default_factory=list)
    release: tuple[int, int, int] | None = None
    """The collector release whose settings are checked (None: the release of the key trees)."""
    base_dir: Path | None = None
    """Where the collector will run (its relative TLS file paths start there); None: files not checked."""
    cfg: Config = field(init=False)
    expansion: Expansion = field(default_factory=Expansion)
    edges: dict[str, set[str]] = field(default_factory=dict)
    """Pipeline -> pipelines it feeds through connectors."""
    edge_conn: dict[tuple[str, str], str] = field(default_factory=dict)
    emitted: dict[Kind, int] = field(default_factory=dict)
    """Findings emitted per code; past MAX_PER_CODE they are only counted (see api.fold)."""
    at_create: dict[str, list[schema.Problem]] = field(default_factory=dict)
    """Per component ID: values only creating the component refuses (see create.py)."""
    _advised: set[tuple[object, ...]] = field(default_factory=set)
    """Where findings were emitted (code, file, line, …): one per cause per place."""

    def __post_init__(self) -> None:
        self.cfg = Config(self.root)

    # --- emitting --------------------------------------------------------------------------------------

    def loc(self, node: Node | None) -> Location | None:
        return Location(node.file or self.file, node.line, node.column) if node is not None else None

    def emit(
        self,
        kind: Kind,
        message: str,
        node: Node | None,
        *,
        hint: str | None = None,
        target: str | None = None,
        evidence: tuple[str, ...] = (),
        severity: Severity | None = None,
    ) -> None:
        loc = self.loc(node)
        if loc is not None:
            # One finding per cause per place: a warning or note once per line; an error once per
            # spot (a value the generated rules and a component's own rule both refuse).
            advice = (severity or kind.severity) is not Severity.ERROR
            place = (
                kind,
                loc.file,
                loc.line,
                None if advice else loc.column,
                target if kind is kinds.W_UNUSED else None,
            )
            if place in self._advised:
                return
            self._advised.add(place)
        n = self.emitted[kind] = self.emitted.get(kind, 0) + 1
        if n > MAX_PER_CODE:
            return  # counted, not built: a huge config would otherwise hold every one in memory
        if kind.code in kinds.START_TIME:
            evidence = ("found when the collector starts; `otelcol validate` lets it through", *evidence)
        self.findings.append(
            kind(message, hint=hint, target=target, location=loc, evidence=evidence, severity=severity)
        )

    # --- stages ----------------------------------------------------------------------------------------

    def run(self) -> Config:
        root = self.root
        if root.kind != "map":
            if root.is_null:
                self.emit(kinds.EMPTY, "empty configuration file", root)
                self.emit(kinds.NO_PIPELINES, "service::pipelines: service must have at least one pipeline", root)
            else:
                self.emit(
                    kinds.NOT_A_MAPPING,
                    f"retrieved value (type={'[]interface {}' if root.kind == 'seq' else 'string'}) "
                    "cannot be used as a Conf",
                    root,
                )
            return self.cfg
        self.resolve()
        self.unmarshal()
        self.validate_components()
        self.validate_service()
        self.build_graph()
        return self.cfg

    def resolve(self) -> None:
        out = expand(self.root, self.environ, Path.cwd())
        for p in out.problems:
            self.emit(p.kind, f"cannot resolve the configuration: {p.message}", p.node)
        self.expansion = out

    def unmarshal(self) -> None:
        root = self.root
        service = root.get("service")
        if service is not None and service.kind == "map":
            # A component section nested under service: (reported there) is checked as the top-level
            # section it was meant to be, so that its components are not also "not configured".
            for section in SECTIONS:
                if section != "extensions" and section in service.index and section not in root.index:
                    root.items.append(service.items[service.index[section]])
                    root.index[section] = len(root.items) - 1
        unknown = [k for k, _ in root.items if k.value not in TOP_LEVEL]
        if unknown:
            self.emit(
                kinds.UNKNOWN_SECTION,
                f"'' has invalid keys: {', '.join(str(k.value) for k in unknown)}",
                unknown[0],
                hint=_misplaced(unknown, "") or _stand_in(root, unknown, TOP_LEVEL),
            )
        for section, kind in SECTIONS.items():
            node = root.get(section)
            self.cfg.comps[kind] = {}
            if node is None or node.is_null:
                continue
            if node.kind != "map":
                self.emit(kinds.SECTION_NOT_MAP, f"'{section}' expected a map, got '{node.kind}'", node)
                continue
            self.unmarshal_section(kind, section, node)
        self.unmarshal_service()

    def unmarshal_section(self, kind: str, section: str, node: Node) -> None:
        trimmed: dict[str, Node] = {}
        for key, value in node.items:
            raw = str(key.text if key.kind == "scalar" else key.value)
            typ, name, err = parse_id(raw)
            if err:
                self.emit(kinds.INVALID_ID, f"'{section}' {err}", key)
                continue
            cid = f"{typ}/{name}" if name else typ
            if cid in trimmed:
                self.emit(kinds.DUPLICATE_ID, f"'{section}' duplicate name \"{cid}\"", key)
                continue
            trimmed[cid] = key
            info = self.know.lookup(kind, typ)
            comp = Comp(kind, cid, typ, key, value, info)
            if info is None:
                removed = _REMOVED.get((kind, typ))
                if kind == "exporter" and typ == "logging":
                    self.emit(
                        kinds.REMOVED_TYPE,
                        f"'{section}' the logging exporter has been deprecated, use the debug exporter instead",
                        key,
                        hint="Use the debug exporter (verbosity: basic|normal|detailed) instead of logging.",
                    )
                elif removed:
                    self.emit(kinds.REMOVED_TYPE, f"'{section}' {removed}", key, hint=removed.split(": ", 1)[1])
                else:
                    valid = " ".join(self.know.types(kind))
                    self.emit(
                        kinds.UNKNOWN_TYPE,
                        f'\'{section}\' unknown type: "{typ}" for id: "{cid}" (valid values: [{valid}])',
                        key,
                        hint=_type_hint(kind, typ, self.know),
                        target=cid,
                    )
            elif typ != info.type:
                self.emit(
                    kinds.W_DEPRECATED,
                    f'"{typ}" alias is deprecated; use "{info.type}" instead',
                    key,
                    hint=f"Rename {cid} to {info.type}{cid[len(typ) :]}.",
                    target=cid,
                )
            self.cfg.comps[kind][cid] = comp
            tree = self.tree(kind, info.type, info.config) if info is not None else None
            if tree is not None:
                for p in schema.check(value, tree, ""):
                    if p.stage == "create":
                        self.at_create.setdefault(cid, []).append(p)
                        continue
                    if p.stage == "decode":
                        message = f"'{section}' error reading configuration for \"{cid}\": {p.message}"
                    else:
                        message = f"{comp.label}: {p.message}"
                    self.emit(p.kind, message, p.node, target=cid, hint=p.hint)

    def tree(self, kind: str, typ: str, config: dict[str, Any] | None) -> dict[str, Any] | None:
        """A component's key tree as the release checked against has it."""
        return settings.for_release(f"{kind}/{typ}", config, self.release)

    def unmarshal_service(self) -> None:
        service = self.root.get("service")
        if service is None or service.is_null:
            return
        if service.kind != "map":
            self.emit(kinds.SECTION_NOT_MAP, f"'service' expected a map, got '{service.kind}'", service)
            return
        bad = [k for k, _ in service.items if k.value not in _SERVICE_KEYS]
        if bad:
            self.emit(
                kinds.UNKNOWN_SECTION,
                f"'service' has invalid keys: {', '.join(str(k.value) for k in bad)}",
                bad[0],
                hint=_misplaced(bad, "service") or _stand_in(service, bad, _SERVICE_KEYS),
            )
        ext = service.get("extensions")
        for ref in self._id_list(ext, "service.extensions"):
            self.cfg.extensions.append(ref)
        self.cfg.telemetry = service.get("telemetry")
        self._unmarshal_telemetry()
        pipelines = service.get("pipelines")
        if pipelines is None or pipelines.is_null:
            return
        if pipelines.kind != "map":
            self.emit(
                kinds.SECTION_NOT_MAP,
                f"'service.pipelines' expected a map, got '{pipelines.kind}'",
                pipelines,
            )
            return
        for key, value in pipelines.items:
            pipe = self._unmarshal_pipeline(key, value)
            if pipe is not None:
                self.cfg.pipelines[pipe.id] = pipe

    def _unmarshal_telemetry(self) -> None:
        if self.cfg.telemetry is None or self.know.telemetry is None:
            return
        # The telemetry sections' custom decoders (config migrations) are strict too.
        tree = settings.for_release("service/telemetry", self.know.telemetry, self.release)
        for p in schema.check(self.cfg.telemetry, tree, "telemetry", strict_custom=True):
            if p.stage == "warning":
                self.emit(p.kind, f"service::{p.message}", p.node, hint=p.hint)
                continue
            self.emit(
                kinds.TELEMETRY_INVALID if p.kind is kinds.INVALID_KEYS else p.kind,
                f"'service' {p.message}",
                p.node,
                hint=p.hint,
            )

    def _unmarshal_pipeline(self, key: Node, value: Node) -> Pipeline | None:
        """One entry of service.pipelines; None when its ID is refused."""
        raw = str(key.text if key.kind == "scalar" else key.value)
        sig, name, err = parse_id(raw)
        near = None
        if err is None and sig not in SIGNALS:
            err = f'in "{raw}" id: unknown pipeline signal: "{sig}"'
            near = suggest.nearest(sig, SIGNALS)
        if err:
            hint = f'Did you mean "{near}{raw[len(sig) :]}"? (signals: {", ".join(SIGNALS)})' if near else None
            self.emit(kinds.INVALID_PIPELINE_ID, f"'service.pipelines' {err}", key, hint=hint)
            if near is None or f"{near}{raw[len(sig) :]}" in self.cfg.pipelines:
                return None
            # Checked from here on as the pipeline it was meant to be: one error, not a cascade of
            # "unused component" warnings.
            sig, raw = near, f"{near}{raw[len(sig) :]}"
        pid = f"{sig}/{name}" if name else sig
        pipe = Pipeline(pid, sig, key, value)
        if value.kind == "map":
            bad = [k for k, _ in value.items if k.value not in _PIPELINE_KEYS]
            if bad:
                self.emit(
                    kinds.UNKNOWN_SECTION,
                    f"'service.pipelines::{pid}' has invalid keys: {', '.join(str(k.value) for k in bad)}",
                    bad[0],
                    hint=_misplaced(bad, "pipeline") or _stand_in(value, bad, _PIPELINE_KEYS),
                )
            pipe.receivers = self._id_list(value.get("receivers"), f"{pid}.receivers")
            pipe.processors = self._id_list(value.get("processors"), f"{pid}.processors")
            pipe.exporters = self._id_list(value.get("exporters"), f"{pid}.exporters")
        elif not value.is_null:
            self.emit(kinds.SECTION_NOT_MAP, f"'service.pipelines::{pid}' expected a map", value)
        return pipe

    def _id_list(self, node: Node | None, where: str) -> list[Ref]:
        if node is None or node.is_null:
            return []
        items: list[Node]
        if node.kind == "scalar":
            # Not split on commas (config-rules.md says it is; the v0.155 collector refuses it).
            self.emit(
                kinds.WRONG_TYPE,
                f"'{where}' source data must be an array or slice, got {_go_scalar(node.value)}",
                node,
            )
            return []
        if node.kind == "seq":
            items = node.children
        else:
            self.emit(kinds.WRONG_TYPE, f"'{where}' expected a list, got a map", node)
            return []
        refs = []
        for item in items:
            if item.kind != "scalar":
                self.emit(kinds.WRONG_TYPE, f"'{where}' expected a component ID, got a {item.kind}", item)
                continue
            raw = "" if item.value is None else str(item.value)
            typ, name, err = parse_id(raw)
            if err:
                self.emit(kinds.INVALID_ID, f"'{where}' {err}", item)
                continue
            refs.append(Ref(f"{typ}/{name}" if name else typ, item))
        return refs

    def validate_components(self) -> None:
        for comp in self.cfg.all():
            if comp.info is None:
                continue
            for kind, message, node in rules.validate(comp):
                hint = getattr(message, "hint", None)
                self.emit(kind, f"{comp.label}: {message}", node or comp.key, target=comp.id, hint=hint)
        rules_tel = rules.validate_telemetry(self.cfg.telemetry)
        for kind, message, node in rules_tel:
            loc = self.loc(node)
            # Decoding may have refused this value already: one mistake, one error (the service's own
            # wording, with its fix).
            self.findings = [
                f
                for f in self.findings
                if not (
                    loc is not None
                    and f.location == loc
                    and f.severity is Severity.ERROR
                    and f.code == kinds.WRONG_TYPE.code
                )
            ]
            self.emit(kind, f"service::telemetry: {message}", node, hint=getattr(message, "hint", None))

    def validate_service(self) -> None:
        self._validate_sections()
        self._validate_connector_ids()
        self._validate_extensions()
        cfg = self.cfg
        root = self.root
        service = root.get("service")
        if not cfg.pipelines:
            where = service.get("pipelines") if service is not None and service.kind == "map" else None
            self.emit(
                kinds.NO_PIPELINES,
                "service::pipelines: service must have at least one pipeline",
                where or service or root,
            )
        for pid, pipe in cfg.pipelines.items():
            self._validate_pipeline(pid, pipe)

    def _validate_sections(self) -> None:
        cfg = self.cfg
        root = self.root
        sections = [root.get(s) for s in SECTIONS]
        if all(s is None or s.is_null or (s.kind == "map" and not s.items) for s in sections):
            self.emit(kinds.EMPTY, "empty configuration file", root)
        if not cfg.comps.get("receiver"):
            self.emit(
                kinds.NO_RECEIVERS,
                "no receiver configuration specified in config",
                root.get("receivers") or root,
            )
        if not cfg.comps.get("exporter"):
            self.emit(
                kinds.NO_EXPORTERS,
                "no exporter configuration specified in config",
                root.get("exporters") or root,
            )

    def _validate_connector_ids(self) -> None:
        cfg = self.cfg
        for cid, conn in cfg.comps.get("connector", {}).items():
            for other in ("exporter", "receiver"):
                if cid in cfg.comps.get(other, {}):
                    self.emit(
                        kinds.CONNECTOR_AMBIGUOUS,
                        f'connectors::{cid}: ambiguous ID: Found both "{cid}" {other} and "{cid}" connector. '
                        "Change one of the components' IDs to eliminate ambiguity "
                        f'(e.g. rename "{cid}" connector to "{cid}/connector")',
                        conn.key,
                        target=cid,
                    )

    def _validate_extensions(self) -> None:
        cfg = self.cfg
        for ref in cfg.extensions:
            if ref.id not in cfg.comps.get("extension", {}):
                self.emit(
                    kinds.UNDEFINED_EXTENSION,
                    f'service::extensions: references extension "{ref.id}" which is not configured',
                    ref.node,
                    target=ref.id,
                    hint=self._ref_hint("extension", ref.id, cfg.comps.get("extension", {})),
                )

    def _validate_pipeline(self, pid: str, pipe: Pipeline) -> None:
        cfg = self.cfg
        conns = cfg.comps.get("connector", {})
        label = f"service::pipelines::{pid}"
        for ref in pipe.receivers:
            if ref.id not in cfg.comps.get("receiver", {}) and ref.id not in conns:
                self.emit(
                    kinds.UNDEFINED_COMPONENT,
                    f'{label}: references receiver "{ref.id}" which is not configured',
                    ref.node,
                    target=ref.id,
                    hint=self._ref_hint("receiver", ref.id, [*cfg.comps.get("receiver", {}), *conns]),
                )
        seen: set[str] = set()
        for ref in pipe.processors:
            if ref.id not in cfg.comps.get("processor", {}):
                self.emit(
                    kinds.UNDEFINED_COMPONENT,
                    f'{label}: references processor "{ref.id}" which is not configured',
                    ref.node,
                    target=ref.id,
                    hint=self._ref_hint("processor", ref.id, cfg.comps.get("processor", {})),
                )
            if ref.id in seen:
                self.emit(
                    kinds.DUPLICATE_PROCESSOR,
                    f'{label}: references processor "{ref.id}" multiple times',
                    ref.node,
                    target=ref.id,
                )
            seen.add(ref.id)
        for ref in pipe.exporters:
            if ref.id not in cfg.comps.get("exporter", {}) and ref.id not in conns:
                self.emit(
                    kinds.UNDEFINED_COMPONENT,
                    f'{label}: references exporter "{ref.id}" which is not configured',
                    ref.node,
                    target=ref.id,
                    hint=self._ref_hint("exporter", ref.id, [*cfg.comps.get("exporter", {}), *conns]),
                )
        if not pipe.receivers:
            self.emit(kinds.PIPELINE_NO_RECEIVERS, f"{label}: must have at least one receiver", pipe.key)
        if not pipe.exporters:
            self.emit(kinds.PIPELINE_NO_EXPORTERS, f"{label}: must have at least one exporter", pipe.key)

    def _ref_hint(self, kind: str, ref: str, defined: Iterable[str]) -> str:
        """The fix for a reference to an undefined component: the nearest defined ID of that kind."""
        ids = list(defined)
        near = suggest.nearest(ref, ids)
        if near:
            return f'Did you mean "{near}"? (defined: {", ".join(ids[:8])}{", …" if len(ids) > 8 else ""})'
        section = (
            "extensions" if kind == "extension" else f"{kind}s (or connectors)" if kind != "processor" else "processors"
        )
        return f"Define {ref} under {section}, or fix the name in the list."

    def build_graph(self) -> None:
        conns = self.cfg.comps.get("connector", {})
        as_exp: dict[str, list[Pipeline]] = {}
        """Connector ID -> the pipelines it exports from."""
        as_rec: dict[str, list[Pipeline]] = {}
        """Connector ID -> the pipelines it receives into."""
        for pipe in self.cfg.pipelines.values():
            self._check_signals(pipe, conns, as_exp, as_rec)
        edges: dict[str, set[str]] = {}
        for cid in sorted(set(as_exp) | set(as_rec)):
            self._connect(conns[cid], as_exp.get(cid, []), as_rec.get(cid, []), edges)
        self._check_cycle(edges, conns)
        self.edges = edges

    def _check_signals(
        self,
        pipe: Pipeline,
        conns: Mapping[str, Comp],
        as_exp: dict[str, list[Pipeline]],
        as_rec: dict[str, list[Pipeline]],
    ) -> None:
        """Each component of the pipeline supports its signal; connectors are noted for `_connect`."""
        cfg = self.cfg
        for ref in pipe.receivers:
            if ref.id in conns:
                as_rec.setdefault(ref.id, []).append(pipe)
            else:
                self._check_supports(cfg.comp("receiver", ref.id), pipe, ref)
        for ref in pipe.processors:
            self._check_supports(cfg.comp("processor", ref.id), pipe, ref)
        for ref in pipe.exporters:
            if ref.id in conns:
                as_exp.setdefault(ref.id, []).append(pipe)
            else:
                self._check_supports(cfg.comp("exporter", ref.id), pipe, ref)

    def _check_supports(self, comp: Comp | None, pipe: Pipeline, ref: Ref) -> None:
        if comp is not None and comp.info is not None and comp.info.supports(pipe.signal) is False:
            self._unsupported(comp, pipe, ref)

    def _connect(self, conn: Comp, exps: list[Pipeline], recs: list[Pipeline], edges: dict[str, set[str]]) -> None:
        """The edges a connector makes from the pipelines it exports from to those it receives into;
        a signal it takes in but never puts out (or the reverse) is an error."""
        cid = conn.id
        exp_sigs = {p.signal for p in exps}
        rec_sigs = {p.signal for p in recs}
        ok_exp = dict.fromkeys(exp_sigs, False)
        ok_rec = dict.fromkeys(rec_sigs, False)
        for e in exp_sigs:
            for r in rec_sigs:
                if conn.info is None or conn.info.connects(e, r) is not False:
                    ok_exp[e] = ok_rec[r] = True
        for sig in SIGNALS:
            if ok_exp.get(sig) is False:
                names = [p.id for p in exps if p.signal == sig]
                ref = next(r for p in exps if p.signal == sig for r in p.exporters if r.id == cid)
                self.emit(
                    kinds.CONNECTOR_ONE_WAY,
                    f'failed to build pipelines: connector "{cid}" used as exporter in [{" ".join(names)}] '
                    "pipeline but not used in any supported receiver pipeline",
                    ref.node,
                    target=cid,
                )
        for sig in SIGNALS:
            if ok_rec.get(sig) is False:
                names = [p.id for p in recs if p.signal == sig]
                ref = next(r for p in recs if p.signal == sig for r in p.receivers if r.id == cid)
                self.emit(
                    kinds.CONNECTOR_ONE_WAY,
                    f'failed to build pipelines: connector "{cid}" used as receiver in [{" ".join(names)}] '
                    "pipeline but not used in any supported exporter pipeline",
                    ref.node,
                    target=cid,
                )
        for ep in exps:
            for rp in recs:
                if conn.info is None or conn.info.connects(ep.signal, rp.signal) is not False:
                    edges.setdefault(ep.id, set()).add(rp.id)
                    self.edge_conn[(ep.id, rp.id)] = cid

    def _check_cycle(self, edges: dict[str, set[str]], conns: Mapping[str, Comp]) -> None:
        cfg = self.cfg
        cycle = _find_cycle(edges)
        if cycle:
            parts = []
            for a, b in itertools.pairwise(cycle):
                cid = self.edge_conn[(a, b)]
                parts.append(f'connector "{cid}" ({cfg.pipelines[a].signal} to {cfg.pipelines[b].signal})')
            parts.append(parts[0])
            first = cfg.pipelines[cycle[0]]
            cref = next((r for r in first.exporters if r.id in conns), None)
            self.emit(
                kinds.CONNECTOR_CYCLE,
                "failed to build pipelines: cycle detected: " + " -> ".join(parts),
                cref.node if cref else first.key,
            )

    def _unsupported(self, comp: Comp, pipe: Pipeline, ref: Ref) -> None:
        supported = ", ".join(s for s in SIGNALS if comp.info is not None and comp.info.supports(s)) or "none"
        self.emit(
            kinds.SIGNAL_UNSUPPORTED,
            f'failed to build pipelines: failed to create "{comp.id}" {comp.kind} for data type "{pipe.signal}": '
            "telemetry type is not supported",
            ref.node,
            hint=f"{comp.canonical} supports: {supported}. Move it to a pipeline of one of those signals.",
            target=comp.id,
        )


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in the pipeline graph (as a closed list of pipeline IDs), iteratively."""
    color: dict[str, int] = {}
    for start in sorted(edges):
        if color.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(edges.get(start, ())))]
        path = [start]
        color[start] = 1
        while stack:
            node, nexts = stack[-1]
            if not nexts:
                color[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = nexts.pop(0)
            state = color.get(nxt, 0)
            if state == 1:
                return [*path[path.index(nxt) :], nxt]
            if state == 0:
                color[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(edges.get(nxt, ()))))
    return None


def _go_scalar(value: object) -> str:
    return {bool: "bool", int: "int", float: "float64"}.get(type(value), "string")


def _type_hint(kind: str, typ: str, know: Knowledge) -> str:
    # Canonical types first: on a tie the current name wins over a deprecated alias.
    near = suggest.nearest(typ, [*sorted(know.components.get(kind, {})), *sorted(know.alias_of.get(kind, {}))])
    if near:
        return f'Did you mean "{near}"? ({kind} types of the {know.distribution.value} distribution)'
    other = [d for d in Distribution if d is not know.distribution and load(d).lookup(kind, typ) is not None]
    if other:
        return f"{typ} is a {kind} of the {other[0].value} distribution: pass --distribution {other[0].value}."
    return (
        f"No {kind} of type {typ} in the {know.distribution.value} distribution; "
        "check the spelling or pick another --distribution."
    )


def _stand_in(parent: Node, unknown: list[Node], valid: tuple[str, ...]) -> str | None:
    """The fix for misspelt section keys (`recievers:`): the nearest valid key of that level.

    A misspelt key whose nearest valid key is not written stands in for it from here on, so that
    the rest of the file is checked as meant: one error, not a cascade of "no receivers" and
    "references receiver which is not configured".
    """
    pairs = []
    for key in unknown:
        near = suggest.nearest(str(key.value), valid)
        if near is None:
            continue
        pairs.append((str(key.value), near))
        if near not in parent.index:
            parent.index[near] = parent.index[key.value]
    if not pairs:
        return None
    if len(pairs) == 1:
        return f'Did you mean "{pairs[0][1]}"? (valid keys: {", ".join(valid)})'
    return "Did you mean " + ", ".join(f'"{near}" for "{name}"' for name, near in pairs) + "?"


_ELSEWHERE: dict[str, dict[str, str]] = {
    "": {
        "pipelines": "service::pipelines",
        "telemetry": "service::telemetry",
        **{sig: f"service::pipelines::{sig}" for sig in SIGNALS},
    },
    "service": {
        **{s: f"the top-level `{s}:` section" for s in ("receivers", "processors", "exporters", "connectors")},
        **{sig: f"service::pipelines::{sig}" for sig in SIGNALS},
    },
    "pipeline": {
        **{sig: f"service::pipelines::{sig} (a pipeline of its own, not inside another)" for sig in SIGNALS},
        "extensions": "service::extensions",
    },
}


def _misplaced(keys: list[Node], level: str) -> str | None:
    """The fix for a right key at the wrong level: `processors:` nested under `service:` is the
    top-level section; `pipelines:` at the top is service::pipelines."""
    where = _ELSEWHERE[level]
    found = [(str(k.value), where[str(k.value)]) for k in keys if str(k.value) in where]
    if not found:
        return None
    if len(found) == 1:
        key, there = found[0]
        return f"Did you mean {there}? `{key}:` is valid there, not at this level: move it (unindent it)."
    return "Did you mean " + ", ".join(f"{there} for `{key}:`" for key, there in found) + "? Move them."
