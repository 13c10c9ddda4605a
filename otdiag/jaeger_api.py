"""Jaeger's query service: API v3 first, the legacy /api routes as a fallback.

See shared/docs/protocols.md A-B. Each call is bounded by the client's
timeout and reads at most `max_bytes` of an answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from otdiag import http
from otdiag.transport import Cause, TransportError


class Api(StrEnum):
    V3 = "v3"
    LEGACY = "legacy"


class JaegerError(Exception):
    """Jaeger answered, but not usefully: a server error, or not Jaeger at all."""

    def __init__(self, message: str, *, status: int | None = None, not_jaeger: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.not_jaeger = not_jaeger


@dataclass
class JaegerClient:
    base_url: str
    timeout: float = 5.0
    tls: http.TlsOptions | None = None
    max_bytes: int = 256 * 1024 * 1024
    api: Api | None = None
    """Which API the server speaks, once known (detected on the first call)."""

    def _get(self, path: str, params: dict[str, str] | None = None) -> http.Response:
        url = self.base_url.rstrip("/") + path
        if params:
            url += "?" + urlencode(params)
        return http.request("GET", url, timeout=self.timeout, tls=self.tls, max_bytes=self.max_bytes)

    @staticmethod
    def _json(resp: http.Response) -> Any:
        if resp.content_type == "text/html" or resp.body.lstrip()[:1] == b"<":
            raise JaegerError(
                "the URL answered with an HTML page, not Jaeger's JSON API",
                not_jaeger=True,
                status=resp.status,
            )
        try:
            return json.loads(resp.body)
        except ValueError:
            raise JaegerError(
                f"the answer is not JSON (HTTP {resp.status}: {resp.text(120)!r})",
                status=resp.status,
                not_jaeger=resp.status < 500,
            ) from None

    def services(self) -> list[str]:
        """Service names known to Jaeger; detects the API on first use."""
        if self.api in (None, Api.V3):
            resp = self._get("/api/v3/services")
            if resp.status == 200:
                doc = self._json(resp)
                if isinstance(doc, dict) and (not doc or "services" in doc):
                    self.api = Api.V3
                    return [str(s) for s in doc.get("services") or []]
                raise JaegerError("the answer to /api/v3/services is not Jaeger's", not_jaeger=True)
            if resp.status >= 500:
                raise JaegerError(_error_text(resp), status=resp.status)
            if self.api is Api.V3:
                raise JaegerError(f"HTTP {resp.status} from /api/v3/services", status=resp.status)
        resp = self._get("/api/services")
        if resp.status == 200:
            doc = self._json(resp)
            if isinstance(doc, dict) and "data" in doc:
                self.api = Api.LEGACY
                return [str(s) for s in doc.get("data") or []]
            raise JaegerError("the answer to /api/services is not Jaeger's", not_jaeger=True)
        if resp.status >= 500:
            raise JaegerError(_error_text(resp), status=resp.status)
        raise JaegerError(
            f"neither /api/v3/services nor /api/services exist there (HTTP {resp.status})",
            status=resp.status,
            not_jaeger=True,
        )


def _error_text(resp: http.Response) -> str:
    try:
        doc = json.loads(resp.body)
    except ValueError:
        return f"HTTP {resp.status}: {resp.text(200)}"
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict) and err.get("message"):
            return f"HTTP {resp.status}: {err['message']}"
        errs = doc.get("errors")
        if isinstance(errs, list) and errs and isinstance(errs[0], dict):
            return f"HTTP {resp.status}: {errs[0].get('msg', '')}"
    return f"HTTP {resp.status}: {resp.text(200)}"


__all__ = ["Api", "Cause", "JaegerClient", "JaegerError", "TransportError"]
