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

from otdiag import catalogue_config as kinds
from otdiag.catalogue import Kind
from otdiag.validate import suggest
from otdiag.validate.expand import UNRESOLVED
from otdiag.validate.yamlsrc import Node


@dataclass(frozen=True, slots=True)
class Problem:
    kind: Kind
    message: str
    node: Node
    hint: str | None = None
    stage: str = "decode"
    """Who refuses it: "decode" (the collector's unmarshal), "validate" (a Validate() method),
    "create" (creating the component for a pipeline); "warning": nobody, but it is likely a mistake."""


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


def _go_q(value: Any) -> str:
    """`value` as Go's %v prints a scalar from YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def enum_problem(s: dict[str, Any], n: Node, where: str) -> Problem | None:
    """A value outside the generated set of values the type or its Validate() accepts."""
    enum = s.get("enum")
    if not enum or n.kind != "scalar" or n.value is None or n.value is UNRESOLVED or n.expanded:
        return None
    if not isinstance(n.value, str):
        return None
    values: list[str] = enum["values"]
    text = n.value
    ok = text.lower() in {v.lower() for v in values} if enum.get("fold") else text in values
    if ok:
        return None
    shown = [v for v in values if v] or values
    if enum.get("fold"):
        shown = list(dict.fromkeys(v.lower() for v in shown))
    near = suggest.nearest(text, shown)
    hint = (f'Did you mean "{near}"? ' if near else "") + "Valid values: " + ", ".join(f'"{v}"' for v in shown) + "."
    message = str(enum["error"]).replace("{value}", text)
    stage = enum.get("stage", "decode")
    kind = {"decode": kinds.WRONG_TYPE, "create": kinds.COMPONENT_CREATE}.get(stage, kinds.INVALID_VALUE)
    return Problem(kind, f"{where}{message}" if stage == "decode" else message, n, hint, stage)


def range_problem(s: dict[str, Any], n: Node) -> Problem | None:
    """A number (or duration) in a range a Validate() method was seen to refuse."""
    rules = s.get("reject")
    if not rules or n.kind != "scalar" or isinstance(n.value, bool) or n.expanded:
        return None
    value: float | None
    if s["t"] == "duration":
        from otdiag.validate.rules import seconds

        secs = seconds(n.value)
        value = None if secs is None else secs * 1e9
    else:
        value = float(n.value) if isinstance(n.value, int | float) else None
    if value is None:
        return None
    for rule in rules:
        lo, hi = rule["range"]
        if (lo is None or value >= lo) and (hi is None or value <= hi):
            return Problem(kinds.INVALID_VALUE, str(rule["error"]), n, None, "validate")
    return None


def _holds(when: dict[str, bool] | None, struct: Node) -> bool:
    """A generated rule's condition on sibling bools (`enabled`): absent ones keep the value seen."""
    for key, value in (when or {}).items():
        sib = struct.get(key)
        if sib is not None and sib.kind == "scalar" and isinstance(sib.value, bool) and sib.value is not value:
            return False
    return True


def _unvalidated(schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """`schema` with the rules of Validate() methods removed, all the way down."""
    if depth > 30:
        return schema
    out = {k: v for k, v in schema.items() if k != "reject"}
    enum = out.get("enum")
    if enum and enum.get("stage") == "validate":
        out.pop("enum")
    if "keys" in out:
        out["keys"] = {k: _unvalidated(v, depth + 1) for k, v in out["keys"].items()}
    if isinstance(out.get("v"), dict):
        out["v"] = _unvalidated(out["v"], depth + 1)
    return out


def _conditioned(schema: dict[str, Any], struct: Node) -> dict[str, Any]:
    """`schema` without the generated rules whose condition the sibling settings do not meet."""
    enum, reject = schema.get("enum"), schema.get("reject")
    if not (enum and enum.get("when")) and not any(r.get("when") for r in reject or ()):
        return schema
    out = dict(schema)
    if enum and not _holds(enum.get("when"), struct):
        out.pop("enum")
    if reject:
        out["reject"] = [r for r in reject if _holds(r.get("when"), struct)]
    return out


def _as_map_hint(path: str, seq: Node) -> str:
    """The fix for a map written as a list of "key: value" strings or one-entry maps."""
    name = path.rsplit(".", 1)[-1] or "the setting"
    pairs = []
    for c in seq.children[:2]:
        # Keys only: the values may be credentials (Authorization: Bearer …).
        if c.kind == "scalar" and isinstance(c.value, str) and ":" in c.value:
            pairs.append(f"{c.value.partition(':')[0].strip()}: …")
        elif c.kind == "map" and c.items:
            pairs.append(f"{c.items[0][0].value}: …")
    example = ", ".join(pairs) or "key: value"
    return f"{name} is a map, not a list: write {name}: {{{example}}} (one key per entry, no dashes)."


_Todo = list[tuple[Node, dict[str, Any] | None, str, bool]]
"""What is left to decode: (node, its schema, its dotted path, whether a custom decoder holds it)."""


def check(node: Node, schema: dict[str, Any] | None, path: str, *, strict_custom: bool = False) -> Iterator[Problem]:
    """Problems decoding `node` into `schema`; `path` is the dotted key path inside the component."""
    todo: _Todo = [(node, schema, path, False)]
    seen = 0
    while todo:
        n, s, p, in_custom = todo.pop()
        seen += 1
        if s is None or seen > 200_000:
            continue
        t = s["t"]
        if t == "struct":
            yield from _struct(n, s, p, in_custom, todo, strict_custom=strict_custom)
        elif t == "map":
            yield from _map(n, s, p, in_custom, todo)
        elif t == "list":
            yield from _list(n, s, p, in_custom, todo)
        elif not s.get("custom"):
            yield from _scalar(n, s, p)


def _where(path: str) -> str:
    return f"'{path}' " if path else ""


def _struct(
    n: Node, s: dict[str, Any], p: str, in_custom: bool, todo: _Todo, *, strict_custom: bool
) -> Iterator[Problem]:
    where = _where(p)
    custom = bool(s.get("custom"))
    if n.kind == "scalar":
        if not (n.value is None or n.value is UNRESOLVED or custom):
            yield Problem(kinds.WRONG_TYPE, f'{where}expected a map or struct, got "{_got(n)}"', n)
        return
    if n.kind == "seq":
        if not custom:
            yield Problem(kinds.WRONG_TYPE, f'{where}expected a map or struct, got "slice"', n)
        return
    keys: dict[str, Any] = s.get("keys") or {}
    lowered = {k.lower(): k for k in keys}
    # An optional section written with `enabled: false` is decoded but never validated.
    en = n.get("enabled") if s.get("optional") else None
    off = en is not None and en.value is False
    extra = {k.lower() for k in s.get("extra") or ()}
    unknown: list[Node] = []
    for k, v in n.items:
        name = str(k.value)
        real = lowered.get(name.lower())
        if real is None:
            if name.lower() not in extra and not (name == "enabled" and s.get("optional")):
                unknown.append(k)
            continue
        child = _conditioned(keys[real], n)
        if off:
            child = _unvalidated(child)
        todo.append((v, child, f"{p}.{real}" if p else real, in_custom or custom))
    # A custom decoder that hands the rest to the strict decoder (seen when generating) is strict.
    judged = not custom or strict_custom or bool(s.get("strict"))
    if unknown and judged and not s.get("remain"):
        yield _invalid_keys(unknown, keys, where)


def deeper(name: str, keys: dict[str, Any], limit: int = 3) -> str | None:
    """Where `name` is a key further down this struct (`insecure` -> `tls::insecure`), shallowest first."""
    todo: list[tuple[str, dict[str, Any], int]] = [("", {"t": "struct", "keys": keys}, 0)]
    low = name.lower()
    while todo:
        prefix, node, depth = todo.pop(0)
        if depth > limit:
            return None
        sub = node.get("keys") or {} if node.get("t") == "struct" else {}
        if depth and low in {k.lower() for k in sub}:
            return f"{prefix}::{name}"
        for k, v in sub.items():
            if isinstance(v, dict) and v.get("t") == "struct":
                todo.append((f"{prefix}::{k}" if prefix else k, v, depth + 1))
    return None


def _invalid_keys(unknown: list[Node], keys: dict[str, Any], where: str) -> Problem:
    names = ", ".join(str(k.value) for k in unknown)
    valid = [k for k in keys if k not in {str(u.value) for u in unknown}]
    placed = [(str(u.value), deeper(str(u.value), keys)) for u in unknown]
    moved = [(name, there) for name, there in placed if there]
    if moved and len(moved) == len(unknown):
        if len(moved) == 1:
            name, there = moved[0]
            section = there.rsplit("::", 1)[0]
            place = f"Did you mean `{there}`? `{name}` is a setting of `{section}:`: move it under that section."
        else:
            place = "Did you mean " + ", ".join(f"`{there}` for `{name}`" for name, there in moved) + "?"
        return Problem(kinds.INVALID_KEYS, f"{where}has invalid keys: {names}", unknown[0], place)
    pairs = [(str(u.value), suggest.nearest(str(u.value), valid)) for u in unknown]
    hints = [f'"{near}" for "{name}"' for name, near in pairs if near]
    hint = None
    if len(pairs) == 1 and pairs[0][1]:
        hint = f'Did you mean "{pairs[0][1]}"?'
    elif hints:
        hint = "Did you mean " + ", ".join(hints) + "?"
    return Problem(kinds.INVALID_KEYS, f"{where}has invalid keys: {names}", unknown[0], hint)


def _map(n: Node, s: dict[str, Any], p: str, in_custom: bool, todo: _Todo) -> Iterator[Problem]:
    custom = bool(s.get("custom"))
    if n.kind == "map":
        for k, v in n.items:
            todo.append((v, s.get("v"), f"{p}.{k.value}" if p else str(k.value), in_custom or custom))
    elif n.kind == "seq" or (n.value is not None and n.value is not UNRESOLVED and not custom):
        hint = _as_map_hint(p, n) if n.kind == "seq" else None
        yield Problem(kinds.WRONG_TYPE, f"{_where(p)}expected a map, got '{_got(n)}'", n, hint)


def _list(n: Node, s: dict[str, Any], p: str, in_custom: bool, todo: _Todo) -> Iterator[Problem]:
    if n.kind == "seq":
        item = s.get("v") or {}
        for i, c in enumerate(n.children):
            # A struct item written as a plain string is the "flat" form that some components'
            # own decoders (transform, filter) accept; elsewhere the collector refuses it.
            if item.get("t") == "struct" and c.kind == "scalar" and (in_custom or item.get("custom")):
                continue
            if item.get("t") == "struct" and c.kind == "scalar" and s.get("custom"):
                # configopaque.MapList (headers): decoded from a map, or from a list of
                # {name, value} entries; a list of "K: V" strings is neither.
                yield Problem(
                    kinds.WRONG_TYPE,
                    f"'{p}[{i}]' expected a map or struct, got \"{_got(c)}\"",
                    c,
                    _as_map_hint(p, n),
                )
                return
            todo.append((c, item or None, f"{p}[{i}]", in_custom))
    elif n.kind == "scalar" and n.value is not None:
        todo.append((n, s.get("v"), f"{p}[0]", in_custom))
    elif n.kind == "map":
        yield from _list_as_map(n, s, p, in_custom)


def _list_as_map(n: Node, s: dict[str, Any], p: str, in_custom: bool) -> Iterator[Problem]:
    """A list setting written as a map: only configopaque.MapList (headers) takes one."""
    custom = bool(s.get("custom"))
    item = s.get("v") or {}
    pair = item.get("keys") or {}
    if custom and set(pair) == {"name", "value"}:
        # configopaque.MapList (headers) decodes a map into name/value pairs: each
        # value must convert to the pair's value type.
        for k, v in n.items:
            err = scalar_error(pair["value"], v) if v.kind == "scalar" else None
            if v.kind != "scalar":
                err = f"expected type 'configopaque.String', got unconvertible type '{_got(v)}'"
            if err:
                err = err.replace("expected type 'string'", "expected type 'configopaque.String'")
                yield Problem(
                    kinds.WRONG_TYPE,
                    f"{_where(p)}decoding failed due to the following error(s): '[{k.value}]' {err}",
                    v,
                    f'Quote the value: {k.value}: "{v.text if v.kind == "scalar" else "…"}".',
                )
    elif not custom and not in_custom:
        yield Problem(kinds.WRONG_TYPE, f"{_where(p)}source data must be an array or slice, got map", n)


def _scalar(n: Node, s: dict[str, Any], p: str) -> Iterator[Problem]:
    where = _where(p)
    err = scalar_error(s, n)
    if err:
        yield Problem(kinds.WRONG_TYPE, f"{where}{err}", n)
        return
    enum = enum_problem(s, n, where)
    if enum is not None:
        yield enum
        return
    ranged = range_problem(s, n)
    if ranged is not None:
        yield Problem(ranged.kind, f"{p}: {ranged.message}" if p else ranged.message, n, None, "validate")
        return
    if s["t"] == "duration" and isinstance(n.value, int | float) and not isinstance(n.value, bool) and n.value:
        yield Problem(
            kinds.W_UNITLESS_DURATION,
            f"{p or 'the value'}: {_go_q(n.value)} has no unit, so it means {_go_q(n.value)} nanoseconds",
            n,
            f'Write the unit: "{_go_q(n.value)}s" for seconds, "{_go_q(n.value)}ms" for milliseconds.',
            "warning",
        )
