"""`otdiag send-test-span` against the real collector, rotel and Jaeger: accepted, and every failure class.

Each failure is produced for real (a dead port, swapped ports, TLS either way,
mTLS, authenticators, a receiver outside any traces pipeline, memory_limiter
refusing); only the black hole, the hung server and the lying server are
hand-made (tests/hostile.py).
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import trustme

from otdiag.model import ExitCode
from otdiag.otlp import http_export
from tests import hostile, peers
from tests.bounds import within
from tests.cli_runner import Result, run


def send(*args: str, env: dict[str, str] | None = None) -> Result:
    return run("send-test-span", *args, "--json", "--timeout", "3s", env=env)


def first_error(res: Result) -> dict[str, Any]:
    doc = res.json()
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert errors, f"no error finding in {doc}"
    first: dict[str, Any] = errors[0]
    return first


# --- accepted by every real receiver, over every protocol ---------------------------------------------


@pytest.mark.peers
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_accepted_by_the_real_collector(
    protocol: str, collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]
) -> None:
    collector, jaeger = collector_to_jaeger
    endpoint = collector.otlp_grpc if protocol == "grpc" else collector.otlp_http
    res = send(
        "--endpoint",
        f"http://{endpoint}",
        "--protocol",
        protocol,
        "--jaeger-url",
        jaeger.query_url,
        "--child",
    )
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert doc["ok"] is True and doc["findings"] == []
    assert (doc["sent"], doc["accepted"], doc["rejected"]) == (2, 2, 0)
    assert len(doc["trace_id"]) == 32 and len(doc["span_id"]) == 16
    assert doc["jaeger_link"] == f"{jaeger.query_url}/trace/{doc['trace_id']}"
    assert doc["protocol"] == protocol
    # The span really went through: Jaeger has it, with our service name and both spans.
    from tests.test_e2e_pipeline import wait_for_trace

    legacy, _ = wait_for_trace(jaeger.query_url, doc["trace_id"], spans=2)
    spans = legacy["data"][0]["spans"]
    assert sorted(s["operationName"] for s in spans) == ["otdiag-test-span", "otdiag-test-span-child"]
    assert {p["serviceName"] for p in legacy["data"][0]["processes"].values()} == {"otdiag"}


@pytest.mark.peers
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_accepted_by_rotel(protocol: str, start_rotel: Callable[..., peers.Rotel]) -> None:
    rotel = start_rotel(None)
    endpoint = rotel.otlp_grpc if protocol == "grpc" else rotel.otlp_http
    res = send("--endpoint", f"http://{endpoint}", "--protocol", protocol)
    assert res.exit_code == ExitCode.OK, res.stdout
    assert res.json()["accepted"] == 1


@pytest.mark.peers
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_accepted_by_jaegers_own_otlp_receiver(protocol: str, jaeger: peers.Jaeger) -> None:
    endpoint = jaeger.otlp_grpc if protocol == "grpc" else jaeger.otlp_http
    res = send("--endpoint", f"http://{endpoint}", "--protocol", protocol, "--service-name", "direct")
    assert res.exit_code == ExitCode.OK, res.stdout
    from tests.test_e2e_pipeline import wait_for_trace

    legacy, _ = wait_for_trace(jaeger.query_url, res.json()["trace_id"])
    assert legacy["data"][0]["processes"]["p1"]["serviceName"] == "direct"


@pytest.mark.peers
def test_settings_come_from_the_otel_environment(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, _ = collector_to_jaeger
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector.otlp_http}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
    }
    res = send(env=env)
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert doc["endpoint"] == f"http://{collector.otlp_http}/v1/traces"
    assert doc["protocol"] == "http/json"
    assert doc["settings"]["sources"]["endpoint"].startswith("OTEL_EXPORTER_OTLP_ENDPOINT")
    assert doc["settings"]["sources"]["protocol"] == "OTEL_EXPORTER_OTLP_PROTOCOL"


# --- TLS material ------------------------------------------------------------------------------------


@dataclass
class Certs:
    dir: Path
    ca: str
    other_ca: str
    server: dict[str, str]
    """cert_file/key_file for 127.0.0.1 and localhost."""
    wrong_host: dict[str, str]
    """cert_file/key_file for otdiag.invalid only."""
    expired: dict[str, str]
    client_cert: str
    client_key: str


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    d = tmp_path_factory.mktemp("certs")
    ca, other = trustme.CA(), trustme.CA()
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    other.cert_pem.write_to_path(str(d / "other-ca.pem"))

    def leaf(name: str, cert: trustme.LeafCert) -> dict[str, str]:
        cert.cert_chain_pems[0].write_to_path(str(d / f"{name}.pem"))
        cert.private_key_pem.write_to_path(str(d / f"{name}.key"))
        return {"cert_file": str(d / f"{name}.pem"), "key_file": str(d / f"{name}.key")}

    client = leaf("client", ca.issue_cert("otdiag-client"))
    return Certs(
        dir=d, ca=str(d / "ca.pem"), other_ca=str(d / "other-ca.pem"),
        server=leaf("server", ca.issue_cert("127.0.0.1", "localhost")),
        wrong_host=leaf("wrong-host", ca.issue_cert("otdiag.invalid")),
        expired=leaf("expired", ca.issue_cert("127.0.0.1", not_after=datetime.datetime(2020, 1, 1, tzinfo=UTC))),
        client_cert=client["cert_file"], client_key=client["key_file"],
    )  # fmt: skip


def _tls_collector(start: Callable[..., peers.Collector], tls: dict[str, Any]) -> peers.Collector:
    protocols = {"grpc": {"tls": tls}, "http": {"tls": tls}}
    return start(peers.collector_config(None, overrides={"receivers": {"otlp": {"protocols": protocols}}}))


# --- the failure matrix --------------------------------------------------------------------------------

Starter = Callable[..., peers.Collector]
Make = Callable[[Starter, Certs], peers.Collector]


def _auth(name: str, settings: dict[str, Any]) -> Make:
    def make(start: Starter, _: Certs) -> peers.Collector:
        auth = {"auth": {"authenticator": name}}
        return start(peers.collector_config(None, overrides={
            "extensions": {name: settings},
            "service": {"extensions": ["health_check", name]},
            "receivers": {"otlp": {"protocols": {"grpc": auth, "http": auth}}},
        }))  # fmt: skip

    return make


def _tls(which: str, mtls: bool = False) -> Make:
    def make(start: Starter, c: Certs) -> peers.Collector:
        tls: dict[str, Any] = dict(getattr(c, which))
        if mtls:
            tls["client_ca_file"] = c.ca
        return _tls_collector(start, tls)

    return make


def _metrics_only(start: Starter, _: Certs) -> peers.Collector:
    cfg = peers.collector_config(None)
    cfg["service"]["pipelines"] = {"metrics": {"receivers": ["otlp"], "exporters": ["debug"]}}
    return start(cfg)


def _memory_limited(start: Starter, _: Certs) -> peers.Collector:
    col = start(peers.collector_config(None, overrides={
        "processors": {"memory_limiter": {"check_interval": "100ms", "limit_mib": 1, "spike_limit_mib": 0}},
        "service": {"pipelines": {"traces": {"processors": ["memory_limiter", "batch"]}}},
    }))  # fmt: skip
    time.sleep(0.3)  # one check_interval, so the limiter has measured the heap
    return col


PLAIN: Make = lambda start, _: start(peers.collector_config(None))  # noqa: E731
TLS, WRONG_HOST, EXPIRED, MTLS = (
    _tls("server"),
    _tls("wrong_host"),
    _tls("expired"),
    _tls("server", mtls=True),
)
BEARER = _auth("bearertokenauth", {"token": "s3cr3t-t0ken"})
BASIC = _auth("basicauth", {"htpasswd": {"inline": "otdiag:pa55word"}})


def g(col: peers.Collector) -> str:
    assert col.otlp_grpc
    return col.otlp_grpc


def h(col: peers.Collector) -> str:
    assert col.otlp_http
    return col.otlp_http


@dataclass
class Fault:
    """One row of the matrix: where to send, how, and the diagnosis expected."""

    name: str
    make: Make | None
    """The collector to start (None: a dead port)."""
    port: str
    """Which receiver port to aim at: grpc or http."""
    url: str
    """The endpoint, with {} where host:port goes."""
    args: list[str]
    code: str
    stage: str = "collector-ingest"
    env: str | None = None
    """Put the endpoint in this variable instead of --endpoint."""

    def invocation(self, start: Starter, certs: Certs) -> tuple[list[str], dict[str, str]]:
        if self.make is None:
            hostport = f"127.0.0.1:{peers.free_port()}"
        else:
            col = self.make(start, certs)
            hostport = g(col) if self.port == "grpc" else h(col)
        endpoint = self.url.format(hostport)
        args = [a.format(ca=certs.ca, other_ca=certs.other_ca) for a in self.args]
        if self.env:
            return args, {self.env: endpoint}
        return [f"--endpoint={endpoint}", *args], {}


GRPC, CA, OTHER_CA = "--protocol=grpc", "--ca-file={ca}", "--ca-file={other_ca}"
FAULTS = [
    # name                                 collector   port    endpoint                  extra args             diagnosis
    Fault("dead port grpc",                None,       "grpc", "http://{}",              [GRPC],                "ingest.refused"),
    Fault("dead port http",                None,       "http", "http://{}",              [],                    "ingest.refused"),
    Fault("grpc to the http port",         PLAIN,      "http", "http://{}",              [GRPC],                "ingest.grpc-to-http-port"),
    Fault("http to the grpc port",         PLAIN,      "grpc", "http://{}",              ["--protocol=http/protobuf"], "ingest.http-to-grpc-port"),
    Fault("json to the grpc port",         PLAIN,      "grpc", "http://{}",              ["--protocol=http/json"], "ingest.http-to-grpc-port"),
    Fault("grpc tls to plaintext",         PLAIN,      "grpc", "https://{}",             [GRPC],                "ingest.tls-to-plaintext"),
    Fault("grpc no scheme means tls",      PLAIN,      "grpc", "{}",                     [GRPC],                "ingest.tls-to-plaintext"),
    Fault("http tls to plaintext",         PLAIN,      "http", "https://{}",             [],                    "ingest.tls-to-plaintext"),
    Fault("grpc plaintext to tls",         TLS,        "grpc", "http://{}",              [GRPC],                "ingest.plaintext-to-tls"),
    Fault("http plaintext to tls",         TLS,        "http", "http://{}",              [],                    "ingest.plaintext-to-tls"),
    Fault("grpc unknown ca",               TLS,        "grpc", "https://{}",             [GRPC, OTHER_CA],      "ingest.tls-unknown-ca"),
    Fault("http no ca given",              TLS,        "http", "https://{}",             [],                    "ingest.tls-unknown-ca"),
    Fault("http host name mismatch",       WRONG_HOST, "http", "https://{}",             [CA],                  "ingest.tls-hostname"),
    Fault("grpc host name mismatch",       WRONG_HOST, "grpc", "https://{}",             [GRPC, CA],            "ingest.tls-hostname"),
    Fault("http expired certificate",      EXPIRED,    "http", "https://{}",             [CA],                  "ingest.tls-expired"),
    Fault("grpc expired certificate",      EXPIRED,    "grpc", "https://{}",             [GRPC, CA],            "ingest.tls-expired"),
    Fault("http mtls, no client cert",     MTLS,       "http", "https://{}",             [CA],                  "ingest.tls-client-cert"),
    Fault("grpc mtls, no client cert",     MTLS,       "grpc", "https://{}",             [GRPC, CA],            "ingest.tls-client-cert"),
    Fault("grpc bearer token missing",     BEARER,     "grpc", "http://{}",              [GRPC],                "ingest.auth"),
    Fault("http bearer token wrong",       BEARER,     "http", "http://{}",              ["--header=Authorization=Bearer x"], "ingest.auth"),
    Fault("http basic auth missing",       BASIC,      "http", "http://{}",              [],                    "ingest.auth"),
    Fault("http path does not exist",      PLAIN,      "http", "http://{}/otlp/v2",      [],                    "ingest.http-404"),
    Fault("http path appended twice",      PLAIN,      "http", "http://{}/v1/traces",    [],                    "ingest.path-doubled",
          env="OTEL_EXPORTER_OTLP_ENDPOINT"),
    Fault("http traces endpoint, no path", PLAIN,      "http", "http://{}",              [],                    "ingest.path-missing",
          env="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
    Fault("http receiver not for traces",  _metrics_only, "http", "http://{}",           [],                    "ingest.no-traces-pipeline"),
    Fault("grpc receiver not for traces",  _metrics_only, "grpc", "http://{}",           [GRPC],                "ingest.no-traces-pipeline"),
    Fault("grpc message over 4 MiB",       PLAIN,      "grpc", "http://{}",              [GRPC, "--attribute=big=" + "x" * 5_000_000],
          "ingest.too-large"),
    Fault("http memory_limiter refusing",  _memory_limited, "http", "http://{}",         [],                    "collector.refusing",
          stage="collector"),
    Fault("grpc memory_limiter refusing",  _memory_limited, "grpc", "http://{}",         [GRPC],                "collector.refusing",
          stage="collector"),
]  # fmt: skip


@pytest.mark.peers
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_failure_is_classified(fault: Fault, start_collector: Callable[..., peers.Collector], certs: Certs) -> None:
    args, env = fault.invocation(start_collector, certs)
    res = send(*args, env=env)
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    err = first_error(res)
    assert (err["code"], err["stage"]) == (fault.code, fault.stage), err
    assert err["guide"] == "traces-not-collected"
    assert err["hint"]
    assert "Traceback" not in res.stdout + res.stderr


@pytest.mark.peers
def test_valid_tls_and_mtls_are_accepted(start_collector: Callable[..., peers.Collector], certs: Certs) -> None:
    col = _tls_collector(start_collector, {**certs.server, "client_ca_file": certs.ca})
    client = [f"--ca-file={certs.ca}", f"--cert-file={certs.client_cert}", f"--key-file={certs.client_key}"]
    for args in ([f"--endpoint=https://{h(col)}"], [f"--endpoint=https://{g(col)}", "--protocol=grpc"]):
        res = send(*args, *client)
        assert res.exit_code == ExitCode.OK, res.stdout
        assert res.json()["settings"]["tls"] == "on"


@pytest.mark.peers
def test_right_bearer_token_is_accepted_and_never_printed(
    start_collector: Callable[..., peers.Collector],
) -> None:
    col = BEARER(start_collector, None)  # type: ignore[arg-type]
    for args in ([f"--endpoint=http://{h(col)}"], [f"--endpoint=http://{g(col)}", "--protocol=grpc"]):
        res = send(*args, "--header", "Authorization=Bearer s3cr3t-t0ken")
        assert res.exit_code == ExitCode.OK, res.stdout
        assert "s3cr3t-t0ken" not in res.stdout + res.stderr
        assert res.json()["settings"]["headers"] == {"authorization": "<redacted>"}
    wrong = run("send-test-span", f"--endpoint=http://{h(col)}", "--header", "Authorization=Bearer wr0ng-secret-value")
    assert wrong.exit_code == ExitCode.PROBLEM
    assert "wr0ng-secret-value" not in wrong.stdout + wrong.stderr


@pytest.mark.peers
def test_env_headers_are_url_decoded_and_redacted(start_collector: Callable[..., peers.Collector]) -> None:
    col = BEARER(start_collector, None)  # type: ignore[arg-type]
    env = {"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20s3cr3t-t0ken"}
    res = send(f"--endpoint=http://{h(col)}", env=env)
    assert res.exit_code == ExitCode.OK, res.stdout
    assert "s3cr3t-t0ken" not in res.stdout
    explain = run("send-test-span", "--explain", env=env)
    assert "s3cr3t-t0ken" not in explain.stdout and "authorization=<redacted>" in explain.stdout


@pytest.mark.peers
def test_rotel_and_the_collector_answer_a_bad_content_type_differently(
    start_collector: Callable[..., peers.Collector], start_rotel: Callable[..., peers.Rotel]
) -> None:
    """Classify by what is observable: the collector says 415, rotel says 400 with no body."""
    from otdiag.collector import attempt_findings
    from otdiag.model import Protocol
    from otdiag.otlp.attempt import Attempt

    codes = {}
    collector = h(start_collector(peers.collector_config(None)))
    for name, endpoint in (("collector", collector), ("rotel", start_rotel(None).otlp_http)):
        url = f"http://{endpoint}/v1/traces"
        res = http_export.export(url, b"not otlp", content_type="text/plain", headers={}, timeout=3)
        host, port = endpoint.split(":")
        at = Attempt(Protocol.HTTP_PROTOBUF, url, host, int(port), False, "/v1/traces")
        finding = attempt_findings.from_result(res, at, sent_spans=1)
        assert finding is not None
        codes[name] = (res.http_status, finding.code)
    assert codes == {"collector": (415, "ingest.http-415"), "rotel": (400, "ingest.http-400")}


@pytest.mark.peers
def test_rotel_grpc_to_its_http_port_is_a_port_mix_up(start_rotel: Callable[..., peers.Rotel]) -> None:
    rotel = start_rotel(None)
    res = send(f"--endpoint=http://{rotel.otlp_http}", "--protocol=grpc")
    assert first_error(res)["code"] == "ingest.grpc-to-http-port"
    res = send(f"--endpoint=http://{rotel.otlp_grpc}", "--protocol=http/protobuf")
    assert first_error(res)["code"] == "ingest.http-to-grpc-port"


# --- hand-made: what no real peer does ---------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_black_hole_ends_within_the_timeout(protocol: str) -> None:
    with hostile.black_hole() as port:
        started = time.monotonic()
        res = run(
            "send-test-span",
            f"--endpoint=http://127.0.0.1:{port}",
            f"--protocol={protocol}",
            "--timeout=1s",
            "--json",
        )
        took = time.monotonic() - started
    assert res.exit_code == ExitCode.PROBLEM
    assert first_error(res)["code"] == "ingest.timeout"
    assert took < within(1), took


def test_hung_server_ends_within_the_timeout() -> None:
    with hostile.silent_server() as port:
        started = time.monotonic()
        res = run("send-test-span", f"--endpoint=http://127.0.0.1:{port}", "--timeout=1s", "--json")
        took = time.monotonic() - started
    assert first_error(res)["code"] == "ingest.no-answer"
    assert took < within(1), took


def test_partial_success_is_reported_with_the_receivers_message() -> None:
    body = json.dumps({"partialSuccess": {"rejectedSpans": "1", "errorMessage": "span name too long"}}).encode()
    with hostile.http_server(hostile.reply(200, body, "application/json")) as port:
        res = send(f"--endpoint=http://127.0.0.1:{port}", "--protocol=http/json")
    doc = res.json()
    assert res.exit_code == ExitCode.PROBLEM
    assert (doc["sent"], doc["accepted"], doc["rejected"]) == (1, 0, 1)
    err = first_error(res)
    assert err["code"] == "ingest.partial-success"
    assert "span name too long" in err["message"]


def test_an_html_page_answering_200_is_not_an_otlp_receiver() -> None:
    with hostile.http_server(hostile.reply(200, b"<html>Jaeger UI</html>", "text/html")) as port:
        res = send(f"--endpoint=http://127.0.0.1:{port}")
    assert first_error(res)["code"] == "ingest.not-otlp"


def test_a_flooding_server_does_not_hang_or_exhaust_memory() -> None:
    with hostile.http_server(hostile.flood("application/x-protobuf")) as port:
        started = time.monotonic()
        res = send(f"--endpoint=http://127.0.0.1:{port}")
    assert time.monotonic() - started < 6
    assert res.exit_code in (ExitCode.OK, ExitCode.PROBLEM)
    assert "Traceback" not in res.stderr


def test_503_with_retry_after_is_the_collector_refusing() -> None:
    with hostile.http_server(hostile.reply(503, b"busy", "text/plain", {"Retry-After": "7"})) as port:
        res = send(f"--endpoint=http://127.0.0.1:{port}")
    err = first_error(res)
    assert (err["code"], err["stage"]) == ("collector.refusing", "collector")
    assert "Retry-After: 7" in err["message"]


def test_unresolvable_host_is_a_dns_finding() -> None:
    for protocol in ("grpc", "http/protobuf"):
        res = send("--endpoint=http://otdiag-no-such-host.invalid:4318", f"--protocol={protocol}")
        assert first_error(res)["code"] == "ingest.dns", protocol


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--endpoint", "not a url"], {}, "contains spaces"),
        (["--endpoint", "ftp://localhost:4318"], {}, "must start with http:// or https://"),  # host:port is taken
        (["--endpoint", "http://h:70000"], {}, "invalid port"),
        (["--protocol", "thrift"], {}, "thrift"),
        (["--header", "Authorization"], {}, "must be written NAME=VALUE"),
        (["--ca-file", "/no/such/ca.pem"], {}, "does not exist"),
        (["--count", "-5"], {}, "--count: -5 must be at least 1"),
        (["--timeout", "-1"], {}, "--timeout: '-1' must be a positive duration"),
        (["--rate", "0", "--count", "10"], {}, "--rate"),
        (["--cert-file", __file__], {}, "go together"),
        (["--attribute", "novalue"], {}, "KEY=VALUE"),
        ([], {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/thrift"}, "OTEL_EXPORTER_OTLP_PROTOCOL='http/thrift'"),
        (
            [],
            {
                "OTEL_EXPORTER_OTLP_CERTIFICATE": "/no/such.pem",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://x:4318",
            },
            "OTEL_EXPORTER_OTLP_CERTIFICATE: /no/such.pem does not exist",
        ),
    ],
)
def test_bad_input_is_exit_2_with_one_line(args: list[str], env: dict[str, str], expected: str) -> None:
    res = run("send-test-span", *args, env={"COLUMNS": "1000", **env})  # one line at 1000 columns (wraps when narrower)
    assert res.exit_code == ExitCode.USAGE, (res.stdout, res.stderr)
    assert expected in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr


def test_explain_shows_where_each_setting_came_from() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
           "OTEL_EXPORTER_OTLP_INSECURE": "true"}  # fmt: skip
    res = run("send-test-span", "--explain", "--json", env=env)
    assert res.exit_code == ExitCode.OK
    s = res.json()["settings"]
    assert (s["endpoint"], s["protocol"], s["tls"]) == ("collector:4317", "grpc", "off")
    assert s["sources"]["tls"] == "no scheme, OTEL_EXPORTER_OTLP_INSECURE"


@pytest.mark.peers
def test_load_mode_counts_every_span(start_collector: Callable[..., peers.Collector]) -> None:
    col = start_collector(peers.collector_config(None))
    for protocol, endpoint in (("grpc", g(col)), ("http/protobuf", h(col)), ("http/json", h(col))):
        res = send(f"--endpoint=http://{endpoint}", f"--protocol={protocol}", "--count=3000", "--batch-size=500")
        doc = res.json()
        assert res.exit_code == ExitCode.OK, doc
        assert (doc["sent"], doc["accepted"], doc["failed"]) == (3000, 3000, 0)
        assert doc["spans_per_second"] > 0


def test_load_mode_against_a_dead_port_stops_early_and_fails() -> None:
    res = send(f"--endpoint=http://127.0.0.1:{peers.free_port()}", "--count=100000")
    doc = res.json()
    assert res.exit_code == ExitCode.PROBLEM
    assert doc["accepted"] == 0 and doc["sent"] < 100000
    assert first_error(res)["code"] == "ingest.refused"


@pytest.mark.peers
def test_verify_waits_until_jaeger_shows_the_trace(collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]) -> None:
    collector, jaeger = collector_to_jaeger
    res = send(f"--endpoint=http://{h(collector)}", "--jaeger-url", jaeger.query_url, "--verify")
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc
    assert doc["verified"] is True and 0 <= doc["time_to_visible_ms"] < 30000


@pytest.mark.peers
def test_verify_fails_when_the_collector_drops_the_span(start_collector: Callable[..., peers.Collector]) -> None:
    """Accepted by the collector, exported to nowhere Jaeger can see: heading 2."""
    jaeger_query = f"http://127.0.0.1:{peers.free_port()}"
    with hostile.http_server(
        hostile.reply(404, b'{"error":{"httpCode":404,"message":"No traces found"}}', "text/plain")
    ) as port:
        col = start_collector(peers.collector_config(None))
        res = send(
            f"--endpoint=http://{h(col)}", f"--jaeger-url=http://127.0.0.1:{port}", "--verify", "--verify-wait=1s"
        )
    err = first_error(res)
    assert (err["code"], err["stage"], err["guide"]) == (
        "trace.not-visible",
        "collector-export",
        "traces-not-in-jaeger",
    )
    assert jaeger_query  # a dead query URL is covered by find-trace's tests
