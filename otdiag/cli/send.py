"""`otdiag send-test-span`: can my app reach the collector, over this protocol, with these credentials?"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Protocol

if TYPE_CHECKING:
    from otdiag.app import export_settings
    from otdiag.app.export_settings import Settings


def _check_load(count: int, rate: float | None, batch_size: int, concurrency: int) -> None:
    if count < 1:
        raise UsageError(f"--count: {count} must be at least 1")
    if rate is not None and (not math.isfinite(rate) or rate <= 0):
        raise UsageError(f"--rate: {rate:g} must be a positive number of spans per second")
    if batch_size < 1 or concurrency < 1 or concurrency > 64:
        raise UsageError("--batch-size must be at least 1 and --concurrency between 1 and 64")


def send_test_span(
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            "--otlp-endpoint",
            metavar="ENDPOINT",
            help="OTLP endpoint: URL or host:port (HTTP: http:// assumed; a base URL gets /v1/traces appended; "
            "gRPC: [http(s)://]host:port).",
        ),
    ] = None,
    protocol: Annotated[Protocol | None, typer.Option(help="grpc, http/protobuf or http/json.")] = None,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", metavar="NAME=VALUE", help=common.HEADER_HELP),
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
    compression: Annotated[str | None, typer.Option(metavar="gzip|none", help="Compress the export body.")] = None,
    service_name: Annotated[
        str, typer.Option("--service-name", "--service", metavar="NAME", help="service.name of the test span.")
    ] = "otdiag",
    span_name: Annotated[str, typer.Option(metavar="NAME", help="Name of the test span.")] = "otdiag-test-span",
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
    wait: Annotated[
        str,
        typer.Option(help="With --verify: how long the trace may take to show up in Jaeger.", metavar=common.DURATION),
    ] = "30s",
    verify_wait: Annotated[
        str | None, typer.Option("--verify-wait", hidden=True, help="Deprecated: --wait.", metavar=common.DURATION)
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(
            help="How long to wait for the receiver (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 10s).",
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
        from otdiag.app import export_settings
        from otdiag.otlp import sender
        from otdiag.render import human
        from otdiag.render.send import print_send

        timeout_s = common.timeout(timeout) if timeout is not None else None
        verify_s = _verify_wait(wait, verify_wait)
        _check_load(count, rate, batch_size, concurrency)
        if compression is not None and compression not in ("gzip", "none"):
            raise UsageError(f"--compression: {compression!r} must be gzip or none")
        flags = export_settings.Flags(
            endpoint=endpoint,
            protocol=protocol,
            headers=common.parse_headers(header) or None,
            insecure=insecure or None,
            ca_file=common.readable_file(ca_file, "--ca-file"),
            cert_file=common.readable_file(cert_file, "--cert-file"),
            key_file=common.readable_file(key_file, "--key-file"),
            timeout=timeout_s,
            compression=compression,
        )
        if (cert_file is None) != (key_file is None):
            raise UsageError("--cert-file and --key-file go together (mTLS needs both)")
        settings = _resolve(flags)
        jaeger = None
        if jaeger_url or os.environ.get("OTDIAG_JAEGER_URL") or verify:
            jaeger = common.jaeger_url_option(jaeger_url)
        if verify and count > 1:
            raise UsageError("--verify checks one test span; it does not go with --count")
        if explain:
            return common.emit(sender.explain(settings), as_json=as_json, render=print_send)
        resources = common.pairs(resource_attribute, "--resource-attribute")
        attributes = common.pairs(attribute, "--attribute")
        req = sender.SendRequest(
            settings,
            service_name=service_name,
            span_name=span_name,
            attributes=attributes,
            resource_attributes=resources,
            child=child,
            count=count,
            rate=rate,
            batch_size=batch_size,
            concurrency=concurrency,
            jaeger=jaeger,
            verify=verify,
            verify_wait_s=verify_s,
        )
        spinner = human.Spinner(human.make_console(stderr=True))
        doing = f"sending {count} spans" if count > 1 else f"exporting a test span to {settings.target}"
        with spinner.running(doing):
            result = sender.send_test_span(req, spinner)
        return common.emit(result, as_json=as_json, render=print_send)

    common.run(body)


def _verify_wait(wait: str, deprecated: str | None) -> float:
    """--wait; --verify-wait, its old name, still works (hidden from the help, with a note on stderr)."""
    if deprecated is None:
        return common.duration(wait, "--wait")
    import sys

    sys.stderr.write("otdiag: --verify-wait is now --wait (the name check and find-trace use)\n")
    return common.duration(deprecated, "--verify-wait")


def _resolve(flags: export_settings.Flags) -> Settings:
    """The settings from the flags and the environment, with every certificate file present."""
    from otdiag.app import export_settings

    settings = export_settings.resolve(flags, os.environ)
    for path, origin in (
        (settings.ca_file, "ca_file"),
        (settings.cert_file, "cert_file"),
        (settings.key_file, "key_file"),
    ):
        if path and not Path(path).is_file():
            raise UsageError(f"{settings.sources.get(origin, origin)}: {path} does not exist")
    return settings
