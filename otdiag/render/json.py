"""The --json view: exactly one JSON document on stdout."""

from __future__ import annotations

import json

from otdiag.model import Report


def dumps(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)
