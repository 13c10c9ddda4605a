"""Auto-instrumentation that instruments nothing: libraries the app uses whose instrumentation is missing.

Under `opentelemetry-instrument` the observer lists, at exit, each library the app imported that has an
instrumentation in the app's own opentelemetry-instrumentation release (its `bootstrap_gen` table)
and whether that instrumentation package is installed. A library without one gets no span: with no
other span started, that is why the app emits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from otdiag import catalogue as c
from otdiag import redact
from otdiag.model import Finding, Severity

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}(?:\s*(?:[<>=~!]=?|===)\s*[A-Za-z0-9.*+!_-]{1,40})?")
_MAX_SHOWN = 5


@dataclass(frozen=True, slots=True)
class Missing:
    library: str
    version: str
    instrumentation: str
    """The requirement to install, as the app's opentelemetry-instrumentation pins it."""


def missing(reports: Sequence[Mapping[str, Any]]) -> list[Missing]:
    """What the app's processes found missing, one entry per library, shape-checked (the reports are
    the app's words: a name that does not look like a package name is left out)."""
    seen: dict[str, Missing] = {}
    for report in reports:
        auto = report.get("auto_instrumentation")
        entries = auto.get("missing") if isinstance(auto, Mapping) else None
        for entry in entries[:50] if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping):
                continue
            library, version, wanted = (entry.get(k) for k in ("library", "version", "instrumentation"))
            if not (isinstance(library, str) and _NAME.fullmatch(library)):
                continue
            if not (isinstance(wanted, str) and _REQUIREMENT.fullmatch(wanted.strip())):
                continue
            shown_version = version if isinstance(version, str) and _NAME.fullmatch(version) else ""
            seen.setdefault(library.lower(), Missing(library, shown_version, redact.printable(wanted.strip())))
    return list(seen.values())


def finding(gaps: Sequence[Missing], *, spans_started: int) -> Finding | None:
    """One finding for every missing instrumentation: the cause when no span was started, a warning
    (those calls are not traced) when other spans were."""
    if not gaps:
        return None
    used = ", ".join(f"{g.library} {g.version}".strip() for g in gaps[:_MAX_SHOWN])
    more = f" and {len(gaps) - _MAX_SHOWN} more" if len(gaps) > _MAX_SHOWN else ""
    install = " ".join(f"'{g.instrumentation}'" for g in gaps[:_MAX_SHOWN])
    if spans_started:
        message = (
            f"The app uses {used}{more}, which opentelemetry-instrument does not trace: no instrumentation installed."
        )
    else:
        message = (
            f"The app runs under opentelemetry-instrument and uses {used}{more}, but no instrumentation for "
            f"{'it' if len(gaps) == 1 else 'them'} is installed, so no span was started."
        )
    return c.APP_INSTRUMENTATION_MISSING(
        message,
        hint=f"pip install {install} in the app's environment (or run `opentelemetry-bootstrap -a install`).",
        severity=Severity.WARNING if spans_started else None,
        evidence=[f"{g.library} {g.version}: {g.instrumentation} not installed".replace("  ", " ") for g in gaps],
    )
