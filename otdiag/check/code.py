"""check --app-dir: the exporter endpoints the app's code sets, probed as the app will use them.

An endpoint written in the code overrides OTEL_EXPORTER_OTLP_ENDPOINT, so it is where the app's spans go:
a concrete one (a literal, or a variable this environment sets) gets the same empty export as the app's
environment endpoint, and a failure is an error at the code's file:line, worded as `otdiag run` words the
same failure. One that answers is a warning when it differs from the environment's endpoint.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag import redact
from otdiag.app import export_settings
from otdiag.check.probes import Probe, probe_export
from otdiag.errors import UsageError
from otdiag.model import Finding, Location, Protocol, Severity, Stage, Step
from otdiag.observe.code_endpoints import CodeEndpoint
from otdiag.otlp import classify

UNREACHED = frozenset(k.code for k in (c.INGEST_REFUSED, c.INGEST_DNS, c.INGEST_TIMEOUT))
"""Nothing answered at the endpoint: the fix may also be to let the environment decide (as `run` says)."""
_NOT_FOUND = frozenset(k.code for k in (c.INGEST_NOT_FOUND, c.INGEST_PATH_MISSING))
_OVERRIDDEN = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
)


@dataclass
class _One:
    endpoint: CodeEndpoint
    settings: export_settings.Settings | None = None
    finding: Finding | None = None
    """What is said without probing (not concrete, or the environment's own endpoint)."""
    probe: Future[Probe] | None = None
    also: list[CodeEndpoint] = field(default_factory=list)
    """The same endpoint, written in other places too."""


@dataclass
class Running:
    """The code's endpoints, their probes started alongside check's others."""

    env_settings: export_settings.Settings
    env: dict[str, str]
    items: list[_One] = field(default_factory=list)

    def result(self) -> tuple[list[Step], list[Finding]]:
        steps: list[Step] = []
        findings: list[Finding] = []
        for one in self.items:
            if one.probe is None:
                findings += [one.finding] if one.finding is not None else []
                continue
            probe = one.probe.result()
            steps.append(probe.step)
            findings += _judged(one, probe, self.env_settings, self.env)
        return steps, findings


MAX_PROBED = 8
"""Distinct endpoints probed (at once): check --app-dir still ends in about one timeout."""


def start(
    endpoints: tuple[CodeEndpoint, ...], env: dict[str, str], env_settings: export_settings.Settings, timeout: float
) -> Running:
    """Probe every distinct concrete endpoint in the code (at most MAX_PROBED, each bounded by `timeout`), in
    threads of their own; the same endpoint written in several places is one probe and one finding."""
    running = Running(env_settings, env)
    shown_env = _env_shown(env_settings, env)
    unknown: list[CodeEndpoint] = []
    groups: dict[tuple[str, str, bool], _One] = {}
    for ep in endpoints:
        value = ep.value(env)
        if value is None:
            unknown.append(ep)
            continue
        redact.remember_url(value)
        protocol = ep.protocol or _protocol_from_port(value)
        if protocol is None:
            why = "the file does not say which OTLP exporter (gRPC or HTTP) it is: not probed"
            running.items.append(_One(ep, finding=_overrides(ep, _shown(value), shown_env, extra=why)))
            continue
        try:
            settings = _settings(ep, value, protocol, env, timeout)
        except UsageError as exc:
            bad = _overrides(ep, _shown(value), shown_env, extra=f"not probed: {exc}")
            running.items.append(_One(ep, finding=bad))
            continue
        key = (settings.protocol.value, settings.url, settings.secure)
        if key in groups:
            groups[key].also.append(ep)
            continue
        one = groups[key] = _One(ep, settings)
        running.items.append(one)
        if _same(settings, env_settings):
            one.finding = _overrides(ep, _shown(value), shown_env, same=True)
        elif len([o for o in groups.values() if o.finding is None]) > MAX_PROBED:
            one.finding = _overrides(
                ep, _shown(value), shown_env, extra=f"not probed: more than {MAX_PROBED} endpoints"
            )
    if unknown:
        running.items.append(_One(unknown[0], finding=_unknown(unknown, shown_env)))
    todo = [o for o in groups.values() if o.finding is None]
    if todo:
        pool = ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="otdiag-code")
        for one in todo:
            assert one.settings is not None
            one.probe = pool.submit(probe_export, _step_name(one.endpoint), one.settings, timeout)
        pool.shutdown(wait=False)  # each probe is bounded by the timeout; result() waits for it
    return running


def _unknown(eps: list[CodeEndpoint], env_endpoint: str | None) -> Finding:
    """One note for every endpoint built from values otdiag cannot read (a variable, a config object)."""
    first = eps[0]
    what = f"{len(eps)} exporter endpoint(s) set in the code from values otdiag cannot read here"
    over = f"they override {env_endpoint}" if env_endpoint else "OTEL_EXPORTER_OTLP_ENDPOINT does not change them"
    return c.APP_EXPORTED_ELSEWHERE(
        f"{what} (first {first.call}): {over}; not probed.",
        severity=Severity.INFO,
        stage=Stage.APP,
        hint=f"Nothing to fix if those endpoints are right; drop {first.drop} to let the environment decide.",
        location=_location(first),
        evidence=[redact.clean(f"{e.where}: {e.expression}", 300) for e in eps[:5]],
    )


def _settings(
    ep: CodeEndpoint, value: str, protocol: Protocol, env: dict[str, str], timeout: float
) -> export_settings.Settings:
    """The export settings the exporter built in code uses: its endpoint as is (a per-signal endpoint: no
    /v1/traces appended), the code's insecure=True, and the environment's headers, certificates and timeout."""
    own = {k: v for k, v in env.items() if k not in _OVERRIDDEN}
    own["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = value
    own["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = protocol.value
    if ep.insecure:
        own["OTEL_EXPORTER_OTLP_TRACES_INSECURE"] = "true"
    where = f"{ep.where} ({ep.call})"
    try:
        settings = export_settings.resolve(export_settings.Flags(), own)
    except UsageError as exc:
        raise UsageError(str(exc).replace("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", where)) from None
    sources = {**settings.sources, "endpoint": f"{where}: set in the code, used as is"}
    return replace(settings, timeout=timeout, sources=sources)


def _protocol_from_port(value: str) -> Protocol | None:
    port = export_settings.standard_port(value)
    return Protocol.GRPC if port == 4317 else Protocol.HTTP_PROTOBUF if port == 4318 else None


def _same(a: export_settings.Settings, b: export_settings.Settings) -> bool:
    return a.protocol is b.protocol and a.target == b.target and a.secure == b.secure


def _step_name(ep: CodeEndpoint) -> str:
    return f"code {Path(ep.file).name}:{ep.line}"


def _shown(value: str) -> str:
    return redact.clean(redact.url(value), 200)


def _env_shown(s: export_settings.Settings, env: dict[str, str]) -> str | None:
    """The endpoint the environment names, as `NAME=value` (None when it names none: the default)."""
    origin = s.sources.get("endpoint", "default")
    if origin == "default":
        return None
    name = origin.split(" ", 1)[0]
    if name.startswith("OTEL_") and env.get(name):
        return f"{name}={_shown(env[name].strip())}"
    return f"{origin} {export_settings.shown_endpoint(s)}"


def _written(ep: CodeEndpoint) -> str:
    return f"written in the code: {redact.clean(ep.expression, 200)}"


def _also(one: _One) -> list[str]:
    shown = [redact.clean(e.where, 300) for e in one.also[:5]]
    more = f" (+{len(one.also) - 5} more)" if len(one.also) > 5 else ""
    return [f"also set at {', '.join(shown)}{more}"] if shown else []


def _location(ep: CodeEndpoint) -> Location:
    return Location(redact.clean(ep.file, 400), ep.line, ep.column)


def _head(ep: CodeEndpoint, value: str) -> str:
    return f"{ep.call} sends to {value}, set in the code"


def _overrides(
    ep: CodeEndpoint, value: str, env_endpoint: str | None, *, extra: str = "", same: bool = False, known: bool = True
) -> Finding:
    """The code's endpoint, said with what it overrides: a warning when it differs from the environment's."""
    if same:
        tail = f": the same endpoint as {env_endpoint}, which it ignores."
    elif env_endpoint is None:
        tail = ": OTEL_EXPORTER_OTLP_ENDPOINT is not set, and would not change it."
    else:
        tail = f": it overrides {env_endpoint}."
    quiet = same or env_endpoint is None or not known
    return c.APP_EXPORTED_ELSEWHERE(
        _head(ep, value) + tail,
        severity=Severity.INFO if quiet else Severity.WARNING,
        stage=Stage.APP,
        hint=f"Nothing to fix if that endpoint is right; drop {ep.drop} to let the environment decide.",
        target=value if known else None,
        location=_location(ep),
        evidence=[_written(ep), *([redact.clean(extra, 400)] if extra else [])],
    )


def _judged(one: _One, probe: Probe, env_settings: export_settings.Settings, env: dict[str, str]) -> list[Finding]:
    """A failed probe: its findings at the code's file:line, with `run`'s fix; one that answers: the override."""
    ep, settings = one.endpoint, one.settings
    assert settings is not None
    shown = export_settings.shown_endpoint(settings)
    env_endpoint = _env_shown(env_settings, env)
    if probe.ok:
        found = _overrides(ep, shown, env_endpoint, extra=f"answers: {probe.step.detail}")
        return [replace(found, evidence=(*found.evidence, *_also(one)))]
    said = _written(ep)
    over = f"it overrides {env_endpoint}" if env_endpoint else ""
    out = []
    for f in probe.findings:
        kind = c.kind_of(f)
        message, hint = f.message, f.hint
        path = urlsplit(settings.url).path if settings.protocol.is_http else ""
        if f.code in _NOT_FOUND and not path.rstrip("/").endswith(export_settings.TRACES_PATH):
            got = classify.classify(
                classify.Failure(settings.protocol, settings.url, http_status=404, set_in_code=True)
            )
            kind, message, hint = got.kind, got.message, got.fix
        elif f.code in UNREACHED:
            hint = f"{f.hint.rstrip('.')}; or drop {ep.drop} so OTEL_EXPORTER_OTLP_ENDPOINT decides."
        out.append(
            kind(
                f"{_head(ep, shown)}: {message}",
                hint=hint,
                severity=Severity.ERROR,
                stage=Stage.APP,
                target=f.target,
                location=_location(ep),
                evidence=[said, *f.evidence, *([over] if over else []), *_also(one)],
            )
        )
    return out
