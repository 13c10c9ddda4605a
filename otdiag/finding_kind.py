"""What a finding kind is, and the table every kind is declared into.

Only the catalogue (otdiag.catalogue) and the modules it imports by name (otdiag.catalogue_config)
call `kind`: a kind declared anywhere else would be known only after its module happens to be imported,
and tests/test_docs.py fails on one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from otdiag.model import Finding, Guide, Location, Severity, Stage

KINDS: dict[str, Kind] = {}


class Origin(StrEnum):
    """Where a kind of finding comes from, for the decisions that treat them apart."""

    PROBE = "probe"
    """Probing the live pipeline (the default)."""
    CONFIG = "config"
    """Reading a config file (validate-config's kinds, and the config rules check shares)."""
    FLEET = "fleet"
    """A fleet's counters, read through Prometheus."""


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
    hop: bool = False
    """The span was lost on its way out of a collector (its exporter): the hop to the next tier (or to
    Jaeger) failed, while the tier itself did its part."""
    proves: bool = False
    """A probe that finds this proves the cause by itself: the end-to-end proof does not wait for the
    collector's metrics to confirm it (it waits --timeout at most)."""
    origin: Origin = Origin.PROBE
    covers: tuple[str, ...] = ()
    """Codes this kind explains when both are found about one app: they are the same failure seen from
    another side (the receiver's refusal, the exporter's error), so they become its evidence, not a
    second answer."""

    def made(self, f: Finding | None) -> bool:
        """Whether `f` is a finding of this kind."""
        return f is not None and f.code == self.code

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


def kind(
    code: str,
    severity: Severity,
    stage: Stage,
    guide: Guide | None,
    title: str,
    hint: str,
    *,
    hop: bool = False,
    proves: bool = False,
    origin: Origin = Origin.PROBE,
    covers: tuple[str, ...] = (),
) -> Kind:
    if code in KINDS:
        raise ValueError(f"finding code {code!r} declared twice")
    k = Kind(code, severity, stage, guide, title, hint, hop=hop, proves=proves, origin=origin, covers=covers)
    KINDS[code] = k
    return k


def kind_of(f: Finding) -> Kind:
    """The kind a finding was made from."""
    return KINDS[f.code]


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
COLLECTED, IN_JAEGER, CREATED = (
    Guide.TRACES_NOT_COLLECTED,
    Guide.TRACES_NOT_IN_JAEGER,
    Guide.SPANS_NOT_CREATED,
)
