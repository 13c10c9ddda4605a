"""One OTLP destination: encode-agnostic export requests over gRPC or HTTP, with the answer read back."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import TYPE_CHECKING

from otdiag.app.export_settings import Settings
from otdiag.model import Protocol
from otdiag.otlp.attempt import Attempt
from otdiag.otlp.result import ExportResult
from otdiag.redact import Scrubber

if TYPE_CHECKING:
    import grpc

    from otdiag.net import http


def attempt_of(settings: Settings) -> Attempt:
    scheme = settings.url.split("://", 1)[0].lower() if "://" in settings.url else ""
    return Attempt(
        settings.protocol, settings.target, settings.host, settings.port, settings.secure, settings.path, scheme
    )


@dataclass
class Exporter:
    """One OTLP destination, reusable for many requests (one gRPC channel, or keep-alive HTTP)."""

    settings: Settings
    scrub: Scrubber
    keep_alive: bool = False
    """Reuse HTTP connections across requests (load runs)."""
    _channel: grpc.Channel | None = None
    _session: http.Session | None = None

    def __post_init__(self) -> None:
        s = self.settings
        if s.protocol is Protocol.GRPC:
            from otdiag.otlp import grpc_export  # gRPC only: HTTP runs do not load grpcio

            self._channel = grpc_export.channel(
                s.target,
                secure=s.secure,
                ca_file=s.ca_file,
                cert_file=s.cert_file,
                key_file=s.key_file,
                gzip=s.compression == "gzip",
                verify=s.verify,
                timeout=s.timeout,
            )
        elif self.keep_alive:
            from otdiag.net import http

            self._session = http.Session(timeout=s.timeout, tls=self._tls())

    def _tls(self) -> http.TlsOptions:
        from otdiag.net import http

        s = self.settings
        return http.TlsOptions(verify=s.verify, ca_file=s.ca_file, cert_file=s.cert_file, key_file=s.key_file)

    @property
    def content_type(self) -> str:
        return "application/json" if self.settings.protocol is Protocol.HTTP_JSON else "application/x-protobuf"

    def export(self, body: bytes, timeout: float | None = None) -> ExportResult:
        """One export request (already encoded for this protocol); raises TransportError."""
        s = self.settings
        timeout = timeout or s.timeout
        if self._channel is not None:
            from otdiag.otlp import grpc_export

            return grpc_export.export(
                self._channel,
                body,
                headers=s.headers,
                timeout=timeout,
                scrub=self.scrub,
                client_cert=s.cert_file is not None,
            )
        from otdiag.otlp import http_export  # HTTP only: keeps gRPC runs free of httpx

        headers = dict(s.headers)
        if s.compression == "gzip":
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        return http_export.export(
            s.url,
            body,
            content_type=self.content_type,
            headers=headers,
            timeout=timeout,
            tls=self._tls(),
            scrub=self.scrub,
            session=self._session,
        )

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._session is not None:
            self._session.close()
