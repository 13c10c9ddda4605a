"""YAML to a located node tree, the way the collector's YAML parser reads it, within fixed bounds.

PyYAML's loaders keep the last of two equal mapping keys silently; the collector's parser (Go
yaml.v3) rejects the file. Nodes are composed here from libyaml's event stream, without
recursion, so that duplicate keys, alias bombs, deep nesting and huge files become located
problems instead of silent data, a traceback or exhausted memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from otdiag import catalogue_config as kinds
from otdiag.catalogue import Kind

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is part of the usual PyYAML wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 1024 * 1024
"""Larger files are refused: a collector config of this size is a mistake, not a config (real ones are tens
of KiB), and the checker reads 1 MiB in a few seconds (issue 24: a 50 MB one kept it busy for minutes)."""
MAX_DEPTH = 1000
"""Deeper nesting is refused (no real config comes near it; a 20,000-deep one is an attack)."""
MAX_NODES = 1_000_000
"""Nodes reachable through aliases, counted once per use: bounds a billion-laughs file."""


class LoadError(Exception):
    """The file cannot be read as a YAML mapping; `line`/`column` are 1-based, 0 when unknown."""

    def __init__(self, kind: Kind, message: str, line: int = 0, column: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        """A fix more precise than the kind's own (a tab: where it is), or None."""


def _tab_at(text: str, line: int, column: int) -> int:
    """The 1-based column of the tab that broke the YAML at 1-based `line`, else 0.

    A tab is the cause when the parser stopped on one, or when one is in the line's indentation (before
    the column the parser stopped at): YAML forbids tabs there, wherever the parser notices it.
    """
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return 0
    end = text.find("\n", start)
    row = text[start : end if end >= 0 else len(text)][:10_000]
    if 0 < column <= len(row) and row[column - 1] == "\t":
        return column
    indent = len(row) - len(row.lstrip(" \t"))
    tab = row.find("\t", 0, indent)
    return tab + 1 if tab >= 0 else 0


@dataclass(slots=True, eq=False)
class Node:
    """One YAML node: a mapping, a sequence or a scalar, with where it starts (1-based)."""

    kind: str
    """'map', 'seq' or 'scalar'."""
    line: int
    column: int
    value: Any = None
    """Scalar: the resolved Python value (None, bool, int, float, str). Else unused."""
    items: list[tuple[Node, Node]] = field(default_factory=list)
    """Mapping: (key node, value node) in file order."""
    index: dict[Any, int] = field(default_factory=dict)
    """Mapping: key value -> position in `items`."""
    children: list[Node] = field(default_factory=list)
    """Sequence: its elements."""
    quoted: bool = False
    text: str = ""
    """Scalar: the source text (before ${...} expansion)."""
    expanded: bool = False
    """Scalar: its value came from a ${...} reference (string fields keep the text then)."""
    file: str | None = None
    """Set on nodes merged in from another file (--merge)."""
    expanded_text: str | None = None
    """Scalar: the text a whole-value ${...} reference gave, before it was read as YAML."""
    style: str = ""
    """Scalar: how it is written: "" (plain), "'", '"', "|" or ">"."""

    def get(self, key: str) -> Node | None:
        i = self.index.get(key)
        return None if i is None else self.items[i][1]

    def keys(self) -> list[str]:
        return [str(k.value) for k, _ in self.items]

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and self.value is None

    def to_python(self, budget: list[int] | None = None) -> Any:
        """Plain data (dict/list/scalars), bounded by `budget` alias expansions."""
        budget = budget if budget is not None else [MAX_NODES]
        budget[0] -= 1
        if budget[0] < 0:
            raise LoadError(kinds.ALIAS_BOMB, "the YAML aliases expand to too many nodes")
        if self.kind == "scalar":
            return self.value
        if self.kind == "seq":
            return [c.to_python(budget) for c in self.children]
        return {str(k.value): v.to_python(budget) for k, v in self.items}


# YAML 1.2 core schema, as yaml.v3 resolves plain scalars (yes/no/on/off stay strings).
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)$")
_FLOAT = re.compile(
    r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
)


def resolve_plain(text: str) -> Any:
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        t = text.replace("_", "")
        sign = -1 if t.startswith("-") else 1
        t = t.lstrip("+-")
        base = 16 if t.startswith("0x") else 8 if t.startswith("0o") else 2 if t.startswith("0b") else 10
        try:
            return sign * int(t[2:] if base != 10 else t, base)
        except ValueError:
            return text
    if _FLOAT.match(text):
        try:
            return float(text.replace("_", "").replace(".inf", "inf").replace(".Inf", "inf"))
        except ValueError:
            return text
    return text


def _scalar_value(ev: yaml.ScalarEvent) -> Any:
    tag = ev.tag
    if tag in ("tag:yaml.org,2002:str", "!"):
        return ev.value
    if tag == "tag:yaml.org,2002:int":
        return resolve_plain(ev.value) if _INT.match(ev.value) else ev.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if ev.style in ("'", '"', "|", ">"):
        return ev.value
    return resolve_plain(ev.value)


def _key_text(node: Node) -> str:
    return node.text if node.kind == "scalar" else f"<{node.kind}>"


def load(data: bytes | str) -> tuple[Node, list[LoadError]]:
    """The document's root node and its duplicate keys; raises LoadError for anything unreadable."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise LoadError(kinds.TOO_LARGE, f"the file is {len(data):,} bytes; at most {MAX_BYTES:,} are read")
        if b"\x00" in data[:8192]:
            raise LoadError(kinds.NOT_TEXT, "the file is binary, not YAML text")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise LoadError(
                kinds.NOT_UTF8, f"the file is not UTF-8 text (invalid byte at offset {exc.start})", line, 1
            ) from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_BYTES:
        raise LoadError(kinds.TOO_LARGE, f"the file is {len(text):,} characters; at most {MAX_BYTES:,} are read")
    try:
        dups: list[LoadError] = []
        root = _compose(yaml.parse(text, Loader=_Loader), dups)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if "maximum nesting depth" in problem:
            # PyYAML 6.0.3+ stops deep nesting in its parser, before otdiag's own limit sees it.
            raise LoadError(
                kinds.TOO_DEEP,
                f"the YAML nests more than {MAX_DEPTH} levels deep",
                (mark.line + 1) if mark else 0,
                (mark.column + 1) if mark else 0,
            ) from None
        line, column = ((mark.line + 1), (mark.column + 1)) if mark else (0, 0)
        tab = _tab_at(text, line, column) if line else 0
        if tab:
            raise LoadError(
                kinds.YAML_SYNTAX,
                f"yaml: a tab character at line {line}, column {tab}: YAML indents with spaces only",
                line,
                tab,
                hint=f"Replace the tab at line {line}, column {tab} with spaces (YAML never allows tabs in "
                "indentation).",
            ) from None
        ctx = exc.context_mark
        if "end of stream" in problem and ctx is not None and exc.context and ctx.line + 1 < line:
            # An unclosed quote or bracket: the end of the file is where the parser gave up, the opening
            # one is what to fix (and the only line a code frame can show).
            raise LoadError(
                kinds.YAML_SYNTAX,
                f"yaml: {problem} ({exc.context} that starts at line {ctx.line + 1}, column {ctx.column + 1})",
                ctx.line + 1,
                ctx.column + 1,
            ) from None
        raise LoadError(
            kinds.YAML_SYNTAX,
            f"yaml: {problem}" + (f" ({exc.context})" if exc.context else ""),
            line,
            column,
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError(kinds.YAML_SYNTAX, f"yaml: {exc}") from None
    return root, dups


def _line(ev: yaml.Event) -> int:
    return ev.start_mark.line + 1 if ev.start_mark is not None else 0


def _col(ev: yaml.Event) -> int:
    return ev.start_mark.column + 1 if ev.start_mark is not None else 0


# Scalars share these empty containers instead of three fresh ones each: most nodes are scalars, and
# on a 200,000-component file the empties alone cost hundreds of megabytes. Never mutated for scalars.
_NO_ITEMS: list[tuple[Node, Node]] = []
_NO_INDEX: dict[Any, int] = {}
_NO_CHILDREN: list[Node] = []


def _compose(events: Iterator[yaml.Event], dups: list[LoadError]) -> Node:
    """Build nodes from events with an explicit stack (no recursion, whatever the depth)."""
    c = _Composer(dups)
    for ev in events:
        if isinstance(ev, yaml.ScalarEvent):
            c.scalar(ev)
        elif isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            c.start(ev)
        elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            c.end()
        elif isinstance(ev, yaml.AliasEvent):
            c.alias(ev)
        elif isinstance(ev, yaml.DocumentEndEvent):
            # yaml.v3's Unmarshal (the collector's file provider) decodes the first document and
            # never reads the rest: later documents, even broken ones, change nothing.
            break
        elif isinstance(ev, yaml.DocumentStartEvent):
            _check_version(ev)
    if c.root is None:
        return Node("scalar", 1, 1, value=None)
    return c.root


def _check_version(ev: yaml.DocumentStartEvent) -> None:
    if ev.version is not None and tuple(ev.version) != (1, 1):
        # yaml.v3 (the collector's parser) knows only YAML 1.1 and refuses any other %YAML.
        raise LoadError(
            kinds.YAML_SYNTAX,
            f"yaml: line {_line(ev)}: found incompatible YAML document "
            f"(%YAML {'.'.join(map(str, ev.version))}; the collector reads only %YAML 1.1 or none)",
            _line(ev),
            _col(ev),
        )


class _Composer:
    """The state of `_compose`: open collections, anchors, and how far aliases have expanded."""

    def __init__(self, dups: list[LoadError]) -> None:
        self.dups = dups
        self.anchors: dict[str, Node] = {}
        self.stack: list[tuple[Node, str | None, list[Node]]] = []
        """Each open collection: (node, its anchor, pending key for mappings as a 0/1-length list)."""
        self.root: Node | None = None
        self.expanded = 0
        self.merged: dict[int, _Merged] = {}
        """Per mapping (by id): its merge keys (<<) and the keys they filled in."""

    def attach(self, node: Node) -> None:
        if not self.stack:
            self.root = node
            return
        parent, _, pending = self.stack[-1]
        if parent.kind == "seq":
            parent.children.append(node)
        elif not pending:
            pending.append(node)
        else:
            key = pending.pop()
            _add_pair(parent, key, node, self.dups, self.merged)

    def scalar(self, ev: yaml.ScalarEvent) -> None:
        node = Node(
            "scalar",
            _line(ev),
            _col(ev),
            value=_scalar_value(ev),
            items=_NO_ITEMS,
            index=_NO_INDEX,
            children=_NO_CHILDREN,
            quoted=ev.style in ("'", '"'),
            text=ev.value,
            style=ev.style or "",
        )
        if ev.anchor:
            self.anchors[ev.anchor] = node
        self.attach(node)

    def start(self, ev: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise LoadError(
                kinds.TOO_DEEP,
                f"the YAML nests more than {MAX_DEPTH} levels deep",
                _line(ev),
                _col(ev),
            )
        if isinstance(ev, yaml.MappingStartEvent):
            node = Node("map", _line(ev), _col(ev), children=_NO_CHILDREN)
        else:
            node = Node("seq", _line(ev), _col(ev), items=_NO_ITEMS, index=_NO_INDEX)
        self.stack.append((node, ev.anchor, []))

    def end(self) -> None:
        node, anchor, _ = self.stack.pop()
        if anchor:
            self.anchors[anchor] = node
        self.attach(node)

    def alias(self, ev: yaml.AliasEvent) -> None:
        target = self.anchors.get(ev.anchor or "")
        if target is None:
            raise LoadError(
                kinds.YAML_SYNTAX,
                f"yaml: unknown anchor '{ev.anchor}' referenced",
                _line(ev),
                _col(ev),
            )
        self.expanded += _size(target, MAX_NODES - self.expanded)
        if self.expanded > MAX_NODES:
            raise LoadError(
                kinds.ALIAS_BOMB,
                "the YAML aliases expand to too many nodes (an alias bomb?)",
                _line(ev),
                _col(ev),
            )
        self.attach(target)


def _size(node: Node, limit: int) -> int:
    """Nodes under `node`, counting shared nodes each time; stops early past `limit`."""
    count = 0
    todo = [node]
    while todo and count <= limit:
        n = todo.pop()
        count += 1
        if n.kind == "map":
            todo.extend(v for _, v in n.items)
        elif n.kind == "seq":
            todo.extend(n.children)
    return count


def _hashable(key: Node) -> Any:
    return key.value if key.kind == "scalar" else ("<node>", id(key))


class _Merged:
    """A mapping's merge state: its first `<<` key and the keys merges filled in (overridable)."""

    __slots__ = ("filled", "key")

    def __init__(self, key: Node) -> None:
        self.key = key
        self.filled: set[Any] = set()


def _add_pair(parent: Node, key: Node, value: Node, dups: list[LoadError], merged: dict[int, _Merged]) -> None:
    """Add one entry as yaml.v3 decodes it: a key written twice is an error; a key a merge (`<<`)
    filled in is overridden by the mapping's own key, whether written before or after the `<<`."""
    state = merged.get(id(parent))
    if key.kind == "scalar" and key.text == "<<" and not key.quoted:
        if state is not None:
            dups.append(DuplicateKey(key, state.key))
            return
        state = merged[id(parent)] = _Merged(key)
        sources = value.children if value.kind == "seq" else [value]
        for src in sources:
            for k, v in src.items:
                hk = _hashable(k)
                if hk in parent.index:
                    continue
                parent.index[hk] = len(parent.items)
                parent.items.append((k, v))
                state.filled.add(hk)
        return
    h = _hashable(key)
    if h in parent.index:
        i = parent.index[h]
        if state is not None and h in state.filled:
            state.filled.discard(h)
            parent.items[i] = (key, value)
            return
        first = parent.items[i][0]
        dups.append(DuplicateKey(key, first))
        # The later value wins in what is checked next, as the collector would never get that far.
        parent.items[i] = (key, value)
        return
    parent.index[h] = len(parent.items)
    parent.items.append((key, value))


class DuplicateKey(LoadError):
    def __init__(self, key: Node, first: Node) -> None:
        super().__init__(
            kinds.DUPLICATE_KEY,
            f'mapping key "{_key_text(key)}" already defined at line {first.line}',
            key.line,
            key.column,
        )


def tag_file(root: Node, file: str) -> None:
    """Mark every node with the file it came from (before merging several files)."""
    todo = [root]
    seen: set[int] = set()
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        n.file = file
        todo.extend(k for k, _ in n.items)
        todo.extend(v for _, v in n.items)
        todo.extend(n.children)


def merge(base: Node, override: Node) -> Node:
    """As the collector merges repeated --config: maps deep-merge, anything else (lists too) replaces."""
    if base.kind != "map" or override.kind != "map":
        return override
    out = Node("map", base.line, base.column, file=base.file)
    out.items = list(base.items)
    out.index = dict(base.index)
    for k, v in override.items:
        h = _hashable(k)
        if h in out.index:
            i = out.index[h]
            out.items[i] = (out.items[i][0], merge(out.items[i][1], v))
        else:
            out.index[h] = len(out.items)
            out.items.append((k, v))
    return out
