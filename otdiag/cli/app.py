"""The `otdiag` command: a Typer app with one module per command."""

from __future__ import annotations

from typing import Annotated

import typer

from otdiag import __version__
from otdiag.cli import check

app = typer.Typer(
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


def main() -> None:
    app()
