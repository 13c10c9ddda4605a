"""A command no observer recognises: a shell script, `make run`, a process manager, `env FOO=1 …`.

Such a launcher starts the app's runtime itself, so otdiag cannot tell the runtime from the command.
Every runtime whose observer loads through an environment variable is prepared at once: Python's
`sitecustomize` on PYTHONPATH and Node.js's preload in NODE_OPTIONS are both inherited by whatever the
launcher starts, and neither does anything in a process of another runtime. After the exit, the
runtime whose in-process observer left a report answers; with none, Python's observer does (it then
says it saw nothing, as before).
"""

from __future__ import annotations

from collections.abc import Sequence

from otdiag.run.observer import AppRun, Launch, Prepared, RuntimeObserver, Seen
from otdiag.run.observers.node import report as node_report


class LauncherObserver:
    """Prepares every environment-hooked observer; the one that reported analyses the run."""

    runtime = "python"

    def __init__(self, python: RuntimeObserver, node: RuntimeObserver) -> None:
        self.python = python
        self.node = node

    def applies(self, argv: Sequence[str]) -> bool:
        return bool(argv)

    def prepare(self, launch: Launch) -> Prepared:
        py = self.python.prepare(launch)
        js = self.node.prepare(launch)
        return Prepared(env={**py.env, **js.env}, findings=(*py.findings, *js.findings))

    def analyse(self, run: AppRun) -> Seen:
        if node_report.read(run.launch.workdir):
            return self.node.analyse(run)
        return self.python.analyse(run)
