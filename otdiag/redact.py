"""Keep secrets out of every output: headers, tokens, passwords in URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
        return text
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
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Scrubber:
    """Removes known secret values from free text (error messages, server replies)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def with_headers(self, items: Mapping[str, str]) -> Scrubber:
        extra: list[str] = []
        for name, value in items.items():
            if header_value(name, value) == REDACTED:
                extra.append(value)
                # "Bearer abc" leaks "abc" when a server echoes only the token.
                extra.extend(part for part in value.split() if len(part) >= 6)
        return Scrubber([*self._secrets, *extra])
