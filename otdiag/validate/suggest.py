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
    """Optimal string alignment distance between `a` and `b` (stops early past `limit`)."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


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


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """`Did you mean "x"?`, or None."""
    near = nearest(word, candidates)
    return f'Did you mean "{near}"?' if near is not None else None
