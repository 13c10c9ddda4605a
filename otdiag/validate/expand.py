"""`${...}` expansion as the collector's confmap resolver does it, on the located node tree.

- `${env:VAR}`, `${VAR}` (env is the default scheme), `${env:VAR:-default}`;
- a value that is one whole reference is parsed as YAML (`4317` becomes a number, but a string
  setting keeps the text); a reference inside a longer string is replaced by its text;
- references are expanded again until nothing changes (at most 1000 rounds);
- `$$` stands for one `$`; a bare `$VAR` is not expanded (kept literally);
- an unset variable is not an error: the value is empty.

Bounded: one value expands to at most MAX_VALUE characters and the whole file to MAX_TOTAL (a file that
names itself twice would double a string a thousand times); what `${file:}` and secret-named `${env:}`
give is remembered as a secret (redact), so it is shown only in its own place, never in another output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otdiag import catalogue_config as kinds
from otdiag import redact
from otdiag.catalogue import Kind
from otdiag.validate.yamlsrc import Node, resolve_plain

_SCHEME = re.compile(r"(?s:^([A-Za-z][A-Za-z0-9+.-]+):(.*)$)")
_ENV_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_BARE = re.compile(r"(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")
MAX_VALUE = 1024 * 1024
"""Characters one value may expand to."""
MAX_TOTAL = 16 * 1024 * 1024
"""Characters all the references of one file may read, together."""


class Unresolved:
    """A value only a provider otdiag does not run could give (http:, https:)."""

    def __repr__(self) -> str:
        return "<unresolved>"


UNRESOLVED = Unresolved()


@dataclass(slots=True)
class Problem:
    kind: Kind
    message: str
    node: Node


@dataclass(slots=True)
class Reference:
    """One ${...} seen in the file, for the warnings (unset variables, no default)."""

    node: Node
    scheme: str
    name: str
    has_default: bool


@dataclass
class Expansion:
    problems: list[Problem] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    bare_vars: list[tuple[Node, str]] = field(default_factory=list)


class _Error(Exception):
    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _find_uri(text: str) -> str:
    """The innermost `${...}` that is not escaped by `$$`, or '' (confmap's findURI)."""
    while True:
        close = text.find("}")
        if close < 0:
            return ""
        open_ = text.rfind("${", 0, close + 1)
        if open_ < 0:
            text = text[close + 1 :]
            if "}" not in text:
                return ""
            continue
        count = 0
        i = open_ - 1
        while i >= 0 and text[i] == "$":
            count += 1
            i -= 1
        if count % 2 == 1:
            return ""
        return text[open_ : close + 1]


class Expander:
    def __init__(self, environ: Mapping[str, str], base_dir: Path | None, out: Expansion) -> None:
        self.environ = environ
        self.base_dir = base_dir
        self.out = out
        self.read = 0

    def retrieve(self, uri: str, node: Node) -> tuple[str, Any]:
        """(text, YAML value) that the reference stands for."""
        body = uri[2:-1]
        if ":" not in body:
            body = "env:" + body
        m = _SCHEME.match(body)
        if not m:
            raise _Error(kinds.ENV_UNKNOWN_SCHEME, f"invalid uri: {body!r}".replace("'", '"'))
        scheme, opaque = m.group(1), m.group(2)
        if "$" in opaque:
            raise _Error(kinds.ENV_UNKNOWN_SCHEME, f"the uri \"{body}\" contains unsupported characters ('$')")
        if scheme == "env":
            name, sep, default = opaque.partition(":-")
            if not _ENV_NAME.match(name):
                raise _Error(
                    kinds.ENV_INVALID_NAME,
                    f'environment variable "{name}" has invalid name: must match regex ^[a-zA-Z_][a-zA-Z0-9_]*$',
                )
            self.out.references.append(Reference(node, scheme, name, bool(sep)))
            value = self.environ.get(name)
            if value is None:
                value = default if sep else ""
            elif redact.secret_name(name):
                redact.remember(value)
            return self._counted(value), _yaml_value(value)
        if scheme == "file":
            path = Path(opaque)
            if self.base_dir is not None and not path.is_absolute():
                path = Path.cwd() / path
            from otdiag import bounded

            try:
                text = bounded.read_bytes(str(path), max_bytes=1_000_000, timeout=5.0).decode("utf-8", "replace")
            except bounded.ReadError as exc:
                raise _Error(kinds.ENV_UNKNOWN_SCHEME, f"unable to read the file {opaque}: it {exc}") from None
            redact.remember_file(text)
            return self._counted(text), _yaml_value(text)
        if scheme == "yaml":
            return opaque, _yaml_value(opaque)
        if scheme in ("http", "https"):
            return "", UNRESOLVED
        raise _Error(kinds.ENV_UNKNOWN_SCHEME, f'scheme "{scheme}" is not supported for uri "{body}"')

    def _counted(self, text: str) -> str:
        self.read += len(text)
        if self.read > MAX_TOTAL:
            raise _Error(
                kinds.ENV_UNKNOWN_SCHEME,
                f"the references of this file expand to more than {MAX_TOTAL // 1048576} MiB; expansion stopped",
            )
        return text

    def expand_scalar(self, node: Node) -> None:
        text = node.value
        if not isinstance(text, str):
            return
        for m in _BARE.finditer(text):
            self.out.bare_vars.append((node, m.group(1)))
        if "${" not in text or "}" not in text:
            if "$$" in text:
                node.value = text.replace("$$", "$")
            return
        value: Any = text
        try:
            for _ in range(1000):
                if not isinstance(value, str):
                    break
                uri = _find_uri(value)
                if not uri:
                    break
                raw, parsed = self.retrieve(uri, node)
                if uri == value:
                    node.expanded = True
                    node.expanded_text = raw
                    value = raw if isinstance(parsed, str) else parsed
                    if value is UNRESOLVED:
                        break
                else:
                    if isinstance(parsed, dict | list):
                        raise _Error(
                            kinds.ENV_NOT_SCALAR,
                            f"expanding {uri}: retrieved value does not have unambiguous string representation",
                        )
                    value = value.replace(uri, raw)
                _check_size(value, uri)
            else:
                raise _Error(kinds.ENV_UNKNOWN_SCHEME, "too many recursive expansions")
        except _Error as exc:
            self.out.problems.append(Problem(exc.kind, exc.message, node))
            return
        if isinstance(value, str):
            value = value.replace("$$", "$")
        if isinstance(value, dict | list):
            built = from_python(value, node.line, node.column)
            node.kind, node.items, node.children, node.index = (
                built.kind,
                built.items,
                built.children,
                built.index,
            )
            node.value = None
            return
        node.value = value


def _check_size(value: Any, uri: str) -> None:
    if isinstance(value, str) and len(value) > MAX_VALUE:
        raise _Error(
            kinds.ENV_UNKNOWN_SCHEME,
            f"expanding {uri[:80]}: the value grows past {MAX_VALUE // 1048576} MiB; expansion stopped",
        )


def _yaml_value(text: str) -> Any:
    """A provider's text as the collector reads it: YAML when it parses, else the text itself."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[0] in "{[" or ("\n" in stripped and ":" in stripped):
        try:
            import yaml

            return yaml.safe_load(stripped)
        except Exception:  # noqa: BLE001 - "assuming string type since contents are not valid YAML"
            return text
    if stripped.startswith(("'", '"')):
        return stripped[1:-1] if len(stripped) > 1 and stripped[-1] == stripped[0] else text
    value = resolve_plain(stripped)
    return text if isinstance(value, str) else value


def from_python(value: Any, line: int, column: int) -> Node:
    if isinstance(value, dict):
        n = Node("map", line, column)
        for k, v in value.items():
            key = Node("scalar", line, column, value=str(k), text=str(k))
            n.index[key.value] = len(n.items)
            n.items.append((key, from_python(v, line, column)))
        return n
    if isinstance(value, list):
        return Node("seq", line, column, children=[from_python(v, line, column) for v in value])
    return Node("scalar", line, column, value=value, text=str(value), expanded=True)


def expand(root: Node, environ: Mapping[str, str], base_dir: Path | None = None) -> Expansion:
    """Expand every scalar value in place (map keys are left alone, as confmap leaves them)."""
    out = Expansion()
    ex = Expander(environ, base_dir, out)
    seen: set[int] = set()
    todo = [root]
    visit: Callable[[Node], None] = ex.expand_scalar
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if n.kind == "scalar":
            visit(n)
        elif n.kind == "map":
            todo.extend(v for _, v in reversed(n.items))
        else:
            todo.extend(reversed(n.children))
    return out
