"""Strict decoding of a component's settings against its generated key tree.

The collector decodes each component's settings into its Go config struct and refuses keys the
struct does not have (`has invalid keys`) and values it cannot convert (`expected type ...`).
The key tree (otdiag/validate/data) says what the struct has; a part whose decoding the component
customises (`custom`) or that is unknown is not judged, so that no false error is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from otdiag.validate.expand import UNRESOLVED
from otdiag.validate.yamlsrc import Node


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    node: Node


_GO_KIND = {str: "string", int: "int", float: "float64", bool: "bool"}
_DUR_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([a-zµμ]*)")
_UNITS = {"ns", "us", "µs", "μs", "ms", "s", "m", "h"}


def go_duration_error(text: str) -> str | None:
    """Why Go's time.ParseDuration refuses `text`, or None when it parses."""
    s = text
    if s in ("0", "+0", "-0"):
        return None
    if s[:1] in "+-":
        s = s[1:]
    if not s:
        return "time: invalid duration"
    while s:
        m = _DUR_PART.match(s)
        if m is None or not m.group(1) or m.group(1) == ".":
            return "time: invalid duration"
        if not m.group(2):
            return "time: missing unit in duration"
        if m.group(2) not in _UNITS:
            return "time: unknown unit"
        s = s[m.end() :]
    return None


def _got(node: Node) -> str:
    if node.kind == "map":
        return "map[string]interface {}"
    if node.kind == "seq":
        return "[]interface {}"
    return _GO_KIND.get(type(node.value), "string")


_UINT_MAX = {"uint8": 2**8, "uint16": 2**16, "uint32": 2**32, "uint64": 2**64, "uint": 2**64}


def scalar_error(schema: dict[str, Any], node: Node) -> str | None:
    t = schema["t"]
    if node.kind == "scalar" and (node.value is None or node.value is UNRESOLVED):
        return None
    value = node.value
    if t in ("str", "opaque"):
        if node.kind == "scalar" and (isinstance(value, str) or node.expanded):
            return None
        return f"expected type 'string', got unconvertible type '{_got(node)}'"
    if t == "bool":
        if node.kind == "scalar" and isinstance(value, bool):
            return None
        return f"expected type 'bool', got unconvertible type '{_got(node)}'"
    if t in ("int", "uint", "float"):
        go = schema.get("go") or ("float64" if t == "float" else t)
        if node.kind == "scalar" and isinstance(value, int | float) and not isinstance(value, bool):
            if t == "uint" and value < 0:
                return f"cannot parse value as '{go}': {value} overflows uint"
            return None
        return f"expected type '{go}', got unconvertible type '{_got(node)}'"
    if t == "duration":
        if node.kind == "scalar" and isinstance(value, int | float) and not isinstance(value, bool):
            return None
        if node.kind == "scalar" and isinstance(value, str):
            return go_duration_error(value)
        return f"expected type 'time.Duration', got unconvertible type '{_got(node)}'"
    return None


def check(node: Node, schema: dict[str, Any] | None, path: str, *, strict_custom: bool = False) -> Iterator[Problem]:
    """Problems decoding `node` into `schema`; `path` is the dotted key path inside the component."""
    todo: list[tuple[Node, dict[str, Any] | None, str]] = [(node, schema, path)]
    seen = 0
    while todo:
        n, s, p = todo.pop()
        seen += 1
        if s is None or seen > 200_000:
            continue
        t = s["t"]
        where = f"'{p}' " if p else ""
        if t == "struct":
            if n.kind == "scalar":
                if n.value is None or n.value is UNRESOLVED or s.get("custom"):
                    continue
                yield Problem("config.wrong-type", f'{where}expected a map or struct, got "{_got(n)}"', n)
                continue
            if n.kind == "seq":
                if not s.get("custom"):
                    yield Problem("config.wrong-type", f'{where}expected a map or struct, got "slice"', n)
                continue
            keys: dict[str, Any] = s.get("keys") or {}
            lowered = {k.lower(): k for k in keys}
            unknown: list[Node] = []
            for k, v in n.items:
                name = str(k.value)
                real = lowered.get(name.lower())
                if real is None:
                    if name == "enabled" and s.get("optional"):
                        continue
                    unknown.append(k)
                    continue
                todo.append((v, keys[real], f"{p}.{real}" if p else real))
            if unknown and (strict_custom or not s.get("custom")) and not s.get("remain"):
                names = ", ".join(str(k.value) for k in unknown)
                yield Problem("config.invalid-keys", f"{where}has invalid keys: {names}", unknown[0])
        elif t == "map":
            if n.kind == "map":
                for k, v in n.items:
                    todo.append((v, s.get("v"), f"{p}.{k.value}" if p else str(k.value)))
            elif n.kind == "seq" or (n.value is not None and n.value is not UNRESOLVED and not s.get("custom")):
                yield Problem("config.wrong-type", f"{where}expected a map, got '{_got(n)}'", n)
        elif t == "list":
            if n.kind == "seq":
                item = s.get("v") or {}
                for i, c in enumerate(n.children):
                    # A struct item written as a plain string is the "flat" form some decoders accept.
                    if item.get("t") == "struct" and c.kind == "scalar":
                        continue
                    todo.append((c, item or None, f"{p}[{i}]"))
            elif n.kind == "scalar" and n.value is not None:
                todo.append((n, s.get("v"), f"{p}[0]"))
        else:
            if s.get("custom"):
                continue
            err = scalar_error(s, n)
            if err:
                yield Problem("config.wrong-type", f"{where}{err}", n)
