"""Issue 24: programs otdiag starts, config expansion and listen keep their bounds on hostile input."""

from __future__ import annotations

import pytest

from otdiag.app.runner import scrub_argv
from otdiag.redact import REDACTED


@pytest.mark.parametrize(
    ("argv", "hidden"),
    [
        (["mysql", "-p", "Hunter2pw", "-u", "root"], "Hunter2pw"),
        (["mysql", "-pHunter2pw"], "Hunter2pw"),
        (["curl", "-u", "bob:Hunter2pw", "http://h"], "Hunter2pw"),
        (["curl", "--user=bob:Hunter2pw"], "Hunter2pw"),
        (["curl", "-HAuthorization: Bearer Hunter2pw"], "Hunter2pw"),
        (["curl", "-H", "X-Api-Token: Hunter2pw"], "Hunter2pw"),
        (["curl", "--header=Cookie: s=Hunter2pw"], "Hunter2pw"),
    ],
)
def test_run_argv_hides_curl_and_mysql_secrets(argv: list[str], hidden: str) -> None:
    shown = scrub_argv(argv)
    assert hidden not in " ".join(shown)
    assert REDACTED in " ".join(shown)
    assert len(shown) == len(argv)


def test_run_argv_keeps_what_is_no_secret() -> None:
    argv = ["python", "-u", "app.py", "-H", "Content-Type: application/json", "-u", "root"]
    assert scrub_argv(argv) == argv
