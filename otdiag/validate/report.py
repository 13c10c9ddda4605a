"""validate-config over its files: the request, the core that answers it, and its typed result.

The core validates each file (or the files merged), applies --collector-version and the real
binary's verdict, and keeps every secret of the configs out of what it returns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from otdiag import redact
from otdiag.model import Finding, Result, Severity
from otdiag.validate import api
from otdiag.validate.drawing import GraphFormat
from otdiag.validate.knowledge import Distribution
from otdiag.validate.model import Config
from otdiag.validate.versions import Version, name

STDIN = "-"


@dataclass(frozen=True, slots=True)
class ValidateRequest:
    """What validate-config was asked: the files' bytes, read by the CLI, and its options."""

    files: tuple[tuple[str, bytes], ...]
    """(name as given, bytes); '-' is stdin."""
    strict: bool = False
    merge: bool = False
    distribution: Distribution | None = None
    collector_version: str | None = None
    """A release, a metrics URL or a collector binary; None: the newest release otdiag knows."""
    binary: str | None = None
    """A collector binary whose own `validate` is run too."""
    graph: GraphFormat | None = None
    graph_only: bool = False
    """Draw the first config's pipelines (as `graph`, mermaid by default) beside the report."""
    base_dir: Path | None = None
    """Where the collector will run: relative TLS files are looked up there (None: not checked)."""


@dataclass(frozen=True, slots=True)
class FileReport:
    """One file (or the merged files) as validated, secrets scrubbed."""

    path: str
    distribution: Distribution
    ok: bool
    findings: tuple[Finding, ...]
    source: str = field(repr=False)
    """The text validated, for code frames (secrets still in it: shown only through redact.config_lines)."""
    merged_sources: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """--merge: (label, text) of each file."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Literal secret values of the config, never to be shown."""
    collector_version: str | None = None
    """The collector release the file was checked against (v0.155.0); None for a Jaeger v2 config."""
    kind: str = "collector"
    """What the file is: "collector", "jaeger" (a Jaeger v2 config) or "sdk" (OTEL_CONFIG_FILE)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "distribution": self.distribution.value,
            "collector_version": self.collector_version,
            "kind": self.kind,
            "ok": self.ok,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class PipelineGraph:
    """--graph: one config's pipelines as data, and drawn."""

    path: str
    graph: dict[str, Any]
    rendered: str

    def to_json(self) -> dict[str, Any]:
        return {**self.graph, "rendered": self.rendered}


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateResult(Result):
    """validate-config's report: every file's findings; `ok` fails on warnings too under --strict."""

    COMMAND: ClassVar[str] = "validate-config"
    strict: bool = False
    files: tuple[FileReport, ...] = ()
    graphs: tuple[PipelineGraph, ...] | None = None
    """--graph: each config's pipelines (None without --graph)."""
    drawing: str | None = None
    """--graph-only: the first config's pipelines, drawn."""
    collector_version: str = ""
    """The collector release every collector config was checked against (v0.155.0)."""
    collector_version_from: str = "default"
    """Where that release came from: "default" (the newest otdiag knows), "--collector-version" or "binary"."""
    collector_binary: str | None = None
    """--otelcol / --with-binary: the binary's file name."""
    collector_binary_version: str | None = None
    """What the binary's --version said (None: it named no release, or it is Jaeger's)."""

    @property
    def ok(self) -> bool:
        return not fails(self.findings, self.strict)

    def fields_json(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "strict": self.strict,
            "collector_version": self.collector_version,
            "collector_version_from": self.collector_version_from,
            "collector_binary": self.collector_binary,
            "collector_binary_version": self.collector_binary_version,
            "files": [f.to_json() for f in self.files],
        }
        if self.graphs is not None:
            fields["graph"] = {g.path: g.to_json() for g in self.graphs}
        return fields


def fails(findings: Sequence[Finding], strict: bool) -> bool:
    return any(f.severity is Severity.ERROR or (strict and f.severity is Severity.WARNING) for f in findings)


def label(name: str) -> str:
    """How a file is named in findings: its path, or <stdin>."""
    return "<stdin>" if name == STDIN else name


def validate(request: ValidateRequest) -> ValidateResult:
    """Every file's findings, secrets scrubbed; never raises for bad content."""
    from otdiag.validate import binary, versions

    picked = _release(request)
    release, have = picked.version, picked.have
    results = _validate_files(request, release)
    if have is not None:
        for r in results:
            if r.config is not None and r.release is not None:
                comps = [(c.kind, c.type, c.id, None) for c in r.config.all()]
                r.findings = versions.fit_to_binary(r.findings, comps, have, r.release)
    if request.binary:
        binary.add_verdicts(request.binary, results, request.files, request.merge, protect)
    files = tuple(_file_report(r, request.strict) for r in results)
    return ValidateResult(
        findings=tuple(f for file in files for f in file.findings),
        strict=request.strict,
        collector_version=name(release),
        collector_version_from=picked.origin,
        collector_binary=picked.binary,
        collector_binary_version=name(picked.binary_says) if picked.binary_says else None,
        files=files,
        graphs=_graphs(results, request.graph) if request.graph and not request.graph_only else None,
        drawing=_drawing(results[0].config, request.graph) if request.graph_only else None,
    )


@dataclass(frozen=True, slots=True)
class _Release:
    version: Version
    origin: str
    binary: str | None = None
    binary_says: Version | None = None
    have: dict[str, frozenset[str]] | None = None


def _release(request: ValidateRequest) -> _Release:
    """The release to check against, where it came from, and (a collector binary) the types it was built with.

    With --otelcol (or --with-binary) the binary's own `--version` decides, and its `components` which
    advice it can follow; --collector-version may only agree with it. Jaeger's binary has its own releases.
    """
    from otdiag.errors import UsageError
    from otdiag.validate import binary, versions

    given = versions.from_user(request.collector_version) if request.collector_version else None
    if request.binary:
        shown = redact.printable(Path(request.binary).name[:80])
        says: Version | None = None
        if not binary.is_jaeger(request.binary):
            with contextlib.suppress(UsageError):  # it names no release: its own validate still runs
                says = versions.from_binary(request.binary, timeout=min(20.0, binary.TIMEOUT_S), flag="--otelcol")
        if says is not None and says[0] == 0:  # a collector release (Jaeger v2 says v2.x)
            if given is not None and given[:2] != says[:2]:
                raise UsageError(
                    f"--collector-version {name(given)} is not the release of {shown}, which says {name(says)}: "
                    "drop --collector-version (the binary's own release is used)"
                )
            have = binary.components(request.binary, timeout=min(20.0, binary.TIMEOUT_S))
            return _Release(versions.nearest(says), "binary", shown, says, have)
        if given is None:
            return _Release(versions.resolve(None), "default", shown)
        return _Release(given, "--collector-version", shown)
    if given is not None:
        return _Release(given, "--collector-version")
    return _Release(versions.resolve(None), "default")


def _validate_files(request: ValidateRequest, release: Version) -> list[api.Result]:
    if request.merge and len(request.files) > 1:
        files = [(label(n), d) for n, d in request.files]
        return [api.validate_merged(files, request.distribution, release=release, base_dir=request.base_dir)]
    return [
        api.validate_source(data, label(name), request.distribution, release=release, base_dir=request.base_dir)
        for name, data in request.files
    ]


def protect(result: api.Result) -> list[str]:
    """The config's secrets, kept out of every output from now on; returns its literal secret values."""
    if result.config is None:
        return []
    with contextlib.suppress(RecursionError, ValueError, TypeError):
        # Every secret-looking value, whatever its YAML type.
        redact.remember_config(result.config.root.to_python())
    return secret_values(result.config)


def secret_values(cfg: Config) -> list[str]:
    """Literal secret values in the config, to keep out of every output."""
    from otdiag.validate import warn

    values = [str(n.value) for _, _, n in warn.secret_nodes(cfg)]
    # "Bearer abc…" leaks "abc…" when shown alone.
    return values + [part for v in values for part in v.split() if len(part) >= 6]


def _file_report(result: api.Result, strict: bool) -> FileReport:
    secrets = protect(result)
    scrub = redact.Scrubber(secrets)
    findings = tuple(_scrub_finding(f, scrub) for f in result.findings)
    return FileReport(
        path=result.path,
        distribution=result.distribution,
        ok=not fails(findings, strict),
        findings=findings,
        source=result.source,
        merged_sources=tuple(result.merged_sources.items()),
        secrets=tuple(secrets),
        collector_version=name(result.release) if result.release and not result.sdk else None,
        kind="sdk" if result.sdk else "jaeger" if result.distribution is Distribution.JAEGER else "collector",
    )


def _scrub_finding(f: Finding, scrub: redact.Scrubber) -> Finding:
    return replace(
        f,
        message=scrub(f.message),
        hint=scrub(f.hint),
        target=scrub(f.target) if f.target else None,
        evidence=tuple(scrub(e) for e in f.evidence),
    )


def _graphs(results: list[api.Result], fmt: GraphFormat) -> tuple[PipelineGraph, ...]:
    from otdiag.validate import drawing
    from otdiag.validate.graph import pipeline_graph as build_graph

    # One per path, as the JSON report keys them (the same file given twice is drawn once).
    graphs = {r.path: build_graph(r.config) for r in results}
    return tuple(PipelineGraph(path, g, drawing.render(g, fmt)) for path, g in graphs.items())


def _drawing(cfg: Config | None, fmt: GraphFormat | None) -> str:
    from otdiag.validate import drawing
    from otdiag.validate.graph import pipeline_graph as build_graph

    return drawing.render(build_graph(cfg), fmt or GraphFormat.MERMAID)
