"""What an observer saw inside an app, as typed facts shared by every runtime.

Each runtime's observer decodes its own reports (untrusted input: bounded, shape-checked,
made printable and scrubbed) into these values once; the analysis and the report read only
these. The JSON report shows them under "observer".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from otdiag.observe.observed import SpanCounts


@dataclass(frozen=True, slots=True)
class ProviderFact:
    """A TracerProvider the app built."""

    type: str
    site: str | None = None
    """Where it was built (file:line), when the runtime tells."""
    registered: bool = True
    """Set as the global provider (trace.setGlobalTracerProvider, GlobalOpenTelemetry.set, otel.SetTracerProvider)."""
    sampler: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "site": self.site, "registered": self.registered, "sampler": self.sampler}


@dataclass(frozen=True, slots=True)
class ExporterFact:
    """A span exporter the app built (or the agent configured), and what its exports returned."""

    type: str
    endpoint: str | None = None
    protocol: str | None = None
    header_names: tuple[str, ...] = ()
    """Names only: header values are never recorded."""
    results: Mapping[str, int] = field(default_factory=dict)
    """Export results by name (SUCCESS, FAILURE, ...), in the order they first happened."""
    errors: tuple[str, ...] = ()
    """The first few export errors, printable and scrubbed."""

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "endpoint": self.endpoint,
            "protocol": self.protocol,
            "header_names": list(self.header_names),
            "results": dict(self.results),
            "errors": list(self.errors),
        }


@dataclass(frozen=True, slots=True)
class ExitFact:
    """How the app left, as seen from inside."""

    how: str = "unknown"
    """'normal', 'exit-call' (process.exit, System.exit, os.Exit, os._exit), 'halt', 'signal', 'crash' or 'unknown'."""
    site: str | None = None
    """file:line of the exit call or the crash, when the runtime tells."""
    flushed: bool | None = None
    """The provider was shut down or flushed before the exit (None: not known)."""
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"how": self.how, "site": self.site, "flushed": self.flushed, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class InstrumentationFact:
    """An instrumentation the app (or its agent) loaded or skipped."""

    name: str
    applied: bool
    reason: str | None = None
    """Why it was skipped (muzzle mismatch, module loaded before it, ESM without the loader hook, ...)."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "applied": self.applied, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class RuntimeFacts:
    """What one runtime's observer saw; `loaded` is False when nothing came from inside the app."""

    runtime: str
    """'node', 'java', 'go', 'dotnet', ... ('python' keeps its own `Observed`)."""
    loaded: bool = False
    """Something came from inside the process (a preload's report, an agent's own log lines)."""
    how: str = ""
    """How the observer looked: 'preload', 'javaagent', 'agent-log', 'build-info', 'stderr', ..."""
    runtime_version: str = ""
    packages: Mapping[str, str] = field(default_factory=dict)
    """OpenTelemetry packages/modules and their versions (npm packages, Maven artifacts, Go modules)."""
    provider: ProviderFact | None = None
    processors: tuple[str, ...] = ()
    exporters: tuple[ExporterFact, ...] = ()
    spans: SpanCounts = field(default_factory=SpanCounts)
    exit: ExitFact = field(default_factory=ExitFact)
    instrumentation: tuple[InstrumentationFact, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)
    """Effective settings the runtime reported or the command line set (system properties, flags),
    secret-looking values redacted."""
    notes: tuple[str, ...] = ()
    """What the observer could not see, or why it did not load."""
    sdk_setup_crashed: bool = False
    """The app died inside the SDK's own set-up from its settings (Java autoconfigure's ConfigurationException)."""

    @property
    def flushed_by_app(self) -> bool:
        return self.exit.flushed is True

    @property
    def crash_in_opentelemetry(self) -> bool:
        return self.sdk_setup_crashed

    def delivered(self) -> bool:
        """An exporter with an endpoint had a successful export."""
        return any(e.results.get("SUCCESS", 0) > 0 and bool(e.endpoint) for e in self.exporters)

    def to_json(self) -> dict[str, Any]:
        if not self.loaded and not self.packages and not self.settings and not self.notes:
            return {"loaded": False, "runtime": self.runtime}
        return {
            "loaded": self.loaded,
            "runtime": self.runtime,
            "how": self.how,
            "runtime_version": self.runtime_version,
            "packages": dict(self.packages),
            "provider": None if self.provider is None else self.provider.to_json(),
            "processors": list(self.processors),
            "exporters": [e.to_json() for e in self.exporters],
            "spans": self.spans.to_json(),
            "exit": self.exit.to_json(),
            "instrumentation": [i.to_json() for i in self.instrumentation],
            "settings": dict(self.settings),
            "notes": list(self.notes),
        }
