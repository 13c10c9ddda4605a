"""`otdiag run`: run an app against a private receiver and report what it emitted (guide heading 3).

The receiver listens on one free loopback port that speaks both OTLP/gRPC
and OTLP/HTTP, so the app reaches it whichever exporter it builds. The app's
OpenTelemetry environment is pointed there; its stderr is passed through and
read for the SDK's own warnings. After it exits (plus a grace period for
late exports) the spans, their timing and the environment are turned into
findings.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from otdiag import redact
from otdiag.catalogue import (
    APP_AT_EXIT as AT_EXIT,
)
from otdiag.catalogue import (
    APP_DEFAULT_SERVICE as DEFAULT_SERVICE,
)
from otdiag.catalogue import (
    APP_EXPORT_FAILED as EXPORT_FAILED,
)
from otdiag.catalogue import (
    APP_EXPORTER_MISSING as EXPORTER_MISSING,
)
from otdiag.catalogue import (
    APP_INSTRUMENTATION_CONFLICT as INSTRUMENTATION_CONFLICT,
)
from otdiag.catalogue import (
    APP_KILLED as KILLED,
)
from otdiag.catalogue import (
    APP_NO_SPANS as NO_SPANS,
)
from otdiag.catalogue import APP_OBSERVER_ABSENT, APP_OTEL_IMPORT, APP_PYTHON_DEVIATION, E, Kind, W
from otdiag.catalogue import (
    APP_PROVIDER_OVERRIDDEN as PROVIDER_OVERRIDDEN,
)
from otdiag.catalogue import (
    APP_QUEUE_FULL as QUEUE_FULL,
)
from otdiag.errors import UsageError
from otdiag.listen.refused import RefusedRequest
from otdiag.listen.store import SpanStore
from otdiag.listen.summary import ListenResult, refused_findings, summarize
from otdiag.model import Finding, Protocol, Result, Severity
from otdiag.observe.observed import NOT_LOADED, Observed
from otdiag.run import observers as runtimes
from otdiag.run.facts import RuntimeFacts
from otdiag.run.observer import AppRun, Launch, RuntimeObserver, Seen

if TYPE_CHECKING:
    from otdiag.listen.server import Listener


_SIGNATURES: tuple[tuple[re.Pattern[str], Kind], ...] = (
    (re.compile(r"Overriding of current TracerProvider is not allowed"), PROVIDER_OVERRIDDEN),
    (re.compile(r"Queue is full, likely spans will be dropped|Queue full, dropping"), QUEUE_FULL),
    (re.compile(r"not found in entry point|Requested component '[^']*' not found"), EXPORTER_MISSING),
    (re.compile(r"DependencyConflict"), INSTRUMENTATION_CONFLICT),
    # Python's auto-configuration refuses http/json (and any unknown protocol) and starts no SDK: the app
    # goes on with the API's no-op tracer, so the setting is the cause, not a provider missing from the code.
    (re.compile(r"Unsupported OTLP protocol '"), APP_PYTHON_DEVIATION),
    (
        re.compile(
            r"Failed to export (span )?batch|Transient error [^\n]{0,200}? encountered while exporting|"
            r"Max retries exceeded with url|Exception while exporting Span|"
            # Node, the Java agent, Go: classified by otdiag.otlp.classify
            r"OTLPExporterError|Failed to export spans|traces export: |Failed to export traces"
        ),
        EXPORT_FAILED,
    ),
)


@dataclass(frozen=True, slots=True)
class AppExit:
    """How the app's run ended."""

    argv: tuple[str, ...]
    """The command, as it may be shown (secrets redacted)."""
    status: int
    """Its exit status; negative: the signal that killed it."""
    duration_s: float
    stopped: str | None = None
    """Why otdiag stopped the app, if it did: 'SIGINT', 'SIGTERM' (sent to otdiag) or 'timeout'."""
    escalated: bool = False
    """The app outlived the grace period after the stop signal and was killed (SIGKILL)."""

    @property
    def interrupted(self) -> bool:
        """otdiag itself was interrupted (SIGINT or SIGTERM), so the command exits 130."""
        return self.stopped in ("SIGINT", "SIGTERM")


@dataclass(frozen=True, slots=True)
class AppEnvironment:
    """What otdiag changed in the app's environment."""

    assigned: Mapping[str, str]
    removed: tuple[str, ...]
    """Variables taken out because they would bypass the receiver."""


@dataclass(frozen=True, slots=True)
class Received:
    """What otdiag's receiver saw arrive from the app."""

    endpoint: str
    also_receiving: tuple[str, ...]
    """Other addresses the receiver listened on (the default OTLP ports, when they were free)."""
    spans: int
    traces: int
    trace_ids: tuple[str, ...]
    """The newest traces' full IDs, newest first."""
    services: Mapping[str, int]
    operations: Mapping[str, Mapping[str, int]]
    transports: Mapping[str, int]
    first_span_after_ms: float | None
    """When the first span arrived, after the app started."""
    last_span_before_exit_ms: float | None
    """When the last span arrived, before the app exited (negative: after)."""
    refused: tuple[RefusedRequest, ...] = ()
    """Requests the receiver refused or that came in the wrong protocol (path, transport, status, count)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult(Result):
    """What `otdiag run` found: how the app ended, what reached the receiver, what the observer saw."""

    COMMAND: ClassVar[str] = "run"
    app: AppExit
    environment: AppEnvironment
    received: Received
    observer: Observed | RuntimeFacts = NOT_LOADED
    """The observer's view: `Observed` for Python apps, `RuntimeFacts` for the other runtimes' observers."""

    def fields_json(self) -> dict[str, Any]:
        app, got = self.app, self.received
        return {
            "argv": list(app.argv),
            "exit_status": app.status,
            "stopped": app.stopped,
            "escalated": app.escalated,
            "duration_ms": round(app.duration_s * 1000, 1),
            "endpoint": got.endpoint,
            "also_receiving": list(got.also_receiving),
            "environment": {"set": dict(self.environment.assigned), "removed": list(self.environment.removed)},
            "spans": got.spans,
            "traces": got.traces,
            "trace_ids": list(got.trace_ids),
            "services": dict(got.services),
            "operations": {service: dict(ops) for service, ops in got.operations.items()},
            "transports": dict(got.transports),
            "first_span_after_ms": got.first_span_after_ms,
            "last_span_before_exit_ms": got.last_span_before_exit_ms,
            "refused": [r.to_json(set_in_code=True) for r in got.refused],
            "observer": self.observer.to_json(),
        }


@dataclass
class _Ran:
    """What the analysis reads once the app has exited: its end, the receiver's summary, the raw reports."""

    argv: list[str]
    returncode: int
    duration_s: float
    exited_at: float
    endpoint: str
    env_set: dict[str, str]
    env_removed: list[str]
    injected_service: str | None
    summary: ListenResult
    stderr_hits: dict[str, list[str]] = field(default_factory=dict)
    stopped: str | None = None
    escalated: bool = False
    cwd: str = field(default_factory=os.getcwd)
    also_receiving: list[str] = field(default_factory=list)
    runtime: Seen | None = None
    """The runtime observer's answer (Python, Node.js, Java, Go, ...), when one observed the app."""

    def result(self, findings: list[Finding], observed: Observed | RuntimeFacts) -> RunResult:
        s = self.summary
        return RunResult(
            findings=tuple(findings),
            app=AppExit(tuple(self.argv), self.returncode, self.duration_s, self.stopped, self.escalated),
            environment=AppEnvironment(self.env_set, tuple(self.env_removed)),
            received=Received(
                endpoint=self.endpoint,
                also_receiving=tuple(self.also_receiving),
                spans=s.spans,
                traces=s.traces,
                trace_ids=tuple(s.trace_ids),
                services=s.services,
                operations=s.operations,
                transports=s.transports,
                first_span_after_ms=_rel(s.first_received, self.exited_at - self.duration_s),
                last_span_before_exit_ms=_rel(s.last_received, self.exited_at, sign=-1),
                refused=s.refused,
            ),
            observer=observed,
        )


def _rel(t: float | None, base: float, sign: int = 1) -> float | None:
    return None if t is None else round(sign * (t - base) * 1000, 1)


def prepare_env(
    env: Mapping[str, str], endpoint: str, protocol: Protocol | None, default_service: str | None
) -> tuple[dict[str, str], dict[str, str], list[str], str | None]:
    """The app's environment: (full env, variables set, variables removed, service name injected)."""
    out = dict(env)
    changes: dict[str, str] = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_INSECURE": "true"}
    removed: list[str] = [
        name for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_INSECURE") if name in out
    ]
    for name in removed:
        del out[name]
    if protocol is not None:
        changes["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol.value
    injected = None
    has_name = bool(out.get("OTEL_SERVICE_NAME")) or "service.name=" in out.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if default_service and not has_name:
        changes["OTEL_SERVICE_NAME"] = default_service
        injected = default_service
    out.update(changes)
    return out, changes, removed, injected


def env_findings(env: Mapping[str, str], spans: int) -> list[Finding]:
    """What the app's own OTEL_* variables say will stop spans (heading 3): check's analysis, shared.

    Only the mistakes that stop spans from being created or exported are kept; when spans did
    arrive anyway, they are warnings (the code may configure the SDK itself).
    """
    from otdiag import catalogue as cat
    from otdiag.app import env_analysis

    keep = {
        cat.APP_SDK_DISABLED.code,
        cat.APP_EXPORTER_NONE.code,
        cat.APP_EXPORTER_CONSOLE.code,
        cat.APP_EXPORTER_JAEGER.code,
        cat.APP_EXPORTER_UNKNOWN.code,
        cat.APP_SAMPLER_OFF.code,
        cat.APP_SAMPLER_ARG.code,
        cat.APP_JAEGER_VARIABLES.code,
        "app.config-file-overrides-env",  # otdiag.validate.sdkconfig: the SDK may ignore run's own variables
    }
    found = [f for f in env_analysis.analyse(env).findings if f.code in keep]
    if spans > 0:
        found = [replace(f, severity=W) for f in found]
    return found


LINE_KEPT = 8192
"""What is kept (and matched against the SDK's warnings) of one line of the app's stderr."""
_CHUNK = 64 * 1024
_LINE_END = re.compile(rb"[\r\n]")
_HEAD_LINES, _TAIL_LINES = 400, 1600
"""Which stderr lines are kept for the runtime observers: the first and the last ones."""


class _StderrTap:
    """Pass the app's stderr through, and remember lines that match the SDK's known warnings.

    The observers get the first and last lines, each cut to `LINE_KEPT` bytes.
    """

    def __init__(self, stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
        self.hits: dict[str, list[str]] = {}
        self.head: list[str] = []
        self.tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._thread = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes], sink: Callable[[bytes], None]) -> None:
        """Pass each chunk on as it comes (a line ending in `\r` too); match the first LINE_KEPT bytes of
        each line (ended by `\n` or `\r`), so one endless line costs otdiag a fixed amount of memory."""
        fd = stream.fileno()
        line = bytearray()
        while True:
            try:
                chunk = os.read(fd, _CHUNK)
            except InterruptedError:
                continue
            except OSError:
                break
            if not chunk:
                break
            sink(chunk)
            start = 0
            for m in _LINE_END.finditer(chunk):
                line += chunk[start : min(m.start(), start + max(0, LINE_KEPT - len(line)))]
                self._match(bytes(line))
                line.clear()
                start = m.end()
            line += chunk[start : start + max(0, LINE_KEPT - len(line))]
        if line:
            self._match(bytes(line))

    def _match(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").strip()
        if not line:
            return
        (self.head if len(self.head) < _HEAD_LINES else self.tail).append(line)
        for pattern, k in _SIGNATURES:
            if pattern.search(line):
                hits = self.hits.setdefault(k.code, [])
                if len(hits) < 3:
                    hits.append(line[:300])

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    @property
    def lines(self) -> tuple[str, ...]:
        return (*self.head, *self.tail)


_SECRET_OPTION = re.compile(
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|auth\w*|"
    r"credential\w*|signature|sig|bearer|cookie|session|dsn|license[-_]?key|client[-_]?secret|key)$",
    re.IGNORECASE,
)
_URL_IN_TEXT = re.compile(r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s'\"<>]++")
"""A URL; it starts only where a run of scheme characters starts, so the runs scanned are disjoint."""


_HEADER_OPTIONS = ("-H", "--header", "--proxy-header")
_USER_OPTIONS = ("-u", "--user", "-U", "--proxy-user")


def _header_arg(value: str) -> str:
    """`Name: value` (curl's -H) as it may be shown: the value of any header but a harmless few redacted."""
    name, sep, rest = value.partition(":")
    if not sep or redact.header_value(name, rest) != redact.REDACTED or not rest.strip():
        return value
    return f"{name}: {redact.REDACTED}"


def _user_arg(value: str) -> str:
    """`user:password` (curl's -u) as it may be shown."""
    user, sep, _ = value.partition(":")
    return f"{user}:{redact.REDACTED}" if sep else value


_NEXT_ARG: dict[str, Callable[[str], str]] = {
    **dict.fromkeys(_HEADER_OPTIONS, _header_arg),
    **dict.fromkeys(_USER_OPTIONS, _user_arg),
    "-p": lambda _v: redact.REDACTED,  # mysql -p PASSWORD
}
"""Options whose next argument is a header, `user:password` or a password."""


def _attached_value(arg: str) -> str | None:
    """`--header=V`, `-HV`, `--user=u:p`, `-uu:p`, `-pPASSWORD` as they may be shown; None for other arguments."""
    option, eq, value = arg.partition("=")
    if eq and option in _HEADER_OPTIONS[1:]:
        return f"{option}={_header_arg(value)}"
    if eq and option in _USER_OPTIONS[1:]:
        return f"{option}={_user_arg(value)}"
    if arg.startswith("-H") and len(arg) > 2:
        return "-H" + _header_arg(arg[2:])
    if arg.startswith(("-u", "-U")) and len(arg) > 2 and ":" in arg:
        return arg[:2] + _user_arg(arg[2:])
    if arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
        return f"-p{redact.REDACTED}"  # mysql -pPASSWORD
    return None


def scrub_argv(argv: Sequence[str]) -> list[str]:
    """The command as it may be shown: secret option values, URL passwords and tokens redacted.

    `--api-key=V`, `--password V`, `-p V` and `-pV` (mysql), `-u user:pass` (curl), `-H 'Authorization: V'`
    and `-HAuthorization: V`, `NAME=V` (env-style) whose name looks secret, `Authorization: Bearer V`,
    and every URL's userinfo and secret-looking query values.
    """
    out: list[str] = []
    pending: Callable[[str], str] | None = None
    for arg in argv:
        if pending is not None:
            out.append(pending(arg))
            pending = None
            continue
        text = _URL_IN_TEXT.sub(lambda m: redact.url(m.group(0)), arg)
        pending = _NEXT_ARG.get(arg)
        attached = _attached_value(arg)
        if pending is not None:
            pass
        elif attached is not None:
            text = attached
        elif arg.startswith("-") and not arg.startswith("---"):
            name, sep, _ = arg.lstrip("-").partition("=")
            if _SECRET_OPTION.search(name.replace("_", "-").split("-")[-1]) or _SECRET_OPTION.search(name):
                if sep:
                    text = f"{arg.split('=', 1)[0]}={redact.REDACTED}"
                else:
                    pending = lambda _v: redact.REDACTED  # noqa: E731
        elif "=" in arg and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", arg.split("=", 1)[0]):
            key = arg.split("=", 1)[0]
            if _SECRET_OPTION.search(key.replace("_", "-").split("-")[-1]) or _SECRET_OPTION.search(key):
                text = f"{key}={redact.REDACTED}"
        m = re.match(r"^\s*(authorization|proxy-authorization|x-api-key|api-key|cookie)\s*:\s*(.+)$", arg, re.I)
        if m:
            text = f"{m.group(1)}: {redact.REDACTED}"
        out.append(redact.scrub(text))
    return out


class _Stopper:
    """Forward SIGINT/SIGTERM sent to otdiag to the app's process group; escalate to SIGKILL after a grace period.

    The app runs in its own process group, so the group (the app and the processes it started) is
    what receives the signal, and what is killed when it does not stop in time. A second signal
    to otdiag escalates at once.
    """

    def __init__(self, proc: subprocess.Popen[bytes] | None, kill_after: float) -> None:
        self.proc = proc
        self.kill_after = kill_after
        self.reason: str | None = None
        self.escalated = False
        self._deadline: float | None = None
        self._old: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(ValueError, OSError):
                    self._old[sig] = signal.signal(sig, self._on_signal)

    def attach(self, proc: subprocess.Popen[bytes]) -> None:
        """The app has started: a signal that came while it was starting is forwarded now."""
        self.proc = proc
        if self.reason is not None:
            self._send(signal.SIGINT if self.reason == "SIGINT" else signal.SIGTERM)

    def _send(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError, OSError):
                self.proc.send_signal(sig)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if self.reason is not None and self._deadline is not None:
            self._deadline = 0.0  # a second signal: do not wait any longer
            return
        self.stop(signal.Signals(signum).name, signum)

    def stop(self, reason: str, sig: int = signal.SIGTERM) -> None:
        self.reason = reason
        self._send(sig)
        self._deadline = time.monotonic() + self.kill_after

    def wait(self, timeout: float | None) -> int:
        assert self.proc is not None
        started = time.monotonic()
        while True:
            try:
                return self.proc.wait(0.05)
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if self.reason is None and timeout is not None and now - started >= timeout:
                self.stop("timeout")
            if self._deadline is not None and now >= self._deadline and not self.escalated:
                self.escalated = True
                self._send(signal.SIGKILL)

    def restore(self) -> None:
        for sig, old in self._old.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, old)


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What `otdiag run` was asked to do (options already checked)."""

    command: tuple[str, ...]
    protocol: Protocol | None = None
    """OTEL_EXPORTER_OTLP_PROTOCOL to set for the app (None: keep the app's own)."""
    default_service: str | None = "otdiag-run"
    """OTEL_SERVICE_NAME to set when the app's environment has none (None: never)."""
    grace: float = 1.0
    timeout: float | None = None
    kill_after: float = 5.0
    observe: bool = True
    default_ports: bool = False
    """Also receive on 127.0.0.1:4317 and :4318, when free."""
    max_spans: int = 100_000
    stdout_to_stderr: bool = False
    """Send the app's stdout to otdiag's stderr (stdout carries the one JSON document)."""
    keep_open: bool = False
    """After the report, keep the receiver and a Jaeger-compatible query API open until SIGINT/SIGTERM."""
    save: str | None = None
    """Write every request the app sent to this file, one OTLP JSON line each (`otdiag replay` reads it)."""


@dataclass(frozen=True, slots=True)
class Started:
    """The receiver is up and the app is about to start."""

    endpoint: str
    also_receiving: tuple[str, ...]
    argv: tuple[str, ...]
    """The command, as it may be shown (secrets redacted)."""


@dataclass(frozen=True, slots=True)
class KeptOpen:
    """With --keep-open: the report is out, and the spans stay queryable here until SIGINT/SIGTERM."""

    query_url: str
    """Jaeger's HTTP query API (/api/traces, /api/v3/traces) over what the app sent."""
    endpoint: str
    """The OTLP receiver, still taking spans."""


def run(
    request: RunRequest,
    *,
    env: Mapping[str, str],
    on_start: Callable[[Started], None] = lambda started: None,
    on_result: Callable[[RunResult], None] = lambda result: None,
    on_kept_open: Callable[[KeptOpen], None] = lambda kept: None,
) -> RunResult:
    """Start the private receiver, run the app against it, and say what happened (`on_result`).

    With `keep_open`, the receiver and its query API then stay up, announced by `on_kept_open`, until
    SIGINT, SIGTERM or SIGHUP; otherwise the receiver stops at once.
    """
    from otdiag.listen.save import SaveFile

    saved = SaveFile(request.save) if request.save else None
    store = SpanStore(request.max_spans, recorder=saved)
    listener, defaults = _start_receiver(store, default_ports=request.default_ports, query=request.keep_open)
    try:
        bound = listener.bound
        assert bound is not None and bound.mux is not None
        endpoint = f"http://{bound.mux}"
        on_start(Started(endpoint, tuple(defaults), tuple(scrub_argv(request.command))))
        result = run_app(request, store, endpoint, env=env, also_receiving=defaults, stderr_sink=_stderr_passthrough())
        on_result(result)
        if request.keep_open and bound.query is not None and not result.app.interrupted:
            _serve_until_stopped(lambda: on_kept_open(KeptOpen(f"http://{bound.query}", endpoint)))
        return result
    finally:
        listener.stop()
        if saved is not None:
            saved.close()


def _serve_until_stopped(announce: Callable[[], None]) -> None:
    """Wait (the receiver serves on its own threads) until SIGINT, SIGTERM or SIGHUP."""
    stop = threading.Event()
    old: dict[int, object] = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            old[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        announce()
        while not stop.wait(0.5):
            pass
    finally:
        for number, handler in old.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, handler)  # type: ignore[arg-type]


def _start_receiver(store: SpanStore, *, default_ports: bool, query: bool = False) -> tuple[Listener, list[str]]:
    """A receiver on a free loopback port; with `default_ports`, also on 4317 and 4318 when they are free;
    with `query`, Jaeger's query API on another free loopback port."""
    from otdiag.listen.server import BindError, Listener
    from otdiag.net.endpoints import HostPort

    query_at = HostPort("127.0.0.1", 0) if query else None

    if default_ports:
        # Apps that hard-code the default endpoint (localhost:4317 / :4318) reach otdiag too, when free.
        try:
            listener = Listener(
                store,
                mux=HostPort("127.0.0.1", 0),
                grpc=HostPort("127.0.0.1", 4317),
                http=HostPort("127.0.0.1", 4318),
                query=query_at,
                other_signals=True,
            )
            listener.start()
        except BindError:
            pass
        else:
            return listener, ["127.0.0.1:4317", "127.0.0.1:4318"]
    # An auto-instrumented app exports metrics and logs too: taken and dropped, never a 404 on its stderr.
    listener = Listener(store, mux=HostPort("127.0.0.1", 0), query=query_at, other_signals=True)
    try:
        listener.start()
    except BindError as exc:
        raise UsageError(str(exc)) from None
    return listener, []


def _stderr_passthrough() -> Callable[[bytes], None]:
    """Where the app's stderr goes: otdiag's own stderr, byte for byte."""
    buffer = getattr(sys.stderr, "buffer", None)

    def sink(raw: bytes) -> None:
        if buffer is not None:
            buffer.write(raw)
            buffer.flush()
        else:
            sys.stderr.write(raw.decode("utf-8", errors="replace"))

    return sink


def _app_stdout(to_stderr: bool) -> IO[bytes] | int | None:
    if not to_stderr:
        return None
    try:
        return sys.stderr.fileno()  # keep stdout for the one JSON document
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL


def run_app(
    request: RunRequest,
    store: SpanStore,
    endpoint: str,
    *,
    env: Mapping[str, str],
    also_receiving: Sequence[str] = (),
    stderr_sink: Callable[[bytes], None] = lambda b: None,
    clock: Callable[[], float] = time.time,
) -> RunResult:
    """Run the command to completion against `endpoint` (served by a listener writing to `store`)."""
    argv, grace = request.command, request.grace
    full_env, changes, removed, injected = prepare_env(env, endpoint, request.protocol, request.default_service)
    runtime = (runtimes.pick(argv) or runtimes.LAUNCHER) if request.observe else None
    report_dir = Path(tempfile.mkdtemp(prefix="otdiag-run-")) if runtime is not None else None
    launch: Launch | None = None
    early: list[Finding] = []
    spawn_argv: Sequence[str] = argv
    if report_dir is not None and runtime is not None:
        launch = Launch(tuple(argv), dict(full_env), report_dir, endpoint, Path.cwd())
        spawn_argv, early = _prepare_runtime(runtime, launch, full_env)
    started = clock()
    mono = time.monotonic()
    try:
        # The stopper's handlers go in first: a caught signal is reset to SIG_DFL by exec, so the app can be
        # stopped even when otdiag inherited SIGINT ignored (a shell's `cmd &`).
        stopper = _Stopper(None, request.kill_after)
        try:
            proc = _spawn(spawn_argv, full_env, _app_stdout(request.stdout_to_stderr))
        except BaseException:
            stopper.restore()
            raise
        assert proc.stderr is not None
        tap = _StderrTap(proc.stderr, stderr_sink)
        stopper.attach(proc)
        try:
            returncode = stopper.wait(request.timeout)
            duration = time.monotonic() - mono
            exited_at = started + duration
            tap.join(2)
            if stopper.reason in (None, "timeout"):
                time.sleep(grace)
            else:
                time.sleep(min(grace, 0.2))
        finally:
            stopper.restore()
        summary = summarize(store)
        seen = None
        if runtime is not None and launch is not None:
            app_run = AppRun(launch, returncode, stopper.reason, tap.lines, summary, tuple(also_receiving))
            seen = _analyse_runtime(runtime, app_run, early)
    finally:
        if report_dir is not None:
            shutil.rmtree(report_dir, ignore_errors=True)
    ran = _Ran(
        argv=scrub_argv(argv), returncode=returncode, duration_s=duration, exited_at=exited_at, endpoint=endpoint,
        env_set=changes, env_removed=removed, injected_service=injected, summary=summary,
        stderr_hits=tap.hits, stopped=stopper.reason, escalated=stopper.escalated,
        also_receiving=list(also_receiving), runtime=seen,
    )  # fmt: skip
    findings, observed = analyse(ran, full_env, observe=request.observe)
    findings += removed_findings(env, removed, request.protocol)
    return ran.result(findings, observed)


def removed_findings(env: Mapping[str, str], removed: Sequence[str], protocol: Protocol | None) -> list[Finding]:
    """What check says about the variables run took out of the app's environment (a traces endpoint without
    /v1/traces): run does not use them, but the user's setting is still wrong outside run, so it is said, as a
    warning."""
    from otdiag.app import env_analysis

    if not removed:
        return []
    names = ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", *removed)
    sub = {n: env[n] for n in names if n in env}
    if protocol is not None:
        sub["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = protocol.value
    out: list[Finding] = []
    for f in env_analysis.analyse(sub).findings:
        if f.target in removed and f.severity is not Severity.INFO:
            out.append(
                replace(
                    f,
                    severity=W,
                    message=f"{f.message} (run took {f.target} out for this run, so the app sent to run's "
                    "receiver; without run, this setting applies.)",
                )
            )
    return out


def _prepare_runtime(
    runtime: RuntimeObserver, launch: Launch, full_env: dict[str, str]
) -> tuple[Sequence[str], list[Finding]]:
    """Let a runtime's observer add to the app's launch; its own failure is a note, never the run's."""
    from otdiag import catalogue as cat

    try:
        prepared = runtime.prepare(launch)
    except Exception as exc:  # noqa: BLE001 - an observer's bug must not stop the app from running
        note = cat.APP_OBSERVER_ERROR(f"otdiag's {runtime.runtime} observer could not be set up: {type(exc).__name__}")
        return launch.argv, [note]
    full_env.update(prepared.env)
    return (prepared.argv or launch.argv), list(prepared.findings)


def _analyse_runtime(runtime: RuntimeObserver, app_run: AppRun, early: list[Finding]) -> Seen:
    """The runtime observer's answer; its own failure is a note, and the receiver's view still stands."""
    from otdiag import catalogue as cat

    try:
        seen = runtime.analyse(app_run)
    except Exception as exc:  # noqa: BLE001 - an observer's bug must not lose the run's report
        note = cat.APP_OBSERVER_ERROR(f"otdiag's {runtime.runtime} observer failed: {type(exc).__name__}")
        return Seen(RuntimeFacts(runtime.runtime), (*early, note), 0)
    return replace(seen, findings=(*seen.findings, *early))


def _spawn(argv: Sequence[str], env: Mapping[str, str], stdout: IO[bytes] | int | None) -> subprocess.Popen[bytes]:
    """The app, in its own process group, its stderr piped to otdiag; a command that cannot start is exit 2."""
    try:
        return subprocess.Popen(list(argv), env=env, stdout=stdout, stderr=subprocess.PIPE, stdin=None, process_group=0)
    except FileNotFoundError:
        raise UsageError(f"command not found: {scrub_argv(argv[:1])[0]}") from None
    except PermissionError:
        raise UsageError(f"cannot run {scrub_argv(argv[:1])[0]}: permission denied") from None
    except OSError as exc:
        raise UsageError(f"cannot run {scrub_argv(argv[:1])[0]}: {exc.strerror or exc}") from None


CRASHED_CODE = "app.crashed"

# The observer reads these causes from inside the app, with file:line; stderr only guesses them.
_OBSERVED = {PROVIDER_OVERRIDDEN.code, QUEUE_FULL.code, EXPORT_FAILED.code}


def analyse(
    ran: _Ran, env: Mapping[str, str], *, observe: bool = True
) -> tuple[list[Finding], Observed | RuntimeFacts]:
    """Root cause first: what the observer saw inside the app, the environment, then what reached the receiver."""
    from otdiag import observe as obs

    s = ran.summary
    seen = ran.runtime if ran.runtime is not None else Seen(NOT_LOADED)
    # What the receiver refused (a wrong path, the wrong protocol, TLS): the app's env names the base URL,
    # so a wrong path comes from the code.
    refused = refused_findings(s.refused, set_in_code=True)
    findings = _dedupe([*_ordered(ran, env, seen), *refused])
    _add_killed(findings, ran, loaded=seen.loaded)
    if not seen.loaded and observe and obs.looks_like_python(list(ran.argv)):
        findings.append(APP_OBSERVER_ABSENT("No report came from otdiag's observer inside the app."))
    if s.spans == 0 and not any(f.severity is Severity.ERROR for f in findings) and not seen.observed.delivered():
        findings.insert(0, _no_spans(ran, loaded=seen.loaded))
    if s.spans > 0:
        findings += _span_findings(ran, env, seen.observed)
    return [_service_name_ignored(f, ran, env) for f in findings], seen.observed


_SERVICE_NAME_IGNORED = {
    "node": "The app's TracerProvider does not read OTEL_SERVICE_NAME: NodeTracerProvider (sdk-trace-base 2.x) "
    "without a resource uses defaultResource(), which reads no environment. Pass one: new NodeTracerProvider({ "
    "resource: resourceFromAttributes({ 'service.name': 'my-service' }) }), or use NodeSDK or "
    "detectResources({ detectors: [envDetector] }), which read OTEL_SERVICE_NAME.",
    "python": "The app builds its Resource without the environment: use Resource.create({...}) (it reads "
    "OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES), not Resource({...}).",
}


def _service_name_ignored(f: Finding, ran: _Ran, env: Mapping[str, str]) -> Finding:
    """unknown_service although the environment names the service: the code's provider ignores the variable,
    so "Set OTEL_SERVICE_NAME" would be advice the user already followed."""
    if f.code != "trace.unknown-service":
        return f
    named = env.get("OTEL_SERVICE_NAME") or (
        "service.name=" in env.get("OTEL_RESOURCE_ATTRIBUTES", "") and "OTEL_RESOURCE_ATTRIBUTES"
    )
    if not named:
        return f
    runtime = ran.runtime.observed.runtime if ran.runtime is not None else "python"
    hint = _SERVICE_NAME_IGNORED.get(runtime)
    if hint is None:
        return f
    said = (
        f"OTEL_SERVICE_NAME={env['OTEL_SERVICE_NAME']!r}"
        if env.get("OTEL_SERVICE_NAME")
        else "OTEL_RESOURCE_ATTRIBUTES"
    )
    return replace(f, message=f"{f.message.rstrip('.')} although {said} is set.", hint=hint)


_SETUP_CRASHES = ([CRASHED_CODE], [APP_OTEL_IMPORT.code])
"""The root causes an SDK set-up crash leaves: a crash, or (Java) a missing artifact an OTEL_* setting asked for."""


def _ordered(ran: _Ran, env: Mapping[str, str], seen: Seen) -> list[Finding]:
    """The observer's root causes, the app's environment, the observer's other findings, then its stderr."""
    stderr_findings = [
        _stderr_finding(code, lines)
        for code, lines in ran.stderr_hits.items()
        if not (seen.loaded and code in _OBSERVED) and code != APP_PYTHON_DEVIATION.code
    ]
    env_found = env_findings(env, ran.summary.spans)
    root, rest = list(seen.findings[: seen.root_causes]), list(seen.findings[seen.root_causes :])
    rejected = _protocol_rejected(ran, env, root)
    if rejected is not None:
        # The no-op tracer's spans are what the rejection leaves: evidence, not a provider missing from the code.
        rest = [f for f in rest if f.code != "app.no-provider"]
        return [rejected, *env_found, *rest, *stderr_findings]
    env_errors = [f for f in env_found if f.severity is Severity.ERROR]
    if seen.observed.crash_in_opentelemetry and env_errors and [f.code for f in root] in _SETUP_CRASHES:
        # The SDK's own set-up raised on the app's OTEL_* settings: the setting is the cause, the crash its evidence.
        first = env_found.index(env_errors[0])
        env_found[first] = replace(env_errors[0], evidence=(*env_errors[0].evidence, root[0].message))
        root = []
    return [*root, *env_found, *rest, *stderr_findings]


def _protocol_rejected(ran: _Ran, env: Mapping[str, str], root: list[Finding]) -> Finding | None:
    """Python's auto-configuration said "Unsupported OTLP protocol" on stderr: the protocol variable is why no
    SDK started (the no-op tracer's spans, no provider), as check's app.python-sdk-differs says beforehand."""
    lines = ran.stderr_hits.get(APP_PYTHON_DEVIATION.code)
    if not lines:
        return None
    from otdiag.otlp.classify import scrub_error

    name = next(
        (n for n in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") if env.get(n)),
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    )
    value = redact_text(env.get(name, "")[:40])
    shown = list(dict.fromkeys(redact_text(scrub_error(x)).strip() for x in lines if "raise " not in x))[:2]
    return APP_PYTHON_DEVIATION(
        f"{name}={value}: Python's auto-configuration rejects it ('Unsupported OTLP protocol') and started no "
        "SDK, so the app's spans went to the API's no-op tracer.",
        severity=Severity.ERROR,
        target=name,
        hint=f"Set {name}=http/protobuf (or grpc): the Python SDK has no http/json exporter.",
        evidence=(*shown, *(f.message for f in root)),
    )


def _stderr_finding(code: str, lines: list[str]) -> Finding:
    """A known SDK warning on the app's stderr; an export failure is classified as send-test-span would."""
    from otdiag.otlp.classify import classify_text, scrub_error

    shown = [redact_text(scrub_error(x)) for x in lines]
    if code == EXPORT_FAILED.code:
        for line in shown:
            got = classify_text(line)
            if got is not None:
                return got.finding(prefix="The app's stderr says the export failed: ", evidence=shown)
    by_code = {k.code: k for _, k in _SIGNATURES}
    return by_code[code](f"The app's stderr says: {shown[0]}", evidence=shown)


_SHUTDOWN_CALLS = {
    "node": "sdk.shutdown() (or provider.shutdown())",
    "java": "the SDK's shutdown (OpenTelemetrySdk.close(); the Java agent does it in its shutdown hook)",
    "go": "tp.Shutdown(ctx)",
}


def _shutdown_call(ran: _Ran) -> str:
    """How this app's runtime flushes and stops its tracer provider, in its own words."""
    runtime = ran.runtime.observed.runtime if ran.runtime is not None else "python"
    return _SHUTDOWN_CALLS.get(runtime, "provider.shutdown()")


def _add_killed(findings: list[Finding], ran: _Ran, *, loaded: bool) -> None:
    """The app was stopped by otdiag, or killed by a signal: where that finding goes depends on what arrived."""
    spans = ran.summary.spans
    if ran.stopped is not None:
        how = "otdiag was stopped" if ran.stopped != "timeout" else "--timeout ran out"
        sent = "SIGINT" if ran.stopped == "SIGINT" else "SIGTERM"
        ended = (
            "it ignored the signal and was killed (SIGKILL to its process group)"
            if ran.escalated
            else f"it {_status_text(ran.returncode)}"
        )
        findings.append(
            KILLED(
                f"{how} ({ran.stopped}): the app was sent {sent}; {ended}.",
                severity=Severity.INFO if not ran.escalated else W,
                hint="Nothing to fix: otdiag stopped the app. To keep queued spans on a stop, handle the signal "
                f"and call {_shutdown_call(ran)} before exiting."
                if not ran.escalated
                else f"Let {sent} stop the app (do not ignore it or block in its handler), and call "
                f"{_shutdown_call(ran)} before exiting: the kill lost the spans still queued.",
            )
        )
    elif ran.returncode < 0 and not loaded:
        findings.append(
            KILLED(
                f"The app was killed by {signal_name(-ran.returncode)} after exporting {spans} span(s).",
                severity=E if spans == 0 else None,
            )
        )
    elif ran.returncode < 0:
        tail = " before the SDK flushed: its queued spans were lost." if spans == 0 else f" after {spans} span(s)."
        name = signal_name(-ran.returncode)
        killed = KILLED(f"The app was killed by {name}{tail}", severity=E if spans == 0 else None)
        findings.insert(0 if spans == 0 else len(findings), killed)


def _no_spans(ran: _Ran, *, loaded: bool) -> Finding:
    return NO_SPANS(
        f"The app ({' '.join(ran.argv)[:120]}) {_status_text(ran.returncode)} without exporting any span.",
        evidence=[
            "No export request reached otdiag's receiver at all: no SDK provider was set (spans are "
            "NonRecordingSpan), no span was started, or the process exited before the SDK flushed "
            "(os._exit, SIGKILL, no provider.shutdown())."
            if ran.runtime is None or ran.runtime.observed.runtime == "python"
            else "No export request reached otdiag's receiver at all: no SDK tracer provider was set or "
            "registered (spans are no-ops), no span was started, or the process exited before the SDK "
            "flushed (an exit call or a kill before the provider's shutdown)."
        ]
        if not loaded
        else ["otdiag's observer saw nothing more specific inside the app."],
    )


def _span_findings(ran: _Ran, env: Mapping[str, str], observed: Observed | RuntimeFacts) -> list[Finding]:
    """When spans arrived: the injected service name, spans sent only at exit, and what the spans show."""
    s = ran.summary
    found: list[Finding] = []
    if ran.injected_service and set(s.services) <= {ran.injected_service}:
        found.append(
            DEFAULT_SERVICE(f"Every span carries service.name={ran.injected_service!r}, the default otdiag run set.")
        )
    if (
        not observed.flushed_by_app  # the app shuts the provider down itself: fine
        and s.first_received is not None
        and s.first_received >= ran.exited_at - 0.5
        and ran.duration_s > _batch_delay_s(env) + 1.0
    ):
        found.append(AT_EXIT(f"All {s.spans} span(s) arrived in the last half second of a {ran.duration_s:.1f}s run."))
    return [*found, *s.findings]


def _batch_delay_s(env: Mapping[str, str]) -> float:
    """The BatchSpanProcessor's export interval (OTEL_BSP_SCHEDULE_DELAY, 5 s by default).

    An app that runs for less than this exports only when it shuts down, by design: spans that
    arrive at exit are a finding only for an app that ran for longer.
    """
    try:
        return max(0.0, float(env.get("OTEL_BSP_SCHEDULE_DELAY") or 5000) / 1000)
    except ValueError:
        return 5.0


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per code: the one that knows the file:line wins, at the earliest position.

    A finding whose kind `covers` other codes takes them in as evidence: one failure, one answer.
    """
    from otdiag.finding_kind import KINDS

    out: list[Finding] = []
    index: dict[str, int] = {}
    for f in findings:
        if f.code not in index:
            index[f.code] = len(out)
            out.append(f)
        elif f.location is not None and out[index[f.code]].location is None:
            out[index[f.code]] = f
    for i, f in enumerate(out):
        covered = [g for g in out if g.code in KINDS[f.code].covers] if f.code in KINDS else []
        if covered:
            said = [g.message for g in covered]
            out[i] = replace(f, evidence=tuple(dict.fromkeys((*f.evidence, *said)))[:8])
    gone = {code for f in out if f.code in KINDS for code in KINDS[f.code].covers}
    return [f for f in out if f.code not in gone]


def redact_text(text: str) -> str:
    return redact.clean(text)


def _status_text(code: int) -> str:
    if code < 0:
        return f"was killed by {signal_name(-code)}"
    return f"exited with status {code}"


def signal_name(number: int) -> str:
    """SIGINT for 2, SIGKILL for 9; `signal 99` for a number without a name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def status_shown(code: int) -> str:
    """An exit status as the human view shows it: `0`, `3`, `killed by SIGINT`."""
    return f"killed by {signal_name(-code)}" if code < 0 else str(code)
