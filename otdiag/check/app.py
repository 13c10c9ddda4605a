"""The App and SDK end of check: which endpoint and protocol the app exports with, and its step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from otdiag import catalogue as c
from otdiag.app import export_settings
from otdiag.check.request import CheckOptions
from otdiag.errors import UsageError
from otdiag.model import Finding, Protocol, Severity, Stage, Step, StepStatus

STANDARD_PORTS = {Protocol.GRPC: 4317, Protocol.HTTP_PROTOBUF: 4318, Protocol.HTTP_JSON: 4318}


def app_settings(opts: CheckOptions, findings: list[Finding]) -> export_settings.Settings:
    flags = opts.flags
    from_config = None
    if flags.endpoint is None and not _configured(opts.env) and opts.config is not None:
        cfg = opts.config
        proto = flags.protocol or (Protocol.GRPC if cfg.otlp_grpc else Protocol.HTTP_PROTOBUF)
        dial = cfg.otlp_grpc if proto is Protocol.GRPC else cfg.otlp_http
        if dial:
            tls = cfg.otlp_grpc_tls if proto is Protocol.GRPC else cfg.otlp_http_tls
            flags = replace(flags, endpoint=f"{'https' if tls else 'http'}://{dial}", protocol=proto)
            from_config = f"the OTLP receiver of {cfg.path}"
    try:
        resolved = export_settings.resolve(flags, opts.env)
    except UsageError as exc:
        # Which side cannot work: the flags resolved alone raise their own UsageError for a value the
        # user typed (or --config gave), and that stops the command; the app's environment is a finding.
        defaults = export_settings.resolve(flags, {})
        findings.append(c.SETTINGS_NOTE(f"{exc}; otdiag probes the defaults instead.", severity=Severity.ERROR))
        return defaults
    findings.extend(export_settings.unsendable_findings(resolved))
    if from_config:
        # The endpoint came from the collector's config, not from a flag the user typed.
        resolved = replace(resolved, sources={**resolved.sources, "endpoint": from_config})
    return resolved


def app_step(otel_vars: list[str], app_findings: list[Finding], settings: export_settings.Settings) -> Step:
    """The app-env step: what the app's environment says, and "?" (skip) when it says nothing."""
    app_errors = [f for f in app_findings if f.severity is Severity.ERROR]
    source = settings.sources.get("endpoint")
    at = f"{settings.protocol.value} to {settings.target}" + (f" ({source})" if source else "")
    export = f"exports {at}"
    if not otel_vars:
        status, detail = StepStatus.SKIP, f"no OTEL_* variable here, so the app's settings were not seen; probing {at}"
    elif app_errors:
        # The app's own settings stop spans before any export: do not claim it exports anywhere.
        status, detail = StepStatus.FAIL, f"{len(otel_vars)} OTEL_* variable(s); {app_errors[0].message}"
    else:
        status = StepStatus.WARN if app_findings else StepStatus.PASS
        detail = f"{len(otel_vars)} OTEL_* variable(s); {export}"
    return Step("app-env", Stage.APP, status, 0.0, detail)


def _configured(env: Mapping[str, str]) -> bool:
    return any((env.get(f"OTEL_EXPORTER_OTLP_{k}") or "").strip() for k in ("ENDPOINT", "TRACES_ENDPOINT"))


def sibling_settings(settings: export_settings.Settings, opts: CheckOptions) -> export_settings.Settings | None:
    """The other OTLP protocol on the same collector (the standard port, or the one --config gives)."""
    other = Protocol.HTTP_PROTOBUF if settings.protocol is Protocol.GRPC else Protocol.GRPC
    cfg = opts.config
    if cfg is not None:
        dial = cfg.otlp_http if other.is_http else cfg.otlp_grpc
        if not dial:
            return None
        tls = cfg.otlp_http_tls if other.is_http else cfg.otlp_grpc_tls
        endpoint = f"{'https' if tls else 'http'}://{dial}"
    elif settings.port == STANDARD_PORTS[settings.protocol]:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        endpoint = f"{'https' if settings.secure else 'http'}://{host}:{STANDARD_PORTS[other]}"
    else:
        return None
    flags = export_settings.Flags(
        endpoint=endpoint,
        protocol=other,
        headers=settings.headers or None,
        ca_file=settings.ca_file,
        cert_file=settings.cert_file,
        key_file=settings.key_file,
        timeout=settings.timeout,
    )
    return export_settings.resolve(flags, {})
