"""otdiag's in-process observer for Python apps, loaded by `otdiag run` as `sitecustomize`.

`otdiag run` prepends this file's directory to the app's PYTHONPATH and sets
OTDIAG_OBSERVE_DIR to a private directory. Python's `site` module imports this
module at start-up; it then

- imports the `sitecustomize` the app would have had without otdiag (chained),
  and takes this directory off `sys.path` again;
- installs an import hook that only looks at `opentelemetry*` modules: a failed
  import is recorded with the importing file:line, and a few SDK classes are
  wrapped right after their module runs (provider, sampler, tracer, processors,
  exporters) to count what happens to spans;
- writes what it saw as JSON to OTDIAG_OBSERVE_DIR/obs-<pid>.json, on a few
  events (provider set, export results, os._exit, fork) and at exit.

Rules it keeps: the standard library only (nothing from otdiag, nothing heavy at
start-up), never a byte on the app's stdout or stderr, never a change to what a
wrapped call returns or raises, and every failure of its own is caught and
recorded in the report (`errors`), never raised into the app.
"""

# ruff: noqa: PTH100, PTH105, PTH118, PTH120, SIM105 - os.path, not pathlib: start-up cost matters here
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms at start-up; the annotations are strings anyway
    from typing import Any

_VERSION = 1
_DIR = os.environ.get("OTDIAG_OBSERVE_DIR", "")
_HERE = os.path.dirname(os.path.abspath(__file__))
_STDLIB = os.path.dirname(os.path.abspath(os.__file__))
_OTEL_PART = os.sep + "opentelemetry" + os.sep
_MAX_TRACKED = 64
_MAX_LIST = 20


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
"""The span counters, in their order in cnt-<pid>.bin (native int64 each). `sampled`: started spans whose
context has the sampled flag, the only ones a span processor exports."""
(_STARTED, _SAMPLED, _DROPPED_ROOT, _DROPPED_PARENT, _DROPPED_DISABLED, _NOOP, _NOOP_BEFORE, _ENDED, _ENDED_AFTER) = (
    range(len(_COUNTERS))
)


class _State:
    """Everything the observer counts; one per process (reset in a forked child)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.ppid = os.getppid()
        self.forked = False
        self.provider_before_fork = False
        self.started_at = _now()
        self.errors: list[str] = []
        self.import_failures: list[dict[str, Any]] = []
        self.hooked: list[str] = []
        self.set_calls: list[dict[str, Any]] = []
        self.providers: dict[int, dict[str, Any]] = {}
        self.provider_refs: dict[int, Any] = {}
        self.processors: dict[int, dict[str, Any]] = {}
        self.processor_refs: dict[int, Any] = {}
        self.exporters: dict[int, dict[str, Any]] = {}
        self.exporter_refs: dict[int, Any] = {}
        self.multi_owner: dict[int, int] = {}
        self.logs: dict[tuple[str, str], dict[str, Any]] = {}
        self.exit: dict[str, Any] | None = None
        self.crash: dict[str, Any] | None = None
        self.final = False
        self.c: Any = [0] * len(_COUNTERS)
        """The span counters (`_COUNTERS`), mapped onto cnt-<pid>.bin once OpenTelemetry is imported: a
        process killed by a signal (a pool's worker on terminate()) still leaves every count it made."""
        self.cmap: Any = None
        self.dumped_noop = False
        self.threads: dict[int, dict[str, Any]] = {}
        """The threads that started the tracked spans, by ident: name, daemon flag, target."""
        self.shut: set[int] = set()
        """ids of the span processors of providers that were shut down."""
        self.first_span_site: list[Any] | None = None
        self.first_noop_site: list[Any] | None = None
        self.first_drop_site: list[Any] | None = None
        self.open: list[tuple[Any, str, list[Any] | None, int | None]] = []
        """The first recording spans, with their name and start site: those not ended at exit are reported."""
        self.tracked = 0
        self.last_dump = 0.0


def _now() -> float:
    import time

    return time.time()


_S = _State()


def _fail(where: str, exc: BaseException) -> None:
    try:
        if len(_S.errors) < _MAX_LIST:
            _S.errors.append(f"{where}: {type(exc).__name__}: {str(exc)[:200]}")
    except Exception:  # noqa: BLE001, S110 - the observer never raises into the app
        pass


def _is_lib(filename: str) -> bool:
    if filename.startswith("<") or filename == __file__ or _OTEL_PART in filename:
        return True
    if filename.startswith(_STDLIB + os.sep):
        rest = filename[len(_STDLIB) + 1 :]
        return not (rest.startswith("site-packages") or rest.startswith("dist-packages"))
    return False


def _site(depth: int = 2) -> list[Any] | None:
    """The app's file and line that led here: the innermost frame outside the SDK and the stdlib."""
    try:
        frame: Any = sys._getframe(depth)
    except ValueError:
        return None
    first = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if first is None:
            first = [filename, frame.f_lineno]
        if not _is_lib(filename):
            return [filename, frame.f_lineno]
        frame = frame.f_back
    return first


def _called_from_atexit(depth: int = 2) -> bool:
    """True when no Python code of the app is on the stack (atexit calls the handler directly)."""
    try:
        frame: Any = sys._getframe(depth)
    except ValueError:
        return True
    while frame is not None:
        if not _is_lib(frame.f_code.co_filename):
            return False
        frame = frame.f_back
    return True


def _in_auto_configuration() -> bool:
    """Whether the SDK's own configurator (opentelemetry-instrument, _OTelSDKConfigurator) is on the stack."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        if "_configuration" in frame.f_code.co_filename and _OTEL_PART in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _qualname(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


# --- the report --------------------------------------------------------------------------------


def _sampler(sampler: Any, depth: int = 0) -> dict[str, Any] | None:
    if sampler is None:
        return None
    out: dict[str, Any] = {"type": _qualname(sampler)}
    try:
        out["description"] = str(sampler.get_description())[:200]
    except Exception as exc:  # noqa: BLE001
        _fail("sampler", exc)
    rate = getattr(sampler, "rate", None)
    if isinstance(rate, (int, float)):
        out["rate"] = float(rate)
    decision = getattr(sampler, "_decision", None)
    if decision is not None:
        out["decision"] = getattr(decision, "name", str(decision))
    root = getattr(sampler, "_root", None)
    if root is not None and depth < 2:
        out["root"] = _sampler(root, depth + 1)
    return out


def _provider_view(pid: int, rec: dict[str, Any]) -> dict[str, Any]:
    ref = _S.provider_refs.get(pid)
    provider = ref() if ref is not None else None
    if provider is not None:
        try:
            rec["sampler"] = _sampler(getattr(provider, "sampler", None))
            resource = getattr(provider, "resource", None) or getattr(provider, "_resource", None)
            attrs = getattr(resource, "attributes", None) or {}
            name = attrs.get("service.name")
            rec["service_name"] = None if name is None else str(name)[:200]
            rec["disabled"] = bool(getattr(provider, "_disabled", False))
        except Exception as exc:  # noqa: BLE001
            _fail("provider", exc)
    return rec


def _processor_view(pid: int, rec: dict[str, Any]) -> dict[str, Any]:
    ref = _S.processor_refs.get(pid)
    proc = ref() if ref is not None else None
    if proc is not None:
        try:
            inner = getattr(proc, "_batch_processor", None)
            queue = getattr(inner, "_queue", None)
            if queue is None:
                queue = getattr(proc, "queue", None)
            if queue is not None:
                rec["queued"] = len(queue)
        except Exception as exc:  # noqa: BLE001
            _fail("processor", exc)
    return rec


def _exporter_describe(exporter: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": _qualname(exporter), "handed": 0, "calls": 0, "results": {}, "exceptions": []}
    try:
        _exporter_target(exporter, rec)
        timeout = getattr(exporter, "_timeout", None)
        if isinstance(timeout, (int, float)):
            rec["timeout"] = float(timeout)
        insecure = getattr(exporter, "_insecure", None)
        if isinstance(insecure, bool):
            rec["insecure"] = insecure
        names = _header_names(getattr(exporter, "_headers", None))
        if names:
            rec["headers"] = names[:_MAX_LIST]  # names only: a value is never written
        protocol = _exporter_protocol(type(exporter).__module__)
        if protocol:
            rec["protocol"] = protocol
    except Exception as exc:  # noqa: BLE001
        _fail("exporter", exc)
    return rec


def _exporter_target(exporter: Any, rec: dict[str, Any]) -> None:
    """Where the exporter sends: its endpoint (OTLP, Zipkin, Jaeger's collector) or Jaeger's agent."""
    for attr in ("_endpoint", "collector_endpoint", "_collector_endpoint", "endpoint"):
        value = getattr(exporter, attr, None)
        if isinstance(value, str) and value and "endpoint" not in rec:
            rec["endpoint"] = value[:300]
    for attr in ("agent_host_name", "agent_port"):
        value = getattr(exporter, attr, None)
        if isinstance(value, (str, int)) and value:
            rec[attr] = value


def _header_names(headers: Any) -> list[str]:
    if isinstance(headers, dict):
        return [str(k) for k in headers]
    if isinstance(headers, (tuple, list)):
        return [str(h[0]) for h in headers if isinstance(h, (tuple, list)) and h]
    return []


def _exporter_protocol(module: str) -> str:
    if ".grpc" in module:
        return "grpc"
    if ".http" in module:
        return "http/protobuf"
    if "jaeger" in module:
        return "jaeger-thrift" if "thrift" in module else "jaeger"
    return ""


def _report() -> dict[str, Any]:
    s = _S
    return {
        "v": _VERSION,
        "pid": s.pid,
        "ppid": s.ppid,
        "forked": s.forked,
        "provider_before_fork": s.provider_before_fork,
        "argv0": (sys.argv[0] if sys.argv else "")[:300],
        "executable": sys.executable,
        "python": ".".join(str(p) for p in sys.version_info[:3]),
        "sys_path": [p for p in sys.path if isinstance(p, str)][:100],
        "started_at": s.started_at,
        "updated_at": _now(),
        "final": s.final,
        "exit": s.exit,
        "crash": s.crash,
        "import_failures": s.import_failures,
        "hooked": s.hooked,
        "set_provider_calls": s.set_calls,
        "providers": [_provider_view(k, v) for k, v in list(s.providers.items())],
        "processors": [_processor_view(k, v) for k, v in list(s.processors.items())],
        "exporters": list(s.exporters.values()),
        "spans": {
            **{name: int(s.c[i]) for i, name in enumerate(_COUNTERS)},
            "recording": s.c[_STARTED] - s.c[_DROPPED_ROOT] - s.c[_DROPPED_PARENT] - s.c[_DROPPED_DISABLED],
            "open": _still_open()[:_MAX_LIST],
            "open_count": _open_count(),
            "tracked": s.tracked,
            "first_span_site": s.first_span_site,
            "first_noop_site": s.first_noop_site,
            "first_drop_site": s.first_drop_site,
        },
        "multiprocessing": _process_kind(),
        "logs": list(s.logs.values())[:50],
        "errors": s.errors,
    }


def _still_open() -> list[list[Any]]:
    return [[name, site] for span, name, site, _ in _S.open if getattr(span, "end_time", 0) is None]


def _open_count() -> int:
    """Spans recorded but not ended (yet): still open at exit, they are never exported."""
    s = _S
    c = s.c
    return max(0, int(c[_STARTED] - c[_DROPPED_ROOT] - c[_DROPPED_PARENT] - c[_DROPPED_DISABLED] - c[_ENDED]))


def _map_counters() -> None:
    """Move the span counters into a file mapping (MAP_SHARED): what they hold survives any kill."""
    if not _DIR or _S.cmap is not None:
        return
    try:
        import mmap

        size = 8 * len(_COUNTERS)
        path = os.path.join(_DIR, f"cnt-{_S.pid}.bin")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, size)
            cmap = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        view = memoryview(cmap).cast("q")
        for i, value in enumerate(_S.c):
            view[i] = value
        _S.cmap, _S.c = cmap, view
    except Exception as exc:  # noqa: BLE001
        _fail("counters", exc)


def _process_kind() -> dict[str, Any] | None:
    """A multiprocessing child (spawn, forkserver or fork): its start method and parent."""
    mp = sys.modules.get("multiprocessing")
    if mp is None:
        return None
    try:
        parent = mp.parent_process()
        if parent is None:
            return None
        main = sys.modules.get("__main__")
        return {
            "method": str(mp.get_start_method(allow_none=True) or ""),
            "parent": parent.pid,
            "main_name": getattr(main, "__name__", ""),
        }
    except Exception as exc:  # noqa: BLE001
        _fail("multiprocessing", exc)
        return None


def _open_threads() -> list[dict[str, Any]]:
    """The threads still alive that hold a span not ended (at exit: daemon threads the interpreter cuts)."""
    import threading

    alive = {t.ident: t for t in threading.enumerate()}
    out: list[dict[str, Any]] = []
    for span, name, site, ident in _S.open:
        if getattr(span, "end_time", 0) is not None:
            continue
        thread = alive.get(ident)
        if thread is None or thread is threading.main_thread():
            continue
        target = getattr(thread, "_target", None)
        out.append(
            {
                "span": name,
                "site": site,
                "thread": str(thread.name)[:100],
                "daemon": bool(thread.daemon),
                "target": str(getattr(target, "__qualname__", "") or "")[:100],
                "target_site": _code_site(target),
            }
        )
        if len(out) >= _MAX_LIST:
            break
    return out


def _thread_ident() -> int | None:
    threading = sys.modules.get("threading")
    return threading.get_ident() if threading is not None else None


def _code_site(fn: Any) -> list[Any] | None:
    code = getattr(fn, "__code__", None)
    return [code.co_filename, code.co_firstlineno] if code is not None else None


def _dump(reason: str, *, throttle: float = 0.0) -> None:
    """Write the report atomically; the reader never sees half a file."""
    if not _DIR:
        return
    try:
        now = _now()
        if throttle and now - _S.last_dump < throttle:
            return
        _S.last_dump = now
        import json

        doc = _report()
        doc["reason"] = reason
        if reason in ("exit", "os._exit"):
            doc["auto_instrumentation"] = _auto_instrumentation()
            doc["open_threads"] = _open_threads()
        path = os.path.join(_DIR, f"obs-{_S.pid}.json")
        tmp = f"{path}.{reason}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(doc, default=str).encode("utf-8", "replace"))
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except Exception:  # noqa: BLE001, S110 - nowhere to report a failure to write the report
        pass


_NOT_TRACING = frozenset({"click", "asyncclick", "psutil", "pydantic", "structlog", "asgiref", "jinja2"})
"""Libraries with an instrumentation that adds no spans of the app's own requests: never 'missing'."""


def _auto_instrumentation() -> dict[str, Any] | None:
    """Under `opentelemetry-instrument`: the libraries the app imported whose instrumentation is not
    installed (auto-instrumentation instruments only those that are). None without auto-instrumentation.

    The pairs come from the app's own opentelemetry-instrumentation (`bootstrap_gen`, the list
    `opentelemetry-bootstrap` installs from), so they match the release the app runs.
    """
    if "opentelemetry.instrumentation.auto_instrumentation" not in sys.modules:
        return None
    out: dict[str, Any] = {"missing": [], "installed": []}
    try:
        import importlib.metadata as md
        import re

        from opentelemetry.instrumentation.bootstrap_gen import libraries  # type: ignore[import-not-found]

        modules_of: dict[str, list[str]] = {}
        for module, dists in md.packages_distributions().items():
            for dist in dists:
                modules_of.setdefault(re.sub(r"[-_.]+", "-", dist).lower(), []).append(module)
        for entry in libraries[:200]:
            library = re.split(r"[\s<>=~!;\[,(]", str(entry.get("library", "")), maxsplit=1)[0]
            instrumentation = str(entry.get("instrumentation", ""))
            key = re.sub(r"[-_.]+", "-", library).lower()
            used = [m for m in modules_of.get(key, ()) if m in sys.modules]
            if key in _NOT_TRACING or not used or all(_only_for_opentelemetry(m) for m in used):
                continue
            name = re.split(r"[\s<>=~!;\[,(]", instrumentation, maxsplit=1)[0]
            try:
                md.distribution(name)
            except md.PackageNotFoundError:
                version = ""
                try:
                    version = md.version(library)
                except Exception:  # noqa: BLE001, S110 - the version is a detail
                    pass
                out["missing"].append({"library": library, "version": version, "instrumentation": instrumentation})
            else:
                out["installed"].append(name)
    except Exception as exc:  # noqa: BLE001
        _fail("auto-instrumentation", exc)
    return out


# --- wrappers ----------------------------------------------------------------------------------


def _wrap_method(cls: Any, name: str, make: Any) -> None:
    orig = cls.__dict__.get(name)
    if orig is None or getattr(orig, "_otdiag_wrapped", False):
        return
    wrapped = make(orig)
    wrapped._otdiag_wrapped = True
    wrapped.__name__ = getattr(orig, "__name__", name)
    wrapped.__qualname__ = getattr(orig, "__qualname__", name)
    wrapped.__doc__ = getattr(orig, "__doc__", None)
    wrapped.__wrapped__ = orig
    setattr(cls, name, wrapped)


def _weak(obj: Any) -> Any:
    import weakref

    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def _hook_api_trace(mod: Any) -> None:
    orig_set = getattr(mod, "_set_tracer_provider", None)
    if orig_set is not None and not getattr(orig_set, "_otdiag_wrapped", False):

        def _set_tracer_provider(tracer_provider: Any, log: Any = True) -> Any:
            before = getattr(mod, "_TRACER_PROVIDER", None)
            result = orig_set(tracer_provider, log)
            try:
                after = getattr(mod, "_TRACER_PROVIDER", None)
                if len(_S.set_calls) < _MAX_LIST:
                    _S.set_calls.append(
                        {
                            "type": _qualname(tracer_provider),
                            "id": id(tracer_provider),
                            "site": _site(2),
                            "accepted": after is tracer_provider and before is not tracer_provider,
                            "at": _now(),
                        }
                    )
                _dump("set-provider")
            except Exception as exc:  # noqa: BLE001
                _fail("set_tracer_provider", exc)
            return result

        _set_tracer_provider._otdiag_wrapped = True  # type: ignore[attr-defined]
        mod._set_tracer_provider = _set_tracer_provider

    noop = getattr(mod, "NoOpTracer", None)
    if noop is not None:

        def make(orig: Any) -> Any:
            def start_span(self: Any, *args: Any, **kwargs: Any) -> Any:
                span = orig(self, *args, **kwargs)
                try:
                    _S.c[_NOOP] += 1
                    if getattr(mod, "_TRACER_PROVIDER", None) is None:
                        _S.c[_NOOP_BEFORE] += 1
                    if _S.first_noop_site is None:
                        _S.first_noop_site = _site(2)
                    if not _S.dumped_noop:
                        _S.dumped_noop = True  # who started it, written before the span is used
                        _dump("noop-span")
                except Exception as exc:  # noqa: BLE001
                    _fail("noop", exc)
                return span

            return start_span

        _wrap_method(noop, "start_span", make)


def _hook_sdk_trace(mod: Any) -> None:
    provider_cls = getattr(mod, "TracerProvider", None)
    if provider_cls is not None:
        _wrap_method(provider_cls, "__init__", _make_provider_init)
        _wrap_method(provider_cls, "add_span_processor", _make_add_processor)
        _wrap_method(provider_cls, "shutdown", lambda orig: _make_lifecycle(orig, "shutdown"))
        _wrap_method(provider_cls, "force_flush", lambda orig: _make_lifecycle(orig, "force_flush"))

    tracer_cls = getattr(mod, "Tracer", None)
    if tracer_cls is not None:
        _wrap_method(tracer_cls, "start_span", _make_start)

    for multi_name in ("SynchronousMultiSpanProcessor", "ConcurrentMultiSpanProcessor"):
        multi_cls = getattr(mod, multi_name, None)
        if multi_cls is None:
            continue
        _wrap_method(multi_cls, "on_end", _make_end)


def _make_provider_init(orig: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        try:
            key = id(self)
            shutdown_on_exit = kwargs.get("shutdown_on_exit", args[2] if len(args) > 2 else True)
            _S.providers[key] = {
                "id": key,
                "type": _qualname(self),
                "site": _site(2),
                "shutdown_on_exit": bool(shutdown_on_exit),
                "sampler_in_code": kwargs.get("sampler") is not None or bool(args and args[0] is not None),
                "auto_configured": _in_auto_configuration(),
                "processors": [],
                "shutdown": [],
                "force_flush": [],
                "at": _now(),
            }
            _S.provider_refs[key] = _weak(self)
            multi = getattr(self, "_active_span_processor", None)
            if multi is not None:
                _S.multi_owner[id(multi)] = key
        except Exception as exc:  # noqa: BLE001
            _fail("TracerProvider", exc)

    return __init__


def _make_add_processor(orig: Any) -> Any:
    def add_span_processor(self: Any, span_processor: Any) -> Any:
        result = orig(self, span_processor)
        try:
            rec = _S.providers.get(id(self))
            if rec is not None and len(rec["processors"]) < _MAX_LIST:
                rec["processors"].append(_processor_record(span_processor, _site(2))["id"])
            _dump("add-processor", throttle=0.05)
        except Exception as exc:  # noqa: BLE001
            _fail("add_span_processor", exc)
        return result

    return add_span_processor


def _make_lifecycle(orig: Any, what: str) -> Any:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        site = None
        try:
            site = "atexit" if _called_from_atexit(2) else _site(2)
            rec = _S.providers.get(id(self))
            if rec is not None and len(rec[what]) < _MAX_LIST:
                rec[what].append({"site": site, "at": _now()})
            if what == "shutdown":
                _S.shut.add(id(getattr(self, "_active_span_processor", None)))
        except Exception as exc:  # noqa: BLE001
            _fail(what, exc)
        result = orig(self, *args, **kwargs)
        _dump(what)
        return result

    return call


def _make_start(orig: Any) -> Any:
    fast = _same_signature_start(orig)
    if fast is not None:
        return fast

    def start_span(self: Any, *args: Any, **kwargs: Any) -> Any:
        span = orig(self, *args, **kwargs)
        try:
            s = _S
            s.c[_STARTED] += 1
            if span.get_span_context().trace_flags.sampled:
                s.c[_SAMPLED] += 1
            if s.tracked < _MAX_TRACKED or s.shut or not span.is_recording():
                name = kwargs.get("name", args[0] if args else "")
                _start_slow(self, span, name, kwargs.get("context", args[1] if len(args) > 1 else None))
        except Exception as exc:  # noqa: BLE001
            _fail("start_span", exc)
        return span

    return start_span


def _make_end(orig: Any) -> Any:
    def on_end(self: Any, span: Any) -> Any:
        _S.c[_ENDED] += 1
        return orig(self, span)

    return on_end


_START_TEMPLATE = """
def start_span({params}):
    span = _orig({args})
    try:
        _S.c[0] += 1
        if span.get_span_context().trace_flags.sampled:
            _S.c[1] += 1
        if _S.tracked < _MAX_TRACKED or _S.shut or not span.is_recording():
            _start_slow({first}, span, {name}, {context})
    except Exception as exc:
        _fail("start_span", exc)
    return span
"""


def _same_signature_start(orig: Any) -> Any:
    """A start_span wrapper with the SDK's own parameters: a *args/**kwargs wrapper costs ~3 µs a span."""
    try:
        code = orig.__code__
        if code.co_flags & 0x0C:  # the original itself takes *args or **kwargs
            return None
        n, k = code.co_argcount, code.co_kwonlyargcount
        names = list(code.co_varnames[: n + k])
        if not names or any(not x.isidentifier() or x.startswith("_") for x in names):
            return None
        positional, kwonly = names[:n], names[n:]
        params = ", ".join(positional) + (", *, " + ", ".join(kwonly) if kwonly else "")
        args = ", ".join(positional + [f"{x}={x}" for x in kwonly])
        source = _START_TEMPLATE.format(
            params=params,
            args=args,
            first=positional[0],
            name="name" if "name" in names else "''",
            context="context" if "context" in names else "None",
        )
        namespace: dict[str, Any] = {
            "_orig": orig,
            "_S": _S,
            "_MAX_TRACKED": _MAX_TRACKED,
            "_start_slow": _start_slow,
            "_fail": _fail,
        }
        exec(compile(source, __file__, "exec"), namespace)  # noqa: S102 - built from the SDK's own parameter names
        fn = namespace["start_span"]
        fn.__defaults__ = orig.__defaults__
        fn.__kwdefaults__ = orig.__kwdefaults__
        return fn
    except Exception as exc:  # noqa: BLE001
        _fail("start_span signature", exc)
        return None


def _start_slow(tracer: Any, span: Any, name: Any, context: Any) -> None:
    """The first spans (kept to see at exit whether they ended), spans after shutdown, spans not recorded."""
    s = _S
    if s.first_span_site is None:
        s.first_span_site = _site(3)
    if not span.is_recording():
        _dropped(tracer, context)
        return
    if s.shut and id(getattr(tracer, "span_processor", None)) in s.shut:
        s.c[_ENDED_AFTER] += 1
    if s.tracked < _MAX_TRACKED:
        s.tracked += 1
        s.open.append((span, str(name)[:100], _site(3), _thread_ident()))


def _dropped(tracer: Any, context: Any) -> None:
    s = _S
    if s.first_drop_site is None:
        s.first_drop_site = _site(4)
    enabled = getattr(tracer, "_is_enabled", None)
    if enabled is not None and not enabled():
        s.c[_DROPPED_DISABLED] += 1
        return
    api = sys.modules.get("opentelemetry.trace")
    parent = api.get_current_span(context).get_span_context() if api is not None else None
    if parent is not None and parent.is_valid and not parent.trace_flags.sampled:
        s.c[_DROPPED_PARENT] += 1
    else:
        s.c[_DROPPED_ROOT] += 1


def _processor_record(processor: Any, site: list[Any] | None) -> dict[str, Any]:
    key = id(processor)
    rec = _S.processors.get(key)
    if rec is None:
        rec = {"id": key, "type": _qualname(processor), "site": site, "exporter": None}
        _S.processors[key] = rec
        _S.processor_refs[key] = _weak(processor)
    exporter = getattr(processor, "span_exporter", None)
    if exporter is None:
        inner = getattr(processor, "_batch_processor", None)
        exporter = getattr(inner, "_exporter", None)
    if exporter is not None:
        rec["exporter"] = _watch_exporter(exporter, rec.get("site"))
    return rec


def _watch_exporter(exporter: Any, site: list[Any] | None = None) -> int:
    key = id(exporter)
    if key in _S.exporters:
        return key
    rec = _exporter_describe(exporter)
    rec["id"] = key
    built = getattr(exporter, "_otdiag_site", None)
    rec["site"] = built if isinstance(built, list) else site
    _S.exporters[key] = rec
    _S.exporter_refs[key] = _weak(exporter)
    orig = getattr(exporter, "export", None)
    if orig is None:
        return key

    def export(spans: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            n = len(spans)
        except Exception:  # noqa: BLE001
            n = 0
        try:
            result = orig(spans, *args, **kwargs)
        except BaseException as exc:
            try:
                rec["calls"] += 1
                rec["handed"] += n
                rec["results"]["EXCEPTION"] = rec["results"].get("EXCEPTION", 0) + n
                if len(rec["exceptions"]) < 5:
                    rec["exceptions"].append(f"{type(exc).__name__}: {str(exc)[:1000]}")
                _dump("export", throttle=0.25)
            except Exception as inner:  # noqa: BLE001
                _fail("export", inner)
            raise
        try:
            rec["calls"] += 1
            rec["handed"] += n
            name = str(getattr(result, "name", result))[:40]
            first = name not in rec["results"]
            rec["results"][name] = rec["results"].get(name, 0) + n
            _dump("export", throttle=0.0 if first else 0.25)
        except Exception as exc:  # noqa: BLE001
            _fail("export", exc)
        return result

    try:
        exporter.export = export
    except Exception as exc:  # noqa: BLE001
        _fail("export-wrap", exc)
    return key


def _make_exporter_init(orig: Any) -> Any:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        try:
            if getattr(self, "_otdiag_site", None) is None:  # a subclass's __init__ calling its base's
                self._otdiag_site = _site(2)
        except Exception as exc:  # noqa: BLE001
            _fail("exporter site", exc)

    return __init__


def _hook_exporters(mod: Any) -> None:
    """Every span exporter class of the module records where the app built it (the file:line to change)."""
    for name in dir(mod):
        cls = getattr(mod, name, None)
        if isinstance(cls, type) and name.endswith("SpanExporter") and cls.__module__ == mod.__name__:
            _wrap_method(cls, "__init__", _make_exporter_init)


_BATCH_ARGS = ("max_queue_size", "schedule_delay_millis", "max_export_batch_size", "export_timeout_millis")


def _batch_args(args: Any, kwargs: Any) -> dict[str, Any]:
    """The BatchSpanProcessor settings the code passed (they override the OTEL_BSP_* variables)."""
    given = dict(zip(_BATCH_ARGS, args[1:], strict=False))
    given.update({k: kwargs[k] for k in _BATCH_ARGS if k in kwargs})
    return {k: v for k, v in given.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _batch_setting(proc: Any, name: str) -> Any:
    inner = getattr(proc, "_batch_processor", proc)
    value = getattr(inner, name, None)
    return value if isinstance(value, int) else None


def _hook_sdk_export(mod: Any) -> None:
    _hook_exporters(mod)
    for name in ("BatchSpanProcessor", "SimpleSpanProcessor"):
        cls = getattr(mod, name, None)
        if cls is None:
            continue

        def make(orig: Any) -> Any:
            def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
                orig(self, *args, **kwargs)
                try:
                    rec = _processor_record(self, _site(2))
                    rec["args"] = _batch_args(args, kwargs)
                    rec["max_queue_size"] = _batch_setting(self, "_max_queue_size")
                except Exception as exc:  # noqa: BLE001
                    _fail("processor", exc)

            return __init__

        _wrap_method(cls, "__init__", make)


_HOOKS: dict[str, Any] = {
    "opentelemetry.trace": _hook_api_trace,
    "opentelemetry.sdk.trace": _hook_sdk_trace,
    "opentelemetry.sdk.trace.export": _hook_sdk_export,
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter": _hook_exporters,
    "opentelemetry.exporter.otlp.proto.http.trace_exporter": _hook_exporters,
    "opentelemetry.exporter.zipkin.json": _hook_exporters,
    "opentelemetry.exporter.zipkin.proto.http": _hook_exporters,
}


# --- the import hook ---------------------------------------------------------------------------


def _record_log(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> Any:
        record = factory(*args, **kwargs)
        try:
            name = str(getattr(record, "name", ""))
            if name.startswith("opentelemetry") and record.levelno >= 30:
                key = (name, str(record.msg)[:200])
                entry = _S.logs.get(key)
                if entry is None and len(_S.logs) < 50:
                    try:
                        text = record.getMessage()
                    except Exception:  # noqa: BLE001
                        text = str(record.msg)
                    entry = {"logger": name, "level": record.levelname, "message": text[:1000], "count": 0}
                    _S.logs[key] = entry
                if entry is not None:
                    entry["count"] += 1
        except Exception as exc:  # noqa: BLE001
            _fail("log", exc)
        return record

    make_record._otdiag_wrapped = True  # type: ignore[attr-defined]
    return make_record


def _after_exec(name: str, module: Any) -> None:
    try:
        hook = _HOOKS.get(name)
        if hook is not None:
            hook(module)
            _S.hooked.append(name)
        if name == "opentelemetry.trace":
            _map_counters()
            import logging

            current = logging.getLogRecordFactory()
            if not getattr(current, "_otdiag_wrapped", False):
                logging.setLogRecordFactory(_record_log(current))
    except Exception as exc:  # noqa: BLE001
        _fail(f"hook {name}", exc)


def _wrap_loader(loader: Any, name: str) -> None:
    orig = getattr(loader, "exec_module", None)
    if orig is None:
        return

    def exec_module(module: Any) -> None:
        try:
            orig(module)
        finally:
            try:
                del loader.exec_module
            except AttributeError:
                pass
        _after_exec(name, module)

    try:
        loader.exec_module = exec_module
    except Exception as exc:  # noqa: BLE001
        _fail("loader", exc)


_IMPORTED_BY: dict[str, str] = {}
"""Top-level module -> the top-level package whose code imported it first ('__main__' for the app's script)."""


def _witness(name: str) -> None:
    """Who imports the top-level module `name` for the first time: the first frame outside importlib."""
    try:
        f: Any = sys._getframe(2)
        while f is not None and (f.f_code.co_filename.startswith("<frozen") or "importlib" in f.f_code.co_filename):
            f = f.f_back
        by = f.f_globals.get("__name__") if f is not None else None
        _IMPORTED_BY[name] = by.partition(".")[0] if isinstance(by, str) else ""
    except Exception as exc:  # noqa: BLE001
        _fail("witness", exc)


def _only_for_opentelemetry(module: str) -> bool:
    """Whether `module` came in only through OpenTelemetry's own packages (the OTLP HTTP exporter imports
    requests, which imports urllib3) and the app's own code never imports it."""
    seen: set[str] = set()
    by = _IMPORTED_BY.get(module)
    while by and by not in seen and len(seen) < 50:
        if by.startswith("opentelemetry"):
            return module not in _app_imports()
        seen.add(by)
        by = _IMPORTED_BY.get(by)
    return False


_APP_NAMES: dict[str, frozenset[str]] = {}
"""The names each app file's code uses, read once per file (a report is written several times)."""


def _app_imports() -> set[str]:
    """Every name the app's own modules (not site-packages, the standard library or otdiag) use: an app that
    imports requests after the exporter did finds it cached, so its code is read (at most 100 files, 1 MiB each)."""
    names: set[str] = set()
    paths = [getattr(mod, "__file__", None) for mod in list(sys.modules.values())]
    if sys.argv and isinstance(sys.argv[0], str):
        paths.append(sys.argv[0])  # the app's script: __main__ may have no __file__ left at exit
    for path in paths:
        if not isinstance(path, str) or not path.endswith(".py") or len(_APP_NAMES) >= 100:
            continue
        if "site-packages" in path or "dist-packages" in path or path.startswith((_STDLIB, _HERE)):
            continue
        if path not in _APP_NAMES:
            _APP_NAMES[path] = _code_names(path)
        names |= _APP_NAMES[path]
    return names


def _code_names(path: str) -> frozenset[str]:
    found: set[str] = set()
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 - no pathlib import at start-up
            stack = [compile(fh.read(1024 * 1024), path, "exec", dont_inherit=True)]
    except Exception:  # noqa: BLE001 - an unreadable file adds no name
        return frozenset()
    while stack and len(found) < 100_000:
        co = stack.pop()
        found.update(co.co_names)
        stack.extend(c for c in co.co_consts if hasattr(c, "co_names"))
    return frozenset(found)


class _Finder:
    """A meta-path finder that only looks at opentelemetry* imports and always defers to the real finders."""

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if not name.startswith("opentelemetry") or name in self._busy:
            if path is None and name not in _IMPORTED_BY and len(_IMPORTED_BY) < 5000 and "." not in name:
                _witness(name)
            return None
        self._busy.add(name)
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self:
                    continue
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.discard(name)
        try:
            if spec is None:
                if len(_S.import_failures) < _MAX_LIST:
                    _S.import_failures.append({"name": name, "site": _site(2), "at": _now()})
            elif name in _HOOKS and spec.loader is not None:
                _wrap_loader(spec.loader, name)
        except Exception as exc:  # noqa: BLE001
            _fail("find_spec", exc)
        return spec

    def invalidate_caches(self) -> None:
        return None


# --- the lifecycle -----------------------------------------------------------------------------


def _frames(tb: Any) -> list[list[Any]]:
    out: list[list[Any]] = []
    while tb is not None:
        out.append([tb.tb_frame.f_code.co_filename, tb.tb_lineno, tb.tb_frame.f_code.co_name])
        tb = tb.tb_next
    return out[-_MAX_LIST:]


def _record_crash() -> None:
    value = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if value is None or _S.crash is not None:
        return
    _S.crash = {
        "type": type(value).__name__,
        "module": type(value).__module__,
        "message": str(value)[:500],
        "name": getattr(value, "name", None) if isinstance(value, ImportError) else None,
        "frames": _frames(getattr(value, "__traceback__", None) or getattr(sys, "last_traceback", None)),
    }


def _at_exit() -> None:
    try:
        _record_crash()
        if _S.exit is None:
            _S.exit = {"via": "exit", "at": _now()}
        _S.final = True
        if not (_S.hooked or _S.import_failures or _S.crash or _S.errors or _S.forked):
            return  # no OpenTelemetry here: the start marker says all there is (and json stays unimported)
    except Exception as exc:  # noqa: BLE001
        _fail("atexit", exc)
    _dump("exit")


def _install() -> None:
    if not _DIR:
        return
    import atexit

    atexit.register(_at_exit)
    sys.meta_path.insert(0, _Finder())
    real_exit = os._exit

    def _exit(code: int) -> Any:
        try:
            _S.exit = {"via": "os._exit", "code": code, "site": _site(2), "at": _now()}
        except Exception as exc:  # noqa: BLE001
            _fail("os._exit", exc)
        _dump("os._exit")
        real_exit(code)

    _exit.__name__ = "_exit"
    _exit.__doc__ = real_exit.__doc__
    os._exit = _exit  # type: ignore[assignment]

    _first_after_exec()
    if hasattr(os, "register_at_fork"):

        def _child() -> None:
            try:
                had = bool(_S.providers)
                old = _S
                new = _State()
                new.forked = True
                new.provider_before_fork = had
                new.providers, new.provider_refs = old.providers, old.provider_refs
                new.processors, new.processor_refs = old.processors, old.processor_refs
                new.multi_owner, new.set_calls = old.multi_owner, list(old.set_calls)
                new.shut = set(old.shut)
                for rec in old.exporters.values():
                    rec["handed"], rec["calls"], rec["results"], rec["exceptions"] = 0, 0, {}, []
                new.exporters, new.exporter_refs = old.exporters, old.exporter_refs
                mapped = old.cmap is not None
                _S.__dict__.update(new.__dict__)
                if mapped:
                    _map_counters()  # the parent's mapping is shared: the child counts in its own
            except Exception as exc:  # noqa: BLE001
                _fail("fork", exc)
            _dump("fork")

        os.register_at_fork(after_in_child=_child)
    _mark_start()


def _front(env: Any) -> None:
    """Put this directory first on `env`'s PYTHONPATH again, if a launcher pushed another in front."""
    parts = env.get("PYTHONPATH", "").split(os.pathsep)
    kept = [p for p in parts if os.path.abspath(p or ".") != _HERE]
    if len(kept) != len(parts) and parts[0] and os.path.abspath(parts[0]) != _HERE:
        env["PYTHONPATH"] = os.pathsep.join([_HERE, *kept])


def _first_after_exec() -> None:
    """Keep loading first when a launcher execs the app with its own `sitecustomize` in front.

    `opentelemetry-instrument`, `ddtrace-run` and `newrelic-admin run-program` are Python scripts:
    this module loads in them too. Each puts its own sitecustomize directory first on PYTHONPATH
    and execs the app, where theirs would hide this one. Just before the exec, this directory goes
    back in front; in the app this module loads first and chains theirs (`_chain`), so the launcher
    still does all it did, under observation.
    """
    real_execv, real_execve = os.execv, os.execve

    def execv(path: Any, argv: Any) -> Any:
        try:
            _front(os.environ)
        except Exception as exc:  # noqa: BLE001
            _fail("exec", exc)
        _dump("exec")
        return real_execv(path, argv)

    def execve(path: Any, argv: Any, env: Any) -> Any:
        try:
            env = dict(env)
            _front(env)
        except Exception as exc:  # noqa: BLE001
            _fail("exec", exc)
        _dump("exec")
        return real_execve(path, argv, env)

    execv.__doc__, execve.__doc__ = real_execv.__doc__, real_execve.__doc__
    os.execv, os.execve = execv, execve


def _mark_start() -> None:
    """A first, minimal report (no json import at start-up): the observer loaded in this process."""
    try:
        path = os.path.join(_DIR, f"obs-{_S.pid}.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b'{"v": 1, "pid": %d, "started_at": %f, "reason": "start"}' % (_S.pid, _S.started_at))
        finally:
            os.close(fd)
    except Exception:  # noqa: BLE001, S110 - the report is written again at exit
        pass


def _chain() -> None:
    """Import the sitecustomize the app would have had, then leave sys.path as the app set it.

    Its own errors propagate, so `site` reports them exactly as it would without otdiag.
    """
    spec = None
    try:
        kept = [p for p in sys.path if not (isinstance(p, str) and os.path.abspath(p or ".") == _HERE)]
        if len(kept) != len(sys.path):
            sys.path[:] = kept
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    except Exception as exc:  # noqa: BLE001
        _fail("chain", exc)
    if spec is None or spec.loader is None:
        return
    import importlib.util

    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _install()
except Exception as _exc:  # noqa: BLE001
    _fail("install", _exc)
_chain()
