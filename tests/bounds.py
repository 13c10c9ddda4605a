"""How long a command bounded by a timeout may take in a test, on a loaded two-core machine.

A test that a run "ends within its timeout" asserts that the run is bounded, not how fast the
machine is: speed is measured by the benchmark scripts, never asserted. `within(T)` is generous
enough for a busy CI machine (start-up, scheduling, the final report) yet still fails when the
timeout under test is ignored: every such test passes a T of 1-1.5 s, and the defaults it would
fall back to (5 s for check, 10 s for send-test-span and find-trace) or a hang lie beyond it.
"""

from __future__ import annotations


def within(timeout: float) -> float:
    """The most seconds a run given `--timeout timeout` may take."""
    return 2 * timeout + 2.5
