"""The `otdiag` Typer app. A command's module is imported only when that command runs (or its help shows).

Importing every command module up front costs most of the start-up (validate-config's rules, OTTL and
YAML; gRPC and the SDK for send and check), so the group knows each command by name and one-line
summary, and builds the real command from its module on first use. `otdiag --help` lists the
commands from the summaries below; tests/test_cli.py checks that each equals the first line of the
command's docstring, so they cannot drift apart.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, NoReturn, Protocol

import typer
from typer.core import TyperCommand, TyperGroup

from otdiag import __version__

if TYPE_CHECKING:
    from typer import _click


def _plain_coercion(param: _click.Parameter) -> None:
    """Typer's own coercion, unchanged."""


try:  # Typer's internals, pinned in pyproject.toml; if they move, plain Typer: slower start, same results
    from otdiag.cli.fast_typer import install as _fast_coercion
except ImportError:
    _fast_coercion = _plain_coercion


@dataclass(frozen=True)
class LazyCommand:
    module: str
    function: str
    summary: str
    """The first line of the function's docstring: what `otdiag --help` lists."""
    context_settings: dict[str, object] = field(default_factory=dict)


COMMANDS: dict[str, LazyCommand] = {
    "check": LazyCommand(
        "otdiag.cli.check",
        "check",
        "Probe every hop (App -> SDK -> Collector -> Jaeger), send a test span end to end, and say where it breaks.",
    ),
    "send-test-span": LazyCommand(
        "otdiag.cli.send", "send_test_span", "Emit a test span over OTLP and report exactly what the receiver said."
    ),
    "find-trace": LazyCommand(
        "otdiag.cli.find",
        "find_trace",
        "Fetch traces back from Jaeger, show them as a waterfall, and say what is wrong with them.",
    ),
    "listen": LazyCommand(
        "otdiag.cli.listen",
        "listen",
        "Receive OTLP traces locally, show each span as it arrives, and answer Jaeger's query API.",
    ),
    "run": LazyCommand(
        "otdiag.cli.run",
        "run_command",
        "Run an app with its OpenTelemetry SDK pointed at a private receiver, then say what it emitted.",
        {"allow_interspersed_args": False, "ignore_unknown_options": True},
    ),
    "replay": LazyCommand(
        "otdiag.cli.replay",
        "replay",
        "Put spans through your own collector's processors and show what each one did to each span.",
    ),
    "validate-config": LazyCommand(
        "otdiag.cli.validate",
        "validate_config",
        "Check collector (or Jaeger v2) configs as `otelcol validate` would, all errors at once, located.",
    ),
    "explain": LazyCommand(
        "otdiag.cli.explain",
        "explain",
        "Say what a finding means, its usual causes, how to confirm it, and its fix.",
    ),
    "mcp": LazyCommand(
        "otdiag.cli.mcp",
        "mcp",
        "Serve otdiag's commands as Model Context Protocol tools over stdio, for AI assistants.",
    ),
}


def load_command(name: str) -> _click.Command:
    """The Click command for `name`, built from its module (imported now)."""
    spec = COMMANDS[name]
    function = getattr(importlib.import_module(spec.module), spec.function)
    one = typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        pretty_exceptions_show_locals=False,
    )
    one.command(name=name, cls=_Command, context_settings=spec.context_settings or None)(function)
    return typer.main.get_command(one)


_METAVARS = (
    ("url", "URL"),
    ("endpoint", "HOST:PORT"),
    ("file", "FILE"),
    ("config", "FILE"),
    ("otelcol", "FILE"),
    ("header", "NAME=VALUE"),
    ("attribute", "KEY=VALUE"),
    ("tag", "KEY=VALUE"),
    ("wait", "DURATION"),
    ("lookback", "DURATION"),
    ("duration", "DURATION"),
    ("start", "TIME"),
    ("end", "TIME"),
)


def _metavars(ctx: _click.Context, cmd: _click.Command) -> _click.Command:
    """Name what each option takes (URL, FILE, NAME=VALUE, N) instead of Typer's `<str>` and `<list[str]>`."""
    for param in getattr(cmd, "params", []):
        kind = getattr(param, "param_type_name", "")
        if kind == "argument" and param.metavar is None and param.name:
            param.metavar = param.name.upper()
        if getattr(param, "is_flag", False) or param.metavar or kind != "option":
            continue
        name = param.opts[0].lstrip("-")
        display = getattr(param, "display_type", None)
        shown = display(ctx) if callable(display) else ""
        if shown in ("<int>", "<float>"):
            param.metavar = "N"
        elif shown in ("<str>", "<list[str]>"):
            param.metavar = next((mv for key, mv in _METAVARS if name.endswith(key)), "TEXT")
    return cmd


def _argument_name(param: _click.Parameter) -> str:
    """An argument as the help names it: its word, `...` when it takes several (`COMMAND...`, `FILE...`)."""
    name = param.metavar or (param.name or "").upper()
    return f"{name}..." if param.nargs != 1 else name


class _Command(TyperCommand):
    """A command whose help names arguments with a plain word, never Typer's `{FILES}` or `TRACE_ID <str>`."""

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _light_rich_utils()
        super().format_help(ctx, formatter)

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name.removesuffix('...')}]" + "..." * (param.nargs != 1))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params = super().get_params(ctx)
        for param in params:
            _fast_coercion(param)
        return params


_LISTING = "otdiag.listing"
"""Set in the context's meta while the group's own help lists the commands."""


class _LazyGroup(TyperGroup):
    """Commands are built on first use; listing them for `--help` needs only their summaries."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params = super().get_params(ctx)
        for param in params:
            _fast_coercion(param)
        return params

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        if ctx.meta.get(_LISTING):
            summary = COMMANDS[cmd_name].summary  # whole, wrapped by the help formatter, never cut with "..."
            return TyperCommand(name=cmd_name, help=summary, short_help=summary)
        cmd = _metavars(ctx, load_command(cmd_name))
        self.commands[cmd_name] = cmd
        return cmd

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        """A mistyped command gets a did-you-mean, as a mistyped option does (`otdiag chek`)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            if close:
                ctx.fail(f"No such command {name!r}. Did you mean {close[0]!r}?")
        return super().resolve_command(ctx, args)

    def main(  # type: ignore[override]  # always exits, with the code otdiag.cli.main.main decides
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: object
    ) -> NoReturn:
        """What `app()` and Click's test runner call: the program's one exit path, in-process."""
        from otdiag.cli.main import main

        sys.exit(int(main(list(args) if args is not None else None)))

    def invoke_main(self, args: list[str], obj: object) -> object:
        """Parse `args` and run the command, errors raised (never exits): for otdiag.cli.main only."""
        return super().main(args, "otdiag", standalone_mode=False, obj=obj)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        # While the group's own help is written, a command's summary is all it needs.
        _light_rich_utils()
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta[_LISTING] = False


class _NotUsed:
    """Stands in for rich's Markdown and Traceback while typer's help module loads: otdiag uses neither."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("otdiag's help is rich markup, never Markdown; its errors are never rich tracebacks")


def _light_rich_utils() -> None:
    """Import typer's help renderer without rich.markdown (markdown-it) and rich.traceback (pygments).

    typer.rich_utils imports both at the top but uses Markdown only in markdown markup mode and
    Traceback only for pretty exceptions; otdiag uses rich markup and no pretty exceptions. The
    stand-ins are removed again at once, so a later `import rich.markdown` gets the real module.
    """
    if "typer.rich_utils" in sys.modules:
        return
    stand_ins = {}
    for name, attr in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if name not in sys.modules:
            module = types.ModuleType(name)
            setattr(module, attr, _NotUsed)
            stand_ins[name] = module
    sys.modules.update(stand_ins)
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


app = typer.Typer(
    cls=_LazyGroup,
    name="otdiag",
    help="A doctor for OpenTelemetry tracing pipelines: App -> SDK -> Collector -> Jaeger.",
    no_args_is_help=True,
    add_completion=True,
    # Click's plain help reads at 80 columns (options on their own line when long, no box cutting
    # names to "--collector-heal…"), and --help need not import rich.
    rich_markup_mode=None,
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
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """A doctor for OpenTelemetry tracing pipelines: App -> SDK -> Collector -> Jaeger."""


class ClickUsageError(Protocol):
    """What otdiag reads of Click's UsageError (Typer's own copy of Click, or Click itself)."""

    ctx: _click.Context | None
    exit_code: int

    def format_message(self) -> str: ...


class _Never(Exception):
    """Stands for an exception class this Click does not have: nothing raises it."""


def usage_error_types() -> tuple[type[Exception], type[Exception]]:
    """Click's UsageError and NoArgsIsHelpError classes, found from Typer's public BadParameter.

    Typer 0.2x carries its own copy of Click; earlier releases use Click itself. Either way BadParameter
    derives from that Click's UsageError, so the class is taken from there, and matched by type.
    """
    usage = typer.BadParameter.__base__
    assert usage is not None and issubclass(usage, Exception)
    no_args = getattr(sys.modules[usage.__module__], "NoArgsIsHelpError", _Never)
    return usage, no_args


def invoke(args: list[str], obj: object) -> object:
    """Run otdiag's command line `args` (errors raised, never exits): for otdiag.cli.main only."""
    group = typer.main.get_command(app)
    assert isinstance(group, _LazyGroup)
    return group.invoke_main(args, obj)
