"""`otdiag send-test-span`: can my app reach the collector, over this protocol, with these credentials?"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from otdiag import catalogue, redact
from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Protocol, Report
from otdiag.render import human


def parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option}: {key.strip() or item!r} must be written KEY=VALUE")
        out[key.strip()] = value
    return out


def jaeger_link(jaeger_url: str | None, trace_id: str) -> str | None:
    return f"{jaeger_url.rstrip('/')}/trace/{trace_id}" if jaeger_url else None


BASIC_FROM_URL = f"Basic {redact.REDACTED} (built from the URL's user info)"


def shown_headers(s: Any) -> dict[str, str]:
    """The headers as they may be shown: values redacted; for an HTTP URL with user info, the
    Authorization: Basic header the client builds from it, named but never with its value."""
    from urllib.parse import urlsplit

    shown = redact.headers(s.headers)
    if s.protocol.is_http and "authorization" not in shown and "@" in urlsplit(s.url).netloc:
        shown["authorization"] = BASIC_FROM_URL
    return shown


def settings_json(s: Any) -> dict[str, Any]:
    return {
        "endpoint": redact.url(s.url) if s.protocol.is_http else s.target,
        "protocol": s.protocol.value,
        "tls": "on" if s.secure else "off",
        "headers": shown_headers(s),
        "ca_file": s.ca_file,
        "cert_file": s.cert_file,
        "timeout_s": s.timeout,
        "compression": s.compression,
        "sources": s.sources,
    }


def print_settings(console: human.Console, s: Any) -> None:
    rows = [
        ("endpoint", redact.url(s.url) if s.protocol.is_http else s.target, s.sources.get("endpoint", "")),
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
        console.print(f"  {name:<10} {human.escape(value)}  [dim]{human.escape(source)}[/]")


def send_test_span(
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            "--otlp-endpoint",
            help="OTLP endpoint. HTTP: a base URL gets /v1/traces appended; gRPC: [http(s)://]host:port.",
        ),
    ] = None,
    protocol: Annotated[Protocol | None, typer.Option(help="grpc, http/protobuf or http/json.")] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", help="NAME=VALUE request header (repeatable).")
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option(help="Plaintext for a gRPC endpoint without scheme (like OTEL_EXPORTER_OTLP_INSECURE)."),
    ] = False,
    ca_file: Annotated[
        str | None, typer.Option(help="CA certificate (PEM) that signed the receiver's certificate.")
    ] = None,
    cert_file: Annotated[str | None, typer.Option(help="Client certificate (PEM) for mTLS.")] = None,
    key_file: Annotated[str | None, typer.Option(help="Client private key (PEM) for mTLS.")] = None,
    compression: Annotated[str | None, typer.Option(help="gzip or none.")] = None,
    service_name: Annotated[
        str, typer.Option("--service-name", "--service", help="service.name of the test span.")
    ] = "otdiag",
    span_name: Annotated[str, typer.Option(help="Name of the test span.")] = "otdiag-test-span",
    attribute: Annotated[list[str] | None, typer.Option("--attribute", help="KEY=VALUE span attribute.")] = None,
    resource_attribute: Annotated[
        list[str] | None, typer.Option("--resource-attribute", help="KEY=VALUE resource attribute.")
    ] = None,
    child: Annotated[bool, typer.Option(help="Send a parent span with one child span.")] = False,
    count: Annotated[int, typer.Option(help="Load run: send this many spans in batches.")] = 1,
    rate: Annotated[
        float | None, typer.Option(help="Load run: spans per second (default: as fast as accepted).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Load run: spans per export request.")] = 512,
    concurrency: Annotated[int, typer.Option(help="Load run: export requests in flight.")] = 4,
    jaeger_url: Annotated[
        str | None,
        typer.Option(help="Jaeger's query URL, to print the trace's link (default: OTDIAG_JAEGER_URL)."),
    ] = None,
    verify: Annotated[
        bool, typer.Option(help="Wait until the trace is queryable in Jaeger (default URL http://localhost:16686).")
    ] = False,
    verify_wait: Annotated[str, typer.Option(help="With --verify: how long to wait for the trace.")] = "30s",
    timeout: Annotated[
        float | None,
        typer.Option(
            help="How long to wait for the receiver (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 10s).",
            parser=common.seconds,
            metavar=common.DURATION,
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option(help="Only show how the settings resolve, and where each came from.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Emit a test span over OTLP and report exactly what the receiver said.

    Settings come from the flags, else from the OTEL_EXPORTER_OTLP_* variables with the
    specification's rules, else from localhost defaults.

    Examples:

    \b
      otdiag send-test-span --endpoint http://localhost:4318
      otdiag send-test-span --protocol grpc --endpoint https://collector:4317 \\
          --ca-file ca.pem
      otdiag send-test-span --count 100000 --json
    """

    def body() -> ExitCode:
        from otdiag import otel_env, send

        if timeout is not None:
            common.check_timeout(timeout)
        if count < 1:
            raise UsageError(f"--count: {count} must be at least 1")
        if rate is not None and (not math.isfinite(rate) or rate <= 0):
            raise UsageError(f"--rate: {rate:g} must be a positive number of spans per second")
        if batch_size < 1 or concurrency < 1 or concurrency > 64:
            raise UsageError("--batch-size must be at least 1 and --concurrency between 1 and 64")
        if compression is not None and compression not in ("gzip", "none"):
            raise UsageError(f"--compression: {compression!r} must be gzip or none")
        flags = otel_env.Flags(
            endpoint=endpoint,
            protocol=protocol,
            headers=common.parse_headers(header) or None,
            insecure=insecure or None,
            ca_file=common.readable_file(ca_file, "--ca-file"),
            cert_file=common.readable_file(cert_file, "--cert-file"),
            key_file=common.readable_file(key_file, "--key-file"),
            timeout=timeout,
            compression=compression,
        )
        if (cert_file is None) != (key_file is None):
            raise UsageError("--cert-file and --key-file go together (mTLS needs both)")
        settings = otel_env.resolve(flags, os.environ)
        for path, origin in (
            (settings.ca_file, "ca_file"),
            (settings.cert_file, "cert_file"),
            (settings.key_file, "key_file"),
        ):
            if path and not Path(path).is_file():
                raise UsageError(f"{settings.sources.get(origin, origin)}: {path} does not exist")
        from otdiag import durations

        jaeger = None
        if jaeger_url or os.environ.get("OTDIAG_JAEGER_URL") or verify:
            jaeger = common.jaeger_url_option(jaeger_url)
        verify_s = durations.parse(verify_wait, "--verify-wait")
        if verify and count > 1:
            raise UsageError("--verify checks one test span; it does not go with --count")
        notes = [catalogue.SETTINGS_NOTE(n) for n in settings.notes]

        if explain:
            report = Report("send-test-span", notes, {"settings": settings_json(settings)})

            def render_explain(console: human.Console, rep: Report) -> None:
                console.print("[bold]Resolved OTLP trace-export settings[/]")
                print_settings(console, settings)
                if rep.findings:
                    console.print()
                    human.print_findings(console, rep.findings)

            return common.emit(report, as_json=as_json, render=render_explain)

        resources = parse_pairs(resource_attribute, "--resource-attribute")
        attrs = parse_pairs(attribute, "--attribute")
        spinner = human.Spinner(human.make_console(stderr=True))
        if count > 1:
            with spinner.running(f"sending {count} spans"):
                load = send.send_load(
                    settings,
                    count,
                    service_name=service_name,
                    span_name=span_name,
                    attributes=attrs,
                    resource_attributes=resources,
                    batch_size=batch_size,
                    concurrency=concurrency,
                    rate=rate,
                    progress=spinner,
                )
            fields = {
                **_common_fields(settings, None, None, jaeger),
                "sent": load.sent,
                "accepted": load.accepted,
                "rejected": load.rejected,
                "failed": load.failed,
                "duration_ms": round(load.duration_s * 1000, 1),
                "spans_per_second": round(load.spans_per_second, 1),
            }
            report = Report("send-test-span", [*notes, *load.findings], fields)
            return common.emit(report, as_json=as_json, render=_render_load)

        from otdiag.otlp.encode import SpanSpec  # the SDK: a single test span needs it, a load run does not

        spec = SpanSpec(service_name, span_name, attrs, resources, child)
        with spinner.running(f"exporting a test span to {settings.target}"):
            out = send.send_one(settings, spec)
        verified: dict[str, Any] = {}
        findings = [*out.findings, *notes]
        if verify and jaeger and out.accepted:
            with spinner.running(f"waiting for trace {out.trace_id} in Jaeger"):
                verified, extra = _verify(jaeger, out.trace_id, verify_s, settings.timeout, spinner)
            findings.extend(extra)
        fields = {
            **_common_fields(settings, out.trace_id, out.span_id, jaeger),
            "sent": out.sent,
            "accepted": out.accepted,
            "rejected": out.rejected,
            "duration_ms": round(out.duration_ms, 1),
            "receiver": None
            if out.result is None
            else {
                "status": out.result.status,
                "message": out.result.message,
            },
            **verified,
        }
        report = Report("send-test-span", findings, fields)
        return common.emit(report, as_json=as_json, render=lambda c, r: _render_one(c, r, settings))

    common.run(body)


def _verify(
    jaeger: str, trace_id: str, wait_s: float, timeout: float, progress: Any
) -> tuple[dict[str, Any], list[Any]]:
    """Poll Jaeger for the test trace: the find-trace core, bounded by `wait_s`."""
    from otdiag.find import find, jaeger_failure
    from otdiag.jaeger_api import JaegerClient, JaegerError
    from otdiag.transport import TransportError

    client = JaegerClient(jaeger, timeout=min(timeout, 5.0))
    try:
        found = find(client, trace_id, wait_s=wait_s, progress=progress)
    except (TransportError, JaegerError) as exc:
        return {"verified": False, "time_to_visible_ms": None}, [jaeger_failure(jaeger, exc)]
    if found.fetched is None:
        f = catalogue.TRACE_NOT_VISIBLE(
            f"The receiver accepted trace {trace_id}, but Jaeger at {jaeger} did not show it within {wait_s:g}s.",
            target=jaeger,
        )
        return {"verified": False, "time_to_visible_ms": None}, [f]
    return {"verified": True, "time_to_visible_ms": round(found.waited_ms, 1)}, []


def _common_fields(settings: Any, trace_id: str | None, span_id: str | None, jaeger: str | None) -> dict[str, Any]:
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "endpoint": redact.url(settings.url) if settings.protocol.is_http else settings.target,
        "protocol": settings.protocol.value,
        "jaeger_link": jaeger_link(jaeger, trace_id) if trace_id else None,
        "settings": settings_json(settings),
    }


def _render_one(console: human.Console, report: Report, settings: Any) -> None:
    f = report.fields
    if report.ok:
        console.print(
            f"[bold green]✓ Accepted[/] by {human.escape(f['endpoint'])} ({f['protocol']}) "
            f"in {f['duration_ms']:.0f} ms: {f['accepted']} span(s)"
        )
    else:
        console.print(f"[bold red]✗ Not accepted[/] by {human.escape(f['endpoint'])} ({f['protocol']})")
    console.print(f"  trace_id   {f['trace_id']}")
    console.print(f"  span_id    {f['span_id']}")
    if f.get("jaeger_link"):
        console.print(f"  jaeger     {human.escape(f['jaeger_link'])}")
    if f.get("verified"):
        console.print(f"  [green]✓ visible in Jaeger[/] after {f['time_to_visible_ms'] / 1000:.2f}s")
    print_settings(console, settings)
    if report.findings:
        console.print()
        human.print_findings(console, report.findings)


def _render_load(console: human.Console, report: Report) -> None:
    f = report.fields
    mark = "[bold green]✓[/]" if report.ok else "[bold red]✗[/]"
    console.print(
        f"{mark} sent {f['sent']} spans to {human.escape(f['endpoint'])} ({f['protocol']}): "
        f"{f['accepted']} accepted, {f['rejected']} rejected, {f['failed']} failed "
        f"in {f['duration_ms'] / 1000:.2f}s ({f['spans_per_second']:.0f} spans/s)"
    )
    if report.findings:
        console.print()
        human.print_findings(console, report.findings)
