"""check's options for several collectors (`--config` per tier) and fleets (`--prometheus-url`).

Kept apart from otdiag/cli/check.py so that file only names the options and passes them on.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import Finding

if TYPE_CHECKING:
    from otdiag.check.tiers import Chain
    from otdiag.fleet import Prometheus


def never_reaches_backend(findings: list[Finding]) -> list[Finding]:
    """validate-config's warnings that mean a traces pipeline can never reach Jaeger: check reports them too."""
    return [
        f
        for f in findings
        if f.code == "config.traces-no-backend" or (f.code == "config.debug-exporter" and "only exporter" in f.message)
    ]


def tiers(configs: list[str] | None, tier_metrics: list[str] | None) -> tuple[str | None, Chain | None]:
    """(the lone --config's path, None) or (None, the chain of tiers) when --config is given more than once."""
    from otdiag import collector_config
    from otdiag.check.tiers import from_specs, tier_name

    urls = _tier_metrics(tier_metrics)
    if not configs:
        if urls:
            raise UsageError("--tier-metrics-url needs --config once per tier (two or more)")
        return None, None
    if len(configs) == 1:
        if urls:
            raise UsageError("--tier-metrics-url needs --config once per tier (two or more)")
        return tier_name(configs[0], set())[1], None
    return None, from_specs(configs, collector_config.targets, urls)


def tier_config_errors(chain: Chain | None) -> list[Finding]:
    """Every tier's validate-config errors, each message naming its tier."""
    from otdiag.cli.check import _config_errors

    if chain is None:
        return []
    return [
        replace(f, message=f"{t.name}: {f.message}")
        for t in chain.tiers
        for f in _config_errors(t.config.path, "--config")
    ]


def _tier_metrics(specs: list[str] | None) -> dict[str, str]:
    from otdiag.endpoints import http_url

    out: dict[str, str] = {}
    for spec in specs or []:
        name, sep, url = spec.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--tier-metrics-url: {spec!r} is not TIER=URL")
        out[name.strip()] = http_url(url, option="--tier-metrics-url")
    return out


def prometheus(url: str | None, selector: str | None, tier_label: str, timeout: float) -> Prometheus | None:
    from otdiag import fleet
    from otdiag.endpoints import http_url

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


def window(text: str) -> float:
    from otdiag import durations

    seconds = durations.parse(text, "--window")
    if not 1 <= seconds <= 31 * 86400:
        raise UsageError(f"--window: {text!r} must be between 1s and 31d")
    return seconds
