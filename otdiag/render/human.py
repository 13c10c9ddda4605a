"""The human view: findings with their fixes, hop diagrams, spinners. Only this module uses rich."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.status import Status

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


def make_console(*, stderr: bool = False, width: int | None = None, no_color: bool = False) -> Console:
    """A console for stdout or stderr; into a pipe or file, lines are never broken mid-sentence."""
    console = Console(stderr=stderr, width=width, no_color=no_color, highlight=False)
    console.soft_wrap = not console.is_terminal
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


def finding_lines(f: Finding) -> list[str]:
    mark, style = _SEV_STYLE[f.severity]
    lines = [f"  [{style}]{mark}[/] {escape(f.message)} [dim]({f.code})[/]"]
    if f.location:
        lines[0] += f" [dim]{escape(f.location.file)}:{f.location.line}:{f.location.column}[/]"
    lines.append(f"    [bold]fix:[/] {escape(f.hint)}")
    lines.extend(f"    [dim]· {escape(e)}[/]" for e in f.evidence[:4])
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
            for line in finding_lines(f):
                console.print(line)
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
        hop = _HOP_OF_STAGE[Stage(step["stage"])]
        status = StepStatus(step["status"])
        if status is StepStatus.PASS and marks[hop] is StepStatus.SKIP:
            marks[hop] = StepStatus.PASS
    for f in report.findings:
        hop = _HOP_OF_STAGE[f.stage]
        if f.severity is Severity.ERROR:
            marks[hop] = StepStatus.FAIL
        elif f.severity is Severity.WARNING and marks[hop] is StepStatus.PASS:
            marks[hop] = StepStatus.WARN
    return marks


def print_check(console: Console, report: Report) -> None:
    marks = hop_marks(report)
    cells = []
    for hop in _HOPS:
        mark, style = _STEP_MARK[marks[hop]]
        cells.append(f"{hop} [{style}]{mark}[/]")
    console.print("  " + " ──▶ ".join(cells))
    console.print()
    for step in report.fields.get("steps", []):
        mark, style = _STEP_MARK[StepStatus(step["status"])]
        took = f"[dim]{step['duration_ms']:.0f} ms[/]"
        console.print(f"  [{style}]{mark}[/] {step['name']:<22} {escape(step['detail'])} {took}")
    console.print()
    print_findings(console, report.findings)
    console.print(verdict(report, marks))


def verdict(report: Report, marks: dict[str, StepStatus] | None = None) -> str:
    errors = [f for f in order_findings(report.findings) if f.severity is Severity.ERROR]
    if not errors:
        warnings = sum(1 for f in report.findings if f.severity is Severity.WARNING)
        tail = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        return f"[bold green]Healthy[/]: every hop that was probed answered{tail}."
    first = errors[0]
    where = _HOP_OF_STAGE[first.stage]
    heading = GUIDE_TITLES[first.guide] if first.guide else "Problem"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"[bold red]Broken at {where}[/]: {heading.lower()} - {escape(first.message)}{more}"


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
            console.print(
                f"  [{style}]{sym} {f.severity.value}[/] [dim]{where}[/]{escape(f.message)} [dim]({f.code})[/]"  # noqa: E501
            )
            if f.location:
                for row in code_frame(lines, f.location.line, f.location.column):
                    console.print("    " + row)
            for ev in f.evidence[:3]:
                console.print(f"    [dim]· {escape(ev)}[/]")
            console.print(f"    [bold]fix:[/] {escape(f.hint)}")
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
