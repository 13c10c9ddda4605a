"""The fleet table `check --prometheus-url` prints: worst offenders first, 80 columns wide."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

MAX_ROWS = 20
_HEAD = (
    f"  {'instance':<19} {'tier':<10}{'accepted':>9}{'refused':>8}{'dropped':>8}{'failed':>8}{'q-full':>8}{'queue':>7}"
)


def _n(v: float) -> str:
    if v < 1000:
        return f"{v:.0f}"
    if v < 1_000_000:
        return f"{v / 1000:.1f}k"
    return f"{v / 1_000_000:.1f}M"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def rows(fleet: dict[str, Any]) -> list[str]:
    """The table as plain lines (no markup), each at most 80 characters."""
    out = [_HEAD]
    instances: list[dict[str, Any]] = fleet.get("instances") or []
    for r in instances[:MAX_ROWS]:
        cap = r["queue_capacity"]
        queue = f"{r['queue_size'] / cap:.0%}" if cap else "-"
        out.append(
            f"  {_cut(r['instance'], 19):<19} {_cut(r['tier'] or '-', 10):<10}{_n(r['accepted']):>9}"
            f"{_n(r['refused']):>8}{_n(r['dropped']):>8}{_n(r['send_failed']):>8}{_n(r['enqueue_failed']):>8}"
            f"{queue:>7}"
        )
    rest = instances[MAX_ROWS:]
    if rest:
        lossy = sum(1 for r in rest if r["refused"] + r["dropped"] + r["send_failed"] + r["enqueue_failed"] > 0)
        out.append(f"  … {len(rest)} more instance(s), {lossy} of them losing spans (--json lists all)")
    return out


def print_fleet(console: Console, fleet: dict[str, Any] | None) -> None:
    if not fleet:
        return
    n = len(fleet.get("instances") or [])
    console.print(f"[bold]Collectors seen by Prometheus[/] ({n}, over {fleet['window_s']:g}s, worst first)")
    for i, line in enumerate(rows(fleet)):
        console.print(f"[dim]{escape(line)}[/]" if i == 0 else escape(line))
    path = fleet.get("test_span_path") or []
    if path:
        hops = " ──▶ ".join(
            f"{p['tier'] or p['instance']} {'[bold red]✗[/]' if p['lost'] else '[green]✓[/]'}" for p in path
        )
        console.print(f"  test span through: {hops}")
    console.print()


_MARK = {"pass": "[green]✓[/]", "fail": "[bold red]✗[/]", "warn": "[yellow]![/]", "skip": "[dim]?[/]"}


def chain_paths(chain: dict[str, Any]) -> list[list[tuple[str, str, str]]]:
    """Every path from the first tier out of the chain: [(hop status, node, node status), ...]."""
    tiers = {t["name"]: t for t in chain["tiers"]}
    hops: list[dict[str, Any]] = chain["hops"]
    if not chain["tiers"]:
        return []
    paths: list[list[tuple[str, str, str]]] = []

    def walk(name: str, path: list[tuple[str, str, str]], seen: frozenset[str]) -> None:
        out = [h for h in hops if h["from"] == name]
        if not out:
            paths.append(path)
        for h in out:
            if h["to"] in tiers and h["to"] not in seen:
                walk(h["to"], [*path, (h["status"], h["to"], tiers[h["to"]]["status"])], seen | {h["to"]})
            else:
                paths.append([*path, (h["status"], h["to"], "")])

    head = chain["tiers"][0]
    walk(head["name"], [("", head["name"], head["status"])], frozenset({head["name"]}))
    return paths


def chain_lines(chain: dict[str, Any], app: str, jaeger: str) -> list[str]:
    """The chain as rich-markup lines, one per path: App ✓ ──▶ agent ✓ ─✓─▶ gateway ✗ ─?─▶ Jaeger ?"""
    lines = []
    for path in chain_paths(chain):
        cells = [f"App {_MARK[app]}"]
        for hop_status, node, node_status in path:
            arrow = " ──▶ " if not hop_status else f" ─{_MARK[hop_status]}─▶ "
            mark = _MARK[node_status or jaeger]
            cells.append(f"{arrow}{escape(node)} {mark}")
        lines.append("  " + "".join(cells))
    lost = chain.get("lost_at")
    if lost:
        hop = f", hop {lost['hop']}" if lost.get("hop") else ""
        lines.append(
            f"  [bold]lost in {escape(str(lost['tier']))}{escape(hop)}[/] [dim]({escape(str(lost['code']))})[/]"
        )
    return lines
