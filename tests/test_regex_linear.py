"""Every regular expression in otdiag is registered here with how it is applied, and is pumped with
adversarial text: none may take more than linear time on text from outside otdiag (issue 24).

A new pattern makes `test_every_pattern_is_registered` fail until it is added to PATTERNS below, as
"search" (applied anywhere in untrusted text), "anchored" (only `match`/`fullmatch` on untrusted text) or
"trusted: why" (only otdiag's own text or the user's command line). The registered patterns then go
through `test_pattern_is_linear`: inputs built from the pattern's own pieces, repeated to 128 KiB, each
under a bound that a linear scan meets a hundred times over and a quadratic one misses by far.
"""

from __future__ import annotations

import ast
import importlib
import re
import time
from pathlib import Path
from typing import Any

import pytest

C: Any = importlib.import_module("re._constants")
P: Any = importlib.import_module("re._parser")
ROOT = Path(__file__).resolve().parent.parent / "otdiag"
_CALLS = {"compile", "sub", "subn", "search", "match", "fullmatch", "findall", "finditer", "split"}
SIZE = 128 * 1024
BOUND_S = 2.0
"""Per input of SIZE: a linear pattern takes a few milliseconds; a quadratic one, seconds to hours."""

S, A = "search", "anchored"
PATTERNS: dict[str, str] = {
    # redact: every output string goes through these
    r"(token|key|secret|password|passwd|pwd|auth|signature|sig)": S,
    r"(?i)(?<![a-z0-9+.\-])\b([a-z][a-z0-9+.\-]*+://)([^\s\"'`@/]*+)@": S,
    r"(?<![\w/@.:%+-])([\w.%+-]{1,64}):([^\s@/\"'`:]{1,256})@(?=[A-Za-z0-9\[][\w.\-:\[\]]*(?:[:/\s\"'`]|$))": S,
    r"([?&;#])([^=&#?;\s\"'`]*+)=": S,
    r"[^&#\s\"'`]*+": S,
    r"(?i)token|key|secret|password|passwd|pwd|auth|signature|sig|credential": S,
    r"(?i)\b((?:proxy-)?authorization|x-api-key|api[-_]?key|apikey|x-auth-token|access[-_]?token|"
    r"auth[-_]?token|bearer[-_]?token|client[-_]?secret|password|passwd|secret|cookie)"
    r"(\"?\s*[:=]\s*\"?)((?:basic|bearer|token|digest|negotiate|ntlm|apikey|dpop)\s+)?([^\s,;\"'&]+)": S,
    r"(?i)(?<![\w-])(bearer|basic)([ \t]++)([A-Za-z0-9\-._~+/]++=*+)": S,
    r"^(<[^>]*>|\$\{?[A-Za-z_][\w:.\-]*\}?|[A-Z][A-Z_]*|\.\.\.|…|\*+|\$|\{)$": A,
    r"\r\n|[\n\r\u2028\u2029\x85]": S,
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]": S,
    "[\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]": S,
    r"(?i)(password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization|credential|private[_-]?key|"
    r"bearer|cookie|access[_-]?key|session[_-]?id|signature)": S,
    r"^(\s*+(?:-\s++)?)([\"']?)([^\"':#{}\[\],]++)\2(\s*+:)(\s+|$)(.*)$": A,
    r"(?<!/)//([^\s@/]*+)@": S,
    r"\$\{[^}:]*(:[^}-]*)?\}": A,
    # app: the app's stderr (each line cut to runner.LINE_KEPT) and its command line
    r"Overriding of current TracerProvider is not allowed": S,
    r"Queue is full, likely spans will be dropped|Queue full, dropping": S,
    r"not found in entry point|Requested component '[^']*' not found": S,
    r"DependencyConflict": S,
    r"Unsupported OTLP protocol '": S,
    r"Failed to export (span )?batch|Transient error [^\n]{0,200}? encountered while exporting|"
    r"Max retries exceeded with url|Exception while exporting Span": S,
    r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\s'\"<>]++": S,
    r"(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|auth\w*|"
    r"credential\w*|signature|sig|bearer|cookie|session|dsn|license[-_]?key|client[-_]?secret|key)$": "trusted: option "
    "names of the user's own command line",
    r"^\s*(authorization|proxy-authorization|x-api-key|api-key|cookie)\s*:\s*(.+)$": A,
    r"[A-Za-z_][A-Za-z0-9_.-]*": A,
    r"[A-Za-z_][A-Za-z0-9_]*": A,
    r"^[a-zA-Z][a-zA-Z0-9+.-]*://": A,
    r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$": A,
    r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$": A,
    # check / cli: the user's command line
    r"[a-zA-Z_][a-zA-Z0-9_]*": A,
    r"[A-Za-z0-9_.-]{1,40}": A,
    r"^[a-z]+://": A,
    r"[A-Za-z0-9-]{1,40}": A,
    r"-?(?:0|[1-9][0-9]{0,17})": A,
    r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?": A,
    r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)": "trusted: durations on the command line",
    r'\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*': "trusted: --prometheus-selector",
    # merged branches (issue 22 observers, issue 23 classifier, issue 27 replay): applied to untrusted text
    "^(?:(?:[A-Za-z0-9-]{1,63}\\.)*[A-Za-z0-9-]{1,63}|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}(?:/\\S*)?$": S,  # otdiag/app/export_settings.py
    "Failed to export (span )?batch|Transient error [^\\n]{0,200}? encountered while exporting|Max retries exceeded with url|Exception while exporting Span|OTLPExporterError|Failed to export spans|traces export: |Failed to export traces": S,  # otdiag/app/runner.py
    "[\"']io\\.opentelemetry:([\\w.-]+):([\\w.${}-]+)[\"']": S,  # otdiag/observe/deps_java.py
    "group\\s*[:=]\\s*[\"']io\\.opentelemetry[\"']\\s*,\\s*name\\s*[:=]\\s*[\"']([\\w.-]+)[\"'](?:\\s*,\\s*version\\s*[:=]\\s*[\"']([\\w.${}-]+)[\"'])?": S,  # otdiag/observe/deps_java.py
    "module\\s*=\\s*[\"']io\\.opentelemetry:([\\w.-]+)[\"'](?:\\s*,\\s*version\\s*=\\s*[\"']([\\w.-]+)[\"'])?": S,  # otdiag/observe/deps_java.py
    "\\$\\{([\\w.-]+)\\}": S,  # otdiag/observe/deps_java.py
    "^@opentelemetry/(sdk-node|exporter-trace-otlp-(grpc|http|proto)|otlp-[a-z-]+|instrumentation|api-logs|sdk-logs|instrumentation-(http|grpc|fetch|xml-http-request))$": S,  # otdiag/observe/manifests.py
    "[\"'](io\\.opentelemetry(?:\\.[a-z]+)*):([A-Za-z0-9_.-]+):([0-9][A-Za-z0-9_.-]*)[\"']": S,  # otdiag/observe/manifests.py
    "v?(\\d+)\\.(\\d+)": A,  # otdiag/observe/manifests.py
    "\\$\\{([^}]+)\\}": A,  # otdiag/observe/manifests.py
    "(?m)^package main\\b": S,  # otdiag/observe/manifests.py
    "[~^=v]?(\\d+\\.\\d+\\.\\d+[^\\s]*)": A,  # otdiag/observe/manifests.py
    "https?://[^\\s\\\"'<>()\\[\\],]+": S,  # otdiag/otlp/classify.py
    "(?<![\\w/.-])((?:[a-z0-9-]+\\.)*[a-z0-9-]+|\\d{1,3}(?:\\.\\d{1,3}){3}):(\\d{1,5})\\b": S,  # otdiag/otlp/classify.py
    "connection refused|ECONNREFUSED|Errno 111\\b|Failed to connect to \\S+/|ConnectException": S,  # otdiag/otlp/classify.py
    "no such host|name or service not known|nodename nor servname|ENOTFOUND|EAI_AGAIN|UnknownHostException|temporary failure in name resolution|getaddrinfo failed|DNS resolution failed|could not resolve host": S,  # otdiag/otlp/classify.py
    "no route to host|network is unreachable|EHOSTUNREACH|ENETUNREACH": S,  # otdiag/otlp/classify.py
    "timed? ?out|ETIMEDOUT|deadline exceeded|DeadlineExceeded|DEADLINE_EXCEEDED|ESOCKETTIMEDOUT|SocketTimeoutException|InterruptedIOException": S,  # otdiag/otlp/classify.py
    "connect(?:ion)? (?:timed out|timeout)|ConnectTimeout|connect ETIMEDOUT": S,  # otdiag/otlp/classify.py
    "server gave HTTP response to HTTPS client|Unsupported or unrecognized SSL message|EPROTO.*wrong version|WRONG_VERSION_NUMBER|wrong version number|first record does not look like a TLS handshake|packet length too long|record layer failure": S,  # otdiag/otlp/classify.py
    "Client sent an HTTP request to an HTTPS server|http request to an https server": S,  # otdiag/otlp/classify.py
    "ECONNRESET|connection reset|socket hang up|unexpected end of stream|RemoteDisconnected|EOF occurred|server closed the connection|Connection aborted|\\bEOF\\b": S,  # otdiag/otlp/classify.py
    "export|OTLP|exporter|/v1/traces|StatusCode\\.|rpc error|Failed to (?:export|connect)|span batch": S,  # otdiag/otlp/classify.py
    "(?:invalid|illegal|forbidden)\\b[^\\n]{0,100}\\bheader (?:value|name|field)|header (?:value|name)[^\\n]{0,40}\\b(?:invalid|not valid|illegal)|ERR_INVALID_CHAR|Invalid metadata|metadata was invalid": S,  # otdiag/otlp/classify.py
    "lookup (\\S+?)(?: on |:)|UnknownHostException: ([^\\s:]+)|ENOTFOUND (\\S+)|resolve host:? '?(\\S+?)'?\\b": S,  # otdiag/otlp/classify.py
    "(header (?:value|field)[^'\\\"\\n]{0,40}?)(['\\\"])(.*?)\\2": S,  # otdiag/otlp/classify.py
    "\\bcode:\\s*'?(\\d{3})\\b": S,  # otdiag/otlp/classify.py
    "\\bHTTP status code (\\d{3})\\b": S,  # otdiag/otlp/classify.py
    "\\bstatus(?:[ _]code)?[:= ]\\s*(\\d{3})\\b": S,  # otdiag/otlp/classify.py
    "\\bHTTP(?:/[\\d.]+)?\\s+(\\d{3})\\b": S,  # otdiag/otlp/classify.py
    ":\\s(\\d{3}) [A-Z][a-z]+(?: [A-Z][a-z]+)*\\b": S,  # otdiag/otlp/classify.py
    "StatusCode\\.([A-Z_]+)": S,  # otdiag/otlp/classify.py
    "\\bcode = ([A-Za-z]+)": S,  # otdiag/otlp/classify.py
    "gRPC status code (\\d+)": S,  # otdiag/otlp/classify.py
    "\\b(\\d{1,2}) ([A-Z_]{6,})\\b": S,  # otdiag/otlp/classify.py
    "\\b([A-Z]+_[A-Z_]+|UNAVAILABLE|UNIMPLEMENTED|UNAUTHENTICATED|INTERNAL)\\b": S,  # otdiag/otlp/classify.py
    "OTLPExporterError|HTTP status|status code|\\bHTTP\\b": S,  # otdiag/otlp/classify.py
    "ssl|tls|certificate|x509|handshake": S,  # otdiag/otlp/classify.py
    r'"(otelcol\.component\.id|name|error)":\s?"((?:[^"\\]|\\.){0,2000})"': S,  # otdiag/collector/exporter_log.py
    "(?:BadStatusLine\\(|malformed HTTP response )['\\\"]\\\\x00\\\\x00(?:\\\\x[0-9a-fA-F]{2}|[^\\\\'\\\"])\\\\x04": S,  # otdiag/otlp/classify.py
    "pass(word|wd)?|pwd|secret|token|api[-_.]?key|apikey|auth|credential|private|session|cookie|signature": S,  # otdiag/replay/outcome.py
    "version\\s+v?(\\d+\\.\\d+\\.\\d+\\S*)": S,  # otdiag/replay/session.py
    "^(Error: .*|.*\\berror\\b.*)$": S,  # otdiag/replay/session.py
    "conflicting Schema URL": S,  # otdiag/run/observers/go/analyse.py
    'parse "https?://https?:%2F%2F|"https?://https?://|https?:%2F%2F|too many colons in address': S,  # otdiag/run/observers/go/analyse.py
    "authentication handshake failed|first record does not look like a TLS handshake|server gave HTTP response to HTTPS client|tls: (handshake|bad record|protocol version)": S,  # otdiag/run/observers/go/analyse.py
    "traces export: |failed to upload|failed to export|max retry time elapsed|exporter export timeout|otlptrace\\w*: .*(error|fail)": S,  # otdiag/run/observers/go/analyse.py
    "context deadline exceeded|DeadlineExceeded": S,  # otdiag/run/observers/go/analyse.py
    "^(panic|fatal error): (.*)": S,  # otdiag/run/observers/go/analyse.py
    "^\\s*(\\S+\\.go):(\\d+)(?: \\+0x[0-9a-f]+)?$": S,  # otdiag/run/observers/go/analyse.py
    "connection refused": S,  # otdiag/run/observers/go/analyse.py
    "\\b404\\b|Not Found|Unimplemented|unknown service": S,  # otdiag/run/observers/go/analyse.py
    "\\xe8|[\\x48\\x4c]\\x8d[\\x05\\x0d\\x15\\x1d\\x25\\x2d\\x35\\x3d]": S,  # otdiag/run/observers/go/binary.py
    "\\bos\\.Exit\\(": S,  # otdiag/run/observers/go/linked.py
    "\\blog\\.Fatal(f|ln)?\\(": S,  # otdiag/run/observers/go/linked.py
    "\\bNeverSample\\(\\)": S,  # otdiag/run/observers/go/linked.py
    "\\bcredentials\\.New(TLS|ClientTLSFromCert|ClientTLSFromFile)\\(": S,  # otdiag/run/observers/go/linked.py
    "\\bSetTracerProvider\\(": S,  # otdiag/run/observers/go/linked.py
    "\\.WithInsecure\\(": S,  # otdiag/run/observers/go/linked.py
    "\\.WithEndpoint\\(": S,  # otdiag/run/observers/go/linked.py
    "\\.WithTLSCredentials\\(": S,  # otdiag/run/observers/go/linked.py
    "\\.WithSampler\\(": S,  # otdiag/run/observers/go/linked.py
    "opentelemetry-javaagent - version: (\\S+)": S,  # otdiag/run/observers/java/__init__.py
    'OTLP exporter endpoint port is likely incorrect for protocol version "([^"]+)"': S,  # otdiag/run/observers/java/__init__.py
    "Failed to export spans\\.?\\s*(.*)": S,  # otdiag/run/observers/java/__init__.py
    "Instrumentation skipped, mismatched references were found: (\\S+)": S,  # otdiag/run/observers/java/__init__.py
    '^Exception in thread "([^"]{1,80})" ([\\w.$]+)(?::\\s*(.*))?': S,  # otdiag/run/observers/java/__init__.py
    "^\\s*at (?:[\\w.]+/)?([\\w.$]+)\\.([\\w$<>]+)\\(([\\w$.-]+\\.(?:java|kt|scala|groovy)):(\\d+)\\)": S,  # otdiag/run/observers/java/__init__.py
    "header|key|token|secret|password|credential": S,  # otdiag/run/observers/java/__init__.py
    "^([\\w.$]+)\\.[\\w$<>]+\\(([\\w$.-]+):(\\d+)\\)$": S,  # otdiag/run/observers/java/__init__.py
    "^(ParentBased\\{root:)?AlwaysOffSampler": S,  # otdiag/run/observers/java/__init__.py
    "^(ParentBased\\{root:)?TraceIdRatioBased\\{0\\.0+\\}": S,  # otdiag/run/observers/java/__init__.py
    "^java(\\.exe)?$": S,  # otdiag/run/observers/java/cmdline.py
    "^(?P<artifact>[A-Za-z][\\w.-]*?)-(?P<version>\\d+(?:\\.\\d+)+(?:-[A-Za-z0-9.]+)?)\\.jar(?:@.*)?$": S,  # otdiag/run/observers/java/report.py
    "(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://[^\\s,;'\\\"<>{}]++": S,  # otdiag/run/observers/java/report.py
    "\\bendpoint=([^,\\s}]+)": S,  # otdiag/run/observers/java/report.py
    "headers=Headers\\{([^}]*)\\}": S,  # otdiag/run/observers/java/report.py
    "^(node|nodejs|node\\d+(\\.\\d+)*|npm|npx|pnpm|yarn|tsx|ts-node)(\\.exe|\\.cmd)?$": S,  # otdiag/run/observers/node/__init__.py
    "import-in-the-middle|instrumentation/hook\\.mjs|auto-instrumentations-node/register": S,  # otdiag/run/observers/node/__init__.py
    "OTLPExporterError: (Not Found|Bad Request|Unsupported Media Type|Method Not Allowed)": S,  # otdiag/run/observers/node/__init__.py
    "OTLPExporterError|ECONNREFUSED|Failed to export|14 UNAVAILABLE|12 UNIMPLEMENTED": S,  # otdiag/run/observers/node/__init__.py
    "ParentBased\\{root=(\\w+), remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler\\}$": S,  # otdiag/run/observers/node/__init__.py
    "OTLPExporterError|ECONNREFUSED|UNAVAILABLE": S,  # otdiag/run/observers/node/__init__.py
    "Cannot find (?:module|package) '(@opentelemetry/[\\w.@/-]{1,200})'": S,  # otdiag/run/observers/node/__init__.py
    "\\d{1,9}(?:\\.\\d{1,9})?": S,  # otdiag/cli/common.py
    "Parse Error: Expected HTTP/|HPE_INVALID_CONSTANT": S,  # otdiag/otlp/classify.py
    "[a-z][a-z0-9+.-]*://\\S*|[0-9a-f]{16,}|[0-9a-f-]{32,}|[\\w-]+(?:\\.[\\w-]+){2,}(?::\\d+)?|[a-z0-9+/]{24,}={0,2}": S,  # otdiag/render/human.py
    "\\S+": S,  # otdiag/render/human.py
    ":\\d{1,9}(?::\\d{1,9})?": S,  # otdiag/render/human.py
    "error reading server preface: http2: frame too large|Trying to connect an http1\\.x server|No connection established\\. Last error: Protocol error": S,  # otdiag/otlp/classify.py
    "\\+?(\\d+(?:\\.\\d*)?|\\.\\d+)": S,  # otdiag/durations.py
    "\\b(opentelemetry-[a-z-]{1,60}) not found on classpath": S,  # otdiag/run/observers/java/__init__.py
    "imported from (/[^\\n]{1,4096}?)(?:\\n|$)": S,  # otdiag/run/observers/node/__init__.py
    "(AlwaysOffSampler|ParentBased\\{root=AlwaysOffSampler|TraceIdRatioBased\\{0(\\.0*)?\\})": S,  # otdiag/run/observers/node/__init__.py
    "(?<!\\d)(\\d+)\\.(\\d+)\\.(\\d+)": S,  # otdiag/run/observers/node/manifest.py
    "<base\\s[^>]{0,400}?href=[\\\"'](/[A-Za-z0-9._~/-]{0,200}?/?)[\\\"']": S,  # otdiag/jaeger/client.py
    "\\.parent_based\\.(root|remote_parent_sampled|remote_parent_not_sampled|local_parent_sampled|local_parent_not_sampled)$": S,  # otdiag/validate/sdkconfig.py
    "^(?:[a-z]+://)?[^/:]+(?::(\\d+))?(/.*)?$": S,  # otdiag/validate/sdkconfig.py
    "\\d+\\.\\d+(?:[-.][\\w.]+)?": A,  # otdiag/validate/sdkconfig.py
    "auth|token|secret|passw|api[-_]?key|apikey|cookie|credential|signature|session|key$": S,  # otdiag/validate/warn.py
    "(?i)^(?:(?:bearer|basic|apikey|api-key|token|digest|negotiate|splunk|dsn)\\s+\\S+|(?=[A-Za-z0-9._~+/=-]*[0-9])(?=[A-Za-z0-9._~+/=-]*[A-Za-z])[A-Za-z0-9._~+/=-]{16,2048})$": S,  # otdiag/validate/warn.py
    # check --app-dir: the app's source files (where an exporter call starts; its arguments are scanned by hand)
    r"\bOTLPSpanExporter\s*+\(": S,
    r"\bnew\s++OTLPTraceExporter\s*+\(": S,
    r"\.setEndpoint\s*+\(": S,
    r"\b(otlptracegrpc|otlptracehttp)\.(WithEndpointURL|WithEndpoint|WithURLPath|WithInsecure)\s*+\(": S,
    r"\bEndpoint\s*+=\s*+new\s++(?:System\.)?Uri\s*+\(": S,
    # mcp: a tool argument (bounded by the tool's own size cap)
    r"v?\d{1,3}\.\d{1,4}\.\d{1,4}": A,
    # collector: metrics pages and configs
    r"\d+\.\d+\.\d+": A,
    r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}$]*+))?\}": S,
    r"^https?://": A,
    # jaeger / listen: server answers and requests
    r"^[0-9a-fA-F]{1,32}$": A,
    r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$": A,
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$": A,
    r"(\d*)(\.(\d*))?": A,
    r"[^\d.]+": A,
    r"\+?[0-9]{1,20}": A,
    r"[+-]?[0-9]{1,19}": A,
    r"[ \t\n\r]*+": A,
    r"(-?(?:0|[1-9][0-9]*+))(\.[0-9]++)?([eE][-+]?[0-9]++)?": A,
    # observe: the observer's reports and the app's files
    r"(?::|port\s*=\s*|agent_port\s*=\s*)(14268|14250|6831|6832)\b": S,
    r"(?<![\w/.~%+:-])([\w.~%+-]++):([^@\s/'\"]++)@(?=[\w.\[])": S,
    r"No module named '([^']+)'|cannot import name '[^']+' from '([^']+)'": S,
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(\(?[^;#]*?\)?)\s*(;.*)?$": A,
    r"^\s*v?(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|c|dev|post)[.-]?(\d*))?": A,
    r"^\d": A,
    r"^===?\s*([0-9][^,\s]*)$": A,
    r"^(===|==|!=|~=|>=|<=|>|<)\s*(\S+)$": A,
    r"[-_.]+": S,
    r"\d+": S,
    r"rc|b|a": S,
    r"[\s<>=~!;\[,(]": S,
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}": A,
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}(?:\s*(?:[<>=~!]=?|===)\s*[A-Za-z0-9.*+!_-]{1,40})?": A,
    # render
    r"[^0-9A-Za-z_]": S,
    # validate: config files, the binaries' messages
    r"(receivers|processors|exporters|connectors|extensions)::([^:\s]+)": S,
    r'"([^"]+)"': S,
    r"pipelines::([^:\s]+)": S,
    r"^\d{4}[-/]\d\d[-/]\d\d": A,
    r"^[a-zA-Z][0-9a-zA-Z_]{0,62}$": A,
    r"(?s:^([A-Za-z][A-Za-z0-9+.-]+):(.*)$)": A,
    r"^[a-zA-Z_][a-zA-Z0-9_]*$": A,
    r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)": S,
    r"(?<![0-9.])([0-9.]++)([a-zµμ]++)": S,
    r"[+-]?[0-9]+": A,
    r"([0-9]*(?:\.[0-9]*)?)([a-zµμ]*)": A,
    r'^"(?P<typ>[a-z0-9_]+)" alias is deprecated': A,
    r'; use "?(?P<typ>[a-z0-9_]+)"?': S,
    r"\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][\w.-]*)?\s*": A,
    r"version v?(\d+\.\d+\.\d+)": S,
    r"^(?:~|null|Null|NULL|)$": A,
    r"^[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)$": A,
    r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$": A,
    rb"[\r\n]".decode(): S,
    r"[^A-Z0-9]+": S,
    r"[\"']?[A-Za-z0-9+/=_.\-]{12,512}[\"']?": A,
    r"[\0\n]": S,
}


def _literal_patterns() -> list[tuple[str, str, str]]:
    """(where, pattern, call) for every `re.<call>("literal", ...)` in otdiag."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
                continue
            if node.func.attr not in _CALLS:
                continue
            arg = node.args[0]
            where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str | bytes):
                value = arg.value.decode() if isinstance(arg.value, bytes) else arg.value
                found.append((where, value, node.func.attr))
            else:
                found.append((where, "", node.func.attr))
    return found


def _ottl_lexer() -> list[str]:
    from otdiag.validate import ottlgrammar

    return [rx.pattern for _, rx in ottlgrammar._RULES]


def test_every_pattern_is_registered() -> None:
    missing = []
    for where, pattern, _ in _literal_patterns():
        if not pattern:
            if where.startswith("otdiag/validate/ottlgrammar.py"):
                continue  # the OTTL lexer's table: test_ottl_lexer_is_linear
            if where.startswith("otdiag/run/observers/go/binary.py"):
                continue  # NUL then one of the app's escaped package paths: no quantifier, no backtracking
            missing.append(f"{where}: a pattern that is not a literal cannot be proven here")
        elif pattern not in PATTERNS:
            missing.append(f"{where}: {pattern!r}")
    assert not missing, "register these in tests/test_regex_linear.py PATTERNS:\n" + "\n".join(missing)


_CANDIDATES = "a0_ .:/@=?&{}-\"'\n\t$#%+,;[]()<>|*!~\\x9Zé"


def _in_class(items: list[tuple[Any, Any]], ch: str) -> bool:
    negate = hit = False
    word = ch.isalnum() or ch == "_"
    categories = {
        "CATEGORY_DIGIT": ch.isdigit(),
        "CATEGORY_NOT_DIGIT": not ch.isdigit(),
        "CATEGORY_SPACE": ch.isspace(),
        "CATEGORY_NOT_SPACE": not ch.isspace(),
        "CATEGORY_WORD": word,
        "CATEGORY_NOT_WORD": not word,
    }
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            hit |= ord(ch) == av
        elif op is C.RANGE:
            hit |= av[0] <= ord(ch) <= av[1]
        elif op is C.CATEGORY:
            hit |= categories.get(str(av), False)
    return hit != negate


def _samples(seq: Any, cap: int = 6) -> list[str]:
    """A few strings that the pattern (mostly) matches: each alternative, each repeat taken a few times."""
    out = [""]
    for op, av in seq:
        if op is C.LITERAL:
            opts = [chr(av)]
        elif op is C.NOT_LITERAL:
            opts = ["a" if av != ord("a") else "b"]
        elif op is C.ANY:
            opts = ["a"]
        elif op is C.IN:
            opts = [next((c for c in _CANDIDATES if _in_class(av, c)), "a")]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            opts = [s * min(max(lo, 1), 3) for s in _samples(sub, cap)] if hi else [""]
        elif op is C.SUBPATTERN:
            opts = _samples(av[3], cap)
        elif op is C.ATOMIC_GROUP:
            opts = _samples(av, cap)
        elif op is C.BRANCH:
            opts = [s for alt in av[1] for s in _samples(alt, cap)]
        elif op is C.ASSERT and av[0] == 1:
            opts = _samples(av[1], cap)
        else:
            opts = [""]
        out = [a + b for a in out for b in opts[:cap]][:cap]
    return out


def adversarial(pattern: str, size: int = SIZE) -> list[tuple[str, str]]:
    """(piece, text): every prefix of each sample, alone, with a space, and each of its characters, repeated."""
    pieces: list[str] = []
    for sample in _samples(P.parse(pattern)):
        for k in range(1, len(sample) + 1):
            for piece in (sample[:k], sample[:k] + " ", sample[k - 1 : k], sample[:k] + "\n"):
                if piece and piece not in pieces:
                    pieces.append(piece)
    return [(p, (p * (size // len(p) + 1))[:size]) for p in pieces[:24]]


def _work(rx: re.Pattern[str], mode: str, text: str) -> None:
    if mode == S:
        for _ in rx.finditer(text):
            pass
        rx.sub("", text)
    else:
        rx.match(text)
        rx.fullmatch(text)


def _check(pattern: str, mode: str) -> None:
    rx = re.compile(pattern)
    for piece, text in adversarial(pattern):
        started = time.perf_counter()
        _work(rx, mode, text)
        took = time.perf_counter() - started
        assert took < BOUND_S, f"{pattern!r} ({mode}) took {took:.1f}s on {piece!r} x {SIZE // len(piece)}"


@pytest.mark.parametrize(
    "pattern", [p for p, mode in PATTERNS.items() if not mode.startswith("trusted")], ids=lambda p: p[:40]
)
def test_pattern_is_linear(pattern: str) -> None:
    _check(pattern, PATTERNS[pattern])


def test_ottl_lexer_is_linear() -> None:
    for pattern in _ottl_lexer():
        _check(pattern, A)  # the lexer matches at the current position only


def _least(pattern: re.Pattern[str], text: str, repeats: int = 3) -> float:
    """The least of a few timings: a busy machine only ever adds time, never takes it away."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        _work(pattern, S, text)
        best = min(best, time.perf_counter() - started)
    return best


def test_the_sweep_catches_a_quadratic_pattern() -> None:
    """The inputs built above do find the patterns issue 24 reported (on a small size, to stay quick)."""
    for bad in (r"\{.*\}", r"[a-z][a-z0-9+.\-]*://[^\s@]*@"):
        compiled = re.compile(bad)
        worst = max(_least(compiled, text) for _, text in adversarial(bad, 4096))
        small = max(_least(compiled, text) for _, text in adversarial(bad, 256))
        assert worst > 20 * small, (bad, worst, small)  # 16x the input, far more than 16x the time


# --- the functions that apply them, on a megabyte of the inputs issue 24 reported ----------------------

MB = 1024 * 1024
HOSTILE = {
    "query names": "?key" * (MB // 4),
    "query values": "?token=" + ":" * MB + "x",
    "delimiters": "?a=;" * (MB // 4),
    "schemes": "a://" * (MB // 4),
    "userinfo": "a:b:" * (MB // 4),
    "slashes": "//" * (MB // 2) + "@",
    "assignments": "password = " * (MB // 11),
    "at signs": "a@" * (MB // 2),
    "spaces": " " * MB + "x",
    "bearer words": "Bearer " * (MB // 7),
    "bearer token": "basic " + "A" * MB + "=" * MB,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_scrub_a_megabyte(name: str) -> None:
    from otdiag import redact

    text = HOSTILE[name]
    started = time.perf_counter()
    out = redact.scrub(text)
    redact.config_lines([text, "  password: " + text, text + ": x"])
    redact.remember_url(text)
    took = time.perf_counter() - started
    assert len(out) <= len(text) * 3  # redaction never multiplies the text
    assert took < 60.0, f"{name}: {took:.1f}s (was minutes to hours before issue 24)"
    redact.forget_all()


def test_metrics_reason_on_a_page_of_braces() -> None:
    from otdiag.collector.metrics import _why

    started = time.perf_counter()
    detail = _why(b"{" * (2 * MB) + b"}")
    assert detail == ": {...}"
    assert (
        _why(b'collected metric "x" {a="1"} was collected before')
        == ': collected metric "x" {...} was collected before'
    )
    assert time.perf_counter() - started < 5.0


def test_stderr_tap_keeps_a_bounded_line(tmp_path: Path) -> None:
    """150 MB without a newline would be 150 MB kept: the tap keeps LINE_KEPT bytes of any line, passes
    every byte on as it comes, and still finds a warning on a line that ends in \\r."""
    import os
    import threading

    from otdiag.app import runner

    seen: list[int] = []
    passed = [0]

    class Tap(runner._StderrTap):
        def _match(self, raw: bytes) -> None:
            seen.append(len(raw))
            super()._match(raw)

    read, write = os.pipe()
    tap = Tap(os.fdopen(read, "rb"), lambda b: passed.__setitem__(0, passed[0] + len(b)))
    total = 20 * MB
    TAIL = b"\rQueue is full, likely spans will be dropped\r"
    block = b"x" * MB

    def feed() -> None:
        for _ in range(total // MB):
            os.write(write, block)
        os.write(write, TAIL)
        os.close(write)

    writer = threading.Thread(target=feed)
    writer.start()
    writer.join(60)
    tap.join(60)
    assert passed[0] == total + len(TAIL)
    assert max(seen) <= runner.LINE_KEPT
    assert tap.hits == {"app.queue-full": ["Queue is full, likely spans will be dropped"]}


_SOURCE_ATTACKS = {
    "python": ["OTLPSpanExporter(", 'OTLPSpanExporter(endpoint="', "OTLPSpanExporter(endpoint=((((", "proto.grpc "],
    "node": ["new OTLPTraceExporter({ url: `", "new OTLPTraceExporter({{{{", "new "],
    "java": ['OtlpGrpcSpanExporter.builder().setEndpoint("', ".setEndpoint(("],
    "go": ["otlptracegrpc.WithEndpoint(", 'otlptracehttp.WithURLPath("', "otlptracegrpc.WithInsecure("],
    "dotnet": ['o.Endpoint = new Uri("', "Otlp Endpoint = new Uri((("],
}


@pytest.mark.parametrize("language", sorted(_SOURCE_ATTACKS))
def test_code_endpoints_read_a_hostile_megabyte_quickly(language: str) -> None:
    """A source file of repeated call openings, unclosed strings and brackets: the argument scanner reads a bounded
    number of calls, each a bounded span of text (check --app-dir reads up to 1 MiB of each file)."""
    from otdiag.observe import code_endpoints

    for piece in _SOURCE_ATTACKS[language]:
        for text in ((piece * (MB // len(piece) + 1))[:MB], (piece + "\n") * (MB // (len(piece) + 1))):
            started = time.perf_counter()
            found = code_endpoints.find(text, language, "app.src")
            took = time.perf_counter() - started
            assert len(found) <= code_endpoints._MAX_CALLS
            assert took < 5.0, f"{language} {piece!r}: {took:.1f}s"
