"""validate-config's human view: findings by file, each with its code frame and fix, then the verdict."""

from __future__ import annotations

from otdiag import redact
from otdiag.model import Finding, Severity, order_findings
from otdiag.render.human import _SEV_STYLE, Console, escape, hang
from otdiag.validate.report import FileReport, ValidateResult

FileView = tuple[str, list[Finding], list[str]]
"""(path, its findings, its source lines as a code frame may show them)."""


def print_validate(console: Console, result: ValidateResult) -> None:
    """The report, then (--graph) each config's pipelines."""
    views = [view for file in result.files for view in file_views(file)]
    note = None
    if result.collector_version and any(f.collector_version for f in result.files):
        note = _release_note(result)
    print_config_files(console, views, strict=result.strict, note=note)
    for g in result.graphs or ():
        console.print()
        console.print(f"[bold]pipelines of {escape(g.path)}[/]")
        for line in g.rendered.splitlines():
            console.print(escape(line))


def _release_note(result: ValidateResult) -> str:
    """Which collector release the configs were checked against, and why that one."""
    at = f"checked against collector {result.collector_version}"
    binary, says = result.collector_binary, result.collector_binary_version
    if result.collector_version_from == "binary" and binary:
        if says == result.collector_version:
            return f"{at}, as {binary} --version says"
        return f"{at}, the nearest otdiag knows to {binary}'s {says}"
    if result.collector_version_from == "--collector-version":
        return f"{at} (--collector-version)"
    if binary:
        return f"{at}, the newest otdiag knows ({binary} --version names no collector release)"
    return f"{at}, the newest known (see --collector-version)"


def file_views(file: FileReport) -> list[FileView]:
    """What to show of a file: with --merge, each merged file with its own findings and lines."""
    scrub = redact.Scrubber(file.secrets)

    def shown(source: str) -> list[str]:
        return [scrub(line) for line in redact.config_lines(source.splitlines())]

    if not file.merged_sources:
        return [(file.path, list(file.findings), shown(file.source))]
    sources = dict(file.merged_sources)
    views: list[FileView] = []
    for path, src in sources.items():
        mine = [f for f in file.findings if f.location and f.location.file == path]
        views.append((path, mine, shown(src)))
    rest = [f for f in file.findings if not (f.location and f.location.file in sources)]
    if rest:
        views.append((file.path, rest, []))
    return views


TAB_SHOWN = "→"
"""A tab in a code frame: visible, and one column wide like the tab the parser counted."""


def code_frame(source_lines: list[str], line: int, column: int, width: int = 160) -> list[str]:
    """The offending line with a caret under the column: markup-escaped, printable, tabs shown as →, and
    cut to `width` characters around the column (… marks a cut)."""
    if line == len(source_lines) + 1 and line > 1:
        # The parser ran into the end of the file (an unclosed bracket): the last line, then the end.
        return [*code_frame(source_lines, line - 1, 1, width)[:1], *code_frame([*source_lines, ""], line, 1, width)]
    if not 1 <= line <= len(source_lines):
        return []
    text = redact.printable(source_lines[line - 1].replace("\t", TAB_SHOWN))
    width = max(width, 10)
    column = min(max(column, 1), len(text) + 1)
    if len(text) > width:
        start = max(0, column - width // 2)
        if start + width - 1 >= len(text):  # the window reaches the end: only a leading …
            start = len(text) - (width - 1)
            shown = "…" + text[start:]
        else:  # … on either side that is cut
            shown = ("…" if start else "") + text[start : start + width - (2 if start else 1)] + "…"
        text = shown
        column = column - start + (1 if start else 0)
    gutter = f"{line:>5} │ "
    return [f"[dim]{gutter}[/]{escape(text)}", " " * len(gutter) + " " * max(column - 1, 0) + "[bold]^[/]"]


def print_config_files(
    console: Console, files: list[FileView], *, strict: bool = False, note: str | None = None
) -> None:
    """Findings grouped by file, each with its code frame, colour by severity, and its fix; `note`
    (which collector release was checked against) just above the verdict."""
    totals = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    for path, findings, lines in files:
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        mark = "[bold red]✗[/]" if errors else "[bold green]✓[/]"
        hang(console, f"{mark} ", f"[bold]{escape(path)}[/]")
        for f in order_findings(findings):
            totals[f.severity] += 1
            _print_finding(console, f, lines)
        console.print()
    if note:
        hang(console, "", f"[dim]{escape(note)}[/]")
    e, w, i = totals[Severity.ERROR], totals[Severity.WARNING], totals[Severity.INFO]
    n = len(files)
    failed = e > 0 or (strict and w > 0)
    head = "[bold red]invalid[/]" if failed else "[bold green]valid[/]"
    hang(
        console,
        "",
        f"{head}: {n} file{'s' if n != 1 else ''}, {e} error{'s' if e != 1 else ''}, "
        f"{w} warning{'s' if w != 1 else ''}, {i} note{'s' if i != 1 else ''}"
        + (" (--strict: warnings fail)" if strict and w and not e else ""),
    )


def _print_finding(console: Console, f: Finding, lines: list[str]) -> None:
    sym, style = _SEV_STYLE[f.severity]
    where = f"{f.location.line}:{f.location.column} " if f.location else ""
    hang(console, f"  [{style}]{sym} {f.severity.value}[/] [dim]{where}[/]", f"{escape(f.message)} [dim]({f.code})[/]")
    if f.location:
        # The frame's line fits the console: 4 columns of indent, 8 of gutter.
        for row in code_frame(lines, f.location.line, f.location.column, console.width - 12):
            console.print("    " + row)
    for ev in f.evidence[:3]:
        hang(console, "    [dim]·[/] ", f"[dim]{escape(ev)}[/]")
    hang(console, "    [bold]fix:[/] ", escape(f.hint))
