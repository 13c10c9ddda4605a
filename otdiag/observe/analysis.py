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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag import redact
from otdiag.model import Finding, Location, Severity
from otdiag.observe import deps

_MAX_REPORT = 4 * 1024 * 1024
_MAX_REPORTS = 64
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
            out.append(doc)
    out.sort(key=lambda d: _num(d.get("started_at")))
    return out


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
    text = "".join(ch if ch.isprintable() else ("⏎" if ch == "\n" else f"\\x{ord(ch):02x}") for ch in text[:limit])
    return _scrub(text)


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


_USERINFO = re.compile(r"(?<![\w/])([\w.~%+-]+):([^@\s/'\"]+)@(?=[\w.\[])")


def _scrub(text: str) -> str:
    """URL passwords and secret-looking query values, with or without a scheme (gRPC endpoints have none)."""
    text = _URL.sub(lambda m: redact.url(m.group(0)), text)
    return _USERINFO.sub(lambda m: f"{m.group(1)}:{redact.REDACTED}@", text)


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


@dataclass
class Result:
    findings: list[Finding]
    summary: dict[str, Any]
    loaded: bool
    root_causes: int = 0
    """How many of the first findings are root causes that outrank the app's environment."""


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


def analyse(reports: Sequence[Mapping[str, Any]], ctx: Context) -> Result:
    """Findings from every process's report; the first error is the root cause."""
    if not reports:
        return Result([], {"loaded": False}, loaded=False)
    main = reports[0]
    cwd = ctx.cwd
    spans = [_dict(r, "spans") for r in reports]

    def total(key: str) -> int:
        return sum(_int(s, key) for s in spans)

    exporters = [e for r in reports for e in _list(r, "exporters") if isinstance(e, dict)]
    handed = sum(_int(e, "handed") for e in exporters)
    results: dict[str, int] = {}
    for e in exporters:
        for k, v in _dict(e, "results").items():
            if isinstance(v, int):
                results[str(k)] = results.get(str(k), 0) + v
    ours = {_hostport(ctx.endpoint), *(_hostport(a) for a in ctx.also)}
    delivered_ours = sum(_dict(e, "results").get("SUCCESS", 0) for e in exporters if _is_ours(e, ours))
    delivered_elsewhere = sum(
        _int(_dict(e, "results"), "SUCCESS") for e in exporters if not _is_ours(e, ours) and not _is_console(e)
    )
    delivered = ctx.receiver_spans > 0 or delivered_ours > 0 or delivered_elsewhere > 0

    found: list[Finding] = []
    crash = next((_dict(r, "crash") for r in reports if _dict(r, "crash")), {})
    crash_site = _crash_site(crash) if crash else None
    crash_text = (
        f"{_str(crash, 'type', 80)}: {_str(crash, 'message', 300)}"
        + (f" at {crash_site.shown(cwd)}" if crash_site else "")
        if crash
        else ""
    )
    crash_is_interrupt = crash and _str(crash, "type") in ("KeyboardInterrupt", "SystemExit")
    explained_crash = False

    # 1. The removed Jaeger exporter: imported (and failed), or running from an old SDK.
    failures = [f for r in reports for f in _list(r, "import_failures") if isinstance(f, dict)]
    jaeger_fail = next((f for f in failures if _str(f, "name").startswith(_JAEGER_MODULE)), None)
    jaeger_exp = next((e for e in exporters if "jaeger" in _str(e, "type").lower()), None)
    sys_path = [p for p in _list(main, "sys_path") if isinstance(p, str)]
    dists = deps.installed(sys_path) if sys_path else {}
    dep_report = deps.analyse(dists)
    jaeger_crash = bool(crash) and (
        "jaegerexporter" in _str(crash, "message", 500).lower()
        or any(f"exporter{os.sep}jaeger" in str(f[0]) for f in _list(crash, "frames") if isinstance(f, list) and f)
    )
    if jaeger_fail is not None or jaeger_exp is not None or jaeger_crash:
        evidence: list[str] = []
        site = _site(jaeger_fail.get("site")) if jaeger_fail else None
        if jaeger_fail is None and jaeger_exp is None:
            site = crash_site
            version = next((f"{n} {d.version}" for n, d in dists.items() if n in deps.JAEGER_PACKAGES), "")
            message = (
                f"{site.shown(cwd) if site else 'The app'} builds the Jaeger exporter"
                + (f" ({version})" if version else "")
                + f", removed from OpenTelemetry Python after {deps.JAEGER_LAST_RELEASE}, and the app crashed there."
            )
            evidence.append(crash_text)
            if "service_name" in _str(crash, "message", 500):
                evidence.append(
                    "JaegerExporter takes no service_name in its last releases: the service name comes from the "
                    "TracerProvider's Resource (service.name)."
                )
            explained_crash = True
        elif jaeger_fail is not None:
            what = f"import of {_str(jaeger_fail, 'name')} failed"
            message = (
                f"{site.shown(cwd) if site else 'The app'} imports the Jaeger exporter "
                f"({_str(jaeger_fail, 'name')}), removed from OpenTelemetry Python after "
                f"{deps.JAEGER_LAST_RELEASE}; the import fails" + (" and the app crashed." if crash else ".")
            )
            evidence.append(what + (f" ({crash_text})" if crash else ""))
            explained_crash = bool(crash)
        else:
            assert jaeger_exp is not None
            version = next((d.version for n, d in dists.items() if n in deps.JAEGER_PACKAGES), "")
            endpoint = _str(jaeger_exp, "endpoint") or (
                f"{_str(jaeger_exp, 'agent_host_name') or 'localhost'}:{_int(jaeger_exp, 'agent_port') or 6831}"
            )
            proc = _processor_of(reports, jaeger_exp)
            site = _site(proc.get("site")) if proc else None
            message = (
                f"{site.shown(cwd) if site else 'The app'} exports with the Jaeger exporter "
                f"{_str(jaeger_exp, 'type', 120)}"
                + (f" {version}" if version else "")
                + f" to {endpoint}; it was removed after {deps.JAEGER_LAST_RELEASE}, and no OTLP receiver reads it."
            )
            evidence.append(_export_line(jaeger_exp))
            if crash:
                evidence.append(crash_text)
                explained_crash = True
        port_file = site.file if site else None
        port_line = _jaeger_port_line(port_file) if port_file else None
        if port_line is not None and site is not None:
            evidence.append(
                f"{_rel(site.file, cwd)}:{port_line[0]}: {port_line[1]} (14268 is Jaeger v1's Thrift HTTP port; "
                "6831 its agent's UDP port)"
            )
        else:
            evidence.append(
                "14268 is Jaeger v1's Thrift HTTP port and 6831 its agent's UDP port; Jaeger v2 has neither."
            )
        found.append(c.APP_JAEGER_REMOVED(message, location=site.location(cwd) if site else None, evidence=evidence))
    for dist in dep_report.removed:
        if not found or found[-1].code != c.APP_JAEGER_REMOVED.code:
            found.append(
                c.APP_JAEGER_REMOVED(
                    f"{dist.name} {dist.version} is installed in the app's environment; it was removed after "
                    f"{deps.JAEGER_LAST_RELEASE}.",
                    severity=Severity.WARNING,
                )
            )

    # 2. Version skew among the installed distributions.
    if dep_report.skew:
        otel_crash = (
            crash
            and _str(crash, "type") in ("ImportError", "ModuleNotFoundError", "AttributeError")
            and any("opentelemetry" in str(f) for f in _list(crash, "frames"))
        )
        severe = otel_crash or not delivered
        found.append(
            c.APP_VERSION_SKEW(
                dep_report.skew[0],
                severity=None if severe else Severity.WARNING,
                evidence=[*dep_report.skew[1:4], *([crash_text] if otel_crash else [])],
            )
        )
        explained_crash = explained_crash or bool(otel_crash)

    # 3. An OpenTelemetry module that is not installed, and the crash it caused.
    if crash and not explained_crash and _str(crash, "type") in ("ModuleNotFoundError", "ImportError"):
        missing = _str(crash, "name") or _module_in(_str(crash, "message"))
        if missing.startswith("opentelemetry"):
            fail = next((f for f in failures if _str(f, "name") == missing), None)
            site = (_site(fail.get("site")) if fail else None) or crash_site
            found.append(
                c.APP_OTEL_IMPORT(
                    f"{site.shown(cwd) if site else 'The app'} imports {missing}, which is not installed; "
                    "the app crashed.",
                    hint=f"pip install {_distribution_for(missing)} in the app's environment (or fix the import).",
                    location=site.location(cwd) if site else None,
                    evidence=[crash_text],
                )
            )
            explained_crash = True

    # 4. Any other crash.
    if crash and not explained_crash and not crash_is_interrupt:
        found.append(
            c.APP_CRASHED(
                f"The app crashed with {crash_text} (exit status {ctx.returncode}).",
                location=crash_site.location(cwd) if crash_site else None,
                hint=f"Fix the {_str(crash, 'type', 80)} at {crash_site.shown(cwd)}; spans not yet exported were lost."
                if crash_site
                else None,
            )
        )

    root_causes = len(found)

    hooked = any(_list(r, "hooked") for r in reports) or any(_str(f, "name") for f in failures)
    if not hooked and not crash and not ctx.receiver_spans:
        found.append(
            c.APP_NO_OPENTELEMETRY(
                f"The app ({_str(main, 'argv0', 120) or 'python'}) never imported OpenTelemetry: it is not "
                "instrumented, so it creates no spans."
            )
        )

    # 5. The provider.
    set_calls = [s for r in reports for s in _list(r, "set_provider_calls") if isinstance(s, dict)]
    accepted = next((s for s in set_calls if s.get("accepted") is True), None)
    providers = {_int(p, "id"): p for r in reports for p in _list(r, "providers") if isinstance(p, dict)}
    active = providers.get(_int(accepted, "id")) if accepted else None
    noop = total("noop")
    first_noop = next((_site(s.get("first_noop_site")) for s in spans if s.get("first_noop_site")), None)
    sdk_accepted = accepted is not None and ".sdk." in _str(accepted, "type")
    if noop and not sdk_accepted:
        if providers:
            built = next(iter(providers.values()))
            site = _site(built.get("site"))
            found.append(
                c.APP_PROVIDER_NOT_SET(
                    f"{site.shown(cwd) if site else 'The app'} builds a TracerProvider that is never set: "
                    f"{noop} span(s) came from the no-op tracer"
                    + (f" (first at {first_noop.shown(cwd)})." if first_noop else "."),
                    hint=f"Add trace.set_tracer_provider(provider) after {site.shown(cwd)}." if site else None,
                    location=site.location(cwd) if site else None,
                )
            )
        else:
            other = f" (trace.set_tracer_provider got a {_str(accepted, 'type', 120)})" if accepted else ""
            found.append(
                c.APP_NO_PROVIDER(
                    f"{noop} span(s) were started on the no-op tracer: no SDK TracerProvider was ever set{other}"
                    + (f"; the first at {first_noop.shown(cwd)}." if first_noop else "."),
                    location=first_noop.location(cwd) if first_noop else None,
                )
            )
    elif total("noop_before_provider") and accepted is not None:
        site = _site(accepted.get("site"))
        found.append(
            c.APP_SPANS_BEFORE_PROVIDER(
                f"{total('noop_before_provider')} span(s) started before the provider was set"
                + (f" at {site.shown(cwd)}" if site else "")
                + (f"; the first at {first_noop.shown(cwd)}." if first_noop else "."),
                severity=None if delivered else Severity.ERROR,
                location=first_noop.location(cwd) if first_noop else None,
            )
        )
    lost_processors = False
    for call in set_calls:
        if call.get("accepted") is False:
            site = _site(call.get("site"))
            first = _site(accepted.get("site")) if accepted else None
            ignored = providers.get(_int(call, "id"), {})
            lost_processors = bool(_list(ignored, "processors")) and not _list(active or {}, "processors")
            where = first if lost_processors and first else site
            found.append(
                c.KINDS["app.provider-set-twice"](
                    f"{site.shown(cwd) if site else 'The app'} sets a second TracerProvider; the first one"
                    + (f" (set at {first.shown(cwd)})" if first else "")
                    + " stays, and the second's processors and exporters are never used"
                    + (": the spans go to a provider without an exporter." if lost_processors else "."),
                    severity=Severity.ERROR if lost_processors else None,
                    hint=f"Set the provider once: remove trace.set_tracer_provider() at {first.shown(cwd)}, "
                    "or add your processors to the provider that is set."
                    if lost_processors and first
                    else None,
                    location=where.location(cwd) if where else None,
                )
            )
            break

    started = total("started")
    sampled = total("sampled")
    if active is not None and providers_disabled(active) and (noop or not ctx.receiver_spans):
        psite = _site(active.get("site"))
        found.append(
            c.APP_SDK_DISABLED(
                f"The TracerProvider{' built at ' + psite.shown(cwd) if psite else ''} is disabled "
                f"(OTEL_SDK_DISABLED=true in its environment): {noop} span(s) were no-ops.",
                hint="Unset OTEL_SDK_DISABLED (also where the code sets os.environ) before the provider is built.",
                location=psite.location(cwd) if psite else None,
            )
        )
    if active is not None and not providers_disabled(active):
        psite = _site(active.get("site"))
        sampler = _dict(active, "sampler")
        ssite = psite if active.get("sampler_in_code") is True else None
        if started and not sampled and total("dropped_root"):
            desc = _str(sampler, "description", 160) or _str(sampler, "type", 120)
            found.append(
                c.APP_SAMPLER_OFF(
                    f"The sampler {desc} dropped all {total('dropped_root')} root span(s)"
                    + (f"; it is passed to TracerProvider at {ssite.shown(cwd)}." if ssite else "."),
                    hint=(f"Remove sampler= at {ssite.shown(cwd)} (the default is ParentBased(ALWAYS_ON)), "
                          "or use a ratio above 0.") if ssite else None,
                    location=ssite.location(cwd) if ssite else None,
                )
            )  # fmt: skip
        elif started and not sampled and total("dropped_parent"):
            first_drop = next((_site(s.get("first_drop_site")) for s in spans if s.get("first_drop_site")), None)
            found.append(
                c.APP_PARENT_NOT_SAMPLED(
                    f"{total('dropped_parent')} span(s) had a parent whose sampled flag is 0, so the sampler "
                    f"({_str(sampler, 'type', 80).rsplit('.', 1)[-1] or 'ParentBased'}) dropped them"
                    + (f"; the first at {first_drop.shown(cwd)}." if first_drop else "."),
                    location=first_drop.location(cwd) if first_drop else None,
                )
            )
        procs = [_processor(reports, _int_or(p)) for p in _list(active, "processors")]
        procs = [p for p in procs if p]
        if total("recording") and not procs and not lost_processors:
            found.append(
                c.APP_NO_PROCESSOR(
                    f"The TracerProvider{' built at ' + psite.shown(cwd) if psite else ''} has no span processor: "
                    f"{total('recording')} span(s) were recorded and thrown away.",
                    hint="Set OTEL_TRACES_EXPORTER=otlp: the SDK's auto-configuration adds no exporter without it "
                    "(opentelemetry-distro sets it)."
                    if active.get("auto_configured") is True
                    else f"Add provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter())) after "
                    f"{psite.shown(cwd)}."
                    if psite
                    else None,
                    location=psite.location(cwd) if psite else None,
                )
            )
        elif procs:
            exps = [_exporter(reports, _int(p, "exporter")) for p in procs]
            if exps and all(e is not None and _str(e, "type").endswith("ConsoleSpanExporter") for e in exps):
                site = _site(procs[0].get("site"))
                found.append(
                    c.APP_EXPORTER_CONSOLE(
                        f"{site.shown(cwd) if site else 'The app'} exports only with ConsoleSpanExporter: spans "
                        "are printed to stdout and never sent to a collector.",
                        hint="Replace ConsoleSpanExporter() with OTLPSpanExporter() "
                        "(from opentelemetry.exporter.otlp.proto.grpc.trace_exporter)"
                        + (f" at {site.shown(cwd)}." if site else "."),
                        location=site.location(cwd) if site else None,
                    )
                )
            elif exps and all(e is not None and not _str(e, "endpoint") for e in exps) and not ctx.receiver_spans:
                site = _site(procs[0].get("site"))
                kinds = ", ".join(sorted({_str(e, "type", 120).rsplit(".", 1)[-1] for e in exps if e}))
                found.append(
                    c.APP_EXPORTER_NO_ENDPOINT(
                        f"{site.shown(cwd) if site else 'The app'} exports only with {kinds}, which sends "
                        "nowhere: no span leaves the process.",
                        hint="Add BatchSpanProcessor(OTLPSpanExporter())"
                        + (f" next to {site.shown(cwd)}." if site else "."),
                        location=site.location(cwd) if site else None,
                    )
                )
        if not started and not crash and not noop:
            found.append(
                c.APP_NO_SPAN_STARTED(
                    f"The SDK was set up{' at ' + psite.shown(cwd) if psite else ''}, but no span was started.",
                    location=psite.location(cwd) if psite else None,
                )
            )

    # 6. The lifecycle: spans never ended, exit before the flush, spans after shutdown.
    open_count = total("open_count")
    if open_count and not crash:
        first_open = next((o for s in spans for o in _list(s, "open") if isinstance(o, list) and len(o) >= 2), None)
        site = _site(first_open[1]) if first_open else None
        name = _printable(first_open[0], 80) if first_open and isinstance(first_open[0], str) else "?"
        found.append(
            c.APP_SPAN_NOT_ENDED(
                f"{open_count} span(s) never ended, e.g. {name!r}"
                + (f" started at {site.shown(cwd)}" if site else "")
                + "; they are never exported.",
                severity=None if not delivered else Severity.WARNING,
                location=site.location(cwd) if site else None,
            )
        )
    for r in reports:
        exit_ = _dict(r, "exit")
        queued = sum(_int(p, "queued") for p in _list(r, "processors") if isinstance(p, dict))
        if _str(exit_, "via") == "os._exit" and queued:
            site = _site(exit_.get("site"))
            child = " (a forked child)" if r.get("forked") is True else ""
            found.append(
                c.APP_EXIT_BEFORE_FLUSH(
                    f"{site.shown(cwd) if site else 'The app'} calls os._exit({_int(exit_, 'code')}){child}, which "
                    f"skips the SDK's flush at exit: {queued} span(s) still queued were lost.",
                    hint="Call provider.shutdown() (or force_flush()) before os._exit"
                    + (f" at {site.shown(cwd)}." if site else "."),
                    location=site.location(cwd) if site else None,
                )
            )
            break
        if r.get("final") is True and queued:
            lazy = next(
                (p for p in _list(r, "providers") if isinstance(p, dict) and p.get("shutdown_on_exit") is False), None
            )
            if lazy is not None and not _list(lazy, "shutdown"):
                site = _site(lazy.get("site"))
                found.append(
                    c.APP_EXIT_BEFORE_FLUSH(
                        f"{site.shown(cwd) if site else 'The TracerProvider'} is built with shutdown_on_exit=False "
                        f"and never shut down: {queued} span(s) were still queued at exit.",
                        hint="Call provider.shutdown() before the app ends, or drop shutdown_on_exit=False"
                        + (f" at {site.shown(cwd)}." if site else "."),
                        location=site.location(cwd) if site else None,
                    )
                )
                break
    if total("ended_after_shutdown") and active is not None:
        shut = next((s for s in _list(active, "shutdown") if isinstance(s, dict) and _site(s.get("site"))), None)
        site = _site(shut.get("site")) if shut else None
        found.append(
            c.APP_SPANS_AFTER_SHUTDOWN(
                f"{total('ended_after_shutdown')} span(s) ended after provider.shutdown()"
                + (f" at {site.shown(cwd)}" if site else "")
                + "; the shut-down processor dropped them.",
                severity=None if not delivered else Severity.WARNING,
                location=site.location(cwd) if site else None,
            )
        )

    # 7. Export results.
    for e in exporters:
        if jaeger_exp is not None and e is jaeger_exp:
            continue
        bad = _int(_dict(e, "results"), "FAILURE") + _int(_dict(e, "results"), "EXCEPTION")
        good = _int(_dict(e, "results"), "SUCCESS")
        endpoint = _str(e, "endpoint")
        if bad:
            mine = _is_ours(e, ours)
            why = _export_reason(reports, e)
            refused = "refused" in why.lower() or "unavailable" in why.lower()
            found.append(
                c.KINDS["app.export-failed"](
                    f"{_str(e, 'type', 120).rsplit('.', 1)[-1]} failed to export {bad} span(s) to {endpoint or '?'}"
                    + ("" if mine else f", not otdiag's receiver ({ctx.endpoint}): the endpoint is set in the code")
                    + (f": {why}" if why else "."),
                    hint=(
                        f"Nothing answers at {endpoint}: start the collector there, or drop endpoint= from the "
                        "exporter so OTEL_EXPORTER_OTLP_ENDPOINT decides (otdiag run --default-ports also receives "
                        "on localhost:4317/4318)."
                        if refused
                        else None
                    )
                    if not mine
                    else "Read the exporter's error above; check its timeout, headers, compression and TLS settings.",
                    severity=None if not (good or delivered) else Severity.WARNING,
                    target=endpoint or None,
                    evidence=[_export_line(e)],
                )
            )
        elif good and not _is_ours(e, ours) and not _is_console(e):
            found.append(
                c.APP_EXPORTED_ELSEWHERE(
                    f"{_str(e, 'type', 120).rsplit('.', 1)[-1]} delivered {good} span(s) to {endpoint}, set in the "
                    f"code; otdiag's receiver ({ctx.endpoint}) saw only what reached it.",
                    target=endpoint or None,
                )
            )
    drops = sum(_int(log, "count") for r in reports for log in _list(r, "logs") if "Queue full" in _str(log, "message"))
    if drops:
        found.append(c.KINDS["app.queue-full"](f"The BatchSpanProcessor's queue was full: {drops} span(s) dropped."))

    errors = [_printable(str(e), 300) for r in reports for e in _list(r, "errors")]
    if errors:
        found.append(c.APP_OBSERVER_ERROR(f"otdiag's observer: {errors[0]}", evidence=errors[1:4]))

    summary = {
        "loaded": True,
        "processes": len(reports),
        "python": _str(main, "python", 20),
        "provider": None
        if active is None
        else {
            "type": _str(active, "type", 120),
            "site": _shown(_site(active.get("site")), cwd),
            "sampler": _str(_dict(active, "sampler"), "description", 200) or None,
            "service_name": _str(active, "service_name", 200) or None,
        },
        "set_tracer_provider": [
            {
                "type": _str(x, "type", 120),
                "site": _shown(_site(x.get("site")), cwd),
                "accepted": x.get("accepted") is True,
            }
            for x in set_calls[:10]
        ],
        "spans": {
            k: total(k)
            for k in (
                "started",
                "recording",
                "sampled",
                "dropped_root",
                "dropped_parent",
                "noop",
                "ended",
                "open_count",
            )
        },
        "exporters": [
            {
                "type": _str(e, "type", 120),
                "endpoint": _str(e, "endpoint") or None,
                "protocol": _str(e, "protocol", 40) or None,
                "handed": _int(e, "handed"),
                "results": {k: v for k, v in _dict(e, "results").items() if isinstance(v, int)},
            }
            for e in exporters[:10]
        ],
        "exported": handed,
        "flushed_by_app": any(
            isinstance(x, dict) and x.get("site") not in (None, "atexit")
            for p in providers.values()
            for key in ("shutdown", "force_flush")
            for x in _list(p, key)
        ),
        "crash": crash_text or None,
        "crash_in_opentelemetry": bool(crash) and _crash_in_otel(crash),
        "distributions": {n: d.version for n, d in sorted(dists.items())},
    }
    return Result(found, summary, loaded=True, root_causes=root_causes)


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
    exc = next((_printable(str(x), 200) for x in _list(e, "exceptions")), "")
    return f"{_str(e, 'type', 120)} → {redact.url(_str(e, 'endpoint')) or '?'}: {results}" + (
        f"; raised {exc}" if exc else ""
    )


def _export_reason(reports: Sequence[Mapping[str, Any]], e: Mapping[str, Any]) -> str:
    exc = next((_printable(str(x), 200) for x in _list(e, "exceptions")), "")
    if exc:
        return exc
    module = _str(e, "type").rsplit(".", 1)[0]
    for r in reports:
        for log in _list(r, "logs"):
            logger = _str(log, "logger")
            if logger.startswith(module.rsplit(".", 1)[0]) and _str(log, "level") in ("ERROR", "WARNING"):
                return _str(log, "message", 240)
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
