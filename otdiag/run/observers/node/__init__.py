"""`otdiag run`'s observer for Node.js apps: a preload loaded through NODE_OPTIONS, without changing the app.

`prepare` puts `--require <workdir>/otdiag-observe.cjs` in front of the app's own NODE_OPTIONS (kept,
in order). A `--require` preload also runs before an ES-module entry point, and Node loads the
CommonJS builds of the @opentelemetry packages through `Module._load` even for `import`, so one
CommonJS preload sees both kinds of app. The preload (plain JavaScript, no dependency) watches the
API's global registration, the SDK's providers, processors and exporters, the instrumentations and
the modules loaded before them, the exit, and the SDK's diag logger (kept in its report, never on the
app's console); it writes one bounded JSON report per process at exit (`report.py` decodes it).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from otdiag import catalogue as cat
from otdiag import redact
from otdiag.model import Finding, Location, Severity
from otdiag.observe.observed import SpanCounts
from otdiag.run.facts import ExitFact, ExporterFact, InstrumentationFact, ProviderFact, RuntimeFacts
from otdiag.run.observer import AppRun, Launch, Prepared, Seen
from otdiag.run.observers.node import kinds
from otdiag.run.observers.node.report import Report, read

PRELOAD = Path(__file__).resolve().parent / "otdiag-observe.cjs"
DIR_VARIABLE = "OTDIAG_NODE_DIR"
_LAUNCHERS = re.compile(r"^(node|nodejs|node\d+(\.\d+)*|npm|npx|pnpm|yarn|tsx|ts-node)(\.exe|\.cmd)?$", re.IGNORECASE)
_ESM_HOOK = re.compile(r"import-in-the-middle|instrumentation/hook\.mjs|auto-instrumentations-node/register")
_MISSING_OTEL = re.compile(r"Cannot find (?:module|package) '(@opentelemetry/[\w.@/-]{1,200})'")
_IMPORTED_FROM = re.compile(r"imported from (/[^\n]{1,4096}?)(?:\n|$)")
_STDERR_404 = re.compile(r"OTLPExporterError: (Not Found|Bad Request|Unsupported Media Type|Method Not Allowed)")
_STDERR_FAIL = re.compile(r"OTLPExporterError|ECONNREFUSED|Failed to export|14 UNAVAILABLE|12 UNIMPLEMENTED")
_PROTOCOLS = {
    "@opentelemetry/exporter-trace-otlp-http": "http/json",
    "@opentelemetry/exporter-trace-otlp-proto": "http/protobuf",
    "@opentelemetry/exporter-trace-otlp-grpc": "grpc",
}


class NodeObserver:
    """The Node.js runtime's observer (see the module docstring)."""

    runtime = "node"

    def applies(self, argv: Sequence[str]) -> bool:
        return bool(argv) and bool(_LAUNCHERS.match(Path(argv[0]).name))

    def prepare(self, launch: Launch) -> Prepared:
        target = launch.workdir / PRELOAD.name
        shutil.copyfile(PRELOAD, target)
        target.chmod(0o600)
        own = f"--require {_quoted(str(target))}"
        existing = launch.env.get("NODE_OPTIONS", "").strip()
        return Prepared(env={"NODE_OPTIONS": f"{own} {existing}".strip(), DIR_VARIABLE: str(launch.workdir)})

    def analyse(self, run: AppRun) -> Seen:
        reports = read(run.launch.workdir)
        stderr = _stderr_errors(run.stderr)
        if not reports:
            facts = RuntimeFacts(
                "node",
                loaded=False,
                how="preload",
                notes=(
                    "No report came from otdiag's preload: the command did not start Node.js, or the launcher "
                    "replaced NODE_OPTIONS before starting it.",
                ),
            )
            said = "The app's stderr says the export failed"
            found = [_export_failed(said, stderr[0], stderr, receiver=run.launch.endpoint)] if stderr else []
            return Seen(facts, tuple(found), 0)
        main = max(reports, key=lambda r: r.weight)
        facts = _facts(main, run.returncode)
        root, rest = _findings(main, run, stderr)
        return Seen(facts, (*root, *rest), len(root))


def _quoted(path: str) -> str:
    return f'"{path}"' if any(c in path for c in ' "\\') else path


def _location(site: str | None) -> Location | None:
    if not site:
        return None
    file, _, line = site.rpartition(":")
    if not file or not line.isdigit():
        return None
    return Location(redact.clean(file), int(line), 1)


def _import_line(crash: str, package: str) -> Location | None:
    """An ES module that imports a missing package fails before any of its code runs, so no stack frame
    is the app's: Node names the importing file (`imported from /path/app.mjs`); find the import's line."""
    from otdiag import bounded

    m = _IMPORTED_FROM.search(crash)
    if m is None:
        return None
    try:
        source = bounded.read_bytes(m[1], max_bytes=1 << 20).decode("utf-8", "replace")
    except (OSError, bounded.ReadError):
        return None
    for n, line in enumerate(source.splitlines(), 1):
        if f"'{package}" in line or f'"{package}' in line:
            return Location(redact.clean(m[1]), n, line.find(package) + 1)
    return None


def _protocol(e: object) -> str | None:
    package = getattr(e, "package", None)
    return _PROTOCOLS.get(package or "")


def _exit_how(r: Report, returncode: int) -> str:
    if r.exit_how == "running":  # the last snapshot before the process ended without an 'exit' event
        return "signal" if returncode < 0 else "unknown"
    return r.exit_how


def _short_sampler(sampler: str | None) -> str | None:
    """ParentBased{root=X, remoteParentSampled=..., ...} with the default children is ParentBased(root=X)."""
    m = re.match(r"ParentBased\{root=(\w+), remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled="
                 r"AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler\}$",
                 sampler or "")  # fmt: skip
    return f"ParentBased(root={m.group(1)})" if m else sampler


def _facts(r: Report, returncode: int) -> RuntimeFacts:
    registered = next((p for p in r.providers if p.registered), None)
    provider = registered or (r.providers[0] if r.providers else None)
    instr = []
    hooked = any(_ESM_HOOK.search(x) for x in (*r.loader_flags, *r.registered_hooks))
    for i in r.instrumentations:
        before = [m for m in i.modules if m in r.loads and r.loads[m].by_app and r.loads[m].seq < i.seq]
        patched = bool(set(i.modules) & set(r.applied)) if not r.app_logger else not before
        reason = None
        if not patched and before:
            reason = f"{', '.join(before)} loaded before it"
        elif not patched and r.esm_main and not hooked:
            reason = "ES module app without the ESM loader hook"
        elif not patched:
            reason = f"{', '.join(i.modules[:3])} never loaded after it"
        instr.append(InstrumentationFact(i.name, applied=patched, reason=reason))
    return RuntimeFacts(
        "node",
        loaded=True,
        how="preload",
        runtime_version=r.node,
        packages=dict(r.packages),
        provider=None
        if provider is None
        else ProviderFact(provider.type, provider.site, provider.registered, _short_sampler(provider.sampler)),
        processors=provider.processors if provider is not None else (),
        exporters=tuple(
            ExporterFact(e.type, e.url or e.code_url, _protocol(e), e.header_names, dict(e.results), e.errors)
            for e in r.exporters
        ),
        spans=SpanCounts(
            started=r.spans_started, recording=r.spans_started, sampled=r.spans_started, ended=r.spans_ended
        ),
        exit=ExitFact(
            how=_exit_how(r, returncode),
            site=r.exit_site or r.crash_site,
            flushed=r.shutdown_done,
            detail=r.crash,
        ),
        instrumentation=tuple(instr),
        settings={"esm": "yes" if r.esm_main else "no"} | ({"loader": r.loader_flags[0]} if r.loader_flags else {}),
        notes=tuple(r.errors[:3]),
    )


def _stderr_errors(lines: Sequence[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if _STDERR_FAIL.search(line) and len(out) < 3:
            out.append(redact.clean(line[:300]))
    return out


_NODE_EXPORT_HINT = (
    "Read the error: 404 means the exporter's url path (it needs /v1/traces), ECONNREFUSED the host or port, "
    "UNAVAILABLE/UNIMPLEMENTED a gRPC exporter on an HTTP port or the reverse."
)


def _export_failed(
    head: str,
    error: str,
    evidence: Sequence[str],
    *,
    receiver: str,
    endpoint: str | None = None,
    protocol: str | None = None,
    location: Location | None = None,
) -> Finding:
    """An export failure, named by the classifier send-test-span and check use (otdiag.run.export_failure)."""
    from otdiag.model import Protocol
    from otdiag.run import export_failure

    proto = Protocol(protocol) if protocol in {p.value for p in Protocol} else None
    return export_failure.finding(
        head,
        error,
        endpoint=endpoint,
        receiver=receiver,
        protocol=proto,
        location=location,
        evidence=evidence,
        fallback_hint=_NODE_EXPORT_HINT,
        drop_option="url: from new OTLPTraceExporter()",
    )


@dataclass
class _Out:
    """Findings as they are found: root causes (only while no span arrived) and the rest."""

    lost: bool
    received: int
    endpoint: str
    env_exporter: str
    env_explains: bool
    root: list[Finding] = field(default_factory=list)
    rest: list[Finding] = field(default_factory=list)
    crash: list[Finding] = field(default_factory=list)
    export_crash: str | None = None
    """The app's crash when it was the SDK's own export rejecting (an unhandled shutdown() promise)."""

    @property
    def sev(self) -> Severity | None:
        return None if self.lost else Severity.WARNING

    def add(self, finding: Finding) -> None:
        (self.root if self.lost else self.rest).append(finding)


def _findings(r: Report, run: AppRun, stderr: list[str]) -> tuple[list[Finding], list[Finding]]:
    """Root causes (errors that explain missing spans, the first one first), then the rest."""
    env = run.launch.env
    exporter_env = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    out = _Out(
        lost=run.summary.spans == 0,
        received=run.summary.spans,
        endpoint=run.launch.endpoint,
        env_exporter=exporter_env,
        env_explains=exporter_env in ("none", "console") or env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true",
    )
    _crash(r, out)
    _instrumentation(r, out)
    _provider(r, out)
    failed = _exporters(r, out, stderr)
    _exit(r, out, failed=failed, returncode=run.returncode)
    return out.root, [*out.rest, *out.crash]


def _crash(r: Report, out: _Out) -> None:
    # A crash raised by the SDK's own export (an unhandled sdk.shutdown() rejection) is the export's evidence.
    export_crash = bool(re.search(r"OTLPExporterError|ECONNREFUSED|UNAVAILABLE", r.crash or ""))
    missing = _MISSING_OTEL.search(r.crash or "")
    if r.crash and missing is not None:
        # The same code as a Python app's failed import: the package is the cause, the crash its evidence.
        package = "/".join(missing[1].split("/")[:2])
        out.root.append(
            cat.APP_OTEL_IMPORT(
                f"The app requires {package}, which is not installed where it runs; the app crashed.",
                hint=f"npm install {package} in the app's directory (check package.json and that node_modules "
                "is next to the app), or fix the require/import.",
                location=_location(r.crash_site) or _import_line(r.crash, missing[1]),
                evidence=[redact.printable(r.crash)[:300]],
            )
        )
        return
    if r.crash and r.exit_how == "crash" and export_crash:
        out.export_crash = redact.printable(r.crash)[:300]
        return
    if r.crash and r.exit_how == "crash":
        (out.root if out.lost else out.crash).append(
            cat.APP_CRASHED(
                f"The Node.js app crashed with an uncaught exception: {r.crash}.",
                hint="Fix the exception at the file:line shown (the stack is on the app's stderr); spans not "
                "exported yet were lost with the process.",
                location=_location(r.crash_site),
                severity=out.sev,
            )
        )


def _instrumentation(r: Report, out: _Out) -> None:
    """The ESM app whose imports no require hook sees, or a module required before its instrumentation."""
    instrumented = {m for i in r.instrumentations for m in i.modules}
    hooked = any(_ESM_HOOK.search(x) for x in (*r.loader_flags, *r.registered_hooks))
    if r.esm_main and r.instrumentations and not hooked:
        missed = sorted(m for m in instrumented if m in r.loads and r.loads[m].by_app and m not in r.applied)
        names = ", ".join(i.name for i in r.instrumentations[:4])
        out.add(
            kinds.NODE_ESM_NOT_INSTRUMENTED(
                f"{Path(r.main).name or 'The app'} is an ES module, but its instrumentations ({names}) were "
                "registered by --require without the ESM loader hook: imported modules are never patched"
                + (f" ({', '.join(missed)} imported by the app)." if missed else "."),
                location=_location(r.instrumentations[0].site),
                severity=out.sev,
                evidence=[
                    f"loader flags: {', '.join(r.loader_flags) or 'none'}",
                    f"module.register calls: {', '.join(r.registered_hooks) or 'none'}",
                ],
            )
        )
    else:
        for i in r.instrumentations:
            before = [
                m for m in i.modules if m in r.loads and r.loads[m].by_app and r.loads[m].seq < i.seq
                and m not in r.applied
            ]  # fmt: skip
            if not before:
                continue
            first = min(before, key=lambda m: r.loads[m].seq)
            out.add(
                kinds.NODE_LOADED_BEFORE_INSTRUMENTATION(
                    f"Module {first} was loaded (at {r.loads[first].site or 'an unknown place'}) before "
                    f"{i.name} was registered (at {i.site or 'an unknown place'}), so it is not patched.",
                    location=_location(r.loads[first].site),
                    severity=out.sev,
                    evidence=[f"{m} loaded at {r.loads[m].site or '?'}" for m in before],
                )
            )
            break


def _provider(r: Report, out: _Out) -> None:
    """No provider registered (or none at all), a sampler that drops everything, no processor, no OTLP exporter."""
    unregistered = [p for p in r.providers if not p.registered]
    if r.registered_type is None and unregistered and not out.env_explains:
        p = unregistered[0]
        out.add(
            cat.APP_PROVIDER_NOT_SET(
                f"The app built a {p.type} but never registered it: trace.getTracer() hands out no-op tracers "
                "and their spans are never exported.",
                hint="Call provider.register() (NodeTracerProvider) or trace.setGlobalTracerProvider(provider) "
                "right after building it, or start the SDK with new NodeSDK(...).start().",
                location=_location(p.site),
                severity=out.sev,
            )
        )
    elif r.registered_type is None and r.tracers_taken and not r.providers and not out.env_explains:
        out.add(
            cat.APP_NO_PROVIDER(
                f"The app took {r.tracers_taken} tracer(s) from @opentelemetry/api, but no tracer provider was "
                "ever registered: every span was a no-op.",
                hint="Start the SDK before the first tracer: new NodeSDK({ traceExporter: new OTLPTraceExporter() })"
                ".start(), in a file loaded with node --require (or --import for ES modules).",
                severity=out.sev,
            )
        )

    registered = next((p for p in r.providers if p.registered), None)
    if (
        registered is not None
        and registered.sampler
        and re.match(
            r"(AlwaysOffSampler|ParentBased\{root=AlwaysOffSampler|TraceIdRatioBased\{0(\.0*)?\})", registered.sampler
        )
    ):
        out.add(
            cat.APP_SAMPLER_OFF(
                f"The registered {registered.type} samples nothing: {_short_sampler(registered.sampler)}.",
                hint="Use the default sampler (drop sampler:, or OTEL_TRACES_SAMPLER=parentbased_always_on), "
                "or a ratio above 0.",
                location=_location(registered.site),
                severity=out.sev,
            )
        )
    if registered is not None and not registered.processors and not out.env_explains:
        out.add(
            cat.APP_NO_PROCESSOR(
                f"The registered {registered.type} has no span processor: spans are recorded and never exported.",
                hint="Pass spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] to the provider.",
                location=_location(registered.site),
                severity=out.sev,
            )
        )
    otlp = [e for e in r.exporters if e.type.startswith("OTLP")]
    if r.exporters and not otlp and out.env_exporter != "console":
        out.add(
            cat.APP_EXPORTER_CONSOLE(
                f"The app's only span exporters are {', '.join(sorted({e.type for e in r.exporters}))}: spans "
                "go to stdout or memory, not to the collector.",
                hint="Use new OTLPTraceExporter() from @opentelemetry/exporter-trace-otlp-http (or -grpc) in a "
                "BatchSpanProcessor.",
                location=_location(r.exporters[0].site),
                severity=out.sev,
            )
        )


def _exporters(r: Report, out: _Out, stderr: list[str]) -> bool:
    """The exporter's url, and what its exports returned; True when an export failed."""
    otlp = [e for e in r.exporters if e.type.startswith("OTLP")]
    for e in otlp:
        url = e.code_url or e.url
        if not url or _protocol(e) == "grpc" or e.code_url is None:
            continue
        path = urlsplit(url).path
        if not path.rstrip("/").endswith("/v1/traces"):
            out.add(
                kinds.NODE_EXPORTER_URL_NO_PATH(
                    f"The OTLPTraceExporter was built with url {url}: its path is {path or '/'} and not "
                    "/v1/traces, so the collector answers 404.",
                    location=_location(e.site),
                    target=url,
                    severity=out.sev,
                    evidence=list(e.errors),
                )
            )
            break
    ours = urlsplit(out.endpoint).netloc
    for e in otlp:
        where = urlsplit(e.url or e.code_url or "").netloc
        if out.lost and e.results.get("SUCCESS") and e.code_url and where and where != ours:
            out.root.append(
                cat.APP_EXPORTED_ELSEWHERE(
                    f"The {e.type} built with url {e.code_url} delivered {e.spans_handed} span(s) there, not to "
                    f"otdiag's receiver: the url in the code overrides OTEL_EXPORTER_OTLP_ENDPOINT.",
                    hint="Nothing to fix if that collector is right; otherwise drop url: from new OTLPTraceExporter() "
                    "and let OTEL_EXPORTER_OTLP_ENDPOINT decide.",
                    location=_location(e.site),
                    target=e.code_url,
                )
            )
            break
    failed = [e for e in r.exporters if e.results.get("FAILURE")]
    if failed and any(f.code == kinds.NODE_EXPORTER_URL_NO_PATH.code for f in (*out.root, *out.rest)):
        # Its 404s are that finding's evidence already: the same failure is not a second error.
        failed = [e for e in failed if (e.url or e.code_url or "").rstrip("/") not in _no_path_urls(out)]
    crashed = [f"the rejected export then crashed the app: {out.export_crash}"] if out.export_crash else []
    if failed:
        e = failed[0]
        ok = e.results.get("SUCCESS", 0)
        (out.root if out.lost and not out.root else out.rest).append(
            _export_failed(
                f"{e.type} failed {e.results['FAILURE']} export(s) (and succeeded {ok}) to "
                f"{e.url or e.code_url or 'its endpoint'}",
                e.errors[0] if e.errors else (stderr[0] if stderr else ""),
                [*e.errors, *crashed, *stderr][:6],
                receiver=out.endpoint,
                endpoint=e.url or e.code_url,
                protocol=_protocol(e),
                location=_location(e.site),
            )
        )
    elif out.export_crash:
        (out.root if out.lost and not out.root else out.rest).append(
            _export_failed(
                "The SDK's export failed and its rejected promise crashed the app",
                out.export_crash,
                [*crashed, *stderr][:6],
                receiver=out.endpoint,
            )
        )
    elif stderr and out.lost:
        out.rest.append(
            _export_failed("The app's stderr says the export failed", stderr[0], stderr, receiver=out.endpoint)
        )
    return bool(failed)


def _no_path_urls(out: _Out) -> set[str]:
    found = (*out.root, *out.rest)
    return {f.target.rstrip("/") for f in found if f.code == kinds.NODE_EXPORTER_URL_NO_PATH.code and f.target}


def _exit(r: Report, out: _Out, *, failed: bool, returncode: int) -> None:
    """process.exit() before the SDK's shutdown, or an SDK that never saw a span."""
    registered = next((p for p in r.providers if p.registered), None)
    received = out.received
    if _exit_how(r, returncode) == "signal" and not r.shutdown_done and r.spans_ended > 0 and received < r.spans_ended:
        (out.root if out.lost or not out.root else out.rest).append(
            cat.APP_EXIT_BEFORE_FLUSH(
                f"Signal {-returncode} ended the process before the SDK was shut down: {r.spans_ended} span(s) had "
                f"ended, {received} reached the receiver. Node.js has no exit hook for a signal, so without a "
                "handler the BatchSpanProcessor's queue is lost.",
                hint="process.on('SIGTERM', () => sdk.shutdown().finally(() => process.exit(0))) (the same for "
                "SIGINT), so a stopped server flushes its spans.",
            )
        )
    elif r.exit_how == "exit-call" and not r.shutdown_done and r.spans_ended > 0 and received < r.spans_ended:
        how = (
            f"sdk.shutdown() was called (at {r.shutdown_site or 'an unknown place'}) but not awaited before "
            "process.exit()"
            if r.shutdown
            else "process.exit() ran before the SDK was shut down"
        )
        (out.root if out.lost or not out.root else out.rest).append(
            cat.APP_EXIT_BEFORE_FLUSH(
                f"{how}: {r.spans_ended} span(s) had ended, {received} reached the receiver; the "
                "BatchSpanProcessor's queue was lost (js#3310).",
                hint="await sdk.shutdown() (NodeSDK) or await tracerProvider.shutdown() before process.exit(), or "
                "let the process end on its own.",
                location=_location(r.exit_site),
            )
        )
    elif (
        out.lost and registered is not None and registered.processors and r.spans_started == 0 and not out.root
        and r.registered_type is not None and not failed
    ):  # fmt: skip
        out.root.append(
            cat.APP_NO_SPAN_STARTED(
                "The SDK was started and a provider registered, but no span was started in the app.",
                hint="Start spans with tracer.startActiveSpan(...), or check that the instrumented libraries are "
                "required after the SDK has started.",
                location=_location(r.registered_site),
            )
        )
