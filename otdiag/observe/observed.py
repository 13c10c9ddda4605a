"""What `otdiag run`'s in-process observer saw inside a Python app, as a typed value.

`analysis` builds it from the observer's reports; the run result carries it, the JSON report
shows it under "observer", and the human view prints a few lines of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class ProviderSeen:
    """The TracerProvider the app set (the accepted one)."""

    type: str
    site: str | None
    sampler: str | None
    service_name: str | None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "site": self.site, "sampler": self.sampler, "service_name": self.service_name}


@dataclass(frozen=True, slots=True)
class ProviderSetCall:
    """One call of trace.set_tracer_provider()."""

    type: str
    site: str | None
    accepted: bool

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "site": self.site, "accepted": self.accepted}


@dataclass(frozen=True, slots=True)
class SpanCounts:
    """What happened to the app's spans, summed over its processes."""

    started: int = 0
    recording: int = 0
    sampled: int = 0
    dropped_root: int = 0
    dropped_parent: int = 0
    noop: int = 0
    ended: int = 0
    open_count: int = 0

    def to_json(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SPAN_COUNTS}


SPAN_COUNTS = tuple(f.name for f in fields(SpanCounts))


@dataclass(frozen=True, slots=True)
class ExporterSeen:
    """One span exporter the app built, and what its export calls returned."""

    type: str
    endpoint: str | None
    protocol: str | None
    handed: int
    results: Mapping[str, int]
    """Export results by name (SUCCESS, FAILURE, EXCEPTION), in the order they first happened."""
    site: str | None = None
    """Where the app built the exporter (file:line of the constructor call, else of its span processor)."""

    @property
    def short_type(self) -> str:
        return self.type.rsplit(".", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "endpoint": self.endpoint,
            "protocol": self.protocol,
            "handed": self.handed,
            "results": dict(self.results),
            "site": self.site,
        }


@dataclass(frozen=True, slots=True)
class Observed:
    """What otdiag's in-process observer saw inside a Python app; `loaded` is False when it saw nothing."""

    loaded: bool = False
    runtime: ClassVar[str] = "python"
    processes: int = 0
    python: str = ""
    provider: ProviderSeen | None = None
    set_tracer_provider: tuple[ProviderSetCall, ...] = ()
    providers: tuple[ProviderSeen, ...] = ()
    """Every SDK TracerProvider the app built (up to MAX_LISTED), set globally or not."""
    spans: SpanCounts = SpanCounts()
    exporters: tuple[ExporterSeen, ...] = ()
    exported: int = 0
    flushed_by_app: bool = False
    """The app shut its provider down (or flushed it) itself, not only through the SDK's atexit hook."""
    crash: str | None = None
    crash_in_opentelemetry: bool = False
    distributions: Mapping[str, str] = field(default_factory=dict)

    def delivered(self) -> bool:
        """An exporter with an endpoint (not the console) had a successful export."""
        return any(
            e.results.get("SUCCESS", 0) > 0 and bool(e.endpoint) and not e.type.endswith("ConsoleSpanExporter")
            for e in self.exporters
        )

    def to_json(self) -> dict[str, Any]:
        if not self.loaded:
            return {"loaded": False}
        return {
            "loaded": True,
            "processes": self.processes,
            "python": self.python,
            "provider": None if self.provider is None else self.provider.to_json(),
            "set_tracer_provider": [x.to_json() for x in self.set_tracer_provider],
            "providers": [x.to_json() for x in self.providers],
            "spans": self.spans.to_json(),
            "exporters": [e.to_json() for e in self.exporters],
            "exported": self.exported,
            "flushed_by_app": self.flushed_by_app,
            "crash": self.crash,
            "crash_in_opentelemetry": self.crash_in_opentelemetry,
            "distributions": dict(self.distributions),
        }


MAX_LISTED = 100
"""Providers and exporters the report lists (the human view shows fewer and counts the rest)."""

NOT_LOADED = Observed()
