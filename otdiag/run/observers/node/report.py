"""The Node.js preload's reports, decoded as untrusted input: bounded, shape-checked, printable, scrubbed.

The preload (`otdiag-observe.cjs`) writes one JSON file per Node.js process (`node-<pid>.json`) into
the run's private directory. Nothing in it is trusted: every file is read up to a size bound, every
value is type-checked (a wrong type is dropped, never raised), every string is cut, made printable
and scrubbed of secrets before it reaches a fact or a finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otdiag import redact

MAX_FILES = 32
MAX_BYTES = 1_000_000
MAX_ITEMS = 64
MAX_TEXT = 400


def _s(value: Any, limit: int = MAX_TEXT) -> str:
    """A printable, scrubbed string of at most `limit` characters ('' for anything but a string)."""
    if not isinstance(value, str):
        return ""
    return redact.clean(value[:limit])


def _opt(value: Any) -> str | None:
    return _s(value) or None


def _i(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53 else 0


def _b(value: Any) -> bool:
    return value is True


def _list(value: Any) -> list[Any]:
    return value[:MAX_ITEMS] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in list(value.items())[:MAX_ITEMS] if isinstance(k, str)}


@dataclass(frozen=True, slots=True)
class Load:
    seq: int
    site: str | None
    by_app: bool


@dataclass(frozen=True, slots=True)
class Instrumentation:
    name: str
    modules: tuple[str, ...]
    seq: int
    site: str | None


@dataclass(frozen=True, slots=True)
class Provider:
    type: str
    site: str | None
    registered: bool
    sampler: str | None
    processors: tuple[str, ...]
    shutdown: bool


@dataclass(frozen=True, slots=True)
class Exporter:
    type: str
    package: str | None
    url: str | None
    code_url: str | None
    header_names: tuple[str, ...]
    site: str | None
    results: Mapping[str, int]
    errors: tuple[str, ...]
    spans_handed: int


@dataclass(frozen=True, slots=True)
class Report:
    """One Node.js process's report."""

    node: str = ""
    main: str = ""
    esm_main: bool = False
    loader_flags: tuple[str, ...] = ()
    registered_hooks: tuple[str, ...] = ()
    packages: Mapping[str, str] = field(default_factory=dict)
    loads: Mapping[str, Load] = field(default_factory=dict)
    instrumentations: tuple[Instrumentation, ...] = ()
    applied: tuple[str, ...] = ()
    providers: tuple[Provider, ...] = ()
    exporters: tuple[Exporter, ...] = ()
    registered_type: str | None = None
    registered_site: str | None = None
    app_logger: bool = False
    tracers_taken: int = 0
    tracers_before_registration: int = 0
    spans_started: int = 0
    spans_ended: int = 0
    diag: tuple[tuple[str, str], ...] = ()
    exit_how: str = "unknown"
    exit_code: int | None = None
    exit_site: str | None = None
    shutdown: bool = False
    shutdown_done: bool = False
    """The shutdown's promise settled before the exit (the queue was flushed, or its export failed)."""
    shutdown_site: str | None = None
    crash: str | None = None
    crash_site: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def weight(self) -> int:
        """How much this process did with OpenTelemetry (npm itself has no SDK; the app does)."""
        return 4 * len(self.providers) + 2 * len(self.exporters) + len(self.packages) + self.tracers_taken


def decode(doc: Any) -> Report | None:
    """A report from a parsed JSON document, or None when it is not one."""
    if not isinstance(doc, dict) or doc.get("v") != 1:
        return None
    loads = {
        _s(k, 80): Load(_i(v.get("seq")), _opt(v.get("site")), _b(v.get("by_app")))
        for k, v in _dict(doc.get("loads")).items()
        if isinstance(v, dict)
    }
    instr = tuple(
        Instrumentation(
            _s(x.get("name"), 120),
            tuple(_s(m, 80) for m in _list(x.get("modules")) if isinstance(m, str)),
            _i(x.get("seq")),
            _opt(x.get("site")),
        )
        for x in _list(doc.get("instrumentations"))
        if isinstance(x, dict)
    )
    providers = tuple(
        Provider(
            _s(p.get("type"), 80) or "?",
            _opt(p.get("site")),
            _b(p.get("registered")),
            _opt(p.get("sampler")),
            tuple(_s(x, 80) for x in _list(p.get("processors")) if isinstance(x, str)),
            _b(p.get("shutdown")),
        )
        for p in _list(doc.get("providers"))
        if isinstance(p, dict)
    )
    exporters = tuple(
        Exporter(
            _s(e.get("type"), 80) or "?",
            _opt(e.get("package")),
            _url(e.get("url")),
            _url(e.get("code_url")),
            tuple(_s(h, 80) for h in _list(e.get("header_names")) if isinstance(h, str))[:20],
            _opt(e.get("site")),
            {k: _i(v) for k, v in _dict(e.get("results")).items() if k in ("SUCCESS", "FAILURE")},
            tuple(_s(x) for x in _list(e.get("errors")) if isinstance(x, str))[:3],
            _i(e.get("spans_handed")),
        )
        for e in _list(doc.get("exporters"))
        if isinstance(e, dict)
    )
    reg = doc.get("registration")
    reg = reg if isinstance(reg, dict) else {}
    tracers = _dict(doc.get("tracers"))
    spans = _dict(doc.get("spans"))
    ex = _dict(doc.get("exit"))
    crash = doc.get("crash")
    crash = crash if isinstance(crash, dict) else {}
    diag = tuple(
        (_s(d[0], 10), _s(d[1]))
        for d in _list(doc.get("diag"))
        if isinstance(d, list) and len(d) == 2 and isinstance(d[0], str) and isinstance(d[1], str)
    )
    code = ex.get("code")
    return Report(
        node=_s(doc.get("node"), 40),
        main=_s(doc.get("main")),
        esm_main=_b(doc.get("esm_main")),
        loader_flags=tuple(_s(x) for x in _list(doc.get("loader_flags")) if isinstance(x, str)),
        registered_hooks=tuple(_s(x) for x in _list(doc.get("registered_hooks")) if isinstance(x, str)),
        packages={
            _s(k, 80): _s(v, 40) for k, v in _dict(doc.get("packages")).items() if k.startswith("@opentelemetry/")
        },
        loads=loads,
        instrumentations=instr,
        applied=tuple(_s(x, 80) for x in _list(doc.get("applied")) if isinstance(x, str)),
        providers=providers,
        exporters=exporters,
        registered_type=_opt(reg.get("type")),
        registered_site=_opt(reg.get("site")),
        app_logger=_b(doc.get("app_logger")),
        tracers_taken=_i(tracers.get("taken")),
        tracers_before_registration=_i(tracers.get("before_registration")),
        spans_started=_i(spans.get("started")),
        spans_ended=_i(spans.get("ended")),
        diag=diag,
        exit_how=_s(ex.get("how"), 20) or "unknown",
        exit_code=code if isinstance(code, int) and not isinstance(code, bool) and -(2**31) <= code < 2**31 else None,
        exit_site=_opt(ex.get("site")),
        shutdown=_b(ex.get("shutdown")),
        shutdown_done=_b(ex.get("shutdown_done")),
        shutdown_site=_opt(ex.get("shutdown_site")),
        crash=_opt(crash.get("error")),
        crash_site=_opt(crash.get("site")),
        errors=tuple(_s(x) for x in _list(doc.get("errors")) if isinstance(x, str))[:10],
    )


def _url(value: Any) -> str | None:
    text = _s(value)
    return redact.url(text) if text else None


def read(directory: Path) -> list[Report]:
    """Every readable report in `directory` (bounded in number and size), in a stable order."""
    out: list[Report] = []
    try:
        files = sorted(p for p in directory.glob("node-*.json") if p.is_file())[:MAX_FILES]
    except OSError:
        return out
    for path in files:
        try:
            with path.open("rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                continue
            report = decode(json.loads(raw.decode("utf-8", errors="replace")))
        except (OSError, ValueError, RecursionError):
            continue
        if report is not None:
            out.append(report)
    return out
