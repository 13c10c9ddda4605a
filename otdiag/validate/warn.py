"""Warnings: configs `otelcol validate` accepts that still lose, leak or mis-send traces."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from otdiag import catalogue_config as kinds
from otdiag.model import Severity
from otdiag.validate.checker import Checker
from otdiag.validate.model import Comp, Config, Pipeline
from otdiag.validate.startup import _walk, listeners, started
from otdiag.validate.yamlsrc import Node

SAMPLERS = ("tail_sampling", "probabilistic_sampler", "filter")
_SECRET_KEYS = ("token", "password", "client_secret", "api_key", "apikey", "secret", "bearer_token")
_SAFE_HEADERS = (
    "content-type",
    "content-encoding",
    "accept",
    "user-agent",
    "x-scope-orgid",
    "x-tenant",
    "tenant",
)


def _procs(ck: Checker, pipe: Pipeline) -> list[tuple[Comp, Node]]:
    out = []
    for ref in pipe.processors:
        comp = ck.cfg.comp("processor", ref.id)
        if comp is not None:
            out.append((comp, ref.node))
    return out


def _exporters(ck: Checker, pipe: Pipeline) -> list[Comp]:
    return [c for r in pipe.exporters if (c := ck.cfg.comp("exporter", r.id)) is not None]


def _endpoint(comp: Comp) -> tuple[str, Node | None]:
    node = comp.get("endpoint")
    if node is not None and node.kind == "scalar" and isinstance(node.value, str):
        return node.value, node
    return str(comp.value("endpoint", default="") or ""), None


def _port_of(endpoint: str) -> int | None:
    rest = endpoint.split("://", 1)[-1].split("/", 1)[0]
    _, sep, port = rest.rpartition(":")
    return int(port) if sep and port.isdigit() else None


def check(ck: Checker) -> None:
    _pipelines(ck)
    _exporter_targets(ck)
    _receivers(ck)
    _unused(ck)
    _env(ck)
    _secrets(ck)
    _misc(ck)
    traces_without_backend(ck)


def _pipelines(ck: Checker) -> None:
    for pid, pipe in ck.cfg.pipelines.items():
        label = f"service::pipelines::{pid}"
        procs = _procs(ck, pipe)
        types = [c.canonical for c, _ in procs]
        _memory_limiter(ck, label, pipe, procs, types)
        if "batch" in types:
            _batch(ck, label, pipe, procs, types.index("batch"))
        _listed_twice(ck, label, pipe)
        exps = _exporters(ck, pipe)
        _sampled(ck, label, pipe, types, exps)
    _debug_only(ck)
    _routing_by_service(ck)


Procs = list[tuple[Comp, Node]]


def _memory_limiter(ck: Checker, label: str, pipe: Pipeline, procs: Procs, types: list[str]) -> None:
    if "memory_limiter" in types and types.index("memory_limiter") > 0:
        node = procs[types.index("memory_limiter")][1]
        ck.emit(
            kinds.W_MEMORY_LIMITER_ORDER,
            f"{label}: memory_limiter is processor #{types.index('memory_limiter') + 1}, not the first",
            node,
        )
    real_receivers = [r for r in pipe.receivers if ck.cfg.comp("receiver", r.id) is not None]
    if "memory_limiter" not in types and real_receivers and pipe.signal != "profiles":
        ck.emit(kinds.W_NO_MEMORY_LIMITER, f"{label}: no memory_limiter processor", pipe.key)


def _batch(ck: Checker, label: str, pipe: Pipeline, procs: Procs, b: int) -> None:
    """What goes wrong around the batch processor (at index `b` of the pipeline's processors)."""
    types = [c.canonical for c, _ in procs]
    for s in SAMPLERS:
        if s in types and types.index(s) > b:
            ck.emit(kinds.W_BATCH_BEFORE_SAMPLING, f"{label}: batch runs before {s}", procs[b][1])
            break
    for c, node in procs[b + 1 :]:
        if c.canonical == "k8s_attributes":
            assoc = c.get("pod_association")
            if assoc is not None and any(v.value == "connection" for p, _, v in _walk(assoc) if p[-1] == "from"):
                ck.emit(
                    kinds.W_K8S_AFTER_BATCH,
                    f"{label}: {c.id} associates pods by connection but runs after batch",
                    node,
                )
    max_size = procs[b][0].value("send_batch_max_size", default=0)
    grpc = [e for e in _exporters(ck, pipe) if e.canonical in ("otlp_grpc", "otlp")]
    if not max_size and grpc:
        ck.emit(
            kinds.W_NO_MAX_BATCH,
            f"{label}: {procs[b][0].id} has no send_batch_max_size and exports over gRPC ({grpc[0].id})",
            procs[b][1],
        )


def _listed_twice(ck: Checker, label: str, pipe: Pipeline) -> None:
    for kind, refs in (("receiver", pipe.receivers), ("exporter", pipe.exporters)):
        seen: set[str] = set()
        for ref in refs:
            if ref.id in seen:
                ck.emit(kinds.W_DUPLICATE_IN_LIST, f'{label}: lists {kind} "{ref.id}" twice', ref.node)
            seen.add(ref.id)


def _debug_only(ck: Checker) -> None:
    """Pipelines whose only exporter is debug: one finding per debug exporter, naming its pipelines."""
    groups: dict[str, list[tuple[str, Pipeline, bool]]] = {}
    for pid, pipe in ck.cfg.pipelines.items():
        exps = _exporters(ck, pipe)
        if (
            exps
            and all(e.canonical == "debug" for e in exps)
            and not any(ck.cfg.comp("connector", r.id) for r in pipe.exporters)
        ):
            # Data that reaches no backend at all is lost: a warning. A debug-only pipeline beside
            # another that takes the same receivers to a real exporter is a side view: advice.
            groups.setdefault(exps[0].id, []).append((pid, pipe, not _also_exported(ck, pid, pipe)))
    for eid, pipes in groups.items():
        for lost in (True, False):
            these = [(pid, pipe) for pid, pipe, gone in pipes if gone is lost]
            if not these:
                continue
            names = ", ".join(pid for pid, _ in these)
            label = f"service::pipelines::{names}" if len(these) == 1 else f"service::pipelines ({names})"
            ck.emit(
                kinds.W_DEBUG_VERBOSE,
                f"{label}: debug is the only exporter: "
                + ("the data goes nowhere" if lost else "a copy for the log (another pipeline exports it)"),
                these[0][1].key,
                target=eid,
                severity=Severity.WARNING if lost else Severity.INFO,
            )


def _sampled(ck: Checker, label: str, pipe: Pipeline, types: list[str], exps: list[Comp]) -> None:
    """A sampling pipeline: span metrics fed after the sampler, load balancing by service."""
    if any(t in types for t in ("tail_sampling", "probabilistic_sampler")):
        for ref in pipe.exporters:
            conn = ck.cfg.comp("connector", ref.id)
            if conn is not None and conn.canonical in ("span_metrics", "service_graph"):
                ck.emit(
                    kinds.W_SERVICE_GRAPH_AFTER_SAMPLER,
                    f"{label}: {conn.id} is fed after sampling",
                    ref.node,
                    target=conn.id,
                )
    if "tail_sampling" in types:
        for e in exps:
            if e.canonical == "load_balancing" and e.value("routing_key") == "service":
                ck.emit(
                    kinds.W_ROUTING_KEY,
                    f"{e.label}: routing_key: service",
                    e.get("routing_key"),
                    target=e.id,
                )


def _routing_by_service(ck: Checker) -> None:
    """Load balancing by service in one pipeline while another runs tail_sampling."""
    for pipe in ck.cfg.pipelines.values():
        for e in _exporters(ck, pipe):
            if e.canonical == "load_balancing" and e.value("routing_key") == "service":
                for other in ck.cfg.pipelines.values():
                    if any(c.canonical == "tail_sampling" for c, _ in _procs(ck, other)) and other is not pipe:
                        ck.emit(
                            kinds.W_ROUTING_KEY,
                            f"{e.label}: routing_key: service while tail_sampling runs in this config",
                            e.get("routing_key"),
                            target=e.id,
                        )
                        break


def _exporter_targets(ck: Checker) -> None:
    for comp in ck.cfg.comps.get("exporter", {}).values():
        t = comp.canonical
        endpoint, node = _endpoint(comp)
        where = node or comp.key
        port = _port_of(endpoint)
        if t in ("otlp_grpc", "otlp"):
            _grpc_target(ck, comp, endpoint, port, where)
        if t in ("otlp_http", "otlphttp"):
            _http_target(ck, comp, endpoint, port, where)
        _tls_settings(ck, comp, endpoint)
        _exporter_settings(ck, comp, port, where)


def _grpc_target(ck: Checker, comp: Comp, endpoint: str, port: int | None, where: Node) -> None:
    tls = comp.get("tls")
    insecure = comp.value("tls", "insecure", default=False) is True
    if endpoint.startswith("http://") and not insecure:
        ck.emit(
            kinds.W_HTTP_SCHEME_TLS,
            f"{comp.label}: endpoint {endpoint} says http:// but TLS is still on (tls.insecure is not true)",
            where,
            target=comp.id,
        )
    elif (
        tls is None
        and comp.get("insecure") is None  # a misplaced tls setting is already an error (did you mean tls::insecure)
        and port in (4317, 14250)
        and not endpoint.startswith(("http://", "https://"))
    ):
        ck.emit(
            kinds.W_GRPC_NO_TLS_BLOCK,
            f"{comp.label}: {endpoint} has no tls block: the exporter "
            "will speak TLS to a port that is plaintext by default",
            where,
            target=comp.id,
        )
    if port in (4318, 16686, 14268):
        what = {4318: "OTLP/HTTP", 16686: "Jaeger's UI/query HTTP", 14268: "Jaeger's Thrift HTTP"}[port]
        ck.emit(
            kinds.W_WRONG_PORT,
            f"{comp.label}: gRPC exporter aimed at :{port} ({what})",
            where,
            target=comp.id,
        )


def _http_target(ck: Checker, comp: Comp, endpoint: str, port: int | None, where: Node) -> None:
    if port == 4317:
        ck.emit(
            kinds.W_WRONG_PORT,
            f"{comp.label}: OTLP/HTTP exporter aimed at :4317 (OTLP/gRPC)",
            where,
            target=comp.id,
        )
    if endpoint and not endpoint.startswith(("http://", "https://")) and "${" not in endpoint:
        ck.emit(
            kinds.W_HTTP_ENDPOINT_FORM,
            f"{comp.label}: endpoint {endpoint} has no http:// or https:// scheme",
            where,
            target=comp.id,
        )
    elif endpoint.rstrip("/").endswith("/v1/traces"):
        ck.emit(
            kinds.W_HTTP_ENDPOINT_FORM,
            f"{comp.label}: endpoint ends in /v1/traces; the exporter appends it again (…/v1/traces/v1/traces)",
            where,
            target=comp.id,
        )


def _tls_settings(ck: Checker, comp: Comp, endpoint: str) -> None:
    """TLS settings that contradict each other or the endpoint, or turn verification off."""
    tls = comp.get("tls")
    if tls is None or tls.kind != "map":
        return
    insecure = comp.value("tls", "insecure", default=False) is True
    skip = tls.get("insecure_skip_verify")
    if insecure and (endpoint.startswith("https://") or tls.get("ca_file") is not None):
        ck.emit(
            kinds.W_TLS_CONTRADICTION,
            f"{comp.label}: tls.insecure is true with "
            + ("an https:// endpoint" if endpoint.startswith("https://") else "a ca_file"),
            tls.get("insecure"),
            target=comp.id,
        )
    if skip is not None and skip.value is True:
        ck.emit(
            kinds.W_TLS_CONTRADICTION,
            f"{comp.label}: tls.insecure_skip_verify is true: the server's certificate is not checked",
            skip,
            target=comp.id,
        )


def _exporter_settings(ck: Checker, comp: Comp, port: int | None, where: Node) -> None:
    """Queues and retries turned off, a verbose debug exporter, a prometheus exporter on 8888."""
    t = comp.canonical
    for key in ("sending_queue", "retry_on_failure", "queue"):
        en = comp.get(key, "enabled")
        if en is not None and en.value is False and t not in ("debug", "nop", "file"):
            ck.emit(kinds.W_QUEUE_DISABLED, f"{comp.label}: {key} is disabled", en, target=comp.id)
    if t == "debug" and str(comp.value("verbosity", default="basic")).lower() == "detailed":
        ck.emit(
            kinds.W_DEBUG_VERBOSE,
            f"{comp.label}: verbosity detailed prints every span to the log",
            comp.get("verbosity"),
            target=comp.id,
        )
    if t == "prometheus" and port == 8888:
        ck.emit(
            kinds.W_PORT_IN_USE_TELEMETRY,
            f"{comp.label}: listens on :8888, the collector's own metrics port",
            where,
            target=comp.id,
        )


def _section_key(comp: Comp, path: str) -> Node | None:
    """The key node of the section that holds setting `path` (protocols.grpc.endpoint: `grpc:`)."""
    parts = path.split(".")[:-1]
    node: Node | None = comp.node
    key: Node | None = None
    for p in parts:
        if node is None or node.kind != "map":
            return key
        i = node.index.get(p)
        if i is None:
            return key
        key, node = node.items[i]
    return key


LOCALHOST_DEFAULT_SINCE = (0, 104, 0)
"""The release whose servers default to localhost instead of 0.0.0.0 (component.UseLocalHostAsDefaultHost)."""


def _receivers(ck: Checker) -> None:
    """A note only where the binding predicts a surprise: an endpoint left out, on a release whose default is
    localhost. A written endpoint is a choice: 0.0.0.0 in a container (or a gateway) is how it is reached,
    127.0.0.1 is right for an agent or a sidecar; otdiag cannot tell which from the file, so it says nothing.
    """
    if ck.release is not None and ck.release < LOCALHOST_DEFAULT_SINCE:
        return  # before v0.104 a left-out endpoint was 0.0.0.0: nothing changed for this config
    for comp in started(ck):
        if comp.kind != "receiver":
            continue
        group: list[tuple[str, str, Node]] = []
        for path, endpoint, node in listeners(comp):
            host = endpoint.rpartition(":")[0].strip("[]")
            if node is None and host in ("localhost", "127.0.0.1", "::1"):
                group.append((path, endpoint, _section_key(comp, path) or comp.key))
        # One note per receiver: its protocols left without an endpoint are one cause.
        group.sort(key=lambda g: (g[2].line, g[2].column))
        if group:
            parts = [path for path, _, _ in group]
            plural = len(group) > 1
            ck.emit(
                kinds.W_LOCALHOST_RECEIVER,
                f"{comp.label}: {' and '.join(parts)} {'are' if plural else 'is'} left out, so "
                f"{'they default' if plural else 'it defaults'} to {' and '.join(e for _, e, _ in group)} "
                "(since v0.104): reachable only from the collector's own host or container",
                group[0][2],
                target=", ".join(endpoint for _, endpoint, _ in group),
            )


def _unused(ck: Checker) -> None:
    cfg = ck.cfg
    used: dict[str, set[str]] = {"receiver": set(), "processor": set(), "exporter": set(), "connector": set()}
    conns = cfg.comps.get("connector", {})
    for pipe in cfg.pipelines.values():
        for r in pipe.receivers:
            used["connector" if r.id in conns else "receiver"].add(r.id)
        for r in pipe.processors:
            used["processor"].add(r.id)
        for r in pipe.exporters:
            used["connector" if r.id in conns else "exporter"].add(r.id)
    for kind, ids in used.items():
        for cid, comp in cfg.comps.get(kind, {}).items():
            if cid not in ids:
                # An unused receiver refuses what is sent to it and an unused exporter never gets
                # data (often a forgotten pipeline entry): a warning. An unused processor loses nothing.
                ck.emit(
                    kinds.W_UNUSED,
                    f"{comp.label} is defined but no pipeline uses it",
                    comp.key,
                    target=cid,
                    severity=Severity.INFO if kind == "processor" else None,
                )
    enabled = {r.id for r in cfg.extensions}
    for cid, comp in cfg.comps.get("extension", {}).items():
        if cid not in enabled:
            ck.emit(
                kinds.W_UNUSED,
                f"{comp.label} is defined but not listed in service.extensions",
                comp.key,
                target=cid,
                severity=Severity.INFO,
            )


def _env(ck: Checker) -> None:
    for ref in ck.expansion.references:
        if ref.scheme == "env" and not ref.has_default:
            ck.emit(
                kinds.W_ENV_NO_DEFAULT,
                f"${{env:{ref.name}}} has no default"
                + ("" if ref.name in ck.environ else f" and {ref.name} is not set here: the value is empty"),
                ref.node,
                hint=f"Write ${{env:{ref.name}:-<default>}}, or make sure {ref.name} is always set.",
            )
    for node, name in ck.expansion.bare_vars:
        ck.emit(
            kinds.W_BARE_DOLLAR,
            f"${name} is not expanded: the value keeps the text ${name}",
            node,
            hint=f"Write ${{env:{name}}}.",
        )


def secret_nodes(cfg: Config) -> list[tuple[Comp, tuple[str, ...], Node]]:
    """Literal values of secret settings: opaque fields, non-safe headers, token/password keys."""
    out = []
    for comp in cfg.all():
        for path, _, value in _walk(comp.node):
            if value.kind != "scalar" or not isinstance(value.value, str) or not value.value or value.expanded:
                continue
            if "${" in value.text or not _secret_like(value.value):
                continue
            key = path[-1].lower()
            is_header = len(path) >= 2 and path[-2] == "headers" and key not in _SAFE_HEADERS
            # A header is a secret when its name or its value looks like one: a routing or tenant
            # header of 4,000 characters is not (issue 26).
            if is_header and not (_SECRET_HEADER.search(key) or _CREDENTIAL.match(value.value.strip())):
                continue
            if is_header or key in _SECRET_KEYS or key.endswith(("_token", "_password", "_secret")):
                out.append((comp, path, value))
    return out


_SECRET_HEADER = re.compile(r"auth|token|secret|passw|api[-_]?key|apikey|cookie|credential|signature|session|key$")
_CREDENTIAL = re.compile(
    r"(?i)^(?:(?:bearer|basic|apikey|api-key|token|digest|negotiate|splunk|dsn)\s+\S+"
    r"|(?=[A-Za-z0-9._~+/=-]*[0-9])(?=[A-Za-z0-9._~+/=-]*[A-Za-z])[A-Za-z0-9._~+/=-]{16,2048})$"
)


def _secret_like(value: str) -> bool:
    """Whether a literal could be a credential: `$$5` (an escaped dollar, the value "$5"), `true`,
    `1` or `gzip` cannot; anything of six characters or more with a letter or digit in it can."""
    text = value.replace("$$", "$").strip()
    return len(text) >= 6 and any(ch.isalnum() for ch in text) and not text.replace(".", "").isdigit()


def _secrets(ck: Checker) -> None:
    for comp, path, node in secret_nodes(ck.cfg):
        ck.emit(
            kinds.W_LITERAL_SECRET,
            f"{comp.label}: {'.'.join(path)} holds a literal secret (<redacted>)",
            node,
            target=comp.id,
        )


def _misc(ck: Checker) -> None:
    cfg = ck.cfg
    for comp in cfg.comps.get("receiver", {}).values():
        if comp.canonical == "zipkin" and comp.get("endpoint") is not None:
            ck.emit(
                kinds.W_RECEIVER_DEPRECATED_SETTING,
                f"{comp.label}: top-level endpoint is deprecated; use protocols.http.endpoint",
                comp.get("endpoint"),
                target=comp.id,
            )
    procs = [c for c in cfg.comps.get("processor", {}).values() if c.canonical == "adaptive_sampling"]
    if procs:
        remote = next((c for c in cfg.comps.get("extension", {}).values() if c.canonical == "remote_sampling"), None)
        if remote is None or remote.get("adaptive") is None:
            ck.emit(
                kinds.W_ADAPTIVE_WITHOUT_REMOTE,
                f"{procs[0].label}: remote_sampling has no adaptive section (adaptive_sampling needs it)",
                procs[0].key,
                target=procs[0].id,
            )
    for comp in cfg.comps.get("exporter", {}).values():
        if comp.canonical in ("otlp_http", "otlp_grpc", "otlp", "otlphttp"):
            endpoint, node = _endpoint(comp)
            try:
                parts = urlsplit(endpoint)
            except ValueError:
                continue
            if parts.password:
                ck.emit(
                    kinds.W_LITERAL_SECRET,
                    f"{comp.label}: the endpoint URL holds a password (<redacted>)",
                    node or comp.key,
                    target=comp.id,
                )


_SINKS = frozenset({"debug", "logging", "file", "nop"})


def _also_exported(ck: Checker, pid: str, pipe: Pipeline) -> bool:
    """Another pipeline of the same signal takes one of this pipeline's receivers to a real exporter."""
    mine = {r.id for r in pipe.receivers}
    for other_id, other in ck.cfg.pipelines.items():
        if other_id == pid or other.signal != pipe.signal or not mine & {r.id for r in other.receivers}:
            continue
        if any(ck.cfg.comp("connector", r.id) for r in other.exporters):
            return True
        if any(e.canonical not in _SINKS for e in _exporters(ck, other)):
            return True
    return False


def traces_without_backend(ck: Checker) -> None:
    """A traces pipeline whose exporters all store nothing (debug, file, nop): check's no-trace-backend, statically.

    A debug-only pipeline is already config.debug-exporter; this covers file, nop and their mixes.
    """
    from otdiag.catalogue import CONFIG_NO_BACKEND
    from otdiag.collector.components import SINK_EXPORTERS

    for pid, pipe in ck.cfg.pipelines.items():
        if pipe.signal != "traces" or any(ck.cfg.comp("connector", r.id) for r in pipe.exporters):
            continue
        exps = _exporters(ck, pipe)
        types = {e.canonical for e in exps}
        if exps and types <= set(SINK_EXPORTERS) and types != {"debug"} and not _also_exported(ck, pid, pipe):
            names = ", ".join(e.id for e in exps)
            ck.emit(
                CONFIG_NO_BACKEND,
                f"service::pipelines::{pid}: exports only to {names}: no trace reaches Jaeger",
                pipe.key,
                target=exps[0].id,
            )
