"""`otdiag mcp`: serve otdiag's commands as MCP tools over stdio.

`otdiag mcp` itself is started by otdiag's entry point without this module (see otdiag.cli.main):
this is its help and its documentation, and the path `python -m otdiag mcp --help` takes.
"""

from __future__ import annotations

from typing import Annotated

import typer


def mcp(
    allow_send: Annotated[
        bool, typer.Option("--allow-send", help="Offer send_test_span, and let check send a test span.")
    ] = False,
    allow_run: Annotated[
        bool, typer.Option("--allow-run", help="Offer run: it starts a program on this machine.")
    ] = False,
) -> None:
    """Serve otdiag's commands as Model Context Protocol tools over stdio, for AI assistants.

    Tools: check, validate_config, find_trace, search_traces, explain_finding; send_test_span with
    --allow-send; run with --allow-run. Each returns the command's --json report; an error is an
    MCP tool error with the CLI's one-line message. Needs the `mcp` extra (pip install 'otdiag[mcp]').

    Example client configuration:

    \b
      {"mcpServers": {"otdiag": {"command": "otdiag", "args": ["mcp"]}}}
    """
    from otdiag import mcp_server

    raise typer.Exit(
        mcp_server.main([*(["--allow-send"] if allow_send else []), *(["--allow-run"] if allow_run else [])])
    )
