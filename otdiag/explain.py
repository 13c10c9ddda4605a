"""`otdiag explain CODE`: what a finding means, its usual causes, how to confirm it, and its fix.

Everything comes from the catalogue (meaning, default fix, severity, stage, guide: the same source as
docs/findings.md) and otdiag/explanations.py (causes and how to confirm). An unknown code is a usage
error that names the nearest codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from otdiag import redact
from otdiag.errors import UsageError
from otdiag.model import GUIDE_TITLES, Result

MAX_CODE_CHARS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class ExplainResult(Result):
    COMMAND: ClassVar[str] = "explain"
    code: str
    severity: str
    stage: str
    guide: str | None
    guide_title: str | None
    meaning: str
    causes: tuple[str, ...]
    confirm: str
    fix: str

    def fields_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "stage": self.stage,
            "guide": self.guide,
            "guide_title": self.guide_title,
            "meaning": self.meaning,
            "causes": list(self.causes),
            "confirm": self.confirm,
            "fix": self.fix,
        }


def codes() -> list[str]:
    from otdiag import catalogue

    return sorted(catalogue.KINDS)


def suggestions(word: str, limit: int = 3) -> list[str]:
    """The codes nearest to `word`: by edit distance on the whole code, or on the part after the dot."""
    from otdiag.validate import suggest

    folded = suggest._fold(word)
    if not folded:
        return []
    known = codes()
    bound = max(2, len(folded) // 3)
    scored: list[tuple[int, str]] = []
    for code in known:
        whole = suggest.distance(folded, suggest._fold(code), bound)
        tail = suggest.distance(folded, suggest._fold(code.split(".", 1)[-1]), bound)
        best = min(whole, tail)
        if best <= bound:
            scored.append((best, code))
        elif len(folded) >= 4 and folded in suggest._fold(code):
            scored.append((bound, code))
    scored.sort()
    return [code for _, code in scored[:limit]]


def explain(code: str) -> ExplainResult:
    """The explanation of `code`; UsageError (with the nearest codes) when otdiag has no such code."""
    from otdiag import catalogue, explanations

    wanted = code.strip().lower()
    kinds = catalogue.KINDS
    kind = kinds.get(wanted)
    if kind is None:
        shown = redact.printable(redact.scrub(code[:MAX_CODE_CHARS]))
        near = suggestions(wanted[:MAX_CODE_CHARS])
        hint = f"; did you mean {', '.join(near)}?" if near else "; `otdiag explain --list` lists every code"
        raise UsageError(f"no finding has the code {shown!r}{hint}")
    return ExplainResult(
        code=kind.code,
        severity=kind.severity.value,
        stage=kind.stage.value,
        guide=kind.guide.value if kind.guide else None,
        guide_title=GUIDE_TITLES[kind.guide] if kind.guide else None,
        meaning=kind.title,
        causes=explanations.causes(kind.code),
        confirm=explanations.confirm(kind.code),
        fix=kind.hint,
    )
