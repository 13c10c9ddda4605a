"""find-trace's human view: a trace as a waterfall, or the list a search found, then the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from otdiag.render import human
from otdiag.render.waterfall import print_trace, print_trace_list

if TYPE_CHECKING:
    from otdiag.jaeger.lookup import ById, FindResult, Search


def print_find(console: human.Console, result: FindResult, *, max_spans: int = 200, verbose: bool = False) -> None:
    from otdiag.jaeger.lookup import Search

    if isinstance(result.lookup, Search):
        _print_search(console, result, result.lookup)
    else:
        _print_by_id(console, result, result.lookup, max_spans=max_spans, verbose=verbose)


def _print_by_id(console: human.Console, result: FindResult, lookup: ById, *, max_spans: int, verbose: bool) -> None:
    trace, found = lookup.trace, lookup.found
    if trace is None or found is None or found.fetched is None:
        human.print_findings(console, list(result.findings))
        return
    print_trace(console, trace, max_spans=max_spans, verbose=verbose)
    visible = f", visible after {found.waited_ms / 1000:.1f}s" if lookup.waited else ""
    console.print(f"[dim]{human.escape(lookup.link)}  (via API {found.fetched.api.value}{visible})[/]", soft_wrap=True)
    if result.findings:
        console.print()
        human.print_findings(console, list(result.findings))


def _print_search(console: human.Console, result: FindResult, lookup: Search) -> None:
    traces = lookup.traces
    if traces and lookup.fetched is not None:
        print_trace_list(console, traces)
        console.print(f"[dim]{human.plural(len(traces), 'trace')} via API {lookup.fetched.api.value}[/]")
    human.print_findings(console, list(result.findings))
