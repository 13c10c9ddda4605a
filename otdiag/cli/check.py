"""`otdiag check`: the doctor for the whole pipeline."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from otdiag.cli import common
from otdiag.model import ExitCode, Finding, Protocol
from otdiag.render import human

if TYPE_CHECKING:
    from otdiag.fleet import Prometheus


def _config_errors(path: str, option: str, *, jaeger: bool = False, tier: str = "") -> list[Finding]:
    """validate-config's errors (and start-time errors) for a config of the pipeline being checked.

    A Jaeger v2 config's errors belong to heading 2 (traces not displayed in Jaeger).
    """
    from dataclasses import replace
    from pathlib import Path

    from otdiag.errors import UsageError
    from otdiag.model import Guide, Severity, Stage
    from otdiag.validate.api import validate_source
    from otdiag.validate.knowledge import Distribution

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{option}: {path} does not exist or is not a file")
    result = validate_source(p.read_bytes(), path, Distribution.JAEGER if jaeger else None)
    # Errors, and the one warning that means the pipeline can never reach Jaeger.
    errors = [
        f
        for f in result.findings
        if f.severity is Severity.ERROR
        or f.code == "config.traces-no-backend"
        or (f.code == "config.debug-exporter" and "only exporter" in f.message)
    ]
    if jaeger:
        errors = [replace(f, stage=Stage.JAEGER, guide=Guide.TRACES_NOT_IN_JAEGER) for f in errors]
    if tier:
        errors = [replace(f, message=f"{tier}: {f.message}") for f in errors]
    return errors


def _prometheus(url: str | None, selector: str | None, tier_label: str, timeout: float) -> Prometheus | None:
    import re

    from otdiag import fleet
    from otdiag.endpoints import http_url
    from otdiag.errors import UsageError

    if url is None:
        if selector is not None:
            raise UsageError("--prometheus-selector needs --prometheus-url")
        return None
    if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", tier_label):
        raise UsageError(f"--tier-label: {tier_label!r} is not a Prometheus label name")
    return fleet.Prometheus(
        http_url(url, option="--prometheus-url"),
        fleet.parse_selector(selector),
        tier_label,
        common.check_timeout(timeout),
    )


def _tier_metrics(specs: list[str] | None) -> dict[str, str]:
    from otdiag.endpoints import http_url
    from otdiag.errors import UsageError

    out: dict[str, str] = {}
    for spec in specs or []:
        name, sep, url = spec.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--tier-metrics-url: {spec!r} is not TIER=URL")
        out[name.strip()] = http_url(url, option="--tier-metrics-url")
    return out


def _window(text: str) -> float:
    from otdiag import durations
    from otdiag.errors import UsageError

    seconds = durations.parse(text, "--window")
    if not 1 <= seconds <= 31 * 86400:
        raise UsageError(f"--window: {text!r} must be between 1s and 31d")
    return seconds


def check(
    otlp_endpoint: Annotated[
        str | None,
        typer.Option(
            help="The collector's OTLP endpoint (default: the app's OTEL_EXPORTER_OTLP_ENDPOINT, else localhost)."
        ),
    ] = None,
    protocol: Annotated[
        Protocol | None, typer.Option(help="The protocol the app exports with (default: OTEL_EXPORTER_OTLP_PROTOCOL).")
    ] = None,
    jaeger_url: Annotated[
        str | None, typer.Option(help="Jaeger's query URL (default: OTDIAG_JAEGER_URL, else http://localhost:16686).")
    ] = None,
    collector_health_url: Annotated[
        str | None, typer.Option(help="The collector's health endpoint (default: port 13133 on the collector's host).")
    ] = None,
    collector_metrics_url: Annotated[
        str | None,
        typer.Option(help="The collector's internal metrics (default: http://<collector host>:8888/metrics)."),
    ] = None,
    jaeger_health_url: Annotated[
        str | None, typer.Option(help="Jaeger's health endpoint to probe too (v2: http://jaeger:13133, v1: :14269).")
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option(
            help="The collector's config: probe exactly its receivers, health, metrics, exporters. Repeat it once"
            " per tier (agent, gateway; [NAME=]PATH) to follow the test span through every collector."
        ),
    ] = None,
    jaeger_config: Annotated[
        str | None, typer.Option(help="Jaeger v2's config file: its errors are reported first (heading 2).")
    ] = None,
    env_file: Annotated[
        str | None, typer.Option(help="The app's environment (KEY=VALUE lines) instead of this shell's.")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", help="NAME=VALUE sent with every OTLP request (repeatable).")
    ] = None,
    insecure: Annotated[
        bool, typer.Option(help="Plaintext gRPC without scheme; skip TLS verification for https.")
    ] = False,
    ca_file: Annotated[str | None, typer.Option(help="CA certificate (PEM) to verify TLS servers with.")] = None,
    timeout: Annotated[float, typer.Option(help=common.TIMEOUT_HELP)] = 5.0,
    wait: Annotated[str, typer.Option(help="How long the test span may take to show up in Jaeger.")] = "15s",
    e2e: Annotated[bool, typer.Option("--e2e/--no-e2e", help="Send a test span end to end (default on).")] = True,
    prometheus_url: Annotated[
        str | None,
        typer.Option(help="Prometheus that scrapes the collectors: read every instance's otelcol_* series there."),
    ] = None,
    prometheus_selector: Annotated[
        str | None, typer.Option(help="Label matchers for the collectors' series, e.g. 'job=~\"otel-.*\"'.")
    ] = None,
    tier_label: Annotated[
        str, typer.Option(help="The Prometheus label that names a collector's tier (agent, gateway).")
    ] = "job",
    window: Annotated[str, typer.Option(help="How far back --prometheus-url reads the fleet's losses.")] = "5m",
    tier_metrics_url: Annotated[
        list[str] | None,
        typer.Option(help="TIER=URL: a tier's metrics where its config's reader address is not reachable from here."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Probe every hop (App -> SDK -> Collector -> Jaeger), send a test span end to end, and say where it breaks.

    Examples:

      otdiag check

      otdiag check --env-file app.env --config otel-collector.yaml --jaeger-url http://jaeger:16686

      otdiag check --json | jq '.findings[0]'
    """

    def body() -> ExitCode:
        from otdiag import app_env, collector_config, durations, otel_env
        from otdiag import check as core
        from otdiag.chain import Tier, from_specs, tier_name
        from otdiag.cli.find import jaeger_url_option
        from otdiag.endpoints import http_url
        from otdiag.errors import UsageError

        env = app_env.read_env_file(env_file) if env_file else dict(os.environ)
        tier_urls = _tier_metrics(tier_metrics_url)
        if tier_urls and not (config and len(config) > 1):
            raise UsageError("--tier-metrics-url needs --config once per tier (two or more)")
        chain = from_specs(config, collector_config.targets, tier_urls) if config and len(config) > 1 else None
        tiers = (
            chain.tiers
            if chain
            else [Tier("", collector_config.targets(tier_name(config[0], set())[1]))]
            if config
            else []
        )
        flags = otel_env.Flags(
            endpoint=otlp_endpoint, protocol=protocol, headers=common.parse_headers(header) or None,
            insecure=insecure or None, ca_file=common.readable_file(ca_file, "--ca-file"),
        )  # fmt: skip
        if otlp_endpoint is not None:
            otel_env.resolve(flags, {})  # a bad --otlp-endpoint is a usage error, not a finding
        opts = core.CheckOptions(
            env=env,
            flags=flags,
            jaeger_url=jaeger_url_option(jaeger_url),
            health_url=http_url(collector_health_url, option="--collector-health-url")
            if collector_health_url
            else None,
            metrics_url=http_url(collector_metrics_url, option="--collector-metrics-url")
            if collector_metrics_url
            else None,
            jaeger_health_url=http_url(jaeger_health_url, option="--jaeger-health-url") if jaeger_health_url else None,
            config=tiers[0].config if tiers else None,
            chain=chain,
            config_findings=[
                *(f for t in tiers for f in _config_errors(t.config.path, "--config", tier=t.name if chain else "")),
                *(_config_errors(jaeger_config, "--jaeger-config", jaeger=True) if jaeger_config else []),
            ],
            timeout=common.check_timeout(timeout),
            wait=durations.parse(wait, "--wait"),
            e2e=e2e,
            prometheus=_prometheus(prometheus_url, prometheus_selector, tier_label, timeout),
            window=_window(window),
        )
        spinner = human.Spinner(human.make_console(stderr=True))
        with spinner.running("probing the pipeline"):
            report = core.run(opts, spinner)
        return common.emit(report, as_json=as_json, render=human.print_check)

    common.run(body)
