"""The registered runtime observers; adding a runtime is one module and one line here.

Python apps keep their own observer (`otdiag.observe`), chosen before these.
"""

from __future__ import annotations

from collections.abc import Sequence

from otdiag.run.observer import RuntimeObserver
from otdiag.run.observers.go import OBSERVER as GO
from otdiag.run.observers.java import JavaObserver
from otdiag.run.observers.node import NodeObserver

OBSERVERS: tuple[RuntimeObserver, ...] = (NodeObserver(), JavaObserver(), GO)
"""Asked in order; the first whose `applies(argv)` is true observes the run."""


def pick(argv: Sequence[str]) -> RuntimeObserver | None:
    """The observer for this command, or None (Python, or a runtime with no observer)."""
    for observer in OBSERVERS:
        try:
            if observer.applies(argv):
                return observer
        except OSError:
            continue
    return None
