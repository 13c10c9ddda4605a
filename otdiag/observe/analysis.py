"""Turn the observer's reports into findings, root cause first (heading 3, from inside the app).

The reports come from the app's process, so they are read like any other
untrusted input: bounded, shape-checked, every string made printable and
scrubbed of URL secrets before it reaches a finding.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag import redact
from otdiag.model import Finding, Guide, Location, Protocol, Severity, Stage
from otdiag.observe import deps, instrumentation
from otdiag.observe.observed import (
    MAX_LISTED,
    NOT_LOADED,
    SPAN_COUNTS,
    ExporterSeen,
    Observed,
    ProviderSeen,
    ProviderSetCall,
    SpanCounts,
)

_UNREACHED = frozenset(k.code for k in (c.INGEST_REFUSED, c.INGEST_DNS, c.INGEST_TIMEOUT))
"""The classifier's kinds that mean nothing answered at the exporter's endpoint."""
_MAX_REPORT = 4 * 1024 * 1024
_MAX_REPORTS = 64
_MAX_LISTED = 20
_JAEGER_MODULE = "opentelemetry.exporter.jaeger"
_JAEGER_PORTS = re.compile(r"(?::|port\s*=\s*|agent_port\s*=\s*)(14268|14250|6831|6832)\b")


# --- reading -----------------------------------------------------------------------------------


def read_reports(directory: Path) -> list[dict[str, Any]]:
    """Every obs-<pid>.json the app's processes left, oldest first; unreadable ones are skipped."""
    out: list[dict[str, Any]] = []
    try:
        names = sorted(p.name for p in directory.iterdir() if p.name.startswith("obs-") and p.name.endswith(".json"))
    except OSError:
        return out
    for name in names[:_MAX_REPORTS]:
        path = directory / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            raw = os.read(fd, _MAX_REPORT + 1)
        except OSError:
            continue
        finally:
            os.close(fd)
        if len(raw) > _MAX_REPORT:
            continue
        try:
            doc = json.loads(raw.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError):
            continue
        if isinstance(doc, dict) and doc.get("v") == 1:
            _merge_counters(doc, directory / f"cnt-{name[4:-5]}.bin")
            out.append(doc)
    out.sort(key=lambda d: _num(d.get("started_at")))
    return out


_COUNTERS = (
    "started",
    "sampled",
    "dropped_root",
    "dropped_parent",
    "dropped_disabled",
    "noop",
    "noop_before_provider",
    "ended",
    "ended_after_shutdown",
)
"""The observer's live span counters, in their order in cnt-<pid>.bin (sitecustomize's `_COUNTERS`)."""


def _merge_counters(doc: dict[str, Any], path: Path) -> None:
    """The process's live span counters win over its last report: a process killed after that report
    (a pool's worker on terminate()) counted every span up to its end there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        raw = os.read(fd, 8 * len(_COUNTERS) + 1) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    except OSError:
        return
    finally:
        os.close(fd)
    if len(raw) != 8 * len(_COUNTERS):
        return
    import struct

    values = [max(0, v) for v in struct.unpack(f"={len(_COUNTERS)}q", raw)]
    spans = doc.get("spans")
    spans = dict(spans) if isinstance(spans, dict) else {}
    spans.update(zip(_COUNTERS, values, strict=True))
    c = dict(zip(_COUNTERS, values, strict=True))
    recording = c["started"] - c["dropped_root"] - c["dropped_parent"] - c["dropped_disabled"]
    spans["recording"] = max(0, recording)
    spans["open_count"] = max(0, recording - c["ended"])
    doc["spans"] = spans


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0


def _int(d: Any, key: str) -> int:
    v = d.get(key) if isinstance(d, Mapping) else None
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) else 0


def _str(d: Any, key: str, limit: int = 300) -> str:
    v = d.get(key) if isinstance(d, Mapping) else None
    return _printable(v, limit) if isinstance(v, str) else ""


def _list(d: Any, key: str) -> list[Any]:
    v = d.get(key) if isinstance(d, Mapping) else None
    return v if isinstance(v, list) else []


def _dict(d: Any, key: str) -> dict[str, Any]:
    v = d.get(key) if isinstance(d, Mapping) else None
    return v if isinstance(v, dict) else {}


def _printable(text: str, limit: int = 300) -> str:
    """`text` made printable and scrubbed; cut to `limit` characters with an ellipsis, never silently."""
    return redact.clean(text if len(text) <= limit else text[: limit - 1] + "…")


_MAX_ERROR = 1000
"""An exporter's error text is kept whole up to this many characters (the view wraps it)."""


@dataclass(frozen=True)
class Site:
    file: str
    line: int

    def shown(self, cwd: str) -> str:
        return f"{_rel(self.file, cwd)}:{self.line}"

    def location(self, cwd: str) -> Location:
        return Location(_rel(self.file, cwd), self.line, 1)


def _rel(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _site(v: Any) -> Site | None:
    if isinstance(v, list) and len(v) >= 2 and isinstance(v[0], str) and isinstance(v[1], int):
        return Site(_printable(v[0], 500), v[1])
    return None


# --- the analysis ------------------------------------------------------------------------------


@dataclass
class Context:
    """What otdiag knows from outside the app."""

    endpoint: str
    """otdiag's receiver, as given to the app."""
    receiver_spans: int
    returncode: int
    cwd: str = field(default_factory=os.getcwd)
    also: list[str] = field(default_factory=list)
    """Other host:port otdiag received on (the default OTLP ports)."""


@dataclass(frozen=True, slots=True)
class Analysis:
    findings: list[Finding]
    observed: Observed
    root_causes: int = 0
    """How many of the first findings are root causes that outrank the app's environment."""

    @property
    def loaded(self) -> bool:
        return self.observed.loaded


def _hostport(url: str) -> str:
    """host:port of an endpoint, with every loopback name as one ('localhost:4317' is '127.0.0.1:4317')."""
    text = url if "://" in url else "//" + url
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url
    if host in ("localhost", "127.0.0.1", "::1", "ip6-localhost"):
        host = "loopback"
    return f"{host}:{port}"


def _is_app_frame(path: str) -> bool:
    return not (
        path.startswith("<")
        or f"{os.sep}site-packages{os.sep}" in path
        or f"{os.sep}dist-packages{os.sep}" in path
        or f"{os.sep}lib{os.sep}python3" in path
    )


def _in_otel(site: Site | None) -> bool:
    """Whether `site` is the OpenTelemetry distribution's or SDK's own code (its auto-configuration builds the
    provider, sampler and exporters from OTEL_* variables): the user's fix is then the variable, never that file."""
    if site is None or _is_app_frame(site.file):
        return False
    return f"{os.sep}opentelemetry{os.sep}" in site.file


def _crash_site(crash: Mapping[str, Any]) -> Site | None:
    frames = [f for f in _list(crash, "frames") if isinstance(f, list) and len(f) >= 2]
    for frame in reversed(frames):
        site = _site(frame)
        if site is not None and _is_app_frame(site.file):
            return site
    return _site(frames[-1]) if frames else None


def _jaeger_port_line(path: str) -> tuple[int, str] | None:
    """The first line of the app's file that names a Jaeger v1 port (14268, 6831 …)."""
    try:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > 1024 * 1024:
            return None
        with p.open("rb") as fh:
            text = fh.read(1024 * 1024).decode("utf-8", errors="replace")
    except OSError:
        return None
    for n, line in enumerate(text.splitlines(), 1):
        if _JAEGER_PORTS.search(line):
            return n, _printable(line.strip(), 160)
    return None


# --- the facts every rule reads ----------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """The reports, shape-checked once, beside what otdiag knows from outside the app."""

    reports: Sequence[Mapping[str, Any]]
    ctx: Context
    spans: list[dict[str, Any]]
    exporters: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    """Imports of opentelemetry* modules that failed, with the importing file:line."""
    crash: dict[str, Any]
    """The first process's uncaught exception ({} when none crashed)."""
    crash_site: Site | None
    crash_text: str
    dists: dict[str, deps.Dist]
    dep_report: deps.DepReport
    set_calls: list[dict[str, Any]]
    accepted: dict[str, Any] | None
    """The trace.set_tracer_provider() call that took effect."""
    providers: dict[int, dict[str, Any]]
    active: dict[str, Any] | None
    """The provider that was set (None: none, or not an SDK provider otdiag saw built)."""
    jaeger_fail: dict[str, Any] | None
    jaeger_exp: dict[str, Any] | None
    ours: set[str]
    """otdiag's receiver addresses, as _hostport gives them."""
    delivered: bool
    """Spans reached otdiag's receiver, or an exporter reported a success anywhere."""
    uninstrumented: list[instrumentation.Missing]
    """Under opentelemetry-instrument: libraries the app imported whose instrumentation is not installed."""

    @property
    def cwd(self) -> str:
        return self.ctx.cwd

    @property
    def main(self) -> Mapping[str, Any]:
        return self.reports[0]

    def total(self, key: str) -> int:
        return sum(_int(s, key) for s in self.spans)

    @property
    def first_noop(self) -> Site | None:
        return next((_site(s.get("first_noop_site")) for s in self.spans if s.get("first_noop_site")), None)

    @cached_property
    def orphans(self) -> list[Mapping[str, Any]]:
        """Child processes (spawned workers, other Pythons the app ran) that started spans without ever
        setting a provider, while another of the app's processes set an SDK one."""
        if self.accepted is None or ".sdk." not in _str(self.accepted, "type"):
            return []
        return [
            r
            for r in self.reports[1:]
            if r.get("forked") is not True
            and _int(_dict(r, "spans"), "noop") > 0
            and not any(isinstance(x, dict) and x.get("accepted") is True for x in _list(r, "set_provider_calls"))
        ]

    def orphan_total(self, key: str) -> int:
        return sum(_int(_dict(r, "spans"), key) for r in self.orphans)

    @property
    def own_first_noop(self) -> Site | None:
        """The first no-op span outside the orphaned child processes."""
        ids = {id(r) for r in self.orphans}
        return next(
            (
                _site(_dict(r, "spans").get("first_noop_site"))
                for r in self.reports
                if id(r) not in ids and _dict(r, "spans").get("first_noop_site")
            ),
            None,
        )

    @property
    def orphan_first_noop(self) -> Site | None:
        return next((_site(_dict(r, "spans").get("first_noop_site")) for r in self.orphans), None)

    @cached_property
    def cut_threads(self) -> list[dict[str, Any]]:
        """Daemon threads still inside a span at exit (the interpreter stops them there)."""
        return [
            t for r in self.reports for t in _list(r, "open_threads") if isinstance(t, dict) and t.get("daemon") is True
        ][:_MAX_LISTED]

    @cached_property
    def queue_logged(self) -> int:
        """How often the SDK logged 'Queue full' (a drop each, but for a race with the export thread)."""
        return sum(
            _int(log, "count") for r in self.reports for log in _list(r, "logs") if "Queue full" in _str(log, "message")
        )

    @cached_property
    def loss(self) -> Loss:
        return _loss(self)

    @property
    def jaeger_crash(self) -> bool:
        crash = self.crash
        return bool(crash) and (
            "jaegerexporter" in _str(crash, "message", 500).lower()
            or any(f"exporter{os.sep}jaeger" in str(f[0]) for f in _list(crash, "frames") if isinstance(f, list) and f)
        )

    @property
    def jaeger_used(self) -> bool:
        return self.jaeger_fail is not None or self.jaeger_exp is not None or self.jaeger_crash

    @property
    def otel_crash(self) -> bool:
        """The crash is an import or attribute error raised inside OpenTelemetry (a sign of version skew)."""
        crash = self.crash
        return (
            bool(crash)
            and _str(crash, "type") in ("ImportError", "ModuleNotFoundError", "AttributeError")
            and any("opentelemetry" in str(f) for f in _list(crash, "frames"))
        )

    @property
    def missing_otel_module(self) -> str:
        """The OpenTelemetry module whose failed import crashed the app, when nothing before explained it."""
        crash = self.crash
        explained = (self.jaeger_used and bool(crash)) or (bool(self.dep_report.skew) and self.otel_crash)
        if not crash or explained or _str(crash, "type") not in ("ModuleNotFoundError", "ImportError"):
            return ""
        missing = _str(crash, "name") or _module_in(_str(crash, "message"))
        return missing if missing.startswith("opentelemetry") else ""

    @property
    def crash_explained(self) -> bool:
        return (
            (self.jaeger_used and bool(self.crash))
            or (bool(self.dep_report.skew) and self.otel_crash)
            or bool(self.missing_otel_module)
        )

    @property
    def sdk_active(self) -> dict[str, Any] | None:
        """The provider that was set, when it is an SDK provider and not disabled."""
        return self.active if self.active is not None and not providers_disabled(self.active) else None

    @property
    def rejected_call(self) -> dict[str, Any] | None:
        return next((call for call in self.set_calls if call.get("accepted") is False), None)

    @property
    def lost_processors(self) -> bool:
        """The provider set second had the processors, and the one that stayed has none."""
        call = self.rejected_call
        if call is None:
            return False
        ignored = self.providers.get(_int(call, "id"), {})
        return bool(_list(ignored, "processors")) and not _list(self.active or {}, "processors")


def _facts(reports: Sequence[Mapping[str, Any]], ctx: Context) -> Facts:
    exporters = [e for r in reports for e in _list(r, "exporters") if isinstance(e, dict)]
    ours = {_hostport(ctx.endpoint), *(_hostport(a) for a in ctx.also)}
    delivered_ours = sum(_dict(e, "results").get("SUCCESS", 0) for e in exporters if _is_ours(e, ours))
    delivered_elsewhere = sum(
        _int(_dict(e, "results"), "SUCCESS") for e in exporters if not _is_ours(e, ours) and not _is_console(e)
    )
    crash = next((_dict(r, "crash") for r in reports if _dict(r, "crash")), {})
    crash_site = _crash_site(crash) if crash else None
    crash_text = (
        f"{_str(crash, 'type', 80)}: {_str(crash, 'message', 300)}"
        + (f" at {crash_site.shown(ctx.cwd)}" if crash_site else "")
        if crash
        else ""
    )
    failures = [f for r in reports for f in _list(r, "import_failures") if isinstance(f, dict)]
    sys_path = [p for p in _list(reports[0], "sys_path") if isinstance(p, str)]
    dists = deps.installed(sys_path) if sys_path else {}
    set_calls = [s for r in reports for s in _list(r, "set_provider_calls") if isinstance(s, dict)]
    accepted = next((s for s in set_calls if s.get("accepted") is True), None)
    providers = {_int(p, "id"): p for r in reports for p in _list(r, "providers") if isinstance(p, dict)}
    return Facts(
        reports=reports,
        ctx=ctx,
        spans=[_dict(r, "spans") for r in reports],
        exporters=exporters,
        failures=failures,
        crash=crash,
        crash_site=crash_site,
        crash_text=crash_text,
        dists=dists,
        dep_report=deps.analyse(dists),
        set_calls=set_calls,
        accepted=accepted,
        providers=providers,
        active=providers.get(_int(accepted, "id")) if accepted else None,
        jaeger_fail=next((f for f in failures if _str(f, "name").startswith(_JAEGER_MODULE)), None),
        jaeger_exp=next((e for e in exporters if "jaeger" in _str(e, "type").lower()), None),
        ours=ours,
        delivered=ctx.receiver_spans > 0 or delivered_ours > 0 or delivered_elsewhere > 0,
        uninstrumented=instrumentation.missing(reports),
    )


Rule = Callable[[Facts], list[Finding]]
"""One cause: the facts in, its findings (usually none or one) out."""


def _where(site: Site | None, cwd: str, default: str = "The app") -> str:
    if _in_otel(site):
        return "The SDK's auto-configuration (from OTEL_* variables)"
    return site.shown(cwd) if site else default


def _loc(site: Site | None, cwd: str) -> Location | None:
    """Where the user edits: never a file of the OpenTelemetry packages themselves."""
    return site.location(cwd) if site and not _in_otel(site) else None


# --- 1. the removed Jaeger exporter: imported (and failed), or running from an old SDK ---------


def _jaeger_crash_only(f: Facts) -> tuple[Site | None, str, list[str]]:
    """No import failed and no Jaeger exporter ran, but the crash is inside the Jaeger exporter."""
    site = f.crash_site
    version = next((f"{n} {d.version}" for n, d in f.dists.items() if n in deps.JAEGER_PACKAGES), "")
    message = (
        f"{_where(site, f.cwd)} builds the Jaeger exporter"
        + (f" ({version})" if version else "")
        + f", removed from OpenTelemetry Python after {deps.JAEGER_LAST_RELEASE}, and the app crashed there."
    )
    evidence = [f.crash_text]
    if "service_name" in _str(f.crash, "message", 500):
        evidence.append(
            "JaegerExporter takes no service_name in its last releases: the service name comes from the "
            "TracerProvider's Resource (service.name)."
        )
    return site, message, evidence


def _jaeger_import(f: Facts, fail: Mapping[str, Any]) -> tuple[Site | None, str, list[str]]:
    site = _site(fail.get("site"))
    what = f"import of {_str(fail, 'name')} failed"
    message = (
        f"{_where(site, f.cwd)} imports the Jaeger exporter "
        f"({_str(fail, 'name')}), removed from OpenTelemetry Python after "
        f"{deps.JAEGER_LAST_RELEASE}; the import fails" + (" and the app crashed." if f.crash else ".")
    )
    return site, message, [what + (f" ({f.crash_text})" if f.crash else "")]


def _jaeger_running(f: Facts, exp: Mapping[str, Any]) -> tuple[Site | None, str, list[str]]:
    version = next((d.version for n, d in f.dists.items() if n in deps.JAEGER_PACKAGES), "")
    endpoint = _str(exp, "endpoint") or (
        f"{_str(exp, 'agent_host_name') or 'localhost'}:{_int(exp, 'agent_port') or 6831}"
    )
    proc = _processor_of(f.reports, exp)
    site = _site(proc.get("site")) if proc else None
    message = (
        f"{_where(site, f.cwd)} exports with the Jaeger exporter "
        f"{_str(exp, 'type', 120)}"
        + (f" {version}" if version else "")
        + f" to {endpoint}; it was removed after {deps.JAEGER_LAST_RELEASE}, and no OTLP receiver reads it."
    )
    evidence = [_export_line(exp)]
    if f.crash:
        evidence.append(f.crash_text)
    return site, message, evidence


def _jaeger_port_evidence(site: Site | None, cwd: str) -> str:
    port_line = _jaeger_port_line(site.file) if site and site.file else None
    if port_line is not None and site is not None:
        return (
            f"{_rel(site.file, cwd)}:{port_line[0]}: {port_line[1]} (14268 is Jaeger v1's Thrift HTTP port; "
            "6831 its agent's UDP port)"
        )
    return "14268 is Jaeger v1's Thrift HTTP port and 6831 its agent's UDP port; Jaeger v2 has neither."


def _jaeger_in_use(f: Facts) -> list[Finding]:
    if not f.jaeger_used:
        return []
    if f.jaeger_fail is None and f.jaeger_exp is None:
        site, message, evidence = _jaeger_crash_only(f)
    elif f.jaeger_fail is not None:
        site, message, evidence = _jaeger_import(f, f.jaeger_fail)
    else:
        assert f.jaeger_exp is not None
        site, message, evidence = _jaeger_running(f, f.jaeger_exp)
    evidence.append(_jaeger_port_evidence(site, f.cwd))
    return [c.APP_JAEGER_REMOVED(message, location=_loc(site, f.cwd), evidence=evidence)]


def _jaeger_installed(f: Facts) -> list[Finding]:
    """A removed Jaeger package is installed, though the app did not use it (one finding, for the first)."""
    if f.jaeger_used or not f.dep_report.removed:
        return []
    dist = f.dep_report.removed[0]
    return [
        c.APP_JAEGER_REMOVED(
            f"{dist.name} {dist.version} is installed in the app's environment; it was removed after "
            f"{deps.JAEGER_LAST_RELEASE}.",
            severity=Severity.WARNING,
        )
    ]


# --- 2-4. version skew, a missing OpenTelemetry module, any other crash ------------------------


def _version_skew(f: Facts) -> list[Finding]:
    skew = f.dep_report.skew
    if not skew:
        return []
    otel_crash = f.otel_crash
    severe = otel_crash or not f.delivered
    return [
        c.APP_VERSION_SKEW(
            skew[0],
            severity=None if severe else Severity.WARNING,
            evidence=[*skew[1:4], *([f.crash_text] if otel_crash else [])],
        )
    ]


def _otel_import_failed(f: Facts) -> list[Finding]:
    missing = f.missing_otel_module
    if not missing:
        return []
    fail = next((x for x in f.failures if _str(x, "name") == missing), None)
    site = (_site(fail.get("site")) if fail else None) or f.crash_site
    return [
        c.APP_OTEL_IMPORT(
            f"{_where(site, f.cwd)} imports {missing}, which is not installed; the app crashed.",
            hint=f"pip install {_distribution_for(missing)} in the app's environment (or fix the import).",
            location=_loc(site, f.cwd),
            evidence=[f.crash_text],
        )
    ]


_AUTO_DIR = "/opentelemetry/instrumentation/auto_instrumentation"


def _sdk_not_in_interpreter(f: Facts) -> list[Finding]:
    """A launcher's sitecustomize (opentelemetry-instrument's) ran in a Python without OpenTelemetry.

    The launcher runs the app's command with whatever `python` is first on PATH; outside the
    environment it was installed in, its sitecustomize fails to import opentelemetry (which `site`
    only prints) and the app runs uninstrumented.
    """
    if f.crash or any(_list(r, "hooked") for r in f.reports):
        return []
    if not any(_str(x, "name").partition(".")[0] == "opentelemetry" for x in f.failures):
        return []
    launched = [
        r
        for r in f.reports
        if any(_AUTO_DIR in p.replace(os.sep, "/") for p in _list(r, "sys_path") if isinstance(p, str))
    ]
    if not launched:
        return []
    python = _str(launched[0], "executable", 200) or "python"
    return [
        c.APP_SDK_NOT_IN_INTERPRETER(
            f"opentelemetry-instrument started the app with {python}, where OpenTelemetry is not installed: "
            "its auto-instrumentation could not load, so no span is created.",
            evidence=[f"{python}: import opentelemetry -> ModuleNotFoundError"],
        )
    ]


def _crashed(f: Facts) -> list[Finding]:
    crash, site = f.crash, f.crash_site
    if not crash or f.crash_explained or _str(crash, "type") in ("KeyboardInterrupt", "SystemExit"):
        return []
    fix = f"Fix the {_str(crash, 'type', 80)} at {site.shown(f.cwd)}" if site else "Fix the exception"
    loss = f.loss
    if loss.received and not loss.total and not f.total("open_count"):
        # Every span it started reached the receiver: the app failed, its tracing did not.
        return [
            replace(
                c.APP_CRASHED(
                    f"The app crashed with {f.crash_text} (exit status {f.ctx.returncode}) after all "
                    f"{loss.received} of its span(s) were exported: no span was lost.",
                    location=_loc(site, f.cwd),
                    hint=f"{fix} (the traceback is on the app's stderr); its tracing works.",
                ),
                guide=None,
            )
        ]
    return [
        c.APP_CRASHED(
            f"The app crashed with {f.crash_text} (exit status {f.ctx.returncode})"
            + (f": {loss.total} of {loss.started} span(s) never reached the receiver." if loss.total else "."),
            location=_loc(site, f.cwd),
            hint=f"{fix}; spans not yet exported were lost with the process." if site else None,
        )
    ]


ROOT_CAUSES: tuple[Rule, ...] = (
    _jaeger_in_use,
    _jaeger_installed,
    _version_skew,
    _otel_import_failed,
    _sdk_not_in_interpreter,
    _crashed,
)
"""The rules whose findings outrank what the app's environment says."""


# --- the provider ------------------------------------------------------------------------------


def _not_instrumented(f: Facts) -> list[Finding]:
    hooked = any(_list(r, "hooked") for r in f.reports) or any(_str(x, "name") for x in f.failures)
    if hooked or f.crash or f.ctx.receiver_spans:
        return []
    return [
        c.APP_NO_OPENTELEMETRY(
            f"The app ({_str(f.main, 'argv0', 120) or 'python'}) never imported OpenTelemetry: it is not "
            "instrumented, so it creates no spans."
        )
    ]


def _noop_spans(f: Facts) -> list[Finding]:
    """Spans from the no-op tracer: no provider set, a provider built but not set, or set too late."""
    noop, first_noop, accepted = f.total("noop"), f.first_noop, f.accepted
    sdk_accepted = accepted is not None and ".sdk." in _str(accepted, "type")
    if noop and not sdk_accepted:
        return [_provider_not_set(f, noop, first_noop) if f.providers else _no_provider(f, noop, first_noop)]
    before = f.total("noop_before_provider") - f.orphan_total("noop_before_provider")
    if before <= 0 or accepted is None:
        return []
    site, first_noop = _site(accepted.get("site")), f.own_first_noop
    return [
        c.APP_SPANS_BEFORE_PROVIDER(
            f"{before} span(s) started before the provider was set"
            + (f" at {site.shown(f.cwd)}" if site else "")
            + (f"; the first at {first_noop.shown(f.cwd)}." if first_noop else "."),
            severity=None if f.delivered else Severity.ERROR,
            location=_loc(first_noop, f.cwd),
        )
    ]


def _provider_not_set(f: Facts, noop: int, first_noop: Site | None) -> Finding:
    built = next(iter(f.providers.values()))
    site = _site(built.get("site"))
    return c.APP_PROVIDER_NOT_SET(
        f"{_where(site, f.cwd)} builds a TracerProvider that is never set: "
        f"{noop} span(s) came from the no-op tracer"
        + (f" (first at {first_noop.shown(f.cwd)})." if first_noop else "."),
        hint=f"Add trace.set_tracer_provider(provider) after {site.shown(f.cwd)}." if site else None,
        location=_loc(site, f.cwd),
    )


def _no_provider(f: Facts, noop: int, first_noop: Site | None) -> Finding:
    other = f" (trace.set_tracer_provider got a {_str(f.accepted, 'type', 120)})" if f.accepted else ""
    return c.APP_NO_PROVIDER(
        f"{noop} span(s) were started on the no-op tracer: no SDK TracerProvider was ever set{other}"
        + (f"; the first at {first_noop.shown(f.cwd)}." if first_noop else "."),
        location=_loc(first_noop, f.cwd),
    )


def _set_twice(f: Facts) -> list[Finding]:
    call = f.rejected_call
    if call is None:
        return []
    cwd, lost = f.cwd, f.lost_processors
    site = _site(call.get("site"))
    first = _site(f.accepted.get("site")) if f.accepted else None
    where = first if lost and first else site
    return [
        c.APP_PROVIDER_OVERRIDDEN(
            f"{_where(site, cwd)} sets a second TracerProvider; the first one"
            + (f" (set at {first.shown(cwd)})" if first else "")
            + " stays, and the second's processors and exporters are never used"
            + (": the spans go to a provider without an exporter." if lost else "."),
            severity=Severity.ERROR if lost else None,
            hint=f"Set the provider once: remove trace.set_tracer_provider() at {first.shown(cwd)}, "
            "or add your processors to the provider that is set."
            if lost and first
            else None,
            location=_loc(where, cwd),
        )
    ]


def _sdk_disabled(f: Facts) -> list[Finding]:
    active, noop = f.active, f.total("noop")
    if active is None or not providers_disabled(active) or not (noop or not f.ctx.receiver_spans):
        return []
    psite = _site(active.get("site"))
    return [
        c.APP_SDK_DISABLED(
            f"The TracerProvider{' built at ' + psite.shown(f.cwd) if psite else ''} is disabled "
            f"(OTEL_SDK_DISABLED=true in its environment): {noop} span(s) were no-ops.",
            hint="Unset OTEL_SDK_DISABLED (also where the code sets os.environ) before the provider is built.",
            location=_loc(psite, f.cwd),
        )
    ]


def _sampler_drops(f: Facts) -> list[Finding]:
    active = f.sdk_active
    if active is None or not f.total("started") or f.total("sampled"):
        return []
    cwd, sampler = f.cwd, _dict(active, "sampler")
    ssite = _site(active.get("site")) if active.get("sampler_in_code") is True else None
    from_env = _in_otel(ssite) or (ssite is None and active.get("auto_configured") is True)
    if from_env:
        ssite = None  # the SDK's auto-configuration passed the sampler OTEL_TRACES_SAMPLER named
    if f.total("dropped_root"):
        desc = _str(sampler, "description", 160) or _str(sampler, "type", 120)
        return [
            c.APP_SAMPLER_OFF(
                f"The sampler {desc} dropped all {f.total('dropped_root')} root span(s)"
                + (f"; it is passed to TracerProvider at {ssite.shown(cwd)}." if ssite else "")
                + ("; the SDK's auto-configuration built it from OTEL_TRACES_SAMPLER (and OTEL_TRACES_SAMPLER_ARG)."
                   if from_env else "" if ssite else "."),
                hint=(f"Remove sampler= at {ssite.shown(cwd)} (the default is ParentBased(ALWAYS_ON)), "
                      "or use a ratio above 0.") if ssite else None,
                location=_loc(ssite, cwd),
            )
        ]  # fmt: skip
    if not f.total("dropped_parent"):
        if not f.total("recording"):
            return []
        # Recorded, yet none sampled: the sampler decided RECORD_ONLY, and span processors export sampled spans only.
        desc = _str(sampler, "description", 160) or _str(sampler, "type", 120)
        return [
            c.APP_SAMPLER_OFF(
                f"The sampler {desc} records all {f.total('recording')} span(s) but samples none (RECORD_ONLY): "
                "span processors export only sampled spans"
                + (f"; it is passed to TracerProvider at {ssite.shown(cwd)}." if ssite else "."),
                hint=(f"Make the sampler at {ssite.shown(cwd)} return RECORD_AND_SAMPLE for the spans to keep."
                      if ssite else None),
                location=_loc(ssite, cwd),
            )
        ]  # fmt: skip
    first_drop = next((_site(s.get("first_drop_site")) for s in f.spans if s.get("first_drop_site")), None)
    return [
        c.APP_PARENT_NOT_SAMPLED(
            f"{f.total('dropped_parent')} span(s) had a parent whose sampled flag is 0, so the sampler "
            f"({_str(sampler, 'type', 80).rsplit('.', 1)[-1] or 'ParentBased'}) dropped them"
            + (f"; the first at {first_drop.shown(cwd)}." if first_drop else "."),
            location=_loc(first_drop, cwd),
        )
    ]


def _processors(f: Facts) -> list[Finding]:
    """The set provider's span processors: none at all, or only exporters that send nowhere."""
    active = f.sdk_active
    if active is None:
        return []
    procs = [_processor(f.reports, _int_or(p)) for p in _list(active, "processors")]
    procs = [p for p in procs if p]
    if f.total("recording") and not procs and not f.lost_processors:
        return [_no_processor(f, active)]
    if not procs:
        return []
    exps = [_exporter(f.reports, _int(p, "exporter")) for p in procs]
    site = _site(procs[0].get("site"))
    if exps and all(e is not None and _str(e, "type").endswith("ConsoleSpanExporter") for e in exps):
        if _in_otel(site) or _in_otel(_site(exps[0].get("site") if exps[0] else None)):
            # Built by the SDK's auto-configuration: OTEL_TRACES_EXPORTER=console is the cause, not that file.
            return [
                c.APP_EXPORTER_CONSOLE(
                    "The SDK's auto-configuration exports only with ConsoleSpanExporter (OTEL_TRACES_EXPORTER="
                    "console): spans are printed to stdout and never sent to a collector."
                )
            ]
        return [
            c.APP_EXPORTER_CONSOLE(
                f"{_where(site, f.cwd)} exports only with ConsoleSpanExporter: spans "
                "are printed to stdout and never sent to a collector.",
                hint="Replace ConsoleSpanExporter() with OTLPSpanExporter() "
                "(from opentelemetry.exporter.otlp.proto.grpc.trace_exporter)"
                + (f" at {site.shown(f.cwd)}." if site else "."),
                location=_loc(site, f.cwd),
            )
        ]
    if exps and all(e is not None and not _str(e, "endpoint") for e in exps) and not f.ctx.receiver_spans:
        kinds = ", ".join(sorted({_str(e, "type", 120).rsplit(".", 1)[-1] for e in exps if e}))
        return [
            c.APP_EXPORTER_NO_ENDPOINT(
                f"{_where(site, f.cwd)} exports only with {kinds}, which sends nowhere: no span leaves the process.",
                hint="Add BatchSpanProcessor(OTLPSpanExporter())" + (f" next to {site.shown(f.cwd)}." if site else "."),
                location=_loc(site, f.cwd),
            )
        ]
    return []


def _no_processor(f: Facts, active: Mapping[str, Any]) -> Finding:
    psite = _site(active.get("site"))
    return c.APP_NO_PROCESSOR(
        f"The TracerProvider{' built at ' + psite.shown(f.cwd) if psite else ''} has no span processor: "
        f"{f.total('recording')} span(s) were recorded and thrown away.",
        hint="Set OTEL_TRACES_EXPORTER=otlp: the SDK's auto-configuration adds no exporter without it "
        "(opentelemetry-distro sets it)."
        if active.get("auto_configured") is True
        else f"Add provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter())) after {psite.shown(f.cwd)}."
        if psite
        else None,
        location=_loc(psite, f.cwd),
    )


def _instrumentation_missing(f: Facts) -> list[Finding]:
    found = instrumentation.finding(f.uninstrumented, spans_started=f.total("started"))
    return [found] if found else []


def _no_span_started(f: Facts) -> list[Finding]:
    active = f.sdk_active
    if active is None or f.total("started") or f.crash or f.total("noop"):
        return []
    if f.uninstrumented:
        return []  # _instrumentation_missing says why
    psite = _site(active.get("site"))
    return [
        c.APP_NO_SPAN_STARTED(
            f"The SDK was set up{' at ' + psite.shown(f.cwd) if psite else ''}, but no span was started.",
            location=_loc(psite, f.cwd),
        )
    ]


# --- the lifecycle: spans never ended, exit before the flush, spans after shutdown ----------------


def _span_not_ended(f: Facts) -> list[Finding]:
    open_count = f.total("open_count")
    if not open_count or f.crash:
        return []
    if f.cut_threads:
        return [_daemon_cut(f, open_count)]
    first_open = next((o for s in f.spans for o in _list(s, "open") if isinstance(o, list) and len(o) >= 2), None)
    site = _site(first_open[1]) if first_open else None
    name = _printable(first_open[0], 80) if first_open and isinstance(first_open[0], str) else "?"
    return [
        c.APP_SPAN_NOT_ENDED(
            f"{open_count} span(s) never ended, e.g. {name!r}"
            + (f" started at {site.shown(f.cwd)}" if site else "")
            + "; they are never exported.",
            severity=None if not f.delivered else Severity.WARNING,
            location=_loc(site, f.cwd),
        )
    ]


def _daemon_cut(f: Facts, open_count: int) -> Finding:
    """A daemon thread still inside a span at exit: the span is cut, not forgotten by the code."""
    t = f.cut_threads[0]
    site, target_site = _site(t.get("site")), _site(t.get("target_site"))
    thread = _str(t, "thread", 100) or "?"
    target = _str(t, "target", 100)
    runs = (f", running {target}()" + (f" from {target_site.shown(f.cwd)}" if target_site else "")) if target else ""
    cut = min(len(f.cut_threads), open_count)
    others = open_count - cut
    return c.APP_DAEMON_THREAD_CUT(
        f"The daemon thread {thread!r}{runs} was still inside the span {_str(t, 'span', 80)!r}"
        + (f" started at {site.shown(f.cwd)}" if site else "")
        + f" when the app exited: the interpreter stopped the thread, so {cut} span(s) never ended and were "
        "never exported" + (f" ({others} more never ended elsewhere)" if others > 0 else "") + ".",
        hint=f"Stop the thread and join() it before the app exits (or start it with daemon=False), so "
        f"{_str(t, 'span', 80)!r} ends before provider.shutdown() runs at exit.",
        severity=None if not f.delivered else Severity.WARNING,
        location=_loc(site, f.cwd),
        evidence=[
            f"thread {_str(x, 'thread', 100)!r} (daemon) alive at exit in span {_str(x, 'span', 80)!r}"
            for x in f.cut_threads[:4]
        ],
    )


def _exit_before_flush(f: Facts) -> list[Finding]:
    """The first process that ended with spans still queued: os._exit, or shutdown_on_exit=False."""
    for r in f.reports:
        exit_ = _dict(r, "exit")
        queued = sum(_int(p, "queued") for p in _list(r, "processors") if isinstance(p, dict))
        if _str(exit_, "via") == "os._exit" and queued:
            return [_os_exit(f, r, exit_, queued)]
        if r.get("final") is True and queued:
            lazy = next(
                (p for p in _list(r, "providers") if isinstance(p, dict) and p.get("shutdown_on_exit") is False), None
            )
            if lazy is not None and not _list(lazy, "shutdown"):
                return [_never_shut_down(f, lazy, queued)]
    return []


def _os_exit(f: Facts, report: Mapping[str, Any], exit_: Mapping[str, Any], queued: int) -> Finding:
    site = _site(exit_.get("site"))
    child = " (a forked child)" if report.get("forked") is True else ""
    return c.APP_EXIT_BEFORE_FLUSH(
        f"{_where(site, f.cwd)} calls os._exit({_int(exit_, 'code')}){child}, which "
        f"skips the SDK's flush at exit: {queued} span(s) still queued were lost.",
        hint="Call provider.shutdown() (or force_flush()) before os._exit"
        + (f" at {site.shown(f.cwd)}." if site else "."),
        location=_loc(site, f.cwd),
    )


def _never_shut_down(f: Facts, provider: Mapping[str, Any], queued: int) -> Finding:
    site = _site(provider.get("site"))
    return c.APP_EXIT_BEFORE_FLUSH(
        f"{_where(site, f.cwd, 'The TracerProvider')} is built with shutdown_on_exit=False "
        f"and never shut down: {queued} span(s) were still queued at exit.",
        hint="Call provider.shutdown() before the app ends, or drop shutdown_on_exit=False"
        + (f" at {site.shown(f.cwd)}." if site else "."),
        location=_loc(site, f.cwd),
    )


def _spans_after_shutdown(f: Facts) -> list[Finding]:
    if not f.total("ended_after_shutdown") or f.active is None:
        return []
    shut = next((s for s in _list(f.active, "shutdown") if isinstance(s, dict) and _site(s.get("site"))), None)
    site = _site(shut.get("site")) if shut else None
    return [
        c.APP_SPANS_AFTER_SHUTDOWN(
            f"{f.total('ended_after_shutdown')} span(s) ended after provider.shutdown()"
            + (f" at {site.shown(f.cwd)}" if site else "")
            + "; the shut-down processor dropped them.",
            severity=None if not f.delivered else Severity.WARNING,
            location=_loc(site, f.cwd),
        )
    ]


# --- export results ----------------------------------------------------------------------------


def _exports(f: Facts) -> list[Finding]:
    """Each exporter's failures, or its successes somewhere other than otdiag's receiver."""
    found: list[Finding] = []
    for e in f.exporters:
        if f.jaeger_exp is not None and e is f.jaeger_exp:
            continue
        bad = _int(_dict(e, "results"), "FAILURE") + _int(_dict(e, "results"), "EXCEPTION")
        good = _int(_dict(e, "results"), "SUCCESS")
        if bad:
            found.append(_export_failed(f, e, bad, good))
        elif good and not _is_ours(e, f.ours) and not _is_console(e):
            endpoint = _str(e, "endpoint")
            found.append(
                c.APP_EXPORTED_ELSEWHERE(
                    f"{_str(e, 'type', 120).rsplit('.', 1)[-1]} delivered {good} span(s) to {endpoint}, set in the "
                    f"code; otdiag's receiver ({f.ctx.endpoint}) saw only what reached it.",
                    target=endpoint or None,
                    location=_loc(_site(e.get("site")), f.cwd),
                )
            )
    return found


def _export_failed(f: Facts, e: Mapping[str, Any], bad: int, good: int) -> Finding:
    """The exporter's failure, classified as `send-test-span` and `check` classify the same failure."""
    from otdiag.otlp import classify

    endpoint = redact.url(_str(e, "endpoint"))
    mine = _is_ours(e, f.ours)
    why = classify.scrub_error(_export_reason(f.reports, e))
    protocol = _str(e, "protocol", 40)
    proto = Protocol(protocol) if protocol in {p.value for p in Protocol} else None
    if proto is Protocol.GRPC:
        tls: bool | None = e.get("insecure") is False and not endpoint.startswith("http://")
    else:
        tls = endpoint.startswith("https://") if endpoint else None
    http_path = urlsplit(endpoint).path if "://" in endpoint else ""
    got = classify.classify_text(
        why,
        protocol=proto,
        target=endpoint,
        tls=tls,
        set_in_code=not mine or (proto is not None and proto.is_http and not http_path.endswith("/v1/traces")),
        plaintext_receiver=mine,
    ) if why else None  # fmt: skip
    name = _str(e, "type", 120).rsplit(".", 1)[-1]
    site = _site(e.get("site"))
    where = _loc(site, f.cwd)
    built = f" (built at {site.shown(f.cwd)})" if site else ""
    head = f"{name}{built} failed to export {bad} span(s) to {endpoint or '?'}" + (
        "" if mine else f", not otdiag's receiver ({f.ctx.endpoint}): the endpoint is set in the code"
    )
    severity = None if not (good or f.delivered) else Severity.WARNING
    evidence = [_export_line(e)] + ([f"the exporter said: {why}"] if why else [])
    hint = None
    if not mine and got is not None and got.code in _UNREACHED:
        hint = (
            f"{got.fix.rstrip('.')}; or drop endpoint= from the exporter so OTEL_EXPORTER_OTLP_ENDPOINT decides "
            "(otdiag run --default-ports also receives on localhost:4317/4318)."
        )
    if got is not None:
        return got.kind(
            f"{head}: {got.message}", hint=hint or got.hint, severity=severity, target=endpoint or None,
            evidence=evidence, stage=Stage.APP, location=where,
        )  # fmt: skip
    return c.KINDS["app.export-failed"](
        head + (f": {why}" if why else "."),
        hint=None if not mine else "Read the exporter's error above; check its timeout, headers, compression and TLS.",
        severity=severity,
        target=endpoint or None,
        evidence=evidence,
        location=where,
    )


_WORKER_LOSS = "were no-ops, started in child processes without a provider"
_DAEMON_LOSS = "cut off in a daemon thread at exit"
_NOOP_LOSS = "started on the no-op tracer"
_NOT_CREATED = frozenset(
    {_NOOP_LOSS, "were no-ops, started in child processes without a provider", "never ended", _DAEMON_LOSS}
)
"""Where spans are lost before a finished span exists (guide heading 3); the rest were created, then lost on
their way out of the process (heading 1, traces are not being collected)."""
_QUEUE_LOSS = "dropped by the full queue"
_LOSS_FIX = {
    "never ended": "End every span (use `with tracer.start_as_current_span(...)`, or span.end() in a finally).",
    _DAEMON_LOSS: "Stop and join() the thread before the app exits (or make it non-daemon), so its spans end "
    "before provider.shutdown() runs at exit.",
    _QUEUE_LOSS: "Raise OTEL_BSP_MAX_QUEUE_SIZE, or lower OTEL_BSP_SCHEDULE_DELAY.",
    "failed to export": "Fix the export failure reported below (the exporter's endpoint, protocol or TLS).",
    "ended after provider.shutdown()": "Call provider.shutdown() only after the last span has ended.",
    "started on the no-op tracer": "Set the TracerProvider before any thread or worker starts spans, in every "
    "process (a forked or spawned worker needs its own).",
    _WORKER_LOSS: c.APP_WORKER_NO_PROVIDER.hint,
    "ended but never flushed": "Call provider.shutdown() (or force_flush()) before the process exits, also in "
    "threads and workers; do not leave with os._exit.",
}


@dataclass(frozen=True)
class Loss:
    """The app's lost spans, counted once and split by where they were lost: every finding uses these numbers."""

    received: int
    """Spans that reached otdiag's receiver or an exporter's success elsewhere."""
    elsewhere: int
    started: int
    """Sampled spans plus no-op spans: what the app meant to send."""
    where: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.where.values())


def _loss(f: Facts) -> Loss:
    elsewhere = sum(
        _int(_dict(e, "results"), "SUCCESS") for e in f.exporters if not _is_ours(e, f.ours) and not _is_console(e)
    )
    received = f.ctx.receiver_spans + elsewhere
    sampled, noop = f.total("sampled"), f.total("noop")
    lost_sdk = max(0, sampled - received)
    failed = sum(
        _int(_dict(e, "results"), "FAILURE") + _int(_dict(e, "results"), "EXCEPTION")
        for e in f.exporters
        if not _is_console(e)
    )
    open_count = f.total("open_count")
    cut = min(len(f.cut_threads), open_count)
    where: dict[str, int] = {}
    left = lost_sdk
    for what, seen in (
        (_DAEMON_LOSS, cut),
        ("never ended", open_count - cut),
        (_QUEUE_LOSS, f.queue_logged),
        ("failed to export", failed),
        ("ended after provider.shutdown()", f.total("ended_after_shutdown")),
    ):
        n = min(seen, left)
        if n > 0:
            where[what] = n
            left -= n
    if left > 0:
        where["ended but never flushed"] = left
    orphan = f.orphan_total("noop")
    if noop - orphan:
        where[_NOOP_LOSS] = noop - orphan
    if orphan:
        where[_WORKER_LOSS] = orphan
    return Loss(received, elsewhere, sampled + noop, where)


def _spans_lost(f: Facts) -> list[Finding]:
    """Some sampled spans arrived and some did not: how many were lost, and where."""
    loss = f.loss
    if loss.received == 0 or f.jaeger_exp is not None or not loss.total:
        return []  # nothing arrived (the other rules name why), or nothing was lost
    biggest = max(loss.where, key=lambda k: loss.where[k])
    hint = _LOSS_FIX[biggest]
    site: Site | None = None
    if biggest == "started on the no-op tracer":
        site = f.own_first_noop
    elif biggest == _WORKER_LOSS:
        site = f.orphan_first_noop
    elif biggest == _DAEMON_LOSS:
        site = _site(f.cut_threads[0].get("site"))
    elif biggest == _QUEUE_LOSS:
        site, hint = _queue_fix(f)
    lost = c.APP_SPANS_LOST(
            f"{loss.total} of {loss.started} span(s) the app started never reached the receiver ({loss.received} "
            "did): " + ", ".join(f"{n} {what}" for what, n in loss.where.items()) + ".",
            hint=hint,
            location=_loc(site, f.cwd),
            evidence=[
                f"sampled {f.total('sampled')}, no-op {f.total('noop')}, received by otdiag {f.ctx.receiver_spans}, "
                f"delivered elsewhere {loss.elsewhere}"
            ],
        )  # fmt: skip
    return [lost if biggest in _NOT_CREATED else replace(lost, guide=Guide.TRACES_NOT_COLLECTED)]


def _queue_fix(f: Facts) -> tuple[Site | None, str]:
    """Where the queue's size is decided: the processor's own argument in the code wins over the variable."""
    procs = [
        p
        for r in f.reports
        for p in _list(r, "processors")
        if isinstance(p, dict) and _str(p, "type").endswith("BatchSpanProcessor")
    ]
    proc = next((p for p in procs if "max_queue_size" in _dict(p, "args")), procs[0] if procs else None)
    if proc is None:
        return None, _LOSS_FIX[_QUEUE_LOSS]
    site, args = _site(proc.get("site")), _dict(proc, "args")
    where = f" at {site.shown(f.cwd)}" if site else ""
    size = args.get("max_queue_size")
    if isinstance(size, int):
        delay = args.get("schedule_delay_millis")
        lower = f", or lower schedule_delay_millis={delay}" if isinstance(delay, (int, float)) else ""
        return site, (
            f"Raise max_queue_size={size} passed to BatchSpanProcessor{where} (the argument overrides "
            f"OTEL_BSP_MAX_QUEUE_SIZE){lower}."
        )
    queue = _int(proc, "max_queue_size")
    now = f" (now {queue})" if queue else ""
    if "schedule_delay_millis" in args:
        return site, (
            f"Raise OTEL_BSP_MAX_QUEUE_SIZE{now}, or lower schedule_delay_millis={args['schedule_delay_millis']} "
            f"passed to BatchSpanProcessor{where}."
        )
    return (
        site,
        f"Raise OTEL_BSP_MAX_QUEUE_SIZE{now} for the BatchSpanProcessor{where}, or lower OTEL_BSP_SCHEDULE_DELAY.",
    )


def _queue_full(f: Facts) -> list[Finding]:
    logged = f.queue_logged
    if not logged:
        return []
    loss = f.loss
    drops = loss.where.get(_QUEUE_LOSS, 0) if loss.received else logged
    if not drops:
        return []
    site, hint = _queue_fix(f)
    return [
        c.APP_QUEUE_FULL(
            f"The BatchSpanProcessor's queue{' built at ' + site.shown(f.cwd) if site else ''} was full: "
            f"{drops} span(s) dropped.",
            hint=hint,
            location=_loc(site, f.cwd),
        )
    ]


def _worker_no_provider(f: Facts) -> list[Finding]:
    if not f.orphans:
        return []
    n, first = f.orphan_total("noop"), f.orphan_first_noop
    set_at = _site(f.accepted.get("site")) if f.accepted else None
    mp = next((_dict(r, "multiprocessing") for r in f.orphans if _dict(r, "multiprocessing")), {})
    method = _str(mp, "method", 20)
    how = (
        f"multiprocessing workers started with {method!r}, which import the app's module without running its "
        '`if __name__ == "__main__":` block'
        if method in ("spawn", "forkserver") or _str(mp, "main_name", 40) == "__mp_main__"
        else "multiprocessing workers"
        if mp
        else "other Python processes the app started"
    )
    return [
        c.APP_WORKER_NO_PROVIDER(
            f"{n} span(s) were started in child processes that never set a TracerProvider "
            f"({how})" + (f", the first at {first.shown(f.cwd)}" if first else "")
            + "; the provider" + (f" set at {set_at.shown(f.cwd)}" if set_at else "")
            + " exists in the parent process only, so their spans were no-ops.",
            severity=Severity.WARNING if f.delivered else None,
            location=_loc(first, f.cwd),
            evidence=[f"{n} no-op span(s) in the child processes, none of which called trace.set_tracer_provider()"
                      + (f" (multiprocessing start method {method!r})" if method else "")],
        )
    ]  # fmt: skip


def _observer_errors(f: Facts) -> list[Finding]:
    errors = [_printable(str(e), 300) for r in f.reports for e in _list(r, "errors")]
    if not errors:
        return []
    return [c.APP_OBSERVER_ERROR(f"otdiag's observer: {errors[0]}", evidence=errors[1:4])]


RULES: tuple[Rule, ...] = (
    _not_instrumented,
    _worker_no_provider,
    _noop_spans,
    _set_twice,
    _sdk_disabled,
    _sampler_drops,
    _processors,
    _instrumentation_missing,
    _no_span_started,
    _span_not_ended,
    _exit_before_flush,
    _spans_after_shutdown,
    _exports,
    _queue_full,
    _spans_lost,
    _observer_errors,
)
"""The other rules, in the order their findings are listed (after the root causes)."""


def analyse(reports: Sequence[Mapping[str, Any]], ctx: Context) -> Analysis:
    """Findings from every process's report; the first error is the root cause."""
    if not reports:
        return Analysis([], NOT_LOADED)
    good = [r for r in reports if _readable(r, ctx)]
    if len(good) < len(reports):  # a report the app wrote itself, or a broken one: untrusted input
        ignored = len(reports) - len(good)
        bad = c.APP_OBSERVER_ERROR(f"otdiag's observer: {ignored} report(s) of an unknown shape ignored")
        found = analyse(good, ctx)
        return Analysis([*found.findings, bad], found.observed, root_causes=found.root_causes)
    facts = _facts(reports, ctx)
    root = [finding for rule in ROOT_CAUSES for finding in rule(facts)]
    rest = [finding for rule in RULES for finding in rule(facts)]
    return Analysis([*root, *rest], _observed(facts), root_causes=len(root))


def _readable(report: Mapping[str, Any], ctx: Context) -> bool:
    """Whether a report has a shape the rules can read (each rule tried on it alone)."""
    try:
        facts = _facts([report], ctx)
        for rule in (*ROOT_CAUSES, *RULES):
            rule(facts)
        _observed(facts)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError, RecursionError):
        return False
    return True


def _provider_seen(p: Mapping[str, Any], cwd: str) -> ProviderSeen:
    return ProviderSeen(
        type=_str(p, "type", 120),
        site=_shown(_site(p.get("site")), cwd),
        sampler=_str(_dict(p, "sampler"), "description", 200) or None,
        service_name=_str(p, "service_name", 200) or None,
    )


def _observed(f: Facts) -> Observed:
    """The observer's view as the report shows it."""
    active, cwd = f.active, f.cwd
    return Observed(
        loaded=True,
        processes=len(f.reports),
        python=_str(f.main, "python", 20),
        provider=None if active is None else _provider_seen(active, cwd),
        providers=tuple(_provider_seen(p, cwd) for p in list(f.providers.values())[:MAX_LISTED]),
        set_tracer_provider=tuple(
            ProviderSetCall(_str(x, "type", 120), _shown(_site(x.get("site")), cwd), x.get("accepted") is True)
            for x in f.set_calls[:10]
        ),
        spans=SpanCounts(**{k: f.total(k) for k in SPAN_COUNTS}),
        exporters=tuple(
            ExporterSeen(
                type=_str(e, "type", 120),
                endpoint=_str(e, "endpoint") or None,
                protocol=_str(e, "protocol", 40) or None,
                handed=_int(e, "handed"),
                results={k: v for k, v in _dict(e, "results").items() if isinstance(v, int)},
                site=_shown(_site(e.get("site")), cwd),
            )
            for e in f.exporters[:MAX_LISTED]
        ),
        exported=sum(_int(e, "handed") for e in f.exporters),
        flushed_by_app=any(
            isinstance(x, dict) and x.get("site") not in (None, "atexit")
            for p in f.providers.values()
            for key in ("shutdown", "force_flush")
            for x in _list(p, key)
        ),
        crash=f.crash_text or None,
        crash_in_opentelemetry=bool(f.crash) and _crash_in_otel(f.crash),
        distributions={n: d.version for n, d in sorted(f.dists.items())},
    )


def _crash_in_otel(crash: Mapping[str, Any]) -> bool:
    """The innermost frame of the crash is OpenTelemetry's own code (e.g. its auto-configuration)."""
    frames = [f for f in _list(crash, "frames") if isinstance(f, list) and f and isinstance(f[0], str)]
    return bool(frames) and f"{os.sep}opentelemetry{os.sep}" in frames[-1][0]


def providers_disabled(provider: Mapping[str, Any]) -> bool:
    return provider.get("disabled") is True


def _shown(site: Site | None, cwd: str) -> str | None:
    return site.shown(cwd) if site else None


def _int_or(v: Any) -> int:
    return v if isinstance(v, int) else 0


def _processor(reports: Sequence[Mapping[str, Any]], key: int) -> dict[str, Any]:
    items = (p for r in reports for p in _list(r, "processors") if isinstance(p, dict))
    return next((p for p in items if _int(p, "id") == key), {})


def _exporter(reports: Sequence[Mapping[str, Any]], key: int) -> dict[str, Any] | None:
    items = (e for r in reports for e in _list(r, "exporters") if isinstance(e, dict))
    return next((e for e in items if _int(e, "id") == key), None)


def _processor_of(reports: Sequence[Mapping[str, Any]], exporter: Mapping[str, Any]) -> dict[str, Any]:
    key = _int(exporter, "id")
    return next(
        (p for r in reports for p in _list(r, "processors") if isinstance(p, dict) and _int(p, "exporter") == key), {}
    )


def _is_console(e: Mapping[str, Any]) -> bool:
    """Console, in-memory and other exporters without an endpoint: they deliver nowhere."""
    return _str(e, "type").endswith("ConsoleSpanExporter") or not _str(e, "endpoint")


def _is_ours(e: Mapping[str, Any], ours: set[str]) -> bool:
    endpoint = _str(e, "endpoint")
    return bool(endpoint) and _hostport(endpoint) in ours


def _export_line(e: Mapping[str, Any]) -> str:
    results = ", ".join(f"{k} {v}" for k, v in _dict(e, "results").items() if isinstance(v, int)) or "no export call"
    exc = next((_printable(_scrub_error(str(x)), _MAX_ERROR) for x in _list(e, "exceptions")), "")
    return f"{_str(e, 'type', 120)} → {redact.url(_str(e, 'endpoint')) or '?'}: {results}" + (
        f"; raised {exc}" if exc else ""
    )


def _scrub_error(text: str) -> str:
    from otdiag.otlp.classify import scrub_error

    return scrub_error(text)


def _export_reason(reports: Sequence[Mapping[str, Any]], e: Mapping[str, Any]) -> str:
    exc = next((_printable(str(x), _MAX_ERROR) for x in _list(e, "exceptions")), "")
    if exc:
        return exc
    module = _str(e, "type").rsplit(".", 1)[0]
    for r in reports:
        for log in _list(r, "logs"):
            logger = _str(log, "logger")
            if logger.startswith(module.rsplit(".", 1)[0]) and _str(log, "level") in ("ERROR", "WARNING"):
                return _str(log, "message", _MAX_ERROR)  # gRPC puts the cause (TLS, refused) at the end
    return ""


def _module_in(message: str) -> str:
    m = re.search(r"No module named '([^']+)'|cannot import name '[^']+' from '([^']+)'", message)
    return (m.group(1) or m.group(2) or "") if m else ""


_DISTRIBUTIONS = (
    ("opentelemetry.exporter.otlp.proto.grpc", "opentelemetry-exporter-otlp-proto-grpc"),
    ("opentelemetry.exporter.otlp.proto.http", "opentelemetry-exporter-otlp-proto-http"),
    ("opentelemetry.exporter.otlp", "opentelemetry-exporter-otlp"),
    ("opentelemetry.exporter.zipkin", "opentelemetry-exporter-zipkin"),
    ("opentelemetry.exporter.prometheus", "opentelemetry-exporter-prometheus"),
    ("opentelemetry.sdk", "opentelemetry-sdk"),
    ("opentelemetry.instrumentation.", "opentelemetry-instrumentation-"),
    ("opentelemetry.instrumentation", "opentelemetry-instrumentation"),
    ("opentelemetry.propagators.", "opentelemetry-propagator-"),
    ("opentelemetry", "opentelemetry-api"),
)


def _distribution_for(module: str) -> str:
    for prefix, dist in _DISTRIBUTIONS:
        if module.startswith(prefix):
            if prefix.endswith("."):
                rest = module[len(prefix) :].split(".", maxsplit=1)[0].replace("_", "-")
                return dist + rest
            return dist
    return module.replace(".", "-")
