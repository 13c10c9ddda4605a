"""Jaeger served under a base path (`--query.base-path /jaeger`) and asked without it: name the base path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from otdiag.jaeger.client import base_path
from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import run

# The head of the page Jaeger's query service answers every unknown route with, base path injected.
UI_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"/>'
    b'<base href="/jaeger/" data-inject-target="BASE_URL"/><title>Jaeger UI</title>'
)


def test_the_base_path_is_read_from_the_ui_page() -> None:
    assert base_path(UI_PAGE) == "/jaeger"
    assert base_path(UI_PAGE.replace(b"/jaeger/", b"/")) is None
    assert base_path(b"<html><head><title>x</title></head></html>") is None
    # Never more than a plain path reaches a message.
    assert base_path(UI_PAGE.replace(b"/jaeger/", b"/a\x1b[31m/")) is None


@pytest.mark.peers
def test_check_and_find_trace_name_the_base_path_jaeger_serves_under(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger]
) -> None:
    jaeger = start_jaeger({"extensions": {"jaeger_query": {"base_path": "/jaeger"}}})
    res = run("check", "--no-e2e", "--json", "--timeout", "2s", "--jaeger-url", jaeger.query_url)
    [f] = [f for f in res.json()["findings"] if f["stage"] == "jaeger" and f["severity"] == "error"]
    assert f["code"] == "jaeger.not-query-api", f
    assert "/jaeger" in f["message"] and f["hint"].endswith(f"{jaeger.query_url}/jaeger"), f
    assert "16686" not in f["hint"]
    ok = run("check", "--no-e2e", "--json", "--timeout", "2s", "--jaeger-url", f"{jaeger.query_url}/jaeger")
    assert not [f for f in ok.json()["findings"] if f["stage"] == "jaeger"], ok.json()["findings"]
    found = run("find-trace", "0af7651916cd43dd8448eb211c80319c", "--jaeger-url", jaeger.query_url, "--json")
    assert found.exit_code == ExitCode.PROBLEM and "/jaeger" in found.stdout
