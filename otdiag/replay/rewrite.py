"""The user's collector config, rewritten so that spans go through its processors and reach nothing outside.

For each traces pipeline with processors p1..pn, the private config has n+1 pipelines: the k-th runs
p1..pk and exports to a capture point of otdiag's (k = 0 sees the spans as they came in). A processor
is instantiated per pipeline, so every stage runs its own copy of the user's processor with the user's
settings. Every receiver is replaced by one private OTLP/HTTP receiver on loopback, every exporter by
a capture exporter, extensions are left out (the report says which), and the collector's own telemetry
is turned off, so no port but loopback ones is opened and no backend is contacted.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otdiag import durations
from otdiag.errors import UsageError

FAST_WAIT_S = 1.0
"""What --fast shortens tail_sampling's decision_wait (and groupbytrace's wait_duration) to."""

_WAITS = {"tail_sampling": ("decision_wait", 30.0), "groupbytrace": ("wait_duration", 1.0)}
"""Processors that hold spans for a while by design: their setting, and its default in seconds."""
_NOT_FAITHFUL = {
    "memory_limiter": "depends on this machine's memory, not the production collector's",
    "batch": "flushes on size or time; replay flushes it at shutdown, so what it holds still arrives",
    "k8sattributes": "looks spans up in a Kubernetes API that replay does not reach",
    "resourcedetection": "detects the resource of the machine replay runs on",
    "redis": "depends on external state",
    "probabilistic_sampler": "decides by trace ID: the same IDs give the same decision on every run",
}


@dataclass(frozen=True, slots=True)
class Stage:
    """One capture point: what pipeline `pipeline` has made of the spans after its first `index` processors."""

    pipeline: str
    index: int
    processor: str | None
    """The processor this stage comes after (None: the spans as they came in)."""
    path: str
    """The capture URL path the stage's exporter posts to."""


@dataclass(frozen=True, slots=True)
class PipelinePlan:
    name: str
    processors: tuple[str, ...]
    exporters: tuple[str, ...]
    stages: tuple[Stage, ...]
    connector_fed: str | None = None
    """The connector this pipeline receives from in the user's config (replayed as if spans came straight in)."""


@dataclass(frozen=True, slots=True)
class Plan:
    config: dict[str, Any]
    """The private config, ready to be written out."""
    pipelines: tuple[PipelinePlan, ...]
    left_out: tuple[str, ...]
    """What of the user's config does not run in the replay, and why."""
    hold_s: float
    """How long a processor may hold spans by design (tail_sampling's decision_wait, ...)."""
    scaled: tuple[str, ...]
    """What --fast shortened."""
    not_faithful: tuple[str, ...]
    """Processors whose behaviour in replay may differ from production, and why."""


def plan(config: Any, *, receive_port: int, capture_url: str, fast: bool, only: str | None = None) -> Plan:
    """The private config for `config` (a parsed collector config mapping)."""
    if not isinstance(config, Mapping):
        raise UsageError("the config is not a YAML mapping of receivers, processors, exporters and service")
    service = config.get("service")
    pipelines = service.get("pipelines") if isinstance(service, Mapping) else None
    if not isinstance(pipelines, Mapping):
        raise UsageError("the config has no service::pipelines")
    traces = {str(k): v for k, v in pipelines.items() if str(k) == "traces" or str(k).startswith("traces/")}
    if only is not None:
        if only not in traces:
            raise UsageError(f"--pipeline: {only!r} is not a traces pipeline of the config ({', '.join(traces)})")
        traces = {only: traces[only]}
    if not traces:
        raise UsageError("the config has no traces pipeline (service::pipelines::traces)")
    defined = _section(config, "processors")
    connectors = _section(config, "connectors")
    out_processors: dict[str, Any] = {}
    out_exporters: dict[str, Any] = {}
    out_pipelines: dict[str, Any] = {}
    plans: list[PipelinePlan] = []
    scaled: list[str] = []
    hold = 0.0
    for i, (name, given) in enumerate(traces.items()):
        body = given if isinstance(given, Mapping) else {}
        procs = tuple(str(p) for p in _names(body.get("processors")))
        exporters = tuple(str(e) for e in _names(body.get("exporters")))
        for p in procs:
            if p not in defined:
                raise UsageError(f"pipeline {name}: processor {p!r} is not defined under processors:")
            settings, wait, note = _processor(p, defined[p], fast=fast)
            out_processors[p] = settings
            hold = max(hold, wait)
            if note:
                scaled.append(note)
        stages = []
        for k in range(len(procs) + 1):
            path = f"/stage/{i}/{k}"
            exporter = f"otlphttp/otdiag_{i}_{k}"
            out_exporters[exporter] = _capture_exporter(capture_url + path)
            out_pipelines[f"traces/otdiag_{i}_{k}"] = {
                "receivers": ["otlp/otdiag_replay"],
                "processors": list(procs[:k]),
                "exporters": [exporter],
            }
            stages.append(Stage(name, k, procs[k - 1] if k else None, path))
        fed = next((str(r) for r in _names(body.get("receivers")) if str(r) in connectors), None)
        plans.append(PipelinePlan(name, procs, exporters, tuple(stages), fed))
    private = {
        "receivers": {"otlp/otdiag_replay": {"protocols": {"http": {"endpoint": f"127.0.0.1:{receive_port}"}}}},
        "processors": out_processors,
        "exporters": out_exporters,
        "service": {
            "pipelines": out_pipelines,
            "telemetry": {"metrics": {"level": "none"}, "logs": {"level": "error"}},
        },
    }
    return Plan(
        config=private,
        pipelines=tuple(plans),
        left_out=tuple(_left_out(config, traces, connectors)),
        hold_s=hold,
        scaled=tuple(dict.fromkeys(scaled)),
        not_faithful=tuple(
            f"{p}: {_NOT_FAITHFUL[p.split('/', 1)[0]]}"
            for p in dict.fromkeys(p for pl in plans for p in pl.processors)
            if p.split("/", 1)[0] in _NOT_FAITHFUL
        ),
    )


def _section(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _names(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _capture_exporter(url: str) -> dict[str, Any]:
    return {
        "traces_endpoint": url,
        "compression": "none",
        "retry_on_failure": {"enabled": False},
        "sending_queue": {"enabled": False},
        "timeout": "5s",
    }


def _processor(name: str, settings: Any, *, fast: bool) -> tuple[Any, float, str | None]:
    """The processor's settings (with --fast, its wait shortened), how long it holds spans, and what was scaled."""
    ptype = name.split("/", 1)[0]
    settings = copy.deepcopy(settings) if settings is not None else None
    if ptype not in _WAITS:
        return settings, 0.0, None
    key, default = _WAITS[ptype]
    body = dict(settings) if isinstance(settings, Mapping) else {}
    wait = _seconds(body.get(key), default)
    if fast and wait > FAST_WAIT_S:
        body[key] = f"{FAST_WAIT_S:g}s"
        return body, FAST_WAIT_S, f"{name}: {key} {wait:g}s -> {FAST_WAIT_S:g}s (--fast)"
    return (body if settings is not None else settings), wait, None


def _seconds(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, int | float):
        return float(value) / 1e9  # a bare number is nanoseconds to the collector
    try:
        return durations.parse(str(value), "duration")
    except UsageError:
        return default


def _left_out(config: Mapping[str, Any], traces: Mapping[str, Any], connectors: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    receivers = sorted(
        {str(r) for body in traces.values() if isinstance(body, Mapping) for r in _names(body.get("receivers"))}
    )
    if receivers:
        out.append(f"receivers {', '.join(receivers)}: replaced by otdiag's private loopback receiver")
    exporters = sorted(
        {str(e) for body in traces.values() if isinstance(body, Mapping) for e in _names(body.get("exporters"))}
    )
    if exporters:
        out.append(f"exporters {', '.join(exporters)}: not contacted; the report says which spans would reach them")
    extensions = sorted(_section(config, "extensions"))
    if extensions:
        out.append(f"extensions {', '.join(extensions)}: not started (nothing in replay listens or authenticates)")
    used = sorted(
        {
            c
            for body in traces.values()
            if isinstance(body, Mapping)
            for c in map(str, _names(body.get("exporters")))
            if c in connectors
        }
    )
    if used:
        out.append(f"connectors {', '.join(used)}: shown as reached; the pipelines they feed are replayed on their own")
    return out
