"""Durations as users type them (`30s`, `1h`, `500ms`, `1.5m`, `2h30m`) and as Go prints them.

One rule for every duration otdiag reads, Go's `time.ParseDuration` (and so the collector's): the unit
is written. A bare number other than 0 is refused, as the collector refuses it: "5" could mean 5 s,
5 min or (in a collector config) 5 ns. The `d` unit is otdiag's own, for look-backs (`2d`).
"""

from __future__ import annotations

import math
import re

from otdiag.errors import UsageError

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_BARE = re.compile(r"\+?(\d+(?:\.\d*)?|\.\d+)")
FORMS = "like 30s, 500ms, 1h, 2h30m"


def parse(text: str, option: str) -> float:
    """Seconds. UsageError for a bare number other than 0, anything else not a duration, or a negative one."""
    raw = text.strip().lower()
    if raw.startswith("-") and raw[1:] and (_BARE.fullmatch(raw[1:]) or _PART.match(raw[1:])):
        raise UsageError(f"{option}: {text!r} must be a positive duration")
    bare = _BARE.fullmatch(raw)
    if bare:
        if float(raw) == 0:
            return 0.0
        n = f"{float(bare.group(1)):g}"
        raise UsageError(f"{option}: {text!r} has no unit: write {n}s, {n}m or {n}h")
    pos, value = 0, 0.0
    for m in _PART.finditer(raw):
        if m.start() != pos:
            break
        value += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(raw) or not raw:
        raise UsageError(f"{option}: {text!r} is not a duration ({FORMS})")
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{option}: {text!r} must be a positive duration")
    return value


def text(seconds: float) -> str:
    """How otdiag writes a duration back to the user: `5s`, `500ms`, `5m`, `1h30m` (always with a unit)."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g}ms" if ms >= 1 else f"{seconds * 1e6:g}us"
    whole = round(seconds)
    if abs(seconds - whole) > 1e-9 or whole < 60:
        return f"{seconds:g}s"
    out = ""
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            out += f"{whole // size}{unit}"
            whole %= size
    return out


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
