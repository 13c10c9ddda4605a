"""What a finding kind is, and the table every kind is declared into.

Only the catalogue (otdiag.catalogue) and the modules it imports by name (otdiag.catalogue_config)
call `kind`: a kind declared anywhere else would be known only after its module happens to be imported,
and tests/test_docs.py fails on one.
"""

from __future__ import annotations

from dataclasses import dataclass

from otdiag.model import Finding, Guide, Location, Severity, Stage

KINDS: dict[str, Kind] = {}


@dataclass(frozen=True)
class Kind:
    code: str
    severity: Severity
    stage: Stage
    guide: Guide | None
    title: str
    """What the finding means, for the documentation."""
    hint: str
    """The default fix, in one line."""

    def __call__(
        self,
        message: str,
        *,
        hint: str | None = None,
        target: str | None = None,
        location: Location | None = None,
        evidence: tuple[str, ...] | list[str] = (),
        severity: Severity | None = None,
        stage: Stage | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            severity=severity or self.severity,
            stage=stage or self.stage,
            guide=self.guide,
            message=message,
            hint=hint or self.hint,
            target=target,
            location=location,
            evidence=tuple(evidence),
        )


def kind(code: str, severity: Severity, stage: Stage, guide: Guide | None, title: str, hint: str) -> Kind:
    if code in KINDS:
        raise ValueError(f"finding code {code!r} declared twice")
    k = Kind(code, severity, stage, guide, title, hint)
    KINDS[code] = k
    return k


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
COLLECTED, IN_JAEGER, CREATED = (
    Guide.TRACES_NOT_COLLECTED,
    Guide.TRACES_NOT_IN_JAEGER,
    Guide.SPANS_NOT_CREATED,
)
