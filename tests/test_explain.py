"""`otdiag explain`: every catalogue code explained, near misses answered, unknown codes a usage error."""

from __future__ import annotations

import json

import pytest

from otdiag import catalogue, explanations
from otdiag.explain import explain, suggestions
from otdiag.model import ExitCode
from tests.cli_runner import run


def test_every_code_in_the_catalogue_has_causes_and_a_way_to_confirm() -> None:
    codes = set(catalogue.KINDS)
    missing = sorted(c for c in codes if not explanations.causes(c))
    assert not missing, f"codes without causes in otdiag/explanations.py: {missing}"
    assert not sorted(c for c in codes if not explanations.confirm(c)), "a code with no way to confirm it"
    stale = sorted((set(explanations.CAUSES) | set(explanations.CONFIRM_CODE)) - codes)
    assert not stale, f"otdiag/explanations.py explains codes the catalogue does not have: {stale}"


def test_explain_takes_meaning_and_fix_from_the_catalogue() -> None:
    kind = catalogue.KINDS["ingest.collector-down"]
    doc = explain("ingest.collector-down").to_json()
    assert doc["meaning"] == kind.title and doc["fix"] == kind.hint
    assert doc["command"] == "explain" and doc["ok"] is True and doc["causes"]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("colector-down", "ingest.collector-down"), ("config.unitles-duration", "config.unitless-duration"),
     ("INGEST.REFUSED ", None), ("orphan-spans", "trace.orphan-spans")],
)  # fmt: skip
def test_near_misses(typo: str, expected: str | None) -> None:
    if expected is None:
        assert explain(typo).code == "ingest.refused"  # case and spaces do not matter
    else:
        assert expected in suggestions(typo)


def test_cli_json_and_unknown_code() -> None:
    ok = run(*["explain", "trace.orphan-spans", "--json"])
    assert ok.exit_code == ExitCode.OK
    assert json.loads(ok.stdout)["code"] == "trace.orphan-spans"
    human = run(*["explain", "trace.orphan-spans"])
    assert "Causes:" in human.stdout and "Confirm:" in human.stdout and "Fix:" in human.stdout
    bad = run(*["explain", "trace.orphan-spanz"], env={"COLUMNS": "1000"})  # one line at 1000 columns
    assert bad.exit_code == ExitCode.USAGE and "did you mean trace.orphan-spans" in bad.stderr
    assert bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1
    far = run(*["explain", "http://u:s3cr3t-pw@host/x"])
    assert far.exit_code == ExitCode.USAGE and "s3cr3t-pw" not in far.stderr
    listed = run(*["explain", "--list", "--json"])
    assert {c["code"] for c in json.loads(listed.stdout)["codes"]} == set(catalogue.KINDS)


def test_check_view_offers_explain_for_the_first_error() -> None:
    res = run("check", "--otlp-endpoint", "http://127.0.0.1:9", "--jaeger-url", "http://127.0.0.1:9", "--no-e2e",
              "--timeout", "1s")  # fmt: skip
    assert "otdiag explain ingest.collector-down" in res.stdout
