"""Go's formats, as Jaeger's answers spell them: durations, floats, trace IDs, RFC 3339 times.

Jaeger is written in Go; its error messages and JSON numbers come from Go's
standard library. These helpers reproduce the parts a client can see.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from typing import Any


class GoParseError(ValueError):
    """The text Go's parser would have put in its error."""


# --- durations -------------------------------------------------------------------------------------

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


def parse_duration(text: str) -> int:
    """time.ParseDuration, in nanoseconds."""
    s = text
    if s in ("0", "+0", "-0"):
        return 0
    if not s:
        raise GoParseError(f'time: invalid duration "{text}"')
    neg = s[0] == "-"
    if s[0] in "+-":
        s = s[1:]
    if not s:
        raise GoParseError(f'time: invalid duration "{text}"')
    total = 0.0
    while s:
        m = re.match(r"(\d*)(\.(\d*))?", s)
        assert m is not None
        whole, frac = m.group(1), m.group(3)
        if not whole and not frac:
            raise GoParseError(f'time: invalid duration "{text}"')
        s = s[m.end() :]
        u = re.match(r"[^\d.]+", s)
        if u is None:
            raise GoParseError(f'time: missing unit in duration "{text}"')
        unit = u.group(0)
        if unit not in _UNITS:
            raise GoParseError(f'time: unknown unit "{unit}" in duration "{text}"')
        s = s[u.end() :]
        total += float(f"{whole or '0'}.{frac or '0'}") * _UNITS[unit]
    if total > 2**63 - 1:
        raise GoParseError(f'time: invalid duration "{text}"')
    return -int(total) if neg else int(total)


def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    digits = ""
    printed = False
    for _ in range(prec):
        digit = v % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        v //= 10
    return ("." + digits if printed else ""), v


def duration_string(ns: int) -> str:
    """time.Duration.String(): 1.5ms, 2s, 1m30s, 500ns, 0s."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < 10**9:
        if u < 1_000:
            out = f"{u}ns"
        elif u < 1_000_000:
            frac, whole = _fmt_frac(u, 3)
            out = f"{whole}{frac}µs"
        else:
            frac, whole = _fmt_frac(u, 6)
            out = f"{whole}{frac}ms"
    else:
        frac, secs = _fmt_frac(u, 9)
        out = f"{secs % 60}{frac}s"
        mins = secs // 60
        if mins:
            out = f"{mins % 60}m" + out
            hours = mins // 60
            if hours:
                out = f"{hours}h" + out
    return "-" + out if neg else out


# --- numbers and JSON ------------------------------------------------------------------------------


def float_value(f: float) -> float | int:
    """A float as Go's JSON writes it: whole numbers without a fraction (3, not 3.0)."""
    if math.isfinite(f) and abs(f) < 1e21 and f == int(f):
        return int(f)
    return f


def float_string(f: float) -> str:
    """strconv.FormatFloat(f, 'f', -1, 64), as pcommon's AsString renders a double."""
    if math.isnan(f):
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == int(f):
        return str(int(f))
    text = repr(f)
    if "e" in text:
        text = f"{f:.20f}".rstrip("0")
    return text


def go_json(value: Any) -> str:
    """encoding/json's compact output: sorted map keys, HTML characters escaped, UTF-8 kept."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- IDs -------------------------------------------------------------------------------------------

_HEX = frozenset("0123456789abcdefABCDEF")


def _parse_uint16(s: str) -> int:
    if not s or any(c not in _HEX for c in s):
        raise GoParseError(f'strconv.ParseUint: parsing "{s}": invalid syntax')
    return int(s, 16)


def trace_id_from_string(s: str) -> bytes:
    """model.TraceIDFromString: 1-32 hex digits, the high half optional."""
    if len(s) > 32:
        raise GoParseError(f"TraceID cannot be longer than 32 hex characters: {s}")
    if len(s) > 16:
        hi = _parse_uint16(s[: len(s) - 16])
        lo = _parse_uint16(s[len(s) - 16 :])
    else:
        hi, lo = 0, _parse_uint16(s)
    return hi.to_bytes(8, "big") + lo.to_bytes(8, "big")


def legacy_trace_id(tid: bytes) -> str:
    """model.TraceID.String(): 16 hex digits when the high half is zero, else 32."""
    tid = tid.rjust(16, b"\0")[-16:]
    return tid[8:].hex() if tid[:8] == bytes(8) else tid.hex()


def legacy_span_id(sid: bytes) -> str:
    return sid.rjust(8, b"\0")[-8:].hex()


# --- times -----------------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse_rfc3339_nano(text: str) -> int:
    """time.Parse(time.RFC3339Nano, text), in nanoseconds since the epoch."""
    m = _RFC3339.match(text)
    layout = "2006-01-02T15:04:05.999999999Z07:00"
    if m is None:
        raise GoParseError(f'parsing time "{text}" as "{layout}": cannot parse "{text}" as "{layout}"')
    year, month, day, hour, minute, sec = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and sec < 60):
        raise GoParseError(f'parsing time "{text}": value out of range')
    frac = int((m.group(7) or "0").ljust(9, "0"))
    offset = 0
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60
        if m.group(9) == "-":
            offset = -offset
    secs = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0)) - offset
    return secs * 1_000_000_000 + frac
