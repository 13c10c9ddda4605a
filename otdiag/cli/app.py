"""The `otdiag` command: a Typer app with one module per command."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from otdiag import __version__
from otdiag.cli import check, find, listen, run, send, validate
from otdiag.model import ExitCode
from otdiag.render.human import escape, make_console


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _OneLineErrors(TyperGroup):
    """Parse errors (unknown option, bad choice): one line on stderr and exit 2, like other usage errors."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        argv = kwargs.get("args") if kwargs.get("args") is not None else (args[0] if args else sys.argv[1:])
        for n, arg in enumerate(argv or [], 1):
            if isinstance(arg, str) and not _utf8(arg):
                # Bytes that are not UTF-8 reach Python as lone surrogates; nothing could send or show them.
                make_console(stderr=True).print(f"[bold red]otdiag:[/] argument #{n} is not valid UTF-8 text")
                sys.exit(int(ExitCode.USAGE))
        try:
            rv = super().main(*args, **kwargs)
        except typer.Abort:
            sys.exit(int(ExitCode.INTERRUPTED))
        except Exception as exc:
            # Typer vendors Click: its UsageError is recognised by shape, not imported.
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                raise
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                print(ctx.get_help())
                sys.exit(int(ExitCode.USAGE))
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            err = make_console(stderr=True)
            err.print(f"[bold red]otdiag:[/] {escape(exc.format_message())}{where}")
            sys.exit(int(exc.exit_code))
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    name="otdiag",
    help="A doctor for OpenTelemetry tracing pipelines: App -> SDK -> Collector -> Jaeger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"otdiag {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """A doctor for OpenTelemetry tracing pipelines: App -> SDK -> Collector -> Jaeger."""


app.command(name="check")(check.check)
app.command(name="send-test-span")(send.send_test_span)
app.command(name="find-trace")(find.find_trace)
app.command(name="listen")(listen.listen)
app.command(name="run", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})(
    run.run_command
)
app.command(name="validate-config")(validate.validate_config)


def main() -> None:
    # gRPC's C core logs handshake failures to stderr itself; otdiag reports them as findings.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    import signal

    from otdiag.cli import common

    common.HARD_EXIT = True
    import otdiag

    if signal.getsignal(signal.SIGINT) is otdiag._exit_interrupted:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # imported: Ctrl-C is KeyboardInterrupt again
    try:
        app()
    except KeyboardInterrupt:
        # Before (or after) a command's own boundary: still one line and 130, never a traceback.
        print("otdiag: interrupted", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(int(ExitCode.INTERRUPTED))
