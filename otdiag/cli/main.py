"""The `otdiag` entry point: answers `--version` at once, then hands over to the Typer app.

Nothing heavy is imported here: `otdiag --version` costs the interpreter's start-up and little more,
and the Typer app (otdiag.cli.root) loads a command's module only when that command runs.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typer import Typer

    from otdiag.cli.root import app

__all__ = ["app", "main"]


def __getattr__(name: str) -> Typer:
    if name == "app":
        from otdiag.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from otdiag import __version__

        sys.stdout.write(f"otdiag {__version__}\n")
        sys.stdout.flush()
        sys.exit(0)
    if sys.argv[1:2] == ["mcp"] and not {"-h", "--help"} & set(sys.argv[2:]):
        # Straight to the server: the Typer app's import would delay the client's `initialize`.
        from otdiag import mcp_server

        sys.exit(mcp_server.main(sys.argv[2:]))
    # gRPC's C core logs handshake failures to stderr itself; otdiag reports them as findings.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    import signal

    import otdiag
    from otdiag.cli import common
    from otdiag.cli.root import app
    from otdiag.model import ExitCode

    common.HARD_EXIT = True
    if signal.getsignal(signal.SIGINT) is otdiag._exit_interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # imported: Ctrl-C is KeyboardInterrupt again
    try:
        app()
    except OSError as exc:  # help or a usage message that could not be written (`--help | head`)
        failed = common.output_failure(exc)
        if failed is None:
            raise
        sys.exit(int(failed))
    except KeyboardInterrupt:
        # Before (or after) a command's own boundary: still one line and 130, never a traceback.
        print("otdiag: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(int(ExitCode.INTERRUPTED))
