"""The application's side (heading 3, and heading 1 for its export settings): read its OTEL_* environment.

otdiag cannot see inside the app, but the SDK's behaviour is decided by these
variables; each mistake that makes spans vanish before they leave the process
is a finding here. The Python SDK's deviations from the specification are
named where they bite (shared/docs/otel-env.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag.errors import UsageError
from otdiag.model import Finding, Protocol, Severity

_BUILTIN_SAMPLERS = {
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
    "jaeger_remote",
    "parentbased_jaeger_remote",
    "xray",
}
_KNOWN_EXPORTERS = {
    "otlp",
    "otlp_proto_grpc",
    "otlp_proto_http",
    "console",
    "none",
    "zipkin",
    "zipkin_json",
    "zipkin_proto",
}


def read_env_file(path: str, *, timeout: float = 10.0) -> dict[str, str]:
    """KEY=VALUE lines (optional `export`, quotes, comments), as docker --env-file and shells write them."""
    from otdiag import bounded

    data = bounded.read(path, what="--env-file", max_bytes=1024 * 1024, timeout=timeout)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--env-file: {path} is not UTF-8 text (invalid byte at offset {exc.start})") from None
    env: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise UsageError(f"--env-file: {path}:{n} is not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


@dataclass(frozen=True)
class AppView:
    """What the app's environment says about its export."""

    findings: list[Finding]
    protocol: Protocol | None
    """The protocol the app exports with, when the environment names it."""
    configured: bool
    """Any OTEL_EXPORTER_OTLP_* endpoint or protocol is set."""


def _get(env: Mapping[str, str], name: str) -> str | None:
    v = env.get(name)
    return v.strip() if v is not None and v.strip() else None


def _sampler(env: Mapping[str, str]) -> list[Finding]:
    out: list[Finding] = []
    sampler = (_get(env, "OTEL_TRACES_SAMPLER") or "parentbased_always_on").lower()
    arg = _get(env, "OTEL_TRACES_SAMPLER_ARG")
    where = f"OTEL_TRACES_SAMPLER={sampler}" + (f", OTEL_TRACES_SAMPLER_ARG={arg}" if arg else "")
    if sampler in ("always_off", "parentbased_always_off"):
        extra = " (parentbased_always_off also drops every root span)" if sampler.startswith("parentbased") else ""
        out.append(c.APP_SAMPLER_OFF(f"{where}: no span is ever recorded{extra}.", target="OTEL_TRACES_SAMPLER"))
        return out
    if sampler not in _BUILTIN_SAMPLERS:
        out.append(
            c.APP_SAMPLER_UNKNOWN(
                f"OTEL_TRACES_SAMPLER={sampler!r} is not a built-in sampler.", target="OTEL_TRACES_SAMPLER"
            )
        )
    if arg is None:
        return out
    takes_ratio = sampler in ("traceidratio", "parentbased_traceidratio")
    try:
        ratio = float(arg)
    except ValueError:
        out.append(
            c.APP_SAMPLER_ARG_IGNORED(
                f"OTEL_TRACES_SAMPLER_ARG={arg!r} is not a number; the SDK ignores it"
                + (" (a sampler name belongs in OTEL_TRACES_SAMPLER)." if arg.lower() in _BUILTIN_SAMPLERS else "."),
                target="OTEL_TRACES_SAMPLER_ARG",
            )
        )
        return out
    if not takes_ratio:
        out.append(
            c.APP_SAMPLER_ARG_IGNORED(
                f"{where}: {sampler} takes no argument; the ratio is ignored.", target="OTEL_TRACES_SAMPLER_ARG"
            )
        )
        return out
    if not math.isfinite(ratio) or not 0.0 <= ratio <= 1.0:
        out.append(
            c.APP_SAMPLER_ARG(
                f"{where}: the Python SDK raises 'Probability must be in range [0.0, 1.0]'.",
                target="OTEL_TRACES_SAMPLER_ARG",
            )
        )
    elif ratio == 0.0:
        out.append(
            c.APP_SAMPLER_OFF(f"{where}: a ratio of 0 samples no trace at all.", target="OTEL_TRACES_SAMPLER_ARG")
        )
    elif ratio < 1.0:
        # A single test request is what a user debugging sends: say how likely it is to be dropped.
        kept = f"about 1 in {round(1 / ratio)} traces is kept" if ratio <= 0.5 else f"{ratio:.0%} of traces are kept"
        out.append(
            c.APP_SAMPLER_LOW(
                f"{where}: only {kept}, so a single test request leaves no trace {1 - ratio:.0%} of the time.",
                target="OTEL_TRACES_SAMPLER_ARG",
                # Keeping most traces is a choice, not a fault; dropping most of them hides a test request.
                severity=Severity.WARNING if ratio < 0.5 else Severity.INFO,
            )
        )
    return out


def _exporters(env: Mapping[str, str]) -> list[Finding]:
    raw = env.get("OTEL_TRACES_EXPORTER")
    if raw is None:
        return []
    names = [n.strip() for n in raw.split(",") if n.strip()]
    t = "OTEL_TRACES_EXPORTER"
    if not names:
        return [c.APP_EXPORTER_NONE(f"{t} is empty: the Python SDK then configures no exporter at all.", target=t)]
    if any(n.lower() == "jaeger" or n.lower().startswith("jaeger_") for n in names):
        return [c.APP_EXPORTER_JAEGER(f"{t}={raw}: the Jaeger exporter no longer exists.", target=t)]
    if names == ["none"]:
        return [c.APP_EXPORTER_NONE(f"{t}=none: spans are recorded and dropped.", target=t)]
    if "none" in names:
        return [
            c.APP_EXPORTER_UNKNOWN(f"{t}={raw}: 'none' only works alone (Python raises 'none' not found).", target=t)
        ]
    unknown = [n for n in names if n not in _KNOWN_EXPORTERS]
    if unknown:
        return [
            c.APP_EXPORTER_UNKNOWN(f"{t}={raw}: {', '.join(unknown)} is not an exporter name the SDK knows.", target=t)
        ]
    if all(n == "console" for n in names):
        return [c.APP_EXPORTER_CONSOLE(f"{t}=console: spans go to stdout, not to the collector.", target=t)]
    return []


def _endpoints(env: Mapping[str, str], protocol: Protocol | None) -> list[Finding]:
    out: list[Finding] = []
    generic = _get(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    traces = _get(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    endpoint, name = (
        (traces, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") if traces else (generic, "OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    if endpoint is None:
        return out
    has_scheme = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", endpoint) is not None
    try:
        parts = urlsplit(endpoint if has_scheme else "//" + endpoint)
    except ValueError:
        parts = urlsplit("")  # not a URL at all: resolving the settings says so (exit 2)
    try:
        port = parts.port
    except ValueError:
        port = None
    http = protocol is not None and protocol.is_http
    if protocol is Protocol.GRPC and port == 4318:
        out.append(
            c.APP_PROTOCOL_PORT(f"{name}={endpoint} is the OTLP/HTTP port, but the protocol is grpc.", target=name)
        )
    elif http and port == 4317:
        out.append(
            c.APP_PROTOCOL_PORT(
                f"{name}={endpoint} is the OTLP/gRPC port, but the protocol is {protocol.value if protocol else ''}.",
                target=name,
            )
        )
    if http and name == "OTEL_EXPORTER_OTLP_ENDPOINT" and parts.path.rstrip("/").endswith("/v1/traces"):
        out.append(
            c.APP_PATH_DOUBLED(
                f"{name}={endpoint}: the SDK will POST to {endpoint.rstrip('/')}/v1/traces.", target=name
            )
        )
    if http and name == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" and parts.path in ("", "/"):
        out.append(
            c.APP_PATH_MISSING(f"{name}={endpoint}: the SDK will POST to {endpoint.rstrip('/')}/ (404).", target=name)
        )
    if protocol is None and port == 4317:
        out.append(protocol_unset(f"{name}={endpoint}", "is port 4317 (gRPC's)"))
    if protocol is Protocol.GRPC or (protocol is None and port == 4317):
        insecure = _get(env, "OTEL_EXPORTER_OTLP_TRACES_INSECURE") or _get(env, "OTEL_EXPORTER_OTLP_INSECURE") or ""
        if not has_scheme and insecure.lower() != "true":
            out.append(
                c.APP_GRPC_TLS_DEFAULT(f"{name}={endpoint}: no scheme, so the gRPC exporter uses TLS.", target=name)
            )
        if parts.scheme == "http" and insecure.lower() == "false":
            out.append(
                c.APP_PYTHON_DEVIATION(
                    f"{name}={endpoint} with OTEL_EXPORTER_OTLP_INSECURE=false: the spec says plaintext (http://), "
                    "the Python SDK uses TLS.",
                    target=name,
                    hint="Drop OTEL_EXPORTER_OTLP_INSECURE=false, or use https:// if TLS is meant.",
                )
            )
    return out


SDKS_DEFAULT_GRPC = "Python, .NET"
"""SDKs whose exporter is gRPC when OTEL_EXPORTER_OTLP_PROTOCOL is unset (Python: the `otlp` exporter resolves
to otlp_proto_grpc in opentelemetry-sdk's _configuration; .NET: OtlpExportProtocol.Grpc)."""
SDKS_DEFAULT_HTTP = "the Java agent 2.x, Node.js, Go's autoexport, Ruby, PHP"
"""SDKs that follow the specification's default, http/protobuf."""


def protocol_unset(endpoint: str, why: str) -> Finding:
    """The one finding check and send-test-span give when no protocol is named and the endpoint is a gRPC port
    (port 4317, or a port that answers gRPC only): which protocol works there and which SDKs fail on it."""
    return c.APP_PROTOCOL_UNSET(
        f"OTEL_EXPORTER_OTLP_PROTOCOL is unset and {endpoint} {why}, so otdiag sends gRPC. SDKs that "
        f"default to grpc ({SDKS_DEFAULT_GRPC}) export there; those that default to http/protobuf, the "
        f"specification's default ({SDKS_DEFAULT_HTTP}), send OTLP/HTTP and fail.",
        target="OTEL_EXPORTER_OTLP_PROTOCOL",
    )


def analyse(env: Mapping[str, str]) -> AppView:
    """Findings about the app's tracing setup, most fundamental first."""
    findings: list[Finding] = []
    if (_get(env, "OTEL_SDK_DISABLED") or "").lower() == "true":
        findings.append(c.APP_SDK_DISABLED("OTEL_SDK_DISABLED=true: tracers are no-ops.", target="OTEL_SDK_DISABLED"))
    findings += _exporters(env)
    findings += _sampler(env)
    protocol, found = _protocol(env)
    findings += found
    findings += _endpoints(env, protocol)
    findings += _timeout(env)
    findings += _service_name(env)

    propagators = _get(env, "OTEL_PROPAGATORS")
    if propagators and "none" in [p.strip() for p in propagators.split(",")]:
        findings.append(c.APP_PROPAGATORS_NONE(f"OTEL_PROPAGATORS={propagators}.", target="OTEL_PROPAGATORS"))

    jaeger_vars = sorted(k for k in env if k.startswith("OTEL_EXPORTER_JAEGER_"))
    if jaeger_vars:
        findings.append(
            c.APP_JAEGER_VARIABLES(f"{', '.join(jaeger_vars)} set; no SDK reads them.", target=jaeger_vars[0])
        )

    findings += config_file_overrides(env)
    configured = any(
        _get(env, f"OTEL_EXPORTER_OTLP_{s}") for s in ("ENDPOINT", "TRACES_ENDPOINT", "PROTOCOL", "TRACES_PROTOCOL")
    )
    return AppView(findings, protocol, configured)


def _protocol(env: Mapping[str, str]) -> tuple[Protocol | None, list[Finding]]:
    """The OTLP protocol the environment names (traces' own first), and what is wrong with it."""
    proto_name = next(
        (n for n in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL") if _get(env, n) is not None),
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    )
    proto_raw = _get(env, proto_name)
    if proto_raw is None:
        return None, []
    try:
        protocol = Protocol(proto_raw)
    except ValueError:
        return None, [
            c.APP_EXPORTER_UNKNOWN(
                f"{proto_name}={proto_raw[:40]!r} is not grpc, http/protobuf or http/json "
                "(the SDKs refuse it: Python's auto-configuration and Java's autoconfigure raise, and no SDK "
                "starts).",
                target=proto_name,
                hint="Use exactly grpc or http/protobuf (lower case).",
            )
        ]
    if protocol is Protocol.HTTP_JSON:
        return protocol, [
            c.APP_PYTHON_DEVIATION(
                f"{proto_name}=http/json: Python's auto-configuration rejects it "
                "('Unsupported OTLP protocol') and starts no SDK.",
                target=proto_name,
                hint="Use http/protobuf for Python apps.",
            )
        ]
    return protocol, []


def _timeout(env: Mapping[str, str]) -> list[Finding]:
    timeout = _get(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT") or _get(env, "OTEL_EXPORTER_OTLP_TIMEOUT")
    if timeout is None:
        return []
    try:
        value = float(timeout)
    except ValueError:
        value = -1.0
    if not (value >= 1000 or value <= 0):  # NaN too: no finding
        return []
    return [
        c.APP_PYTHON_DEVIATION(
            f"OTEL_EXPORTER_OTLP_TIMEOUT={timeout}: the spec means milliseconds; the Python SDK reads seconds"
            + (" (and 0 makes every export fail)." if value == 0 else "." if value > 0 else ", and fails on it."),
            target="OTEL_EXPORTER_OTLP_TIMEOUT",
            hint="Unset it (10 s default) or use a value that reads well both ways.",
        )
    ]


def _service_name(env: Mapping[str, str]) -> list[Finding]:
    service = _get(env, "OTEL_SERVICE_NAME")
    resource = env.get("OTEL_RESOURCE_ATTRIBUTES", "")
    in_resource = any(item.split("=", 1)[0].strip() == "service.name" and "=" in item for item in resource.split(","))
    if service is not None or in_resource:
        return []
    return [
        c.APP_NO_SERVICE_NAME(
            "Neither OTEL_SERVICE_NAME nor service.name in OTEL_RESOURCE_ATTRIBUTES is set "
            "(fine if the code sets Resource(service.name)).",
            target="OTEL_SERVICE_NAME",
        )
    ]


def config_file_overrides(env: Mapping[str, str]) -> list[Finding]:
    """OTEL_CONFIG_FILE: an SDK with declarative configuration reads that file, not these variables (issue 26)."""
    from otdiag.catalogue_families import CONFIG_FILE_OVERRIDES

    path = _get(env, "OTEL_CONFIG_FILE")
    if not path:
        return []
    read = sorted(k for k in env if k.startswith("OTEL_") and k != "OTEL_CONFIG_FILE" and env[k].strip())
    shown = ", ".join(read[:4]) + (", …" if len(read) > 4 else "")
    return [
        CONFIG_FILE_OVERRIDES(
            f"OTEL_CONFIG_FILE={path}: an SDK with declarative configuration reads that file and ignores "
            + (f"the other OTEL_* variables ({shown})" if read else "the OTEL_* variables")
            + "; the findings from the variables may not be what the app does.",
            hint=f"Check the file: otdiag validate-config {path} (or unset OTEL_CONFIG_FILE).",
            target="OTEL_CONFIG_FILE",
        )
    ]
