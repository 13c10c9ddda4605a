"""The filter and transform processors' own checks: option combinations, OTTL, log severities.

Mirrors processor/filterprocessor/config.go (Unmarshal, Validate) and
processor/transformprocessor/config.go at v0.155.0: first what fails while the config is
decoded (mixed list styles, empty items, unknown context names), then Validate(): the option
combinations, then every OTTL statement and condition, parsed once each (otdiag.validate.ottl).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from otdiag import catalogue_config as kinds
from otdiag.catalogue import Kind
from otdiag.validate import ottl
from otdiag.validate.model import Comp
from otdiag.validate.ottlgrammar import go_quote
from otdiag.validate.yamlsrc import Node

Problem = tuple[Kind, str, Node | None]
INVALID = kinds.INVALID_VALUE
SYNTAX = kinds.OTTL_SYNTAX
UNKNOWN = kinds.OTTL_INVALID
CONTEXT = kinds.OTTL_CONTEXT
MIXED = "configuring multiple configuration styles is not supported, please use only Basic configuration or only Advanced configuration"  # noqa: E501


def _set(node: Node | None) -> bool:
    return node is not None and not node.is_null


def _strings(node: Node | None) -> list[Node]:
    if node is None or node.kind != "seq":
        return []
    return [c for c in node.children if c.kind == "scalar" and isinstance(c.value, str)]


def inside(node: Node, offset: int) -> Node:
    """A node placed `offset` characters into a one-line scalar's value (its start when that cannot be placed)."""
    text = node.value if isinstance(node.value, str) else ""
    before = text[:offset]
    if "\n" in before or node.expanded or node.expanded_text is not None:
        return node
    style = node.style
    if style == "":
        return replace(node, column=node.column + offset)
    if style == "'":
        return replace(node, column=node.column + 1 + offset + before.count("'"))
    if style == '"':
        extra = sum(1 for ch in before if ch in '"\\\t\r\x08\x0c') + sum(
            5 for ch in before if ord(ch) < 0x20 and ch not in "\t\r\x08\x0c"
        )
        return replace(node, column=node.column + 1 + offset + extra)
    return node


def _check(
    item: Node, statement: bool, parser: ottl.Parser, prepend: bool = False, *, wrap: bool = True
) -> Problem | None:
    text = str(item.value)
    problem = ottl.syntax(text, statement)
    kind = "statement" if statement else "condition"
    if problem is not None:
        message = problem.message if not wrap else f"unable to parse OTTL {kind} {go_quote(text)}: {problem.message}"
        return SYNTAX, message, inside(item, problem.offset)
    tree = ottl.parse(text, statement)
    assert isinstance(tree, dict)
    sem = ottl.semantics(text, tree, parser, prepend=prepend)
    if sem is not None:
        return UNKNOWN, f"unable to parse OTTL {kind} {go_quote(text)}: {sem.message}", inside(item, sem.offset)
    return None


def _decode_groups(field: str, node: Node | None, empty: str, string_after_map: bool) -> Iterator[Problem]:
    """A *_statements / *_conditions list as the processor's Unmarshal reads it: flat strings or context groups."""
    if node is None or node.kind != "seq":
        return
    strings = groups = 0
    for i, item in enumerate(node.children):
        if item.is_null:
            yield INVALID, empty, item
            return
        if item.kind == "scalar":
            if groups and not string_after_map:
                yield INVALID, MIXED, item
                return
            strings += 1
        else:
            if strings:
                yield INVALID, MIXED, item
                return
            groups += 1
            ctx = item.get("context") if item.kind == "map" else None
            if ctx is not None and ctx.kind == "scalar" and ctx.value is not None:
                name = str(ctx.value).lower()
                if name not in ottl.tables()["context_ids"]:
                    yield CONTEXT, f"'{field}[{i}].context' unknown context {name}", ctx


def _groups(node: Node | None) -> list[tuple[Node | None, str, list[Node], list[Node]]]:
    """(group node, context, statements, conditions) of each group; flat strings form one group without context."""
    if node is None or node.kind != "seq":
        return []
    out: list[tuple[Node | None, str, list[Node], list[Node]]] = []
    flat = [c for c in node.children if c.kind == "scalar" and isinstance(c.value, str)]
    for item in node.children:
        if item.kind == "map":
            ctx = item.get("context")
            name = str(ctx.value).lower() if ctx is not None and ctx.value is not None else ""
            out.append((item, name, _strings(item.get("statements")), _strings(item.get("conditions"))))
    if flat:
        out.append((node, "", flat, flat))
    return out


def _contexts(signal: str) -> list[str]:
    return list(ottl.tables()["statement_contexts"].get(f"{signal}_statements", []))


def _group(
    processor: str,
    signal: str,
    group: Node | None,
    context: str,
    statements: list[Node],
    conditions: list[Node],
    what: str,
) -> Problem | None:
    """One context group (transform: statements, conditions; filter: conditions) as the collector parses it."""
    known = _contexts(signal)
    items = statements if what == "statements" else conditions
    texts = [str(s.value) for s in items]
    if context and context not in known:
        return CONTEXT, f'unknown context "{context}" for {what}: [{" ".join(texts)}]', group
    # Then the grammar: the collector parses every text to infer or insert contexts.
    for item in items:
        problem = ottl.syntax(str(item.value), what == "statements")
        if problem is not None:
            message = problem.message
            if not context and what == "statements":
                # transform infers the context first and wraps what the inference's parse says.
                names = " ".join(go_quote(c) for c in known)
                quoted = " ".join(go_quote(t) for t in texts)
                message = (
                    f"unable to infer a valid context ([{names}]) from statements [{quoted}] and conditions "
                    f"[{' '.join(go_quote(str(c.value)) for c in conditions)}]: {message}"
                )
            return SYNTAX, message, inside(item, problem.offset)
    if context:
        prepend = True
    else:
        trees = [t for t in (ottl.parse(x, what == "statements") for x in texts) if isinstance(t, dict)]
        if what == "statements":
            trees += [t for t in (ottl.parse(str(c.value), False) for c in conditions) if isinstance(t, dict)]
        context = ottl.infer(trees)
        if not context:
            return (
                UNKNOWN,
                f"unable to infer context from {what}, path's first segment must be a valid context name: "
                f"[{' '.join(known)}]",
                group,
            )
        if context not in known:
            return UNKNOWN, f'context "{context}" inferred from the {what} is not a supported context', group
        prepend = False
    parser = ottl.Parser(processor, context, True)
    for item in items:
        found = _check(item, what == "statements", parser, prepend)
        if found is not None:
            return found
    if what == "statements":
        # The group's `conditions` (transform): parsed with the filter's functions; paths need a
        # context name only when the group names no context.
        cparser = ottl.Parser("filter", context, not prepend)
        for item in conditions:
            found = _check(item, False, cparser)
            if found is not None:
                return found
    return None


def transform(comp: Comp) -> Iterator[Problem]:
    fields = ("trace_statements", "metric_statements", "log_statements", "profile_statements")
    for field in fields:
        yield from _decode_groups(
            field,
            comp.get(field),
            f"invalid {field} item: empty statement list items are not supported",
            string_after_map=True,
        )
    for field in fields:
        signal = field.split("_", 1)[0]
        for group, context, statements, conditions in _groups(comp.get(field)):
            flat = group is comp.get(field)
            found = _group("transform", signal, group, context, statements, [] if flat else conditions, "statements")
            if found is not None:
                yield found


_EXPLICIT = {
    "traces": (("resource", "resource"), ("span", "span"), ("spanevent", "spanevent")),
    "metrics": (("resource", "resource"), ("metric", "metric"), ("datapoint", "datapoint")),
    "logs": (("resource", "resource"), ("log_record", "log")),
    "profiles": (("resource", "resource"), ("profile", "profile")),
}
_SEVERITIES = frozenset(
    [str(n) for n in range(1, 25)]
    + [
        f"{level}{suffix}"
        for level in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
        for suffix in ("", "2", "3", "4")
    ]
)


def filter_(comp: Comp) -> Iterator[Problem]:
    fields = ("trace_conditions", "metric_conditions", "log_conditions", "profile_conditions")
    for field in fields:
        yield from _decode_groups(field, comp.get(field), "condition cannot be empty", string_after_map=False)
    # Validate() stops at the first problem.
    found = (
        _inferred_and_explicit(comp)
        or _inferred_conditions(comp, fields)
        or _explicit_mixed(comp)
        or _explicit_conditions(comp)
        or _severities(comp)
    )
    if found is not None:
        yield found


def _has(comp: Comp, *path: str) -> bool:
    return _set(comp.get(*path))


def _inferred_and_explicit(comp: Comp) -> Problem | None:
    """validateInferredContextConfig: *_conditions beside the explicit per-context settings."""

    def has(*path: str) -> bool:
        return _has(comp, *path)

    if has("trace_conditions") and (has("traces", "resource") or has("traces", "span") or has("traces", "spanevent")):
        return (
            INVALID,
            (
                'cannot use context inferred trace conditions "trace_conditions" and the settings "traces.resource", '
                '"traces.span", "traces.spanevent" at the same time'
            ),
            comp.get("trace_conditions"),
        )
    if has("metric_conditions") and any(
        has("metrics", k) for k in ("resource", "metric", "datapoint", "include", "exclude")
    ):
        return (
            INVALID,
            (
                'cannot use context inferred metric conditions "metric_conditions" and the settings '
                '"metrics.resource", "metrics.metric", "metrics.datapoint", "metrics.include", "metrics.exclude" '
                "at the same time"
            ),
            comp.get("metric_conditions"),
        )
    if has("log_conditions") and any(has("logs", k) for k in ("resource", "log_record", "include", "exclude")):
        return (
            INVALID,
            (
                'cannot use context inferred log conditions "log_conditions" and the settings "logs.resource", '
                '"logs.log", "logs.include", "logs.exclude" at the same time'
            ),
            comp.get("log_conditions"),
        )
    if has("profile_conditions") and (has("profiles", "resource") or has("profiles", "profile")):
        return (
            INVALID,
            (
                'cannot use context inferred profile conditions "profile_conditions" and the settings '
                '"profiles.resource", "profiles.profile" at the same time'
            ),
            comp.get("profile_conditions"),
        )
    return None


def _inferred_conditions(comp: Comp, fields: tuple[str, ...]) -> Problem | None:
    for field in fields:
        signal = field.split("_", 1)[0]
        for group, context, _statements, conditions in _groups(comp.get(field)):
            found = _group("filter", signal, group, context, [], conditions, "conditions")
            if found is not None:
                return found
    return None


def _explicit_mixed(comp: Comp) -> Problem | None:
    """validateExplicitContextConfig: the OTTL settings of a signal beside its legacy include/exclude."""

    def has(*path: str) -> bool:
        return _has(comp, *path)

    if (has("traces", "resource") or has("traces", "span") or has("traces", "spanevent")) and (
        has("spans", "include") or has("spans", "exclude")
    ):
        return (
            INVALID,
            (
                'cannot use "traces.resource", "traces.span", "traces.spanevent" and the span settings '
                '"spans.include", "spans.exclude" at the same time'
            ),
            comp.get("traces"),
        )
    if any(has("metrics", k) for k in ("resource", "metric", "datapoint")) and (
        has("metrics", "include") or has("metrics", "exclude")
    ):
        return (
            INVALID,
            (
                'cannot use "metrics.resource", "metrics.metric", "metrics.datapoint" and the settings '
                '"metrics.include", "metrics.exclude" at the same time'
            ),
            comp.get("metrics"),
        )
    if (has("logs", "resource") or has("logs", "log_record")) and (has("logs", "include") or has("logs", "exclude")):
        return (
            INVALID,
            ('cannot use "logs.resource", "logs.log" and the settings "logs.include", "logs.exclude" at the same time'),
            comp.get("logs"),
        )
    return None


def _explicit_conditions(comp: Comp) -> Problem | None:
    for section, keys in _EXPLICIT.items():
        for key, context in keys:
            parser = ottl.Parser("filter", context, False)
            for item in _strings(comp.get(section, key)):
                found = _check(item, False, parser)
                if found is not None:
                    return found
    return None


def _severities(comp: Comp) -> Problem | None:
    for which in ("include", "exclude"):
        level = comp.get("logs", which, "severity_number", "min")
        shown = level is not None and level.kind == "scalar" and level.value not in (None, "")
        if shown and level is not None and str(level.value).upper() not in _SEVERITIES:
            return INVALID, f"'{level.value}' is not a valid severity: not a valid severity", level
    return None
