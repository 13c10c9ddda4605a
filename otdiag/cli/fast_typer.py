"""Faster option coercion for the Typer releases otdiag pins (see pyproject.toml).

Typer coerces every option value through a Pydantic TypeAdapter, and importing Pydantic alone costs
more than the rest of a small command. This module uses Typer's private `_coercion` and `_param_types`
modules to convert the plain values otdiag's options take itself. otdiag.cli.root imports it guarded:
when a Typer release moves those internals, the ImportError leaves Typer's own coercion in place.
tests/test_typer_floor.py runs otdiag on the oldest Typer pyproject.toml allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, get_args, get_origin

from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice

if TYPE_CHECKING:
    from typer import _click
    from typer.core import _TyperParameter
    from typer.models import ParameterInfo

__all__ = ["install"]

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


def install(param: _click.Parameter) -> None:
    """Give a Typer parameter the fast coercion (values Typer converts differently still go to Typer)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", 0) is not None or descriptor.file_annotation is not None:
        return
    setattr(param, "_runtime_param", _FastRuntimeParam(descriptor.parameter_info, descriptor.annotation))  # noqa: B010 - Typer's own slot, not declared on Click's Parameter
