"""`otdiag mcp`: an MCP server (stdio) whose tools are otdiag's commands (see server.py)."""

from __future__ import annotations

import sys

USAGE = "usage: otdiag mcp [--allow-send] [--allow-run]"


def main(args: list[str]) -> int:
    """`otdiag mcp` without the Typer app (its import would delay `initialize`): two flags, nothing else."""
    from otdiag import redact

    for arg in args:
        if arg not in ("--allow-send", "--allow-run"):
            sys.stderr.write(f"otdiag: mcp: no such option {redact.clean(arg[:80])!r}\n{USAGE}\n")
            return 2
    try:
        from otdiag.mcp_server import server
    except ImportError as exc:
        if not (exc.name or "").startswith(("mcp", "anyio")):
            raise
        sys.stderr.write("otdiag: mcp: the MCP SDK is not installed: pip install 'otdiag[mcp]'\n")
        return 2
    return server.serve(allow_send="--allow-send" in args, allow_run="--allow-run" in args)
