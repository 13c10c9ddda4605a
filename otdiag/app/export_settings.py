"""Resolve OTLP trace-export settings the way the OpenTelemetry specification says.

Each option resolves on its own: an explicit flag, then the per-signal
variable (`OTEL_EXPORTER_OTLP_TRACES_*`), then the generic one
(`OTEL_EXPORTER_OTLP_*`), then the default. An empty variable counts as unset.
Every resolved value remembers where it came from, so `--explain` can say why
otdiag (or the user's app) talks to that endpoint with that protocol.

See shared/docs/otel-env.md; spec: protocol/exporter.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import unquote, urlsplit

from otdiag import redact
from otdiag.errors import UsageError
from otdiag.model import Finding, Protocol, Severity

E = "OTEL_EXPORTER_OTLP_"
T = "OTEL_EXPORTER_OTLP_TRACES_"

DEFAULT_GRPC = "http://localhost:4317"
DEFAULT_HTTP_BASE = "http://localhost:4318"
TRACES_PATH = "/v1/traces"


@dataclass(frozen=True)
class Flags:
    """What the user passed on the command line (None = not given)."""

    endpoint: str | None = None
    protocol: Protocol | None = None
    headers: Mapping[str, str] | None = None
    insecure: bool | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    timeout: float | None = None
    compression: str | None = None


@dataclass(frozen=True)
class Settings:
    """Where and how a trace exporter sends, with the origin of each choice."""

    protocol: Protocol
    url: str
    """HTTP: the full POST URL. gRPC: the endpoint as given (scheme kept, for the record)."""
    host: str
    port: int
    secure: bool
    """TLS on (https, or gRPC without scheme and without insecure)."""
    headers: dict[str, str]
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    timeout: float
    """Seconds."""
    compression: str
    sources: dict[str, str] = field(default_factory=dict)
    """option -> where it came from: `--endpoint`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `default`, …"""
    notes: list[str] = field(default_factory=list)
    """Things worth telling the user about how the value was derived (dropped headers, …)."""
    unsendable_headers: list[str] = field(default_factory=list)
    """What is wrong with the environment's headers, each said without its value: "!"-prefixed, a header no SDK can
    send (a CR, LF or control character inside the value; left out of `headers`, an `ingest.bad-header` error);
    else whitespace at an end of a decoded value, which the SDKs strip (an `info` note)."""
    verify: bool = True
    """Verify the receiver's certificate (False: a collector exporter's `tls.insecure_skip_verify`)."""

    @property
    def target(self) -> str:
        """gRPC target host:port, or the HTTP URL."""
        if self.protocol is Protocol.GRPC:
            return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        return self.url

    @property
    def path(self) -> str:
        return urlsplit(self.url).path if self.protocol.is_http else ""


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value if value is not None and value.strip() != "" else None


def _pick(env: Mapping[str, str], suffix: str) -> tuple[str | None, str | None]:
    """The per-signal variable if set, else the generic one: (value, variable name)."""
    for name in (T + suffix, E + suffix):
        value = _get(env, name)
        if value is not None:
            return value.strip(), name
    return None, None


_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def check_header(name: str, value: str, origin: str) -> None:
    """A header that cannot be sent is a usage error, named without its value (it may be a secret)."""
    if not _TOKEN.match(name):
        raise UsageError(f"{origin}: header name {redact.printable(name[:40])!r} is not a valid HTTP header name")
    for i, ch in enumerate(value):
        if ch in "\r\n\x00" or (ord(ch) < 0x20 and ch != "\t") or ord(ch) == 0x7F:
            named = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)"}
            what = named.get(ch, f"control character {ord(ch):#04x}")
            raise UsageError(
                f"{origin}: the value of header {name!r} holds {what} at position {i + 1}; "
                "a header value is one line (header injection?)"
            )
        if ord(ch) > 0x7E:
            raise UsageError(
                f"{origin}: the value of header {name!r} holds a non-ASCII character at position {i + 1}; "
                "percent-encode it or remove it"
            )


def parse_headers(
    text: str, *, check: bool = True, stripped: list[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """W3C-baggage-style `k=v,k2=v2`, percent-decoded; returns (headers, problems).

    Items without '=' or with an invalid name are dropped and reported, by position and never
    with their text: a value holding a comma splits into an item that is part of a secret.
    With `check`, a value that cannot be sent (CR, LF, controls) is a UsageError.
    """
    headers: dict[str, str] = {}
    problems: list[str] = []
    stripped = [] if stripped is None else stripped
    for n, raw in enumerate(text.split(","), 1):
        item = raw.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = unquote(name.strip())
        if not sep:
            problems.append(f"header item #{n} has no '=' and was dropped (a comma inside a value must be written %2C)")
            continue
        if not _TOKEN.match(name):
            problems.append(f"header item #{n}: its name is not a valid HTTP header name; it was dropped")
            continue
        decoded = unquote(value.strip())
        # As the SDKs do (Python's parse_env_headers, Go's envconfig): decode, then strip surrounding whitespace;
        # an encoded CR LF at either end (%0D%0A) is dropped, not sent.
        headers[name.lower()] = decoded.strip()
        if decoded != decoded.strip():
            stripped.append(
                f"the value of header {redact.printable(name.lower()[:40])!r} has whitespace (a CR, LF or space) at "
                "an end once decoded; the SDKs strip it, so it is sent without"
            )
    redact.remember_headers(headers)
    if check:
        for name, value in headers.items():
            check_header(name, value, "OTEL_EXPORTER_OTLP_HEADERS")
    return headers, problems


def _protocol(flags: Flags, env: Mapping[str, str], sources: dict[str, str]) -> Protocol:
    if flags.protocol is not None:
        sources["protocol"] = "--protocol"
        return flags.protocol
    value, name = _pick(env, "PROTOCOL")
    if value is not None and name is not None:
        try:
            proto = Protocol(value)
        except ValueError:
            shown = redact.printable(value[:40])
            raise UsageError(f"{name}={shown!r} is not one of grpc, http/protobuf, http/json") from None
        sources["protocol"] = name
        return proto
    endpoint = flags.endpoint if flags.endpoint is not None else _pick(env, "ENDPOINT")[0]
    if endpoint is not None and standard_port(endpoint) == 4317:
        sources["protocol"] = PROTOCOL_FROM_PORT
        return Protocol.GRPC
    sources["protocol"] = PROTOCOL_DEFAULT
    return Protocol.HTTP_PROTOBUF


_HOST_PORT = re.compile(r"^(?:(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}|\[[0-9A-Fa-f:.]+\]):\d{1,5}(?:/\S*)?$")
"""host:port (a name of labels up to 63 characters, an IPv4 or a bracketed IPv6 address), a path allowed."""

PROTOCOL_FROM_PORT = "not set: grpc, as port 4317 says (SDKs differ when it is unset)"
"""The one rule, in check and send-test-span alike: no protocol named and port 4317 means gRPC."""
PROTOCOL_DEFAULT = "default (the specification's http/protobuf)"
PROTOCOL_FROM_PROBE = "not set: grpc, as the port answers gRPC only (SDKs differ when it is unset)"
"""No protocol named, another port, and OTLP/HTTP got a gRPC (HTTP/2) answer there: both commands then send gRPC."""
GRPC_ONLY = "answers gRPC only (OTLP/HTTP gets an HTTP/2 answer)"


def as_grpc_on_same_port(s: Settings) -> Settings | None:
    """An unset protocol's http/protobuf settings turned to gRPC on the same host:port (None when a protocol was
    named: then the named one is what the app sends, and a gRPC port is its error)."""
    if s.sources.get("protocol") != PROTOCOL_DEFAULT or not s.protocol.is_http:
        return None
    host = f"[{s.host}]" if ":" in s.host else s.host
    url = f"{'https' if s.secure else 'http'}://{host}:{s.port}"
    origin = s.sources.get("endpoint", "default").split(" (", 1)[0]  # no "/v1/traces appended": gRPC has no path
    return replace(
        s, protocol=Protocol.GRPC, url=url, sources={**s.sources, "protocol": PROTOCOL_FROM_PROBE, "endpoint": origin}
    )


def standard_port(endpoint: str) -> int | None:
    """The port an endpoint names, if any (with or without a scheme; None for a scheme OTLP does not use)."""
    text = endpoint.strip()
    if "://" in text and not text.lower().startswith(("http://", "https://")):
        return None
    try:
        return urlsplit(text if "://" in text else "//" + text).port
    except ValueError:
        return None


def _check_url(value: str, origin: str, *, require_scheme: bool) -> None:
    redact.remember_url(value)
    shown = redact.printable(redact.url(value))
    if any(ch.isspace() for ch in value) or not value.isprintable():
        raise UsageError(f"{origin}: {shown!r} contains spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise UsageError(f"{origin}: {shown!r} is not a valid URL ({exc})") from None
    try:
        _ = parts.port
    except ValueError as exc:
        raise UsageError(f"{origin}: {shown!r} has an invalid port ({exc})") from None
    if require_scheme and parts.scheme not in ("http", "https"):
        raise UsageError(f"{origin}: {shown!r} must start with http:// or https://")


def _http_url(flags: Flags, env: Mapping[str, str], sources: dict[str, str]) -> str:
    if flags.endpoint is not None:
        endpoint, assumed = flags.endpoint.strip(), ""
        if _HOST_PORT.match(endpoint):
            # host:port on the command line, as the help shows it: plaintext HTTP (the SDKs' variables need a scheme).
            endpoint, assumed = "http://" + endpoint, ", no scheme: http:// assumed"
        sources["endpoint"] = "--endpoint" + assumed
        _check_url(endpoint, "--endpoint", require_scheme=True)
        parts = urlsplit(endpoint)
        # A bare base URL on the command line gets the signal path, as a generic endpoint would.
        if parts.path in ("", "/"):
            sources["endpoint"] = f"--endpoint (base URL: /v1/traces appended{assumed})"
            return endpoint.rstrip("/") + TRACES_PATH
        return endpoint
    traces = _get(env, T + "ENDPOINT")
    if traces is not None:
        sources["endpoint"] = T + "ENDPOINT (used as is)"
        _check_url(traces.strip(), T + "ENDPOINT", require_scheme=True)
        parts = urlsplit(traces.strip())
        return traces.strip() if parts.path else traces.strip() + "/"
    generic = _get(env, E + "ENDPOINT")
    if generic is not None:
        sources["endpoint"] = E + "ENDPOINT (+ /v1/traces)"
        _check_url(generic.strip(), E + "ENDPOINT", require_scheme=True)
        return generic.strip().rstrip("/") + TRACES_PATH
    sources["endpoint"] = "default"
    return DEFAULT_HTTP_BASE + TRACES_PATH


def _grpc_endpoint(flags: Flags, env: Mapping[str, str], sources: dict[str, str]) -> str:
    if flags.endpoint is not None:
        sources["endpoint"] = "--endpoint"
        _check_url(flags.endpoint, "--endpoint", require_scheme=False)
        return flags.endpoint
    for name in (T + "ENDPOINT", E + "ENDPOINT"):
        value = _get(env, name)
        if value is not None:
            sources["endpoint"] = name
            _check_url(value.strip(), name, require_scheme=False)
            return value.strip()
    sources["endpoint"] = "default"
    return DEFAULT_GRPC


def _grpc_target(endpoint: str, origin: str) -> tuple[str, int, str | None]:
    """(host, port, scheme) of a gRPC endpoint; scheme None when it has none."""
    m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$", endpoint)
    scheme, rest = (m.group(1).lower(), m.group(2)) if m else (None, endpoint)
    if scheme not in (None, "http", "https"):
        raise UsageError(f"{origin}: {endpoint!r}: a gRPC endpoint is host:port, http://host:port or https://host:port")
    hostport = rest.split("/", 1)[0]
    try:
        parts = urlsplit("//" + hostport)
        redact.remember(parts.password)
        hostname = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{origin}: {endpoint!r} is not a valid endpoint ({exc})") from None
    if not hostname:
        raise UsageError(f"{origin}: {endpoint!r} has no host")
    return hostname, port or (443 if scheme == "https" else 4317 if scheme is None else 80), scheme


MAX_PEM_BYTES = 16 * 1024 * 1024


def _check_pem_file(path: str | None, origin: str) -> None:
    """A certificate or key path that exists must be a regular file of a sane size: TLS libraries read
    it whole, and a device or FIFO there would hang or flood them. (A missing one is reported later.)"""
    import stat
    from pathlib import Path

    if not path:
        return
    try:
        st = Path(path).stat()
    except OSError:
        return
    except ValueError:
        raise UsageError(f"{origin}: the path holds a NUL byte") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{origin}: {redact.printable(path)} is not a regular file")
    if st.st_size > MAX_PEM_BYTES:
        raise UsageError(f"{origin}: {redact.printable(path)} is larger than 16 MiB; that is not a PEM file")


def _insecure(flags: Flags, env: Mapping[str, str], sources: dict[str, str]) -> bool | None:
    if flags.insecure:
        sources["insecure"] = "--insecure"
        return True
    value, name = _pick(env, "INSECURE")
    if value is not None:
        sources["insecure"] = str(name)
        return value.lower() == "true"
    return None


def _http_where(flags: Flags, env: Mapping[str, str], sources: dict[str, str]) -> tuple[str, str, int, bool]:
    """HTTP: the POST URL, its host and port, and whether TLS is on (https)."""
    url = _http_url(flags, env, sources)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UsageError(f"{sources['endpoint']}: {redact.url(url)!r} is not a valid URL ({exc})") from None
    if not host:
        raise UsageError(f"{sources['endpoint']}: {redact.url(url)!r} has no host")
    secure = parts.scheme == "https"
    sources["tls"] = "https:// scheme" if secure else "http:// scheme"
    return url, host, port, secure


def _grpc_where(
    flags: Flags, env: Mapping[str, str], sources: dict[str, str], insecure: bool | None, notes: list[str]
) -> tuple[str, str, int, bool]:
    """gRPC: the endpoint as given, its host and port, and whether TLS is on (scheme, else insecure)."""
    url = _grpc_endpoint(flags, env, sources)
    host, port, scheme = _grpc_target(url, sources["endpoint"])
    if scheme == "https":
        secure = True
        sources["tls"] = "https:// scheme"
    elif scheme == "http":
        secure = False
        sources["tls"] = "http:// scheme"
    else:
        secure = not insecure
        sources["tls"] = (
            f"no scheme, {sources['insecure']}" if insecure is not None else "no scheme: TLS (insecure unset)"
        )
    if urlsplit(url if scheme else "//" + url).path not in ("", "/"):
        notes.append("a path in a gRPC endpoint is ignored (gRPC has no URL path)")
    return url, host, port, secure


def _headers(
    flags: Flags, env: Mapping[str, str], sources: dict[str, str], notes: list[str], unsendable: list[str]
) -> dict[str, str]:
    if flags.headers:
        sources["headers"] = "--header"
        return {k.lower(): v for k, v in flags.headers.items()}
    raw, name = _pick(env, "HEADERS")
    stripped: list[str] = []
    headers, problems = parse_headers(raw, check=False, stripped=stripped) if raw else ({}, [])
    notes.extend(f"{name}: {p}" for p in problems)
    unsendable.extend(f"{name}: {p}" for p in stripped)
    sources["headers"] = name or "none"
    for key, value in list(headers.items()):
        try:
            check_header(key, value, str(name))
        except UsageError as exc:
            # The app's SDK cannot send it either (every export fails in the app): a finding, and the endpoint is
            # still probed, without that header.
            del headers[key]
            unsendable.append("!" + str(exc))
    return headers


def _files(flags: Flags, env: Mapping[str, str], sources: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """The CA, client certificate and client key files, each checked to be a PEM file."""

    def file_opt(flag_value: str | None, suffix: str, key: str) -> str | None:
        if flag_value:
            sources[key] = f"--{key.replace('_', '-')}"
            return flag_value
        value, name = _pick(env, suffix)
        if value:
            sources[key] = str(name)
        return value

    ca = file_opt(flags.ca_file, "CERTIFICATE", "ca_file")
    cert = file_opt(flags.cert_file, "CLIENT_CERTIFICATE", "cert_file")
    key = file_opt(flags.key_file, "CLIENT_KEY", "key_file")
    for path, origin in ((ca, "ca_file"), (cert, "cert_file"), (key, "key_file")):
        _check_pem_file(path, sources.get(origin, origin))
    return ca, cert, key


def _timeout(flags: Flags, env: Mapping[str, str], sources: dict[str, str], notes: list[str]) -> float:
    """Seconds: the flag, else the variable (milliseconds), else 10s."""
    if flags.timeout is not None:
        sources["timeout"] = "--timeout"
        return flags.timeout
    raw_t, name_t = _pick(env, "TIMEOUT")
    sources["timeout"] = "default (10s)"
    if raw_t is None:
        return 10.0
    try:
        ms = float(raw_t)
    except ValueError:
        notes.append(f"{name_t}={raw_t!r} is not a number of milliseconds; using 10s")
        return 10.0
    if ms > 0:
        sources["timeout"] = f"{name_t} (milliseconds)"
        return ms / 1000
    notes.append(f"{name_t}={raw_t!r}: 0 means no limit in the spec; otdiag still waits 10s")
    return 10.0


def _compression(flags: Flags, env: Mapping[str, str], sources: dict[str, str], notes: list[str]) -> str:
    if flags.compression is not None:
        sources["compression"] = "--compression"
        return flags.compression
    raw_c, name_c = _pick(env, "COMPRESSION")
    compression = (raw_c or "none").lower()
    sources["compression"] = name_c or "default"
    if compression not in ("gzip", "none"):
        notes.append(f"{name_c}={raw_c!r} is not gzip or none; sending uncompressed")
        compression = "none"
    return compression


def resolve(flags: Flags, env: Mapping[str, str]) -> Settings:
    """The export settings for traces; raises UsageError for values that cannot work."""
    sources: dict[str, str] = {}
    notes: list[str] = []
    protocol = _protocol(flags, env, sources)
    insecure = _insecure(flags, env, sources)
    if protocol.is_http:
        url, host, port, secure = _http_where(flags, env, sources)
    else:
        url, host, port, secure = _grpc_where(flags, env, sources, insecure, notes)
    unsendable: list[str] = []
    headers = _headers(flags, env, sources, notes, unsendable)
    ca, cert, key = _files(flags, env, sources)
    timeout = _timeout(flags, env, sources, notes)
    compression = _compression(flags, env, sources, notes)
    return Settings(
        protocol=protocol,
        url=url,
        host=host,
        port=port,
        secure=secure,
        headers=headers,
        ca_file=ca,
        cert_file=cert,
        key_file=key,
        timeout=timeout,
        compression=compression,
        sources=sources,
        notes=notes,
        unsendable_headers=unsendable,
    )


BASIC_FROM_URL = f"Basic {redact.REDACTED} (built from the URL's user info)"


def shown_endpoint(s: Settings) -> str:
    """The endpoint as it may be shown: the HTTP URL without its password, or the gRPC target."""
    return redact.url(s.url) if s.protocol.is_http else s.target


def shown_headers(s: Settings) -> dict[str, str]:
    """The headers as they may be shown: values redacted; for an HTTP URL with user info, the
    Authorization: Basic header the client builds from it, named but never with its value."""
    shown = redact.headers(s.headers)
    if s.protocol.is_http and "authorization" not in shown and "@" in urlsplit(s.url).netloc:
        shown["authorization"] = BASIC_FROM_URL
    return shown


def unsendable_findings(s: Settings) -> list[Finding]:
    """One `ingest.bad-header` finding per header the app's SDK cannot send: check and send-test-span alike."""
    from otdiag import catalogue as c

    out = [
        c.INGEST_BAD_HEADER(
            f"{why[1:]}. The app's SDK cannot send it, so its exports fail before they leave the app "
            "(otdiag probes the endpoint without that header).",
            target=s.sources.get("headers"),
        )
        for why in s.unsendable_headers
        if why.startswith("!")
    ]
    # Whitespace at an end of a decoded value: stripped by the SDKs and by otdiag alike, so nothing fails.
    return out + [
        c.SETTINGS_NOTE(why, severity=Severity.INFO) for why in s.unsendable_headers if not why.startswith("!")
    ]


def settings_json(s: Settings) -> dict[str, object]:
    """The settings for a JSON report: secrets redacted, each origin in `sources`."""
    return {
        "endpoint": shown_endpoint(s),
        "protocol": s.protocol.value,
        "tls": "on" if s.secure else "off",
        "headers": shown_headers(s),
        "ca_file": s.ca_file,
        "cert_file": s.cert_file,
        "timeout_s": s.timeout,
        "compression": s.compression,
        "sources": s.sources,
    }
