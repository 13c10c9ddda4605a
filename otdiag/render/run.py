"""The human view of `otdiag run`: what the app emitted, what the observer saw inside it, and the findings."""

from __future__ import annotations

from otdiag.app.runner import KeptOpen, RunResult, Started, status_shown
from otdiag.model import Severity
from otdiag.observe.observed import Observed
from otdiag.render.human import Console, escape, hang, plural, print_findings
from otdiag.run.facts import RuntimeFacts


def print_start(console: Console, started: Started) -> None:
    """The one dim line on stderr before the app starts: where the receiver listens, and what runs."""
    shown = escape(" ".join(started.argv))
    also = f", also the default ports {' and '.join(started.also_receiving)}" if started.also_receiving else ""
    body = f"[dim]OTLP receiver at {started.endpoint} (gRPC and HTTP{also}); running {shown}[/]"
    hang(console, "[dim]otdiag run:[/] ", body)


def print_kept_open(console: Console, kept: KeptOpen) -> None:
    """Where the spans stay queryable after the report, and how to stop (on stderr)."""
    hang(
        console,
        "[dim]otdiag run:[/] ",
        f"[dim]the spans stay queryable at {escape(kept.query_url)} (Jaeger's HTTP API)[/]",
    )
    hang(console, "[dim]  e.g.[/] ", f"[dim]otdiag find-trace --jaeger-url {escape(kept.query_url)} TRACE_ID[/]")
    hang(console, "  ", f"[dim]the receiver at {escape(kept.endpoint)} still takes spans; Ctrl-C to stop[/]")


TRACE_IDS_LISTED = 5
"""Trace IDs the human view lists (the JSON has up to 20); its header counts the ones listed."""


def print_run(console: Console, result: RunResult) -> None:
    app, got = result.app, result.received
    if got.spans:
        mark = _mark(result)
        ran_s = round(app.duration_s * 1000, 1) / 1000  # as the JSON report's duration_ms says
        hang(
            console,
            f"{mark} ",
            f"the app emitted {plural(got.spans, 'span')} in {plural(got.traces, 'trace')} "
            f"(exit status {status_shown(app.status)}, ran {ran_s:.1f}s)",
        )
    else:
        hang(
            console,
            "[bold red]✗[/] ",
            f"[bold red]the app emitted no spans[/] (exit status {status_shown(app.status)})",
        )
    for service, ops in got.operations.items():
        hang(console, "  ", f"[cyan]{escape(service)}[/]: {plural(got.services.get(service, 0), 'span')}")
        for name, n in list(ops.items())[:15]:
            hang(console, f"    {n:>6}  ", escape(name))
    ids = got.trace_ids
    if ids:
        shown_ids = len(ids[:TRACE_IDS_LISTED])
        more = f" [dim](newest {shown_ids} of {got.traces})[/]" if got.traces > shown_ids else ""
        console.print(f"  trace IDs{more}:")
        for tid in ids[:TRACE_IDS_LISTED]:
            console.print(f"    {escape(tid)}")
    env = result.environment
    shown = ", ".join(f"{k}={v}" for k, v in env.assigned.items())
    hang(console, "  ", f"[dim]set for the app: {escape(shown)}[/]")
    if env.removed:
        hang(console, "  ", f"[dim]removed (they would bypass the receiver): {escape(', '.join(env.removed))}[/]")
    print_observer(console, result.observer, received=got.spans)
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


def print_observer(console: Console, seen: Observed | RuntimeFacts, *, received: int = 0) -> None:
    """What otdiag's in-process observer saw inside a Python app, in a few dim lines."""
    if isinstance(seen, RuntimeFacts):
        print_runtime_facts(console, seen, received=received)
        return
    if not seen.loaded:
        return
    provider = seen.provider
    if provider:
        where = f" built at {provider.site}" if provider.site else ""
        kind = provider.type.rsplit(".", 1)[-1]
        # A sampler's description has no spaces ("ParentBased{root:…,remoteParentSampled:…}"): break it after
        # its commas, so it wraps between its parts, never inside a sampler's name.
        sampler = (provider.sampler or "?").replace(",", ", ")
        hang(console, "  ", f"[dim]inside the app: {escape(kind + where)}, sampler {escape(sampler)}[/]")
    else:
        hang(console, "  ", "[dim]inside the app: no SDK TracerProvider was set[/]")
    if len(seen.providers) > 1 or (seen.providers and not provider):
        sites = [p.site or "?" for p in seen.providers]
        counted = [f"{site} ×{sites.count(site)}" if sites.count(site) > 1 else site for site in dict.fromkeys(sites)]
        shown = ", ".join(counted[:LISTED]) + _more(len(counted) - LISTED, "place")
        hang(console, "  ", f"[dim]{plural(len(sites), 'TracerProvider')} built: {escape(shown)}[/]")
    spans = seen.spans
    hang(
        console,
        "  ",
        f"[dim]spans: {spans.started} started, {spans.sampled} sampled, {spans.ended} ended, {spans.noop} no-op[/]",
    )
    for exp in seen.exporters[:LISTED]:
        results = ", ".join(f"{k} {v}" for k, v in exp.results.items()) or "never called"
        target = f" → {exp.endpoint}" if exp.endpoint else ""
        built = f" (built at {exp.site})" if exp.site else ""
        hang(console, "  ", f"[dim]{escape(exp.short_type)}{escape(target)}: {escape(results)}{escape(built)}[/]")
    if len(seen.exporters) > LISTED:
        hang(console, "  ", f"[dim]{_more(len(seen.exporters) - LISTED, 'exporter').strip()}[/]")


LISTED = 8
"""Exporters (and provider sites) the human view lists; the rest are counted, and --json lists them all."""


def _more(n: int, what: str) -> str:
    return f" … and {plural(n, 'more ' + what)} (otdiag run --json lists them all)" if n > 0 else ""


def print_runtime_facts(console: Console, facts: RuntimeFacts, *, received: int = 0) -> None:
    """What another runtime's observer saw (Node.js, Java, Go, ...), in a few dim lines."""
    if not facts.loaded and not facts.packages:
        for note in facts.notes[:2]:
            hang(console, "  ", f"[dim]{escape(facts.runtime)} observer: {escape(note)}[/]")
        return
    if facts.packages:
        shown = ", ".join(f"{name} {version}" for name, version in list(facts.packages.items())[:4])
        more = f" (+{len(facts.packages) - 4})" if len(facts.packages) > 4 else ""
        hang(console, "  ", f"[dim]{escape(facts.runtime)} packages: {escape(shown)}{more}[/]")
    provider = facts.provider
    if provider is not None:
        where = f" built at {provider.site}" if provider.site else ""
        registered = "" if provider.registered else " (never registered globally)"
        sampler = f", sampler {provider.sampler}" if provider.sampler else ""
        hang(console, "  ", f"[dim]inside the app: {escape(provider.type + where + registered + sampler)}[/]")
    elif facts.loaded:
        hang(console, "  ", "[dim]inside the app: no SDK tracer provider was seen[/]")
    spans = facts.spans
    if spans.started or spans.noop:
        hang(
            console,
            "  ",
            f"[dim]spans: {spans.started} started, {spans.sampled} sampled, {spans.ended} ended, {spans.noop} no-op[/]",
        )
    for exp in facts.exporters[:4]:
        unseen = "linked (its calls are not visible)" if facts.how in ("build-info", "go-list") else "never called"
        if not exp.results and received > 0 and unseen == "never called":
            # Spans arrived: its calls happened after the observer's last report (a JVM's shutdown hook).
            unseen = "its calls were not seen by the observer"
        results = ", ".join(f"{k} {v}" for k, v in exp.results.items()) or unseen
        target = f" → {exp.endpoint}" if exp.endpoint else ""
        hang(console, "  ", f"[dim]{escape(exp.type)}{escape(target)}: {escape(results)}[/]")
