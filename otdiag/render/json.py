"""The --json view: exactly one JSON document on stdout."""

from __future__ import annotations

from otdiag import redact
from otdiag.model import Result


def dumps(report: Result) -> str:
    """The report as JSON: every string scrubbed of secrets, no raw control character."""
    return redact.json_dumps(report.to_json())
