"""Start and stop the real peers (Jaeger v2, the OpenTelemetry Collector, rotel) for tests.

Every peer listens on free 127.0.0.1 ports chosen here, writes its log to a
file that a failing test's report shows, and is stopped by its PID. Configs
are plain mappings, so a test can start a peer with a deliberately broken one.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import random
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("install_peers", REPO / "scripts" / "install_peers.py")
assert _spec and _spec.loader
install_peers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(install_peers)

Config = dict[str, Any]


class PeerError(RuntimeError):
    """A peer did not start or did not become ready."""


def locate(name: str) -> Path | None:
    path: Path | None = install_peers.locate(name)
    return path


# --- the version matrix (peers/pins.toml) ------------------------------------------------------------

COLLECTORS = ("otelcol-newest", "otelcol", "otelcol-old")
"""The collectors of the matrix, newest first; "otelcol" (v0.155.0) is every other test's default."""
JAEGERS = ("jaeger", "jaeger-v1")
"""Jaeger v2 (the default) and Jaeger v1's all-in-one."""


def version(name: str) -> str:
    """The release a matrix entry runs, as its pin names it (Jaeger v2: the stamped v2 version)."""
    pin = install_peers.load_pins()[name]
    stamped = re.search(r"latestVersion=(v[\d.]+)", pin.get("ldflags", ""))
    return stamped.group(1) if stamped else str(pin["version"])


def label(name: str) -> str:
    """A short test ID for a matrix entry: otelcol-0.165.0, jaeger-2.13.0, jaeger-1.76.0."""
    kind = "jaeger" if name.startswith("jaeger") else "otelcol"
    return f"{kind}-{version(name).removeprefix('v')}"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the peer binds it a moment later).

    Drawn below Linux's ephemeral range (32768+), so outgoing connections never
    take it in the meantime, and never handed out twice in one test run.
    """
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(20000, 32000)
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise PeerError("no free TCP port found on 127.0.0.1")


def _busy_port(log: str) -> int | None:
    """The port a peer failed to bind, from its log ("bind: address already in use")."""
    m = re.search(r"listen tcp [^ ]*:(\d+): bind: address already in use", log)
    return int(m.group(1)) if m else None


def _rebind(node: Any, old: int, new: int) -> Any:
    """The config with every use of port `old` moved to `new`."""
    if isinstance(node, dict):
        return {k: _rebind(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebind(v, old, new) for v in node]
    if isinstance(node, str):
        return re.sub(rf":{old}\b", f":{new}", node)
    if node == old and isinstance(node, int) and not isinstance(node, bool):
        return new
    return node


def addr(port: int) -> str:
    return f"127.0.0.1:{port}"


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def deep_merge(base: Config, override: Mapping[str, Any]) -> Config:
    """Maps merge key by key; any other value (lists included) replaces, as the collector merges configs."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class PeerProcess:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self, on_start: Callable[[PeerProcess], None] | None = None) -> None:
        """Launch; `on_start` registers the process (for cleanup and logs) before any wait."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(self.env or {})},
            )
        if on_start is not None:
            on_start(self)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, ready: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise PeerError(f"{self.name} exited with {self.returncode()} before it was ready:\n{self.log_tail()}")
            if ready():
                return
            time.sleep(0.05)
        raise PeerError(f"{self.name} was not ready within {timeout:g}s:\n{self.log_tail()}")

    def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM by PID, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


# --- Jaeger v2 ---------------------------------------------------------------------------------------


@dataclass
class Jaeger:
    process: PeerProcess
    config: Config
    otlp_grpc: str
    """host:port of Jaeger's own OTLP/gRPC receiver."""
    otlp_http: str
    query_url: str
    query_grpc: str
    health_url: str
    metrics_url: str
    release: str = "v2"
    """"v2", or "v1" for Jaeger v1's all-in-one (no config file; flags and env)."""
    thrift_http: str | None = None
    """Jaeger v1: host:port of the collector's Thrift-over-HTTP port (14268)."""
    grpc_collector: str | None = None
    """Jaeger v1: host:port of the collector's gRPC port for Jaeger's own model.proto (14250)."""
    admin_url: str | None = None
    """Jaeger v1: the admin port (14269): health at /, metrics at /metrics."""

    def stop(self) -> None:
        self.process.stop()


def jaeger_config(overrides: Mapping[str, Any] | None = None) -> Config:
    """Jaeger v2 all-in-one with in-memory storage, every port a free one on 127.0.0.1."""
    cfg: Config = {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["batch"],
                    "exporters": ["jaeger_storage_exporter"],
                }
            },
            "telemetry": {
                "resource": {"service.name": "jaeger"},
                "metrics": {
                    "level": "detailed",
                    "readers": [{"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": free_port()}}}}],
                },
                "logs": {"level": "info"},
            },
        },
        "extensions": {
            "jaeger_query": {
                "storage": {"traces": "memstore"},
                # Jaeger traces itself to localhost:4317 by default (failure mode 32): off, so it
                # neither pollutes a receiver under test nor stalls its own shutdown for 10s.
                "enable_tracing": False,
                "http": {"endpoint": addr(free_port())},
                "grpc": {"endpoint": addr(free_port())},
            },
            "jaeger_storage": {"backends": {"memstore": {"memory": {"max_traces": 100000}}}},
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": addr(free_port())}},
        },
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": addr(free_port())},
                    "http": {"endpoint": addr(free_port())},
                }
            }
        },
        "processors": {"batch": {"timeout": "100ms"}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "memstore"}},
    }
    return deep_merge(cfg, overrides or {})


OnStart = Callable[[PeerProcess], None] | None


T = TypeVar("T")


def with_port_retry(launch: Callable[[Config], T], cfg: Config, attempts: int = 4) -> T:
    """Launch a peer; if a port was taken meanwhile (parallel test runs), move it and try again."""
    for attempt in range(attempts):
        try:
            return launch(cfg)
        except PeerError as exc:
            busy = _busy_port(str(exc))
            if busy is None or attempt == attempts - 1:
                raise
            cfg = _rebind(cfg, busy, free_port())
    raise AssertionError("unreachable")


def start_jaeger(
    binary: Path, workdir: Path, overrides: Mapping[str, Any] | None = None, on_start: OnStart = None
) -> Jaeger:
    return with_port_retry(lambda cfg: _launch_jaeger(binary, workdir, cfg, on_start), jaeger_config(overrides))


def _launch_jaeger(binary: Path, workdir: Path, cfg: Config, on_start: OnStart) -> Jaeger:
    path = workdir / f"jaeger-{free_port()}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    ext = cfg["extensions"]
    prom = cfg["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]
    otlp = cfg["receivers"]["otlp"]["protocols"]
    jaeger = Jaeger(
        process=PeerProcess("jaeger", [str(binary), "--config", str(path)], path.with_suffix(".log")),
        config=cfg,
        otlp_grpc=otlp["grpc"]["endpoint"],
        otlp_http=otlp["http"]["endpoint"],
        query_url=f"http://{ext['jaeger_query']['http']['endpoint']}",
        query_grpc=ext["jaeger_query"]["grpc"]["endpoint"],
        health_url=f"http://{ext['healthcheckv2']['http']['endpoint']}",
        metrics_url=f"http://{prom['host']}:{prom['port']}/metrics",
    )
    jaeger.process.start(on_start)
    # Healthy means every component started: the query API and the receivers are up.
    jaeger.process.wait_ready(lambda: _http_ok(jaeger.health_url + "/status"), timeout=60)
    return jaeger


# --- Jaeger v1 all-in-one ------------------------------------------------------------------------------

# Flag -> the port Jaeger v1 uses by default; each gets a free loopback port instead.
JAEGER_V1_PORTS = {
    "--query.http-server.host-port": 16686,
    "--query.grpc-server.host-port": 16685,
    "--collector.otlp.grpc.host-port": 4317,
    "--collector.otlp.http.host-port": 4318,
    "--collector.http-server.host-port": 14268,
    "--collector.grpc-server.host-port": 14250,
    "--collector.zipkin.host-port": 9411,
    "--admin.http.host-port": 14269,
}


def start_jaeger_v1(binary: Path, workdir: Path, on_start: OnStart = None) -> Jaeger:
    """Jaeger v1's all-in-one with in-memory storage, every TCP port a free one on 127.0.0.1."""
    for attempt in range(3):
        try:
            return _launch_jaeger_v1(binary, workdir, on_start)
        except PeerError as exc:
            if _busy_port(str(exc)) is None or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _launch_jaeger_v1(binary: Path, workdir: Path, on_start: OnStart) -> Jaeger:
    ports = {flag: addr(free_port()) for flag in JAEGER_V1_PORTS}
    argv = [str(binary), *(f"{flag}={a}" for flag, a in ports.items())]
    log = workdir / f"jaeger-v1-{ports['--admin.http.host-port'].rpartition(':')[2]}.log"
    admin = f"http://{ports['--admin.http.host-port']}"
    jaeger = Jaeger(
        process=PeerProcess("jaeger-v1", argv, log, env={"SPAN_STORAGE_TYPE": "memory"}),
        config={"flags": ports},
        otlp_grpc=ports["--collector.otlp.grpc.host-port"],
        otlp_http=ports["--collector.otlp.http.host-port"],
        query_url=f"http://{ports['--query.http-server.host-port']}",
        query_grpc=ports["--query.grpc-server.host-port"],
        health_url=admin,
        metrics_url=f"{admin}/metrics",
        release="v1",
        thrift_http=ports["--collector.http-server.host-port"],
        grpc_collector=ports["--collector.grpc-server.host-port"],
        admin_url=admin,
    )
    jaeger.process.start(on_start)
    # The admin port's / answers 200 once every server started (503 before).
    jaeger.process.wait_ready(lambda: _http_ok(admin + "/") and _http_ok(jaeger.query_url + "/api/services"), 60)
    return jaeger


# --- OpenTelemetry Collector ---------------------------------------------------------------------------


@dataclass
class Collector:
    process: PeerProcess
    config: Config
    config_path: Path
    otlp_grpc: str | None = None
    otlp_http: str | None = None
    health_url: str | None = None
    metrics_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        self.process.stop()


def collector_config(
    exporter_endpoint: str | None,
    *,
    exporter: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """A collector that receives OTLP on free ports and exports to `exporter_endpoint` (plaintext gRPC).

    With `exporter_endpoint=None` it exports to the debug exporter instead.
    """
    exporters: Config
    if exporter is not None:
        exporters = {"otlp/jaeger": dict(exporter)}
    elif exporter_endpoint is not None:
        exporters = {"otlp/jaeger": {"endpoint": exporter_endpoint, "tls": {"insecure": True}}}
    else:
        exporters = {"debug": {"verbosity": "basic"}}
    cfg: Config = {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": addr(free_port())},
                    "http": {"endpoint": addr(free_port())},
                }
            }
        },
        "processors": {"batch": {"timeout": "100ms"}},
        "exporters": exporters,
        "extensions": {"health_check": {"endpoint": addr(free_port())}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": list(exporters)}},
            "telemetry": {
                "logs": {"level": "info"},
                "metrics": {
                    "level": "detailed",
                    "readers": [{"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": free_port()}}}}],
                },
            },
        },
    }
    return deep_merge(cfg, overrides or {})


def _get(cfg: Config, *path: str) -> Any:
    node: Any = cfg
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def start_collector(
    binary: Path,
    workdir: Path,
    cfg: Config,
    *,
    wait: bool = True,
    on_start: OnStart = None,
    args: tuple[str, ...] = (),
) -> Collector:
    """Run the collector with `cfg` (and extra command-line `args`, e.g. --feature-gates=...);
    with wait=False a test can watch a broken config fail."""
    if not wait:
        return _launch_collector(binary, workdir, cfg, wait=False, on_start=on_start, args=args)
    return with_port_retry(
        lambda c: _launch_collector(binary, workdir, c, wait=True, on_start=on_start, args=args), cfg
    )


def _launch_collector(
    binary: Path, workdir: Path, cfg: Config, *, wait: bool, on_start: OnStart, args: tuple[str, ...] = ()
) -> Collector:
    path = workdir / f"otelcol-{free_port()}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    health = _get(cfg, "extensions", "health_check", "endpoint")
    prom = _get(cfg, "service", "telemetry", "metrics", "readers")
    metrics_url = None
    if isinstance(prom, list) and prom:
        p = _get(prom[0], "pull", "exporter", "prometheus")
        if p:
            metrics_url = f"http://{p['host']}:{p['port']}/metrics"
    col = Collector(
        process=PeerProcess("otelcol", [str(binary), "--config", str(path), *args], path.with_suffix(".log")),
        config=cfg,
        config_path=path,
        otlp_grpc=_get(cfg, "receivers", "otlp", "protocols", "grpc", "endpoint"),
        otlp_http=_get(cfg, "receivers", "otlp", "protocols", "http", "endpoint"),
        health_url=f"http://{health}" if health else None,
        metrics_url=metrics_url,
    )
    col.process.start(on_start)
    if wait:
        col.process.wait_ready(lambda: _collector_ready(col), timeout=60)
    return col


def _collector_ready(col: Collector) -> bool:
    if col.health_url:
        return _http_ok(col.health_url + "/")
    for endpoint in (col.otlp_grpc, col.otlp_http):
        if endpoint:
            host, _, port = endpoint.rpartition(":")
            return port_open(host, int(port))
    return "Everything is ready" in col.process.log()


# --- rotel ---------------------------------------------------------------------------------------------


@dataclass
class Rotel:
    process: PeerProcess
    otlp_grpc: str
    otlp_http: str

    def stop(self) -> None:
        self.process.stop()


def start_rotel(
    binary: Path,
    workdir: Path,
    exporter_endpoint: str | None,
    extra_args: list[str] | None = None,
    on_start: OnStart = None,
) -> Rotel:
    """rotel receiving OTLP on free ports; exporting over OTLP/gRPC to `exporter_endpoint` (or blackhole)."""
    for attempt in range(3):
        try:
            return _launch_rotel(binary, workdir, exporter_endpoint, extra_args, on_start)
        except PeerError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _launch_rotel(
    binary: Path, workdir: Path, exporter_endpoint: str | None, extra_args: list[str] | None, on_start: OnStart
) -> Rotel:
    grpc, http = addr(free_port()), addr(free_port())
    tag = grpc.replace(":", "_")
    argv = [
        str(binary),
        "start",
        "--otlp-grpc-endpoint",
        grpc,
        "--otlp-http-endpoint",
        http,
        "--pid-file",
        str(workdir / f"rotel-{tag}.pid"),
        "--log-file",
        str(workdir / f"rotel-{tag}.log"),
    ]
    if exporter_endpoint:
        argv += [
            "--exporter",
            "otlp",
            "--otlp-exporter-endpoint",
            f"http://{exporter_endpoint}",
            "--otlp-exporter-protocol",
            "grpc",
        ]
    else:
        argv += ["--exporter", "blackhole"]
    argv += extra_args or []
    rotel = Rotel(PeerProcess("rotel", argv, workdir / f"rotel-{tag}.out"), grpc, http)
    rotel.process.start(on_start)

    def ready() -> bool:
        return all(port_open("127.0.0.1", int(a.rpartition(":")[2])) for a in (grpc, http))

    rotel.process.wait_ready(ready, timeout=30)
    return rotel


# --- Prometheus ----------------------------------------------------------------------------------------


@dataclass
class Prometheus:
    process: PeerProcess
    url: str
    config_path: Path

    def stop(self) -> None:
        self.process.stop()

    def wait_for(self, promql: str, want: Callable[[list[Any]], bool], timeout: float = 30.0) -> list[Any]:
        """Poll an instant query until `want(result)` holds (Prometheus scrapes on its own clock)."""
        deadline = time.monotonic() + timeout
        result: list[Any] = []
        while time.monotonic() < deadline:
            resp = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
            result = resp.json()["data"]["result"]
            if want(result):
                return result
            time.sleep(0.2)
        raise PeerError(f"Prometheus: {promql} never gave what was wanted; last: {result}")


def prometheus_config(jobs: Mapping[str, list[str]], interval: str = "1s") -> Config:
    """One scrape job per tier (the job label names the tier): job -> collectors' metrics URLs."""
    scrape = []
    for job, urls in jobs.items():
        targets = [u.removeprefix("http://").split("/", 1)[0] for u in urls]
        scrape.append({"job_name": job, "scrape_interval": interval, "static_configs": [{"targets": targets}]})
    return {"global": {"scrape_interval": interval, "evaluation_interval": interval}, "scrape_configs": scrape}


def start_prometheus(binary: Path, workdir: Path, cfg: Config, on_start: OnStart = None) -> Prometheus:
    """A real Prometheus on a free loopback port with its own TSDB directory under `workdir`."""
    port = free_port()
    path = workdir / f"prometheus-{port}.yml"
    path.write_text(yaml.safe_dump(cfg))
    argv = [
        str(binary),
        f"--config.file={path}",
        f"--storage.tsdb.path={workdir / f'prometheus-{port}-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    prom = Prometheus(PeerProcess("prometheus", argv, path.with_suffix(".log")), f"http://127.0.0.1:{port}", path)
    prom.process.start(on_start)
    prom.process.wait_ready(lambda: _http_ok(prom.url + "/-/ready"), timeout=60)
    return prom
