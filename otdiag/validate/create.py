"""Checks the collector makes while it creates components for pipelines (graph building).

`otelcol validate` builds the pipeline graph, so these are ordinary validate errors,
even though no Validate() method holds them: the span matchers of the filter and
attributes processors (include/exclude), their match_type (values generated from the
filterset package), and the attributes processor's regexes.
"""

from __future__ import annotations

from collections.abc import Iterator

from otdiag import catalogue_config as kinds
from otdiag.validate import suggest
from otdiag.validate.checker import Checker
from otdiag.validate.model import Comp
from otdiag.validate.yamlsrc import Node

CODE = kinds.COMPONENT_CREATE
_SPAN_FIELDS = ("services", "span_names", "attributes", "libraries", "resources", "span_kinds")
_NOT_FOR_SPANS = ("log_bodies", "log_severity_texts", "log_severity_number", "metric_names")


def _set(node: Node | None) -> bool:
    """A matcher field counts when it holds something (an empty list is as good as none)."""
    if node is None or node.is_null:
        return False
    return node.kind != "seq" or bool(node.children)


def span_matcher_problem(props: Node) -> tuple[str, Node] | None:
    """What the span matcher refuses in an include/exclude block, as the collector words it."""
    if props.kind != "map":
        return None
    for name in _NOT_FOR_SPANS:
        node = props.get(name)
        if _set(node):
            assert node is not None
            return f"{name} should not be specified for trace spans", node
    if not any(_set(props.get(name)) for name in _SPAN_FIELDS):
        return 'at least one of "attributes", "libraries",  or "resources" field must be specified', props
    return None


def unnamed_group(pattern: str) -> bool:
    """A capture group without a name: `(` not followed by `?`, outside escapes and [character classes]."""
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":  # "[]...]": the first ] is a literal
                i += 1
        elif ch == "(" and pattern[i + 1 : i + 2] != "?":
            return True
        i += 1
    return False


_ACTIONS = ("insert", "update", "upsert", "delete", "hash", "extract", "convert")
_CONVERTED = ("string", "int", "double")


def _text(node: Node | None) -> str:
    if node is None or node.kind != "scalar" or node.value is None:
        return ""
    return str(node.value)


def attr_actions_problem(actions: Node | None) -> tuple[str, Node, str | None] | None:
    """What attraction.NewAttrProc refuses in an actions list (attributes and resource processors).

    internal/coreinternal/attraction/attraction.go, in its order: the action's key, its value
    sources against the action, the converted type. The first problem only, as it returns it.
    """
    if actions is None or actions.kind != "seq":
        return None
    for i, a in enumerate(actions.children):
        if a.kind != "map":
            continue
        action_node = a.get("action")
        action = _text(action_node).lower()
        key, pattern = _text(a.get("key")), _text(a.get("pattern"))
        if action in ("delete", "hash"):
            if not key and not pattern:
                return (
                    'error creating AttrProc due to missing required field (at least one of "key" and "pattern" '
                    f"have to be used) at the {i}-th action",
                    a,
                    None,
                )
        elif not key:
            return f'error creating AttrProc due to missing required field "key" at the {i}-th action', a, None
        value = a.get("value")
        # valueSourceCount: a value that is not null, a from_attribute or from_context that is not empty.
        sources = (value is not None and not value.is_null) + bool(_text(a.get("from_attribute")))
        sources += bool(_text(a.get("from_context")))
        head = f'error with key "{key}" ({i}-th action): error creating AttrProc'
        converted = _text(a.get("converted_type"))
        if action in ("insert", "update", "upsert"):
            if sources == 0 and a.get("default_value") is None:
                return (
                    f'{head}. Either field "value", "from_attribute", "from_context", or "default_value" must be '
                    "specified",
                    a,
                    None,
                )
            if sources > 1:
                return f"{head} due to multiple value sources being set", a, None
        elif action == "convert":
            if not converted:
                return f'{head} due to missing required field "converted_type" for action "convert"', a, None
            if converted not in _CONVERTED:
                near = suggest.nearest(converted, _CONVERTED)
                return (
                    f'{head} due to invalid value "{converted}" in field "converted_type" for action "convert"',
                    a.get("converted_type") or a,
                    f'Did you mean "{near}"?' if near else "converted_type is string, int or double.",
                )
        elif action not in _ACTIONS:
            near = suggest.nearest(action, _ACTIONS)
            return (
                f'{head} due to unsupported action "{action}"',
                action_node or a,
                (f'Did you mean "{near}"? ' if near else "") + "Actions: " + ", ".join(_ACTIONS) + ".",
            )
    return None


def _matchers(comp: Comp) -> Iterator[Node]:
    blocks = ("include", "exclude")
    base = comp.node.get("spans") if comp.canonical == "filter" else comp.node
    if base is None or base.kind != "map":
        return
    for name in blocks:
        node = base.get(name)
        if node is not None and node.kind == "map":
            yield node


def check(ck: Checker) -> None:
    procs = ck.cfg.comps.get("processor", {})
    for pid, pipeline in ck.cfg.pipelines.items():
        for ref in pipeline.processors:
            comp = procs.get(ref.id)
            if comp is None or comp.node.kind != "map":
                continue
            where = f'failed to create "{comp.id}" processor, in pipeline "{pid}": '
            for refused in ck.at_create.pop(comp.id, []):
                ck.emit(CODE, where + refused.message, refused.node, hint=refused.hint, target=comp.id)
            if pipeline.signal == "traces" and comp.canonical in ("filter", "attributes"):
                for props in _matchers(comp):
                    problem = span_matcher_problem(props)
                    if problem:
                        ck.emit(CODE, where + problem[0], problem[1], target=comp.id)
            if comp.canonical in ("attributes", "resource"):
                listed = comp.node.get("actions" if comp.canonical == "attributes" else "attributes")
                refused_action = attr_actions_problem(listed)
                if refused_action:
                    message, at, hint = refused_action
                    ck.emit(CODE, where + message, at, hint=hint, target=comp.id)
                    continue
            if comp.canonical == "attributes":
                actions = comp.node.get("actions")
                for i, action in enumerate(actions.children if actions is not None and actions.kind == "seq" else []):
                    pattern = action.get("pattern") if action.kind == "map" else None
                    act = action.get("action") if action.kind == "map" else None
                    # attraction.NewAttrProc asks for named groups only for extract; delete and
                    # hash take any pattern (issue 26).
                    extract = act is not None and str(act.value).lower() == "extract"
                    if (
                        extract
                        and pattern is not None
                        and isinstance(pattern.value, str)
                        and unnamed_group(pattern.value)
                    ):
                        key = action.get("key")
                        ck.emit(
                            CODE,
                            where + f'error with key "{key.value if key else ""}" ({i}-th action): error creating '
                            'AttrProc. Field "pattern" contains at least one unnamed matcher group',
                            pattern,
                            hint="Name every group: (?P<name>...), or make it non-capturing: (?:...).",
                            target=comp.id,
                        )
