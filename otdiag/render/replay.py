"""The human view of `otdiag replay`: per pipeline, each span's fate, processor by processor."""

from __future__ import annotations

from otdiag.render.human import Console, escape, hang, plural, print_findings
from otdiag.replay.api import BinaryRun, ReplayResult
from otdiag.replay.outcome import PipelineOutcome, SpanOutcome

MAX_CHANGES = 8
"""Changes shown per processor and span; the JSON report has them all."""


def print_replay(console: Console, result: ReplayResult) -> None:
    for run in result.runs:
        _print_run(console, run, result.spans)
    if result.differences:
        console.print()
        console.print("[bold]Where the releases differ[/]")
        for d in result.differences:
            console.print(f"  {escape(d.pipeline)}: [bold]{escape(d.label)}[/]")
            for r, outcome in zip(result.runs, d.outcomes, strict=False):
                hang(console, f"    {escape(r.binary.label)}: ", escape(outcome))
    for note in result.left_out:
        hang(console, "[dim]not run: [/]", f"[dim]{escape(note)}[/]")
    console.print()
    if result.findings:
        print_findings(console, list(result.findings))


def _print_run(console: Console, run: BinaryRun, sent: int) -> None:
    waited = f", {run.waited_s:.1f}s" if run.waited_s >= 1 else ""
    console.print(f"[bold]{escape(run.binary.label)}[/]: {plural(sent, 'span')} replayed{waited}")
    if run.failure:
        hang(console, "  [bold red]✗[/] ", f"the collector did not run the config: {escape(run.failure)}")
        return
    for pipe in run.pipelines:
        _print_pipeline(console, pipe)


def _print_pipeline(console: Console, pipe: PipelineOutcome) -> None:
    chain = " → ".join(pipe.processors) or "(no processors)"
    hang(console, f"  pipeline [cyan]{escape(pipe.name)}[/]: ", escape(chain))
    for span in pipe.spans:
        _print_span(console, span)


def _print_span(console: Console, span: SpanOutcome) -> None:
    mark = "[bold green]✓[/]" if span.kept else "[bold red]✗[/]"
    if span.expected is not None:
        mark = mark if span.met else "[bold red]![/]"
    who = f"{escape(span.label)} [dim]({escape(span.service)})[/]" if span.service else escape(span.label)
    if span.kept:
        fate = "kept → " + escape(", ".join(span.exporters) or "no exporter")
    else:
        fate = f"[red]dropped by {escape(span.dropped_by or '?')}[/]"
    expected = "" if span.expected is None or span.met else f" [red](expected {span.expected})[/]"
    hang(console, f"    {mark} ", f"{who}: {fate}{expected}")
    for step in span.steps:
        if not step.changes:
            continue
        console.print(f"        [dim]{escape(step.processor)}:[/]")
        for change in step.changes[:MAX_CHANGES]:
            hang(console, "          ", escape(change.text()))
        if len(step.changes) > MAX_CHANGES:
            console.print(f"          [dim]… {len(step.changes) - MAX_CHANGES} more (--json)[/]")
