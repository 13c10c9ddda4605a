"""The fleet table `check --prometheus-url` prints: worst offenders first, 80 columns wide."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from otdiag import redact
from otdiag.collector.fleet import FleetReport, Row

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


def rows(instances: Sequence[Row]) -> list[str]:
    """The table as plain lines (no markup; labels printable and scrubbed), each at most 80 characters."""
    out = [_HEAD]
    for r in instances[:MAX_ROWS]:
        queue = f"{r.queue_size / r.queue_capacity:.0%}" if r.queue_capacity else "-"
        out.append(
            f"  {_cut(redact.clean(r.instance), 19):<19} {_cut(redact.clean(r.tier) or '-', 10):<10}{_n(r.accepted):>9}"
            f"{_n(r.refused):>8}{_n(r.dropped):>8}{_n(r.send_failed):>8}{_n(r.enqueue_failed):>8}"
            f"{queue:>7}"
        )
    rest = instances[MAX_ROWS:]
    if rest:
        lossy = sum(1 for r in rest if r.refused + r.dropped + r.send_failed + r.enqueue_failed > 0)
        out.append(f"  … {len(rest)} more instance(s), {lossy} of them losing spans (--json lists all)")
    return out


def print_fleet(console: Console, fleet: FleetReport) -> None:
    """Every instance name and tier comes from Prometheus labels: they become `Text`, never markup."""
    n = len(fleet.instances)
    console.print(f"[bold]Collectors seen by Prometheus[/] ({n}, over {fleet.window_s:g}s, worst first)")
    for i, line in enumerate(rows(fleet.instances)):
        console.print(Text(redact.clean(line), style="dim" if i == 0 else ""))
    if fleet.test_span_path:
        hops = Text("  test span through: ")
        for n_hop, p in enumerate(fleet.test_span_path):
            if n_hop:
                hops.append(" ──▶ ")
            hops.append(redact.clean(p["tier"] or p["instance"]) + " ")
            hops.append(*(("✗", "bold red") if p["lost"] else ("✓", "green")))
        console.print(hops)
    console.print()
