"""What a distribution's components accept: the generated data in otdiag/validate/data/.

The JSON files are written by scripts/gen_components.py from the components' own Go config
structs and upstream metadata; nothing here is typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
KINDS = ("receiver", "processor", "exporter", "connector", "extension")
SECTIONS = {
    "receivers": "receiver",
    "processors": "processor",
    "exporters": "exporter",
    "connectors": "connector",
    "extensions": "extension",
}
SIGNALS = ("traces", "metrics", "logs", "profiles")


class Distribution(StrEnum):
    CONTRIB = "contrib"
    CORE = "core"
    JAEGER = "jaeger"


@dataclass(frozen=True, slots=True)
class Component:
    kind: str
    type: str
    """The canonical type (an alias resolves to it)."""
    aliases: tuple[str, ...]
    signals: dict[str, str] | None
    """Stability per signal (connectors: per pair, traces_to_metrics); None when unknown."""
    config: dict[str, Any] | None
    """The key tree of its config (see reflect_configs.go); None when it could not be derived."""
    defaults: dict[str, Any] | None
    source: str

    def supports(self, signal: str) -> bool | None:
        if self.signals is None:
            return None
        return signal in self.signals

    def connects(self, src: str, dst: str) -> bool | None:
        if self.signals is None:
            return None
        return f"{src}_to_{dst}" in self.signals


@dataclass(frozen=True)
class Knowledge:
    distribution: Distribution
    versions: dict[str, str]
    sources: tuple[str, ...]
    components: dict[str, dict[str, Component]]
    """kind -> type -> component (canonical types only)."""
    alias_of: dict[str, dict[str, str]]
    """kind -> deprecated alias -> canonical type."""
    telemetry: dict[str, Any] | None

    def lookup(self, kind: str, typ: str) -> Component | None:
        comps = self.components.get(kind, {})
        if typ in comps:
            return comps[typ]
        canonical = self.alias_of.get(kind, {}).get(typ)
        return comps.get(canonical) if canonical else None

    def types(self, kind: str) -> list[str]:
        return sorted([*self.components.get(kind, {}), *self.alias_of.get(kind, {})])


@cache
def load(distribution: Distribution) -> Knowledge:
    doc = json.loads((DATA / f"{distribution.value}.json").read_text())
    comps: dict[str, dict[str, Component]] = {}
    alias_of: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        comps[kind] = {}
        alias_of[kind] = {}
        for typ, e in doc["components"].get(kind, {}).items():
            comps[kind][typ] = Component(
                kind, typ, tuple(e["aliases"]), e["signals"], e["config"], e["defaults"], e["source"]
            )
            for alias in e["aliases"]:
                alias_of[kind][alias] = typ
    return Knowledge(
        Distribution(doc["distribution"]),
        dict(doc["versions"]),
        tuple(doc["sources"]),
        comps,
        alias_of,
        doc.get("telemetry"),
    )
