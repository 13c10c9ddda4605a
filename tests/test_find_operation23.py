"""find-trace --operation with a name Jaeger does not know: a did-you-mean from the service's own operations.

Spans are sent by otdiag send-test-span itself, straight to a real Jaeger's OTLP/HTTP receiver; the
search then runs through Jaeger's query API (v3 on Jaeger v2, the legacy route on Jaeger v1).
"""

from __future__ import annotations

import re

import pytest

from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import run


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.peers
@pytest.mark.matrix(jaeger_peer=peers.JAEGERS)
def test_a_mistyped_operation_gets_a_did_you_mean_and_the_known_ones(jaeger: peers.Jaeger) -> None:
    for name in ("reserve", "release"):
        sent = run(
            "send-test-span", "--endpoint", f"http://{jaeger.otlp_http}", "--service", "inventory-svc",
            "--span-name", name, "--verify", "--jaeger-url", jaeger.query_url, "--json",
        )  # fmt: skip
        assert sent.exit_code == ExitCode.OK, sent.stdout
    args = ["find-trace", "--jaeger-url", jaeger.query_url, "--service", "inventory-svc", "--lookback", "1h"]
    res = run(*args, "--operation", "resreve", "--json")
    human = run(*args, "--operation", "resreve", env={"COLUMNS": "80"})
    assert res.exit_code == human.exit_code == ExitCode.PROBLEM
    (f,) = res.json()["findings"]
    assert f["code"] == "trace.not-found"
    assert "Did you mean 'reserve'?" in f["message"] and "resreve" in f["message"]
    assert "'release'" in f["hint"] and "'reserve'" in f["hint"] and "--lookback" not in f["hint"]
    text = " ".join(_plain(human.stdout).split())
    assert "Did you mean 'reserve'?" in text and "'release'" in text, human.stdout
    # The right name finds the trace; a name close to none gets the list without a guess.
    assert run(*args, "--operation", "reserve", "--json").exit_code == ExitCode.OK
    far = run(*args, "--operation", "zzzz", "--json").json()["findings"][0]
    assert "Did you mean" not in far["message"] and "'reserve'" in far["hint"]
