#!/usr/bin/env python3
"""Which string distance gives the best "did you mean": otdiag's own (suggest.py) against difflib.

Runs validate-config on every typo case of tests/validate_corpus/typos.py with each matcher in
place of suggest.nearest and counts: right suggestions (the expected name in the fix), wrong
ones (another name), and suggestions on NEAR_MISSES (names that are no typo of anything, where
any suggestion misleads); then the time per call. rapidfuzz is measured too when it is
importable (it is not a dependency: `pip install rapidfuzz` in a scratch environment).

Usage: python scripts/bench_suggest.py
"""

from __future__ import annotations

import difflib
import re
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from otdiag.validate import api, suggest
from tests.validate_corpus.typos import NEAR_MISSES, TYPOS

Matcher = Callable[[str, Iterable[str]], "str | None"]


def difflib_matcher(cutoff: float) -> Matcher:
    def nearest(word: str, candidates: Iterable[str]) -> str | None:
        close = difflib.get_close_matches(word, [c for c in candidates if c != word], n=1, cutoff=cutoff)
        return close[0] if close else None

    return nearest


def rapidfuzz_matcher() -> Matcher | None:
    try:
        from rapidfuzz import process  # type: ignore[import-not-found]
        from rapidfuzz.distance import DamerauLevenshtein  # type: ignore[import-not-found]
    except ImportError:
        return None

    def nearest(word: str, candidates: Iterable[str]) -> str | None:
        pool = [c for c in candidates if c != word]
        best = process.extractOne(word, pool, scorer=DamerauLevenshtein.normalized_similarity, score_cutoff=0.67)
        return best[0] if best else None

    return nearest


def score(matcher: Matcher) -> tuple[int, int, int, float]:
    original = suggest.nearest
    suggest.nearest = matcher  # type: ignore[assignment]
    right = wrong = false_alarm = 0
    calls = [0]

    def counted(word: str, candidates: Iterable[str]) -> str | None:
        calls[0] += 1
        return matcher(word, candidates)

    suggest.nearest = counted  # type: ignore[assignment]
    started = time.perf_counter()
    try:
        for _, text, code, want in TYPOS:
            findings = api.validate_source(text, "c.yaml", None, environ={}).findings
            hints = [f.hint or "" for f in findings if f.code == code]
            if any(f'"{want}"' in h for h in hints):
                right += 1
            elif any(re.search(r'Did you mean "', h) for h in hints):
                wrong += 1
        for _, text in NEAR_MISSES:
            findings = api.validate_source(text, "c.yaml", None, environ={}).findings
            false_alarm += any("Did you mean" in (f.hint or "") for f in findings)
    finally:
        suggest.nearest = original
    # Time per call, on the candidate lists the cases use.
    words = [("bacth", ["batch", "memory_limiter", "filter"]), ("send_batch_sise", _BATCH_KEYS)] * 500
    t0 = time.perf_counter()
    for w, cands in words:
        matcher(w, cands)
    per_call = (time.perf_counter() - t0) / len(words) * 1e6
    _ = started
    return right, wrong, false_alarm, per_call


_BATCH_KEYS = ["metadata_cardinality_limit", "metadata_keys", "send_batch_max_size", "send_batch_size", "timeout"]


def main() -> int:
    matchers: list[tuple[str, Matcher | None]] = [
        ("otdiag suggest (OSA distance, folded)", suggest.nearest),
        ("difflib cutoff 0.6 (its default)", difflib_matcher(0.6)),
        ("difflib cutoff 0.75 (otdiag before)", difflib_matcher(0.75)),
        ("rapidfuzz Damerau-Levenshtein >= 0.67", rapidfuzz_matcher()),
    ]
    print(f"{len(TYPOS)} typo cases, {len(NEAR_MISSES)} near misses")
    print(f"{'matcher':40} {'right':>6} {'wrong':>6} {'misled':>7} {'µs/call':>8}")
    for name, matcher in matchers:
        if matcher is None:
            print(f"{name:40} (not installed)")
            continue
        right, wrong, misled, per_call = score(matcher)
        print(f"{name:40} {right:>6} {wrong:>6} {misled:>7} {per_call:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
