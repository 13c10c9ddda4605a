"""The `otdiag` Typer app. A command's module is imported only when that command runs (or its help shows).

Importing every command module up front costs most of the start-up (validate-config's rules, OTTL and
YAML; gRPC and the SDK for send and check), so the group knows each command by name and one-line
summary, and builds the real command from its module on first use. `otdiag --help` lists the
commands from the summaries below; tests/test_cli.py checks that each equals the first line of the
command's docstring, so they cannot drift apart.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, get_args, get_origin

import typer
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice
from typer.core import TyperCommand, TyperGroup

from otdiag import __version__
from otdiag.model import ExitCode

if TYPE_CHECKING:
    from typer import _click
    from typer.core import _TyperParameter
    from typer.models import ParameterInfo


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


class _Command(TyperCommand):
    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        _light_rich_utils()
        super().format_help(ctx, formatter)

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params = super().get_params(ctx)
        for param in params:
            _fast_coercion(param)
        return params


_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?")


@dataclass(frozen=True)
class _FastRuntimeParam(RuntimeParam):
    """Typer's coercion for the plain values otdiag's options take, without building Pydantic adapters.

    Typer coerces every option value through a Pydantic TypeAdapter, and importing Pydantic alone costs
    more than the rest of a small command. Strings, choices, plain integers and decimals are converted
    here exactly as those adapters convert them; anything else, and every value that does not convert,
    goes to Typer's own adapter, so results and error messages stay Typer's.
    """

    fallback: list[RuntimeParam] = field(default_factory=list)

    def _coerce_value(self, value: object, param: _TyperParameter, ctx: _click.Context) -> object:
        try:
            return _fast(self.annotation, self.parameter_info, value, ctx)
        except _NotFast:
            pass
        if not self.fallback:
            self.fallback.append(build_runtime_param(param.type_descriptor))
        return self.fallback[0]._coerce_value(value, param=param, ctx=ctx)


class _NotFast(Exception):
    pass


def _fast(annotation: object, info: ParameterInfo, value: object, ctx: _click.Context) -> object:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        values = value if isinstance(value, list | tuple) else [value]
        return [_fast(item, info, v, ctx) for v in values]
    parser = getattr(info, "parser", None)
    if parser is not None:
        # otdiag's own parsers (durations) take the text and raise BadParameter themselves.
        return None if value is None else parser(value)
    if annotation is str and isinstance(value, str):
        return value
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError:
            raise _NotFast from None
    if info.min is not None or info.max is not None:
        raise _NotFast
    if annotation is int:
        if type(value) is int:
            return value
        if isinstance(value, str) and _INT.fullmatch(value):
            return int(value)
    if annotation is float:
        if type(value) is float:
            return value
        if type(value) is int:
            return float(value)
        if isinstance(value, str) and _FLOAT.fullmatch(value):
            return float(value)
    raise _NotFast


def _fast_coercion(param: _click.Parameter) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", 0) is not None or descriptor.file_annotation is not None:
        return
    setattr(param, "_runtime_param", _FastRuntimeParam(descriptor.parameter_info, descriptor.annotation))  # noqa: B010 - Typer's own slot, not declared on Click's Parameter


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_LISTING = "otdiag.listing"
"""Set in the context's meta while the group's own help lists the commands."""


class _LazyGroup(TyperGroup):
    """Parse errors (unknown option, bad choice): one line on stderr and exit 2, like other usage errors.

    Commands are built on first use; listing them for `--help` needs only their summaries.
    """

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
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name].summary)
        cmd = _metavars(ctx, load_command(cmd_name))
        self.commands[cmd_name] = cmd
        return cmd

    def main(  # type: ignore[override]  # always exits: Click's standalone mode is otdiag's own here
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: object
    ) -> None:
        argv = args if args is not None else sys.argv[1:]
        for n, arg in enumerate(argv or [], 1):
            if isinstance(arg, str) and not _utf8(arg):
                # Bytes that are not UTF-8 reach Python as lone surrogates; nothing could send or show them.
                from otdiag.render.human import make_console

                make_console(stderr=True).print(f"[bold red]otdiag:[/] argument #{n} is not valid UTF-8 text")
                sys.exit(int(ExitCode.USAGE))
        try:
            rv = super().main(args, prog_name, standalone_mode=False, **extra)  # type: ignore[arg-type]  # as given
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
            from otdiag.render.human import escape, make_console

            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            err = make_console(stderr=True)
            err.print(f"[bold red]otdiag:[/] {escape(exc.format_message())}{where}")
            sys.exit(int(exc.exit_code))
        sys.exit(rv if isinstance(rv, int) else 0)

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
