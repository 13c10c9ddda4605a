"""`otdiag explain CODE`: what a finding means, its usual causes, how to confirm it, and its fix."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from otdiag.cli import common
from otdiag.errors import UsageError
from otdiag.model import ExitCode


def explain(
    code: Annotated[
        str | None,
        typer.Argument(metavar="CODE", help="A finding's code, as in --json or docs/findings.md.", show_default=False),
    ] = None,
    list_codes: Annotated[bool, typer.Option("--list", help="List every finding code with its meaning.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report on stdout.")] = False,
) -> None:
    """Say what a finding means, its usual causes, how to confirm it, and its fix.

    The text comes from the same catalogue as docs/findings.md. A code otdiag does not have is a
    usage error (exit 2) that names the nearest codes.

    Examples:

    \b
      otdiag explain ingest.collector-down
      otdiag explain config.unitless-duration --json
      otdiag explain --list
    """

    def body() -> ExitCode:
        from otdiag import explain as core

        if list_codes:
            if code is not None:
                raise UsageError("give a CODE or --list, not both")
            return _list(as_json)
        if code is None:
            raise UsageError("missing CODE (a finding's code, e.g. ingest.refused); --list lists them")
        from otdiag.render.explain import print_explain

        return common.emit(core.explain(code), as_json=as_json, render=print_explain)

    common.run(body)


def _list(as_json: bool) -> ExitCode:
    from otdiag import catalogue, redact

    kinds = catalogue.KINDS
    rows = [(c, kinds[c].title) for c in sorted(kinds)]
    if as_json:
        doc = {"schema_version": "1", "command": "explain", "ok": True, "findings": [],
               "codes": [{"code": c, "meaning": m} for c, m in rows]}  # fmt: skip
        sys.stdout.write(redact.json_dumps(doc) + "\n")
        return ExitCode.OK
    from otdiag.render import human
    from otdiag.render.explain import print_codes

    print_codes(human.make_console(), rows)
    return ExitCode.OK
