"""The `otdiag` program: `main(argv, env) -> ExitCode` is the one place that decides the exit code.

Nothing heavy is imported here: `otdiag --version` costs the interpreter's start-up and little more,
and the Typer app (otdiag.cli.root) loads a command's module only when that command runs.

Every way out ends here: a command's report (0 or 1) or its own boundary's verdict (common.run: usage
2, internal 3, interrupted 130) arrives as the value Click returns; a usage error Click finds while
parsing arrives as Click's UsageError (recognised by its type); Ctrl-C outside a command's boundary as
KeyboardInterrupt or Click's Abort; output that cannot be written (`--help | head`) as an OSError.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from otdiag.model import ExitCode

if TYPE_CHECKING:
    from typer import Typer

    from otdiag.cli.root import app

__all__ = ["Program", "app", "main"]


def __getattr__(name: str) -> Typer:
    if name == "app":
        from otdiag.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Program:
    """How this invocation runs, handed to the commands as Click's context object."""

    hard_exit: bool
    """otdiag is the process (its own command line): a stop signal ends it at once, abandoning network
    calls in flight, instead of returning to a caller that embeds it."""


def _interrupted_while_loading(signum: int, frame: object) -> None:
    os._exit(int(ExitCode.INTERRUPTED))


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> ExitCode:
    """Run otdiag with `argv` (default: this process's command line) and return its exit code.

    `env` is the environment the commands read (default: this process's, as it is); another mapping
    stands in for os.environ during the call. Given no `argv`, otdiag is the program: Ctrl-C while it
    is still loading, or at any point later, ends the process with 130 at once.
    """
    program = argv is None
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from otdiag import __version__

        sys.stdout.write(f"otdiag {__version__}\n")
        sys.stdout.flush()
        return ExitCode.OK
    if args[:1] == ["mcp"] and not {"-h", "--help"} & set(args[1:]):
        # Straight to the server: the Typer app's import would delay the client's `initialize`.
        from otdiag import mcp_server

        with _environment(env):
            return ExitCode(mcp_server.main(args[1:]))
    with _environment(env):
        code = _run(args, Program(hard_exit=program))
    if program and code is ExitCode.INTERRUPTED:
        # Worker threads of abandoned network calls would be joined at exit, each up to its timeout.
        _flush()
        os._exit(int(code))
    return code


@contextlib.contextmanager
def _environment(env: Mapping[str, str] | None) -> Iterator[None]:
    if env is None or env is os.environ:
        # gRPC's C core logs handshake failures to stderr itself; otdiag reports them as findings.
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({"GRPC_VERBOSITY": "NONE", **env})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run(args: list[str], program: Program) -> ExitCode:
    for n, arg in enumerate(args, 1):
        if not _utf8(arg):
            # Bytes that are not UTF-8 reach Python as lone surrogates; nothing could send or show them.
            return _usage(f"argument #{n} is not valid UTF-8 text")
    previous = _catch_interrupt_while_loading(program)
    try:
        import typer

        from otdiag.cli import common, root
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    usage_error, no_args_is_help = root.usage_error_types()
    try:
        rv = root.invoke(args, program)
    except no_args_is_help as exc:
        ctx = cast("root.ClickUsageError", exc).ctx
        print(ctx.get_help() if ctx is not None else "")
        return ExitCode.USAGE
    except usage_error as exc:
        error = cast("root.ClickUsageError", exc)
        where = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
        return _usage(error.format_message(), where)
    except typer.Exit as exc:
        return _code(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        # Before (or after) a command's own boundary: still one line and 130, never a traceback.
        print("otdiag: interrupted", file=sys.stderr, flush=True)
        return ExitCode.INTERRUPTED
    except OSError as exc:  # help or a usage message that could not be written (`--help | head`)
        failed = common.output_failure(exc)
        if failed is None:
            raise
        return failed
    return _code(rv)


def _code(value: object) -> ExitCode:
    """The exit code a command's run returned (None: it finished without saying, 0)."""
    if value is None:
        return ExitCode.OK
    try:
        return ExitCode(value if isinstance(value, int) else -1)
    except ValueError:
        return ExitCode.INTERNAL


def _catch_interrupt_while_loading(program: Program) -> signal.Handlers | None:
    """While the app's modules load, Ctrl-C exits 130 at once (not a traceback from inside an import)."""
    if not program.hard_exit or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None
    signal.signal(signal.SIGINT, _interrupted_while_loading)
    return signal.default_int_handler  # type: ignore[return-value]  # Python's own handler, restored as is


def _usage(message: str, where: str = "") -> ExitCode:
    from otdiag.render.human import escape, hang, make_console

    # Wrapped at the width, between words, under the text after "otdiag: " (joined, it is the one message).
    hang(make_console(stderr=True), "[bold red]otdiag:[/] ", f"{escape(message)}{escape(where)}")
    return ExitCode.USAGE


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
