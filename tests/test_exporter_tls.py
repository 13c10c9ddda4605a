"""A collector exporter's `tls.insecure_skip_verify` is honoured when check probes its target.

The target is a real collector whose OTLP receivers speak TLS with certificates nobody trusts: an
unknown CA's (HTTP) and a self-signed one (gRPC), the setups that skip verification on purpose.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest

from otdiag.check import probes
from otdiag.collector.targets import ExporterTarget
from tests import peers


def _self_signed(tmp: Path) -> dict[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "otdiag self-signed")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp / "self.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "self.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return {"cert_file": str(tmp / "self.pem"), "key_file": str(tmp / "self.key")}


def _unknown_ca(tmp: Path) -> dict[str, str]:
    import trustme

    leaf = trustme.CA().issue_cert("127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(tmp / "leaf.pem"))
    leaf.private_key_pem.write_to_path(str(tmp / "leaf.key"))
    return {"cert_file": str(tmp / "leaf.pem"), "key_file": str(tmp / "leaf.key")}


@pytest.fixture
def tls_collector(tmp_path: Path, start_collector: Callable[..., peers.Collector]) -> peers.Collector:
    cfg = peers.collector_config(
        None,
        overrides={
            "receivers": {
                "otlp": {"protocols": {"grpc": {"tls": _self_signed(tmp_path)}, "http": {"tls": _unknown_ca(tmp_path)}}}
            }
        },
    )
    return start_collector(cfg)


@pytest.mark.parametrize("skip", [True, False])
def test_an_exporter_that_skips_verification_is_not_a_tls_error(tls_collector: peers.Collector, skip: bool) -> None:
    http = ExporterTarget("otlphttp/gw", "otlp_http", f"https://{tls_collector.otlp_http}/v1/traces", True, skip)
    grpc = ExporterTarget("otlp/gw", "otlp_grpc", str(tls_collector.otlp_grpc), True, skip)
    for target, unverified in ((http, "export.tls-unknown-ca"), (grpc, "export.tls-unknown-ca")):
        probe = probes.probe_exporter(target, 5.0)
        if skip:
            assert probe.ok, (target.id, [f.message for f in probe.findings])
            assert probe.findings == []
        else:
            assert not probe.ok
            assert [f.code for f in probe.findings] == [unverified], [f.message for f in probe.findings]
