"""The human view: findings with their fixes, hop diagrams, spinners. Only this module uses rich."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console as _RichConsole
from rich.markup import escape as _markup_escape
from rich.status import Status
from rich.text import Text

from otdiag import redact
from otdiag.model import GUIDE_TITLES, Finding, Guide, Report, Severity, Stage, StepStatus, order_findings

__all__ = [
    "Console",
    "Spinner",
    "code_frame",
    "escape",
    "make_console",
    "print_check",
    "print_config_files",
    "print_findings",
    "verdict",
]

_SEV_STYLE = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("!", "yellow"),
    Severity.INFO: ("i", "cyan"),
}
_STEP_MARK = {
    StepStatus.PASS: ("✓", "green"),
    StepStatus.FAIL: ("✗", "bold red"),
    StepStatus.WARN: ("!", "yellow"),
    StepStatus.SKIP: ("?", "dim"),
}


def escape(text: str) -> str:
    """Any text from the network, a file or the user, ready for markup: scrubbed of secrets,
    printable (controls escaped, newlines shown as ⏎) and with Rich markup escaped."""
    return _markup_escape(redact.clean(str(text)))


class Console(_RichConsole):
    """Rich's console, with one last guard: every string it renders is scrubbed and made printable.

    Strings reach it as markup (escaped by `escape`), so newlines of otdiag's own are kept here;
    a stray escape sequence, secret or control character from elsewhere still never gets out.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(redact.printable(redact.scrub(text), keep_newlines=True), **kwargs)


def make_console(*, stderr: bool = False, width: int | None = None, no_color: bool = False) -> Console:
    """A console for stdout or stderr; into a pipe or file, lines are never broken mid-sentence."""
    # No emoji codes: a fix text holding ${env:X:-value} must not become ${env❌-value}.
    console = Console(stderr=stderr, width=width, no_color=no_color, highlight=False, emoji=False)
    if not console.is_terminal:
        # Into a pipe or file: no mid-sentence breaks, and tables as wide as they need.
        console.soft_wrap = True
        if width is None:
            console.width = 160
    return console


class Spinner:
    """A `Progress` that shows a spinner on stderr (only on a terminal)."""

    def __init__(self, console: Console) -> None:
        self._status: Status | None = None
        self._console = console

    def update(self, message: str) -> None:
        if self._status is not None:
            self._status.update(escape(message))

    @contextmanager
    def running(self, message: str) -> Iterator[Spinner]:
        if not self._console.is_terminal:
            yield self
            return
        with self._console.status(escape(message)) as status:
            self._status = status
            try:
                yield self
            finally:
                self._status = None


def plural(n: float, word: str, many: str | None = None) -> str:
    """`1 span`, `2 spans`, `1,024 spans`."""
    return f"{n:,.0f} {word if n == 1 else many or word + 's'}"


def hang(console: Console, lead: str, body: str) -> None:
    """Print `lead` then `body` (both markup); wrapped lines of the body start under its first character.

    A hanging indent keeps the ✓/✗ column readable at 80 columns. Into a pipe (soft wrap) nothing is
    wrapped, so a line stays whole for grep.
    """
    # Text objects bypass Console.render_str's guard: scrub and make printable here too.
    lead_t, body_t = (
        Text.from_markup(redact.printable(redact.scrub(m), keep_newlines=True), emoji=False) for m in (lead, body)
    )
    if console.soft_wrap:
        console.print(Text.assemble(lead_t, body_t))
        return
    pad = lead_t.cell_len
    for i, line in enumerate(body_t.wrap(console, max(20, console.width - pad))):
        line.rstrip()
        console.print(Text.assemble(lead_t if i == 0 else " " * pad, line), no_wrap=True, crop=False)


def finding_lines(f: Finding) -> list[tuple[str, str]]:
    """A finding as (lead, body) pairs: the message with its code, the fix, then up to four evidence lines."""
    mark, style = _SEV_STYLE[f.severity]
    where = f" [dim]{escape(f.location.file)}:{f.location.line}:{f.location.column}[/]" if f.location else ""
    lines = [(f"  [{style}]{mark}[/] ", f"{escape(f.message)} [dim]({f.code})[/]{where}")]
    lines.append(("    [bold]fix:[/] ", escape(f.hint)))
    lines.extend(("    [dim]·[/] ", f"[dim]{escape(e)}[/]") for e in f.evidence[:4])
    return lines


def print_findings(console: Console, findings: list[Finding]) -> None:
    """Findings grouped under the guide's three headings, most fundamental first."""
    ordered = order_findings(findings)
    groups: dict[Guide | None, list[Finding]] = {}
    for f in ordered:
        groups.setdefault(f.guide, []).append(f)
    order: list[Guide | None] = [
        Guide.TRACES_NOT_COLLECTED,
        Guide.TRACES_NOT_IN_JAEGER,
        Guide.SPANS_NOT_CREATED,
        None,
    ]
    for guide in order:
        if guide not in groups:
            continue
        console.print(f"[bold]{GUIDE_TITLES[guide] if guide else 'Other'}[/]")
        for f in groups[guide]:
            for lead, body in finding_lines(f):
                hang(console, lead, body)
        console.print()


_HOPS = ("App", "SDK", "Collector", "Jaeger")
_HOP_OF_STAGE = {
    Stage.APP: "SDK",
    Stage.COLLECTOR_INGEST: "Collector",
    Stage.COLLECTOR: "Collector",
    Stage.COLLECTOR_EXPORT: "Jaeger",
    Stage.JAEGER: "Jaeger",
    Stage.OTDIAG: "App",
}


def hop_marks(report: Report) -> dict[str, StepStatus]:
    """A status per hop of the seed's data flow, from the check's steps and findings."""
    marks: dict[str, StepStatus] = dict.fromkeys(_HOPS, StepStatus.SKIP)
    steps: list[dict[str, Any]] = report.fields.get("steps", [])
    for step in steps:
        hop = "App" if step["name"] == "app-env" else _HOP_OF_STAGE[Stage(step["stage"])]
        status = StepStatus(step["status"])
        if status is StepStatus.PASS and marks[hop] is StepStatus.SKIP:
            marks[hop] = StepStatus.PASS
            if hop == "App":
                marks["SDK"] = StepStatus.PASS
    for f in report.findings:
        hop = _hop(f)
        if f.severity is Severity.ERROR:
            marks[hop] = StepStatus.FAIL
        elif f.severity is Severity.WARNING and marks[hop] is StepStatus.PASS:
            marks[hop] = StepStatus.WARN
    return marks


def _hop(f: Finding) -> str:
    # The app's instrumentation (heading 3) is the App hop; its export settings are the SDK hop.
    if f.stage is Stage.APP and f.guide is Guide.SPANS_NOT_CREATED:
        return "App"
    return _HOP_OF_STAGE[f.stage]


def print_check(console: Console, report: Report) -> None:
    marks = hop_marks(report)
    cells = []
    for hop in _HOPS:
        mark, style = _STEP_MARK[marks[hop]]
        cells.append(f"{hop} [{style}]{mark}[/]")
    if report.fields.get("chain"):
        from otdiag.render.fleet import chain_lines

        # Several collectors: one line per path through the tiers, a mark per tier and per hop.
        for line in chain_lines(report.fields["chain"], marks["SDK"].value, marks["Jaeger"].value):
            console.print(line)
    else:
        console.print("  " + " ──▶ ".join(cells))
    console.print()
    for step in report.fields.get("steps", []):
        mark, style = _STEP_MARK[StepStatus(step["status"])]
        took = f"[dim]{step['duration_ms']:.0f} ms[/]"
        hang(console, f"  [{style}]{mark}[/] {escape(step['name']):<22} ", f"{escape(step['detail'])} {took}")
    console.print()
    if report.fields.get("fleet"):
        from otdiag.render.fleet import print_fleet

        print_fleet(console, report.fields["fleet"])
    print_findings(console, report.findings)
    console.print(verdict(report, marks))


def verdict(report: Report, marks: dict[str, StepStatus] | None = None) -> str:
    errors = [f for f in order_findings(report.findings) if f.severity is Severity.ERROR]
    if not errors:
        warnings = sum(1 for f in report.findings if f.severity is Severity.WARNING)
        tail = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        return f"[bold green]Healthy[/]: every hop that was probed answered{tail}."
    first = errors[0]
    where = _WHERE[first.stage]
    if first.stage is Stage.APP and _hop(first) == "SDK":
        where = "in the app's SDK settings"
    heading = GUIDE_TITLES[first.guide] if first.guide else "Problem"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"[bold red]Broken {where}[/]: {heading} - {escape(first.message)}{more}"


_WHERE = {
    Stage.APP: "in the app",
    Stage.COLLECTOR_INGEST: "between the app and the Collector",
    Stage.COLLECTOR: "in the Collector",
    Stage.COLLECTOR_EXPORT: "between the Collector and Jaeger",
    Stage.JAEGER: "in Jaeger",
    Stage.OTDIAG: "in otdiag's input",
}


def print_run(console: Console, report: Report) -> None:
    f = report.fields
    if f["spans"]:
        mark = "[bold green]✓[/]" if report.ok else "[bold yellow]![/]"
        console.print(
            f"{mark} the app emitted {plural(f['spans'], 'span')} in {plural(f['traces'], 'trace')} "
            f"(exit status {f['exit_status']}, ran {f['duration_ms'] / 1000:.1f}s)"
        )
    else:
        console.print(f"[bold red]✗ the app emitted no spans[/] (exit status {f['exit_status']})")
    for service, ops in f["operations"].items():
        console.print(f"  [cyan]{escape(service)}[/]: {plural(f['services'].get(service, 0), 'span')}")
        for name, n in list(ops.items())[:15]:
            console.print(f"    {n:>6}  {escape(name)}")
    ids = f.get("trace_ids") or []
    if ids:
        more = f" [dim](newest {len(ids)} of {f['traces']})[/]" if f["traces"] > len(ids[:5]) else ""
        console.print(f"  trace IDs{more}:")
        for tid in ids[:5]:
            console.print(f"    {escape(tid)}")
    env = f["environment"]
    shown = ", ".join(f"{k}={v}" for k, v in env["set"].items())
    console.print(f"  [dim]set for the app: {escape(shown)}[/]")
    if env["removed"]:
        console.print(f"  [dim]removed (they would bypass the receiver): {escape(', '.join(env['removed']))}[/]")
    _print_observer(console, f.get("observer") or {})
    console.print()
    if report.findings:
        print_findings(console, report.findings)


def _print_observer(console: Console, seen: dict[str, Any]) -> None:
    """What otdiag's in-process observer saw inside a Python app, in a few dim lines."""
    if not seen.get("loaded"):
        return
    spans = seen.get("spans") or {}
    provider = seen.get("provider")
    if provider:
        where = f" built at {provider['site']}" if provider.get("site") else ""
        kind = str(provider.get("type", "")).rsplit(".", 1)[-1]
        sampler = str(provider.get("sampler") or "?")
        sampler = sampler if len(sampler) <= 60 else sampler[:59] + "…"
        console.print(f"  [dim]inside the app: {escape(kind + where)}, sampler {escape(sampler)}[/]")
    else:
        console.print("  [dim]inside the app: no SDK TracerProvider was set[/]")
    console.print(
        f"  [dim]spans: {spans.get('started', 0)} started, {spans.get('sampled', 0)} sampled, "
        f"{spans.get('ended', 0)} ended, {spans.get('noop', 0)} no-op[/]"
    )
    for exp in (seen.get("exporters") or [])[:4]:
        results = ", ".join(f"{k} {v}" for k, v in (exp.get("results") or {}).items()) or "never called"
        name = str(exp.get("type", "")).rsplit(".", 1)[-1]
        target = f" → {exp['endpoint']}" if exp.get("endpoint") else ""
        console.print(f"  [dim]{escape(name)}{escape(target)}: {escape(results)}[/]")


def code_frame(source_lines: list[str], line: int, column: int) -> list[str]:
    """The offending line with a caret under the column (markup-escaped, tabs shown as spaces)."""
    if not 1 <= line <= len(source_lines):
        return []
    text = source_lines[line - 1].replace("\t", " ")
    if len(text) > 160:
        start = max(0, column - 80)
        text = ("…" if start else "") + text[start : start + 160]
        column = column - start + (1 if start else 0)
    gutter = f"{line:>5} │ "
    return [f"[dim]{gutter}[/]{escape(text)}", " " * len(gutter) + " " * max(column - 1, 0) + "[bold]^[/]"]


def print_config_files(
    console: Console,
    files: list[tuple[str, list[Finding], list[str]]],
    *,
    strict: bool = False,
) -> None:
    """Findings grouped by file, each with its code frame, colour by severity, and its fix."""
    totals = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    for path, findings, lines in files:
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        mark = "[bold red]✗[/]" if errors else "[bold green]✓[/]"
        console.print(f"{mark} [bold]{escape(path)}[/]")
        for f in order_findings(findings):
            totals[f.severity] += 1
            sym, style = _SEV_STYLE[f.severity]
            where = f"{f.location.line}:{f.location.column} " if f.location else ""
            hang(
                console,
                f"  [{style}]{sym} {f.severity.value}[/] [dim]{where}[/]",
                f"{escape(f.message)} [dim]({f.code})[/]",
            )
            if f.location:
                for row in code_frame(lines, f.location.line, f.location.column):
                    console.print("    " + row)
            for ev in f.evidence[:3]:
                hang(console, "    [dim]·[/] ", f"[dim]{escape(ev)}[/]")
            hang(console, "    [bold]fix:[/] ", escape(f.hint))
        console.print()
    e, w, i = totals[Severity.ERROR], totals[Severity.WARNING], totals[Severity.INFO]
    n = len(files)
    failed = e > 0 or (strict and w > 0)
    head = "[bold red]invalid[/]" if failed else "[bold green]valid[/]"
    console.print(
        f"{head}: {n} file{'s' if n != 1 else ''}, {e} error{'s' if e != 1 else ''}, "
        f"{w} warning{'s' if w != 1 else ''}, {i} note{'s' if i != 1 else ''}"
        + (" (--strict: warnings fail)" if strict and w and not e else "")
    )
