"""OTLP/JSON as the OTLP specification writes it, not protobuf's default JSON mapping.

Trace and span IDs are hex (not base64), enums are integers, field names lowerCamelCase.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

_ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})


def _hex_ids(node: Any) -> Any:
    """protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants trace/span IDs in hex."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ID_FIELDS and isinstance(value, str):
                out[key] = base64.b64decode(value).hex()
            else:
                out[key] = _hex_ids(value)
        return out
    if isinstance(node, list):
        return [_hex_ids(v) for v in node]
    return node


def dumps(req: Message) -> bytes:
    doc = MessageToDict(req, preserving_proto_field_name=False, use_integers_for_enums=True)
    return json.dumps(_hex_ids(doc), separators=(",", ":")).encode()
