"""The values every command produces: findings, steps, exit codes.

Core code returns these; the CLI renders them (human or JSON) and exits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import Any, ClassVar


class ExitCode(IntEnum):
    """Process exit codes, as documented in the README and cli-contract.md."""

    OK = 0
    """What was asked holds: pipeline healthy, export accepted, config valid, trace found."""
    PROBLEM = 1
    """What was asked does not hold: the report says which problem was found."""
    USAGE = 2
    """The request itself is wrong: bad flag, unreadable file, malformed ID or URL."""
    INTERNAL = 3
    """otdiag itself failed (a bug): the one line says so; --debug shows the traceback."""
    INTERRUPTED = 130
    """Interrupted by Ctrl-C."""


class Protocol(StrEnum):
    """The OTLP transports, named as OTEL_EXPORTER_OTLP_PROTOCOL names them."""

    GRPC = "grpc"
    HTTP_PROTOBUF = "http/protobuf"
    HTTP_JSON = "http/json"

    @property
    def is_http(self) -> bool:
        return self is not Protocol.GRPC


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Stage(StrEnum):
    """Where along App -> SDK -> Collector -> Jaeger a problem sits."""

    APP = "app"
    COLLECTOR_INGEST = "collector-ingest"
    COLLECTOR = "collector"
    COLLECTOR_EXPORT = "collector-export"
    JAEGER = "jaeger"
    OTDIAG = "otdiag"


class Guide(StrEnum):
    """The troubleshooting guide's three headings."""

    SPANS_NOT_CREATED = "spans-not-created"
    TRACES_NOT_COLLECTED = "traces-not-collected"
    TRACES_NOT_IN_JAEGER = "traces-not-in-jaeger"


GUIDE_TITLES: dict[Guide, str] = {
    Guide.TRACES_NOT_COLLECTED: "Traces are not being collected",
    Guide.TRACES_NOT_IN_JAEGER: "Traces are not being displayed in Jaeger",
    Guide.SPANS_NOT_CREATED: "Spans are not being created",
}


SPAN_KINDS: dict[int, str] = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
"""OTLP's span kinds by number, named as Jaeger's API v3 and legacy answers name them."""

SPAN_KIND_NUMBERS: dict[str, int] = {f"SPAN_KIND_{name.upper()}": n for n, name in SPAN_KINDS.items()}
"""OTLP/JSON's enum names (SPAN_KIND_SERVER) -> the number."""


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file: 1-based line and column."""

    file: str
    line: int
    column: int

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or observation), with what to do about it."""

    code: str
    """Stable identifier, documented in docs/findings.md; never reused."""
    severity: Severity
    stage: Stage
    guide: Guide | None
    message: str
    """What is wrong, in one plain sentence."""
    hint: str
    """The fix, in one line."""
    target: str | None = None
    """The endpoint, URL or component concerned, secrets redacted."""
    location: Location | None = None
    evidence: tuple[str, ...] = ()
    """What was observed: error texts, status codes, metric deltas (redacted)."""
    tier: str | None = None
    """The collector tier it is about, in a check across tiers (its message names it too); None otherwise."""

    def at(self, tier: str) -> Finding:
        """The same finding, about that tier."""
        return replace(self, tier=tier)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "stage": self.stage.value,
            "guide": self.guide.value if self.guide else None,
            "message": self.message,
            "hint": self.hint,
            "target": self.target,
            "location": self.location.to_json() if self.location else None,
            "evidence": list(self.evidence),
        }


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def order_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, keeping the producer's order (most fundamental cause first) within a severity."""
    return sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity])


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


class StepStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Step:
    """One probe `check` ran, for the `steps` list of its report."""

    name: str
    stage: Stage
    status: StepStatus
    duration_ms: float
    detail: str
    target: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "stage": self.stage.value,
            "status": self.status.value,
            "duration_ms": round(self.duration_ms, 1),
            "detail": self.detail,
            "target": self.target,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """What a command's core returns: its findings, and (in a subclass per command) typed fields.

    A subclass names its command in COMMAND and lists its JSON fields, in the contract's order, in
    `fields_json`; `to_json` wraps them in the envelope every report shares (cli-contract.md).
    """

    COMMAND: ClassVar[str] = ""
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not has_errors(list(self.findings))

    def fields_json(self) -> dict[str, Any]:
        """The command's own JSON fields, beside `findings`."""
        return {}

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "schema_version": "1",
            "command": self.COMMAND,
            "ok": self.ok,
            "findings": [f.to_json() for f in order_findings(list(self.findings))],
        }
        doc.update(self.fields_json())
        return doc
