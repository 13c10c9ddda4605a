"""OTLP/gRPC export with the receiver's answer (or gRPC's error) decoded."""

from __future__ import annotations

import time
from collections.abc import Mapping

import grpc

from otdiag.net.transport import Cause, TransportError, classify_tls_text
from otdiag.otlp.result import ExportResult
from otdiag.redact import Scrubber

METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

# Codes that mean "no OTLP answer came back": the failure is in the transport.
_TRANSPORT_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def _read(path: str | None) -> bytes | None:
    from otdiag import bounded

    return bounded.read(path, what="certificate", max_bytes=16 * 1024 * 1024) if path else None


def channel(
    target: str,
    *,
    secure: bool,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    max_send_bytes: int = 64 * 1024 * 1024,
    gzip: bool = False,
    verify: bool = True,
    timeout: float = 5.0,
) -> grpc.Channel:
    options = [
        ("grpc.max_send_message_length", max_send_bytes),
        ("grpc.max_receive_message_length", 4 * 1024 * 1024),
        ("grpc.enable_retries", 0),
        ("grpc.primary_user_agent", "otdiag"),
    ]
    compression = grpc.Compression.Gzip if gzip else None
    if not secure:
        return grpc.insecure_channel(target, options=options, compression=compression)
    roots = _read(ca_file) if verify or ca_file else _presented(target, timeout)
    creds = grpc.ssl_channel_credentials(
        root_certificates=roots, private_key=_read(key_file), certificate_chain=_read(cert_file)
    )
    return grpc.secure_channel(target, creds, options=options, compression=compression)


def _presented(target: str, timeout: float) -> bytes | None:
    """Without verification (a collector's `tls.insecure_skip_verify`): trust the certificate the server shows.

    gRPC's Python API cannot turn verification off, so the server's own certificate becomes the root.
    That passes for the self-signed certificate such a setup usually has; a certificate issued by an
    unknown CA still fails as unknown (the server does not send its CA). None: gRPC's own error decides.
    """
    import ssl

    host, _, port = target.rpartition(":")
    try:
        pem = ssl.get_server_certificate((host.strip("[]"), int(port)), timeout=timeout)
    except (OSError, ValueError):
        return None
    return pem.encode("ascii")


def export(
    chan: grpc.Channel,
    body: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    scrub: Scrubber | None = None,
    client_cert: bool = False,
) -> ExportResult:
    """Call TraceService/Export with an already-encoded request."""
    scrub = scrub or Scrubber()
    call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = chan.unary_unary(
        METHOD, request_serializer=None, response_deserializer=None
    )
    metadata = tuple((k.lower(), v) for k, v in headers.items())
    started = time.monotonic()
    try:
        raw = call(body, timeout=timeout, metadata=metadata or None)
    except grpc.RpcError as err:
        elapsed = (time.monotonic() - started) * 1000
        code: grpc.StatusCode = err.code()
        details = scrub(str(err.details() or ""))
        if code in _TRANSPORT_CODES:
            failure = transport_failure(
                code, details, elapsed_s=elapsed / 1000, timeout=timeout, client_cert=client_cert
            )
            if failure is not None:
                raise failure from None
        return ExportResult(ok=False, status=code.name, message=details, elapsed_ms=elapsed, grpc_code=code.name)
    elapsed = (time.monotonic() - started) * 1000
    from otdiag.otlp.http_export import _Malformed, parse_response

    try:
        rejected, message = parse_response(raw if isinstance(raw, bytes) else b"")
    except _Malformed as exc:
        return ExportResult(ok=False, status="OK", elapsed_ms=elapsed, grpc_code="OK", malformed=scrub(str(exc)))
    return ExportResult(
        ok=True,
        status="OK",
        message=scrub(message),
        rejected_spans=rejected,
        elapsed_ms=elapsed,
        grpc_code="OK",
    )


def transport_failure(
    code: grpc.StatusCode, details: str, *, elapsed_s: float, timeout: float, client_cert: bool = False
) -> TransportError | None:
    """Read gRPC's UNAVAILABLE / DEADLINE_EXCEEDED details as a transport cause.

    Returns None when the receiver itself answered UNAVAILABLE (a collector
    refusing data), which is not a transport failure.
    """
    d = details.lower()
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        if elapsed_s >= timeout * 0.9:
            return TransportError(Cause.CONNECT_TIMEOUT, f"no answer within {timeout:g}s ({details})")
        return TransportError(Cause.READ_TIMEOUT, details)
    if "connection refused" in d:
        return TransportError(Cause.REFUSED, "connection refused")
    if any(s in d for s in _DNS_TEXTS):
        return TransportError(Cause.DNS, f"host name does not resolve ({details})")
    if "trying to connect an http1.x server" in d:
        return TransportError(Cause.PROTOCOL, "the port answered HTTP/1.1, not gRPC (an OTLP/HTTP port?)")
    if "unwrap failed" in d or "tsi_data_corrupted" in d:
        # The handshake looked fine from our side, then the server dropped us: it wanted a client certificate.
        cause = Cause.TLS_OTHER if client_cert else Cause.TLS_CLIENT_CERT
        return TransportError(cause, details)
    if "handshake" in d or "ssl" in d or "tls" in d or "certificate" in d or "verification" in d:
        return TransportError(classify_tls_text(details) or Cause.TLS_OTHER, details)
    if "frame too large" in d or "bad greeting" in d or "bogus greeting" in d or "preface" in d:
        return TransportError(Cause.PROTOCOL, details)
    if "socket closed" in d or "connection reset" in d or "broken pipe" in d or "end of tcp stream" in d:
        return TransportError(Cause.CLOSED, details)
    if "no route to host" in d or "network is unreachable" in d:
        return TransportError(Cause.UNREACHABLE, details)
    if "timeout" in d or "timed out" in d:
        return TransportError(Cause.CONNECT_TIMEOUT, details)
    if "failed to connect to all addresses" in d or "connections to all backends failing" in d:
        return TransportError(Cause.CLOSED, details)
    return None


_DNS_TEXTS = (
    "dns resolution failed",
    "name or service not known",
    "could not resolve",
    "errors resolving",
    "domain name not found",
    "hostname lookup error",
)
