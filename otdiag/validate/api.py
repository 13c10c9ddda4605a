"""Validate one config source: bytes in, a Result (findings, parsed config, pipeline graph) out."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from otdiag import catalogue_config as kinds
from otdiag.catalogue import Kind
from otdiag.model import Finding, Location, Severity
from otdiag.validate import create, sdkconfig, settings, startup, versions, warn
from otdiag.validate.checker import MAX_PER_CODE, Checker
from otdiag.validate.knowledge import Distribution, load
from otdiag.validate.model import Config
from otdiag.validate.versions import Version
from otdiag.validate.yamlsrc import LoadError, Node, merge, tag_file
from otdiag.validate.yamlsrc import load as load_yaml

# Component types only Jaeger v2 has: a config using one is a Jaeger config.
_JAEGER_MARKERS = {
    "jaeger_storage",
    "jaeger_query",
    "jaeger_storage_exporter",
    "remote_storage",
    "storage_cleaner",
}


@dataclass
class Result:
    path: str
    distribution: Distribution
    findings: list[Finding] = field(default_factory=list)
    config: Config | None = None
    edges: dict[str, set[str]] = field(default_factory=dict)
    source: str = ""
    """The text validated (for code frames); empty when it could not be read."""
    merged_sources: dict[str, str] = field(default_factory=dict)
    """--merge: each file's text, by its label."""
    release: Version | None = None
    """The collector release checked against (None: a Jaeger v2 config, judged by its own release)."""
    sdk: bool = False
    """The file is an SDK's declarative configuration (OTEL_CONFIG_FILE), not a collector config."""
    start_codes: frozenset[str] = kinds.START_TIME
    """The codes of errors met only at start-up, for the release checked against."""

    @property
    def validate_errors(self) -> list[Finding]:
        """The errors the collector's `validate` command itself reports."""
        return [
            f
            for f in self.findings
            if f.severity is Severity.ERROR and f.code not in self.start_codes and f.code != kinds.W_BINARY.code
        ]

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


def detect_distribution(root: Node) -> Distribution:
    if root.kind == "map":
        for section in ("extensions", "exporters"):
            node = root.get(section)
            if node is not None and node.kind == "map":
                for k, _ in node.items:
                    if str(k.value).split("/", 1)[0].strip() in _JAEGER_MARKERS:
                        return Distribution.JAEGER
    return Distribution.CONTRIB


def validate_tree(
    root: Node,
    path: str,
    distribution: Distribution | None = None,
    environ: Mapping[str, str] | None = None,
    source: str = "",
    release: Version | None = None,
    base_dir: Path | None = None,
) -> Result:
    """Validate an already loaded (for instance merged) tree, for collector `release` (None: the newest)."""
    env = os.environ if environ is None else environ
    dist = distribution or detect_distribution(root)
    if release is None:
        release = versions.resolve(None)
    ck = Checker(
        path, root, load(dist), env, release=None if dist is Distribution.JAEGER else release, base_dir=base_dir
    )
    try:
        ck.run()
        if root.kind == "map":
            create.check(ck)
            startup.check(ck)
            warn.check(ck)
    except LoadError as exc:  # an alias bomb met while walking
        ck.findings.append(exc.kind(exc.message))
    if ck.release is not None and root.kind == "map":
        # What the release has and lacks of the component types (settings were judged by it already).
        comps = [(c.kind, c.type, c.id, Location(c.key.file or path, c.key.line, c.key.column)) for c in ck.cfg.all()]
        ck.findings = versions.apply(ck.findings, comps, ck.release, dist.value)
    start_codes = kinds.START_TIME
    if ck.release is not None and not settings.validate_builds(ck.release):
        # This release's `validate` does not build the pipelines: what building them finds, it meets at start.
        start_codes = kinds.START_TIME | kinds.GRAPH_BUILD
        said = f"found when the collector starts; `otelcol validate` of {versions.name(ck.release)} lets it through"
        ck.findings = [
            replace(f, evidence=(said, *f.evidence)) if f.code in kinds.GRAPH_BUILD else f for f in ck.findings
        ]
    result = Result(path, dist, fold(ck.findings, ck.emitted), ck.cfg, ck.edges, source, release=ck.release)
    result.start_codes = start_codes
    return result


def fold(findings: list[Finding], emitted: Mapping[Kind, int]) -> list[Finding]:
    """At most MAX_PER_CODE findings of a code, then one line counting the rest (also those never built).

    `emitted` counts every finding of a kind the Checker emitted, built or not: only those pass the limit.
    """
    seen: dict[str, int] = {}
    out: list[Finding] = []
    for f in findings:
        n = seen.get(f.code, 0) + 1
        seen[f.code] = n
        if n <= MAX_PER_CODE:
            out.append(f)
    for kind, n in emitted.items():
        if n > MAX_PER_CODE:
            out.append(kind(
                f"… and {n - MAX_PER_CODE:,} more {kind.code} findings like the {MAX_PER_CODE} above (not listed).",
                severity=Severity.INFO if kind.severity is not Severity.ERROR else Severity.ERROR,
            ))  # fmt: skip
    return out


def validate_source(
    data: bytes | str,
    path: str,
    distribution: Distribution | None = None,
    environ: Mapping[str, str] | None = None,
    release: Version | None = None,
    base_dir: Path | None = None,
) -> Result:
    """Every problem in one config file, located; never raises for bad content."""
    env = os.environ if environ is None else environ
    root, problems = read_tree(data, path)
    if root is None:
        # A syntax error's code frame needs the text; a binary, huge or non-UTF-8 file shows none.
        framed = any(f.code in _FRAMED for f in problems)
        return Result(path, distribution or Distribution.CONTRIB, problems, source=_text(data) if framed else "")
    text = _text(data)
    if distribution is None and sdkconfig.is_sdk_config(root):
        # The SDK's declarative configuration (OTEL_CONFIG_FILE), not a collector's.
        return Result(path, Distribution.CONTRIB, [*problems, *sdkconfig.check(root, path)], source=text, sdk=True)
    result = validate_tree(root, path, distribution, env, text, release, base_dir)
    result.findings[:0] = problems
    return result


def validate_merged(
    files: Sequence[tuple[str, bytes]],
    distribution: Distribution | None = None,
    environ: Mapping[str, str] | None = None,
    release: Version | None = None,
    base_dir: Path | None = None,
) -> Result:
    """Several files validated as one config, merged as the collector merges repeated --config.

    `files` are (label, bytes); each finding keeps the file it is in. The result's path joins the labels.
    """
    root: Node | None = None
    problems: list[Finding] = []
    for path, data in files:
        tree, found = read_tree(data, path)
        problems += found
        if tree is None:
            continue
        tag_file(tree, path)
        if not tree.is_null:
            root = tree if root is None else merge(root, tree)
    label = " + ".join(path for path, _ in files)
    if root is None:
        framed = {f.location.file for f in problems if f.code in _FRAMED and f.location}
        result = Result(label, distribution or Distribution.CONTRIB, problems)
        result.merged_sources = {path: _text(data) for path, data in files if path in framed}
        return result
    result = validate_tree(root, label, distribution, environ, source="", release=release, base_dir=base_dir)
    result.findings[:0] = problems
    result.merged_sources = {path: data.decode("utf-8", "replace") for path, data in files}
    return result


_FRAMED = frozenset((kinds.YAML_SYNTAX.code, kinds.TOO_DEEP.code))
"""Codes of an unreadable file that still get a code frame (the file is text of a readable size)."""


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def read_tree(data: bytes | str, path: str) -> tuple[Node | None, list[Finding]]:
    """The file's YAML tree (None when it cannot be read) and the findings reading it made."""
    try:
        root, dups = load_yaml(data)
    except LoadError as exc:
        loc = Location(path, exc.line, exc.column) if exc.line else None
        return None, [exc.kind(exc.message, location=loc, hint=exc.hint)]
    return root, duplicate_findings(dups, path)


def duplicate_findings(dups: list[LoadError], path: str) -> list[Finding]:
    return [
        d.kind(
            f"cannot resolve the configuration: yaml: unmarshal errors: line {d.line}: {d.message}",
            location=Location(path, d.line, d.column),
        )
        for d in dups
    ]
