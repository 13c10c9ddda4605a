"""The common components' own Validate() rules, with the collector's messages.

Each function mirrors one component's `Validate()` in the upstream source it names, and, like
it, reports the first problem only. Defaults come from the generated data, so a setting left
out is judged by its default value exactly as the collector judges it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from otdiag import catalogue_config as kinds
from otdiag.catalogue import Kind
from otdiag.validate.model import Comp
from otdiag.validate.schema import go_duration_error
from otdiag.validate.yamlsrc import Node

Problem = tuple[Kind, str, Node | None]
Rule = Callable[[Comp], Iterator[Problem]]
INVALID = kinds.INVALID_VALUE


class Hinted(str):
    """A problem's message that carries its own fix (a "did you mean")."""

    __slots__ = ("hint",)
    hint: str


def enum_message(message: str, value: object, valid: tuple[str, ...] | list[str]) -> str:
    """`message`, carrying the nearest valid value and the list of valid ones as its fix."""
    from otdiag.validate import suggest

    out = Hinted(message)
    near = suggest.nearest(str(value), valid)
    out.hint = (
        (f'Did you mean "{near}"? ' if near else "") + "Valid values: " + ", ".join(f'"{v}"' for v in valid) + "."
    )
    return out


_DUR = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(value: Any) -> float | None:
    """A Go duration (text or integer nanoseconds) in seconds; None when unreadable."""
    import re

    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1e9
    text = str(value).strip()
    if go_duration_error(text):
        return None
    sign = -1.0 if text.startswith("-") else 1.0
    total = 0.0
    for num, unit in re.findall(r"(?<![0-9.])([0-9.]++)([a-zµμ]++)", text):
        total += float(num) * _DUR[unit]
    return sign * total


def _num(value: Any) -> float:
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    return 0.0


def _present(comp: Comp, *path: str) -> bool:
    """The section is set (a null value counts: `grpc:` enables gRPC with its defaults)."""
    n = comp.get(*path)
    if n is None:
        return False
    if n.kind == "map":
        en = n.get("enabled")
        return not (en is not None and en.value is False)
    return True


def otlp_receiver(comp: Comp) -> Iterator[Problem]:
    # receiver/otlpreceiver/config.go
    if not (_present(comp, "protocols", "grpc") or _present(comp, "protocols", "http")):
        yield (
            INVALID,
            "must specify at least one protocol when using the OTLP receiver",
            comp.get("protocols"),
        )


def _port_error(endpoint: Any) -> str | None:
    text = "" if endpoint is None else str(endpoint)
    host, sep, port = text.rpartition(":")
    if not sep or (host.count(":") and not host.startswith("[")):
        return f"endpoint is not formatted correctly: address {text}: missing port in address"
    if not port.isdigit():
        return f'endpoint port is not a number: strconv.ParseInt: parsing "{port}": invalid syntax'
    if not 1 <= int(port) <= 65535:
        return "port number must be between 1 and 65535"
    return None


def jaeger_receiver(comp: Comp) -> Iterator[Problem]:
    # receiver/jaegerreceiver/config.go
    protos = [
        ("grpc", "gRPC"),
        ("thrift_http", "Thrift HTTP"),
        ("thrift_binary", "Thrift UDP Binary"),
        ("thrift_compact", "Thrift UDP Compact"),
    ]
    if not any(_present(comp, "protocols", p) for p, _ in protos):
        yield (
            INVALID,
            "must specify at least one protocol when using the Jaeger receiver",
            comp.get("protocols"),
        )
        return
    for key, label in protos:
        if _present(comp, "protocols", key):
            err = _port_error(comp.value("protocols", key, "endpoint"))
            if err:
                node = comp.get("protocols", key, "endpoint") or comp.get("protocols", key)
                yield INVALID, f"invalid port number for the {label} endpoint: {err}", node
                return
    if comp.get("remote_sampling") is not None:
        yield (
            INVALID,
            "remote sampling config detected in the Jaeger receiver; use the `jaegerremotesampling` extension instead",
            comp.get("remote_sampling"),
        )


def batch(comp: Comp) -> Iterator[Problem]:
    # processor/batchprocessor/config.go
    size = _num(comp.value("send_batch_size", default=8192))
    max_size = _num(comp.value("send_batch_max_size", default=0))
    if max_size > 0 and max_size < size:
        node = comp.get("send_batch_max_size")
        yield INVALID, "send_batch_max_size must be greater or equal to send_batch_size", node
        return
    keys = comp.get("metadata_keys")
    if keys is not None and keys.kind == "seq":
        seen: set[str] = set()
        for k in keys.children:
            low = str(k.value).lower()
            if low in seen:
                yield INVALID, f'duplicate entry in metadata_keys: "{k.value}" (case-insensitive)', k
                return
            seen.add(low)
    timeout = seconds(comp.value("timeout"))
    if timeout is not None and timeout < 0:
        yield INVALID, "timeout must be greater or equal to 0", comp.get("timeout")


def memory_limiter(comp: Comp) -> Iterator[Problem]:
    # internal/memorylimiter/config.go
    interval = seconds(comp.value("check_interval", default=0)) or 0.0
    if interval <= 0:
        yield INVALID, "'check_interval' must be greater than zero", comp.get("check_interval")
        return
    soft = seconds(comp.value("min_gc_interval_when_soft_limited", default=0)) or 0.0
    hard = seconds(comp.value("min_gc_interval_when_hard_limited", default=0)) or 0.0
    if soft < hard:
        yield (
            INVALID,
            "'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'",
            comp.get("min_gc_interval_when_soft_limited"),
        )
        return
    mib, pct = _num(comp.value("limit_mib", default=0)), _num(comp.value("limit_percentage", default=0))
    spike_mib = _num(comp.value("spike_limit_mib", default=0))
    spike_pct = _num(comp.value("spike_limit_percentage", default=0))
    if mib == 0 and pct == 0:
        yield INVALID, "'limit_mib' or 'limit_percentage' must be greater than zero", None
    elif pct > 100 or spike_pct > 100:
        yield (
            INVALID,
            "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less "
            "than or equal to hundred",
            comp.get("limit_percentage"),
        )
    elif mib > 0 and mib <= spike_mib:
        yield INVALID, "'spike_limit_mib' must be smaller than 'limit_mib'", comp.get("spike_limit_mib")
    elif pct > 0 and pct <= spike_pct:
        yield (
            INVALID,
            "'spike_limit_percentage' must be smaller than 'limit_percentage'",
            comp.get("spike_limit_percentage"),
        )


def otlp_grpc(comp: Comp) -> Iterator[Problem]:
    # exporter/otlpexporter/config.go, then config/configgrpc ClientConfig.Validate
    endpoint = comp.value("endpoint", default="")
    if not endpoint:
        yield INVALID, 'requires a non-empty "endpoint"', comp.get("endpoint")
        return
    node = comp.get("endpoint")
    if isinstance(endpoint, str) and not (node is not None and node.expanded) and "${" not in endpoint:
        err = grpc_endpoint_error(endpoint)
        if err:
            yield INVALID, err, node


def grpc_endpoint_error(endpoint: str) -> str | None:
    """configgrpc.ClientConfig.Validate: the host:port left after the scheme must have a numeric port."""
    from urllib.parse import urlsplit

    if endpoint.startswith("unix://"):
        return "unix socket path cannot be empty" if endpoint == "unix://" else None
    if endpoint.startswith("http://"):
        hostport = endpoint.removeprefix("http://")
    elif endpoint.startswith("https://"):
        hostport = endpoint.removeprefix("https://")
    elif "://" in endpoint:
        try:
            hostport = urlsplit(endpoint).path.removeprefix("/")
        except ValueError:
            hostport = endpoint
    else:
        hostport = endpoint
    if not hostport:
        return None
    # net.SplitHostPort
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return f"address {hostport}: missing ']' in address"
        rest = hostport[end + 1 :]
        if not rest.startswith(":"):
            return f"address {hostport}: missing port in address"
        port = rest[1:]
    else:
        host, sep, port = hostport.rpartition(":")
        if not sep:
            return f"address {hostport}: missing port in address"
        if ":" in host:
            return f"address {hostport}: too many colons in address"
    if not re.fullmatch(r"[+-]?[0-9]+", port):
        return f'invalid port "{port}"'
    return None


_ZLIB_LEVELS = {-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}


def compression_params(comp: Comp) -> Iterator[Problem]:
    """config/confighttp ClientConfig.Validate -> configcompression Type.ValidateParams."""
    kind = str(comp.value("compression", default="") or "")
    level_node = comp.get("compression_params", "level")
    level = comp.value("compression_params", "level", default=0)
    if kind in ("", "none") or not isinstance(level, int) or isinstance(level, bool):
        return
    if (kind in ("gzip", "zlib", "deflate") and level in _ZLIB_LEVELS) or kind == "zstd" or level == 0:
        return
    yield INVALID, f'unsupported parameters {{Level:{level}}} for compression type "{kind}"', level_node


def otlp_http(comp: Comp) -> Iterator[Problem]:
    # exporter/otlphttpexporter/config.go
    keys = ("endpoint", "traces_endpoint", "metrics_endpoint", "logs_endpoint", "profiles_endpoint")
    if not any(comp.value(k, default="") for k in keys):
        yield INVALID, "at least one endpoint must be specified", None
        return
    yield from compression_params(comp)


def debug(comp: Comp) -> Iterator[Problem]:
    # exporter/debugexporter/config.go (verbosity is a configtelemetry.Level)
    v = comp.get("verbosity")
    bad = v is not None and v.kind == "scalar" and v.value is not None
    if bad and v is not None and str(v.value).lower() not in ("basic", "normal", "detailed"):
        msg = enum_message(f"'verbosity' unknown metrics level \"{v.value}\"", v.value, ("basic", "normal", "detailed"))
        yield kinds.WRONG_TYPE, msg, v


def file_exporter(comp: Comp) -> Iterator[Problem]:
    # exporter/fileexporter/config.go
    if not comp.value("path", default=""):
        yield INVALID, "path must be non-empty", comp.get("path")
        return
    fmt = comp.value("format", default="json")
    if fmt not in ("json", "proto"):
        yield INVALID, enum_message("format type is not supported", fmt, ("json", "proto")), comp.get("format")
        return
    yield from file_exporter_more(comp)


def file_exporter_more(comp: Comp) -> Iterator[Problem]:
    comp_node = comp.get("compression")
    if comp_node is not None and comp_node.value not in (None, "", "zstd"):
        yield INVALID, "compression is not supported", comp_node
        return
    flush = comp.get("flush_interval")
    if flush is not None and (seconds(flush.value) or 0) <= 0:
        yield INVALID, "flush_interval must be larger than zero", flush
        return
    if comp.value("group_by", "enabled") is True:
        path = str(comp.value("path", default=""))
        if path.count("*") != 1:
            yield INVALID, "path must contain exactly one * when group_by is enabled", comp.get("path")
        elif path.startswith("*"):
            yield INVALID, "path must not start with * when group_by is enabled", comp.get("path")
        elif not comp.value("group_by", "resource_attribute", default=""):
            yield (
                INVALID,
                "resource_attribute must not be empty when group_by is enabled",
                comp.get("group_by"),
            )


def health_check(comp: Comp) -> Iterator[Problem]:
    # extension/healthcheckextension/config.go (+ internal/healthcheck legacy config)
    if comp.get("http") is not None or comp.get("grpc") is not None:
        yield (
            INVALID,
            "v2 healthcheck configuration (http/grpc fields) detected but feature gate is disabled. "
            "Either remove "
            "the v2 config fields or enable the feature gate with: "
            "--feature-gates=+extension.healthcheck.useComponentStatus",
            comp.get("http") or comp.get("grpc"),
        )
        return
    endpoint = comp.get("endpoint")
    if endpoint is not None and endpoint.kind == "scalar" and endpoint.value in (None, ""):
        yield INVALID, "config: http endpoint required", endpoint
        return
    path = comp.get("path")
    if path is not None and isinstance(path.value, str) and not path.value.startswith("/"):
        yield INVALID, "config: path must start with /", path


def span_metrics(comp: Comp) -> Iterator[Problem]:
    # connector/spanmetricsconnector/config.go
    unit = comp.get("histogram", "unit")
    if unit is not None and unit.value not in (None, "ms", "s"):
        yield (
            kinds.WRONG_TYPE,
            enum_message(
                f'\'histogram.unit\' unknown Unit "{unit.value}", allowed units are "ms" and "s"',
                unit.value,
                ("ms", "s"),
            ),
            unit,
        )
        return
    if comp.get("histogram", "explicit") is not None and comp.get("histogram", "exponential") is not None:
        yield INVALID, "use either `explicit` or `exponential` buckets histogram", comp.get("histogram")
        return
    for key in ("metrics_expiration", "series_expiration"):
        n = comp.get(key)
        if n is not None and (seconds(n.value) or 0) < 0:
            yield INVALID, f"invalid {key}: {n.value}, the duration should be positive", n
            return
    for key in ("dimensions", "calls_dimensions", "histogram.dimensions"):
        problem = _dimensions_problem(comp.get(*key.split(".")))
        if problem:
            yield INVALID, problem[0], problem[1]
            return
    n = comp.get("aggregation_temporality")
    cache = comp.get("delta_timestamp_cache_size") or comp.get("metric_timestamp_cache_size")
    if cache is not None and isinstance(cache.value, int) and cache.value <= 0 and n is not None:
        yield (
            INVALID,
            f"invalid delta timestamp cache size: {cache.value}, "
            "the maximum number of the items in the cache "
            "should be positive",
            cache,
        )


_RESERVED_DIMENSIONS = ("service.name", "span.kind", "status.code", "span.name")


def _dimensions_problem(dims: Node | None) -> tuple[str, Node] | None:
    """connector/spanmetricsconnector/config.go validateDimensions (exact names; globs not matched)."""
    if dims is None or dims.kind != "seq":
        return None
    names = set(_RESERVED_DIMENSIONS)
    for d in dims.children:
        if d.kind != "map":
            continue
        name = d.get("name")
        glob = d.get("glob")
        has_name = name is not None and name.value not in (None, "")
        has_glob = glob is not None and glob.value not in (None, "")
        if has_name and has_glob:
            return (
                "failed validating dimensions: dimension entry must set only one of `name` or `glob`, got both: "
                f'name="{name.value if name else ""}" glob="{glob.value if glob else ""}"',
                d,
            )
        if not has_name and not has_glob:
            return "failed validating dimensions: dimension entry must set one of `name` or `glob`", d
        if has_name and name is not None:
            if str(name.value) in names:
                return f'failed validating dimensions: duplicate dimension name "{name.value}"', name
            names.add(str(name.value))
    return None


def ottl_processor(comp: Comp) -> Iterator[Problem]:
    # processor/{filter,transform}processor: error_mode is an ottl.ErrorMode (OTTL itself is not parsed here)
    mode = comp.get("error_mode")
    if mode is not None and isinstance(mode.value, str) and mode.value.lower() not in ("ignore", "silent", "propagate"):
        msg = enum_message(
            f"'error_mode' unknown error mode {mode.value}", mode.value, ("ignore", "silent", "propagate")
        )
        yield kinds.WRONG_TYPE, msg, mode


def filter_processor(comp: Comp) -> Iterator[Problem]:
    from otdiag.validate import ottlrules

    yield from ottl_processor(comp)
    yield from ottlrules.filter_(comp)


def transform_processor(comp: Comp) -> Iterator[Problem]:
    from otdiag.validate import ottlrules

    yield from ottl_processor(comp)
    yield from ottlrules.transform(comp)


def attributes(comp: Comp) -> Iterator[Problem]:
    # processor/attributesprocessor/config.go
    actions = comp.get("actions")
    if actions is None or actions.kind != "seq" or not actions.children:
        yield INVALID, 'missing required field "actions"', actions


def resource(comp: Comp) -> Iterator[Problem]:
    # processor/resourceprocessor/config.go
    attrs = comp.get("attributes")
    if attrs is None or attrs.kind != "seq" or not attrs.children:
        yield INVALID, 'missing required field "attributes"', attrs


def probabilistic_sampler(comp: Comp) -> Iterator[Problem]:
    # processor/probabilisticsamplerprocessor/config.go
    pct = comp.value("sampling_percentage", default=0)
    if isinstance(pct, int | float) and not isinstance(pct, bool) and pct < 0:
        yield INVALID, f"sampling rate is negative: {pct:f}%", comp.get("sampling_percentage")


def bearertokenauth(comp: Comp) -> Iterator[Problem]:
    # extension/bearertokenauthextension/config.go
    token, tokens, filename = (
        comp.value("token", default=""),
        comp.get("tokens"),
        comp.value("filename", default=""),
    )
    has_tokens = tokens is not None and tokens.kind == "seq" and bool(tokens.children)
    if not token and not has_tokens and not filename:
        yield INVALID, "no bearer token provided", None
    elif token and has_tokens:
        yield INVALID, "either tokens or token should be provided, not both", comp.get("tokens")


def basicauth(comp: Comp) -> Iterator[Problem]:
    # extension/basicauthextension/config.go
    server, client = comp.get("htpasswd") is not None, comp.get("client_auth") is not None
    if server and client:
        yield INVALID, "only one of `htpasswd` or `client_auth` can be specified", comp.get("client_auth")
    elif not server and not client:
        yield INVALID, "no credential source provided", None


def tail_sampling(comp: Comp) -> Iterator[Problem]:
    # processor/tailsamplingprocessor/config.go
    strategy = comp.value("sampling_strategy", default="trace-complete")
    if comp.get("sampling_strategy") is not None and strategy not in ("trace-complete", "span-ingest"):
        yield (
            INVALID,
            enum_message(
                f'invalid sampling_strategy "{strategy}", expected one of "trace-complete" or "span-ingest"',
                strategy,
                ("trace-complete", "span-ingest"),
            ),
            comp.get("sampling_strategy"),
        )


def jaeger_storage(comp: Comp) -> Iterator[Problem]:
    # cmd/jaeger/internal/extension/jaegerstorage/config.go
    backends = comp.get("backends")
    if backends is None or backends.kind != "map" or not backends.items:
        yield INVALID, "at least one storage is required", backends
        return
    for key, value in backends.items:
        if value.kind != "map" or not value.items:
            yield INVALID, f"empty backend configuration for storage '{key.value}'", key
            return


def _required(comp: Comp, *path: str) -> Iterator[Problem]:
    # govalidator's `valid:"required"`
    if not comp.value(*path, default=""):
        yield INVALID, f"{'.'.join(path)}: non zero value required", comp.get(*path[:-1]) or None


def jaeger_query(comp: Comp) -> Iterator[Problem]:
    yield from _required(comp, "storage", "traces")


def jaeger_storage_exporter(comp: Comp) -> Iterator[Problem]:
    yield from _required(comp, "trace_storage")


def remote_sampling(comp: Comp) -> Iterator[Problem]:
    # cmd/jaeger/internal/extension/remotesampling/config.go
    f, a = comp.get("file"), comp.get("adaptive")
    if f is None and a is None:
        yield INVALID, "no sampling strategy provider specified, expecting 'adaptive' or 'file'", None
    elif f is not None and a is not None:
        yield INVALID, "only one sampling strategy provider can be specified, 'adaptive' or 'file'", a


RULES: dict[tuple[str, str], Rule] = {
    ("receiver", "otlp"): otlp_receiver,
    ("receiver", "jaeger"): jaeger_receiver,
    ("processor", "batch"): batch,
    ("processor", "memory_limiter"): memory_limiter,
    ("processor", "attributes"): attributes,
    ("processor", "resource"): resource,
    ("processor", "probabilistic_sampler"): probabilistic_sampler,
    ("processor", "tail_sampling"): tail_sampling,
    ("exporter", "otlp_grpc"): otlp_grpc,
    ("exporter", "otlp"): otlp_grpc,
    ("exporter", "otlp_http"): otlp_http,
    ("exporter", "otlphttp"): otlp_http,
    ("exporter", "debug"): debug,
    ("exporter", "file"): file_exporter,
    ("exporter", "jaeger_storage_exporter"): jaeger_storage_exporter,
    ("extension", "bearertokenauth"): bearertokenauth,
    ("extension", "health_check"): health_check,
    ("processor", "filter"): filter_processor,
    ("processor", "transform"): transform_processor,
    ("connector", "span_metrics"): span_metrics,
    ("extension", "basicauth"): basicauth,
    ("extension", "jaeger_storage"): jaeger_storage,
    ("extension", "jaeger_query"): jaeger_query,
    ("extension", "remote_sampling"): remote_sampling,
}


def retry_on_failure(comp: Comp) -> Iterator[Problem]:
    """configretry.BackOffConfig.Validate (config/configretry/backoff.go), for any component that has
    a retry_on_failure section: with retries on, a positive max_elapsed_time is no shorter than the
    first and the longest wait (unset ones take their defaults)."""
    r = comp.get("retry_on_failure")
    if r is None or r.kind != "map" or comp.value("retry_on_failure", "enabled", default=True) is False:
        return

    def secs(key: str) -> float | None:
        n = r.get(key)
        if n is not None and n.expanded:
            return None
        return seconds(comp.value("retry_on_failure", key))

    elapsed, first, longest = secs("max_elapsed_time"), secs("initial_interval"), secs("max_interval")
    if elapsed is None or elapsed <= 0:
        return
    at = r.get("max_elapsed_time") or r
    if first is not None and first >= 0 and elapsed < first:
        yield INVALID, "retry_on_failure: 'max_elapsed_time' must not be less than 'initial_interval'", at
    elif longest is not None and longest >= 0 and elapsed < longest:
        out = Hinted("retry_on_failure: 'max_elapsed_time' must not be less than 'max_interval'")
        out.hint = (
            "Make max_elapsed_time (the total time spent retrying; 0 = for ever) at least max_interval "
            f"({comp.value('retry_on_failure', 'max_interval')}, the longest wait between two tries)."
        )
        yield INVALID, out, at


def validate(comp: Comp) -> Iterator[Problem]:
    yield from retry_on_failure(comp)
    rule = RULES.get((comp.kind, comp.canonical))
    if rule is not None:
        for problem in rule(comp):
            yield problem
            return


_LEVELS = ("none", "basic", "normal", "detailed")


def validate_telemetry(node: Node | None) -> Iterator[Problem]:
    """service.telemetry's own checks (service/telemetry/otelconftelemetry)."""
    if node is None or node.kind != "map":
        return
    metrics = node.get("metrics")
    if metrics is not None and metrics.kind == "map":
        level = metrics.get("level")
        set_ = level is not None and level.kind == "scalar" and level.value is not None
        if set_ and level is not None and str(level.value).lower() not in _LEVELS:
            yield (
                kinds.TELEMETRY_INVALID,
                enum_message(f'metrics::level: unknown metrics level "{level.value}"', level.value, _LEVELS),
                level,
            )
            return
        views = metrics.get("views")
        lv = str(level.value).lower() if level is not None and level.value is not None else "normal"
        if views is not None and views.kind == "seq" and views.children and lv != "detailed":
            yield (
                kinds.TELEMETRY_INVALID,
                "metrics::views: views can only be set when the metrics level is detailed",
                views,
            )
    logs = node.get("logs")
    if logs is not None and logs.kind == "map":
        enc = logs.get("encoding")
        if enc is not None and enc.kind == "scalar" and enc.value not in (None, "json", "console"):
            # Accepted by validate; zap refuses it when the collector creates its logger.
            msg = enum_message(
                f'failed to create logger: no encoder registered for name "{enc.value}"', enc.value, ("json", "console")
            )
            yield kinds.TELEMETRY_START, msg, enc
