"""The MCP tools: their schemas, descriptions, annotations, and how each maps to an otdiag command.

Nothing here imports otdiag's heavy modules or the MCP SDK: a tool call turns its arguments into the
command line of `otdiag COMMAND --json` (run as a child process, so a deadline can stop it whole), and
the JSON it prints is the tool's result. Arguments are checked here first, each with a one-line
message, and every one has a size cap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

MAX_STRING = 2048
"""Any string argument (URLs, names, paths), in characters."""
MAX_YAML = 1024 * 1024
"""Inline YAML given to validate_config, in characters."""
MAX_LIST = 32
"""Items of a list argument (config paths, tags, headers, argv)."""
MAX_ARGUMENTS_CHARS = MAX_YAML + 256 * 1024
"""All the arguments of one call together, as JSON-ish text: past this a call is refused at once."""
MAX_DEADLINE_S = 300.0
"""No tool call runs longer than this; each tool's own deadline is smaller (see its description)."""
BOUNDS = (
    "The result is the JSON document `otdiag {command} --json` prints (secrets redacted); lists longer than "
    "200 items are cut to 200 and strings to 4,000 characters (`mcp_truncated` names what was cut)."
)


class ArgumentError(Exception):
    """A tool argument is wrong: the message is one line, shown as the tool's error."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # string | integer | number | boolean | string-list | string-map
    description: str
    max_chars: int = MAX_STRING
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any]
        if self.kind == "string-list":
            out = {"type": "array", "items": {"type": "string", "maxLength": self.max_chars}, "maxItems": MAX_LIST}
        elif self.kind == "string-map":
            out = {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": self.max_chars},
                "maxProperties": MAX_LIST,
            }
        else:
            out = {"type": self.kind}
            if self.kind == "string":
                out["maxLength"] = self.max_chars
            if self.minimum is not None:
                out["minimum"] = self.minimum
            if self.maximum is not None:
                out["maximum"] = self.maximum
        if self.enum:
            out["enum"] = list(self.enum)
        out["description"] = self.description
        return out

    def check(self, value: object) -> object:
        """The value, checked; ArgumentError with one line otherwise."""
        n = self.name
        if self.kind == "string":
            return self._string(value, n)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise ArgumentError(f"argument {n!r} must be true or false")
            return value
        if self.kind in ("integer", "number"):
            return self._number(value, n)
        if self.kind == "string-list":
            if not isinstance(value, list):
                raise ArgumentError(f"argument {n!r} must be a list of strings")
            if len(value) > MAX_LIST:
                raise ArgumentError(f"argument {n!r} has {len(value)} items; at most {MAX_LIST}")
            return [self._string(v, f"{n}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            raise ArgumentError(f"argument {n!r} must be an object of string values")
        if len(value) > MAX_LIST:
            raise ArgumentError(f"argument {n!r} has {len(value)} entries; at most {MAX_LIST}")
        return {self._string(k, f"{n} key"): self._string(v, f"{n} value") for k, v in value.items()}

    def _string(self, value: object, n: str) -> str:
        if not isinstance(value, str):
            raise ArgumentError(f"argument {n!r} must be a string")
        if len(value) > self.max_chars:
            raise ArgumentError(f"argument {n!r} is {len(value):,} characters long; at most {self.max_chars:,}")
        if "\x00" in value:
            raise ArgumentError(f"argument {n!r} holds a NUL character")
        if self.enum and value not in self.enum:
            raise ArgumentError(f"argument {n!r} must be one of {', '.join(self.enum)}")
        return value

    def _number(self, value: object, n: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ArgumentError(f"argument {n!r} must be a number")
        if self.kind == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            raise ArgumentError(f"argument {n!r} must be a whole number")
        if math.isnan(value) or (self.minimum is not None and value < self.minimum):
            raise ArgumentError(f"argument {n!r} must be at least {self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise ArgumentError(f"argument {n!r} must be at most {self.maximum:g}")
        return float(value)


@dataclass(frozen=True)
class Call:
    """How to run one tool call: `otdiag` with these arguments, this stdin and environment, this deadline."""

    argv: list[str]
    deadline_s: float
    stdin: str | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    build: Callable[[dict[str, Any]], Call | None]
    read_only: bool = True
    destructive: bool = False
    open_world: bool = True
    required: tuple[str, ...] = ()
    """None from build: answered in process (explain_finding)."""

    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.params},
            "required": list(self.required),
            "additionalProperties": False,
        }

    def check(self, arguments: dict[str, Any] | None) -> dict[str, Any]:
        arguments = arguments or {}
        known = {p.name: p for p in self.params}
        for name in arguments:
            if name not in known:
                shown = str(name)[:60]
                raise ArgumentError(f"unknown argument {shown!r}; {self.name} takes: {', '.join(known) or 'none'}")
        for name in self.required:
            if arguments.get(name) in (None, "", []):
                raise ArgumentError(f"argument {name!r} is required")
        return {n: known[n].check(v) for n, v in arguments.items() if v is not None}


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _opt(argv: list[str], flag: str, value: object) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        if value:
            argv.append(flag)
        return
    argv += [flag, str(value)]


def _headers_env(headers: dict[str, str] | None) -> dict[str, str]:
    """Headers for the child's environment (never its command line, which other users can read)."""
    if not headers:
        return {}
    return {
        "OTEL_EXPORTER_OTLP_HEADERS": ",".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in headers.items())
    }


TIMEOUT = Param(
    "timeout", "number", "Seconds each network call may take (default 5, at most 60).", minimum=0.1, maximum=60
)
JAEGER = Param("jaeger_url", "string", "Jaeger's query URL (default: OTDIAG_JAEGER_URL, else http://localhost:16686).")
PROTOCOL = Param("protocol", "string", "OTLP protocol.", enum=("grpc", "http/protobuf", "http/json"))
HEADERS = Param("headers", "string-map", "Headers sent with every OTLP request (values are secrets: never shown).")


def _check(args: dict[str, Any], *, allow_send: bool) -> Call:
    argv = ["check", "--json"]
    for key, flag in (
        ("otlp_endpoint", "--otlp-endpoint"), ("protocol", "--protocol"), ("jaeger_url", "--jaeger-url"),
        ("collector_health_url", "--collector-health-url"), ("collector_metrics_url", "--collector-metrics-url"),
        ("jaeger_health_url", "--jaeger-health-url"), ("jaeger_config", "--jaeger-config"),
        ("env_file", "--env-file"), ("app_dir", "--app-dir"), ("ca_file", "--ca-file"),
        ("prometheus_url", "--prometheus-url"), ("prometheus_selector", "--prometheus-selector"),
    ):  # fmt: skip
        _opt(argv, flag, args.get(key))
    for config in args.get("configs", []):
        argv += ["--config", config]
    _opt(argv, "--insecure", args.get("insecure"))
    timeout = args.get("timeout", 5.0)
    wait = args.get("wait", 15.0)
    argv += ["--timeout", _seconds(timeout), "--wait", _seconds(wait)]
    if "window_minutes" in args:
        argv += ["--window", f"{args['window_minutes']:g}m"]
    e2e = args.get("e2e", allow_send)
    if e2e and not allow_send:
        raise ArgumentError("e2e sends a test span: start the server with --allow-send to allow it")
    argv.append("--e2e" if e2e else "--no-e2e")
    return Call(argv, deadline_s=min(MAX_DEADLINE_S, 4 * timeout + wait + 30), env=_headers_env(args.get("headers")))


def _validate(args: dict[str, Any]) -> Call:
    paths, yaml_text = args.get("paths", []), args.get("yaml")
    if bool(paths) == (yaml_text is not None):
        raise ArgumentError("give either paths (config files) or yaml (one config, inline)")
    argv = ["validate-config", "--json"]
    _opt(argv, "--strict", args.get("strict"))
    _opt(argv, "--merge", args.get("merge"))
    _opt(argv, "--distribution", args.get("distribution"))
    version = args.get("collector_version")
    if version is not None:
        if not re.fullmatch(r"v?\d{1,3}\.\d{1,4}\.\d{1,4}", version):
            raise ArgumentError("collector_version must be a release number such as 0.119.0")
        argv += ["--collector-version", version.lstrip("v")]
    argv += ["--", *paths] if paths else ["-"]
    return Call(argv, deadline_s=60.0, stdin=yaml_text)


def _find(args: dict[str, Any]) -> Call:
    argv = ["find-trace", "--json", "--max-spans", "200"]
    _opt(argv, "--jaeger-url", args.get("jaeger_url"))
    timeout = args.get("timeout", 10.0)
    wait = args.get("wait", 0.0)
    argv += ["--timeout", _seconds(timeout)]
    if wait:
        argv += ["--wait", _seconds(wait)]
    argv += ["--", args["trace_id"]]
    return Call(argv, deadline_s=min(MAX_DEADLINE_S, 2 * timeout + wait + 20))


def _search(args: dict[str, Any]) -> Call:
    argv = ["find-trace", "--json", "--service", args["service"]]
    for key, flag in (
        ("jaeger_url", "--jaeger-url"), ("operation", "--operation"), ("start", "--start"), ("end", "--end"),
        ("min_duration", "--min-duration"), ("max_duration", "--max-duration"),
    ):  # fmt: skip
        _opt(argv, flag, args.get(key))
    for name, value in args.get("tags", {}).items():
        argv += ["--tag", f"{name}={value}"]
    argv += ["--lookback", f"{args.get('lookback_minutes', 60):g}m", "--limit", str(int(args.get("limit", 20)))]
    timeout = args.get("timeout", 10.0)
    argv += ["--timeout", _seconds(timeout)]
    return Call(argv, deadline_s=min(MAX_DEADLINE_S, 2 * timeout + 20))


def _send(args: dict[str, Any]) -> Call:
    argv = ["send-test-span", "--json"]
    for key, flag in (("endpoint", "--endpoint"), ("protocol", "--protocol"), ("ca_file", "--ca-file"),
                      ("jaeger_url", "--jaeger-url"), ("service_name", "--service-name"),
                      ("span_name", "--span-name")):  # fmt: skip
        _opt(argv, flag, args.get(key))
    _opt(argv, "--insecure", args.get("insecure"))
    _opt(argv, "--verify", args.get("verify"))
    for name, value in args.get("attributes", {}).items():
        argv += ["--attribute", f"{name}={value}"]
    timeout = args.get("timeout", 10.0)
    wait = args.get("wait", args.get("verify_wait", 30.0))  # verify_wait: its name before --wait
    argv += ["--timeout", _seconds(timeout), "--wait", _seconds(wait)]
    return Call(argv, deadline_s=min(MAX_DEADLINE_S, 2 * timeout + wait + 20), env=_headers_env(args.get("headers")))


def _run(args: dict[str, Any]) -> Call:
    timeout = args.get("timeout", 60.0)
    argv = ["run", "--json", "--timeout", _seconds(timeout), "--no-keep-open"]
    _opt(argv, "--service-name", args.get("service_name"))
    _opt(argv, "--protocol", args.get("protocol"))
    argv += ["--", *args["argv"]]
    return Call(argv, deadline_s=min(MAX_DEADLINE_S, timeout + 30))


def tools(*, allow_send: bool, allow_run: bool) -> list[Tool]:
    """The tools this server offers: send_test_span and run only when the server was allowed them."""
    net = "Every network call is bounded by `timeout`"
    out = [
        Tool(
            "check",
            "Diagnose a tracing pipeline",
            "Run `otdiag check`: probe the app's OTLP settings, the collector (OTLP ports, health, metrics) and "
            "Jaeger's query API, and say where traces get lost; the first error finding is the diagnosis. "
            + (
                "It also sends a test span end to end unless e2e is false. "
                if allow_send
                else "The OTLP probes are empty exports (they store nothing); no test span is sent. "
            )
            + f"{net}; the whole call ends within 4*timeout+wait+30 s. {BOUNDS.format(command='check')}",
            (
                Param(
                    "otlp_endpoint",
                    "string",
                    "The collector's OTLP endpoint (default: OTEL_EXPORTER_OTLP_ENDPOINT, else localhost).",
                ),
                PROTOCOL,
                JAEGER,
                Param("collector_health_url", "string", "The collector's health endpoint (default: port 13133)."),
                Param(
                    "collector_metrics_url", "string", "The collector's metrics (default: http://<host>:8888/metrics)."
                ),
                Param("jaeger_health_url", "string", "Jaeger's health endpoint to probe too."),
                Param("configs", "string-list", "Collector config files, [NAME=]PATH, one per tier."),
                Param("jaeger_config", "string", "Jaeger v2's config file."),
                Param("env_file", "string", "The app's environment (KEY=VALUE lines) instead of the server's."),
                Param("app_dir", "string", "The app's source directory (requirements, installed packages)."),
                HEADERS,
                Param("insecure", "boolean", "Plaintext gRPC without scheme; skip TLS verification for https."),
                Param("ca_file", "string", "CA certificate (PEM) to verify TLS servers with."),
                Param("prometheus_url", "string", "Prometheus that scrapes the collectors."),
                Param("prometheus_selector", "string", "Label matchers for the collectors' series."),
                Param(
                    "window_minutes",
                    "number",
                    "How far back prometheus_url's losses are read.",
                    minimum=1,
                    maximum=1440,
                ),
                TIMEOUT,
                Param(
                    "wait",
                    "number",
                    "Seconds the test span may take to show up in Jaeger (default 15).",
                    minimum=0,
                    maximum=120,
                ),
                *((Param("e2e", "boolean", "Send a test span end to end (default true)."),) if allow_send else ()),
            ),
            lambda a: _check(a, allow_send=allow_send),
            read_only=not allow_send,
        ),
        Tool(
            "validate_config",
            "Validate a collector config",
            "Check OpenTelemetry Collector (or Jaeger v2) configs as `otelcol validate` would: every error with "
            "file, line, column, the collector's wording and a fix, plus warnings for configs that lose traces. "
            f"Give paths (at most {MAX_LIST} files, each read with a 64 MiB cap) or yaml (one config inline, at "
            f"most {MAX_YAML // 1024} KiB). Ends within 60 s. {BOUNDS.format(command='validate-config')}",
            (
                Param("paths", "string-list", "Config files on the server's machine."),
                Param("yaml", "string", "One config's YAML text.", max_chars=MAX_YAML),
                Param("strict", "boolean", "Warnings make ok false too."),
                Param("merge", "boolean", "Validate the files as one config, merged as repeated --config are."),
                Param(
                    "distribution", "string", "Component set (default: detected).", enum=("contrib", "core", "jaeger")
                ),
                Param(
                    "collector_version", "string", "The collector release to check against, e.g. 0.119.0.", max_chars=20
                ),
            ),
            _validate,
            open_world=False,
        ),
        Tool(
            "find_trace",
            "Fetch a trace from Jaeger",
            "Run `otdiag find-trace TRACE_ID`: fetch the trace from Jaeger's query API (v3, else legacy) and say "
            f"what is wrong with it (orphan spans, clock skew, unknown_service...). {net}; with wait it polls "
            f"until the trace shows up; the call ends within 2*timeout+wait+20 s. At most 200 spans are returned. "
            f"{BOUNDS.format(command='find-trace')}",
            (
                Param("trace_id", "string", "1-32 hex digits, or a W3C traceparent.", max_chars=100),
                JAEGER,
                Param(
                    "wait", "number", "Seconds to poll until the trace shows up (default 0).", minimum=0, maximum=120
                ),
                TIMEOUT,
            ),
            _find,
            required=("trace_id",),
        ),
        Tool(
            "search_traces",
            "Search traces in Jaeger",
            "Run `otdiag find-trace --service ...`: search Jaeger by service, operation, tags, time range and "
            f"duration. At most `limit` traces (default 20, at most 50). {net}; the call ends within "
            f"2*timeout+20 s. {BOUNDS.format(command='find-trace')}",
            (
                Param("service", "string", "The service name.", max_chars=512),
                Param("operation", "string", "The span (operation) name.", max_chars=512),
                Param("tags", "string-map", "Span attributes that must match (KEY: VALUE)."),
                Param("lookback_minutes", "number", "How far back from now (default 60).", minimum=1, maximum=43200),
                Param("start", "string", "Earliest start time (RFC 3339 or Unix seconds).", max_chars=64),
                Param("end", "string", "Latest start time (default now).", max_chars=64),
                Param("limit", "integer", "At most this many traces (default 20).", minimum=1, maximum=50),
                Param("min_duration", "string", "Shortest trace duration, with its unit (10ms).", max_chars=32),
                Param("max_duration", "string", "Longest trace duration, with its unit (2s).", max_chars=32),
                JAEGER,
                TIMEOUT,
            ),
            _search,
            required=("service",),
        ),
        Tool(
            "explain_finding",
            "Explain a finding code",
            "What a finding code (as in any result's findings[].code) means, its usual causes, how to confirm "
            "it, and its fix; an unknown code is an error naming the nearest codes. Answers at once, offline.",
            (Param("code", "string", "A finding code, e.g. ingest.collector-down.", max_chars=200),),
            lambda a: None,
            open_world=False,
            required=("code",),
        ),
    ]
    if allow_send:
        out.append(
            Tool(
                "send_test_span",
                "Send one test span over OTLP",
                "Run `otdiag send-test-span`: export one test span (service otdiag-test unless service_name) and "
                "report exactly what the receiver said (accepted, rejected, refused, TLS, wrong port or path...); "
                f"with verify, poll Jaeger until it shows up. {net}; the call ends within 2*timeout+wait+20 s. "
                f"{BOUNDS.format(command='send-test-span')}",
                (
                    Param(
                        "endpoint", "string", "OTLP endpoint (default: OTEL_EXPORTER_OTLP_ENDPOINT, else localhost)."
                    ),
                    PROTOCOL,
                    HEADERS,
                    Param("insecure", "boolean", "Plaintext gRPC without scheme; skip TLS verification for https."),
                    Param("ca_file", "string", "CA certificate (PEM)."),
                    Param("service_name", "string", "service.name of the test span.", max_chars=256),
                    Param("span_name", "string", "The test span's name.", max_chars=256),
                    Param("attributes", "string-map", "Span attributes (KEY: VALUE)."),
                    Param("verify", "boolean", "Poll Jaeger until the span shows up."),
                    JAEGER,
                    Param("wait", "number", "Seconds verify may wait (default 30).", minimum=1, maximum=120),
                    Param("verify_wait", "number", "The old name of wait.", minimum=1, maximum=120),
                    TIMEOUT,
                ),
                _send,
                read_only=False,
                destructive=False,
            )
        )
    if allow_run:
        out.append(
            Tool(
                "run",
                "Run a program and see what it emits",
                "Run `otdiag run -- ARGV`: start the program with its OpenTelemetry environment pointed at a private "
                "receiver, then report spans per service and why spans are missing. It STARTS A PROGRAM on the "
                "server's machine with the server's rights. The program is stopped (SIGTERM, then SIGKILL) after "
                f"timeout seconds (default 60, at most 240). {BOUNDS.format(command='run')}",
                (
                    Param("argv", "string-list", 'The program and its arguments, e.g. ["python", "app.py"].'),
                    Param("service_name", "string", "OTEL_SERVICE_NAME to set when the app has none.", max_chars=256),
                    PROTOCOL,
                    Param("timeout", "number", "Seconds the program may run.", minimum=1, maximum=240),
                ),
                _run,
                read_only=False,
                destructive=True,
                required=("argv",),
            )
        )
    return out
