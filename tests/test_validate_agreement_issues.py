"""A second agreement corpus, written from the collector's and Jaeger's issues and documentation.

tests/validate_corpus_issues/ holds configs people wrote in bug reports and docs examples (each
names its source on its first line), adapted to the components of the test collector and
Jaeger; none was written from otdiag's own rules. Two verdicts come from the real binaries:

- `validate`: the binary's `validate` command, against otdiag's validate errors;
- start: for a config `validate` accepts, the binary started for a few seconds (it must still be
  running), against otdiag's verdict with the start-time errors counted too.

scripts/agreement_issues.py (or `pytest tests/test_validate_agreement_issues.py -rA`) reports the
figures separately from the older corpus in test_validate_agreement.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from otdiag.validate import api
from otdiag.validate.binary import run_validate
from otdiag.validate.knowledge import Distribution
from otdiag.validate.yamlsrc import LoadError
from otdiag.validate.yamlsrc import load as load_yaml
from tests.conftest import require_peer
from tests.test_validate_agreement import ENV, _components, _missing

pytestmark = pytest.mark.peers
FOLDER = Path(__file__).resolve().parent / "validate_corpus_issues"
CASES = sorted((p.stem, p.read_text()) for p in FOLDER.glob("*.yaml"))
START_S = 4.0
"""A binary still running this long after start has started (every listener binds 127.0.0.1:0)."""
# Known disagreements, each with why.
KNOWN_GAPS: dict[str, str] = {}
START_GAPS = {
    "jaeger-query-ui-config": "jaeger_query panics when ui.config_file does not exist on this machine; "
    "whether a file exists where the config will run is not the config's to say",
    "jaeger-doc-cassandra": "Jaeger connects to Cassandra while it starts and no Cassandra runs here; "
    "whether a backend is reachable is not the config's to say",
}


def _dist(text: str) -> Distribution:
    try:
        return api.detect_distribution(load_yaml(text)[0])
    except LoadError:
        return Distribution.CONTRIB


def run_start(binary: Path, config: Path, seconds: float = START_S) -> tuple[bool, str]:
    """Start the binary on `config`; (still running after `seconds`, its output). Stopped by its PID."""
    with tempfile.TemporaryFile() as log:
        # Its own metrics would bind :8888, which other tests on this machine may hold.
        argv = [str(binary), f"--config={config}", "--set=service.telemetry.metrics.level=none"]
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.1)
            running = proc.poll() is None
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
        log.seek(0)
        return running, log.read().decode("utf-8", "replace")[-2000:]


@pytest.fixture(scope="session")
def issue_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    binaries = {"otelcol": require_peer("otelcol"), "jaeger": require_peer("jaeger")}
    have = {k: _components(v) for k, v in binaries.items()}
    folder = tmp_path_factory.mktemp("agreement-issues")
    os.environ.update(ENV)

    def one(case: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        name, text = case
        dist = _dist(text)
        which = "jaeger" if dist is Distribution.JAEGER else "otelcol"
        missing = _missing(text, dist, have[which])
        if missing:
            return name, {"skip": f"{which} lacks {', '.join(sorted(set(missing)))}"}
        path = folder / f"{name}.yaml"
        path.write_text(text)
        verdict = run_validate(binaries[which], path)
        started, log = run_start(binaries[which], path) if verdict.ok else (False, "")
        return name, {"verdict": verdict, "started": started, "log": log, "dist": dist, "which": which}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, CASES))


def _ours(name: str, text: str, dist: Distribution) -> api.Result:
    """otdiag's verdict for the release of the binary the corpus runs ("otelcol")."""
    from otdiag.validate import versions
    from tests import peers

    return api.validate_source(text, name, dist, environ=ENV, release=versions.parse(peers.version("otelcol")))


@pytest.mark.parametrize(("name", "text"), CASES, ids=[n for n, _ in CASES])
def test_validate_verdict_agrees(issue_verdicts: dict[str, Any], name: str, text: str) -> None:
    entry = issue_verdicts[name]
    if "skip" in entry:
        pytest.skip(entry["skip"])
    verdict = entry["verdict"]
    if name in KNOWN_GAPS:
        pytest.xfail(KNOWN_GAPS[name])
    ours = [f"{f.code}: {f.message}" for f in _ours(name, text, entry["dist"]).validate_errors]
    assert (not ours) == verdict.ok, (
        f"{entry['which']} validate says {'valid' if verdict.ok else 'invalid: ' + ' | '.join(verdict.messages)}; "
        f"otdiag says {'valid' if not ours else 'invalid: ' + ' | '.join(ours)}"
    )


@pytest.mark.parametrize(("name", "text"), CASES, ids=[n for n, _ in CASES])
def test_start_verdict_agrees(issue_verdicts: dict[str, Any], name: str, text: str) -> None:
    entry = issue_verdicts[name]
    if "skip" in entry:
        pytest.skip(entry["skip"])
    if not entry["verdict"].ok:
        pytest.skip("validate refuses it: covered by test_validate_verdict_agrees")
    if name in START_GAPS:
        assert not entry["started"], f"{name} is a known start gap but the binary now starts"
        pytest.xfail(START_GAPS[name])
    result = _ours(name, text, entry["dist"])
    ours = [f"{f.code}: {f.message}" for f in result.findings if f.severity.value == "error"]
    assert (not ours) == entry["started"], (
        f"{entry['which']} {'starts' if entry['started'] else 'does not start: ' + entry['log']}; "
        f"otdiag says {'valid' if not ours else 'invalid: ' + ' | '.join(ours)}"
    )


def test_corpus_is_varied(issue_verdicts: dict[str, Any]) -> None:
    ran = [v for v in issue_verdicts.values() if "skip" not in v]
    assert len(CASES) >= 60 and len(ran) >= 55
    assert sum(not v["verdict"].ok for v in ran) >= 20  # mistakes
    assert sum(v["verdict"].ok for v in ran) >= 20  # unusual but valid files
    assert sum(v["which"] == "jaeger" for v in ran) >= 10
    for name, text in CASES:
        assert text.startswith("# source: https://"), name
