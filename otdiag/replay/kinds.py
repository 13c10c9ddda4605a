"""The findings of `otdiag replay` (declared here, imported by the catalogue)."""

from __future__ import annotations

from otdiag.catalogue import COLLECTED, INFO, E, W, kind
from otdiag.model import Stage

EXPECTATION_FAILED = kind(
    "replay.expectation-failed",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "A replayed span was kept where it was expected to be dropped, or dropped where it was expected to be kept.",
    "Change the processor named in the report (its condition or policy), or the expectation.",
)
COLLECTOR_FAILED = kind(
    "replay.collector-failed",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "The collector binary did not run the config's processors (it exited, or never opened its receiver).",
    "Fix what the collector's own error line says (run `otdiag validate-config` on the config), "
    "or give a binary that has these components with --otelcol.",
)
INPUT_REFUSED = kind(
    "replay.input-refused",
    E,
    Stage.COLLECTOR_INGEST,
    COLLECTED,
    "The collector refused the replayed spans at its receiver (a memory_limiter, or a malformed request).",
    "Read the refusal text; a memory_limiter refusing on an idle collector has its limits set too low.",
)
VERSIONS_DIFFER = kind(
    "replay.versions-differ",
    E,
    Stage.COLLECTOR,
    COLLECTED,
    "Two collector releases did different things with the same spans and the same config.",
    "Read the release notes of the processor named in the report before upgrading, and adapt its settings.",
)
INCONSISTENT = kind(
    "replay.inconsistent",
    W,
    Stage.COLLECTOR,
    None,
    "A later processor stage let out a span that an earlier stage dropped: a processor decides at random, "
    "so each of replay's copies of it decided differently.",
    "Read the outcome of such a processor as a sample, not a rule; replay again to see it vary.",
)
NOT_FAITHFUL = kind(
    "replay.not-faithful",
    INFO,
    Stage.COLLECTOR,
    None,
    "Some processors depend on wall-clock time, this machine or external state, so replay may differ "
    "from production for them.",
    "Nothing to fix; weigh those processors' outcomes accordingly.",
)
LEFT_OUT = kind(
    "replay.left-out",
    INFO,
    Stage.COLLECTOR,
    None,
    "Parts of the config do not run in replay (receivers, exporters, extensions): nothing outside is contacted.",
    "Nothing to fix; the report says which exporters each span would have reached.",
)
SCALED = kind(
    "replay.waits-shortened",
    INFO,
    Stage.COLLECTOR,
    None,
    "--fast shortened processors' waits (tail_sampling's decision_wait): decisions come sooner than in production.",
    "Replay without --fast to keep the config's own waits.",
)
