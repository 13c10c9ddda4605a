"""Is the app's OTLP endpoint a collector, or Jaeger's own receiver? Asked of the process, not guessed.

Jaeger v2 is built on the OpenTelemetry Collector. An app may export straight to Jaeger's own OTLP
receiver (4317/4318 in its all-in-one), and then check's "collector" probes (health on 13133,
metrics on 8888) answer as well, but for Jaeger: there is no collector hop. What the process behind
those probes says about itself tells the two apart:

- its internal metrics' build info, `target_info{service_name="jaeger",service_version="v2.13.0"}`
  (the Jaeger binary's own name, also without `service.telemetry.resource` in its config);
- its metrics name Jaeger's storage exporter (`jaeger_storage_exporter`), once spans have flowed;
- its verbose healthcheckv2 answer names Jaeger's own components (`extension:jaeger_query`,
  `extension:jaeger_storage`, `exporter:jaeger_storage_exporter`).

A collector in front of Jaeger says none of these (its build info names the collector), and the
host's ports alone (Jaeger and a collector often share `localhost`) prove nothing, so they are not used.
The endpoint itself is tied to that process when the app's export was accepted there, or, failing,
when it is a standard OTLP port (4317/4318): the ports Jaeger's own receiver takes on that host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from otdiag import redact

if TYPE_CHECKING:
    from otdiag.collector.metrics import Snapshot

JAEGER_SERVICE = "jaeger"
STORAGE_EXPORTER = "jaeger_storage_exporter"
JAEGER_COMPONENTS = ("extension:jaeger_query", "extension:jaeger_storage", f"exporter:{STORAGE_EXPORTER}")


@dataclass(frozen=True, slots=True)
class JaegerReceiver:
    """The app's OTLP endpoint is Jaeger's own receiver: no collector between the app and Jaeger."""

    version: str | None
    """Jaeger's release from its build info (e.g. "v2.13.0"), when it says it."""
    evidence: tuple[str, ...]
    """What the process said about itself, and where."""
    endpoint: str = ""
    reached: bool = True
    """The app's export was accepted there; False: it fails on a standard OTLP port of Jaeger's host."""
    tied: bool = True
    """The app's endpoint is Jaeger's receiver; False: only the "collector" probes answered as Jaeger (the export
    fails on another port, where a collector may be meant)."""

    @property
    def note(self) -> str:
        """The hop line's note under it."""
        release = f" (Jaeger {self.version})" if self.version else ""
        if self.reached:
            return f"no collector: the app exports to Jaeger's own OTLP receiver{release}"
        return f"no collector: {self.endpoint} is Jaeger's own OTLP port{release}; the export fails there"

    def to_json(self) -> dict[str, Any]:
        return {"is": "jaeger", "collector": False, "version": self.version, "evidence": list(self.evidence)}


STANDARD_PORTS = (4317, 4318)


def identify(
    snapshot: Snapshot | None,
    metrics_url: str,
    components: frozenset[str],
    health_url: str,
    export: tuple[str, int, bool],
) -> JaegerReceiver | None:
    """Jaeger, when the metrics or the health endpoint at the OTLP endpoint's host say so; None otherwise
    (`tied` says whether the app's endpoint is Jaeger's receiver, or only those probes answered as Jaeger).

    `export`: the app's endpoint (as shown), its port, and whether an export was accepted there.
    """
    endpoint, port, reached = export
    evidence: list[str] = []
    version: str | None = None
    if snapshot is not None:
        name = snapshot.build.get("service_name", "")
        said_version = snapshot.build.get("service_version", "")
        if name.strip().lower() == JAEGER_SERVICE:
            version = redact.clean(said_version, 40) or None
            tail = f', service_version="{version}"' if version else ""
            evidence.append(f'build info service_name="{JAEGER_SERVICE}"{tail} at {redact.url(metrics_url)}')
        if STORAGE_EXPORTER in snapshot.exporters:
            evidence.append(f"exporter {STORAGE_EXPORTER} (Jaeger's own storage) in {redact.url(metrics_url)}")
    named = [c for c in JAEGER_COMPONENTS if c in components]
    if named:
        evidence.append(f"{', '.join(named)} in the health answer at {redact.url(health_url)}")
    if not evidence:
        return None
    shown = redact.clean(endpoint, 200)
    if not reached and port not in STANDARD_PORTS:
        # Failing elsewhere: a collector may be meant there, and nothing ties the endpoint to Jaeger.
        return JaegerReceiver(version, tuple(evidence), shown, reached, tied=False)
    tie = f"an OTLP export was accepted at {shown}" if reached else f"the export fails at {shown}, a standard OTLP port"
    return JaegerReceiver(version, (*evidence, tie), shown, reached)
