"""OTLP export settings resolve as the specification says (shared/docs/otel-env.md, spec protocol/exporter.md)."""

from __future__ import annotations

import pytest

from otdiag.app.export_settings import Flags, parse_headers, resolve
from otdiag.errors import UsageError
from otdiag.model import Protocol

E = "OTEL_EXPORTER_OTLP_"
T = "OTEL_EXPORTER_OTLP_TRACES_"

# (environment, expected protocol, expected URL or gRPC target, TLS on)
VECTORS: list[tuple[dict[str, str], str, str, bool]] = [
    # HTTP: the generic endpoint is a base URL; /v1/traces is appended (spec; vectors 1-5).
    ({}, "http/protobuf", "http://localhost:4318/v1/traces", False),
    ({E + "ENDPOINT": "http://collector:4318"}, "http/protobuf", "http://collector:4318/v1/traces", False),
    ({E + "ENDPOINT": "http://collector:4318/"}, "http/protobuf", "http://collector:4318/v1/traces", False),
    ({E + "ENDPOINT": "http://collector:4318/mycollector"}, "http/protobuf", "http://collector:4318/mycollector/v1/traces", False),
    ({E + "ENDPOINT": "http://collector:4318/v1/traces"}, "http/protobuf", "http://collector:4318/v1/traces/v1/traces", False),
    # The per-signal endpoint is used as is; an empty path becomes "/" (vectors 6-7).
    ({T + "ENDPOINT": "http://collector:4318"}, "http/protobuf", "http://collector:4318/", False),
    ({T + "ENDPOINT": "https://c.example.com/custom/path/", E + "ENDPOINT": "http://other:4318"},
     "http/protobuf", "https://c.example.com/custom/path/", True),
    # An empty value counts as unset (spec; Python 1.44 differs, vector 9).
    ({T + "ENDPOINT": ""}, "http/protobuf", "http://localhost:4318/v1/traces", False),
    # Insecure does not apply to HTTP (vector 10).
    ({E + "ENDPOINT": "https://c:4318", E + "INSECURE": "true"}, "http/protobuf", "https://c:4318/v1/traces", True),
    # gRPC: the scheme decides TLS; without one, OTEL_EXPORTER_OTLP_INSECURE (vectors 11-17).
    ({E + "PROTOCOL": "grpc"}, "grpc", "localhost:4317", False),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "http://collector:4317/v1/traces"}, "grpc", "collector:4317", False),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "collector:4317"}, "grpc", "collector:4317", True),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "collector:4317", E + "INSECURE": "true"}, "grpc", "collector:4317", False),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "collector:4317", T + "INSECURE": "TRUE"}, "grpc", "collector:4317", False),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "https://collector:4317", E + "INSECURE": "true"}, "grpc", "collector:4317", True),
    # The spec: an explicit http:// scheme means plaintext, whatever INSECURE says (Python 1.44 differs, vector 15).
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "http://collector:4317", E + "INSECURE": "false"}, "grpc", "collector:4317", False),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "collector:4317", E + "INSECURE": "1"}, "grpc", "collector:4317", True),
    ({E + "PROTOCOL": "grpc", E + "ENDPOINT": "https://collector"}, "grpc", "collector:443", True),
    # Per-signal values win over generic ones, option by option (vector 34).
    ({E + "PROTOCOL": "grpc", T + "PROTOCOL": "http/protobuf"}, "http/protobuf", "http://localhost:4318/v1/traces", False),
    ({E + "PROTOCOL": "http/json", E + "ENDPOINT": "http://c:4318"}, "http/json", "http://c:4318/v1/traces", False),
]  # fmt: skip


@pytest.mark.parametrize(("env", "protocol", "where", "tls"), VECTORS)
def test_resolution_vectors(env: dict[str, str], protocol: str, where: str, tls: bool) -> None:
    s = resolve(Flags(), env)
    assert s.protocol == Protocol(protocol)
    assert (s.url if s.protocol.is_http else s.target) == where
    assert s.secure is tls


def test_flags_win_over_the_environment_and_say_so() -> None:
    env = {E + "ENDPOINT": "http://env:4318", E + "PROTOCOL": "grpc", E + "HEADERS": "a=1"}
    s = resolve(Flags(endpoint="http://flag:9999", protocol=Protocol.HTTP_JSON, headers={"B": "2"}), env)
    assert (s.url, s.protocol, s.headers) == ("http://flag:9999/v1/traces", Protocol.HTTP_JSON, {"b": "2"})
    assert s.sources["endpoint"].startswith("--endpoint") and s.sources["protocol"] == "--protocol"
    assert s.sources["headers"] == "--header"


def test_flag_endpoint_with_a_path_is_used_as_is() -> None:
    assert resolve(Flags(endpoint="http://h:4318/custom"), {}).url == "http://h:4318/custom"


@pytest.mark.parametrize(
    ("raw", "expected", "problems"),
    [
        ("Authorization=Bearer%20abc,X-Tenant=t1", {"authorization": "Bearer abc", "x-tenant": "t1"}, 0),
        ("a=x%2Cy", {"a": "x,y"}, 0),
        ("good=1,novalue, spaced key=2,k=v=w", {"good": "1", "k": "v=w"}, 2),
        ("a=1,a=2", {"a": "2"}, 0),
    ],
)
def test_headers_are_baggage_style_and_percent_decoded(raw: str, expected: dict[str, str], problems: int) -> None:
    headers, notes = parse_headers(raw)
    assert headers == expected
    assert len(notes) == problems
    assert all("Bearer" not in n for n in notes)


def test_per_signal_headers_replace_the_generic_ones() -> None:
    s = resolve(Flags(), {E + "HEADERS": "a=1", T + "HEADERS": "b=2"})
    assert s.headers == {"b": "2"}


def test_timeout_is_milliseconds_in_the_environment() -> None:
    assert resolve(Flags(), {E + "TIMEOUT": "2500"}).timeout == 2.5
    assert resolve(Flags(), {T + "TIMEOUT": "500", E + "TIMEOUT": "9000"}).timeout == 0.5
    s = resolve(Flags(), {E + "TIMEOUT": "10s"})
    assert s.timeout == 10.0 and any("not a number" in n for n in s.notes)


def test_certificates_come_from_the_environment() -> None:
    s = resolve(
        Flags(),
        {E + "CERTIFICATE": "/ca.pem", T + "CLIENT_CERTIFICATE": "/c.pem", E + "CLIENT_KEY": "/k.pem"},
    )
    assert (s.ca_file, s.cert_file, s.key_file) == ("/ca.pem", "/c.pem", "/k.pem")
    assert s.sources["cert_file"] == T + "CLIENT_CERTIFICATE"


@pytest.mark.parametrize(
    "env",
    [
        {E + "PROTOCOL": "HTTP/PROTOBUF"},
        {E + "PROTOCOL": "http/thrift"},
        {E + "ENDPOINT": "collector:4318"},
        {E + "ENDPOINT": "http://c:99999"},
        {E + "PROTOCOL": "grpc", E + "ENDPOINT": "unix:///var/run/otel.sock"},
    ],
)
def test_values_that_cannot_work_are_usage_errors(env: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        resolve(Flags(), env)
