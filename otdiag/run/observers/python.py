"""Python apps: otdiag's in-process observer (`otdiag.observe`), behind the same interface as every runtime.

`prepare` puts the observer's `sitecustomize` first on the app's PYTHONPATH (chaining the app's own);
`analyse` reads the reports each Python process left and turns them into findings (`observe.analysis`).
Its facts keep their own typed shape (`observe.observed.Observed`), which the JSON report shows as it did.
"""

from __future__ import annotations

from collections.abc import Sequence

from otdiag import observe
from otdiag.observe import analysis
from otdiag.run.observer import AppRun, Launch, Prepared, Seen


class PythonObserver:
    runtime = "python"

    def applies(self, argv: Sequence[str]) -> bool:
        return observe.looks_like_python(list(argv))

    def prepare(self, launch: Launch) -> Prepared:
        return Prepared(env=observe.environment(launch.env, launch.workdir))

    def analyse(self, run: AppRun) -> Seen:
        seen = analysis.analyse(
            analysis.read_reports(run.launch.workdir),
            analysis.Context(
                endpoint=run.launch.endpoint,
                receiver_spans=run.summary.spans,
                returncode=run.returncode,
                cwd=str(run.launch.cwd),
                also=list(run.also_receiving),
            ),
        )
        return Seen(seen.observed, tuple(seen.findings), seen.root_causes)
