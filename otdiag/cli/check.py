"""`otdiag check`: the doctor for the whole pipeline."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from otdiag.cli import common
from otdiag.model import ExitCode, Finding, Protocol


def _config_errors(path: str, option: str, *, jaeger: bool = False) -> list[Finding]:
    """validate-config's errors (and start-time errors) for a config of the pipeline being checked.

    A Jaeger v2 config's errors belong to heading 2 (traces not displayed in Jaeger).
    """
    from dataclasses import replace

    from otdiag import bounded
    from otdiag.collector_config import MAX_CONFIG_BYTES
    from otdiag.model import Guide, Severity, Stage
    from otdiag.validate.api import validate_source
    from otdiag.validate.knowledge import Distribution

    data = bounded.read(path, what=option, max_bytes=MAX_CONFIG_BYTES)
    result = validate_source(data, path, Distribution.JAEGER if jaeger else None)
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    from otdiag.cli.check_tiers import never_reaches_backend

    errors += never_reaches_backend(result.findings)
    if jaeger:
        errors = [replace(f, stage=Stage.JAEGER, guide=Guide.TRACES_NOT_IN_JAEGER) for f in errors]
    return errors


def _app_dir_findings(path: str) -> list[Finding]:
    """The app's OpenTelemetry dependencies, read without running it (shared with otdiag run)."""
    from pathlib import Path

    from otdiag.errors import UsageError
    from otdiag.observe import deps

    p = Path(path)
    if not p.is_dir():
        raise UsageError(f"--app-dir: {path} does not exist or is not a directory")
    return deps.app_dir_findings(p)


def check(
    otlp_endpoint: Annotated[
        str | None,
        typer.Option(
            "--otlp-endpoint",
            "--endpoint",
            help="The collector's OTLP endpoint (default: the app's OTEL_EXPORTER_OTLP_ENDPOINT, else localhost).",
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
    configs: Annotated[
        list[str] | None,
        typer.Option(
            "--config",
            help="The collector's config: probe exactly its receivers, health, metrics, exporters. Repeat it"
            " once per tier (agent, gateway; [NAME=]PATH) to follow the test span through every collector.",
        ),
    ] = None,
    jaeger_config: Annotated[
        str | None, typer.Option(help="Jaeger v2's config file: its errors are reported first (heading 2).")
    ] = None,
    app_dir: Annotated[
        str | None,
        typer.Option(
            help="The app's source directory: check requirements*.txt, pyproject.toml and the installed "
            "OpenTelemetry packages (removed Jaeger exporter, API/SDK/exporter version skew)."
        ),
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
    timeout: Annotated[
        float, typer.Option(help=common.TIMEOUT_HELP, parser=common.seconds, metavar=common.DURATION)
    ] = 5.0,
    wait: Annotated[str, typer.Option(help="How long the test span may take to show up in Jaeger.")] = "15s",
    e2e: Annotated[bool, typer.Option("--e2e/--no-e2e", help="Send a test span end to end (default on).")] = True,
    tier_metrics_url: Annotated[
        list[str] | None,
        typer.Option(help="TIER=URL: a tier's metrics where its config's reader address is not reachable from here."),
    ] = None,
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
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Probe every hop (App -> SDK -> Collector -> Jaeger), send a test span end to end, and say where it breaks.

    Examples:

    \b
      otdiag check
      otdiag check --env-file app.env --config otel-collector.yaml \\
          --jaeger-url http://jaeger:16686
      otdiag check --json | jq '.findings[0]'

      otdiag check --app-dir ./my-service --no-e2e
    """

    def body() -> ExitCode:
        from otdiag import app_env, collector_config, durations, otel_env
        from otdiag.check import walk
        from otdiag.check.request import CheckOptions
        from otdiag.endpoints import http_url

        env = app_env.read_env_file(env_file, timeout=common.check_timeout(timeout)) if env_file else dict(os.environ)
        common.remember_env_secrets(env)
        flags = otel_env.Flags(
            endpoint=otlp_endpoint, protocol=protocol, headers=common.parse_headers(header) or None,
            insecure=insecure or None, ca_file=common.readable_file(ca_file, "--ca-file"),
        )  # fmt: skip
        if otlp_endpoint is not None:
            otel_env.resolve(flags, {})  # a bad --otlp-endpoint is a usage error, not a finding
        from otdiag.cli import check_tiers

        config, chain = check_tiers.tiers(configs, tier_metrics_url)
        opts = CheckOptions(
            env=env,
            flags=flags,
            jaeger_url=common.jaeger_url_option(jaeger_url),
            health_url=http_url(collector_health_url, option="--collector-health-url")
            if collector_health_url
            else None,
            metrics_url=http_url(collector_metrics_url, option="--collector-metrics-url")
            if collector_metrics_url
            else None,
            jaeger_health_url=http_url(jaeger_health_url, option="--jaeger-health-url") if jaeger_health_url else None,
            chain=chain,
            prometheus=check_tiers.prometheus(prometheus_url, prometheus_selector, tier_label, timeout),
            window=check_tiers.window(window),
            config=collector_config.targets(config) if config else None,
            config_findings=[
                *(_app_dir_findings(app_dir) if app_dir else []),
                *(_config_errors(config, "--config") if config else []),
                *(_config_errors(jaeger_config, "--jaeger-config", jaeger=True) if jaeger_config else []),
                *check_tiers.tier_config_errors(chain),
            ],
            timeout=common.check_timeout(timeout),
            wait=durations.parse(wait, "--wait"),
            e2e=e2e,
        )
        if as_json and not _maybe_terminal():
            # Nothing to draw: no spinner, and rich (most of a JSON run's start-up) is never imported.
            from otdiag.progress import NoProgress

            report = walk.run(opts, NoProgress())
            return common.emit(report, as_json=True, render=_unused)
        from otdiag.render import human

        spinner = human.Spinner(human.make_console(stderr=True))
        with spinner.running("probing the pipeline"):
            report = walk.run(opts, spinner)
        return common.emit(report, as_json=as_json, render=human.print_check)

    common.run(body)


def _maybe_terminal() -> bool:
    """Whether rich could take stderr for a terminal (and draw the spinner there)."""
    forced = ("FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")
    return sys.stderr.isatty() or any(os.environ.get(name) for name in forced)


def _unused(console: Any, report: Any) -> None:  # pragma: no cover - --json never renders for humans
    raise AssertionError("--json renders no human view")
