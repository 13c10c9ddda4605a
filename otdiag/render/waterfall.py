"""A trace as a waterfall: the span tree, one row per span, bars on a shared time axis."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.text import Text

from otdiag import redact
from otdiag.durations import human
from otdiag.jaeger.trace import Span, Trace
from otdiag.render.human import Console, escape, hang, plural

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


BAR_MIN = 10
"""The timeline never gets narrower than this; the other columns give way first."""
NAME_MIN = 16


def _bar(span: Span, t0: int, total: int, width: int = BAR) -> str:
    if total <= 0:
        return "█" + " " * (width - 1)
    start = int((span.start_unix_nano - t0) / total * width)
    size = max(1, round(span.duration_ns / total * width))
    start = min(max(0, start), width - 1)
    size = min(size, width - start)
    return " " * start + "█" * size + " " * (width - start - size)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells, ending in … when cut; padded to exactly `width`.

    The text is scrubbed and made printable first: rows are Text objects, which no markup guard sees.
    """
    if width <= 0:
        return ""
    text = redact.clean(text)
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…" + " " * (width - 1 - cell_len(out))


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
    err = f"[bold red]✗ {plural(errors, 'error')}[/]" if errors else "0 errors"
    root = trace.root
    root_txt = f" · root {escape(root.service)}/{escape(root.name)}" if root else ""
    return (
        f"[bold]trace {escape(trace.trace_id)}[/]{root_txt} · {plural(len(trace.spans), 'span')} · "
        f"{plural(len(trace.services), 'service')} · {human(trace.duration_ns)} · {err} · started {started} UTC"
    )


@dataclass(frozen=True)
class _Layout:
    """Column widths for one console width; a width of 0 means the column gave way."""

    name: int
    service: int
    kind: int
    bar: int
    start: int
    duration: int
    status: int


_GAP = 1
_MARK = 2
"""`✗ ` before an error span's name (or two spaces): errors stay visible without colour."""


def layout(width: int, longest_name: int, longest_service: int) -> _Layout:
    """Columns give way by priority: name, timeline and duration stay; service, start, kind and status go.

    The timeline takes whatever width is left, so it grows on a wide terminal.
    """
    name = min(longest_name, max(NAME_MIN, int(width * 0.35)))
    duration = 8
    avail = width - _MARK - name - _GAP - duration - _GAP
    if avail < BAR_MIN:  # very narrow: the name gives way down to its minimum
        name = max(NAME_MIN, name - (BAR_MIN - avail))
        avail = width - _MARK - name - _GAP - duration - _GAP
    widths = {
        "service": min(max(longest_service, 7), max(8, int(width * 0.15)), 24),
        "start": 9,
        "kind": 8,
        "status": 6,
    }
    chosen: dict[str, int] = {}
    for col, w in widths.items():
        if avail - (w + _GAP) >= BAR_MIN + 8:
            chosen[col] = w
            avail -= w + _GAP
    return _Layout(
        name,
        chosen.get("service", 0),
        chosen.get("kind", 0),
        max(BAR_MIN, avail),
        chosen.get("start", 0),
        duration,
        chosen.get("status", 0),
    )


def _cells(lay: _Layout, values: dict[str, tuple[str, str]]) -> Text:
    """One row: each column's (text, style) fitted to its width, in display order."""
    line = Text(no_wrap=True, overflow="crop")
    mark, mark_style = values.get("mark", ("", ""))
    line.append(fit(mark, _MARK), mark_style)
    for col in ("name", "service", "kind", "bar", "start", "duration", "status"):
        w = getattr(lay, col)
        if not w:
            continue
        text, style = values.get(col, ("", ""))
        if col != "name":
            line.append(" " * _GAP)
        line.append(fit(text, w).rstrip().rjust(w) if col in ("start", "duration") else fit(text, w), style)
    line.rstrip()
    return line


def print_trace(console: Console, trace: Trace, *, max_spans: int = 200, verbose: bool = False) -> None:
    console.print(summary_line(trace))
    shown_rows = list(itertools.islice(rows(trace), max_spans + max_spans // 4 + 1))
    longest = max((2 * r.depth + cell_len(r.span.name if r.span else r.label) for r in shown_rows), default=4)
    longest_service = max((cell_len(r.span.service) for r in shown_rows if r.span), default=7)
    lay = layout(console.width, max(longest, 4), longest_service)
    console.print(
        _cells(
            lay,
            {
                k: (k if k != "bar" else "timeline", "dim")
                for k in ("name", "service", "kind", "bar", "start", "duration", "status")
            }
            | {"name": ("span", "dim"), "duration": ("duration", "dim")},
        )
    )
    t0, total = trace.start_unix_nano, trace.duration_ns
    shown = 0
    for row in shown_rows:
        if shown >= max_spans:
            break
        indent = "  " * row.depth
        if row.span is None:
            console.print(_cells(lay, {"name": (indent + row.label, "dim")}))
            continue
        s = row.span
        error = s.status == "error"
        console.print(
            _cells(
                lay,
                {
                    "mark": ("✗" if error else "", "bold red"),
                    "name": (indent + s.name, "bold red" if error else ""),
                    "service": (s.service, ""),
                    "kind": (s.kind, "dim"),
                    "bar": (_bar(s, t0, total, lay.bar), "red" if error else "cyan"),
                    "start": (f"+{human(s.start_unix_nano - t0)}", ""),
                    "duration": (human(s.duration_ns), ""),
                    "status": ({"error": "error", "ok": "ok"}.get(s.status, "-"), "bold red" if error else "dim"),
                },
            )
        )
        shown += 1
        if verbose:
            pad = " " * _MARK + indent + "  "
            room = max(20, console.width - cell_len(pad))
            for key, value in list(s.attributes.items())[:12]:
                console.print(Text(pad + fit(f"{key}={value}", room).rstrip(), "dim", no_wrap=True))
            if s.status_message:
                console.print(Text(pad + fit(s.status_message, room).rstrip(), "red", no_wrap=True))
    if len(trace.spans) > shown >= max_spans:
        console.print(f"[dim]… {len(trace.spans) - shown} more spans not shown (--max-spans {max_spans})[/]")


def print_trace_list(console: Console, traces: list[Trace]) -> None:
    """Search results as Jaeger's search page lists them, newest first.

    Nothing that tells traces apart is dropped or cut: the full trace ID, start, spans, errors and
    duration, the root operation and the services. When the root and the services do not fit on the
    row whole, they go on a line of their own under it, wrapped between words.
    """
    ordered = sorted(traces, key=lambda t: t.start_unix_nano, reverse=True)
    days = {utc(t.start_unix_nano, "%Y-%m-%d") for t in ordered}
    time_fmt = "%H:%M:%S" if len(days) == 1 else "%m-%d %H:%M:%S"
    time_w = 8 if len(days) == 1 else 14
    numbers = [("spans", 6), ("errors", 6), ("duration", 9)]
    fixed = 32 + 1 + time_w + sum(1 + w for _, w in numbers)
    roots = [redact.clean(_root(t)) for t in ordered]
    services = [redact.clean(", ".join(t.services)) for t in ordered]
    root_w = max([cell_len(r) for r in roots] + [4])
    services_w = max([cell_len(x) for x in services] + [8])
    one_line = fixed + 1 + root_w + 1 + services_w <= console.width
    # Below `fixed` columns the counts join the second line, so the ID and the start always fit.
    counts_inline = fixed <= console.width

    def row(cells: list[tuple[str, int, str, bool]]) -> Text:
        line = Text(no_wrap=True, overflow="crop")
        for i, (text, width, style, right) in enumerate(cells):
            if i:
                line.append(" ")
            cell = fit(text, width)
            line.append(cell.strip().rjust(width) if right else cell, style)
        line.rstrip()
        return line

    head: list[tuple[str, int, str, bool]] = [("trace id", 32, "dim", False), ("start", time_w, "dim", False)]
    if counts_inline:
        head += [(name, w, "dim", True) for name, w in numbers]
    if one_line:
        head += [("root", root_w, "dim", False), ("services", services_w, "dim", False)]
    console.print(row(head))
    if not one_line:
        under = "root operation · services" if counts_inline else "spans, errors, duration · root operation · services"
        console.print(Text("    " + under, style="dim"))
    for t, root, svc in zip(ordered, roots, services, strict=True):
        errors = t.error_count
        cells = [(t.trace_id, 32, "", False), (utc(t.start_unix_nano, time_fmt), time_w, "", False)]
        if counts_inline:
            cells += [
                (f"{len(t.spans):,}", 6, "", True),
                (f"✗ {errors}" if errors else "0", 6, "bold red" if errors else "dim", True),
                (human(t.duration_ns), 9, "", True),
            ]
        if one_line:
            cells += [(root, root_w, "", False), (svc, services_w, "dim", False)]
        console.print(row(cells))
        if one_line:
            continue
        counts = "" if counts_inline else (
            f"{plural(len(t.spans), 'span')}, {'✗ ' if errors else ''}{plural(errors, 'error')}, "
            f"{human(t.duration_ns)} · "
        )  # fmt: skip
        hang(console, "    ", f"{escape(counts)}{escape(root)} [dim]· {escape(svc)}[/]")
    day = f" (UTC, {next(iter(days))})" if len(days) == 1 else " (UTC)"
    console.print(f"[dim]start times{day}[/]")


def _root(t: Trace) -> str:
    root = t.root
    return f"{root.service}: {root.name}" if root else "(no root span)"
