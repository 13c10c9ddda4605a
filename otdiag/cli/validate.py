"""`otdiag validate-config`: the collector's verdict on a config, all errors at once, plus warnings."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode
from otdiag.validate.drawing import GraphFormat
from otdiag.validate.knowledge import Distribution
from otdiag.validate.report import ValidateRequest, ValidateResult, validate


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"


def validate_config(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE", help="Config files to check ('-' reads stdin).", show_default=False)
    ],
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
            metavar="VERSION",
            help="The collector release to check against: 0.124.0, a running collector's metrics URL "
            "(http://host:8888/metrics) or a collector binary (default: the newest release otdiag knows).",
        ),
    ] = None,
    base_dir: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="The directory the collector will run in: relative TLS file paths (cert_file, key_file, "
            "ca_file) are looked up there (default: the current directory).",
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

    out_fmt = OutputFormat.JSON if as_json else fmt

    def body() -> ExitCode:
        from otdiag import bounded
        from otdiag.validate import binary, yamlsrc

        _check_usage(files, merge, graph_only, out_fmt)
        found = binary.find(otelcol, with_binary)
        request = ValidateRequest(
            files=tuple((n, bounded.read(n, what="validate-config", max_bytes=yamlsrc.MAX_BYTES)) for n in files),
            strict=strict,
            merge=merge,
            distribution=distribution,
            collector_version=collector_version,
            binary=found,
            graph=graph,
            graph_only=graph_only,
            base_dir=_base_dir(base_dir),
        )
        return _emit(validate(request), out_fmt)

    common.run(body)


def _base_dir(text: str | None) -> Path:
    if text is None:
        return Path.cwd()
    path = Path(text)
    if not path.is_dir():
        raise UsageError(f"--base-dir: {text} is not a directory")
    return path


def _check_usage(files: list[str], merge: bool, graph_only: bool, out_fmt: OutputFormat) -> None:
    if files.count("-") > 1:
        raise UsageError("'-' (stdin) can be given once")
    if graph_only and (len(files) > 1 and not merge):
        raise UsageError("--graph-only draws one config: give one file, or several with --merge")
    if graph_only and out_fmt is not OutputFormat.TEXT:
        raise UsageError("--graph-only prints the graph alone: it cannot be combined with --json or --format")


def _emit(result: ValidateResult, fmt: OutputFormat) -> ExitCode:
    from otdiag.render import annotations, human
    from otdiag.render import validate as view

    if result.drawing is not None:
        # --graph-only: the diagram alone on stdout, byte for byte (> pipelines.mmd); the report on stderr.
        view.print_validate(human.make_console(stderr=True), result)
        _write(result.drawing.rstrip("\n") + "\n")
        return ExitCode.OK if result.ok else ExitCode.PROBLEM
    if fmt is OutputFormat.SARIF:
        _write(annotations.sarif(list(result.findings)) + "\n")
    elif fmt is OutputFormat.GITHUB:
        text = annotations.github(list(result.findings))
        _write(text + ("\n" if text else ""))
    else:
        return common.emit(result, as_json=fmt is OutputFormat.JSON, render=view.print_validate)
    return ExitCode.OK if result.ok else ExitCode.PROBLEM


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
