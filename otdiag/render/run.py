"""The human view of `otdiag run`: what the app emitted, what the observer saw inside it, and the findings."""

from __future__ import annotations

from otdiag.app.runner import KeptOpen, RunResult, Started, status_shown
from otdiag.model import Severity
from otdiag.observe.observed import Observed
from otdiag.render.human import Console, escape, plural, print_findings
from otdiag.run.facts import RuntimeFacts


def print_start(console: Console, started: Started) -> None:
    """The one dim line on stderr before the app starts: where the receiver listens, and what runs."""
    shown = escape(" ".join(started.argv))
    also = f", also the default ports {' and '.join(started.also_receiving)}" if started.also_receiving else ""
    console.print(f"[dim]otdiag run: OTLP receiver at {started.endpoint} (gRPC and HTTP{also}); running {shown}[/]")


def print_kept_open(console: Console, kept: KeptOpen) -> None:
    """Where the spans stay queryable after the report, and how to stop (on stderr)."""
    console.print(f"[dim]otdiag run: the spans stay queryable at {escape(kept.query_url)} (Jaeger's HTTP API)[/]")
    console.print(f"[dim]  e.g. otdiag find-trace --jaeger-url {escape(kept.query_url)} TRACE_ID[/]", soft_wrap=True)
    console.print(f"[dim]  the receiver at {escape(kept.endpoint)} still takes spans; Ctrl-C to stop[/]")


TRACE_IDS_LISTED = 5
"""Trace IDs the human view lists (the JSON has up to 20); its header counts the ones listed."""


def print_run(console: Console, result: RunResult) -> None:
    app, got = result.app, result.received
    if got.spans:
        mark = _mark(result)
        ran_s = round(app.duration_s * 1000, 1) / 1000  # as the JSON report's duration_ms says
        console.print(
            f"{mark} the app emitted {plural(got.spans, 'span')} in {plural(got.traces, 'trace')} "
            f"(exit status {status_shown(app.status)}, ran {ran_s:.1f}s)"
        )
    else:
        console.print(f"[bold red]✗ the app emitted no spans[/] (exit status {status_shown(app.status)})")
    for service, ops in got.operations.items():
        console.print(f"  [cyan]{escape(service)}[/]: {plural(got.services.get(service, 0), 'span')}")
        for name, n in list(ops.items())[:15]:
            console.print(f"    {n:>6}  {escape(name)}")
    ids = got.trace_ids
    if ids:
        shown_ids = len(ids[:TRACE_IDS_LISTED])
        more = f" [dim](newest {shown_ids} of {got.traces})[/]" if got.traces > shown_ids else ""
        console.print(f"  trace IDs{more}:")
        for tid in ids[:TRACE_IDS_LISTED]:
            console.print(f"    {escape(tid)}")
    env = result.environment
    shown = ", ".join(f"{k}={v}" for k, v in env.assigned.items())
    console.print(f"  [dim]set for the app: {escape(shown)}[/]")
    if env.removed:
        console.print(f"  [dim]removed (they would bypass the receiver): {escape(', '.join(env.removed))}[/]")
    print_observer(console, result.observer)
    console.print()
    if result.findings:
        print_findings(console, list(result.findings))


def _mark(result: RunResult) -> str:
    """The headline's symbol is the verdict's: ✗ with an error below it, ! with a warning, else ✓."""
    if not result.ok:
        return "[bold red]✗[/]"
    if any(f.severity is Severity.WARNING for f in result.findings):
        return "[bold yellow]![/]"
    return "[bold green]✓[/]"


def print_observer(console: Console, seen: Observed | RuntimeFacts) -> None:
    """What otdiag's in-process observer saw inside a Python app, in a few dim lines."""
    if isinstance(seen, RuntimeFacts):
        print_runtime_facts(console, seen)
        return
    if not seen.loaded:
        return
    provider = seen.provider
    if provider:
        where = f" built at {provider.site}" if provider.site else ""
        kind = provider.type.rsplit(".", 1)[-1]
        sampler = provider.sampler or "?"
        sampler = sampler if len(sampler) <= 60 else sampler[:59] + "…"
        console.print(f"  [dim]inside the app: {escape(kind + where)}, sampler {escape(sampler)}[/]")
    else:
        console.print("  [dim]inside the app: no SDK TracerProvider was set[/]")
    spans = seen.spans
    console.print(
        f"  [dim]spans: {spans.started} started, {spans.sampled} sampled, {spans.ended} ended, {spans.noop} no-op[/]"
    )
    for exp in seen.exporters[:4]:
        results = ", ".join(f"{k} {v}" for k, v in exp.results.items()) or "never called"
        target = f" → {exp.endpoint}" if exp.endpoint else ""
        console.print(f"  [dim]{escape(exp.short_type)}{escape(target)}: {escape(results)}[/]")


def print_runtime_facts(console: Console, facts: RuntimeFacts) -> None:
    """What another runtime's observer saw (Node.js, Java, Go, ...), in a few dim lines."""
    if not facts.loaded and not facts.packages:
        for note in facts.notes[:2]:
            console.print(f"  [dim]{escape(facts.runtime)} observer: {escape(note)}[/]")
        return
    if facts.packages:
        shown = ", ".join(f"{name} {version}" for name, version in list(facts.packages.items())[:4])
        more = f" (+{len(facts.packages) - 4})" if len(facts.packages) > 4 else ""
        console.print(f"  [dim]{escape(facts.runtime)} packages: {escape(shown)}{more}[/]")
    provider = facts.provider
    if provider is not None:
        where = f" built at {provider.site}" if provider.site else ""
        registered = "" if provider.registered else " (never registered globally)"
        sampler = f", sampler {provider.sampler}" if provider.sampler else ""
        console.print(f"  [dim]inside the app: {escape(provider.type + where + registered + sampler)}[/]")
    elif facts.loaded:
        console.print("  [dim]inside the app: no SDK tracer provider was seen[/]")
    spans = facts.spans
    if spans.started or spans.noop:
        console.print(
            f"  [dim]spans: {spans.started} started, {spans.sampled} sampled, {spans.ended} ended, "
            f"{spans.noop} no-op[/]"
        )
    for exp in facts.exporters[:4]:
        results = ", ".join(f"{k} {v}" for k, v in exp.results.items()) or (
            "linked (its calls are not visible)" if facts.how in ("build-info", "go-list") else "never called"
        )
        target = f" → {exp.endpoint}" if exp.endpoint else ""
        console.print(f"  [dim]{escape(exp.type)}{escape(target)}: {escape(results)}[/]")
