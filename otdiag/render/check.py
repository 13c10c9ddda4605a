"""`otdiag check` for a human: the hops with their marks, every probe's step, the findings, one verdict."""

from __future__ import annotations

from otdiag.check.result import CheckResult
from otdiag.check.tiers import ChainReport
from otdiag.model import GUIDE_TITLES, Finding, Guide, Severity, Stage, StepStatus, order_findings
from otdiag.render.fleet import print_fleet
from otdiag.render.human import Console, escape, hang, print_findings

_STEP_MARK = {
    StepStatus.PASS: ("✓", "green"),
    StepStatus.FAIL: ("✗", "bold red"),
    StepStatus.WARN: ("!", "yellow"),
    StepStatus.SKIP: ("?", "dim"),
}
_HOPS = ("App", "SDK", "Collector", "Jaeger")
_DIRECT_HOPS = ("App", "SDK", "Jaeger")
"""The app exports to Jaeger's own OTLP receiver: no collector hop."""
_HOP_OF_STAGE = {
    Stage.APP: "SDK",
    Stage.COLLECTOR_INGEST: "Collector",
    Stage.COLLECTOR: "Collector",
    Stage.COLLECTOR_EXPORT: "Jaeger",
    Stage.JAEGER: "Jaeger",
    Stage.OTDIAG: "App",
}
_DIRECT_HOP_OF_STAGE = {
    **_HOP_OF_STAGE,
    Stage.COLLECTOR_INGEST: "Jaeger",
    Stage.COLLECTOR: "Jaeger",
    Stage.COLLECTOR_EXPORT: "Jaeger",
}
"""Without a collector, what the "collector" probes found is Jaeger's own (its receiver, its pipeline)."""
_WHERE = {
    Stage.APP: "in the app",
    Stage.COLLECTOR_INGEST: "between the app and the Collector",
    Stage.COLLECTOR: "in the Collector",
    Stage.COLLECTOR_EXPORT: "between the Collector and Jaeger",
    Stage.JAEGER: "in Jaeger",
    Stage.OTDIAG: "in otdiag's input",
}
_DIRECT_WHERE = {
    **_WHERE,
    Stage.COLLECTOR_INGEST: "between the app and Jaeger",
    Stage.COLLECTOR: "in Jaeger",
    Stage.COLLECTOR_EXPORT: "in Jaeger",
}


def print_check(console: Console, result: CheckResult) -> None:
    marks = hop_marks(result)
    if result.chain is not None:
        # Several collectors: one line per path through the tiers, a mark per tier and per hop.
        for line in chain_lines(result.chain, marks["SDK"], marks["Jaeger"]):
            console.print(line)
    else:
        hang(console, "  ", hop_line(marks, _hops(result)).lstrip())
        if result.otlp_receiver is not None:
            hang(console, "  ", escape(result.otlp_receiver.note))
    console.print()
    for step in result.steps:
        mark, style = _STEP_MARK[step.status]
        took = f"[dim]{round(step.duration_ms, 1):.0f} ms[/]"
        hang(console, f"  [{style}]{mark}[/] {escape(step.name):<22} ", f"{escape(step.detail)} {took}")
    console.print()
    if result.fleet is not None:
        print_fleet(console, result.fleet)
    print_findings(console, list(result.findings))
    console.print(verdict(result))


_ARROW_OF_STAGE = {Stage.COLLECTOR_INGEST: "SDK→Collector", Stage.COLLECTOR_EXPORT: "Collector→Jaeger"}
"""The stages whose problems sit between two hops: the arrow is broken, not the hop on either side."""
_DIRECT_ARROW_OF_STAGE = {Stage.COLLECTOR_INGEST: "SDK→Jaeger"}
"""Without a collector, the way to Jaeger's receiver is the one arrow a problem can break."""
_NODE_CODES = {"ingest.collector-down"}
"""Ingest findings that are about the collector itself (nothing runs), not about the way to it."""


def _hops(result: CheckResult) -> tuple[str, ...]:
    return _DIRECT_HOPS if result.otlp_receiver is not None else _HOPS


def hop_line(marks: dict[str, StepStatus], hops: tuple[str, ...] = _HOPS) -> str:
    """App ✓ ──▶ SDK ✓ ─✗─▶ Collector ? ──▶ Jaeger ✓: a mark per hop, and on an arrow that is broken."""
    out = ""
    for i, hop in enumerate(hops):
        mark, style = _STEP_MARK[marks[hop]]
        if i:
            arrow = marks.get(f"{hops[i - 1]}→{hop}", StepStatus.SKIP)
            a_mark, a_style = _STEP_MARK[arrow]
            out += f" ─[{a_style}]{a_mark}[/]─▶ " if arrow in (StepStatus.FAIL, StepStatus.WARN) else " ──▶ "
        out += f"{hop} [{style}]{mark}[/]"
    return "  " + out


def hop_marks(result: CheckResult) -> dict[str, StepStatus]:
    """A status per hop of the seed's data flow (and per arrow between two), from the check's steps and findings.

    A problem on the way between two hops (an ingest failure, a collector exporter that cannot reach
    Jaeger) marks the arrow, not the hop that answers; otdiag's own input (a --prometheus-url that does
    not answer) marks no hop at all.
    """
    direct = result.otlp_receiver is not None
    of_stage = _DIRECT_HOP_OF_STAGE if direct else _HOP_OF_STAGE
    arrows = _DIRECT_ARROW_OF_STAGE if direct else _ARROW_OF_STAGE
    marks: dict[str, StepStatus] = dict.fromkeys(_hops(result), StepStatus.SKIP)
    for step in result.steps:
        hop = "App" if step.name == "app-env" else of_stage[step.stage]
        if step.status is StepStatus.PASS and marks[hop] is StepStatus.SKIP:
            marks[hop] = StepStatus.PASS
            if hop == "App":
                marks["SDK"] = StepStatus.PASS
    for f in result.findings:
        if f.stage is Stage.OTDIAG:
            continue
        node = _hop(f, of_stage)
        hop = arrows.get(f.stage, node) if f.code not in _NODE_CODES else node
        marks.setdefault(hop, StepStatus.SKIP)
        if f.severity is Severity.ERROR:
            marks[hop] = StepStatus.FAIL
        elif f.severity is Severity.WARNING and (
            marks[hop] is StepStatus.PASS or (marks[hop] is StepStatus.SKIP and "→" in hop)
        ):
            marks[hop] = StepStatus.WARN
    return marks


def _hop(f: Finding, of_stage: dict[Stage, str] = _HOP_OF_STAGE) -> str:
    # The app's instrumentation (heading 3) is the App hop; its export settings are the SDK hop.
    if f.stage is Stage.APP and f.guide is Guide.SPANS_NOT_CREATED:
        return "App"
    return of_stage[f.stage]


def verdict(result: CheckResult) -> str:
    """One line: healthy, or broken where the first (most upstream) error sits."""
    errors = [f for f in order_findings(list(result.findings)) if f.severity is Severity.ERROR]
    if not errors:
        warnings = sum(1 for f in result.findings if f.severity is Severity.WARNING)
        tail = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        return f"[bold green]Healthy[/]: every hop that was probed answered{tail}."
    first = errors[0]
    if first.stage is Stage.OTDIAG:
        # Not a broken pipeline: otdiag could not do what it was asked (an address given to it does not answer).
        return f"[bold red]Not checked[/]: otdiag's input - {escape(first.message)}"
    where = (_DIRECT_WHERE if result.otlp_receiver is not None else _WHERE)[first.stage]
    if first.stage is Stage.APP and _hop(first) == "SDK":
        where = "in the app's SDK settings"
    heading = GUIDE_TITLES[first.guide] if first.guide else "Problem"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"[bold red]Broken {where}[/]: {heading} - {escape(first.message)}{more}"


# --- several collectors ----------------------------------------------------------------------------------

_MARK = {
    StepStatus.PASS: "[green]✓[/]",
    StepStatus.FAIL: "[bold red]✗[/]",
    StepStatus.WARN: "[yellow]![/]",
    StepStatus.SKIP: "[dim]?[/]",
}

PathNode = tuple[StepStatus | None, str, StepStatus | None]
"""(the hop's status into the node, None for the first tier; the node; its status, None for Jaeger)."""


def chain_paths(chain: ChainReport) -> list[list[PathNode]]:
    """Every path from the first tier out of the chain."""
    if not chain.tiers:
        return []
    tiers = {t.name: t for t in chain.tiers}
    paths: list[list[PathNode]] = []

    def walk(name: str, path: list[PathNode], seen: frozenset[str]) -> None:
        out = [h for h in chain.hops if h.src == name]
        if not out:
            paths.append(path)
        for h in out:
            if h.dst in tiers and h.dst not in seen:
                walk(h.dst, [*path, (h.status, h.dst, tiers[h.dst].status)], seen | {h.dst})
            else:
                paths.append([*path, (h.status, h.dst, None)])

    head = chain.tiers[0]
    walk(head.name, [(None, head.name, head.status)], frozenset({head.name}))
    return paths


def chain_lines(chain: ChainReport, app: StepStatus, jaeger: StepStatus) -> list[str]:
    """The chain as rich-markup lines, one per path: App ✓ ──▶ agent ✓ ─✓─▶ gateway ✗ ─?─▶ Jaeger ?"""
    lines = []
    for path in chain_paths(chain):
        cells = [f"App {_MARK[app]}"]
        for hop_status, node, node_status in path:
            arrow = " ──▶ " if hop_status is None else f" ─{_MARK[hop_status]}─▶ "
            cells.append(f"{arrow}{escape(node)} {_MARK[node_status or jaeger]}")
        lines.append("  " + "".join(cells))
    lost = chain.lost_at
    if lost is not None:
        hop = f", hop {lost.hop}" if lost.hop else ""
        lines.append(f"  [bold]lost in {escape(lost.tier)}{escape(hop)}[/] [dim]({escape(lost.code)})[/]")
    return lines
