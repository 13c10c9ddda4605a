#!/usr/bin/env python3
"""validate-config's figures against the real binaries, each corpus on its own line.

- agreement on the older corpus (tests/validate_corpus: upstream test configs and ours);
- agreement on the issues corpus (tests/validate_corpus_issues): `validate`, and start-up;
- did-you-mean coverage over the typo cases (tests/validate_corpus/typos.py);
- warnings per valid config (`info` not counted), over every config the binary accepts.

Needs the peers (scripts/install_peers.py). Usage: python scripts/validate_figures.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from otdiag.model import Severity
from otdiag.validate import api
from otdiag.validate.binary import run_validate
from otdiag.validate.knowledge import Distribution
from tests import peers
from tests.test_validate_agreement import ENV, _components, _missing
from tests.test_validate_agreement_issues import CASES, START_GAPS, _dist, run_start
from tests.validate_corpus import corpus
from tests.validate_corpus.typos import TYPOS


def verdicts(cases: list[tuple[str, str]], start: bool) -> list[dict[str, Any]]:
    binaries = {"otelcol": peers.locate("otelcol"), "jaeger": peers.locate("jaeger")}
    if not all(binaries.values()):
        raise SystemExit("validate_figures: the peers are missing: run scripts/install_peers.py")
    have = {k: _components(Path(str(v))) for k, v in binaries.items()}
    folder = Path(tempfile.mkdtemp(prefix="otdiag-figures-"))

    def one(i_case: tuple[int, tuple[str, str]]) -> dict[str, Any]:
        i, (name, text) = i_case
        dist = _dist(text)
        which = "jaeger" if dist is Distribution.JAEGER else "otelcol"
        if _missing(text, dist, have[which]):
            return {"name": name, "skip": True}
        path = folder / f"{i:04d}.yaml"
        path.write_text(text)
        verdict = run_validate(str(binaries[which]), path)
        result = api.validate_source(text, name, dist, environ=ENV)
        out = {"name": name, "ok": verdict.ok, "ours_ok": not result.validate_errors, "result": result}
        if start and verdict.ok:
            out["started"], _ = run_start(Path(str(binaries[which])), path)
            out["ours_start"] = not any(f.severity is Severity.ERROR for f in result.findings)
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, enumerate(cases)))


def warnings_per_valid(rows: list[dict[str, Any]]) -> tuple[int, int, Counter[str]]:
    valid = [r for r in rows if not r.get("skip") and r["ok"] and r.get("started", True)]
    codes: Counter[str] = Counter()
    for r in valid:
        codes.update(f.code for f in r["result"].findings if f.severity is Severity.WARNING)
    return sum(codes.values()), len(valid), codes


def main() -> int:
    os.environ.update(ENV)
    old = verdicts([(f"{g}/{n}", t) for g, n, t in corpus()], start=False)
    ran = [r for r in old if not r.get("skip")]
    agree = sum(r["ok"] == r["ours_ok"] for r in ran)
    print(f"older corpus: validate agreement {agree}/{len(ran)} ({len(old) - len(ran)} skipped)")
    for r in ran:
        if r["ok"] != r["ours_ok"]:
            print(f"  disagrees: {r['name']} (binary {'valid' if r['ok'] else 'invalid'})")
    new = verdicts(CASES, start=True)
    ran = [r for r in new if not r.get("skip")]
    agree = sum(r["ok"] == r["ours_ok"] for r in ran)
    started = [r for r in ran if r["ok"] and r["name"] not in START_GAPS]
    agree_start = sum(r["started"] == r["ours_start"] for r in started)
    print(
        f"issues corpus: validate agreement {agree}/{len(ran)}; start agreement {agree_start}/{len(started)} "
        f"({len(START_GAPS)} left out: they need a file or a server this machine lacks)"
    )
    for r in ran:
        if r["ok"] != r["ours_ok"] or (r["ok"] and r["name"] not in START_GAPS and r["started"] != r["ours_start"]):
            print(f"  disagrees: {r['name']}")
    hits = 0
    for _, text, code, want in TYPOS:
        fs = api.validate_source(text, "c.yaml", None, environ={}).findings
        hits += any(f.code == code and f'"{want}"' in (f.hint or "") for f in fs)
    print(f"did-you-mean: {hits}/{len(TYPOS)} typo cases get the expected suggestion")
    for label, rows in (("older corpus", old), ("issues corpus", new)):
        total, n, codes = warnings_per_valid(rows)
        print(
            f"warnings per valid config ({label}): {total}/{n} = {total / max(n, 1):.2f}  {dict(codes.most_common(6))}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
