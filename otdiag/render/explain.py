"""The human view of `otdiag explain CODE`."""

from __future__ import annotations

from otdiag.explain import ExplainResult
from otdiag.render.human import Console, escape, hang


def print_explain(console: Console, result: ExplainResult) -> None:
    where = f"{result.severity}, stage {result.stage}"
    if result.guide_title:
        where += f", under \u201c{result.guide_title}\u201d"
    console.print(f"[bold]{escape(result.code)}[/] [dim]({escape(where)})[/]")
    console.print()
    hang(console, "[bold]Means:[/]   ", escape(result.meaning))
    if result.causes:
        console.print("[bold]Causes:[/]")
        for cause in result.causes:
            hang(console, "  - ", escape(cause))
    if result.confirm:
        hang(console, "[bold]Confirm:[/] ", escape(result.confirm))
    hang(console, "[bold]Fix:[/]     ", escape(result.fix))


def print_codes(console: Console, codes: list[tuple[str, str]]) -> None:
    for code, meaning in codes:
        hang(console, f"{escape(code)}  ", f"[dim]{escape(meaning)}[/]")
