"""Fixtures: factories that start real peers on free loopback ports, and stop them by PID.

Locally, a test that needs a peer that is not installed is skipped with the
command that installs it. Under CI=true a missing peer fails the test: CI
must never report a real-peer test as passed when it did not run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import peers

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
_PEERS_KEY = pytest.StashKey[list[peers.PeerProcess]]()


def require_peer(name: str) -> Path:
    path = peers.locate(name)
    if path is None:
        msg = f"the real {name} is not installed; run scripts/install_peers.py"
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing peer is a failure)")
        pytest.skip(msg)
    return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the log of every peer a failing test started to its report."""
    report = yield
    started = item.stash.get(_PEERS_KEY, [])
    if report.failed and started:
        for proc in started:
            report.sections.append((f"{proc.name} log ({proc.log_path.name})", proc.log_tail(80)))
    return report


@pytest.fixture(autouse=True)
def _own_secrets() -> Iterator[None]:
    """Each test learns its own secrets: what one test remembered never hides text in another."""
    from otdiag import redact

    with redact.isolated():
        yield


@pytest.fixture
def started_peers(request: pytest.FixtureRequest) -> Iterator[list[peers.PeerProcess]]:
    procs: list[peers.PeerProcess] = []
    request.node.stash[_PEERS_KEY] = procs
    yield procs
    for proc in reversed(procs):
        proc.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "matrix(collector_peer=..., jaeger_peer=...): run once per listed peer of the version matrix"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`@pytest.mark.matrix(collector_peer=peers.COLLECTORS, jaeger_peer=peers.JAEGERS)`: run the test
    once per listed entry of the version matrix (peers/pins.toml), IDs like otelcol-0.165.0."""
    mark = metafunc.definition.get_closest_marker("matrix")
    if mark is None:
        return
    for fixture, names in mark.kwargs.items():
        if fixture in metafunc.fixturenames:
            metafunc.parametrize(fixture, list(names), indirect=True, ids=[peers.label(n) for n in names])


@pytest.fixture
def collector_peer(request: pytest.FixtureRequest) -> str:
    """Which collector of the matrix start_collector runs: "otelcol" (v0.155.0) unless parametrized."""
    return str(getattr(request, "param", "otelcol"))


@pytest.fixture
def jaeger_peer(request: pytest.FixtureRequest) -> str:
    """Which Jaeger start_jaeger runs: "jaeger" (v2) unless parametrized ("jaeger-v1")."""
    return str(getattr(request, "param", "jaeger"))


@pytest.fixture
def start_jaeger(
    tmp_path: Path, started_peers: list[peers.PeerProcess], jaeger_peer: str
) -> Callable[..., peers.Jaeger]:
    """Start a real Jaeger (in-memory storage); for v2, `overrides` deep-merge into its config."""
    binary = require_peer(jaeger_peer)

    def start(overrides: dict[str, Any] | None = None) -> peers.Jaeger:
        if jaeger_peer == "jaeger-v1":
            if overrides:
                pytest.fail("Jaeger v1 takes flags, not a config: this test cannot run on it")
            return peers.start_jaeger_v1(binary, tmp_path, on_start=started_peers.append)
        return peers.start_jaeger(binary, tmp_path, overrides, on_start=started_peers.append)

    return start


@pytest.fixture
def start_collector(
    tmp_path: Path, started_peers: list[peers.PeerProcess], collector_peer: str
) -> Callable[..., peers.Collector]:
    """Start the real collector with a config mapping (broken ones too: wait=False)."""
    binary = require_peer(collector_peer)

    def start(cfg: peers.Config, *, wait: bool = True, args: tuple[str, ...] = ()) -> peers.Collector:
        return peers.start_collector(binary, tmp_path, cfg, wait=wait, on_start=started_peers.append, args=args)

    return start


@pytest.fixture
def start_rotel(tmp_path: Path, started_peers: list[peers.PeerProcess]) -> Callable[..., peers.Rotel]:
    """Start rotel exporting over OTLP/gRPC to an endpoint (or to its blackhole exporter)."""
    binary = require_peer("rotel")

    def start(exporter_endpoint: str | None, extra_args: list[str] | None = None) -> peers.Rotel:
        return peers.start_rotel(binary, tmp_path, exporter_endpoint, extra_args, on_start=started_peers.append)

    return start


@pytest.fixture
def jaeger(start_jaeger: Callable[..., peers.Jaeger]) -> peers.Jaeger:
    return start_jaeger()


@pytest.fixture
def collector_to_jaeger(
    jaeger: peers.Jaeger, start_collector: Callable[..., peers.Collector]
) -> tuple[peers.Collector, peers.Jaeger]:
    """The seed's pipeline: Collector -> Jaeger, both real."""
    return start_collector(peers.collector_config(jaeger.otlp_grpc)), jaeger


# gRPC's C core would log handshake failures to stderr during in-process CLI runs.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")


@pytest.fixture
def start_prometheus(tmp_path: Path, started_peers: list[peers.PeerProcess]) -> Callable[..., peers.Prometheus]:
    """Start a real Prometheus scraping the given collectors: {tier (job): [metrics URL, ...]}."""
    binary = require_peer("prometheus")

    def start(jobs: dict[str, list[str]], interval: str = "1s") -> peers.Prometheus:
        return peers.start_prometheus(
            binary, tmp_path, peers.prometheus_config(jobs, interval), on_start=started_peers.append
        )

    return start
