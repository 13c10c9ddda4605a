"""OTTL statements and conditions checked as the collector's transform and filter processors check them.

Syntax: otdiag.validate.ottlgrammar (the collector's own parse, error for error). Then what the
collector's OTTL parser checks before any data flows: editor and converter names (and that
editors are not used as converters), the number of arguments, each path's context and first
segment, and enum names - all against data/ottl.json, generated from the upstream Go source by
scripts/gen_components.py --ottl-only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from otdiag.validate import ottlgrammar as g
from otdiag.validate.knowledge import DATA

INFER_PRIORITY = (
    "log",
    "exemplar",
    "datapoint",
    "metric",
    "spanevent",
    "span",
    "profile",
    "scope",
    "instrumentation_scope",
    "resource",
)
"""pkg/ottl context_inferrer.go defaultContextInferPriority: the most specific context wins."""


@cache
def tables() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "ottl.json").read_text())
    return doc


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    offset: int
    """Where in the OTTL text (0-based character offset)."""
    syntax: bool = False
    """A grammar error (reported without the "unable to parse OTTL ..." prefix where the collector does so)."""


@dataclass(frozen=True, slots=True)
class Parser:
    """One OTTL parser of one processor: its context, its functions, whether paths need a context name."""

    processor: str
    context: str
    names: bool

    @property
    def functions(self) -> frozenset[str]:
        return _functions(self.processor, self.context)


@lru_cache(maxsize=64)
def _functions(processor: str, context: str) -> frozenset[str]:
    return frozenset(tables()["functions"][processor].get(context, ()))


@lru_cache(maxsize=4096)
def parse(text: str, statement: bool) -> dict[str, Any] | g.SyntaxProblem:
    """The parse tree of one statement (or condition), or its syntax error; each text is parsed once."""
    try:
        return g.parse(text, g.STATEMENT if statement else g.BOOL_EXPR)
    except g.SyntaxProblem as exc:
        return exc


def syntax(text: str, statement: bool) -> Problem | None:
    """The grammar error and the custom grammar errors (editor used as converter, ...), as the collector words them."""
    tree = parse(text, statement)
    if isinstance(tree, g.SyntaxProblem):
        kind = "statement" if statement else "condition"
        return Problem(f"{kind} has invalid syntax: {tree}", tree.offset, syntax=True)
    errors: list[tuple[str, int]] = []
    if statement and tree.get("Converter"):
        conv = tree["Converter"][0]
        errors.append((f"editor names must start with a lowercase letter but got '{_fname(conv)}'", _at(conv)))
    for node in _walk(tree):
        name = node["_"]
        if name == "Editor" and node.get("Keys"):
            errors.append(
                (
                    f"only paths and converters may be indexed, not editors, but got {_fname(node)}"
                    + "".join(_key_text(k) for k in node["Keys"]),
                    _at(node),
                )
            )
        elif name == "MathExprLiteral" and node.get("Editor"):
            ed = node["Editor"][0]
            errors.append((f"converter names must start with an uppercase letter but got '{_fname(ed)}'", _at(ed)))
        elif name == "LambdaBody" and node.get("Value") and node["Value"][0].get("Lambda"):
            errors.append(("lambda body cannot result into another lambda expression", _at(node)))
    if errors:
        return Problem("; ".join(m for m, _ in errors), errors[0][1], syntax=True)
    return None


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every struct under `node`, depth first, in source order (iteratively)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, dict):
            yield n
            kids = [v for k, vs in n.items() if k != "_" for v in vs if isinstance(v, dict)]
            todo.extend(reversed(kids))


def _fname(call: dict[str, Any]) -> str:
    return "".join(t.value for t in call["Function"])


def _first_token(node: Any) -> g.Token | None:
    todo = [node]
    best: g.Token | None = None
    while todo:
        n = todo.pop()
        if isinstance(n, g.Token):
            if best is None or n.offset < best.offset:
                best = n
        elif isinstance(n, dict):
            todo.extend(v for k, vs in n.items() if k != "_" for v in vs)
    return best


def _at(node: Any) -> int:
    tok = _first_token(node)
    return tok.offset if tok else 0


def _key_text(key: dict[str, Any]) -> str:
    if key.get("String"):
        return f"[{key['String'][0].value}]"
    if key.get("Int"):
        return f"[{key['Int'][0].value}]"
    return "[]"


def _path_text(text: str, path: dict[str, Any]) -> str:
    toks = list(_tokens(path))
    if not toks:
        return ""
    start = min(t.offset for t in toks)
    last = max(toks, key=lambda t: t.offset)
    end = last.offset + (len(last.value) + 2 if last.type == "String" else len(last.value))
    return text[start:end] if last.type != "String" else text[start : text.find("]", last.offset) + 1 or end]


def _tokens(node: Any) -> Iterator[g.Token]:
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, g.Token):
            yield n
        elif isinstance(n, dict):
            todo.extend(v for k, vs in n.items() if k != "_" for v in vs)


# --- semantics ---------------------------------------------------------------------------------------
def paths_of(tree: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in _walk(tree) if n["_"] == "Path"]


def infer(trees: list[dict[str, Any]]) -> str:
    """The context the collector infers from the paths' context names ("" when none has one)."""
    best, rank = "", len(INFER_PRIORITY) + 1
    for tree in trees:
        for p in paths_of(tree):
            if p.get("Context"):
                c = p["Context"][0].value
                r = INFER_PRIORITY.index(c) if c in INFER_PRIORITY else len(INFER_PRIORITY)
                if not best or r < rank:
                    best, rank = c, r
    return best


def semantics(text: str, tree: dict[str, Any], parser: Parser, *, prepend: bool = False) -> Problem | None:
    """The first problem the collector's OTTL parser finds in a syntactically valid statement or condition.

    `prepend`: the group names its context, so paths without a context name get it (the collector
    rewrites the text before parsing it).
    """
    return _Sem(text, parser, prepend).run(tree)


class _Sem:
    def __init__(self, text: str, parser: Parser, prepend: bool) -> None:
        self.text = text
        self.prepend = prepend
        self.parser = parser
        self.ctx: dict[str, Any] = tables()["contexts"].get(parser.context) or {}
        self.args: dict[str, Any] = tables()["arguments"]
        self.locals: list[set[str]] = []

    def run(self, tree: dict[str, Any]) -> Problem | None:
        try:
            if tree["_"] == "ParsedStatement":
                self.call(tree["Editor"][0])
                for w in tree.get("WhereClause", ()):
                    self.node(w)
            else:
                self.node(tree)
        except _Found as found:
            return found.problem
        return None

    def fail(self, message: str, node: Any) -> None:
        raise _Found(Problem(message, _at(node)))

    def call(self, call: dict[str, Any]) -> None:
        name = _fname(call)
        if name not in self.parser.functions:
            self.fail(f'undefined function "{name}"', call)
        args = call.get("Arguments", [])
        spec = self.args.get(name)
        if spec is not None:
            required = sum(1 for a in spec if not a["optional"])
            if len(args) < required or len(args) > len(spec):
                self.fail(
                    f'error while parsing arguments for call to "{name}": incorrect number of arguments. '
                    f"Expected: {len(spec)} Received: {len(args)}",
                    call,
                )
        named = False
        for i, arg in enumerate(args):
            if arg.get("Name"):
                named = True
            elif named:
                self.fail(
                    f'error while parsing arguments for call to "{name}": unnamed argument used after named argument',
                    arg,
                )
            is_function = spec is not None and i < len(spec) and spec[i]["function"] and not arg.get("Name")
            if arg.get("FunctionName") or (is_function and arg["Value"][0].get("Enum")):
                fn = (
                    "".join(t.value for t in arg["FunctionName"])
                    if arg.get("FunctionName")
                    else arg["Value"][0]["Enum"][0].value
                )
                if fn not in self.parser.functions:
                    self.fail(f'error while parsing arguments for call to "{name}": undefined function {fn}', arg)
                continue
            for v in arg.get("Value", ()):
                self.node(v)
        for k in call.get("Keys", ()):
            self.node(k)

    def node(self, n: dict[str, Any]) -> None:
        kind = n["_"]
        if kind in ("Editor", "Converter"):
            self.call(n)
            return
        if kind == "Path":
            self.path(n)
            return
        if kind == "Value" and n.get("Enum"):
            self.enum(n["Enum"][0])
            return
        if kind == "LambdaExpr":
            self.locals.append({t.value for t in n.get("Params", ()) if t.value != "_"})
            try:
                for b in n.get("Body", ()):
                    self.node(b)
            finally:
                self.locals.pop()
            return
        for key, values in n.items():
            if key == "_":
                continue
            for v in values:
                if isinstance(v, dict):
                    self.node(v)

    def enum(self, tok: g.Token) -> None:
        enums = self.ctx.get("enums") or []
        if tok.value not in enums:
            if self.parser.context in ("resource", "scope"):
                msg = f"{self.parser.context} context does not provide Enum support"
            else:
                msg = f"enum symbol, {tok.value}, not found"
            raise _Found(Problem(msg, tok.offset))

    def path(self, p: dict[str, Any]) -> None:
        fields = [f["Name"][0].value for f in p["Fields"]]
        context = p["Context"][0].value if p.get("Context") else ""
        first = context or fields[0]
        if any(first in scope for scope in self.locals):
            return
        for f in p["Fields"]:
            for k in f.get("Keys", ()):
                self.node(k)
        full = _path_text(self.text, p)
        parsers: dict[str, list[str]] = self.ctx.get("paths") or {}
        own = self.parser.context
        if self.parser.names:
            context, segments = self._named_context(context, fields, full, p)
        else:
            segments = ([context] if context else []) + fields
            context = ""
        if not context:
            if segments[0] in parsers:
                context, segments = segments[0], segments[1:]
                if not segments:
                    self._unknown(context, full, own, p)
            else:
                context = own
        if segments[0] == "cache":
            if context != own:
                self.fail(f'access to cache must be performed using the same context, please replace "{full}"', p)
            return
        allowed = parsers.get(context)
        if allowed is None:
            self._unknown(context, full, own, p)
        elif segments[0] not in allowed:
            self._unknown(segments[0], full, context, p)

    def _named_context(self, context: str, fields: list[str], full: str, p: dict[str, Any]) -> tuple[str, list[str]]:
        """(context, the path's segments) for a parser that requires context names (`span.name`)."""
        names = self.ctx.get("path_context_names") or []
        if self.prepend and (not context or context not in names):
            fields = ([context] if context else []) + fields
            context = self.parser.context
        if not context:
            options = ", ".join(f'"{c}.{full}"' for c in names)
            self.fail(f'missing context name for path "{full}", possibly valid options are: {options}', p)
        if context not in names:
            options = ", ".join(f'"{c}"' for c in names)
            self.fail(
                f'context "{context}" from path "{full}" is not valid, it must be replaced by one of: {options}', p
            )
        return context, fields

    def _unknown(self, segment: str, full: str, context: str, p: dict[str, Any]) -> None:
        docs = tables()["contexts"].get("scope" if context == "instrumentation_scope" else context) or self.ctx
        self.fail(
            f'segment "{segment}" from path "{full}" is not a valid path nor a valid OTTL keyword for the '
            f"{context} context - review {docs.get('doc', '')} to see all valid paths",
            p,
        )


class _Found(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem
