"""What `otdiag check` is asked to do: a typed request the command line builds and the walk reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from otdiag import otel_env
from otdiag.model import Finding

if TYPE_CHECKING:
    from otdiag.check.tiers import Chain
    from otdiag.collector_config import CollectorTargets
    from otdiag.fleet import Prometheus


@dataclass(frozen=True)
class CheckOptions:
    env: Mapping[str, str]
    """The application's environment: os.environ, or --env-file."""
    flags: otel_env.Flags = field(default_factory=otel_env.Flags)
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
