"""The pipelines as data: receivers -> processors -> exporters per pipeline, connectors joining them."""

from __future__ import annotations

from typing import Any

from otdiag.validate.model import Config


def pipeline_graph(cfg: Config | None) -> dict[str, Any]:
    """{pipelines: [{id, signal, receivers, processors, exporters}], connectors: [{id, from, to}], unused: [...]}"""
    if cfg is None:
        return {"pipelines": [], "connectors": [], "unused": []}
    conns = cfg.comps.get("connector", {})
    pipelines = []
    used: set[tuple[str, str]] = set()
    joins: dict[str, dict[str, list[str]]] = {}
    for pid, p in cfg.pipelines.items():
        pipelines.append(
            {
                "id": pid,
                "signal": p.signal,
                "receivers": [r.id for r in p.receivers],
                "processors": [r.id for r in p.processors],
                "exporters": [r.id for r in p.exporters],
            }
        )
        for r in p.receivers:
            used.add(("connector" if r.id in conns else "receiver", r.id))
            if r.id in conns:
                joins.setdefault(r.id, {"from": [], "to": []})["to"].append(pid)
        for r in p.processors:
            used.add(("processor", r.id))
        for r in p.exporters:
            used.add(("connector" if r.id in conns else "exporter", r.id))
            if r.id in conns:
                joins.setdefault(r.id, {"from": [], "to": []})["from"].append(pid)
    enabled = {r.id for r in cfg.extensions}
    unused = [
        f"{kind}:{cid}"
        for kind, section in cfg.comps.items()
        for cid in section
        if (kind != "extension" and (kind, cid) not in used) or (kind == "extension" and cid not in enabled)
    ]
    connectors = [{"id": cid, "from": j["from"], "to": j["to"]} for cid, j in sorted(joins.items())]
    return {
        "pipelines": pipelines,
        "connectors": connectors,
        "extensions": [r.id for r in cfg.extensions],
        "unused": unused,
    }
