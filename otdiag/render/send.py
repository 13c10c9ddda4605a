"""send-test-span's human view: the receiver's answer, a load run's counts, the resolved settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from otdiag.app.export_settings import Settings, shown_endpoint, shown_headers
from otdiag.render import human

if TYPE_CHECKING:
    from otdiag.otlp.sender import LoadOutcome, Outcome, SendResult


def print_settings(console: human.Console, s: Settings) -> None:
    """One row per setting, with where it came from (dim)."""
    rows = [
        ("endpoint", shown_endpoint(s), s.sources.get("endpoint", "")),
        ("protocol", s.protocol.value, s.sources.get("protocol", "")),
        ("tls", "on" if s.secure else "off (plaintext)", s.sources.get("tls", "")),
    ]
    if shown_headers(s):
        shown = ", ".join(f"{k}={v}" for k, v in shown_headers(s).items())
        rows.append(("headers", shown, s.sources.get("headers", "")))
    if s.ca_file or s.cert_file:
        rows.append(("certs", f"ca={s.ca_file or '-'} cert={s.cert_file or '-'} key={s.key_file or '-'}", ""))
    rows.append(("timeout", f"{s.timeout:g}s", s.sources.get("timeout", "")))
    if s.compression != "none":
        rows.append(("compression", s.compression, s.sources.get("compression", "")))
    for name, value, source in rows:
        human.hang(console, f"  {name:<10} ", f"{human.escape(value)}  [dim]{human.escape(source)}[/]")


def print_send(console: human.Console, result: SendResult) -> None:
    """The view of whichever mode ran: settings explained, one test span, or a load run."""
    from otdiag.otlp.sender import LoadOutcome

    if result.sent is None:
        console.print("[bold]Resolved OTLP trace-export settings[/]")
        print_settings(console, result.settings)
    elif isinstance(result.sent, LoadOutcome):
        _print_load(console, result, result.sent)
    else:
        _print_one(console, result, result.sent)
    if result.findings:
        console.print()
        human.print_findings(console, list(result.findings))


def _print_one(console: human.Console, result: SendResult, out: Outcome) -> None:
    s = result.settings
    where = f"{human.escape(shown_endpoint(s))} ({s.protocol.value})"
    ms = round(out.duration_ms, 1)
    v = result.verification
    if result.ok:
        human.hang(
            console, "[bold green]✓[/] ", f"[bold green]Accepted[/] by {where} in {ms:.0f} ms: {out.accepted} span(s)"
        )
    elif out.accepted and out.rejected == 0 and v is not None and not v.visible:
        # The headline is the verdict of the findings below: the receiver took it, Jaeger did not show it.
        human.hang(
            console,
            "[bold red]✗[/] ",
            f"[bold red]Not visible in Jaeger[/]: accepted by {where} in {ms:.0f} ms, never shown",
        )
    else:
        human.hang(console, "[bold red]✗[/] ", f"[bold red]Not accepted[/] by {where}")
    console.print(f"  trace_id   {out.trace_id}")
    console.print(f"  span_id    {out.span_id}")
    if result.link:
        console.print(f"  jaeger     {human.escape(result.link)}", soft_wrap=True)  # a URL is never folded
    if v is not None and v.visible and v.time_to_visible_ms is not None:
        console.print(f"  [green]✓ visible in Jaeger[/] after {v.time_to_visible_ms / 1000:.2f}s")
    print_settings(console, s)


def _print_load(console: human.Console, result: SendResult, load: LoadOutcome) -> None:
    mark = "[bold green]✓[/]" if result.ok else "[bold red]✗[/]"
    s = result.settings
    seconds = round(load.duration_s * 1000, 1) / 1000  # the JSON's rounding, so both views agree
    human.hang(
        console,
        f"{mark} ",
        f"sent {load.sent} spans to {human.escape(shown_endpoint(s))} ({s.protocol.value}): "
        f"{load.accepted} accepted, {load.rejected} rejected, {load.failed} failed "
        f"in {seconds:.2f}s ({round(load.spans_per_second, 1):.0f} spans/s)",
    )
