#!/usr/bin/env python3
"""validate-config's figures against the real binaries, each corpus on its own line.

- agreement on the older corpus (tests/validate_corpus: upstream test configs and ours);
- agreement on the issues corpus (tests/validate_corpus_issues): `validate`, and start-up;
- did-you-mean coverage over the typo cases (tests/validate_corpus/typos.py);
- warnings per valid config (`info` not counted), over every config the binary accepts;
- the releases corpus (tests/validate_corpus_releases): agreement per release of the matrix (v0.111,
  v0.155, the newest), each release's `validate` then a real start, and its structural did-you-mean hits.

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
from otdiag.validate import api, versions
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
        result = api.validate_source(text, name, dist, environ=ENV, release=versions.parse(peers.version("otelcol")))
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


def releases_corpus() -> None:
    """tests/validate_corpus_releases against each release of the matrix: its validate, then a real start
    (in a private network namespace when the host allows one); the structural did-you-mean hits."""
    from tests.test_validate_releases import CASES as RELEASE_CASES
    from tests.test_validate_releases import ENV as RELEASE_ENV
    from tests.test_validate_releases import errors, ours, start_isolated

    os.environ.update(RELEASE_ENV)  # the binaries read the corpus's ${env:...} too

    for peer in peers.COLLECTORS:
        binary = peers.locate(peer)
        if binary is None:
            print(f"releases corpus: {peer} is not installed; skipped")
            continue
        release = peers.version(peer)
        folder = Path(tempfile.mkdtemp(prefix="otdiag-releases-"))

        def one(case: tuple[str, str], binary: Path = binary, release: str = release, folder: Path = folder) -> str:
            name, text = case
            path = folder / f"{name}.yaml"
            path.write_text(text)
            verdict = run_validate(str(binary), path)
            result = ours(text, release, base_dir=Path.cwd())
            if (not result.validate_errors) != verdict.ok:
                return f"validate:{name}"
            if verdict.ok:
                started, _ = start_isolated(binary, path)
                if started == bool(errors(result)):
                    return f"start:{name}"
            return ""

        with ThreadPoolExecutor(max_workers=2) as pool:
            wrong = [w for w in pool.map(one, RELEASE_CASES) if w]
        n = len(RELEASE_CASES)
        print(f"releases corpus, {peer} ({release}): agreement {n - len(wrong)}/{n} (validate, then start)")
        for w in wrong:
            print(f"  disagrees: {w}")
    hinted = [(n, t) for n, t in RELEASE_CASES if "# expect-hint:" in t]
    hits = 0
    for _, text in hinted:
        want = text.split("# expect-hint:", 1)[1].splitlines()[0].strip()
        hits += any(want in (f.hint or "") for f in ours(text).findings if f.severity is Severity.ERROR)
    print(f"structural did-you-mean: {hits}/{len(hinted)} cases get the expected place")
    total, valid = 0, 0
    for _, text in RELEASE_CASES:
        result = ours(text)
        if not errors(result):
            valid += 1
            total += sum(f.severity is Severity.WARNING for f in result.findings)
    print(f"warnings per valid config (releases corpus, newest release): {total}/{valid} = {total / max(valid, 1):.2f}")


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
    releases_corpus()
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
