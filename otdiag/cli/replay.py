"""`otdiag replay`: put real spans through the user's own collector, processor by processor."""

from __future__ import annotations

from typing import Annotated

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode


def replay(
    spans_files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="SPANS_FILE",
            show_default=False,
            help="OTLP JSON files: one request, the file exporter's JSON lines, or a Jaeger API v3 answer.",
        ),
    ] = None,
    config: Annotated[str, typer.Option("--config", "-c", help="The collector config whose processors to run.")] = "",
    span: Annotated[
        list[str] | None,
        typer.Option(
            "--span",
            metavar="SPEC",
            help="A span to replay: 'service=checkout name=\"GET /cart\" status=error http.route=/cart' (repeatable).",
        ),
    ] = None,
    from_jaeger: Annotated[
        tuple[str, str] | None,
        typer.Option("--from-jaeger", metavar="URL TRACE_ID", help="Replay a trace fetched from Jaeger."),
    ] = None,
    otelcol: Annotated[
        list[str] | None,
        typer.Option(
            "--otelcol", help="The collector binary (repeat to compare releases); default: otelcol-contrib on PATH."
        ),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(metavar="kept|dropped", help="Exit 1 when a span (without its own expect=) does otherwise."),
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="Shorten tail_sampling's decision_wait to 1s (the report says so).")
    ] = False,
    pipeline: Annotated[str | None, typer.Option(metavar="NAME", help="Replay only this traces pipeline.")] = None,
    timeout: Annotated[str, typer.Option(help=common.TIMEOUT_HELP, metavar=common.DURATION)] = "10s",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Put spans through your own collector's processors and show what each one did to each span.

    Runs the collector binary on a private copy of the config: its receivers are
    replaced by a loopback one, each processor's output is captured, and its
    exporters are never contacted. Exit 1 when a span marked kept (or dropped)
    did otherwise, or when two releases (--otelcol A --otelcol B) disagree.

    Examples:

    \b
      otdiag replay -c collector.yaml --span 'name="GET /health" expect=dropped'
      otdiag replay -c collector.yaml spans.jsonl --otelcol ./otelcol-0.111 \\
          --otelcol ./otelcol-0.161
      otdiag replay -c collector.yaml --from-jaeger http://jaeger:16686 TRACE_ID
    """

    def body() -> ExitCode:
        from otdiag.render import human
        from otdiag.render.replay import print_replay
        from otdiag.replay.api import ReplayRequest, run

        if not config:
            raise UsageError("--config: give the collector config to replay through")
        if expect is not None and expect not in ("kept", "dropped"):
            raise UsageError(f"--expect: {expect!r} must be kept or dropped")
        timeout_s = common.timeout(timeout)
        request = ReplayRequest(
            config=config,
            files=tuple(spans_files or ()),
            span_specs=tuple(span or ()),
            jaeger=from_jaeger,
            otelcols=tuple(otelcol or ()),
            expect=expect,
            fast=fast,
            pipeline=pipeline,
            timeout=timeout_s,
        )
        spinner = human.Spinner(human.make_console(stderr=True))
        with spinner.running("replaying"):
            result = run(request, progress=spinner.update)
        return common.emit(result, as_json=as_json, render=print_replay)

    common.run(body)
