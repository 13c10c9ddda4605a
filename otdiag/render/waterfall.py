"""A trace as a waterfall: the span tree, one row per span, bars on a shared time axis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.table import Table

from otdiag.durations import human
from otdiag.render.human import Console, escape
from otdiag.trace import Span, Trace

BAR = 32
SIBLINGS_SHOWN = 3
"""Runs of same-named siblings longer than this are collapsed to one line."""


@dataclass(frozen=True)
class Row:
    span: Span | None
    depth: int
    collapsed: int = 0
    """For a summary row: how many spans it stands for."""
    label: str = ""


def _children(trace: Trace) -> tuple[list[Span], dict[str, list[Span]]]:
    ids = {s.span_id for s in trace.spans}
    kids: dict[str, list[Span]] = {}
    tops: list[Span] = []
    for s in sorted(trace.spans, key=lambda s: s.start_unix_nano):
        if s.parent_span_id and s.parent_span_id in ids and s.parent_span_id != s.span_id:
            kids.setdefault(s.parent_span_id, []).append(s)
        else:
            tops.append(s)
    return tops, kids


def _collapsed(siblings: list[Span]) -> list[Span | Row]:
    """Siblings in order, a long run of same-named ones cut to a few plus one summary row."""
    out: list[Span | Row] = []
    i = 0
    while i < len(siblings):
        key = (siblings[i].service, siblings[i].name)
        j = i
        while j < len(siblings) and (siblings[j].service, siblings[j].name) == key:
            j += 1
        if j - i > SIBLINGS_SHOWN + 1:
            out.extend(siblings[i : i + SIBLINGS_SHOWN])
            hidden = j - i - SIBLINGS_SHOWN
            out.append(Row(None, 0, hidden, f"… {hidden} more {key[0]}/{key[1]}"))
        else:
            out.extend(siblings[i:j])
        i = j
    return out


def rows(trace: Trace) -> Iterator[Row]:
    """Depth-first rows in start order; long runs of same-named siblings become one summary row."""
    tops, kids = _children(trace)
    stack: list[tuple[int, Iterator[Span | Row]]] = [(0, iter(_collapsed(tops)))]
    while stack:
        depth, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        if isinstance(item, Row):
            yield Row(None, depth, item.collapsed, item.label)
            continue
        yield Row(item, depth)
        children = kids.get(item.span_id)
        if children:
            stack.append((depth + 1, iter(_collapsed(children))))


def _bar(span: Span, t0: int, total: int) -> str:
    if total <= 0:
        return "█" + " " * (BAR - 1)
    start = int((span.start_unix_nano - t0) / total * BAR)
    width = max(1, round(span.duration_ns / total * BAR))
    start = min(max(0, start), BAR - 1)
    width = min(width, BAR - start)
    return " " * start + "█" * width + " " * (BAR - start - width)


def utc(unix_nano: int, fmt: str = "%Y-%m-%d %H:%M:%S.%f") -> str:
    """A Unix time in nanoseconds as UTC text; '?' for what no calendar holds."""
    try:
        text = datetime.fromtimestamp(unix_nano / 1e9, UTC).strftime(fmt)
    except (OverflowError, ValueError, OSError):
        return "?"
    return text[:-3] if fmt.endswith("%f") else text


def summary_line(trace: Trace) -> str:
    started = utc(trace.start_unix_nano)
    errors = trace.error_count
    err = f"[bold red]{errors} error(s)[/]" if errors else "0 errors"
    root = trace.root
    root_txt = f" · root {escape(root.service)}/{escape(root.name)}" if root else ""
    return (
        f"[bold]trace {escape(trace.trace_id)}[/]{root_txt} · {len(trace.spans)} spans · "
        f"{len(trace.services)} service(s) · "
        f"{human(trace.duration_ns)} · {err} · started {started} UTC"
    )


def print_trace(console: Console, trace: Trace, *, max_spans: int = 200, verbose: bool = False) -> None:
    console.print(summary_line(trace))
    table = Table(box=None, show_header=True, header_style="dim", pad_edge=False, padding=(0, 1))
    for col in ("span", "service", "kind", "timeline", "start", "duration", "status"):
        table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=60 if col == "span" else None)
    t0, total = trace.start_unix_nano, trace.duration_ns
    shown = 0
    for row in rows(trace):
        if shown >= max_spans:
            break
        indent = "  " * row.depth
        if row.span is None:
            table.add_row(f"[dim]{indent}{escape(row.label)}[/]", "", "", "", "", "", "")
            continue
        s = row.span
        style = "bold red" if s.status == "error" else ""
        status = {"error": "[bold red]✗ error[/]", "ok": "[green]ok[/]"}.get(s.status, "[dim]-[/]")
        name = f"[{style}]{escape(s.name)}[/]" if style else escape(s.name)
        table.add_row(
            f"{indent}{name}",
            escape(s.service),
            escape(s.kind),
            f"[cyan]{_bar(s, t0, total)}[/]",
            f"+{human(s.start_unix_nano - t0)}",
            human(s.duration_ns),
            status,
        )
        shown += 1
        if verbose:
            for key, value in list(s.attributes.items())[:12]:
                table.add_row(f"{indent}  [dim]{escape(str(key))}={escape(str(value)[:80])}[/]", "", "", "", "", "", "")
            if s.status_message:
                table.add_row(f"{indent}  [red]{escape(s.status_message)}[/]", "", "", "", "", "", "")
    console.print(table)
    if len(trace.spans) > shown >= max_spans:
        console.print(f"[dim]… {len(trace.spans) - shown} more spans not shown (--max-spans {max_spans})[/]")


def print_trace_list(console: Console, traces: list[Trace]) -> None:
    table = Table(box=None, show_header=True, header_style="dim", pad_edge=False, padding=(0, 1))
    for col in ("trace_id", "root", "services", "spans", "duration", "errors", "start (UTC)"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for t in sorted(traces, key=lambda t: t.start_unix_nano, reverse=True):
        root = t.root
        started = utc(t.start_unix_nano, "%Y-%m-%d %H:%M:%S")
        table.add_row(
            escape(t.trace_id),
            escape(f"{root.service}/{root.name}" if root else "?"),
            escape(", ".join(t.services)),
            str(len(t.spans)),
            human(t.duration_ns),
            f"[red]{t.error_count}[/]" if t.error_count else "0",
            started,
        )
    console.print(table)
