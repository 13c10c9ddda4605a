"""The parsed config the checks share: components and pipelines, each with its place in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otdiag.validate.knowledge import Component
from otdiag.validate.yamlsrc import Node


@dataclass(slots=True, eq=False)
class Comp:
    """One configured component: `receivers: {otlp/in: {...}}` gives kind receiver, id otlp/in."""

    kind: str
    id: str
    type: str
    key: Node
    node: Node
    info: Component | None
    """What the distribution knows of its type (None: unknown type)."""

    @property
    def section(self) -> str:
        return self.kind + "s"

    @property
    def label(self) -> str:
        return f"{self.section}::{self.id}"

    @property
    def canonical(self) -> str:
        return self.info.type if self.info else self.type

    def get(self, *path: str) -> Node | None:
        n: Node | None = self.node
        for p in path:
            if n is None or n.kind != "map":
                return None
            n = n.get(p)
        return n

    def value(self, *path: str, default: Any = None) -> Any:
        """A scalar setting, else its generated default, else `default`."""
        n = self.get(*path)
        if n is not None and n.kind == "scalar" and n.value is not None:
            return n.value
        d: Any = self.info.defaults if self.info else None
        for p in path:
            d = d.get(p) if isinstance(d, dict) else None
        return default if d is None else d


@dataclass(slots=True, eq=False)
class Ref:
    id: str
    node: Node


@dataclass(slots=True, eq=False)
class Pipeline:
    id: str
    signal: str
    key: Node
    node: Node
    receivers: list[Ref] = field(default_factory=list)
    processors: list[Ref] = field(default_factory=list)
    exporters: list[Ref] = field(default_factory=list)


@dataclass
class Config:
    """Components by section and ID, pipelines by ID, service extensions."""

    root: Node
    comps: dict[str, dict[str, Comp]] = field(default_factory=dict)
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    extensions: list[Ref] = field(default_factory=list)
    telemetry: Node | None = None

    def comp(self, kind: str, id_: str) -> Comp | None:
        return self.comps.get(kind, {}).get(id_)

    def all(self) -> list[Comp]:
        return [c for section in self.comps.values() for c in section.values()]
