"""The network under every hop: one bounded HTTP exchange, transport errors as causes, what a port
speaks, and the URLs and host:port values users pass."""

import sys


def without_httpx_cli() -> None:
    """Call before `import httpx`: httpx imports its own command-line tool (click, rich, pygments) whenever
    click is installed, as the mcp extra installs it. otdiag never runs that tool, and its light paths
    (check --json, send-test-span) must not pay for it: a None entry makes httpx fall back to its stub."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
