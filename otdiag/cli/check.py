"""`otdiag check`: the doctor for the whole pipeline."""

from __future__ import annotations

import os
from typing import Annotated
from urllib.parse import urlsplit

import typer

from otdiag.cli import common
from otdiag.endpoints import HostPort, host_port_of, http_url, with_port
from otdiag.errors import UsageError
from otdiag.model import ExitCode, Protocol
from otdiag.render import human


def _endpoints(otlp_endpoint: str | None, protocol: Protocol | None) -> tuple[HostPort, bool, str]:
    """gRPC target, its TLS, and the OTLP/HTTP traces URL, on the collector's host."""
    raw = otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4317"
    option = "--otlp-endpoint" if otlp_endpoint else "OTEL_EXPORTER_OTLP_ENDPOINT"
    base = http_url(raw, option=option)
    hp = host_port_of(base)
    given_port = urlsplit(base).port
    secure = base.startswith("https")
    if protocol is None:
        protocol = Protocol.HTTP_PROTOBUF if given_port == 4318 else Protocol.GRPC
    if protocol is Protocol.GRPC:
        grpc = HostPort(hp.host, given_port or 4317)
        http_traces = with_port(base, 4318, "/v1/traces")
    else:
        grpc = HostPort(hp.host, 4317)
        path = urlsplit(base).path.rstrip("/")
        http_traces = with_port(base, given_port or 4318, path + "/v1/traces")
    return grpc, secure, http_traces


def check(
    otlp_endpoint: Annotated[
        str | None,
        typer.Option(help="The collector's OTLP endpoint (default: OTEL_EXPORTER_OTLP_ENDPOINT, else localhost)."),
    ] = None,
    protocol: Annotated[
        Protocol | None,
        typer.Option(help="The protocol your app exports with (default: OTEL_EXPORTER_OTLP_PROTOCOL)."),
    ] = None,
    jaeger_url: Annotated[
        str | None,
        typer.Option(help="Jaeger's query URL (default: OTDIAG_JAEGER_URL, else http://localhost:16686)."),
    ] = None,
    collector_health_url: Annotated[
        str | None,
        typer.Option(help="The collector's health endpoint (default: port 13133 on the collector's host)."),
    ] = None,
    header: Annotated[
        list[str] | None,
        typer.Option("--header", help="NAME=VALUE sent with every OTLP request (repeatable)."),
    ] = None,
    insecure: Annotated[bool, typer.Option(help="Do not verify TLS certificates.")] = False,
    ca_file: Annotated[str | None, typer.Option(help="CA certificate (PEM) to verify TLS servers with.")] = None,
    timeout: Annotated[float, typer.Option(help=common.TIMEOUT_HELP)] = 5.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Probe every hop (App -> SDK -> Collector -> Jaeger) and say where traces get lost.

    Examples:

      otdiag check

      otdiag check --otlp-endpoint http://collector:4317 --jaeger-url http://jaeger:16686 --json
    """

    def body() -> ExitCode:
        from otdiag import check as core
        from otdiag import http

        proto = protocol
        if proto is None and os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL"):
            env_proto = os.environ["OTEL_EXPORTER_OTLP_PROTOCOL"].strip()
            try:
                proto = Protocol(env_proto)
            except ValueError:
                raise UsageError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL={env_proto!r} is not one of grpc, http/protobuf, http/json"
                ) from None
        grpc, secure, http_traces = _endpoints(otlp_endpoint, proto)
        jaeger = http_url(
            jaeger_url or os.environ.get("OTDIAG_JAEGER_URL") or "http://localhost:16686",
            option="--jaeger-url" if jaeger_url else "OTDIAG_JAEGER_URL",
        )
        health = http_url(
            collector_health_url or f"http://{HostPort(grpc.host, 13133)}", option="--collector-health-url"
        )
        opts = core.CheckOptions(
            grpc_endpoint=grpc,
            grpc_secure=secure,
            http_endpoint=http_traces,
            jaeger_url=jaeger,
            health_url=health,
            protocol=proto,
            headers=common.parse_headers(header),
            tls=http.TlsOptions(verify=not insecure, ca_file=common.readable_file(ca_file, "--ca-file")),
            timeout=common.check_timeout(timeout),
        )
        spinner = human.Spinner(human.make_console(stderr=True))
        with spinner.running("probing the pipeline"):
            report = core.run(opts, spinner)
        return common.emit(report, as_json=as_json, render=human.print_check)

    common.run(body)
