"""`otdiag validate-config`: the collector's verdict on a config, all errors at once, plus warnings."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, assert_never

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Finding, Report, Severity
from otdiag.render import human
from otdiag.render import json as json_view
from otdiag.render.pipeline_graph import GraphFormat
from otdiag.validate.knowledge import Distribution


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


def read_input(name: str, max_bytes: int) -> bytes:
    """The bytes of FILE (or stdin for -), bounded in size and time; exit 2 for what is not a readable file."""
    from otdiag import bounded

    return bounded.read(name, what="validate-config", max_bytes=max_bytes)


def validate_config(
    files: Annotated[list[str], typer.Argument(help="Config files to check ('-' reads stdin).", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout (= --format json).")] = False,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", help="text, json, sarif (code scanning) or github (annotations)."),
    ] = OutputFormat.TEXT,
    strict: Annotated[bool, typer.Option(help="Fail (exit 1) on warnings too.")] = False,
    graph: Annotated[
        GraphFormat | None, typer.Option(help="Also show the pipelines as a graph: text or mermaid.")
    ] = None,
    graph_only: Annotated[
        bool,
        typer.Option(
            help="Print only the graph on stdout (> pipelines.mmd); the report goes to stderr and sets the exit code."
        ),
    ] = False,
    otelcol: Annotated[
        str | None, typer.Option(help="Also run this collector binary's own validate and merge its verdict.")
    ] = None,
    with_binary: Annotated[
        bool, typer.Option(help="Also run the collector found on PATH (otelcol-contrib, otelcol) or jaeger.")
    ] = False,
    merge: Annotated[
        bool, typer.Option(help="Validate the files as one config, merged as repeated --config are merged.")
    ] = False,
    distribution: Annotated[
        Distribution | None,
        typer.Option(
            help="Component set: contrib, core or jaeger (default: jaeger for Jaeger v2 configs, else contrib)."
        ),
    ] = None,
    collector_version: Annotated[
        str | None,
        typer.Option(
            help="The collector release to check against: 0.124.0, a running collector's metrics URL "
            "(http://host:8888/metrics) or a collector binary (default: the newest release otdiag knows)."
        ),
    ] = None,
) -> None:
    """Check collector (or Jaeger v2) configs as `otelcol validate` would, all errors at once, located.

    Each error carries file, line and column, a stable code, the collector's own wording and a fix;
    errors the collector only meets at start-up are marked so; warnings flag configs that
    validate but lose, leak or mis-send traces. Exit 0: no errors; 1: errors (or warnings with
    --strict); 2: a file cannot be read.

    Examples:

    \b
      otdiag validate-config collector.yaml
      otdiag validate-config --strict --format github collector.yaml
      otdiag validate-config --graph mermaid jaeger.yaml
      otdiag validate-config --graph-only collector.yaml > pipelines.mmd
      cat collector.yaml | otdiag validate-config - --json
    """

    def body() -> ExitCode:
        from otdiag import catalogue
        from otdiag.validate import api, yamlsrc

        catalogue.load_all()
        out_fmt = OutputFormat.JSON if as_json else fmt
        if files.count("-") > 1:
            raise UsageError("'-' (stdin) can be given once")
        if graph_only and (len(files) > 1 and not merge):
            raise UsageError("--graph-only draws one config: give one file, or several with --merge")
        if graph_only and out_fmt is not OutputFormat.TEXT:
            raise UsageError("--graph-only prints the graph alone: it cannot be combined with --json or --format")
        binary = _find_binary(otelcol, with_binary)
        datas = [(name, read_input(name, yamlsrc.MAX_BYTES)) for name in files]
        results: list[api.Result] = []
        if merge and len(datas) > 1:
            results.append(_merged(datas, distribution))
        else:
            results = [api.validate_source(data, _label(name), distribution) for name, data in datas]
        _for_release(results, collector_version)
        if binary:
            _with_binary(binary, results, datas, merge)
        if graph_only:
            return _emit_graph_only(results, strict, graph or GraphFormat.MERMAID)
        return _emit(results, out_fmt, strict, graph)

    common.run(body)


def _emit_graph_only(results: list[Any], strict: bool, graph: GraphFormat) -> ExitCode:
    """The diagram alone on stdout, byte for byte, so it can be redirected to a file; the report on stderr."""
    from otdiag.render import pipeline_graph
    from otdiag.validate.graph import pipeline_graph as build_graph

    saved = sys.stdout
    sys.stdout = sys.stderr
    try:
        code = _emit(results, OutputFormat.TEXT, strict, None)
    finally:
        sys.stdout = saved
    sys.stdout.write(pipeline_graph.render(build_graph(results[0].config), graph).rstrip("\n") + "\n")
    sys.stdout.flush()
    return code


def _for_release(results: list[Any], collector_version: str | None) -> None:
    """--collector-version: what that release has and lacks (collector configs, not Jaeger's)."""
    from otdiag.model import Location
    from otdiag.validate import versions

    release = versions.from_user(collector_version) if collector_version else versions.resolve(None)
    for result in results:
        if result.distribution is Distribution.JAEGER or result.config is None:
            continue
        comps = [
            (c.kind, c.type, c.id, Location(c.key.file or result.path, c.key.line, c.key.column))
            for c in result.config.all()
        ]
        result.findings = versions.apply(result.findings, comps, release)


def _label(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _find_binary(otelcol: str | None, with_binary: bool) -> str | None:
    if otelcol:
        p = Path(otelcol)
        try:
            runnable = p.is_file() and os.access(p, os.X_OK)
        except (OSError, ValueError):
            raise UsageError(f"--otelcol: {otelcol[:200]} is not an executable file") from None
        if not runnable:
            found = shutil.which(otelcol)
            if not found:
                raise UsageError(f"--otelcol: {otelcol} is not an executable file")
            return found
        return str(p)
    if with_binary:
        for name in ("otelcol-contrib", "otelcol", "otelcol-k8s", "jaeger"):
            found = shutil.which(name)
            if found:
                return found
        raise UsageError("--with-binary: no otelcol-contrib, otelcol or jaeger on PATH (or pass --otelcol PATH)")
    return None


def _merged(datas: list[tuple[str, bytes]], distribution: Distribution | None) -> Any:
    from otdiag.model import Location
    from otdiag.validate import api, yamlsrc

    root: yamlsrc.Node | None = None
    problems: list[Finding] = []
    label = " + ".join(_label(n) for n, _ in datas)
    sources = []
    for name, data in datas:
        try:
            tree, dups = yamlsrc.load(data)
        except yamlsrc.LoadError as exc:
            loc = Location(_label(name), exc.line, exc.column) if exc.line else None
            problems.append(exc.kind(exc.message, location=loc))
            continue
        problems += api.duplicate_findings(dups, _label(name))
        yamlsrc.tag_file(tree, _label(name))
        sources.append(data.decode("utf-8", "replace"))
        if tree.is_null:
            continue
        root = tree if root is None else yamlsrc.merge(root, tree)
    if root is None:
        return api.Result(label, distribution or Distribution.CONTRIB, problems)
    result = api.validate_tree(root, label, distribution, source="")
    result.findings[:0] = problems
    result.merged_sources = {_label(n): d.decode("utf-8", "replace") for n, d in datas}
    return result


def _with_binary(binary: str, results: list[Any], datas: list[tuple[str, bytes]], merge: bool) -> None:
    from otdiag.redact import Scrubber
    from otdiag.validate import binary as real
    from otdiag.validate import kinds

    with tempfile.TemporaryDirectory(prefix="otdiag-validate-") as tmp:
        paths = []
        for i, (name, data) in enumerate(datas):
            if name == "-":
                p = Path(tmp) / f"stdin-{i}.yaml"
                p.write_bytes(data)
                paths.append(str(p))
            else:
                paths.append(name)
        # --merge: one result for all files, and the binary merges them itself (repeated --config).
        targets: list[str | list[str]] = [paths] if merge and len(paths) > 1 else list(paths)
        for result, path in zip(results, targets, strict=False):
            try:
                verdict = real.run_validate(binary, path)
            except real.BinaryError as exc:
                result.findings.append(kinds.W_BINARY_FAILED(str(exc)))
                continue
            _remember_secrets(result)
            scrub = Scrubber(_secrets(result))
            result.findings += real.findings(verdict, result.config, result.path, binary, scrub)


def _secrets(result: Any) -> list[str]:
    """Literal secret values in the config, to keep out of every output."""
    from otdiag.validate import warn
    from otdiag.validate.checker import Checker

    if result.config is None:
        return []
    ck = Checker.__new__(Checker)
    ck.cfg = result.config
    values = [str(n.value) for _, _, n in warn.secret_nodes(ck)]
    # "Bearer abc…" leaks "abc…" when shown alone.
    return values + [part for v in values for part in v.split() if len(part) >= 6]


def _remember_secrets(result: Any) -> None:
    """Every secret-looking value of the config, whatever its YAML type, is kept out of every output."""
    from otdiag import redact

    if result.config is None:
        return
    with contextlib.suppress(RecursionError, ValueError, TypeError):
        redact.remember_config(result.config.root.to_python())


def _fails(findings: list[Finding], strict: bool) -> bool:
    return any(f.severity is Severity.ERROR or (strict and f.severity is Severity.WARNING) for f in findings)


def _emit(results: list[Any], fmt: OutputFormat, strict: bool, graph: GraphFormat | None) -> ExitCode:
    from otdiag import redact
    from otdiag.redact import Scrubber
    from otdiag.render import annotations, pipeline_graph
    from otdiag.validate.graph import pipeline_graph as build_graph

    all_findings: list[Finding] = []
    scrubbed: list[tuple[Any, list[Finding], Scrubber]] = []
    for r in results:
        _remember_secrets(r)
        scrub = Scrubber(_secrets(r))
        fs = [_scrub_finding(f, scrub) for f in r.findings]
        scrubbed.append((r, fs, scrub))
        all_findings += fs
    failed = _fails(all_findings, strict)
    code = ExitCode.PROBLEM if failed else ExitCode.OK
    graphs = {r.path: build_graph(r.config) for r in results} if graph else {}
    if fmt is OutputFormat.JSON:
        files = [
            {
                "path": r.path,
                "distribution": r.distribution.value,
                "ok": not _fails(fs, strict),
                "findings": [f.to_json() for f in fs],
            }
            for r, fs, _ in scrubbed
        ]
        fields: dict[str, Any] = {"ok": not failed, "strict": strict, "files": files}
        if graph:
            fields["graph"] = {path: {**g, "rendered": pipeline_graph.render(g, graph)} for path, g in graphs.items()}
        sys.stdout.write(json_view.dumps(Report("validate-config", all_findings, fields)) + "\n")
    elif fmt is OutputFormat.SARIF:
        sys.stdout.write(annotations.sarif(all_findings) + "\n")
    elif fmt is OutputFormat.GITHUB:
        text = annotations.github(all_findings)
        sys.stdout.write(text + ("\n" if text else ""))
    elif fmt is OutputFormat.TEXT:
        console = human.make_console()
        views = []
        for r, fs, scrub in scrubbed:
            sources = r.merged_sources
            if sources:
                for path, src in sources.items():
                    mine = [f for f in fs if f.location and f.location.file == path]
                    views.append((path, mine, [scrub(ln) for ln in redact.config_lines(src.splitlines())]))
                rest = [f for f in fs if not (f.location and f.location.file in sources)]
                if rest:
                    views.append((r.path, rest, []))
            else:
                views.append((r.path, fs, [scrub(ln) for ln in redact.config_lines(r.source.splitlines())]))
        human.print_config_files(console, views, strict=strict)
        for path, g in graphs.items():
            console.print()
            console.print(f"[bold]pipelines of {human.escape(path)}[/]")
            for line in (pipeline_graph.render(g, graph) if graph else "").splitlines():
                console.print(human.escape(line))
    else:
        assert_never(fmt)
    sys.stdout.flush()
    return code


def _scrub_finding(f: Finding, scrub: Any) -> Finding:
    from dataclasses import replace

    return replace(
        f,
        message=scrub(f.message),
        hint=scrub(f.hint),
        target=scrub(f.target) if f.target else None,
        evidence=tuple(scrub(e) for e in f.evidence),
    )
