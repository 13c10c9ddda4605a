"""What a Go app links and calls, from its binary (build info, function names) or, for `go run`, from
`go list` and its sources: one shape for the analysis."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otdiag.model import Location
from otdiag.run.observers.go import binary

OTEL = "go.opentelemetry.io/otel"
SDK = "go.opentelemetry.io/otel/sdk"
AUTOEXPORT = "go.opentelemetry.io/contrib/exporters/autoexport"
EXPORTERS: dict[str, tuple[str, str | None]] = {
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc": ("otlptracegrpc", "grpc"),
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": ("otlptracehttp", "http/protobuf"),
    "go.opentelemetry.io/otel/exporters/stdout/stdouttrace": ("stdouttrace", None),
    "go.opentelemetry.io/otel/exporters/jaeger": ("jaeger", "thrift"),
    "go.opentelemetry.io/otel/exporters/zipkin": ("zipkin", "zipkin"),
    AUTOEXPORT: ("autoexport", None),
}
"""Trace exporter modules -> (short name, protocol)."""
JAEGER = "go.opentelemetry.io/otel/exporters/jaeger"

# What the analysis asks about the app's own code, and how each is recognised.
EXIT, FATAL, NEVER, TLS, SET = "os.Exit", "log.Fatal", "NeverSample", "TLS credentials", "SetTracerProvider"
INSECURE, ENDPOINT, TLS_OPTION, SAMPLER = "WithInsecure", "WithEndpoint", "WithTLSCredentials", "WithSampler"
_OPTIONS = (INSECURE, ENDPOINT, TLS_OPTION, SAMPLER)
"""Exporter/provider options the app's code calls: Go names the closures they return after the caller
(`main.main.WithInsecure.WithInsecure.func2`), so the function table shows each call even inlined."""
_SYMBOLS: dict[str, tuple[str, ...]] = {
    EXIT: ("os.Exit", "syscall.Exit"),
    FATAL: ("log.Fatal", "log.Fatalf", "log.Fatalln", "log.(*Logger).Fatal", "log.(*Logger).Fatalf",
            "log.(*Logger).Fatalln"),
    NEVER: ("go:itab.go.opentelemetry.io/otel/sdk/trace.alwaysOffSampler,go.opentelemetry.io/otel/sdk/trace.Sampler",
            "go.opentelemetry.io/otel/sdk/trace.NeverSample"),
    TLS: ("google.golang.org/grpc/credentials.NewTLS", "google.golang.org/grpc/credentials.NewClientTLSFromCert",
          "google.golang.org/grpc/credentials.NewClientTLSFromFile"),
}  # fmt: skip
_SET_NAMES = (
    "go.opentelemetry.io/otel.SetTracerProvider",
    "go.opentelemetry.io/otel/internal/global.SetTracerProvider",
)
_SOURCE: dict[str, re.Pattern[str]] = {
    EXIT: re.compile(r"\bos\.Exit\("),
    FATAL: re.compile(r"\blog\.Fatal(f|ln)?\("),
    NEVER: re.compile(r"\bNeverSample\(\)"),
    TLS: re.compile(r"\bcredentials\.New(TLS|ClientTLSFromCert|ClientTLSFromFile)\("),
    SET: re.compile(r"\bSetTracerProvider\("),
    INSECURE: re.compile(r"\.WithInsecure\("),
    ENDPOINT: re.compile(r"\.WithEndpoint\("),
    TLS_OPTION: re.compile(r"\.WithTLSCredentials\("),
    SAMPLER: re.compile(r"\.WithSampler\("),
}


@dataclass(frozen=True, slots=True)
class Linked:
    how: str
    """'build-info' (a binary) or 'go-list' (go run)."""
    go_version: str = ""
    modules: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, str] = field(default_factory=dict)
    calls: Mapping[str, str] = field(default_factory=dict)
    """EXIT/FATAL/NEVER/TLS/SET -> where the app's code does it (a main function, or file:line)."""
    locations: Mapping[str, Location] = field(default_factory=dict)
    set_provider: bool | None = None
    """Some code calls otel.SetTracerProvider (None: not known)."""
    calls_known: bool = False
    """`calls` was read (False: a stripped or non-amd64 binary, or no sources)."""

    @property
    def api(self) -> bool:
        return OTEL in self.modules

    @property
    def sdk(self) -> bool:
        return SDK in self.modules

    def exporters(self) -> list[tuple[str, str | None]]:
        return [EXPORTERS[m] for m in EXPORTERS if m in self.modules]

    def otel_modules(self) -> dict[str, str]:
        return {m: v for m, v in self.modules.items() if m.startswith(("go.opentelemetry.io/", "go.opentelemetry.io"))}


def from_binary(path: Path) -> Linked:
    b = binary.read(path)
    calls: dict[str, str] = {}
    for what, names in _SYMBOLS.items():
        for name in names:
            if name in b.main_refs:
                calls[what] = b.main_refs[name]
                break
    set_provider = any(n in b.functions for n in _SET_NAMES) if b.functions else None
    prefixes = tuple(p.decode() for p in binary.app_prefixes(b.main_path))
    own = sorted(n for n in b.functions if n.startswith(prefixes))
    for name in own:
        for option in _OPTIONS:
            if f".{option}." in name and option not in calls:
                calls[option] = name.split(f".{option}.", 1)[0]
    known = bool(b.main_refs) or bool(own)
    return Linked("build-info", b.go_version, b.modules, b.settings, calls, {}, set_provider, known)


# --- go run -------------------------------------------------------------------------------------

_GO_RUN_VALUE_FLAGS = frozenset(
    {"-C", "-o", "-p", "-tags", "-ldflags", "-gcflags", "-asmflags", "-mod", "-modfile", "-overlay", "-pkgdir",
     "-toolexec", "-exec", "-covermode", "-coverpkg", "-buildmode", "-compiler", "-gccgoflags", "-installsuffix",
     "-pgo", "-race"}
)  # fmt: skip
MAX_FILES, MAX_FILE = 2000, 1 << 20
LIST_TIMEOUT = 60.0


def go_run_target(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(build flags worth keeping for `go list`, the package or .go files) of a `go run ...` command."""
    args = list(argv[2:])
    flags: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name = args[i].split("=", 1)[0]
        if name in ("-tags", "-mod", "-modfile", "-C") and "=" not in args[i] and i + 1 < len(args):
            flags += [args[i], args[i + 1]]
            i += 2
            continue
        if name in ("-tags", "-mod", "-modfile", "-C"):
            flags.append(args[i])
        i += 2 if name in _GO_RUN_VALUE_FLAGS and "=" not in args[i] and name != "-race" else 1
    rest = args[i:]
    if rest and rest[0].endswith(".go"):
        files = []
        for a in rest:
            if not a.endswith(".go"):
                break
            files.append(a)
        return flags, files
    return flags, rest[:1] or ["."]


def from_go_run(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Linked:
    """`go list -deps -json` on what `go run` builds: modules linked, and the main module's sources scanned."""
    go = argv[0]
    flags, target = go_run_target(argv)
    fmt = (
        "{{with .Module}}{{.Path}}\t{{.Version}}\t{{if .Replace}}{{.Replace.Version}}{{end}}\t{{.Main}}{{end}}"
        '\t{{.Dir}}\t{{join .GoFiles ","}}'
    )
    clean_env = {k: v for k, v in env.items() if not k.startswith("OTEL_")}
    try:
        proc = subprocess.run(
            [go, "list", *flags, "-deps", "-f", fmt, "--", *target],
            cwd=cwd, env=clean_env, capture_output=True, timeout=LIST_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise binary.NotGo(f"go list failed: {type(exc).__name__}") from None
    if proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise binary.NotGo(f"go list failed: {first[0][:200] if first else proc.returncode}")
    modules: dict[str, str] = {}
    sources: list[Path] = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines()[:20000]:
        parts = line.split("\t")
        if len(parts) < 6:
            continue
        path, version, replaced, main, folder, files = parts[:6]
        if path and main != "true":
            modules[path] = replaced or version
        if main == "true" and folder and files:
            sources += [Path(folder) / name for name in files.split(",") if name]
    calls, locations = _scan_sources(sources[:MAX_FILES], cwd)
    version = _go_version(go, env)
    return Linked("go-list", version, modules, {}, calls, locations, SET in calls, bool(sources))


def _scan_sources(files: Sequence[Path], cwd: Path) -> tuple[dict[str, str], dict[str, Location]]:
    calls: dict[str, str] = {}
    locations: dict[str, Location] = {}
    for path in files:
        try:
            if path.stat().st_size > MAX_FILE:
                continue
            text = path.read_text("utf-8", errors="replace")
        except OSError:
            continue
        try:
            shown = os.path.relpath(path, cwd)
        except ValueError:
            shown = str(path)
        for n, line in enumerate(text.splitlines(), 1):
            code = line.split("//", 1)[0]
            for what, pattern in _SOURCE.items():
                if what not in calls and pattern.search(code):
                    calls[what] = f"{shown}:{n}"
                    locations[what] = Location(shown, n, pattern.search(code).start() + 1)  # type: ignore[union-attr]
    return calls, locations


def _go_version(go: str, env: Mapping[str, str]) -> str:
    try:
        out = subprocess.run(
            [go, "env", "GOVERSION"], env=dict(env), capture_output=True, timeout=10, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.decode("utf-8", "replace").strip()[:40]


def skew(modules: Mapping[str, str]) -> dict[str, str]:
    """The stable (v1) OpenTelemetry Go modules, when they are not all at one minor release."""
    stable = {m: v for m, v in modules.items() if (m == OTEL or m.startswith(OTEL + "/")) and v.startswith("v1.")}
    minors = {".".join(v.split(".")[:2]) for v in stable.values()}
    return dict(sorted(stable.items())) if len(minors) > 1 else {}
