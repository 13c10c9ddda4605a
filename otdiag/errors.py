"""Errors that end a command with exit code 2: the request itself is wrong."""

from __future__ import annotations


class UsageError(Exception):
    """A bad flag value, an unreadable file, a malformed trace ID or URL.

    The message is shown as one line; it must already be redacted.
    """
