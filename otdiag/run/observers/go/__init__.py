"""`otdiag run`'s observer for Go apps: what a compiled binary allows.

A Go binary cannot be hooked from outside (no preload, no agent), so nothing is injected and the
app runs untouched. After it exits, otdiag reads:
- the binary's build info (the modules linked, as `go version -m` prints) and its function-name
  table, plus what the `main` package calls (amd64); for `go run`, `go list -deps` and the main
  module's sources;
- the SDK's global error handler lines on the app's stderr (`traces export: ...`,
  `conflicting Schema URL`, ...);
- what otdiag's receiver got.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from otdiag.run.facts import ExitFact, ExporterFact, ProviderFact, RuntimeFacts
from otdiag.run.observer import AppRun, Launch, Prepared, Seen
from otdiag.run.observers.go import binary
from otdiag.run.observers.go.analyse import analyse_go
from otdiag.run.observers.go.linked import Linked, from_binary, from_go_run

INVISIBLE = (
    "a Go binary cannot be hooked from outside: no span counts, no export results, no provider "
    "registration site (file:line); what the code calls is read from the binary, not watched"
)


def _executable(argv: Sequence[str]) -> Path | None:
    first = argv[0] if argv else ""
    if not first:
        return None
    found = first if os.sep in first else shutil.which(first)
    return Path(found) if found else None


LAUNCHERS = frozenset(
    {"go", "docker", "docker-compose", "podman", "nerdctl", "kubectl", "helm", "skaffold", "tilt", "kind",
     "minikube", "air", "dlv", "gow", "reflex", "task"}
)  # fmt: skip
"""Go programs that start other programs: their own build info says nothing about the app."""


def _is_go_run(argv: Sequence[str]) -> bool:
    return len(argv) >= 2 and Path(argv[0]).name in ("go", "go.exe") and argv[1] == "run"


class GoObserver:
    """The Go runtime's observer (see the module docstring)."""

    runtime = "go"

    def applies(self, argv: Sequence[str]) -> bool:
        if _is_go_run(argv):
            return True
        path = _executable(argv)
        return path is not None and path.name not in LAUNCHERS and binary.is_go(path)

    def prepare(self, launch: Launch) -> Prepared:
        return Prepared()

    def analyse(self, run: AppRun) -> Seen:
        argv = run.launch.argv
        try:
            if _is_go_run(argv):
                linked: Linked = from_go_run(argv, run.launch.cwd, run.launch.env)
            else:
                path = _executable(argv)
                if path is None:
                    raise binary.NotGo("the command was not found")
                linked = from_binary(path)
        except binary.NotGo as exc:
            facts = RuntimeFacts("go", notes=(f"could not read what the app links: {exc}", INVISIBLE))
            return Seen(facts, tuple(analyse_go(None, run)), 0)
        findings = analyse_go(linked, run)
        roots = 0
        from otdiag.model import Severity

        for f in findings:
            if f.severity is not Severity.ERROR:
                break
            roots += 1
        return Seen(_facts(linked, run), tuple(findings), roots)


def _facts(linked: Linked, run: AppRun) -> RuntimeFacts:
    from otdiag import redact
    from otdiag.run.observers.go.analyse import stderr_export_errors

    provider = None
    if linked.sdk:
        provider = ProviderFact(
            "sdktrace.TracerProvider (linked)",
            registered=linked.set_provider is not False,
            sampler="NeverSample (in the code)" if "NeverSample" in linked.calls else None,
        )
    errors = tuple(redact.clean(x)[:300] for x in stderr_export_errors(run.stderr)[:3])
    exporters = tuple(ExporterFact(name, protocol=proto, errors=errors) for name, proto in linked.exporters())
    exit_how = "signal" if run.returncode < 0 else "unknown"
    calls = [f"{name} in {where}" for name, where in linked.calls.items() if name in ("os.Exit", "log.Fatal")]
    settings = {k: redact.clean(v)[:80] for k, v in linked.settings.items() if k in ("GOOS", "GOARCH", "CGO_ENABLED")}
    if linked.go_version:
        settings["go"] = redact.clean(linked.go_version)[:40]
    notes = [INVISIBLE]
    if not linked.calls_known:
        notes.append("what the code calls was not read (a stripped or non-amd64 binary, or no sources)")
    return RuntimeFacts(
        "go",
        loaded=True,
        how=linked.how,
        runtime_version=redact.clean(linked.go_version)[:40],
        packages={redact.clean(m)[:120]: redact.clean(v)[:60] for m, v in _ordered(linked.otel_modules())[:40]},
        provider=provider,
        exporters=exporters,
        exit=ExitFact(how=exit_how, detail="; ".join(calls)[:200] or None),
        settings=settings,
        notes=tuple(notes),
    )


def _ordered(modules: dict[str, str]) -> list[tuple[str, str]]:
    """The API, the SDK and the exporters first: the modules a reader looks for."""
    from otdiag.run.observers.go.linked import EXPORTERS, OTEL, SDK

    first = [OTEL, SDK, *EXPORTERS]
    return sorted(modules.items(), key=lambda kv: (first.index(kv[0]) if kv[0] in first else len(first), kv[0]))


OBSERVER = GoObserver()
