"""OTLP/trace receivers (HTTP and gRPC) that answer exactly as the collector's otlp receiver does.

Answers, checked against the real collector (v0.155) in tests/test_listen_receiver.py:

- POST /v1/traces, application/x-protobuf or application/json (parameters and
  case ignored): 200 with the same content type; the body is an empty
  ExportTraceServiceResponse (protobuf `0a 00`, JSON `{"partialSuccess":{}}`).
- other or missing Content-Type: 415, text/plain,
  `415 unsupported media type, supported: [application/json, application/x-protobuf]`.
- other method: 405, text/plain, `405 method not allowed, supported: [POST]`.
- other path (also a trailing slash): 404, `404 page not found` (Go's NotFound).
- undecodable body: 400 with a google.rpc.Status (code 3) in the request's encoding.
- body over 20 MiB, before or after decompression: 400 `http: request body too large`, connection closed.
- gRPC: `/opentelemetry.proto.collector.trace.v1.TraceService/Export`, 4 MiB
  message limit (RESOURCE_EXHAUSTED), INTERNAL for an undecodable message.

With `other_signals` (`otdiag run`), metrics and logs are taken too and dropped unread, with the
answer a collector with those pipelines gives: an app under opentelemetry-instrument exports all
three signals, and a 404 on each metrics or logs batch would fill its stderr with noise.
"""

from __future__ import annotations

import json
from concurrent import futures
from dataclasses import dataclass

import grpc
from google.rpc import status_pb2

from otdiag.listen import otlp_decode
from otdiag.listen.httpserver import Request, Response
from otdiag.listen.store import InvalidIds, SpanStore, Transport

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
TRACES_PATH = "/v1/traces"
MAX_HTTP_BODY = 20 * 1024 * 1024
MAX_GRPC_MESSAGE = 4 * 1024 * 1024
GRPC_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
OTHER_PATHS = ("/v1/metrics", "/v1/logs")
OTHER_GRPC_SERVICES = (
    "opentelemetry.proto.collector.metrics.v1.MetricsService",
    "opentelemetry.proto.collector.logs.v1.LogsService",
)

_OK_PROTOBUF = b"\x0a\x00"  # ExportTraceServiceResponse with an empty partial_success, as the collector sends
_OK_JSON = b'{"partialSuccess":{}}'
_UNSUPPORTED = "415 unsupported media type, supported: [application/json, application/x-protobuf]"


def media_type(content_type: str) -> str | None:
    """The media type of a Content-Type header, lower-cased; None when it does not parse (as Go's mime)."""
    main = content_type.split(";", 1)[0].strip().lower()
    if not main or "/" not in main or any(c.isspace() for c in main):
        return None
    return main


def not_found() -> Response:
    return Response(
        404,
        b"404 page not found\n",
        [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")],
    )


def _status_body(mtype: str, message: str) -> Response:
    if mtype == JSON:
        body = json.dumps({"code": 3, "message": message}, separators=(",", ":")).encode()
    else:
        body = status_pb2.Status(code=3, message=message).SerializeToString()
    return Response(400, body, [("Content-Type", mtype)])


@dataclass
class OtlpHttpApp:
    """The OTLP/HTTP receiver as an `httpserver.App`."""

    store: SpanStore
    max_body: int = MAX_HTTP_BODY
    other_signals: bool = False
    """Take metrics and logs too (and drop them unread), rather than answer 404 as a traces-only collector."""
    port: str = "http"
    """How the refused-request log names this receiver: "http", or "shared" (run's one port)."""
    address: str = ""
    """host:port it listens on, for the words of a refused request."""

    def head(self, req: Request) -> Response | None:
        if req.path != TRACES_PATH and not (self.other_signals and req.path in OTHER_PATHS):
            self._refuse(req, "404")
            return not_found()
        if req.method != "POST":
            self._refuse(req, "405")
            return Response(405, b"405 method not allowed, supported: [POST]", [("Content-Type", "text/plain")])
        mtype = media_type(req.header("content-type"))
        if mtype not in (PROTOBUF, JSON):
            self.store.count_request(Transport.HTTP_PROTOBUF, "415")
            self._refuse(req, "415")
            return Response(415, _UNSUPPORTED.encode(), [("Content-Type", "text/plain")])
        return None

    def _refuse(self, req: Request, status: str) -> None:
        if req.method != "POST" and status == "404":
            return  # a browser or a health probe, not an exporter
        mtype = media_type(req.header("content-type"))
        transport = "http/json" if mtype == JSON else "http/protobuf" if mtype == PROTOBUF else "http"
        self.store.refused.add(
            path=req.raw_path or "/", transport=transport, status=status, port=self.port,
            content_type=req.header("content-type"), address=req.header("host")[:100] or self.address,
        )  # fmt: skip

    def refused_connection(self, transport: str, status: str) -> None:
        """A connection that never made an HTTP/1.1 request: gRPC (HTTP/2) or TLS sent to this port."""
        self.store.refused.add(path="", transport=transport, status=status, port=self.port, address=self.address)

    def too_large(self, req: Request) -> Response:
        mtype = media_type(req.header("content-type")) or PROTOBUF
        self.store.count_request(_transport(mtype), "400", "request body too large")
        resp = _status_body(mtype, "http: request body too large")
        resp.close = True
        return resp

    def bad_body(self, req: Request, message: str) -> Response:
        """Broken chunked framing: the collector answers Go's reader error in a 400 Status (and closes)."""
        mtype = media_type(req.header("content-type")) or PROTOBUF
        self.store.count_request(_transport(mtype), "400", message)
        resp = _status_body(mtype, message)
        resp.close = True
        return resp

    def handle(self, req: Request, body: bytes) -> Response:
        mtype = media_type(req.header("content-type")) or PROTOBUF
        if req.path != TRACES_PATH:
            return _ok(mtype)  # metrics or logs, taken and dropped
        transport = _transport(mtype)
        try:
            body = otlp_decode.decompress(body, req.header("content-encoding"), self.max_body)
            if mtype == JSON:
                export, kept = otlp_decode.decode_json(body), None
            else:
                export, kept = otlp_decode.decode_protobuf_kept(body)
        except otlp_decode.BodyTooLarge:
            # The raw body was read whole, so (unlike an oversize raw body) the connection stays open.
            self.store.count_request(transport, "400", "request body too large")
            return _status_body(mtype, "http: request body too large")
        except otlp_decode.PayloadError as exc:
            self.store.count_request(transport, "400", str(exc))
            return _status_body(mtype, str(exc))
        try:
            self.store.write(export, transport, raw=kept)
        except InvalidIds as exc:
            message = str(exc)  # the collector's words: it refuses the whole request
            self.store.count_request(transport, "400", message)
            return _status_body(mtype, message)
        self.store.count_request(transport, "200")
        return _ok(mtype)


def _ok(mtype: str) -> Response:
    """An empty Export*ServiceResponse (the same bytes for every signal: field 1, partial_success)."""
    if mtype == JSON:
        return Response(200, _OK_JSON, [("Content-Type", JSON)])
    return Response(200, _OK_PROTOBUF, [("Content-Type", PROTOBUF)])


def _transport(mtype: str) -> Transport:
    return Transport.HTTP_JSON if mtype == JSON else Transport.HTTP_PROTOBUF


class GrpcReceiver:
    """TraceService/Export on a grpcio server, with raw bytes in and out (no generated stubs)."""

    def __init__(self, store: SpanStore, *, workers: int = 8, other_signals: bool = False) -> None:
        self.store = store
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otdiag-grpc"),
            options=[
                ("grpc.max_receive_message_length", MAX_GRPC_MESSAGE),
                ("grpc.max_send_message_length", MAX_GRPC_MESSAGE),
                # A port someone else holds must fail to bind, not be shared.
                ("grpc.so_reuseport", 0),
            ],
        )
        handler: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(
            self._export, request_deserializer=None, response_serializer=None
        )
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(GRPC_SERVICE, {"Export": handler}),)
        )
        if other_signals:
            dropped: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(
                _drop, request_deserializer=None, response_serializer=None
            )
            self._server.add_generic_rpc_handlers(
                tuple(grpc.method_handlers_generic_handler(name, {"Export": dropped}) for name in OTHER_GRPC_SERVICES)
            )

    def bind(self, host: str, port: int) -> int:
        """Bind host:port (0 = any free port); return the port. Raises OSError when it cannot."""
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            bound = self._server.add_insecure_port(target)
        except RuntimeError as exc:
            raise OSError(f"cannot bind {target}: {exc}") from None
        if bound == 0:
            raise OSError(f"cannot bind {target}")
        return int(bound)

    def start(self) -> None:
        self._server.start()

    def stop(self, grace: float = 1.0) -> None:
        self._server.stop(grace).wait(grace + 1)

    def _export(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        try:
            export, kept = otlp_decode.decode_protobuf_kept(request)
        except otlp_decode.PayloadError as exc:
            self.store.count_request(Transport.GRPC, "INTERNAL", str(exc))
            context.abort(grpc.StatusCode.INTERNAL, f"grpc: error unmarshalling request: {exc}")
        try:
            self.store.write(export, Transport.GRPC, raw=kept)
        except InvalidIds as exc:
            message = str(exc)  # the collector's words: it refuses the whole request
            self.store.count_request(Transport.GRPC, "INTERNAL", message)
            context.abort(grpc.StatusCode.INTERNAL, f"grpc: error unmarshalling request: {message}")
        self.store.count_request(Transport.GRPC, "OK")
        return _OK_PROTOBUF


def _drop(request: bytes, context: grpc.ServicerContext) -> bytes:
    """Metrics or logs over gRPC, taken and dropped unread."""
    return _OK_PROTOBUF
