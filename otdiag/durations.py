"""Durations as users type them (`30s`, `1h`, `500ms`, `1.5m`, `2h30m`) and as Go prints them."""

from __future__ import annotations

import math
import re

from otdiag.errors import UsageError

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")


def parse(text: str, option: str) -> float:
    """Seconds; a bare number is seconds. UsageError for anything else, negative or non-finite."""
    raw = text.strip().lower()
    try:
        value = float(raw)
    except ValueError:
        pos, value = 0, 0.0
        for m in _PART.finditer(raw):
            if m.start() != pos:
                break
            value += float(m.group(1)) * _UNITS[m.group(2)]
            pos = m.end()
        if pos != len(raw) or not raw:
            raise UsageError(f"{option}: {text!r} is not a duration (like 30s, 500ms, 1h, 2h30m)") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{option}: {text!r} must be a positive duration")
    return value


def go(seconds: float) -> str:
    """A Go-parsable duration (Jaeger's minDuration/maxDuration)."""
    micros = round(seconds * 1e6)
    return f"{micros}us"


def human(ns: int) -> str:
    if ns < 1_000_000:
        return f"{ns / 1000:.0f}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.2f}ms".replace(".00ms", "ms")
    return f"{ns / 1e9:.2f}s"
