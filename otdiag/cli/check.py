"""`otdiag check`: the doctor for the whole pipeline."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from otdiag.cli import common
from otdiag.model import ExitCode, Protocol

if TYPE_CHECKING:
    from otdiag.check.result import CheckResult
    from otdiag.collector.fleet import Prometheus
    from otdiag.render.human import Console


def check(
    otlp_endpoint: Annotated[
        str | None,
        typer.Option(
            "--otlp-endpoint",
            "--endpoint",
            metavar="ENDPOINT",
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
    collector_log: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="The collector's log (a file, or - for stdin; its last 4 MiB): every exporter error in it "
            "(refused, TLS, 404, queue full, ...) is a finding on the Collector -> Jaeger hop.",
        ),
    ] = None,
    app_dir: Annotated[
        str | None,
        typer.Option(
            metavar="DIR",
            help="The app's source directory: check requirements*.txt, pyproject.toml and the installed "
            "OpenTelemetry packages, go.mod, package.json (+ package-lock.json), pom.xml and Gradle files "
            "(removed Jaeger exporter, API/SDK/exporter version skew, missing instrumentation), and probe "
            "the exporter endpoints its source code sets (they override OTEL_EXPORTER_OTLP_ENDPOINT).",
        ),
    ] = None,
    env_file: Annotated[
        str | None, typer.Option(help="The app's environment (KEY=VALUE lines) instead of this shell's.")
    ] = None,
    header: Annotated[list[str] | None, typer.Option("--header", metavar="NAME=VALUE", help=common.HEADER_HELP)] = None,
    insecure: Annotated[
        bool, typer.Option(help="Plaintext gRPC without scheme; skip TLS verification for https.")
    ] = False,
    ca_file: Annotated[str | None, typer.Option(help="CA certificate (PEM) to verify TLS servers with.")] = None,
    timeout: Annotated[str, typer.Option(help=common.TIMEOUT_HELP, metavar=common.DURATION)] = "5s",
    wait: Annotated[
        str, typer.Option(help="How long the test span may take to show up in Jaeger.", metavar=common.DURATION)
    ] = "15s",
    e2e: Annotated[bool, typer.Option("--e2e/--no-e2e", help="Send a test span end to end (default on).")] = True,
    tier_metrics_url: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TIER=URL", help="A tier's metrics where its config's reader address is not reachable from here."
        ),
    ] = None,
    prometheus_url: Annotated[
        str | None,
        typer.Option(help="Prometheus that scrapes the collectors: read every instance's otelcol_* series there."),
    ] = None,
    prometheus_selector: Annotated[
        str | None,
        typer.Option(metavar="SELECTOR", help="Label matchers for the collectors' series, e.g. 'job=~\"otel-.*\"'."),
    ] = None,
    tier_label: Annotated[
        str, typer.Option(metavar="LABEL", help="The Prometheus label that names a collector's tier (agent, gateway).")
    ] = "job",
    window: Annotated[
        str, typer.Option(help="How far back --prometheus-url reads the fleet's losses.", metavar=common.DURATION)
    ] = "5m",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Probe every hop (App -> SDK -> Collector -> Jaeger), send a test span end to end, and say where it breaks.

    Examples:

    \b
      otdiag check
      otdiag check --env-file app.env --config otel-collector.yaml \\
          --jaeger-url http://jaeger:16686
      otdiag check --json | jq '.findings[0]'

    \b
      otdiag check --app-dir ./my-service --no-e2e
      docker logs otel-collector 2>&1 | otdiag check --collector-log -
    """

    def body() -> ExitCode:
        from otdiag.app import env_analysis, export_settings
        from otdiag.check import request, walk
        from otdiag.collector import targets as collector_targets

        timeout_s = common.timeout(timeout)
        wait_s = common.duration(wait, "--wait")
        window_s = request.window(window)
        env = env_analysis.read_env_file(env_file, timeout=timeout_s) if env_file else dict(os.environ)
        common.remember_env_secrets(env)
        flags = export_settings.Flags(
            endpoint=otlp_endpoint, protocol=protocol, headers=common.parse_headers(header) or None,
            insecure=insecure or None, ca_file=common.readable_file(ca_file, "--ca-file"),
        )  # fmt: skip
        if otlp_endpoint is not None:
            export_settings.resolve(flags, {})  # a bad --otlp-endpoint is a usage error, not a finding
        config, chain = request.tiers(configs, tier_metrics_url)
        opts = request.CheckOptions(
            env=env,
            flags=flags,
            jaeger_url=common.jaeger_url_option(jaeger_url),
            health_url=_url(collector_health_url, "--collector-health-url"),
            metrics_url=_url(collector_metrics_url, "--collector-metrics-url"),
            jaeger_health_url=_url(jaeger_health_url, "--jaeger-health-url"),
            chain=chain,
            prometheus=_prometheus(prometheus_url, prometheus_selector, tier_label, timeout_s),
            window=window_s,
            config=collector_targets.targets(config) if config else None,
            config_findings=request.config_findings(config, jaeger_config, app_dir, chain),
            log_findings=request.collector_log_findings(collector_log, timeout_s),
            code_endpoints=request.code_endpoints(app_dir),
            timeout=timeout_s,
            wait=wait_s,
            e2e=e2e,
        )
        if as_json and not _maybe_terminal():
            # Nothing to draw: no spinner, and rich (most of a JSON run's start-up) is never imported.
            return common.emit(walk.run(opts), as_json=True, render=_unused)
        from otdiag.render import human
        from otdiag.render.check import print_check

        spinner = human.Spinner(human.make_console(stderr=True))
        with spinner.running("probing the pipeline"):
            result = walk.run(opts, spinner)
        return common.emit(result, as_json=as_json, render=print_check)

    common.run(body)


def _prometheus(url: str | None, selector: str | None, tier_label: str, timeout: float) -> Prometheus | None:
    from dataclasses import replace

    from otdiag.check import request

    prom = request.prometheus(url, selector, tier_label)
    return replace(prom, timeout=timeout) if prom else None


def _url(value: str | None, option: str) -> str | None:
    from otdiag.net.endpoints import http_url

    return http_url(value, option=option) if value else None


def _maybe_terminal() -> bool:
    """Whether rich could take stderr for a terminal (and draw the spinner there)."""
    forced = ("FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")
    return sys.stderr.isatty() or any(os.environ.get(name) for name in forced)


def _unused(console: Console, result: CheckResult) -> None:  # pragma: no cover - --json never renders for humans
    raise AssertionError("--json renders no human view")
