"""What `otdiag check` is asked to do: a typed request (CheckOptions) the walk reads.

The command line builds it from its options with the helpers below: the tiers of --config, every
config's errors (reported first), --app-dir's dependencies, --prometheus-url and --window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from otdiag.app import export_settings
from otdiag.errors import UsageError
from otdiag.model import Finding, Guide, Severity, Stage

if TYPE_CHECKING:
    from otdiag.check.tiers import Chain
    from otdiag.collector.fleet import Prometheus
    from otdiag.collector.targets import CollectorTargets
    from otdiag.observe.code_endpoints import CodeEndpoint


@dataclass(frozen=True)
class CheckOptions:
    env: Mapping[str, str]
    """The application's environment: os.environ, or --env-file."""
    flags: export_settings.Flags = field(default_factory=export_settings.Flags)
    jaeger_url: str = "http://localhost:16686"
    health_url: str | None = None
    metrics_url: str | None = None
    jaeger_health_url: str | None = None
    config: CollectorTargets | None = None
    timeout: float = 5.0
    wait: float = 15.0
    """How long the end-to-end span may take to show up in Jaeger."""
    e2e: bool = True
    config_findings: list[Finding] = field(default_factory=list)
    """validate-config's errors for --config: reported first, before anything is probed."""
    prometheus: Prometheus | None = None
    """--prometheus-url: every collector instance's otelcol_* series, read from Prometheus."""
    window: float = 300.0
    """--window: how far back the fleet's losses are read."""
    chain: Chain | None = None
    """--config given once per tier: the collectors in order (`config` is then the first tier's)."""
    log_findings: list[Finding] = field(default_factory=list)
    """--collector-log: the exporter errors the collector logged, on the Collector -> Jaeger hop."""
    code_endpoints: tuple[CodeEndpoint, ...] = ()
    """--app-dir: the exporter endpoints the app's source sets (they override OTEL_EXPORTER_OTLP_ENDPOINT)."""


# --- from the command line's options -----------------------------------------------------------------------


def config_errors(path: str, option: str, *, jaeger: bool = False) -> list[Finding]:
    """validate-config's errors (and start-time errors) for a config of the pipeline being checked.

    A Jaeger v2 config's errors belong to heading 2 (traces not displayed in Jaeger).
    """
    from otdiag import bounded
    from otdiag.collector.targets import MAX_CONFIG_BYTES
    from otdiag.validate.api import validate_source
    from otdiag.validate.knowledge import Distribution

    data = bounded.read(path, what=option, max_bytes=MAX_CONFIG_BYTES)
    release = None if jaeger else running_release(path)
    result = validate_source(data, path, Distribution.JAEGER if jaeger else None, release=release)
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    if result.release is not None:
        said = f"checked against collector v{'.'.join(map(str, result.release))}" + (
            " (the running collector's build info)" if release else " (the newest otdiag knows: no build info read)"
        )
        errors = [replace(f, evidence=(*f.evidence, said)) for f in errors]
    errors += never_reaches_backend(result.findings)
    if jaeger:
        errors = [replace(f, stage=Stage.JAEGER, guide=Guide.TRACES_NOT_IN_JAEGER) for f in errors]
    return errors


def running_release(path: str, timeout: float = 1.5) -> tuple[int, int, int] | None:
    """The release of the collector running this config, from its metrics' build info (issue 26)."""
    from otdiag.collector import metrics, targets
    from otdiag.net.transport import TransportError
    from otdiag.validate import versions

    try:
        url = targets.targets(path).metrics_url
        snap = metrics.scrape(url, timeout=timeout) if url else None
        return versions.resolve(snap.version) if snap is not None and snap.version else None
    except (TransportError, UsageError, OSError, ValueError):
        return None  # not running, not reachable, or a release otdiag does not know: judged by the newest


def never_reaches_backend(findings: Iterable[Finding]) -> list[Finding]:
    """validate-config's warnings that mean a traces pipeline can never reach Jaeger: check reports them too."""
    from otdiag.catalogue import CONFIG_NO_BACKEND, kind_of
    from otdiag.catalogue_config import W_DEBUG_VERBOSE

    # validate-config raises config.debug-exporter to a warning only where debug is a pipeline's only
    # exporter and the data goes nowhere (a verbose debug exporter, or a debug copy, is advice).
    return [
        f
        for f in findings
        if kind_of(f) is CONFIG_NO_BACKEND or (kind_of(f) is W_DEBUG_VERBOSE and f.severity is Severity.WARNING)
    ]


def collector_log_findings(path: str | None, timeout: float) -> list[Finding]:
    """--collector-log: one finding per exporter and cause the collector's log shows (its last 4 MiB)."""
    if path is None:
        return []
    from otdiag.collector import exporter_log

    return exporter_log.findings(exporter_log.read_log(path, timeout=max(timeout, exporter_log.READ_TIMEOUT)))


def config_findings(
    config: str | None, jaeger_config: str | None, app_dir: str | None, chain: Chain | None
) -> list[Finding]:
    """What is wrong before anything is probed: the app's dependencies, then every config's errors."""
    return [
        *(app_dir_findings(app_dir) if app_dir else []),
        *(config_errors(config, "--config") if config else []),
        *(config_errors(jaeger_config, "--jaeger-config", jaeger=True) if jaeger_config else []),
        *tier_config_errors(chain),
    ]


def app_dir_findings(path: str) -> list[Finding]:
    """The app's OpenTelemetry dependencies, read without running it (shared with otdiag run)."""
    from pathlib import Path

    from otdiag.observe import deps, deps_java
    from otdiag.run.observers.node import manifest as node_manifest

    p = Path(path)
    if not p.is_dir():
        raise UsageError(f"--app-dir: {path} does not exist or is not a directory")
    from otdiag.observe import manifests

    other = node_manifest.findings(p)
    # package.json, pom.xml and Gradle files are read by two readers each (the runtime's own, and
    # manifests for every ecosystem): one finding per code, the runtime's own first.
    for extra in (deps_java.findings(p), manifests.findings(p)):
        other += [f for f in extra if f.code not in {g.code for g in other}]
    return [*deps.app_dir_findings(p), *other]


def code_endpoints(path: str | None) -> tuple[CodeEndpoint, ...]:
    """--app-dir: the exporter endpoints written in the app's source (a bounded, static read)."""
    if path is None:
        return ()
    from pathlib import Path

    from otdiag.observe import code_endpoints as scan

    return scan.scan(Path(path)).endpoints


def tiers(configs: list[str] | None, tier_metrics: list[str] | None) -> tuple[str | None, Chain | None]:
    """(the lone --config's path, None) or (None, the chain of tiers) when --config is given more than once."""
    from otdiag.check.tiers import from_specs, tier_name
    from otdiag.collector import targets as collector_targets

    urls = _tier_metrics(tier_metrics)
    if not configs:
        if urls:
            raise UsageError("--tier-metrics-url needs --config once per tier (two or more)")
        return None, None
    if len(configs) == 1:
        if urls:
            raise UsageError("--tier-metrics-url needs --config once per tier (two or more)")
        return tier_name(configs[0], set())[1], None
    return None, from_specs(configs, collector_targets.targets, urls)


def tier_config_errors(chain: Chain | None) -> list[Finding]:
    """Every tier's validate-config errors, each message naming its tier."""
    if chain is None:
        return []
    return [
        replace(f, message=f"{t.name}: {f.message}", tier=t.name)
        for t in chain.tiers
        for f in config_errors(t.config.path, "--config")
    ]


def _tier_metrics(specs: list[str] | None) -> dict[str, str]:
    from otdiag.net.endpoints import http_url

    out: dict[str, str] = {}
    for spec in specs or []:
        name, sep, url = spec.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--tier-metrics-url: {spec!r} is not TIER=URL")
        out[name.strip()] = http_url(url, option="--tier-metrics-url")
    return out


def prometheus(url: str | None, selector: str | None, tier_label: str) -> Prometheus | None:
    """--prometheus-url with its selector and tier label (the caller sets the timeout)."""
    from otdiag.collector import fleet
    from otdiag.net.endpoints import http_url

    if url is None:
        if selector is not None:
            raise UsageError("--prometheus-selector needs --prometheus-url")
        return None
    if not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", tier_label):
        raise UsageError(f"--tier-label: {tier_label!r} is not a Prometheus label name")
    return fleet.Prometheus(http_url(url, option="--prometheus-url"), fleet.parse_selector(selector), tier_label)


def window(text: str) -> float:
    from otdiag import durations

    seconds = durations.parse(text, "--window")
    if not 1 <= seconds <= 31 * 86400:
        raise UsageError(f"--window: {text!r} must be between 1s and 31d")
    return seconds
