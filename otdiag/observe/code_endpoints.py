"""`check --app-dir`: the OTLP trace exporters whose endpoint is written in the app's own source.

An endpoint set in the code (`OTLPSpanExporter(endpoint=...)`, `new OTLPTraceExporter({ url })`,
`.setEndpoint(...)` on an Otlp*SpanExporter builder, `otlptrace{grpc,http}.WithEndpoint(...)` /
`WithEndpointURL(...)`, .NET's `Endpoint = new Uri(...)`) overrides OTEL_EXPORTER_OTLP_ENDPOINT: `check`
probes it as the app will use it, as `run` sees it fail.

Static reading only, and bounded: dependency and build folders are skipped, symbolic links are never
followed, at most MAX_FILES files of at most MAX_FILE_BYTES each and MAX_TOTAL_BYTES in all are read. The
regular expressions only find where a call starts; its arguments are read by a small scanner that never
backtracks.
"""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from otdiag.model import Protocol

MAX_FILES = 5000
MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 200_000
"""Directory entries looked at (a tree of data files with no source is not walked for ever)."""
MAX_SECONDS = 5.0
MAX_FOUND = 50
_MAX_ARGS = 4000
"""Characters of a call's arguments read."""
_MAX_CALLS = 50
"""Calls looked at per file: each costs at most _MAX_ARGS characters, so a hostile file costs little."""

SKIPPED_DIRS = frozenset(
    {"node_modules", ".venv", "venv", "site-packages", "vendor", "target", "build", "dist", ".git", "__pycache__",
     "obj", ".gradle", ".mvn", ".idea", ".tox", ".mypy_cache", ".pytest_cache",
     "test", "tests", "__tests__", "testdata", "spec", "examples", "example", "docs"}
)  # fmt: skip
"""Dependencies, build output, and the code that is not the app (tests, examples: their endpoints are not the
app's). Hidden folders are skipped too."""
_TEST_FILE = (".test.", ".spec.", "_test.go", "_test.py", "Test.java", "Tests.java", "Test.kt", "Tests.cs")


def _is_test(name: str) -> bool:
    return name.startswith("test_") or any(t in name for t in _TEST_FILE)


_LANGUAGES = {
    ".py": "python",
    ".js": "node", ".mjs": "node", ".cjs": "node", ".ts": "node", ".mts": "node", ".cts": "node",
    ".java": "java", ".kt": "java",
    ".go": "go",
    ".cs": "dotnet",
}  # fmt: skip

_PY_CALL = re.compile(r"\bOTLPSpanExporter\s*+\(")
_NODE_CALL = re.compile(r"\bnew\s++OTLPTraceExporter\s*+\(")
_JAVA_CALL = re.compile(r"\.setEndpoint\s*+\(")
_GO_CALL = re.compile(r"\b(otlptracegrpc|otlptracehttp)\.(WithEndpointURL|WithEndpoint|WithURLPath|WithInsecure)\s*+\(")
_DOTNET_CALL = re.compile(r"\bEndpoint\s*+=\s*+new\s++(?:System\.)?Uri\s*+\(")

DROP = {
    "python": "endpoint= from the exporter",
    "node": "url: from new OTLPTraceExporter()",
    "java": "setEndpoint(...) (or -Dotel.exporter.otlp.endpoint)",
    "go": "WithEndpoint(...)/WithEndpointURL(...) from the exporter's options",
    "dotnet": "Endpoint = new Uri(...) from the exporter's options",
}
"""What to drop so OTEL_EXPORTER_OTLP_ENDPOINT decides, said as `run` says it for each runtime."""


@dataclass(frozen=True)
class CodeEndpoint:
    """One exporter endpoint written in the code."""

    file: str
    """The file as reached from the --app-dir given."""
    line: int
    column: int
    language: str
    call: str
    """The call, shortened: `OTLPSpanExporter(endpoint=...)`."""
    expression: str
    """The endpoint as written (bounded, at most 200 characters)."""
    protocol: Protocol | None
    """gRPC or http/protobuf, from the exporter's package; None when the file does not say."""
    literal: str | None = None
    """The endpoint when the code writes it out (a string literal)."""
    env_var: str | None = None
    """The environment variable the expression reads (os.environ["X"], process.env.X, System.getenv("X"), …)."""
    default: str | None = None
    """The literal the expression falls back to when that variable is unset."""
    insecure: bool = False
    """insecure=True in the call (Python gRPC)."""
    scheme_from_insecure: bool = False
    """Go's WithEndpoint takes host:port: the scheme comes from WithInsecure() (in `literal` already)."""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def drop(self) -> str:
        return DROP[self.language]

    def value(self, env: dict[str, str] | None = None) -> str | None:
        """The endpoint the app will use: the literal, or the variable's value (else its default) in `env`."""
        if self.literal is not None:
            return self.literal
        if self.env_var is not None and env is not None:
            got = env.get(self.env_var, "").strip()
            return got or self.default
        return None


@dataclass(frozen=True)
class Scan:
    endpoints: tuple[CodeEndpoint, ...]
    files_read: int
    bytes_read: int
    stopped: str | None = None
    """Why the walk stopped early (a bound was reached); None when it read everything."""


def scan(app_dir: Path) -> Scan:
    """Every exporter endpoint written in the source under `app_dir`, within the bounds above."""
    root = os.path.realpath(app_dir)
    found: list[CodeEndpoint] = []
    files = total = entries = 0
    stopped: str | None = None
    deadline = time.monotonic() + MAX_SECONDS
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        go_cache = Path(dirpath).name == "pkg"  # $GOPATH/pkg/mod: every module's own sources
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".") and not (go_cache and d == "mod")
        )
        entries += len(dirnames) + len(filenames)
        if entries > MAX_ENTRIES or time.monotonic() > deadline:
            stopped = f"stopped after {entries} directory entries" if entries > MAX_ENTRIES else "stopped at 5 s"
            break
        for name in sorted(filenames):
            language = _LANGUAGES.get(Path(name).suffix)
            if language is None or _is_test(name):
                continue
            if files >= MAX_FILES or total >= MAX_TOTAL_BYTES:
                stopped = f"stopped after {files} files ({total // 1048576} MiB)"
                break
            path = str(Path(dirpath) / name)
            data = _read(path)
            if data is None:
                continue
            files += 1
            total += len(data)
            rel = os.path.relpath(path, root)
            shown = str(app_dir / rel)
            found += find(data.decode("utf-8", "replace"), language, shown)
        if stopped is not None or len(found) >= MAX_FOUND:
            break
    return Scan(tuple(found[:MAX_FOUND]), files, total, stopped)


def _read(path: str) -> bytes | None:
    """A regular file's first MAX_FILE_BYTES, never through a symbolic link, never blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None  # a symbolic link (O_NOFOLLOW), gone, or unreadable
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES
        while left > 0:
            chunk = os.read(fd, min(left, 256 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


# --- reading one file ----------------------------------------------------------------------------------


def find(text: str, language: str, shown: str) -> list[CodeEndpoint]:
    """The exporter endpoints one file's text writes (`shown` names the file)."""
    if language == "python":
        return _python(text, shown)
    if language == "node":
        return _node(text, shown)
    if language == "java":
        return _java(text, shown)
    if language == "go":
        return _go(text, shown)
    return _dotnet(text, shown)


def _python(text: str, shown: str) -> list[CodeEndpoint]:
    if "OTLPSpanExporter" not in text:
        return []
    protocol = _python_protocol(text)
    out = []
    for m in islice(_PY_CALL.finditer(text), _MAX_CALLS):
        if _commented(text, m.start()):
            continue
        args = _split(_args(text, m.end()))
        expr = _kwarg(args, "endpoint", "=")
        if expr is None or expr in ("...", "…"):
            continue  # no endpoint, or prose about the call (a docstring's `endpoint=...`)
        insecure = (_kwarg(args, "insecure", "=") or "").strip() == "True"
        out.append(_endpoint(text, m.start(), shown, "python", "OTLPSpanExporter(endpoint=...)", expr, protocol,
                             insecure=insecure))  # fmt: skip
    return out


def _python_protocol(text: str) -> Protocol | None:
    """The module OTLPSpanExporter is imported from: proto.grpc or proto.http."""
    named = set()
    for module, protocol in ((".proto.grpc", Protocol.GRPC), (".proto.http", Protocol.HTTP_PROTOBUF)):
        start, tries = text.find(module), 0
        while start != -1 and tries < _MAX_CALLS:
            tries += 1
            stmt = text[start : start + 300]
            for end in ("\nfrom ", "\nimport ", "\n\n"):
                cut = stmt.find(end)
                stmt = stmt if cut == -1 else stmt[:cut]
            if "OTLPSpanExporter" in stmt:
                named.add(protocol)
                break
            start = text.find(module, start + 1)
    return next(iter(named)) if len(named) == 1 else None


def _node(text: str, shown: str) -> list[CodeEndpoint]:
    if "OTLPTraceExporter" not in text:
        return []
    grpc = "exporter-trace-otlp-grpc" in text
    http = "exporter-trace-otlp-http" in text or "exporter-trace-otlp-proto" in text
    protocol = Protocol.GRPC if grpc and not http else Protocol.HTTP_PROTOBUF if http and not grpc else None
    out = []
    for m in islice(_NODE_CALL.finditer(text), _MAX_CALLS):
        if _commented(text, m.start()):
            continue
        args = _split(_args(text, m.end()))
        if not args or not args[0].startswith("{"):
            continue
        expr = _kwarg(_split(args[0][1:].rsplit("}", 1)[0]), "url", ":")
        if expr is not None:
            out.append(_endpoint(text, m.start(), shown, "node", "new OTLPTraceExporter({ url: ... })", expr, protocol))
    return out


def _java(text: str, shown: str) -> list[CodeEndpoint]:
    if "SpanExporter" not in text:
        return []
    out = []
    for m in islice(_JAVA_CALL.finditer(text), _MAX_CALLS):
        before = text[max(0, m.start() - 600) : m.start()]
        grpc, http = before.rfind("OtlpGrpcSpanExporter"), before.rfind("OtlpHttpSpanExporter")
        if max(grpc, http) < 0 or _commented(text, m.start()):
            continue
        # The nearest builder before the call, within its statement.
        if ";" in before[max(grpc, http) :]:
            continue
        protocol = Protocol.GRPC if grpc > http else Protocol.HTTP_PROTOBUF
        name = "OtlpGrpcSpanExporter" if grpc > http else "OtlpHttpSpanExporter"
        args = _split(_args(text, m.end()))
        if args:
            out.append(_endpoint(text, m.start(), shown, "java", f"{name}.builder().setEndpoint(...)", args[0],
                                 protocol))  # fmt: skip
    return out


def _go(text: str, shown: str) -> list[CodeEndpoint]:
    if "otlptrace" not in text:
        return []
    matches = islice(_GO_CALL.finditer(text), _MAX_CALLS)
    calls = [(m.start(), m.group(1), m.group(2), _split(_args(text, m.end()))) for m in matches]
    calls = [c for c in calls if not _commented(text, c[0])]
    out = []
    for pos, package, option, args in calls:
        if option not in ("WithEndpoint", "WithEndpointURL") or not args:
            continue
        grpc = package == "otlptracegrpc"
        protocol = Protocol.GRPC if grpc else Protocol.HTTP_PROTOBUF
        ep = _endpoint(text, pos, shown, "go", f"{package}.{option}(...)", args[0], protocol)
        if option == "WithEndpoint" and ep.literal is not None and "://" not in ep.literal:
            # host:port: TLS unless WithInsecure(); an HTTP exporter posts to WithURLPath, else /v1/traces.
            insecure = any(p == package and o == "WithInsecure" for _, p, o, _ in calls)
            path = next((a[0] for _, p, o, a in calls if p == package and o == "WithURLPath" and a), None)
            path_lit = _literal(path) if path is not None else "/v1/traces"
            url = f"{'http' if insecure else 'https'}://{ep.literal}"
            if not grpc:
                url += path_lit if path_lit is not None else "/v1/traces"
            ep = CodeEndpoint(**{**ep.__dict__, "literal": url, "scheme_from_insecure": True})
        out.append(ep)
    return out


def _dotnet(text: str, shown: str) -> list[CodeEndpoint]:
    if "Otlp" not in text:
        return []
    protocol = Protocol.HTTP_PROTOBUF if "OtlpExportProtocol.HttpProtobuf" in text else Protocol.GRPC
    out = []
    for m in islice(_DOTNET_CALL.finditer(text), _MAX_CALLS):
        if _commented(text, m.start()):
            continue
        args = _split(_args(text, m.end()))
        if args:
            out.append(_endpoint(text, m.start(), shown, "dotnet", "Endpoint = new Uri(...)", args[0], protocol))
    return out


def _endpoint(
    text: str, pos: int, shown: str, language: str, call: str, expr: str, protocol: Protocol | None,
    *, insecure: bool = False,
) -> CodeEndpoint:  # fmt: skip
    line = text.count("\n", 0, pos) + 1  # at most _MAX_CALLS times per file
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    literal = _literal(expr)
    env_var, default = (None, None) if literal is not None else _env_ref(expr)
    return CodeEndpoint(
        shown, line, column, language, call, " ".join(expr.split())[:200], protocol,
        literal=literal, env_var=env_var, default=default, insecure=insecure,
    )  # fmt: skip


# --- a small scanner for arguments: strings and brackets, never backtracking -----------------------------

_OPEN, _CLOSE = "([{", ")]}"


def _commented(text: str, pos: int) -> bool:
    """The call sits on a line that starts as a comment (#, //, /* or *)."""
    head = text[text.rfind("\n", max(0, pos - 400), pos) + 1 : pos].lstrip()
    return head.startswith(("#", "//", "/*", "*"))


def _string_end(text: str, i: int) -> int:
    """The index just past the string literal that starts at text[i] (a quote), bounded by the text."""
    quote, limit = text[i], min(len(text), i + _MAX_ARGS)
    if text.startswith(quote * 3, i) and quote in "\"'":
        end = text.find(quote * 3, i + 3, limit)
        return limit if end == -1 else end + 3
    j = i + 1
    while j < limit:
        ch = text[j]
        if ch == "\\" and quote != "`":
            j += 2
            continue
        if ch == quote or (ch == "\n" and quote != "`"):
            return j + 1
        j += 1
    return limit


def _args(text: str, start: int) -> str:
    """The text of a call's arguments, from just past its `(` to the matching `)` (at most _MAX_ARGS)."""
    depth, i, end = 1, start, min(len(text), start + _MAX_ARGS)
    while i < end:
        ch = text[i]
        if ch in "\"'`":
            i = _string_end(text, i)
            continue
        if ch == "#" and text.startswith("#", i) and _is_py_comment(text, i):
            nl = text.find("\n", i)
            i = end if nl == -1 else nl
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return text[start:end]


def _is_py_comment(text: str, i: int) -> bool:
    return i + 1 < len(text) and text[i + 1] in " \t"


def _split(args: str) -> list[str]:
    """The arguments at depth 0, split at commas, each stripped."""
    out, depth, begin, i = [], 0, 0, 0
    while i < len(args):
        ch = args[i]
        if ch in "\"'`":
            i = _string_end(args, i)
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(args[begin:i].strip())
            begin = i + 1
        i += 1
    last = args[begin:].strip()
    return [*out, last] if last else out


def _kwarg(args: list[str], name: str, sep: str) -> str | None:
    """The value of `name=value` (Python) or `name: value` (a JavaScript object) among the arguments."""
    for arg in args:
        key, found, value = arg.partition(sep)
        if found and key.strip().strip("\"'") == name and not value.startswith("="):
            return value.strip()
    return None


def _literal(expr: str) -> str | None:
    """The text of a plain string literal ('…', "…", `…` without ${}, r"…"); None for anything else."""
    expr = expr.strip()
    if expr[:1] in "rRuU" and expr[1:2] in "\"'":
        expr = expr[1:]
    if len(expr) < 2 or expr[0] not in "\"'`" or _string_end(expr, 0) != len(expr) or expr[-1] != expr[0]:
        return None
    body = expr[1:-1]
    if expr[0] == "`" and "${" in body:
        return None
    if "\\" in body:
        return None  # escapes: not worth decoding for an endpoint
    return body.strip() or None


def _env_ref(expr: str) -> tuple[str | None, str | None]:
    """(the environment variable an expression reads, the literal it falls back to) or (None, None)."""
    if not any(w in expr for w in ("environ", "getenv", "Getenv", "process.env", "GetEnvironmentVariable")):
        return None, None
    strings: list[str] = []
    i = 0
    while i < len(expr) and len(strings) < 4:
        if expr[i] in "\"'`":
            end = _string_end(expr, i)
            lit = _literal(expr[i:end])
            if lit is not None:
                strings.append(lit)
            i = end
            continue
        i += 1
    var = None
    at = expr.find("process.env.")
    if at != -1:
        tail = expr[at + len("process.env.") :]
        n = 0
        while n < len(tail) and n < 100 and (tail[n].isalnum() or tail[n] == "_"):
            n += 1
        var = tail[:n] or None
    names = [s for s in strings if _env_name(s)]
    if var is None and names:
        var = names[0]
    default = next((s for s in strings if s != var and not _env_name(s)), None)
    return (var, default) if var else (None, None)


def _env_name(s: str) -> bool:
    return 0 < len(s) <= 100 and s[0].isalpha() and all(ch.isupper() or ch.isdigit() or ch == "_" for ch in s)
