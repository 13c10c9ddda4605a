#!/usr/bin/env python3
"""Generate docs/findings.md (every finding code) and docs/cli.md (every command and option).

Both are views of the code: the finding catalogue and the Typer app. With
--check, exit 1 when a committed file differs from what the code generates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from otdiag import catalogue  # noqa: E402
from otdiag.cli.main import app  # noqa: E402
from otdiag.model import GUIDE_TITLES  # noqa: E402


def findings_md() -> str:
    lines = [
        "# Findings",
        "",
        "Every finding otdiag reports, by its stable `code` (generated from `otdiag/catalogue.py` by",
        "`scripts/gen_docs.py`; do not edit by hand). `stage` says where along App -> SDK -> Collector ->",
        "Jaeger the problem sits; `guide` names the troubleshooting heading it belongs to.",
        "",
        "| code | severity | stage | guide | meaning | default fix |",
        "|---|---|---|---|---|---|",
    ]
    for kind in sorted(catalogue.KINDS.values(), key=lambda k: k.code):
        guide = GUIDE_TITLES[kind.guide] if kind.guide else "-"
        cells = [f"`{kind.code}`", kind.severity.value, kind.stage.value, guide, kind.title, kind.hint]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _param_row(param: Any) -> str:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts]) or f"`{param.name.upper()}`"
    kind = "argument" if param.param_type_name == "argument" else ("flag" if param.is_flag else "option")
    default = param.default
    shown = "" if default in (None, False, (), []) or callable(default) else f"`{default}`"
    help_text = (getattr(param, "help", None) or "").replace("|", "\\|").replace("\n", " ")
    return f"| {names} | {kind} | {shown} | {help_text} |"


def cli_md() -> str:
    import typer.main

    group: Any = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the Typer app by `scripts/gen_docs.py`; do not edit by hand.",
        "",
    ]
    # Commands are loaded lazily: ask the group for each one (that builds it from its module).
    ctx = group.make_context("otdiag", [], resilient_parsing=True)
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        lines += [f"## `otdiag {name}`", "", (cmd.help or "").strip(), ""]
        lines += ["| option | kind | default | meaning |", "|---|---|---|---|"]
        lines += [_param_row(p) for p in cmd.params if p.name != "help"]
        lines.append("")
    return "\n".join(lines)


def outputs() -> dict[Path, str]:
    return {REPO / "docs" / "findings.md": findings_md(), REPO / "docs" / "cli.md": cli_md()}


def main(argv: list[str]) -> int:
    stale = []
    for path, text in outputs().items():
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path.relative_to(REPO))
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"gen_docs: stale: {', '.join(map(str, stale))}; run scripts/gen_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
