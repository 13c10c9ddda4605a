""" "Did you mean": the nearest valid name to a misspelt one.

Typos in config keys and names are mostly one slip: a swapped pair (`bacth`), a letter left out
(`endpont`), doubled (`gzipp`) or wrong (`memroy`), a separator lost or changed (`sendbatchsize`,
`send-batch-size`). The distance is the optimal-string-alignment edit distance (Damerau-Levenshtein
where a swap of neighbours costs one edit), taken over names with `_`/`-` removed and case folded,
so that separators and case cost nothing. A suggestion needs a distance of at most a third of the
name's length (one edit for short names): far names are not suggested at all, since a wrong
suggestion misleads more than none. scripts/bench_suggest.py compares this with difflib.
"""

from __future__ import annotations

from collections.abc import Iterable


def _fold(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def distance(a: str, b: str, limit: int = 1 << 30) -> int:
    """Optimal string alignment distance between `a` and `b`; any value past `limit` is limit + 1.

    Only the band of cells within `limit` of the diagonal is computed (Ukkonen's cut-off)."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    big = limit + 1
    prev2: list[int] = []
    prev = [j if j <= limit else big for j in range(lb + 1)]
    for i in range(1, la + 1):
        cur = [big] * (lb + 1)
        cur[0] = i if i <= limit else big
        lo, hi = max(1, i - limit), min(lb, i + limit)
        best = cur[0]
        ca = a[i - 1]
        for j in range(lo, hi + 1):
            cb = b[j - 1]
            v = prev[j - 1] + (ca != cb)
            v = min(v, prev[j] + 1)
            v = min(v, cur[j - 1] + 1)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and prev2[j - 2] + 1 < v:
                v = prev2[j - 2] + 1
            cur[j] = v if v <= limit else big
            best = min(best, v)
        if best > limit:
            return big
        prev2, prev = prev, cur
    return prev[lb]


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word`, or None when none is near enough to be a likely typo."""
    target = _fold(str(word))
    if not target:
        return None
    limit = max(1, len(target) // 3)
    best: tuple[int, int, str] | None = None
    for cand in candidates:
        if cand == word:
            continue
        folded = _fold(cand)
        if not folded:
            continue
        d = distance(target, folded, limit)
        if d > limit:
            continue
        # Ties: the candidate whose length is closest, then the first in order given.
        key = (d, abs(len(folded) - len(target)), cand)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best else None
