"""OTTL's grammar, parsed the way the collector's parser library (participle v2) parses it.

The collector builds its OTTL parser from struct tags (pkg/ottl/grammar.go) with participle and
infinite lookahead. This module re-implements that parsing algorithm for that one grammar, in
Python, so that a statement or condition fails here exactly where, and with the words, it fails
in the collector: a branch that makes no progress is "no match", a branch that stops part way is
an error, the deepest error wins, and a sequence that stops part way names what it expected
next ("unexpected token "where" (expected ")" Key*)").

Results are plain dicts (a struct's captured fields, by Go field name), lists and strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# --- lexer (grammar.go buildLexer; order matters, the first rule that matches wins) -----------------
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.ASCII))
    for name, pattern in (
        ("Bytes", r"0x[a-fA-F0-9]+"),
        ("Float", r"(?:[0-9]+\.[0-9]*|[0-9]*\.[0-9]+)(?:[eE][-+]?[0-9]+)?"),
        ("Int", r"[0-9]+"),
        ("String", r'"(?:\\.|[^\\"])*"'),
        # A leading \b always holds at the start of the remaining text (Go matches on the slice).
        ("Nil", r"nil\b"),
        ("OpNot", r"not\b"),
        ("OpOr", r"or\b"),
        ("OpAnd", r"and\b"),
        ("OpComparison", r"==|!=|>=|<=|>|<"),
        ("LambdaArrow", r"=>"),
        ("OpAddSub", r"\+|\-"),
        ("OpMultDiv", r"/|\*"),
        ("Boolean", r"(?:true|false)\b"),
        ("Equal", r"="),
        ("LParen", r"\("),
        ("RParen", r"\)"),
        ("LBrace", r"\{"),
        ("RBrace", r"\}"),
        ("Colon", r":"),
        ("Punct", r"[,.\[\]]"),
        ("Uppercase", r"[A-Z][A-Z0-9_]*"),
        ("Lowercase", r"[a-z][a-z0-9_]*"),
        ("whitespace", r"[\t\n\f\r ]+"),
        ("Underscore", r"_\b"),
    )
]
_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {}


def _rules_for(ch: str) -> list[tuple[str, re.Pattern[str]]]:
    got = _FIRST.get(ch)
    if got is None:
        got = [(n, p) for n, p in _RULES if p.match(ch + "\x00\x00") or _could_start(n, ch)]
        _FIRST[ch] = got
    return got


def _could_start(name: str, ch: str) -> bool:
    # Rules whose match needs more than one character to start (0x.., ==, =>, ...).
    starts = {
        "Bytes": "0",
        "Float": "0123456789.",
        "String": '"',
        "Nil": "n",
        "OpNot": "n",
        "OpOr": "o",
        "OpAnd": "a",
        "OpComparison": "=!<>",
        "LambdaArrow": "=",
        "Boolean": "tf",
        "Underscore": "_",
    }
    return ch in starts.get(name, "")


@dataclass(slots=True)
class Token:
    type: str
    value: str
    line: int
    column: int
    offset: int
    """Offset of the token's first character in the source text."""

    def shown(self) -> str:
        return "<EOF>" if self.type == "EOF" else self.value


class SyntaxProblem(Exception):
    """A lexer or parser error: `line:column: message`, positions 1-based within the OTTL text."""

    def __init__(self, message: str, line: int, column: int, offset: int) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset


def go_quote(s: str) -> str:
    """Go's %q (strconv.Quote) for the usual characters."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\v":
            out.append("\\v")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif not ch.isprintable() and o > 0x7F:
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_OCT = "01234567"
_HEX = "0123456789abcdefABCDEF"
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


def _unquote(raw: str) -> str | None:
    """The value of a double-quoted OTTL string, as Go's strconv.UnquoteChar reads it; None if invalid."""
    s = raw[1:-1]
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= n:
            return None
        e = s[i + 1]
        if e in _SIMPLE:
            out.append(_SIMPLE[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = s[i + 2 : i + 2 + width]
            if len(digits) != width or any(d not in _HEX for d in digits):
                return None
            v = int(digits, 16)
            if e != "x" and (v > 0x10FFFF or 0xD800 <= v <= 0xDFFF):
                return None
            out.append(chr(v))
            i += 2 + width
        elif e in _OCT:
            digits = s[i + 1 : i + 4]
            if len(digits) != 3 or any(d not in _OCT for d in digits) or int(digits, 8) > 255:
                return None
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            return None
    return "".join(out)


def lex(text: str) -> list[Token]:
    """The tokens of `text` (whitespace dropped), ending with an EOF token."""
    toks: list[Token] = []
    pos, line, col, n = 0, 1, 1, len(text)
    while pos < n:
        m = None
        name = ""
        for rule, pat in _rules_for(text[pos]):
            m = pat.match(text, pos)
            if m is not None:
                name = rule
                break
        if m is None or m.end() == pos:
            sample = text[pos : pos + 16] + ("..." if n - pos > 16 else "")
            raise SyntaxProblem(f"lexer: invalid input text {go_quote(sample)}", line, col, pos)
        span = m.group(0)
        if name != "whitespace":
            value = span
            if name == "String":
                unq = _unquote(span)
                if unq is None:
                    raise SyntaxProblem(f"invalid quoted string {go_quote(span)}: invalid syntax", line, col, pos)
                value = unq
            toks.append(Token(name, value, line, col, pos))
        nl = span.count("\n")
        if nl:
            line += nl
            col = len(span) - span.rfind("\n")
        else:
            col += len(span)
        pos = m.end()
    toks.append(Token("EOF", "", line, col, n))
    return toks


# --- parse errors -------------------------------------------------------------------------------------
class _Err:
    __slots__ = ("expect", "token")

    def __init__(self, token: Token, expect: Node | None = None) -> None:
        self.token = token
        self.expect = expect

    def problem(self) -> SyntaxProblem:
        msg = f"unexpected token {go_quote(self.token.shown())}"
        if self.expect is not None:
            msg += f" (expected {ebnf(self.expect, True)})"
        return SyntaxProblem(msg, self.token.line, self.token.column, self.token.offset)


class _Fixed(_Err):
    """An error with its own message (a value that cannot be captured, e.g. an odd-length 0x...)."""

    __slots__ = ("message",)

    def __init__(self, token: Token, message: str) -> None:
        super().__init__(token)
        self.message = message

    def problem(self) -> SyntaxProblem:
        return SyntaxProblem(self.message, self.token.line, self.token.column, self.token.offset)


class _Ctx:
    __slots__ = ("cur", "ddepth", "derr", "toks")

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.cur = 0
        self.derr: _Err | None = None
        self.ddepth = 0

    def branch(self) -> _Ctx:
        b = _Ctx.__new__(_Ctx)
        b.toks, b.cur, b.derr, b.ddepth = self.toks, self.cur, self.derr, self.ddepth
        return b

    def accept(self, b: _Ctx) -> None:
        self.cur = b.cur
        if b.ddepth >= self.ddepth:
            self.ddepth, self.derr = b.ddepth, b.derr

    def maybe_update(self, err: _Err) -> None:
        if self.cur >= self.ddepth:
            self.derr, self.ddepth = err, self.cur

    def stop(self, err: _Err, b: _Ctx) -> None:
        # With the collector's (practically infinite) lookahead, only the deepest error is tracked.
        if b.ddepth > self.ddepth:
            self.derr, self.ddepth = b.derr, b.ddepth
        elif b.cur >= self.ddepth:
            self.derr, self.ddepth = err, max(b.cur, b.ddepth)

    def peek(self) -> Token:
        return self.toks[self.cur]


Out = tuple[list[Any] | None, _Err | None]


class Node:
    def parse(self, ctx: _Ctx) -> Out:
        raise NotImplementedError


class Ref(Node):
    """A token of one type (`@Lowercase`, `OpOr`)."""

    def __init__(self, typ: str) -> None:
        self.typ = typ

    def parse(self, ctx: _Ctx) -> Out:
        t = ctx.toks[ctx.cur]
        if t.type != self.typ:
            return None, None
        ctx.cur += 1
        return [t], None


class Lit(Node):
    """A token with this text, of any type (`'('`, `'where'`)."""

    def __init__(self, s: str) -> None:
        self.s = s

    def parse(self, ctx: _Ctx) -> Out:
        t = ctx.toks[ctx.cur]
        if t.type == "EOF" or t.value != self.s:
            return None, None
        ctx.cur += 1
        return [t], None


class Cap(Node):
    """`@...`: what the inner node matched goes into the struct's field."""

    def __init__(self, field: str, node: Node) -> None:
        self.field = field
        self.node = node

    def parse(self, ctx: _Ctx) -> Out:
        v, err = self.node.parse(ctx)
        if err is not None:
            return [], err
        if v is None:
            return None, None
        return [(self.field, v)], None


class Struct(Node):
    def __init__(self, name: str) -> None:
        self.name = name
        self.expr: Node = Node()

    def parse(self, ctx: _Ctx) -> Out:
        out, err = self.expr.parse(ctx)
        if err is not None:
            ctx.maybe_update(err)
            return [], err
        if out is None:
            return None, None
        sv: dict[str, Any] = {"_": self.name}
        for item in out:
            if isinstance(item, tuple):
                sv.setdefault(item[0], []).extend(item[1])
        bad = _capture_error(self.name, sv)
        if bad is not None:
            return [sv], bad
        return [sv], None


ONCE, OPT, STAR = 0, 1, 2


class Group(Node):
    def __init__(self, expr: Node, mode: int = ONCE) -> None:
        self.expr = expr
        self.mode = mode

    def parse(self, ctx: _Ctx) -> Out:
        if self.mode == ONCE:
            return self.expr.parse(ctx)
        limit = 1 if self.mode == OPT else 1_000_000
        out: list[Any] | None = None
        for _ in range(limit):
            b = ctx.branch()
            v, err = self.expr.parse(b)
            if err is not None:
                ctx.maybe_update(err)
                ctx.stop(err, b)
                break
            if v is not None:
                out = (out or []) + v
            ctx.accept(b)
            if v is None:
                break
        return (out if out is not None else []), None


class Look(Node):
    """`(?! ...)`: a negative lookahead."""

    def __init__(self, expr: Node) -> None:
        self.expr = expr

    def parse(self, ctx: _Ctx) -> Out:
        b = ctx.branch()
        out, err = self.expr.parse(b)
        if err is None and out is not None:
            return None, _Err(ctx.peek())
        return [], None


class Disj(Node):
    def __init__(self, *nodes: Node) -> None:
        self.nodes = nodes

    def parse(self, ctx: _Ctx) -> Out:
        deepest = 0
        first: _Err | None = None
        first_v: list[Any] | None = None
        for a in self.nodes:
            b = ctx.branch()
            v, err = a.parse(b)
            if err is not None:
                ctx.stop(err, b)
                if b.cur >= deepest:
                    first, first_v, deepest = err, v, b.cur
            elif v is not None:
                ctx.accept(b)
                return v, None
        if first is not None:
            ctx.maybe_update(first)
            return first_v, first
        return None, None


class Seq(Node):
    def __init__(self, *nodes: Node) -> None:
        self.nodes = nodes

    def parse(self, ctx: _Ctx) -> Out:
        out: list[Any] = []
        for i, n in enumerate(self.nodes):
            child, err = n.parse(ctx)
            if child:
                out.extend(child)
            if err is not None:
                return out, err
            if child is None:
                if i == 0:
                    return None, None
                return out, _Err(ctx.peek(), Seq(*self.nodes[i:]) if i + 1 < len(self.nodes) else self.nodes[i])
        return out, None


def ebnf(n: Node, root: bool = False) -> str:
    """How participle names a grammar node in "(expected ...)"."""
    if isinstance(n, Disj):
        inner = " | ".join(ebnf(x) for x in n.nodes)
        return inner if root else f"({inner})"
    if isinstance(n, Struct):
        return n.name
    if isinstance(n, Seq):
        inner = " ".join(ebnf(x) for x in n.nodes)
        return inner if root or len(n.nodes) == 1 else f"({inner})"
    if isinstance(n, Cap):
        return ebnf(n.node)
    if isinstance(n, Ref):
        return f"<{n.typ.lower()}>"
    if isinstance(n, Lit):
        return go_quote(n.s)
    if isinstance(n, Group):
        e = n.expr
        if isinstance(e, Group) and e.mode == ONCE:
            text = ebnf(e.expr)
        elif isinstance(e, Cap) and isinstance(e.node, Group) and e.node.mode == ONCE:
            text = ebnf(e.node.expr)
        else:
            text = ebnf(e)
        return text + {ONCE: "", OPT: "?", STAR: "*"}[n.mode]
    if isinstance(n, Look):
        return f"(?! {ebnf(n.expr, True)})"
    return "?"


def _go_int_error(text: str) -> str | None:
    """strconv.ParseInt(text, 0, 64)'s complaint about a decimal token, if any."""
    if len(text) > 1 and text[0] == "0":
        if any(c not in _OCT for c in text[1:]):
            return f'strconv.ParseInt: parsing "{text}": invalid syntax'
        value = int(text, 8)
    else:
        value = int(text)
    if value > 2**63 - 1:
        return f'strconv.ParseInt: parsing "{text}": value out of range'
    return None


def _capture_error(name: str, sv: dict[str, Any]) -> _Err | None:
    """Errors participle raises while storing a matched value into its Go field."""
    if name == "Value" and "Bytes" in sv:
        tok: Token = sv["Bytes"][0]
        if len(tok.value) % 2:
            return _Fixed(tok, "failed to capture: encoding/hex: odd length hex string")
    if name in ("MathExprLiteral", "Key") and "Int" in sv:
        tok = sv["Int"][0]
        bad = _go_int_error(tok.value)
        if bad:
            return _Fixed(tok, f"failed to conform: {bad}")
    return None


# --- the grammar (pkg/ottl/grammar.go) ----------------------------------------------------------------
def _s(name: str) -> Struct:
    return Struct(name)


STATEMENT, BOOL_EXPR, TERM, BOOL_VALUE, COMPARISON, CONST_EXPR = (
    _s("ParsedStatement"),
    _s("BooleanExpression"),
    _s("Term"),
    _s("BooleanValue"),
    _s("Comparison"),
    _s("ConstExpr"),
)
OP_AND, OP_OR, EDITOR, CONVERTER, LAMBDA, LAMBDA_BODY = (
    _s("OpAndBooleanValue"),
    _s("OpOrTerm"),
    _s("Editor"),
    _s("Converter"),
    _s("LambdaExpr"),
    _s("LambdaBody"),
)
ARGUMENT, VALUE, PATH, FIELD, KEY, LIST, MAP, MAP_ITEM = (
    _s("Argument"),
    _s("Value"),
    _s("Path"),
    _s("Field"),
    _s("Key"),
    _s("List"),
    _s("MapValue"),
    _s("MapItem"),
)
LITERAL, MATH_VALUE, OP_MULT_DIV, ADD_SUB_TERM, OP_ADD_SUB, MATH_EXPR = (
    _s("MathExprLiteral"),
    _s("MathValue"),
    _s("OpMultDivValue"),
    _s("AddSubTerm"),
    _s("OpAddSubTerm"),
    _s("MathExpression"),
)


def _name(first: str) -> Group:
    return Group(Seq(Ref(first), Group(Group(Disj(Ref("Uppercase"), Ref("Lowercase"))), STAR)))


def _call(struct: Struct, first: str) -> None:
    struct.expr = Seq(
        Cap("Function", _name(first)),
        Lit("("),
        Group(
            Group(Seq(Cap("Arguments", ARGUMENT), Group(Group(Seq(Lit(","), Cap("Arguments", ARGUMENT))), STAR))), OPT
        ),
        Lit(")"),
        Group(Group(Cap("Keys", KEY)), STAR),
    )


STATEMENT.expr = Seq(
    Group(Disj(Cap("Editor", EDITOR), Cap("Converter", CONVERTER))),
    Group(Group(Seq(Lit("where"), Cap("WhereClause", BOOL_EXPR))), OPT),
)
CONST_EXPR.expr = Group(Disj(Cap("Boolean", Ref("Boolean")), Cap("Converter", CONVERTER)))
BOOL_VALUE.expr = Seq(
    Group(Cap("Negation", Ref("OpNot")), OPT),
    Group(
        Disj(
            Cap("Comparison", COMPARISON),
            Cap("ConstExpr", CONST_EXPR),
            Seq(Lit("("), Cap("SubExpr", BOOL_EXPR), Lit(")")),
        )
    ),
)
OP_AND.expr = Seq(Cap("Operator", Ref("OpAnd")), Cap("Value", BOOL_VALUE))
TERM.expr = Seq(Cap("Left", BOOL_VALUE), Group(Cap("Right", OP_AND), STAR))
OP_OR.expr = Seq(Cap("Operator", Ref("OpOr")), Cap("Term", TERM))
BOOL_EXPR.expr = Seq(Cap("Left", TERM), Group(Cap("Right", OP_OR), STAR))
COMPARISON.expr = Seq(Cap("Left", VALUE), Cap("Op", Ref("OpComparison")), Cap("Right", VALUE))
_call(EDITOR, "Lowercase")
_call(CONVERTER, "Uppercase")
_PARAM = Group(Disj(Cap("Params", Ref("Lowercase")), Cap("Params", Ref("Underscore"))))
LAMBDA.expr = Seq(
    Lit("("),
    Group(Group(Seq(_PARAM, Group(Group(Seq(Lit(","), _PARAM)), STAR))), OPT),
    Lit(")"),
    Ref("LambdaArrow"),
    Cap("Body", LAMBDA_BODY),
)
LAMBDA_BODY.expr = Group(
    Disj(
        Seq(Cap("Value", VALUE), Look(Disj(Ref("OpOr"), Ref("OpAnd"), Ref("OpComparison")))),
        Cap("Expr", BOOL_EXPR),
    )
)
ARGUMENT.expr = Seq(
    Group(Group(Seq(Cap("Name", _name("Lowercase")), Ref("Equal"))), OPT),
    Group(Disj(Cap("Value", VALUE), Cap("FunctionName", _name("Uppercase")))),
)
VALUE.expr = Group(
    Disj(
        Cap("IsNil", Ref("Nil")),
        Seq(Cap("Literal", LITERAL), Look(Disj(Ref("OpAddSub"), Ref("OpMultDiv")))),
        Cap("Lambda", LAMBDA),
        Cap("MathExpression", MATH_EXPR),
        Cap("Bytes", Ref("Bytes")),
        Cap("String", Ref("String")),
        Cap("Bool", Ref("Boolean")),
        Seq(Cap("Enum", Ref("Uppercase")), Look(Ref("Lowercase"))),
        Cap("Map", MAP),
        Cap("List", LIST),
    )
)
PATH.expr = Seq(
    Group(Group(Seq(Cap("Context", Ref("Lowercase")), Lit("."))), OPT),
    Cap("Fields", FIELD),
    Group(Group(Seq(Lit("."), Cap("Fields", FIELD))), STAR),
)
FIELD.expr = Seq(Cap("Name", Ref("Lowercase")), Group(Group(Cap("Keys", KEY)), STAR))
KEY.expr = Seq(
    Lit("["),
    Group(
        Disj(
            Cap("String", Ref("String")),
            Cap("Int", Ref("Int")),
            Cap("MathExpression", MATH_EXPR),
            Cap("Expression", LITERAL),
        )
    ),
    Lit("]"),
)
LIST.expr = Seq(
    Lit("["),
    Group(Group(Cap("Values", VALUE)), STAR),
    Group(Group(Seq(Lit(","), Cap("Values", VALUE))), STAR),
    Lit("]"),
)
MAP.expr = Seq(Lit("{"), Group(Group(Seq(Cap("Values", MAP_ITEM), Group(Lit(","), OPT))), STAR), Lit("}"))
MAP_ITEM.expr = Seq(Cap("Key", Ref("String")), Lit(":"), Cap("Value", VALUE))
LITERAL.expr = Group(
    Disj(
        Cap("Editor", EDITOR),
        Cap("Converter", CONVERTER),
        Cap("Float", Ref("Float")),
        Cap("Int", Ref("Int")),
        Cap("Path", PATH),
    )
)
MATH_VALUE.expr = Seq(
    Group(Cap("UnaryOp", Ref("OpAddSub")), OPT),
    Group(Disj(Cap("Literal", LITERAL), Seq(Lit("("), Cap("SubExpression", MATH_EXPR), Lit(")")))),
)
OP_MULT_DIV.expr = Seq(Cap("Operator", Ref("OpMultDiv")), Cap("Value", MATH_VALUE))
ADD_SUB_TERM.expr = Seq(Cap("Left", MATH_VALUE), Group(Cap("Right", OP_MULT_DIV), STAR))
OP_ADD_SUB.expr = Seq(Cap("Operator", Ref("OpAddSub")), Cap("Term", ADD_SUB_TERM))
MATH_EXPR.expr = Seq(Cap("Left", ADD_SUB_TERM), Group(Cap("Right", OP_ADD_SUB), STAR))


def parse(text: str, root: Struct) -> dict[str, Any]:
    """Parse `text` as `root` (STATEMENT or BOOL_EXPR); raises SyntaxProblem as the collector would fail."""
    toks = lex(text)
    ctx = _Ctx(toks)
    out, err = root.parse(ctx)
    if err is not None:
        raise err.problem()
    if out is None:
        raise _deepest(ctx, _Err(ctx.peek())).problem()
    if toks[ctx.cur].type != "EOF":
        raise _deepest(ctx, _Err(ctx.peek())).problem()
    result: dict[str, Any] = out[0]
    return result


def _deepest(ctx: _Ctx, err: _Err) -> _Err:
    if ctx.cur >= ctx.ddepth:
        return err
    return ctx.derr or err
