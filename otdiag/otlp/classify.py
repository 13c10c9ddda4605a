"""One classifier for every failed OTLP export, whoever saw it.

`send-test-span` and `check` see a failure on the wire (a status, a gRPC
code, a transport cause); `run` sees it inside the app, as an exporter's
exception or log line; other runtimes print it on stderr. All of them go
through `classify` (a structured `Failure`) or `classify_text` (any
language's error line), so the same failure gets the same finding code and
the same fix in every command.

Both functions are pure: no network, no clock. Observations that need the
network (what a port speaks, whether it takes a TCP connection) are made by
the caller and passed in as fields of `Failure`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag.catalogue import Kind
from otdiag.model import Finding, Protocol, Severity
from otdiag.net.transport import Cause, classify_tls_text
from otdiag.redact import REDACTED, clean
from otdiag.redact import url as redact_url

TRACES_PATH = "/v1/traces"


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed export, as structured as whoever saw it could make it."""

    protocol: Protocol | None = None
    """None: not known (an error line from another runtime)."""
    target: str = ""
    """The URL (HTTP) or host:port (gRPC) the export went to, redacted."""
    http_status: int | None = None
    grpc_code: str | None = None
    """Upper-case name: UNAVAILABLE, UNIMPLEMENTED, …"""
    cause: Cause | None = None
    """A connection-level failure: no answer in the protocol at all."""
    message: str = ""
    """The receiver's words, or the exception / log text."""
    tls: bool | None = None
    """The exporter spoke TLS (None: not known)."""
    port_speaks: str | None = None
    """What the port turned out to speak (a `PortKind` value), when someone looked."""
    tcp_accepts: bool = False
    """The port took a TCP connection at once (a gRPC deadline is then a silent server, not a black hole)."""
    retry_after: str | None = None
    set_in_code: bool = False
    """The URL was given to the exporter's constructor (used as is: no /v1/traces appended)."""
    plaintext_receiver: bool = False
    """The receiver is known to speak plaintext (otdiag's own)."""
    client_side: bool = False
    """A gRPC code the client library made up (an error line), not one a server sent."""
    bad_header: bool = False
    """The client refused to send a header (a forbidden character in its value)."""
    scheme: str | None = None
    """The endpoint's scheme as the exporter was given it ("https", "http", "" for none); None: not known (then
    read from `target` when that is a URL)."""


@dataclass(frozen=True, slots=True)
class Classified:
    """The finding kind for a failure, its message and its specific fix."""

    kind: Kind
    message: str
    hint: str | None = None
    """None: the kind's own fix."""

    @property
    def code(self) -> str:
        return self.kind.code

    @property
    def fix(self) -> str:
        return self.hint or self.kind.hint

    def finding(
        self,
        *,
        target: str | None = None,
        evidence: tuple[str, ...] | list[str] = (),
        severity: Severity | None = None,
        prefix: str = "",
    ) -> Finding:
        return self.kind(prefix + self.message, hint=self.hint, target=target, evidence=evidence, severity=severity)


# --- the structured classifier ------------------------------------------------------------------

_TLS_KINDS = {
    Cause.TLS_TO_PLAINTEXT: c.INGEST_TLS_TO_PLAINTEXT,
    Cause.PLAINTEXT_TO_TLS: c.INGEST_PLAINTEXT_TO_TLS,
    Cause.TLS_UNKNOWN_CA: c.INGEST_TLS_UNKNOWN_CA,
    Cause.TLS_EXPIRED: c.INGEST_TLS_EXPIRED,
    Cause.TLS_HOSTNAME: c.INGEST_TLS_HOSTNAME,
    Cause.TLS_CLIENT_CERT: c.INGEST_TLS_CLIENT_CERT,
    Cause.TLS_OTHER: c.INGEST_TLS_OTHER,
}


def classify(f: Failure) -> Classified:
    """The one verdict for a failed export (an accepted one is not a `Failure`)."""
    if f.cause is not None:
        return _transport(f)
    if f.http_status is not None:
        return _http(f)
    if f.grpc_code is not None:
        return _grpc(f)
    t = f.target or "the receiver"
    return Classified(c.INGEST_REJECTED, f"The export to {t} failed.{_said(f)}")


def _host(target: str) -> str:
    if "://" in target:
        return urlsplit(target).hostname or target
    return target.rsplit(":", 1)[0].strip("[]") if ":" in target else target


def _said(f: Failure) -> str:
    return f" The receiver said: {f.message!r}." if f.message else ""


def _transport(f: Failure) -> Classified:
    t = f.target or "the endpoint"
    if f.bad_header:
        return Classified(c.INGEST_BAD_HEADER, f"The export to {t} was never sent: a header value is not valid.")
    match f.cause:
        case Cause.REFUSED:
            return Classified(c.INGEST_REFUSED, f"Nothing listens at {t} (connection refused).")
        case Cause.CONNECT_TIMEOUT if f.tls and f.plaintext_receiver:
            return _tls(Cause.TLS_TO_PLAINTEXT, f)
        case Cause.CONNECT_TIMEOUT if f.protocol is Protocol.GRPC and f.tcp_accepts:
            # gRPC says only "deadline exceeded": a port that takes a TCP connection at once is a server
            # that took the call and never answered, not a connection attempt that timed out.
            return Classified(
                c.INGEST_SLOW, f"{t} accepted the connection but sent no answer to the gRPC call in time."
            )
        case Cause.CONNECT_TIMEOUT:
            return Classified(c.INGEST_TIMEOUT, f"No answer from {t}: the connection attempt timed out.")
        case Cause.READ_TIMEOUT:
            return Classified(c.INGEST_SLOW, f"{t} accepted the connection but sent no answer in time.")
        case Cause.DNS:
            return Classified(c.INGEST_DNS, f"The host name {_host(t)!r} does not resolve.")
        case Cause.UNREACHABLE:
            return Classified(c.INGEST_UNREACHABLE, f"No route to {t}.")
        case cause if cause in _TLS_KINDS:
            return _tls(cause, f)
        case _:
            return _port(f)


def _port(f: Failure) -> Classified:
    """Closed, or answered in another protocol: what the port speaks settles it."""
    t = f.target or "the endpoint"
    kind = f.port_speaks
    if kind == "tls" and not f.tls:
        return _tls(Cause.PLAINTEXT_TO_TLS, f)
    if f.protocol is Protocol.GRPC and kind == "http/1.1":
        return Classified(c.INGEST_GRPC_TO_HTTP, f"{t} speaks HTTP/1.1, not gRPC: it looks like an OTLP/HTTP port.")
    if f.protocol is not None and f.protocol.is_http and kind == "h2c":
        return Classified(
            c.INGEST_HTTP_TO_GRPC, f"{t} speaks HTTP/2 (gRPC), not HTTP/1.1: it looks like an OTLP/gRPC port."
        )
    if f.cause is Cause.CLOSED:
        return Classified(c.INGEST_CLOSED, f"{t} closed the connection without answering.")
    detail = f" ({f.message})" if f.message else ""
    return Classified(c.INGEST_NOT_OTLP, f"{t} did not answer as an OTLP receiver{detail}.")


def _tls(cause: Cause, f: Failure) -> Classified:
    t = f.target or "the endpoint"
    messages = {
        Cause.TLS_TO_PLAINTEXT: f"The export spoke TLS to {t}, but that port is plaintext.",
        Cause.PLAINTEXT_TO_TLS: f"{t} expects TLS, but the export was sent in plaintext.",
        Cause.TLS_UNKNOWN_CA: f"{t}'s certificate is signed by an unknown CA.",
        Cause.TLS_EXPIRED: f"{t}'s certificate has expired or is not yet valid.",
        Cause.TLS_HOSTNAME: f"{t}'s certificate does not match the host name {_host(t)!r}.",
        Cause.TLS_CLIENT_CERT: f"{t} requires a client certificate (mTLS) and rejected the handshake.",
        Cause.TLS_OTHER: f"The TLS handshake with {t} failed.",
    }
    hint = None
    if cause is Cause.TLS_TO_PLAINTEXT and f.protocol is Protocol.GRPC:
        hint = _grpc_tls_to_plaintext_fix(f)
    elif cause is Cause.TLS_TO_PLAINTEXT:
        hint = f"Use http://{_hostport(f.target)} instead of https:// in the endpoint."
    return Classified(_TLS_KINDS[cause], messages[cause], hint)


def _hostport(target: str) -> str:
    """host:port of a target (a URL or host:port); "host:port" when nothing names one."""
    if "://" in target:
        try:
            return urlsplit(target).netloc.rsplit("@", 1)[-1] or "host:port"
        except ValueError:
            return "host:port"
    return target or "host:port"


def _grpc_tls_to_plaintext_fix(f: Failure) -> str:
    """The fix that works for what the endpoint says: the scheme decides TLS before any insecure setting does."""
    scheme = f.scheme
    if scheme is None and "://" in f.target:
        scheme = f.target.split("://", 1)[0].lower()
    hp = _hostport(f.target)
    if scheme == "https":
        return (
            f"Change the endpoint to http://{hp}: with https:// the gRPC exporter always uses TLS and ignores "
            "OTEL_EXPORTER_OTLP_INSECURE and insecure=True."
        )
    if scheme == "":
        return (
            f"Use http://{hp} (plaintext), or set OTEL_EXPORTER_OTLP_INSECURE=true (insecure=True for an "
            "exporter built in code): a scheme-less gRPC endpoint means TLS."
        )
    if scheme == "http":
        return (
            f"Drop OTEL_EXPORTER_OTLP_INSECURE=false (insecure=False in code): with http://{hp} the exporter "
            "should speak plaintext."
        )
    return (
        f"Use http://{hp} (plaintext): an https:// endpoint always means TLS; for a scheme-less one, "
        "OTEL_EXPORTER_OTLP_INSECURE=true (insecure=True in code) turns TLS off."
    )


def _path_of(target: str) -> str | None:
    return urlsplit(target).path if "://" in target else None


def _http(f: Failure) -> Classified:
    t = f.target or "the receiver"
    status = f.http_status or 0
    said, low = _said(f), f.message.lower()
    if "sending queue is full" in low:
        return _queue_full(t, said)
    if status == 404:
        return _not_found(f)
    if status == 405:
        return Classified(c.INGEST_METHOD, f"405 from {t}: the method is not allowed there.{said}")
    if status == 415:
        return Classified(c.INGEST_MEDIA_TYPE, f"415 from {t}: the Content-Type was refused.{said}")
    if status in (401, 403):
        return Classified(c.INGEST_AUTH, f"{status} from {t}: the receiver refused the credentials.{said}")
    if status == 413:
        return Classified(c.INGEST_TOO_LARGE, f"413 from {t}: the request is too large.{said}")
    if status == 400:
        if "http request to an https server" in low:
            return Classified(
                c.INGEST_PLAINTEXT_TO_TLS, f"{t} expects TLS, but the export was sent in plaintext.{said}"
            )
        if "too large" in low or "larger than" in low:
            return Classified(c.INGEST_TOO_LARGE, f"400 from {t}: the request is too large.{said}")
        return Classified(c.INGEST_BAD_REQUEST, f"400 from {t}: the request could not be decoded.{said}")
    if status in (429, 503):
        retry = f" (Retry-After: {f.retry_after})" if f.retry_after else ""
        return Classified(c.COLLECTOR_REFUSING, f"{status} from {t}: the collector is refusing data{retry}.{said}")
    if status in {502, 504}:
        return Classified(c.INGEST_REJECTED, f"{status} from {t}: a proxy in front of the receiver failed.{said}")
    return Classified(c.INGEST_REJECTED, f"{status} from {t}.{said}")


def _not_found(f: Failure) -> Classified:
    t = f.target or "the receiver"
    path = _path_of(f.target)
    if path is None:
        return Classified(c.INGEST_NOT_FOUND, f"404 from {t}: the receiver serves nothing at that path.")
    if path.rstrip("/").endswith(f"{TRACES_PATH}{TRACES_PATH}"):
        return Classified(
            c.INGEST_PATH_DOUBLED,
            f"404 from {t}: the path has /v1/traces twice.",
            "Give the exporter the URL with /v1/traces once: in code, endpoint= is used as is; "
            "OTEL_EXPORTER_OTLP_ENDPOINT takes the base URL (http://host:4318) and the SDK appends /v1/traces."
            if f.set_in_code
            else None,
        )
    if path in ("", "/"):
        return Classified(
            c.INGEST_PATH_MISSING,
            f"404 from {t}: the exporter posted to {path or '/'}, not /v1/traces.",
            f"An exporter built in code uses endpoint= as is: pass {t.rstrip('/')}{TRACES_PATH}, or drop "
            "endpoint= so the SDK appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT."
            if f.set_in_code
            else None,
        )
    if path.endswith(TRACES_PATH) or path.rstrip("/").endswith(TRACES_PATH):
        if path.endswith("/"):
            return Classified(
                c.INGEST_NOT_FOUND,
                f"404 from {t}: the path ends in a slash; the collector serves /v1/traces exactly.",
                "Remove the trailing slash from the endpoint.",
            )
        if path != TRACES_PATH:
            return Classified(
                c.INGEST_NOT_FOUND,
                f"404 from {t}: the receiver serves /v1/traces, not {path}.",
                "Drop the prefix before /v1/traces, unless a proxy in front of the collector expects it.",
            )
        return Classified(
            c.INGEST_NO_TRACES,
            f"404 from {t}: the path is right, so the receiver is likely not in a traces pipeline.",
            "Add the receiver to a traces pipeline, or check for a trailing slash or proxy prefix.",
        )
    return Classified(c.INGEST_NOT_FOUND, f"404 from {t}: nothing is served at {path}.")


def _queue_full(t: str, said: str) -> Classified:
    return Classified(
        c.EXPORT_QUEUE_FULL,
        f"The collector at {t} turned the span away because its exporter's sending queue is full.{said}",
    )


def _grpc(f: Failure) -> Classified:
    t = f.target or "the receiver"
    code = f.grpc_code or ""
    said, msg = _said(f), f.message.lower()
    if "sending queue is full" in msg:
        return _queue_full(t, said)
    if "too large" in msg or "larger than max" in msg or "message larger" in msg:
        return Classified(c.INGEST_TOO_LARGE, f"{code} from {t}: the request is too large.{said}")
    if code in ("UNIMPLEMENTED", "UNAVAILABLE", "INTERNAL", "UNKNOWN") and (
        "http2 header with status" in msg or "unexpected http status" in msg or "content-type" in msg
    ):
        # An HTTP server that speaks HTTP/2 (h2c) answered the gRPC call with a plain HTTP status.
        return Classified(
            c.INGEST_GRPC_TO_HTTP,
            f"{t} answered the gRPC call with an HTTP status: an HTTP port (OTLP/HTTP?), not gRPC.{said}",
        )
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return Classified(c.INGEST_AUTH, f"{code} from {t}: the receiver refused the credentials.{said}")
    if code == "RESOURCE_EXHAUSTED":
        return Classified(c.COLLECTOR_REFUSING, f"RESOURCE_EXHAUSTED from {t}.{said}")
    if code == "UNIMPLEMENTED":
        return Classified(c.INGEST_NO_TRACES, f"UNIMPLEMENTED from {t}: the port has no OTLP trace service.{said}")
    if code in ("UNAVAILABLE", "DEADLINE_EXCEEDED") and f.tls and f.plaintext_receiver:
        return _tls(Cause.TLS_TO_PLAINTEXT, f)
    if code == "UNAVAILABLE" and f.client_side:
        hint = (
            "Start the collector there, or point the exporter at the address it listens on; with a scheme-less "
            "endpoint the gRPC exporter speaks TLS (insecure=True / OTEL_EXPORTER_OTLP_INSECURE=true for plaintext)."
        )
        return Classified(
            c.INGEST_REFUSED, f"UNAVAILABLE: the gRPC exporter could not connect to {t}.{_detail(f)}", hint
        )
    if code == "UNAVAILABLE":
        return Classified(c.COLLECTOR_REFUSING, f"UNAVAILABLE from {t}: the collector refused the data.{said}")
    if code == "DEADLINE_EXCEEDED":
        return Classified(c.INGEST_SLOW, f"DEADLINE_EXCEEDED: {t} did not answer the export in time.{_detail(f)}")
    return Classified(c.INGEST_REJECTED, f"{code} from {t}.{said}")


def _detail(f: Failure) -> str:
    return f" The error was: {f.message!r}." if f.message else ""


# --- any runtime's error line ---------------------------------------------------------------------

_GRPC_NUMBERS = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 12: "UNIMPLEMENTED", 13: "INTERNAL",
    14: "UNAVAILABLE", 16: "UNAUTHENTICATED",
}  # fmt: skip
_GRPC_NAMES = set(_GRPC_NUMBERS.values())
_CAMEL = {n.replace("_", "").lower(): n for n in _GRPC_NAMES}

_URL = re.compile(r"https?://[^\s\"'<>()\[\],]+", re.IGNORECASE)
_HOSTPORT = re.compile(r"(?<![\w/.-])((?:[a-z0-9-]+\.)*[a-z0-9-]+|\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})\b", re.I)
_HTTP_STATUS = (
    re.compile(r"\bcode:\s*'?(\d{3})\b", re.I),  # Python "batch code: 404", Node "code: '404'"
    re.compile(r"\bHTTP status code (\d{3})\b", re.I),  # Java
    re.compile(r"\bstatus(?:[ _]code)?[:= ]\s*(\d{3})\b", re.I),
    re.compile(r"\bHTTP(?:/[\d.]+)?\s+(\d{3})\b"),
    re.compile(r":\s(\d{3}) [A-Z][a-z]+(?: [A-Z][a-z]+)*\b"),  # Go "…/v1/traces: 404 Not Found"
)
_REASONS = {
    "not found": 404, "unsupported media type": 415, "unauthorized": 401, "forbidden": 403,
    "payload too large": 413, "request entity too large": 413, "method not allowed": 405,
    "too many requests": 429, "service unavailable": 503, "bad gateway": 502,
}  # fmt: skip
_GRPC_TEXT = (
    re.compile(r"StatusCode\.([A-Z_]+)"),  # Python
    re.compile(r"\bcode = ([A-Za-z]+)"),  # Go
    re.compile(r"gRPC status code (\d+)", re.I),  # Java
    re.compile(r"\b(\d{1,2}) ([A-Z_]{6,})\b"),  # Node "14 UNAVAILABLE: …"
    re.compile(r"\b([A-Z]+_[A-Z_]+|UNAVAILABLE|UNIMPLEMENTED|UNAUTHENTICATED|INTERNAL)\b"),
)
_REFUSED = re.compile(r"connection refused|ECONNREFUSED|Errno 111\b|Failed to connect to \S+/|ConnectException", re.I)
_DNS = re.compile(
    r"no such host|name or service not known|nodename nor servname|ENOTFOUND|EAI_AGAIN|UnknownHostException|"
    r"temporary failure in name resolution|getaddrinfo failed|DNS resolution failed|could not resolve host",
    re.I,
)
_UNREACHABLE = re.compile(r"no route to host|network is unreachable|EHOSTUNREACH|ENETUNREACH", re.I)
_TIMEOUT = re.compile(
    r"timed? ?out|ETIMEDOUT|deadline exceeded|DeadlineExceeded|DEADLINE_EXCEEDED|ESOCKETTIMEDOUT|"
    r"SocketTimeoutException|InterruptedIOException",
    re.I,
)
_CONNECT_TIMEOUT = re.compile(r"connect(?:ion)? (?:timed out|timeout)|ConnectTimeout|connect ETIMEDOUT", re.I)
_TLS_TO_PLAIN = re.compile(
    r"server gave HTTP response to HTTPS client|Unsupported or unrecognized SSL message|EPROTO.*wrong version|"
    r"WRONG_VERSION_NUMBER|wrong version number|first record does not look like a TLS handshake|"
    r"packet length too long|record layer failure",
    re.I,
)
_PLAIN_TO_TLS = re.compile(r"Client sent an HTTP request to an HTTPS server|http request to an https server", re.I)
_CLOSED = re.compile(
    r"ECONNRESET|connection reset|socket hang up|unexpected end of stream|RemoteDisconnected|EOF occurred|"
    r"server closed the connection|Connection aborted|\bEOF\b",
    re.I,
)
_H2_ANSWER = re.compile(
    r"(?:BadStatusLine\(|malformed HTTP response )['\"]\\x00\\x00(?:\\x[0-9a-fA-F]{2}|[^\\'\"])\\x04"
)
"""An HTTP/1.1 client quoting an HTTP/2 SETTINGS frame as the status line (Python's http.client, Go's
net/http): the port answered in HTTP/2, so it is a gRPC port."""
_H2_ANSWER_NODE = re.compile(r"Parse Error: Expected HTTP/|HPE_INVALID_CONSTANT")
"""Node's HTTP client (llhttp) given an HTTP/2 SETTINGS frame where a status line should be: a gRPC port."""
_H1_ANSWER = re.compile(
    r"error reading server preface: http2: frame too large|Trying to connect an http1\.x server|"
    r"No connection established\. Last error: Protocol error"
)
"""A gRPC client given an HTTP/1.1 answer where the HTTP/2 preface should be (Go's grpc, Python's grpcio,
Node's grpc-js): the port is an OTLP/HTTP one."""
_SIGNS = re.compile(
    r"export|OTLP|exporter|/v1/traces|StatusCode\.|rpc error|Failed to (?:export|connect)|span batch", re.I
)
_BAD_HEADER = re.compile(
    r"(?:invalid|illegal|forbidden)\b[^\n]{0,100}\bheader (?:value|name|field)|header (?:value|name)[^\n]{0,40}"
    r"\b(?:invalid|not valid|illegal)|ERR_INVALID_CHAR|Invalid metadata|metadata was invalid",
    re.I,
)
_DNS_HOST = re.compile(
    r"lookup (\S+?)(?: on |:)|UnknownHostException: ([^\s:]+)|ENOTFOUND (\S+)|resolve host:? '?(\S+?)'?\b",
)
_HEADER_VALUE = re.compile(r"(header (?:value|field)[^'\"\n]{0,40}?)(['\"])(.*?)\2", re.I)


def scrub_error(text: str) -> str:
    """An SDK error line made safe to show: secrets removed, a quoted header value never printed."""
    return clean(_HEADER_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text))


def parse_text(
    text: str,
    *,
    protocol: Protocol | None = None,
    target: str = "",
    tls: bool | None = None,
    set_in_code: bool = False,
    plaintext_receiver: bool = False,
) -> Failure | None:
    """A `Failure` read from any runtime's error text; None when the text names no export failure."""
    safe = scrub_error(text)[:2000]
    url = _URL.search(safe)
    if not target:
        if url is not None:
            target = redact_url(url.group(0).rstrip(".:;"))
        else:
            hp = _host_port(safe)
            target = f"{hp.group(1)}:{hp.group(2)}" if hp else ""
    if protocol is None and url is not None and TRACES_PATH in url.group(0):
        protocol = Protocol.HTTP_PROTOBUF
    base = Failure(
        protocol=protocol, target=target, message=_short(safe), tls=tls, set_in_code=set_in_code,
        plaintext_receiver=plaintext_receiver,
    )  # fmt: skip
    if tls is None and target.lower().startswith("https://"):
        base = replace(base, tls=True)
    if _BAD_HEADER.search(safe):
        return replace(base, cause=Cause.OTHER, bad_header=True)
    if _H2_ANSWER.search(safe) or _H2_ANSWER_NODE.search(safe):
        return replace(base, cause=Cause.CLOSED, port_speaks="h2c", protocol=protocol or Protocol.HTTP_PROTOBUF)
    if _H1_ANSWER.search(safe):
        return replace(base, cause=Cause.CLOSED, port_speaks="http/1.1", protocol=Protocol.GRPC)
    cause = _cause(safe)
    if cause is Cause.DNS:
        host = _DNS_HOST.search(safe)
        if host is not None:
            name = next(g for g in host.groups() if g)
            base = replace(base, target=name.strip("'\"").rstrip(":"))
    if cause is not None:
        return replace(base, cause=cause)
    status = _http_status(safe)
    if status is not None and status >= 400:
        return replace(base, http_status=status)
    code = _grpc_code(safe)
    if code is not None and code != "OK":
        return replace(base, grpc_code=code, client_side=True, protocol=protocol or Protocol.GRPC)
    if _TIMEOUT.search(safe) and _SIGNS.search(safe):
        return replace(base, cause=Cause.READ_TIMEOUT)
    if _CLOSED.search(safe) and _SIGNS.search(safe):
        return replace(base, cause=Cause.CLOSED)
    return None


def _host_port(text: str) -> re.Match[str] | None:
    """The first host:port in an error line; a clock (a log line's `22:06:01`) is not one."""
    for m in _HOSTPORT.finditer(text):
        host, end = m.group(1), m.end()
        if host.isdigit() or (text[end : end + 1] == ":" and text[end + 1 : end + 2].isdigit()):
            continue
        return m
    return None


def classify_text(text: str, **context: object) -> Classified | None:
    """The verdict for any language's export error line (Python, Node, Java, Go, …); None: not recognised.

    `context` takes what the caller knows better than the text: `protocol`, `target`, `tls`,
    `set_in_code`, `plaintext_receiver` (the keyword arguments of `parse_text`).
    """
    failure = parse_text(text, **context)  # type: ignore[arg-type]
    return None if failure is None else classify(failure)


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:299] + "…"


def _cause(text: str) -> Cause | None:
    if _PLAIN_TO_TLS.search(text):
        return Cause.PLAINTEXT_TO_TLS
    if _TLS_TO_PLAIN.search(text):
        return Cause.TLS_TO_PLAINTEXT
    tls = classify_tls_text(text) if re.search(r"ssl|tls|certificate|x509|handshake", text, re.I) else None
    if tls is not None:
        return tls
    if _DNS.search(text):
        return Cause.DNS
    if _REFUSED.search(text):
        return Cause.REFUSED
    if _UNREACHABLE.search(text):
        return Cause.UNREACHABLE
    if _CONNECT_TIMEOUT.search(text):
        return Cause.CONNECT_TIMEOUT
    return None


def _http_status(text: str) -> int | None:
    for pattern in _HTTP_STATUS:
        m = pattern.search(text)
        if m is not None and 100 <= int(m.group(1)) <= 599:
            return int(m.group(1))
    if re.search(r"OTLPExporterError|HTTP status|status code|\bHTTP\b", text):
        low = text.lower()
        for reason, status in _REASONS.items():
            if reason in low:
                return status
    return None


def _grpc_code(text: str) -> str | None:
    for pattern in _GRPC_TEXT:
        for m in pattern.finditer(text):
            raw = m.group(1)
            if raw.isdigit():
                name = _GRPC_NUMBERS.get(int(raw))
                if name is not None and (pattern is _GRPC_TEXT[2] or m.group(0).endswith(name)):
                    return name
                continue
            name = raw if raw in _GRPC_NAMES else _CAMEL.get(raw.lower())
            if name is not None:
                return name
    return None
