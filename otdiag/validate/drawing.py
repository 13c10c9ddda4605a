"""Views of the pipeline graph (otdiag.validate.graph), part of the report: plain text and a mermaid flowchart."""

from __future__ import annotations

import itertools
import re
from enum import StrEnum
from typing import Any, assert_never


class GraphFormat(StrEnum):
    TEXT = "text"
    MERMAID = "mermaid"


def render(graph: dict[str, Any], fmt: GraphFormat) -> str:
    if fmt is GraphFormat.TEXT:
        return text(graph)
    if fmt is GraphFormat.MERMAID:
        return mermaid(graph)
    assert_never(fmt)


def text(graph: dict[str, Any]) -> str:
    lines = []
    for p in graph["pipelines"]:
        stages = [", ".join(p["receivers"]) or "(none)"]
        stages += p["processors"]
        stages.append(", ".join(p["exporters"]) or "(none)")
        lines.append(f"{p['id']}: " + " -> ".join(f"[{s}]" for s in stages))
    for c in graph["connectors"]:
        lines.append(f"connector {c['id']}: {', '.join(c['from']) or '?'} => {', '.join(c['to']) or '?'}")
    if graph.get("extensions"):
        lines.append("extensions: " + ", ".join(graph["extensions"]))
    if graph["unused"]:
        lines.append("unused: " + ", ".join(graph["unused"]))
    return "\n".join(lines)


def _nid(*parts: str) -> str:
    return "n_" + re.sub(r"[^0-9A-Za-z_]", "_", "__".join(parts))


def _label(s: str) -> str:
    return s.replace('"', "'")


def mermaid(graph: dict[str, Any]) -> str:
    """Receivers -> processors -> exporters per pipeline; connectors join pipelines; unused set apart."""
    out = ["graph LR"]
    conns = {c["id"] for c in graph["connectors"]}
    for c in sorted(conns):
        out.append(f'    {_nid("conn", c)}{{{{"{_label(c)}"}}}}')
    for p in graph["pipelines"]:
        pid = p["id"]
        out.append(f'    subgraph {_nid("pipe", pid)}["{_label(pid)}"]')
        chain: list[str] = []
        for r in p["receivers"]:
            if r not in conns:
                out.append(f'        {_nid(pid, "r", r)}(["{_label(r)}"])')
        for i, proc in enumerate(p["processors"]):
            out.append(f'        {_nid(pid, "p", str(i), proc)}["{_label(proc)}"]')
            chain.append(_nid(pid, "p", str(i), proc))
        for e in p["exporters"]:
            if e not in conns:
                out.append(f'        {_nid(pid, "e", e)}[/"{_label(e)}"/]')
        out.append("    end")
        heads = [_nid("conn", r) if r in conns else _nid(pid, "r", r) for r in p["receivers"]]
        tails = [_nid("conn", e) if e in conns else _nid(pid, "e", e) for e in p["exporters"]]
        first = chain[0] if chain else None
        for h in heads:
            for t in [first] if first else tails:
                out.append(f"    {h} --> {t}")
        for a, b in itertools.pairwise(chain):
            out.append(f"    {a} --> {b}")
        if chain:
            for t in tails:
                out.append(f"    {chain[-1]} --> {t}")
    if graph["unused"]:
        out.append('    subgraph unused["unused"]')
        for u in graph["unused"]:
            out.append(f'        {_nid("unused", u)}["{_label(u)}"]')
        out.append("    end")
    return "\n".join(out)
