"""Config findings as SARIF 2.1.0 (code scanning) and as GitHub workflow annotations."""

from __future__ import annotations

from typing import Any

from otdiag import __version__, catalogue, redact
from otdiag.model import Finding, Severity

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GH_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def sarif(findings: list[Finding]) -> str:
    kinds = catalogue.KINDS
    codes = sorted({f.code for f in findings})
    rules = [
        {
            "id": code,
            "shortDescription": {"text": kinds[code].title if code in kinds else code},
            "help": {"text": kinds[code].hint if code in kinds else ""},
        }
        for code in codes
    ]
    results: list[dict[str, Any]] = []
    for f in findings:
        res: dict[str, Any] = {
            "ruleId": f.code,
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}\nFix: {f.hint}"},
        }
        if f.location:
            res["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.location.file},
                        "region": {
                            "startLine": max(f.location.line, 1),
                            "startColumn": max(f.location.column, 1),
                        },
                    }
                }
            ]
        results.append(res)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "otdiag",
                        "version": __version__,
                        "informationUri": "https://github.com/otdiag/otdiag",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return redact.json_dumps(doc)


def _escape_data(s: str) -> str:
    s = redact.clean(s)
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(findings: list[Finding]) -> str:
    """One `::error file=…,line=…,col=…,title=…::message` line per finding."""
    lines = []
    for f in findings:
        props = []
        if f.location:
            props += [
                f"file={_escape_prop(f.location.file)}",
                f"line={f.location.line}",
                f"col={f.location.column}",
            ]
        props.append(f"title={_escape_prop(f.code)}")
        lines.append(f"::{_GH_LEVEL[f.severity]} {','.join(props)}::{_escape_data(f.message + ' — fix: ' + f.hint)}")
    return "\n".join(lines)
