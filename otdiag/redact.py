"""Keep secrets out of every output: headers, tokens, passwords in URLs."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"

# Header names whose values are never secret and help diagnosis.
_SAFE_HEADERS = frozenset(
    {"content-type", "content-encoding", "accept", "user-agent", "x-scope-orgid", "x-tenant", "tenant"}
)
_SECRET_QUERY = re.compile(r"(token|key|secret|password|passwd|pwd|auth|signature|sig)", re.IGNORECASE)


def header_value(name: str, value: str) -> str:
    """A header value as it may be shown: everything but a short allow-list is redacted."""
    return value if name.strip().lower() in _SAFE_HEADERS else REDACTED


def headers(items: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    pairs = items.items() if isinstance(items, Mapping) else items
    return {k: header_value(k, v) for k, v in pairs}


def url(text: str) -> str:
    """A URL with any password and secret-looking query values replaced."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return scrub(text)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{hostport}" if ":" in userinfo else f"{REDACTED}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_QUERY.search(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if _SECRET_QUERY.search(k) else v) for k, v in pairs], safe="<>")
    return scrub(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


class Scrubber:
    """Removes known secret values from free text (error messages, server replies)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return scrub(text)

    def with_headers(self, items: Mapping[str, str]) -> Scrubber:
        extra: list[str] = []
        for name, value in items.items():
            if header_value(name, value) == REDACTED:
                extra.append(value)
                # "Bearer abc" leaks "abc" when a server echoes only the token.
                extra.extend(part for part in value.split() if len(part) >= 6)
        return Scrubber([*self._secrets, *extra])


# --- the one scrubber for everything that leaves otdiag ----------------------------------------------


class Secrets:
    """The secret values met in one run (passwords in URLs, header values), removed from every output,
    and the cache of short strings already scrubbed with them (span names and attribute keys repeat)."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.cache: dict[str, str] = {}

    def learn(self, values: Iterable[str]) -> None:
        self.cache.clear()
        self.known.update(values)


_secrets = Secrets()
"""The run's secrets: one per process, replaced only by `isolated` (tests)."""


@contextmanager
def isolated() -> Iterator[Secrets]:
    """A fresh set of known secrets until the block ends, then the previous one again (for tests)."""
    global _secrets  # noqa: PLW0603 - the one place the run's secrets are swapped
    saved, _secrets = _secrets, Secrets()
    try:
        yield _secrets
    finally:
        _secrets = saved


_SCHEME_USERINFO = re.compile(r"(?i)(?<![a-z0-9+.\-])\b([a-z][a-z0-9+.\-]*+://)([^\s\"'`@/]*+)@")
"""`scheme://userinfo@`. A scheme starts only where a run of scheme characters starts, and the userinfo
stops at `/` (a path is no userinfo), so every start position scans a disjoint run: linear time."""
_BARE_USERINFO = re.compile(
    r"(?<![\w/@.:%+-])([\w.%+-]{1,64}):([^\s@/\"'`:]{1,256})@(?=[A-Za-z0-9\[][\w.\-:\[\]]*(?:[:/\s\"'`]|$))"
)
"""`user:password@host` without a scheme (a gRPC endpoint written host:port)."""
_QUERY_NAME = re.compile(r"([?&;#])([^=&#?;\s\"'`]*+)=")
"""The name of a query parameter (`?name=`, `&name=`, `;name=`, `#name=`). The name cannot hold a delimiter and
is scanned possessively, so the runs scanned from the start positions are disjoint: linear time on any text."""
_QUERY_VALUE = re.compile(r"[^&#\s\"'`]*+")
_QUERY_SECRET_NAME = re.compile(r"(?i)token|key|secret|password|passwd|pwd|auth|signature|sig|credential")
_URL_END = ":.,;)]"
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-api-key|api[-_]?key|apikey|x-auth-token|access[-_]?token|"
    r"auth[-_]?token|bearer[-_]?token|client[-_]?secret|password|passwd|secret|cookie)"
    r"(\"?\s*[:=]\s*\"?)((?:basic|bearer|token|digest|negotiate|ntlm|apikey|dpop)\s+)?([^\s,;\"'&]+)"
)
_SCHEME_TOKEN = re.compile(r"(?i)(?<![\w-])(bearer|basic)([ \t]++)([A-Za-z0-9\-._~+/]++=*+)")
"""`Bearer <token>` / `Basic <base64>` anywhere (an argv word, a quoted header, an SDK error): the scheme word
starts a run that cannot start inside another, and the token is scanned possessively: linear time."""
_SCHEME_PROSE = frozenset(
    {"token", "tokens", "auth", "authentication", "authorization", "header", "headers", "scheme", "credentials",
     "and", "or", "is", "was", "the", "a", "an", "to", "in", "for", "with", "of", "not", "requires", "required"}
)  # fmt: skip
"""Words after "bearer"/"basic" in prose ("a Bearer token is missing", "basic auth"): not secrets."""
_PLACEHOLDER = re.compile(r"^(<[^>]*>|\$\{?[A-Za-z_][\w:.\-]*\}?|[A-Z][A-Z_]*|\.\.\.|…|\*+|\$|\{)$")
_MAYBE_SECRET = (
    "@", "token", "key", "secret", "pass", "pwd", "auth", "sig", "credential", "cookie", "bearer", "basic",
)  # fmt: skip
"""Whether text may hold a secret at all (substring tests: linear); a superset of what the patterns find."""


def remember(*values: str | None) -> None:
    """Treat these values as secrets for the rest of the run: no output will show them."""
    for v in values:
        if v is None:
            continue
        text = str(v)
        forms = {form for form in {text, text.strip(), unquote(text)} if len(form) >= 4}
        # "Bearer abc…" leaks "abc…" when a server echoes only the token.
        _secrets.learn([*forms, *(part for part in text.split() if len(part) >= 6)])


_SECRET_NAME_WORDS = frozenset(
    {
        "PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "KEY", "APIKEY", "CREDENTIAL",
        "CREDENTIALS", "CREDS", "PRIVATE", "AUTH", "AUTHORIZATION", "SESSION", "COOKIE", "DSN", "SIGNATURE", "BEARER",
        "SALT", "JWT", "OTP", "PIN",
    }
)  # fmt: skip
_SECRET_NAME_PARTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "API_KEY", "CREDENTIAL", "PRIVATE")
_NOT_SECRET_LAST = frozenset({"SOCK", "SOCKET", "FILE", "PATH", "DIR", "TYPE", "CLASS", "DESKTOP", "ADDRESS", "ID"})
_PATH_NAMES = ("OTEL_EXPORTER_OTLP_", "OTDIAG_")
"""OTEL_EXPORTER_OTLP_*_CLIENT_KEY and the like name files, not secrets."""


def secret_name(name: str) -> bool:
    """Whether an environment variable (or setting) named `name` holds a secret, as secret scanners judge
    names: a word PASSWORD, PWD, PASS, KEY, AUTH, SESSION, COOKIE, PRIVATE... (`MYSQL_PWD`, `DB_PASS`,
    `STRIPE_KEY`), or PASSWORD, SECRET, TOKEN, CREDENTIAL anywhere in it (`GITHUB_TOKEN`, `MYSECRET`)."""
    upper = name.upper()
    if upper.startswith(_PATH_NAMES) and not upper.endswith("HEADERS"):
        return False
    words = re.split(r"[^A-Z0-9]+", upper)
    if upper in ("PWD", "OLDPWD") or words[-1] in _NOT_SECRET_LAST or upper.startswith("XDG_SESSION"):
        return False  # the shell's directory, SSH_AUTH_SOCK, KEY_FILE, SESSION_TYPE: places and kinds
    if any(part in upper for part in _SECRET_NAME_PARTS):
        return True
    return any(word in _SECRET_NAME_WORDS for word in words)


def remember_file(text: str) -> None:
    """A file read into a config (`${file:…}`) as secrets: the file whole (never shown whole), and every
    `NAME=value` or `name: value` line of it whose name looks secret (/proc/self/environ, .env files)."""
    if len(text.strip()) >= 4 and ("\n" in text.strip() or "\0" in text):
        remember(text, text.strip())
    for line in re.split(r"[\0\n]", text[:MAX_REMEMBERED_FILE]):
        name, sep, value = line.partition("=")
        if not sep:
            name, sep, value = line.partition(":")
        if sep and value.strip() and secret_name(name.strip().removeprefix("export ")):
            remember(value.strip().strip("\"'"))


MAX_REMEMBERED_FILE = 1024 * 1024


def remember_url(text: str | None) -> None:
    """The password (or token-as-user) of a URL, and the Basic credentials built from it, are secrets."""
    if not text or "@" not in text:
        return
    if "://" not in text:
        text = "//" + text.strip()
    try:
        parts = urlsplit(text.strip())
        user, password = parts.username, parts.password
    except ValueError:
        user = password = None
    m = _SCHEME_USERINFO.search(text) or re.search(r"(?<!/)//([^\s@/]*+)@", text)
    raw = (m.group(2) if m.re is _SCHEME_USERINFO else m.group(1)) if m else ""
    raw_user, sep, raw_pw = raw.partition(":")
    if sep:
        remember(raw_pw, password)
        cred = f"{unquote(raw_user)}:{unquote(raw_pw)}"
        remember(base64.b64encode(cred.encode()).decode(), cred)
    elif raw:
        remember(raw_user, user)


def remember_headers(items: Mapping[str, str]) -> None:
    for name, value in items.items():
        if header_value(name, value) == REDACTED:
            remember(value)


def forget_all() -> None:
    """Start again with no known secrets (tests that cannot use `isolated`)."""
    _secrets.known.clear()
    _secrets.cache.clear()


def _userinfo(m: re.Match[str]) -> str:
    info = m.group(2)
    if not info or info in (REDACTED,) or info.endswith(":" + REDACTED):
        return m.group(0)
    user, sep, _ = info.partition(":")
    return f"{m.group(1)}{user}:{REDACTED}@" if sep else f"{m.group(1)}{REDACTED}@"


def _query_values(text: str) -> str:
    """`text` with the value of every secret-looking query parameter redacted, up to the next parameter or
    the end of the URL; punctuation that ends the URL in a sentence (`...?token=abc: refused`) is kept.
    One pass: a value is scanned once, and the search goes on after it."""
    out: list[str] = []
    pos = last = 0
    while (m := _QUERY_NAME.search(text, pos)) is not None:
        pos = m.end()
        if not _QUERY_SECRET_NAME.search(m.group(2)):
            continue  # the value may hold the next parameter (`?a=1;sig=…`): search on from the `=`
        v = _QUERY_VALUE.match(text, pos)
        value = v.group(0).rstrip(_URL_END) if v else ""
        if value:
            out += (text[last:pos], REDACTED)
            last = pos + len(value)
        pos = v.end() if v else pos
    return "".join(out) + text[last:] if out else text


def _assigned(m: re.Match[str]) -> str:
    value = m.group(4)
    if _PLACEHOLDER.match(value) or value == REDACTED or value.startswith(REDACTED):
        return m.group(0)
    return f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{REDACTED}"


def _scheme_token(m: re.Match[str]) -> str:
    token = m.group(3)
    if token.lower() in _SCHEME_PROSE or _PLACEHOLDER.match(token) or len(token) < 3:
        return m.group(0)
    if m.group(1).lower() == "basic" and not _basic_credentials(token):
        return m.group(0)  # "basic" in prose ("basic setup"): only base64 of user:password is a secret
    return f"{m.group(1)}{m.group(2)}{REDACTED}"


def _basic_credentials(token: str) -> bool:
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except ValueError:
        return False
    return b":" in decoded


def scrub(text: str) -> str:
    """`text` without any secret: known values, URL passwords, secret query values, credentials."""
    if not text:
        return text
    short = len(text) <= 256
    if short:
        cache = _secrets.cache
        hit = cache.get(text)
        if hit is not None:
            return hit
    out = _scrub(text)
    if short and len(cache) < 100_000:
        cache[text] = out
    return out


def _scrub(text: str) -> str:
    low = text.lower()
    if any(word in low for word in _MAYBE_SECRET):
        text = _SCHEME_USERINFO.sub(_userinfo, text)
        text = _BARE_USERINFO.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
        text = _query_values(text)
        text = _ASSIGNED_SECRET.sub(_assigned, text)
        text = _SCHEME_TOKEN.sub(_scheme_token, text)
    for secret in sorted(_secrets.known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


# Control characters (C0 but tab/newline, DEL, C1), lone surrogates, and the invisible format
# characters that reorder or hide text (bidi overrides, zero-width): none reaches a console raw.
_NEWLINES = re.compile(r"\r\n|[\n\r\u2028\u2029\x85]")
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def _escaped(m: re.Match[str]) -> str:
    n = ord(m.group(0))
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` safe for a terminal: newlines shown as ⏎ (unless kept), tabs as spaces, other controls escaped."""
    if text.isprintable():
        return text
    if not keep_newlines:
        text = _NEWLINES.sub("⏎", text)
    text = text.replace("\t", " ")
    return _UNPRINTABLE.sub(_escaped, text)


def clean(text: object, limit: int | None = None) -> str:
    """Scrubbed and printable: what any string from the network or a file becomes before it is shown.

    With `limit`, at most that many characters of the input are read, and a longer one ends in "…".
    """
    raw = str(text)
    if limit is not None and len(raw) > limit:
        return printable(scrub(raw[: max(limit - 1, 0)])) + "…"
    return printable(scrub(raw))


def scrub_doc(doc: Any, _depth: int = 0) -> Any:
    """A JSON-able value with every string (keys too) scrubbed."""
    if isinstance(doc, str):
        return scrub(doc)
    if isinstance(doc, float) and not math.isfinite(doc):
        return str(doc)  # NaN and Infinity are no JSON: a server's value is kept as text
    if _depth > 200:
        return "…"
    if isinstance(doc, dict):
        return {
            scrub(str(k)): REDACTED
            if isinstance(v, str)
            and v
            and _SECRET_KEY.search(str(k))
            and not _PLACEHOLDER.match(v)
            and REDACTED not in v
            else scrub_doc(v, _depth + 1)
            for k, v in doc.items()
        }
    if isinstance(doc, list | tuple):
        return [scrub_doc(v, _depth + 1) for v in doc]
    return doc


_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def json_dumps(doc: Any, *, indent: int | None = 2) -> str:
    """One JSON document, scrubbed, with no raw control or invisible character (they are \\u-escaped)."""
    text = json.dumps(scrub_doc(doc), indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


# --- config source shown in code frames ---------------------------------------------------------------

_SECRET_KEY = re.compile(
    r"(?i)(password|passwd|pwd|secret|token|api[_-]?key|apikey|authorization|credential|private[_-]?key|"
    r"bearer|cookie|access[_-]?key|session[_-]?id|signature)"
)
_KEY_LINE = re.compile(r"^(\s*+(?:-\s++)?)([\"']?)([^\"':#{}\[\],]++)\2(\s*+:)(\s+|$)(.*)$")
"""`key: value` (possessive: one pass over the line); the spaces before the colon are split off the key after."""


_OPAQUE = re.compile(r"[\"']?[A-Za-z0-9+/=_.\-]{12,512}[\"']?")


def _bare_key_secret(key: str, value: str) -> bool:
    """`key: 0123abcd…` (datadog's `api: key:`, a component otdiag knows only by type): a key named key whose
    value looks opaque (12+ letters and digits, both) is a secret; `key: service.name` (processors) is not."""
    name = key.strip().strip("\"'").lower()
    if name != "key" and not name.endswith(("_key", "-key")):
        return False
    v = value.strip()
    return (
        bool(_OPAQUE.fullmatch(v))
        and any(c.isdigit() for c in v)
        and any(c.isalpha() for c in v)
        and "." not in v.strip("\"'")
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def config_lines(lines: list[str]) -> list[str]:
    """YAML source lines as a code frame may show them: the values of secret-looking keys, of headers
    and of everything nested under them (lists, block scalars, multi-line quotes) are <redacted>, and
    every line is scrubbed. Whatever the YAML spelling (int, list, escapes), the value never shows."""
    out: list[str] = []
    hide: int | None = None
    headers: int | None = None
    for line in lines:
        indent = _indent(line)
        blank = not line.strip() or line.lstrip().startswith("#")
        if hide is not None:
            if blank or indent > hide:
                out.append(line if blank and not line.strip() else " " * indent + REDACTED)
                continue
            hide = None
        if headers is not None and not blank and indent <= headers:
            headers = None
        m = _KEY_LINE.match(line)
        if m is None or blank:
            out.append(scrub(line))
            continue
        prefix, quote, key, colon, space, value = m.groups()
        if not quote:
            bare = key.rstrip()
            key, colon = bare, key[len(bare) :] + colon
        v = value.strip()
        if key.strip().lower() == "headers" and not v:
            headers = indent
            out.append(scrub(line))
            continue
        in_headers = headers is not None and key.strip().lower() not in _SAFE_HEADERS
        secret = _SECRET_KEY.search(key) or in_headers or key.strip().lower() == "headers"
        if not (secret or _bare_key_secret(key, v)):
            out.append(scrub(line))
            continue
        if not v or v.startswith("#"):
            hide = indent
            out.append(scrub(line))
        elif v[0] in "|>":
            hide = indent
            out.append(f"{prefix}{quote}{key}{quote}{colon}{space}{v.split()[0]} {REDACTED}")
        elif re.fullmatch(r"\$\{[^}:]*(:[^}-]*)?\}", v):
            out.append(scrub(line))  # an ${env:NAME} reference, not the secret itself
        else:
            if v[0] in "\"'" and (len(v) == 1 or not v.rstrip().endswith(v[0])):
                hide = indent  # a quoted value that goes on over the next lines
            out.append(f"{prefix}{quote}{key}{quote}{colon}{space}{REDACTED}")
    return out


def remember_config(doc: Any) -> None:
    """Secrets a parsed config holds (header values, secret-looking keys, URL passwords), for the run."""
    stack: list[tuple[Any, str, bool]] = [(doc, "", False)]
    seen = 0
    while stack and seen < 100_000:
        node, key, secret = stack.pop()
        seen += 1
        if isinstance(node, dict):
            headers = key.lower() == "headers"
            for k, v in node.items():
                name = str(k)
                hidden = secret or bool(_SECRET_KEY.search(name)) or (headers and name.lower() not in _SAFE_HEADERS)
                stack.append((v, name, hidden))
        elif isinstance(node, list):
            stack.extend((v, key, secret) for v in node)
        elif node is not None and not isinstance(node, bool):
            text = str(node)
            if (secret or _bare_key_secret(key, text)) and not text.startswith("${"):
                remember(text)
            elif "@" in text and "://" in text:
                remember_url(text)
