"""`otdiag check` on real peers: the healthy pipeline has no false alarm, and every fault is located.

The fault matrix below is the table the issue asks for: each row sets one
fault up for real (the collector, Jaeger and the app's environment), and the
first error must name the right stage of App -> SDK -> Collector -> Jaeger and
the right heading of the troubleshooting guide.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from otdiag.model import ExitCode
from tests import hostile, peers
from tests.bounds import within
from tests.cli_runner import Result, run
from tests.sdk_app import send_span

APP_ENV = {"OTEL_SERVICE_NAME": "shop", "OTEL_TRACES_EXPORTER": "otlp"}


def check(tmp: Path, env: dict[str, str], *args: str) -> Result:
    """check with the app's environment given as --env-file (never this test runner's environment)."""
    env_file = tmp / f"app-{peers.free_port()}.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return run("check", "--env-file", str(env_file), "--json", "--timeout", "2s", *args)


def errors(res: Result) -> list[dict[str, Any]]:
    return [f for f in res.json()["findings"] if f["severity"] == "error"]


# --- no peers ------------------------------------------------------------------------------------------


def test_nothing_running_is_diagnosed_as_collector_down_then_jaeger_unreachable(tmp_path: Path) -> None:
    res = check(
        tmp_path, APP_ENV,
        "--otlp-endpoint", f"http://127.0.0.1:{peers.free_port()}", "--protocol", "grpc",
        "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}",
        "--collector-health-url", f"http://127.0.0.1:{peers.free_port()}",
        "--collector-metrics-url", f"http://127.0.0.1:{peers.free_port()}/metrics",
    )  # fmt: skip
    assert res.exit_code == ExitCode.PROBLEM
    doc = res.json()
    assert doc["command"] == "check" and doc["ok"] is False and doc["schema_version"] == "1"
    assert [f["code"] for f in errors(res)] == ["ingest.collector-down", "jaeger.unreachable"]
    first = errors(res)[0]
    assert (first["stage"], first["guide"]) == ("collector-ingest", "traces-not-collected")
    steps = {s["name"]: s["status"] for s in doc["steps"]}
    assert steps["collector-otlp-grpc"] == "fail" and steps["jaeger-query"] == "fail"
    assert steps["end-to-end"] == "skip"
    assert doc["trace_id"] is None and doc["time_to_visible_ms"] is None


def test_human_output_shows_the_hops_the_fix_and_a_verdict(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("OTEL_SERVICE_NAME=shop\n")
    res = run("check", "--env-file", str(env_file), "--otlp-endpoint", f"http://127.0.0.1:{peers.free_port()}",
              "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}", "--timeout", "1s")  # fmt: skip
    assert res.exit_code == ExitCode.PROBLEM
    out = res.stdout
    assert "App ✓ ──▶ SDK ✓ ──▶ Collector ✗ ──▶ Jaeger ✗" in out
    assert "Traces are not being collected" in out and "Traces are not being displayed in Jaeger" in out
    assert "fix: Start the collector" in out
    # The verdict is the last paragraph (wrapped at the width like every other line).
    verdict = " ".join(out.strip().split("\n\n")[-1].split())
    assert verdict.startswith("Broken between the app and the Collector: Traces are not being collected"), verdict
    assert "Traceback" not in out + res.stderr


def test_a_dead_or_black_holed_pipeline_ends_within_about_one_timeout(tmp_path: Path) -> None:
    with hostile.black_hole() as hole, hostile.black_hole() as hole2:
        started = time.monotonic()
        res = run("check", "--env-file", "/dev/null", "--json", "--timeout", "1s",
                  "--otlp-endpoint", f"http://127.0.0.1:{hole}", "--protocol", "grpc",
                  "--jaeger-url", f"http://127.0.0.1:{hole2}")  # fmt: skip
        took = time.monotonic() - started
    assert res.exit_code == ExitCode.PROBLEM
    assert errors(res)[0]["code"] == "ingest.timeout"
    assert took < within(1), took


@pytest.mark.parametrize(
    ("env", "code", "guide"),
    [
        ({"OTEL_TRACES_SAMPLER": "always_off"}, "app.sampler-drops-all", "spans-not-created"),
        ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, "app.sampler-drops-all",
         "spans-not-created"),
        ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"}, "app.sampler-arg-invalid",
         "spans-not-created"),
        ({"OTEL_TRACES_EXPORTER": "none"}, "app.exporter-none", "spans-not-created"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "app.exporter-console", "spans-not-created"),
        ({"OTEL_TRACES_EXPORTER": "jaeger", "OTEL_EXPORTER_JAEGER_ENDPOINT": "http://jaeger:14268/api/traces"},
         "app.exporter-jaeger", "spans-not-created"),
        ({"OTEL_SDK_DISABLED": "true"}, "app.sdk-disabled", "spans-not-created"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP/PROTOBUF"}, "app.exporter-unknown", "spans-not-created"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"},
         "app.protocol-port-mismatch", "traces-not-collected"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
          "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318/v1/traces"},
         "app.endpoint-path-doubled", "traces-not-collected"),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://localhost:4318"},
         "app.traces-endpoint-no-path", "traces-not-collected"),
    ],
)  # fmt: skip
def test_the_apps_environment_is_read(env: dict[str, str], code: str, guide: str, tmp_path: Path) -> None:
    res = check(tmp_path, {**APP_ENV, **env}, "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}", "--no-e2e")
    first = errors(res)[0]
    assert (first["code"], first["stage"], first["guide"]) == (code, "app", guide), first


def test_warnings_for_the_apps_environment(tmp_path: Path) -> None:
    env = {"OTEL_TRACES_SAMPLER_ARG": "always_off", "OTEL_EXPORTER_JAEGER_AGENT_HOST": "jaeger",
           "OTEL_PROPAGATORS": "none"}  # fmt: skip
    res = check(tmp_path, env, "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}", "--no-e2e")
    codes = {f["code"] for f in res.json()["findings"] if f["stage"] == "app"}
    assert {"app.sampler-arg-ignored", "app.jaeger-variables", "app.propagators-none", "app.no-service-name"} <= codes


def test_secrets_in_headers_never_appear(tmp_path: Path) -> None:
    env = {**APP_ENV, "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20sup3r-s3cret-t0ken"}
    for extra in ([], ["--header", "x-api-key=an0ther-s3cret"]):
        res = check(tmp_path, env, "--otlp-endpoint", f"http://127.0.0.1:{peers.free_port()}",
                    "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}", *extra)  # fmt: skip
        human = run("check", "--env-file", "/dev/null", *extra, "--timeout", "1s",
                    "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}")  # fmt: skip
        for text in (res.stdout, res.stderr, human.stdout, human.stderr):
            assert "sup3r-s3cret-t0ken" not in text and "an0ther-s3cret" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "-1"], "--timeout"),
        (["--otlp-endpoint", "not a url"], "--endpoint"),
        (["--jaeger-url", "jaeger:16686"], "must start with http://"),
        (["--config", "/no/such/collector.yaml"], "--config: /no/such/collector.yaml does not exist"),
        (["--env-file", "/no/such.env"], "--env-file: /no/such.env does not exist"),
        (["--wait", "forever"], "--wait"),
    ],
)
def test_bad_requests_are_exit_2_with_one_line(args: list[str], message: str) -> None:
    res = run("check", *args, env={"COLUMNS": "1000"})  # one line at 1000 columns (it wraps when narrower)
    assert res.exit_code == ExitCode.USAGE, res.stdout
    assert message in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_an_unreadable_config_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("receivers: [unclosed\n")
    res = run("check", "--config", str(bad))
    assert res.exit_code == ExitCode.USAGE and "cannot be read as a collector config at line 2" in res.stderr
    bad.write_bytes(b"\xff\xfe\x00binary")
    assert run("check", "--config", str(bad)).exit_code == ExitCode.USAGE


# --- the fault matrix, on real peers -------------------------------------------------------------------


@dataclass
class Setup:
    """What a fault row builds: peers, the app's environment, and extra check arguments."""

    collector: dict[str, Any] | None = field(default_factory=dict)
    """Overrides merged into the collector's config; None: no collector at all."""
    exporter: dict[str, Any] | None = None
    """The collector's exporter towards Jaeger (default: otlp_grpc to Jaeger's 4317, plaintext)."""
    jaeger: dict[str, Any] | None = field(default_factory=dict)
    """Overrides for Jaeger's config; None: Jaeger is stopped before the check."""
    env: Callable[[peers.Collector, peers.Jaeger], dict[str, str]] | None = None
    """The app's environment (default: gRPC to the collector)."""
    args: Callable[[peers.Collector, peers.Jaeger], list[str]] = lambda c, j: []
    wait: str = "8s"
    before: Callable[[peers.Collector, peers.Jaeger], None] | None = None


def _grpc_env(c: peers.Collector, _: peers.Jaeger) -> dict[str, str]:
    return {**APP_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{c.otlp_grpc}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}


def _http_env(c: peers.Collector, _: peers.Jaeger) -> dict[str, str]:
    return {**APP_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{c.otlp_http}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}  # fmt: skip


def _env(**extra: str) -> Callable[[peers.Collector, peers.Jaeger], dict[str, str]]:
    return lambda c, j: {**_grpc_env(c, j), **extra}


def _jaeger_port(which: str) -> Callable[[peers.Jaeger], str]:
    return {
        "grpc": lambda j: j.otlp_grpc,
        "http": lambda j: j.otlp_http,
        "query": lambda j: j.query_url.removeprefix("http://"),
    }[which]


def _fill_queue(c: peers.Collector, _: peers.Jaeger) -> None:
    assert c.otlp_grpc
    for _i in range(6):
        send_span(c.otlp_grpc, service="filler")
    time.sleep(0.5)


DEAD = "127.0.0.1:1"  # a reserved port nothing listens on

FAULTS: list[tuple[str, Setup, str, str, str]] = [
    # fault                                    setup                                                              first error                      stage               guide
    ("collector down",                          Setup(collector=None, env=lambda c, j: {**APP_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{peers.free_port()}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}),
                                                "ingest.collector-down",                  "collector-ingest", "traces-not-collected"),
    ("app pointed at the wrong port",           Setup(env=_env(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://{DEAD}")),
                                                "ingest.refused",                  "collector-ingest", "traces-not-collected"),
    ("grpc sent to the http port",              Setup(env=lambda c, j: {**_grpc_env(c, j), "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{c.otlp_http}"}),
                                                "ingest.grpc-to-http-port",        "collector-ingest", "traces-not-collected"),
    ("http sent to the grpc port",              Setup(env=lambda c, j: {**_http_env(c, j), "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{c.otlp_grpc}"}),
                                                "ingest.http-to-grpc-port",        "collector-ingest", "traces-not-collected"),
    ("app speaks tls, collector plaintext",     Setup(env=lambda c, j: {**_grpc_env(c, j), "OTEL_EXPORTER_OTLP_ENDPOINT": f"https://{c.otlp_grpc}"}),
                                                "ingest.tls-to-plaintext",         "collector-ingest", "traces-not-collected"),
    ("grpc without scheme means tls",           Setup(env=lambda c, j: {**_grpc_env(c, j), "OTEL_EXPORTER_OTLP_ENDPOINT": str(c.otlp_grpc)}),
                                                "ingest.tls-to-plaintext",         "collector-ingest", "traces-not-collected"),
    ("app plaintext, collector tls",            Setup(collector={"receivers": {"otlp": {"protocols": {"grpc": {"tls": "CERTS"}}}}}),
                                                "ingest.plaintext-to-tls",         "collector-ingest", "traces-not-collected"),
    ("collector requires a bearer token",       Setup(collector={"extensions": {"bearertokenauth": {"token": "t0ken-t0ken"}},
                                                                 "service": {"extensions": ["health_check", "bearertokenauth"]},
                                                                 "receivers": {"otlp": {"protocols": {"grpc": {"auth": {"authenticator": "bearertokenauth"}}}}}}),
                                                "ingest.auth",                     "collector-ingest", "traces-not-collected"),
    ("receiver bound to another address",       Setup(collector={"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "127.0.0.2:PORT"}}}}},
                                                      env=lambda c, j: {**_grpc_env(c, j), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:" + str(c.otlp_grpc).rpartition(":")[2]}),
                                                "ingest.refused",                  "collector-ingest", "traces-not-collected"),
    ("memory_limiter refusing",                 Setup(collector={"processors": {"memory_limiter": {"check_interval": "100ms", "limit_mib": 1, "spike_limit_mib": 0}},
                                                                 "service": {"pipelines": {"traces": {"processors": ["memory_limiter", "batch"]}}}},
                                                      before=lambda c, j: time.sleep(0.5)),
                                                "collector.refusing",              "collector",        "traces-not-collected"),
    ("probabilistic sampler at 0%",             Setup(collector={"processors": {"probabilistic_sampler": {"sampling_percentage": 0}},
                                                                 "service": {"pipelines": {"traces": {"processors": ["probabilistic_sampler", "batch"]}}}}),
                                                "collector.processor-dropped",     "collector",        "traces-not-in-jaeger"),
    ("tail_sampling still deciding",            Setup(collector={"processors": {"tail_sampling": {"decision_wait": "60s", "policies": [{"name": "all", "type": "always_sample"}]}},
                                                                 "service": {"pipelines": {"traces": {"processors": ["tail_sampling", "batch"]}}}}, wait="3s"),
                                                "collector.tail-sampling-holds",   "collector",        "traces-not-in-jaeger"),
    ("exporter aimed at a dead port",           Setup(exporter={"endpoint": DEAD, "tls": {"insecure": True}}),
                                                "export.refused",                  "collector-export", "traces-not-in-jaeger"),
    ("exporter speaks grpc to jaeger's http",   Setup(exporter={"endpoint": "JAEGER:http", "tls": {"insecure": True}}),
                                                "export.grpc-to-http-port",        "collector-export", "traces-not-in-jaeger"),
    ("exporter aimed at jaeger's ui 16686",     Setup(exporter={"endpoint": "JAEGER:query", "tls": {"insecure": True}}),
                                                "export.grpc-to-http-port",        "collector-export", "traces-not-in-jaeger"),
    ("exporter tls on, jaeger plaintext",       Setup(exporter={"endpoint": "JAEGER:grpc"}),
                                                "export.tls-to-plaintext",         "collector-export", "traces-not-in-jaeger"),
    ("exporter queue full",                     Setup(exporter={"endpoint": DEAD, "tls": {"insecure": True},
                                                                "sending_queue": {"queue_size": 2, "num_consumers": 1}},
                                                      collector={"service": {"pipelines": {"traces": {"processors": []}}}}, before=_fill_queue),
                                                "export.queue-full",               "collector-export", "traces-not-in-jaeger"),
    ("jaeger's otlp receiver in no pipeline",   Setup(jaeger={"receivers": {"zipkin": {"endpoint": "127.0.0.1:ZPORT"}},
                                                              "service": {"pipelines": {"traces": {"receivers": ["zipkin"]}}}}),
                                                "export.refused",                  "collector-export", "traces-not-in-jaeger"),
    ("jaeger down, collector up",               Setup(jaeger=None),
                                                "jaeger.unreachable",              "jaeger",           "traces-not-in-jaeger"),
    ("jaeger url aimed at the collector",       Setup(args=lambda c, j: ["--jaeger-url", f"http://{c.otlp_http}"]),
                                                "jaeger.not-query-api",            "jaeger",           "traces-not-in-jaeger"),
    ("sampler always_off",                      Setup(env=_env(OTEL_TRACES_SAMPLER="always_off")),
                                                "app.sampler-drops-all",           "app",              "spans-not-created"),
    ("traces exporter none",                    Setup(env=_env(OTEL_TRACES_EXPORTER="none")),
                                                "app.exporter-none",               "app",              "spans-not-created"),
    ("path appended twice",                     Setup(env=lambda c, j: {**_http_env(c, j), "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{c.otlp_http}/v1/traces"}),
                                                "app.endpoint-path-doubled",       "app",              "traces-not-collected"),
]  # fmt: skip


def _certs(tmp: Path) -> dict[str, str]:
    import trustme

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    leaf.cert_chain_pems[0].write_to_path(str(tmp / "srv.pem"))
    leaf.private_key_pem.write_to_path(str(tmp / "srv.key"))
    return {"cert_file": str(tmp / "srv.pem"), "key_file": str(tmp / "srv.key")}


def _fill(node: Any, tmp: Path, jaeger: peers.Jaeger) -> Any:
    """Placeholders in a row: CERTS, PORT (a free port), JAEGER:<grpc|http|query>, ZPORT."""
    if isinstance(node, dict):
        return {k: _fill(v, tmp, jaeger) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, tmp, jaeger) for v in node]
    if node == "CERTS":
        return _certs(tmp)
    if isinstance(node, str) and node.startswith("JAEGER:"):
        return _jaeger_port(node.removeprefix("JAEGER:"))(jaeger)
    if isinstance(node, str) and ("PORT" in node):
        return node.replace("ZPORT", str(peers.free_port())).replace("PORT", str(peers.free_port()))
    return node


def _run_fault(
    setup: Setup,
    tmp: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
) -> Result:
    jaeger = start_jaeger(_fill(setup.jaeger or {}, tmp, _placeholder_jaeger()))
    exporter = _fill(setup.exporter, tmp, jaeger) if setup.exporter else None
    collector: peers.Collector
    if setup.collector is None:
        cfg = peers.collector_config(jaeger.otlp_grpc)
        collector = peers.Collector(peers.PeerProcess("none", [], tmp / "none.log"), cfg, tmp / "none.yaml",
                                    otlp_grpc=f"127.0.0.1:{peers.free_port()}", otlp_http=f"127.0.0.1:{peers.free_port()}",
                                    health_url=f"http://127.0.0.1:{peers.free_port()}",
                                    metrics_url=f"http://127.0.0.1:{peers.free_port()}/metrics")  # fmt: skip
    else:
        overrides = _fill(setup.collector, tmp, jaeger)
        cfg = peers.collector_config(jaeger.otlp_grpc, exporter=exporter, overrides=overrides)
        collector = start_collector(cfg)
    if setup.before:
        setup.before(collector, jaeger)
    if setup.jaeger is None:
        jaeger.stop()
    env = (setup.env or _grpc_env)(collector, jaeger)
    args = ["--jaeger-url", jaeger.query_url, "--collector-health-url", str(collector.health_url),
            "--collector-metrics-url", str(collector.metrics_url), "--wait", setup.wait,
            *setup.args(collector, jaeger)]  # fmt: skip
    if setup.collector is not None:
        args += ["--config", str(collector.config_path)]
    return check(tmp, env, *args)


def _placeholder_jaeger() -> peers.Jaeger:
    return peers.Jaeger(peers.PeerProcess("x", [], Path("/dev/null")), {}, "", "", "", "", "", "")


@pytest.mark.peers
@pytest.mark.matrix(collector_peer=peers.COLLECTORS, jaeger_peer=peers.JAEGERS)
def test_healthy_real_pipeline_has_no_error_and_no_warning(
    tmp_path: Path, start_jaeger: Callable[..., peers.Jaeger], start_collector: Callable[..., peers.Collector]
) -> None:
    for env in (_grpc_env, _http_env):
        res = _run_fault(Setup(env=env), tmp_path, start_jaeger, start_collector)
        doc = res.json()
        assert res.exit_code == ExitCode.OK, doc["findings"]
        assert [f for f in doc["findings"] if f["severity"] in ("error", "warning")] == []
        steps = {s["name"]: s["status"] for s in doc["steps"]}
        assert steps["end-to-end"] == "pass" and steps["collector-health"] == "pass"
        assert steps["collector-metrics"] == "pass" and steps["jaeger-query"] == "pass"
        assert steps["app-env"] == "pass"
        assert len(doc["trace_id"]) == 32 and 0 < doc["time_to_visible_ms"] < 8000


@pytest.mark.peers
def test_healthy_pipeline_through_rotel(
    tmp_path: Path, jaeger: peers.Jaeger, start_rotel: Callable[..., peers.Rotel]
) -> None:
    """A second collector implementation: the same verdict without health or metrics endpoints."""
    rotel = start_rotel(jaeger.otlp_grpc)
    env = {**APP_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{rotel.otlp_grpc}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    res = check(tmp_path, env, "--jaeger-url", jaeger.query_url,
                "--collector-health-url", f"http://127.0.0.1:{peers.free_port()}")  # fmt: skip
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc["findings"]
    assert {s["name"]: s["status"] for s in doc["steps"]}["end-to-end"] == "pass"


# The version matrix: the whole table runs on the newest collector (and Jaeger v2). The rows whose
# diagnosis reads what changed between releases (the collector's metrics, its health, its receiver
# and exporter settings) run on every collector; the rows that need no Jaeger config also run on
# Jaeger v1's all-in-one.
ACROSS_COLLECTORS = {
    "memory_limiter refusing", "probabilistic sampler at 0%", "tail_sampling still deciding",
    "exporter aimed at a dead port", "exporter queue full", "collector requires a bearer token",
    "app plaintext, collector tls", "grpc sent to the http port",
}  # fmt: skip
ON_JAEGER_V1 = {
    "exporter aimed at a dead port", "exporter speaks grpc to jaeger's http", "exporter aimed at jaeger's ui 16686",
    "exporter tls on, jaeger plaintext", "jaeger down, collector up", "jaeger url aimed at the collector",
    "probabilistic sampler at 0%",
}  # fmt: skip


def _fault_matrix() -> list[Any]:
    rows = []
    for row in FAULTS:
        for collector in peers.COLLECTORS:
            if collector == peers.COLLECTORS[0] or row[0] in ACROSS_COLLECTORS:
                rows.append(pytest.param(*row, collector, "jaeger", id=f"{row[0]}@{peers.label(collector)}"))
        if row[0] in ON_JAEGER_V1:
            rows.append(pytest.param(*row, peers.COLLECTORS[0], "jaeger-v1", id=f"{row[0]}@jaeger-v1"))
    return rows


@pytest.mark.peers
@pytest.mark.parametrize(
    ("fault", "setup", "code", "stage", "guide", "collector_peer", "jaeger_peer"),
    _fault_matrix(),
    indirect=["collector_peer", "jaeger_peer"],
)
def test_fault_is_located(
    fault: str,
    setup: Setup,
    code: str,
    stage: str,
    guide: str,
    collector_peer: str,
    jaeger_peer: str,
    tmp_path: Path,
    start_jaeger: Callable[..., peers.Jaeger],
    start_collector: Callable[..., peers.Collector],
) -> None:
    res = _run_fault(setup, tmp_path, start_jaeger, start_collector)
    assert res.exit_code == ExitCode.PROBLEM, res.stdout
    first = errors(res)[0]
    assert (first["stage"], first["guide"]) == (stage, guide), (fault, first)
    assert first["code"] == code, (fault, first)
    assert first["hint"] and "Traceback" not in res.stdout + res.stderr


def test_matrix_has_at_least_twenty_distinct_faults() -> None:
    assert len({f[0] for f in FAULTS}) >= 20
    names = {f[0] for f in FAULTS}
    assert names >= ACROSS_COLLECTORS and names >= ON_JAEGER_V1


@pytest.mark.peers
def test_config_alone_says_where_to_probe(
    tmp_path: Path, jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> None:
    """With --config and no endpoint anywhere, check probes that config's receivers, health and metrics."""
    zpages = peers.addr(peers.free_port())
    collector = start_collector(peers.collector_config(jaeger.otlp_grpc, overrides={
        "extensions": {"zpages": {"endpoint": zpages}}, "service": {"extensions": ["health_check", "zpages"]},
    }))  # fmt: skip
    res = check(tmp_path, {"OTEL_SERVICE_NAME": "shop"}, "--config", str(collector.config_path),
                "--jaeger-url", jaeger.query_url)  # fmt: skip
    doc = res.json()
    assert res.exit_code == ExitCode.OK, doc["findings"]
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps["collector-otlp-grpc"]["target"] == collector.otlp_grpc
    assert steps["collector-health"]["target"] == collector.health_url
    assert steps["collector-metrics"]["target"] == collector.metrics_url
    assert steps["exporter otlp/jaeger"]["status"] == "pass"
    assert steps["collector-zpages"]["status"] == "pass" and steps["collector-zpages"]["target"] == f"http://{zpages}"
    assert steps["end-to-end"]["status"] == "pass"


@pytest.mark.peers
def test_jaeger_v2_health_is_read_from_healthcheckv2(
    tmp_path: Path, collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]
) -> None:
    collector, jaeger = collector_to_jaeger
    res = check(tmp_path, _grpc_env(collector, jaeger), "--jaeger-url", jaeger.query_url,
                "--jaeger-health-url", jaeger.health_url, "--collector-health-url", str(collector.health_url))  # fmt: skip
    steps = {s["name"]: s for s in res.json()["steps"]}
    assert steps["jaeger-health"]["status"] == "pass"
    assert steps["jaeger-health"]["detail"] == "healthcheckv2: StatusOK"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                for i in range(8)
            ),
            "alias bomb",
        ),
        ("a:" + " [" * 5000 + "]" * 5000 + "\n", "nests more than 1000 levels deep"),
        ("- just\n- a list\n", "not a collector config"),
    ],
)
def test_hostile_configs_are_refused_quickly(content: str, message: str, tmp_path: Path) -> None:
    cfg = tmp_path / "hostile.yaml"
    cfg.write_text(content)
    started = time.monotonic()
    res = run("check", "--config", str(cfg), "--env-file", "/dev/null")
    assert time.monotonic() - started < 10
    assert res.exit_code == ExitCode.USAGE, res.stdout
    assert message in res.stderr


def test_binary_env_file_is_refused(tmp_path: Path) -> None:
    env = tmp_path / "app.env"
    env.write_bytes(b"\x00\xff\xfe binary")
    res = run("check", "--env-file", str(env))
    assert res.exit_code == ExitCode.USAGE and "--env-file" in res.stderr


@pytest.mark.peers
def test_config_errors_are_reported_first(
    tmp_path: Path, collector_to_jaeger: tuple[peers.Collector, peers.Jaeger]
) -> None:
    """--config runs validate-config first: its errors lead the report, then the probes follow."""
    collector, jaeger = collector_to_jaeger
    broken = tmp_path / "collector.yaml"
    broken.write_text(collector.config_path.read_text() + "  unknown_section: {}\nconnectors:\n  bogus: {}\n")
    res = check(tmp_path, _grpc_env(collector, jaeger), "--config", str(broken), "--jaeger-url", jaeger.query_url)
    first = errors(res)[0]
    assert first["code"].startswith("config."), first
    assert first["location"]["file"] == str(broken)
    steps = {s["name"] for s in res.json()["steps"]}
    assert "collector-otlp-grpc" in steps  # the probes still ran


def test_jaeger_config_errors_are_reported_under_heading_2(tmp_path: Path) -> None:
    cfg = tmp_path / "jaeger.yaml"
    cfg.write_text(
        yaml.safe_dump(peers.jaeger_config({"extensions": {"jaeger_query": {"storage": {"traces": "nope"}}}}))
    )
    res = check(tmp_path, APP_ENV, "--jaeger-config", str(cfg), "--no-e2e",
                "--jaeger-url", f"http://127.0.0.1:{peers.free_port()}")  # fmt: skip
    first = errors(res)[0]
    assert first["code"].startswith("config."), first
    assert (first["stage"], first["guide"]) == ("jaeger", "traces-not-in-jaeger")
    assert "nope" in first["message"]


@pytest.mark.peers
@pytest.mark.parametrize("collector_peer", ["otelcol-old", "otelcol-newest"], indirect=True)
def test_a_drop_the_release_cannot_attribute_names_the_missing_signal(
    tmp_path: Path, jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector], collector_peer: str
) -> None:
    """v0.111.0 reports no items per processor: a filter dropping the span is not blamed on a hop;
    the finding names the signal this release lacks. The newest release names the processor."""
    drop = {"filter/all": {"error_mode": "ignore", "traces": {"span": ['attributes["otdiag.check"] == "e2e"']}}}
    collector = start_collector(peers.collector_config(jaeger.otlp_grpc, overrides={
        "processors": drop, "service": {"pipelines": {"traces": {"processors": ["filter/all", "batch"]}}}}))  # fmt: skip
    res = check(tmp_path, _grpc_env(collector, jaeger), "--jaeger-url", jaeger.query_url, "--collector-metrics-url",
                str(collector.metrics_url), "--collector-health-url", str(collector.health_url), "--wait", "4s")  # fmt: skip
    first = errors(res)[0]
    if collector_peer == "otelcol-old":
        assert first["code"] == "e2e.not-visible", first
        assert "otelcol_processor_incoming_items" in first["message"] and "cannot tell which hop" in first["message"]
    else:
        assert (first["code"], first["target"]) == ("collector.processor-dropped", "filter/all"), first
