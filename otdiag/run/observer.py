"""The interface every runtime observer of `otdiag run` implements.

An observer is asked, in order:
1. `applies(argv)`: whether the command runs its runtime (`node app.js`, `java -jar x.jar`, a Go binary...);
2. `prepare(launch)`: what to add to the app's environment (and, rarely, its command line) so the
   observer sees inside the process, without changing what the app does;
3. `analyse(run)`: after the app exited, the facts it saw (`RuntimeFacts`) and the findings they
   prove, root causes first.

An observer never changes the app's exit status, stdout or stderr; its own failures become an
`info` finding, never an error of the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from otdiag.model import Finding
from otdiag.observe.observed import Observed
from otdiag.run.facts import RuntimeFacts

if TYPE_CHECKING:
    from otdiag.listen.summary import ListenResult


@dataclass(frozen=True, slots=True)
class Launch:
    """What an observer knows before the app starts."""

    argv: tuple[str, ...]
    """The command as the user gave it (not scrubbed: never show it as is)."""
    env: Mapping[str, str]
    """The app's environment, with otdiag's changes (OTEL_EXPORTER_OTLP_ENDPOINT pointed at the receiver)."""
    workdir: Path
    """A private directory (mode 0700) for this run: injected files and the observer's reports. Deleted after."""
    endpoint: str
    """otdiag's receiver (http://127.0.0.1:PORT; gRPC and HTTP on the same port)."""
    cwd: Path


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the observer adds to the app's launch."""

    env: Mapping[str, str] = field(default_factory=dict)
    """Variables to set (e.g. NODE_OPTIONS chaining the app's own, JAVA_TOOL_OPTIONS)."""
    argv: tuple[str, ...] | None = None
    """A replacement command line, only when the runtime offers no environment hook (None: unchanged)."""
    findings: tuple[Finding, ...] = ()
    """Notes known before the start (e.g. the observer cannot load into this command)."""


@dataclass(frozen=True, slots=True)
class AppRun:
    """What an observer is given once the app has exited."""

    launch: Launch
    returncode: int
    """The exit status; negative: the signal that killed it."""
    stopped: str | None
    """Why otdiag stopped the app, if it did ('SIGINT', 'SIGTERM', 'timeout')."""
    stderr: tuple[str, ...]
    """The app's stderr lines (decoded, each cut to a bounded length; the first and last lines kept when
    there were many). Raw text from the app: make it printable and scrub it before it reaches a finding."""
    summary: ListenResult
    """What otdiag's receiver saw (spans, services, refused requests where the receiver records them)."""
    also_receiving: tuple[str, ...] = ()
    """Other host:port the receiver listened on (the default OTLP ports, with --default-ports)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """An observer's answer: its facts and the findings they prove."""

    facts: RuntimeFacts | Observed
    """The typed facts: `Observed` for Python (its own, richer shape), `RuntimeFacts` for every other runtime."""
    findings: tuple[Finding, ...] = ()
    root_causes: int = 0
    """How many of the first findings are root causes that outrank the app's environment."""

    @property
    def loaded(self) -> bool:
        return self.facts.loaded

    @property
    def observed(self) -> RuntimeFacts | Observed:
        return self.facts


class RuntimeObserver(Protocol):
    """One runtime's observer (see the module docstring)."""

    @property
    def runtime(self) -> str:
        """Its name: 'node', 'java', 'go', ..."""
        ...

    def applies(self, argv: Sequence[str]) -> bool: ...

    def prepare(self, launch: Launch) -> Prepared: ...

    def analyse(self, run: AppRun) -> Seen: ...
