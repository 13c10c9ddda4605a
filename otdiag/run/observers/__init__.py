"""The registered runtime observers; adding a runtime is one module and one line here.

Python is asked first (its launchers are Python programs too), Go last (any binary with Go build info).
"""

from __future__ import annotations

from collections.abc import Sequence

from otdiag.run.observer import RuntimeObserver
from otdiag.run.observers.go import OBSERVER as GO
from otdiag.run.observers.java import JavaObserver
from otdiag.run.observers.launcher import LauncherObserver
from otdiag.run.observers.node import NodeObserver
from otdiag.run.observers.python import PythonObserver

PYTHON = PythonObserver()
NODE = NodeObserver()
OBSERVERS: tuple[RuntimeObserver, ...] = (PYTHON, NODE, JavaObserver(), GO)
"""Asked in order; the first whose `applies(argv)` is true observes the run."""
LAUNCHER = LauncherObserver(PYTHON, NODE)
"""For a command none recognises (a shell script, make, a process manager): Python's and Node's hooks at once."""


def pick(argv: Sequence[str]) -> RuntimeObserver | None:
    """The observer for this command, or None when none recognises it.

    `otdiag run` then uses `LAUNCHER`: the observers that load through an environment variable (Python's
    PYTHONPATH entry, Node's NODE_OPTIONS preload) load into whatever a shell script or launcher ends up
    starting, and cost nothing to the rest.
    """
    for observer in OBSERVERS:
        try:
            if observer.applies(argv):
                return observer
        except OSError:
            continue
    return None
