"""otdiag's verdict equals the real collector's (or Jaeger's) `validate` on every corpus config.

Each config is validated by the real binary inside the test (in parallel, once per session and
binary) and by otdiag. A config that uses a component the binary does not contain is skipped with
that reason; every other one must agree (valid/invalid). The collector configs run against every
collector of the version matrix, otdiag told that collector's release (--collector-version).
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from otdiag.validate import api, versions
from otdiag.validate.binary import Verdict, run_validate
from otdiag.validate.knowledge import SECTIONS, Distribution, load
from otdiag.validate.yamlsrc import LoadError
from otdiag.validate.yamlsrc import load as load_yaml
from tests import peers
from tests.conftest import require_peer
from tests.validate_corpus import corpus

pytestmark = pytest.mark.peers
CORPUS = corpus()
# Environment both sides see (the binary inherits it): one set variable, the rest unset.
ENV = {"OTDIAG_SET_VAR": "127.0.0.1:4317"}
# Known disagreements, each with why. xfail, and fixing one fails loudly.
KNOWN_GAPS: dict[str, str] = {}
# The same, for one collector release of the matrix only (settings are generated per release: none now).
KNOWN_GAPS_BY_RELEASE: dict[str, dict[str, str]] = {}


def _components(binary: Path) -> set[tuple[str, str]]:
    import subprocess

    out = subprocess.run([str(binary), "components"], capture_output=True, text=True, check=True, timeout=60)
    doc = yaml.safe_load(out.stdout[out.stdout.index("buildinfo:") :])
    have = set()
    for section, kind in SECTIONS.items():
        for c in doc.get(section) or []:
            have.add((kind, c["name"]))
    return have


def _missing(text: str, dist: Distribution, have: set[tuple[str, str]]) -> list[str]:
    """Component types the config uses that the binary lacks (aliases resolved)."""
    try:
        root, _ = load_yaml(text)
    except LoadError:
        return []
    if root.kind != "map":
        return []
    know = load(dist)
    missing = []
    for section, kind in SECTIONS.items():
        node = root.get(section)
        if node is None or node.kind != "map":
            continue
        for k, _ in node.items:
            typ = str(k.value).split("/", 1)[0].strip()
            info = know.lookup(kind, typ)
            canonical = info.type if info else typ
            if (kind, canonical) not in have and (kind, typ) not in have and info is not None:
                missing.append(f"{kind} {typ}")
    return missing


_VERDICTS: dict[str, dict[str, Any]] = {}


@pytest.fixture
def verdicts(collector_peer: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every corpus config's verdict by the real binaries: `collector_peer` and Jaeger (once per session)."""
    if collector_peer not in _VERDICTS:
        _VERDICTS[collector_peer] = _run_all(collector_peer, tmp_path_factory)
    return _VERDICTS[collector_peer]


def _run_all(collector_peer: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    otelcol, jaeger = require_peer(collector_peer), require_peer("jaeger")
    have = {"otelcol": _components(otelcol), "jaeger": _components(jaeger)}
    folder = tmp_path_factory.mktemp("agreement")
    jobs = []
    for i, (group, name, text) in enumerate(CORPUS):
        path = folder / f"{i:04d}.yaml"
        path.write_text(text)
        try:
            dist = api.detect_distribution(load_yaml(text)[0])
        except LoadError:
            dist = Distribution.CONTRIB
        which = "jaeger" if dist is Distribution.JAEGER else "otelcol"
        jobs.append((f"{group}/{name}", path, text, dist, which))
    os.environ.update(ENV)
    binaries = {"otelcol": otelcol, "jaeger": jaeger}

    def one(job: tuple[str, Path, str, Distribution, str]) -> tuple[str, dict[str, Any]]:
        key, path, text, dist, which = job
        missing = _missing(text, dist, have[which])
        if missing:
            return key, {"skip": f"{which} lacks {', '.join(sorted(set(missing)))}"}
        verdict: Verdict = run_validate(binaries[which], path)
        return key, {"verdict": verdict, "dist": dist, "text": text, "which": which}

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, jobs))


def ours(text: str, name: str, dist: Distribution, release: str) -> list[str]:
    """otdiag's validate errors for the config, told the collector's release."""
    result = api.validate_source(text, name, dist, environ=ENV, release=versions.parse(release))
    return [f"{f.code}: {f.message}" for f in result.validate_errors]


# Releases whose key-level knowledge otdiag has (v0.155.0's, and v0.161.0's but for KNOWN_GAPS_BY_RELEASE):
# every config must agree. On v0.111.0 keys and checks differ (validate did not yet build pipelines,
# many settings were added since): its agreement is measured as a whole, below.
KEY_KNOWLEDGE = ("otelcol-newest", "otelcol")
OLD_FLOOR = 0.85


@pytest.mark.matrix(collector_peer=KEY_KNOWLEDGE)
@pytest.mark.parametrize(("group", "name", "text"), CORPUS, ids=[f"{g}/{n}" for g, n, _ in CORPUS])
def test_verdict_agrees_with_the_real_binary(
    verdicts: dict[str, Any], collector_peer: str, group: str, name: str, text: str
) -> None:
    entry = verdicts[f"{group}/{name}"]
    if "skip" in entry:
        pytest.skip(entry["skip"])
    if entry["which"] == "jaeger" and collector_peer != "otelcol":
        pytest.skip("a Jaeger config: checked once, with the default collector's run")
    verdict: Verdict = entry["verdict"]
    release = peers.version(collector_peer)
    gaps = {**KNOWN_GAPS, **KNOWN_GAPS_BY_RELEASE.get(release, {})}
    mine = ours(text, name, entry["dist"], release)
    if name in gaps:
        assert (not mine) != verdict.ok, f"{name} is listed as a known gap but otdiag and the binary now agree"
        pytest.xfail(gaps[name])
    assert (not mine) == verdict.ok, (
        f"{entry['which']} {release} validate says "
        f"{'valid' if verdict.ok else 'invalid: ' + ' | '.join(verdict.messages)}; "
        f"otdiag says {'valid' if not mine else 'invalid: ' + ' | '.join(mine)}"
    )


@pytest.mark.matrix(collector_peer=["otelcol-old"])
def test_agreement_on_a_release_otdiag_knows_by_name_only(verdicts: dict[str, Any], collector_peer: str) -> None:
    """v0.111.0: otdiag told the release agrees with its `validate` on at least OLD_FLOOR of the corpus."""
    release = peers.version(collector_peer)
    agree, differ = 0, []
    for group, name, text in CORPUS:
        entry = verdicts[f"{group}/{name}"]
        if "skip" in entry or entry["which"] == "jaeger":
            continue
        if (not ours(text, name, entry["dist"], release)) == entry["verdict"].ok:
            agree += 1
        else:
            differ.append(f"{group}/{name}")
    ratio = agree / (agree + len(differ))
    assert agree + len(differ) >= 150
    assert ratio >= OLD_FLOOR, f"{agree}/{agree + len(differ)} agree on {release}; differ: {differ}"


@pytest.mark.matrix(collector_peer=peers.COLLECTORS)
def test_corpus_is_large_enough_and_mostly_runnable(verdicts: dict[str, Any]) -> None:
    total = Counter(g for g, _, _ in CORPUS)
    skipped = Counter(g for g, n, _ in CORPUS if "skip" in verdicts[f"{g}/{n}"])
    assert sum(total.values()) >= 150
    assert sum(total.values()) - sum(skipped.values()) >= 150, (total, skipped)
