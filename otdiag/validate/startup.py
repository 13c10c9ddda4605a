"""Errors `otelcol validate` lets through and the collector hits when it starts.

Only started components count: those in a pipeline, and the extensions in service.extensions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from otdiag import catalogue_config as kinds
from otdiag.validate import suggest
from otdiag.validate.checker import Checker
from otdiag.validate.knowledge import DATA
from otdiag.validate.model import Comp
from otdiag.validate.yamlsrc import Node

_JAEGER_STORAGE_REFS: dict[str, list[tuple[str, ...]]] = {
    "jaeger_query": [("storage", "traces"), ("storage", "traces_archive")],
    "jaeger_storage_exporter": [("trace_storage",)],
    "storage_cleaner": [("trace_storage",)],
    "remote_storage": [("storage",)],
    "remote_sampling": [("adaptive", "sampling_store")],
}
_JAEGER_METRIC_REFS: dict[str, list[tuple[str, ...]]] = {"jaeger_query": [("storage", "metrics")]}


def started(ck: Checker) -> list[Comp]:
    cfg = ck.cfg
    out: dict[int, Comp] = {}
    for pipe in cfg.pipelines.values():
        for kind, refs in (
            ("receiver", pipe.receivers),
            ("processor", pipe.processors),
            ("exporter", pipe.exporters),
        ):
            for ref in refs:
                comp = cfg.comp(kind, ref.id) or cfg.comp("connector", ref.id)
                if comp is not None:
                    out[id(comp)] = comp
    for ref in cfg.extensions:
        comp = cfg.comp("extension", ref.id)
        if comp is not None:
            out[id(comp)] = comp
    return list(out.values())


def _walk(node: Node, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node, Node]]:
    """(key path, key node, value node) for every mapping entry under `node`."""
    todo: list[tuple[Node, tuple[str, ...]]] = [(node, path)]
    count = 0
    while todo and count < 100_000:
        n, p = todo.pop()
        count += 1
        if n.kind == "map":
            for k, v in n.items:
                kp = (*p, str(k.value))
                yield kp, k, v
                todo.append((v, kp))
        elif n.kind == "seq":
            for i, c in enumerate(n.children):
                todo.append((c, (*p, str(i))))


def check(ck: Checker) -> None:
    cfg = ck.cfg
    enabled = {r.id for r in cfg.extensions}
    comps = started(ck)
    # An authenticator must be an extension the service starts.
    for comp in comps:
        for path, _, value in _walk(comp.node):
            if len(path) >= 2 and path[-2] == "auth" and path[-1] == "authenticator" and value.kind == "scalar":
                ext = str(value.value or "")
                if ext and ext not in enabled:
                    ck.emit(
                        kinds.AUTH_NOT_ENABLED,
                        f'{comp.label}: failed to resolve authenticator "{ext}": authenticator not found'
                        + ("" if cfg.comp("extension", ext) else " (and it is not configured)"),
                        value,
                        target=ext,
                        hint=_auth_hint(ck, ext, enabled),
                    )
    for comp in comps:
        if comp.canonical == "tail_sampling":
            _tail_sampling(ck, comp)
            _status_codes(ck, comp)
        if comp.kind == "exporter":
            _queue_storage(ck, comp, enabled)
        if comp.canonical == "adaptive_sampling":
            _adaptive(ck, comp, enabled)
        if ck.base_dir is not None:
            _tls_files(ck, comp, ck.base_dir)
    _jaeger(ck, comps, enabled)
    _ports(ck, comps)


_TLS_FILES = ("ca_file", "cert_file", "key_file", "client_ca_file")


def _tls_files(ck: Checker, comp: Comp, base: Path) -> None:
    """TLS files the collector reads when it starts the component: they must exist and be readable."""
    for path, _, value in _walk(comp.node):
        if path[-1] not in _TLS_FILES or "tls" not in path[:-1] or value.kind != "scalar" or value.expanded:
            continue
        if not isinstance(value.value, str) or not value.value.strip() or "${" in value.text:
            continue
        name = value.value.strip()
        full = (base / name) if not Path(name).is_absolute() else Path(name)
        try:
            ok = full.is_file() and os.access(full, os.R_OK)
            why = "permission denied" if full.is_file() else "no such file or directory"
        except OSError as exc:  # a path too long, a loop of links
            ok, why = False, exc.strerror or "cannot be read"
        if ok:
            continue
        where = "" if Path(name).is_absolute() else f" (relative to {base})"
        ck.emit(
            kinds.TLS_FILE,
            f"{comp.label}: {'.'.join(path)}: failed to load TLS config: open {name}: {why}{where}",
            value,
            target=comp.id,
        )


def _queue_storage(ck: Checker, comp: Comp, enabled: set[str]) -> None:
    """sending_queue::storage: the persistent queue's storage extension is looked up when the exporter starts."""
    node = comp.get("sending_queue", "storage")
    if node is None or node.kind != "scalar" or node.value in (None, "") or node.expanded:
        return
    ext = str(node.value)
    if ext in enabled:
        return
    defined = sorted(ck.cfg.comps.get("extension", {}))
    storage = [e for e in defined if "storage" in e.split("/", 1)[0]]
    near = suggest.nearest(ext, storage or defined)
    if ck.cfg.comp("extension", ext) is not None:
        hint = f"Add {ext} to service.extensions."
    elif near:
        hint = f'Did you mean "{near}"? (defined extensions: {", ".join(defined)})'
    else:
        hint = "Define a storage extension (file_storage) under extensions and list it in service.extensions."
    ck.emit(
        kinds.QUEUE_STORAGE_UNDEFINED,
        f'{comp.label}: sending_queue::storage: no storage client extension found ("{ext}"'
        + (" is not in service.extensions)" if ck.cfg.comp("extension", ext) else " is not defined)"),
        node,
        hint=hint,
        target=comp.id,
    )


_STATUS_CODES = ("OK", "ERROR", "UNSET")


def _status_codes(ck: Checker, comp: Comp) -> None:
    """status_code policies (also inside and/composite): only OK, ERROR and UNSET, in capitals."""
    for path, key, value in _walk(comp.node):
        if path[-1] != "status_codes" or len(path) < 2 or path[-2] != "status_code":
            continue
        if value.kind != "seq":
            continue
        if not value.children:
            ck.emit(
                kinds.TAIL_SAMPLING_POLICY,
                f"{comp.label}: expected at least one status code to filter on",
                key,
                target=comp.id,
            )
            continue
        for item in value.children:
            if item.kind != "scalar" or item.expanded or str(item.value) in _STATUS_CODES:
                continue
            upper = str(item.value).upper()
            hint = f'Write "{upper}": the names are upper case.' if upper in _STATUS_CODES else None
            ck.emit(
                kinds.TAIL_SAMPLING_POLICY,
                f'{comp.label}: unknown status code "{item.value}", supported: OK, ERROR, UNSET',
                item,
                hint=hint or "Valid values: OK, ERROR, UNSET.",
                target=comp.id,
            )
            break


def _adaptive(ck: Checker, comp: Comp, enabled: set[str]) -> None:
    """Jaeger's adaptive_sampling processor takes its store from the remote_sampling extension when it starts."""
    exts = [e for e in enabled if e.split("/", 1)[0] == "remote_sampling"]
    if not exts:
        defined = [e for e in ck.cfg.comps.get("extension", {}) if e.split("/", 1)[0] == "remote_sampling"]
        reason = "cannot find extension 'remote_sampling' (make sure it's defined earlier in the config)"
        hint = f"Add {defined[0]} to service.extensions." if defined else None
    else:
        ext = ck.cfg.comp("extension", exts[0])
        adaptive = ext.get("adaptive") if ext is not None else None
        if adaptive is not None and adaptive.kind == "map":
            return
        reason = f"extension '{exts[0]}' is not configured for adaptive sampling"
        hint = f"Give {exts[0]} an adaptive: section (sampling_store: a jaeger_storage backend)."
    ck.emit(
        kinds.ADAPTIVE_NO_REMOTE,
        f"{comp.label}: cannot load adaptive sampling components from `remote_sampling` extension: {reason}",
        comp.key,
        hint=hint,
        target=comp.id,
    )


def _auth_hint(ck: Checker, ext: str, enabled: set[str]) -> str:
    """The fix for an authenticator that is not started: the defined extensions that authenticate."""
    defined = list(ck.cfg.comps.get("extension", {}))
    if ext in defined:
        return f"Add {ext} to service.extensions."
    auth = [e for e in defined if "auth" in e.split("/", 1)[0] or "oidc" in e.split("/", 1)[0]]
    near = suggest.nearest(ext, auth or defined)
    named = f" (defined authenticators: {', '.join(auth)})" if auth else " (no authenticator extension is defined)"
    if near:
        return f'Did you mean "{near}"?{named}'
    return f"Define {ext} under extensions and add it to service.extensions{named}."


def _tail_sampling(ck: Checker, comp: Comp) -> None:
    policies = comp.get("policies")
    if policies is None or policies.kind != "seq":
        return
    known = _policy_types(comp, ck)
    names: dict[str, Node] = {}
    for p in policies.children:
        if p.kind != "map":
            continue
        name, typ = p.get("name"), p.get("type")
        label = f"{comp.label}: policy"
        if name is None or not name.value:
            ck.emit(kinds.TAIL_SAMPLING_POLICY, f"{label} has no name", p, target=comp.id)
        elif str(name.value) in names:
            ck.emit(
                kinds.TAIL_SAMPLING_POLICY,
                f'{label} name "{name.value}" is used twice',
                name,
                target=comp.id,
            )
        else:
            names[str(name.value)] = name
        if typ is None or not typ.value:
            ck.emit(
                kinds.TAIL_SAMPLING_POLICY,
                f"{label} {name.value if name else ''!s} has no type",
                p,
                target=comp.id,
            )
        elif known and str(typ.value) not in known:
            ck.emit(
                kinds.TAIL_SAMPLING_POLICY,
                f'{label}: unknown sampling policy type "{typ.value}"',
                typ,
                hint=f"Known policy types: {', '.join(sorted(known))}.",
                target=comp.id,
            )


def _policy_types(comp: Comp, ck: Checker) -> set[str]:
    """Policy types: the generated constants (data/tail_sampling.json), plus any settings block of the key tree."""
    base: Any = comp.info.config if comp.info else None
    tree: Any = ck.tree(comp.kind, comp.canonical, base) if comp.info else None

    def blocks(t: Any) -> set[str]:
        item = (((t or {}).get("keys") or {}).get("policies") or {}).get("v") or {}
        return set((item.get("keys") or {}).keys()) - {"name", "type"}

    # A policy type whose settings block the release checked against does not have yet (drop
    # before v0.126) is not a type of that release either.
    gone = blocks(base) - blocks(tree)
    return (blocks(tree) | set(_generated_policy_types().get(ck.know.distribution.value, []))) - gone


@cache
def _generated_policy_types() -> dict[str, list[str]]:
    doc = json.loads((DATA / "tail_sampling.json").read_text())
    return {dist: v["policy_types"] for dist, v in doc["versions"].items()}


def _jaeger(ck: Checker, comps: list[Comp], enabled: set[str]) -> None:
    cfg = ck.cfg
    storage = next((c for c in cfg.comps.get("extension", {}).values() if c.canonical == "jaeger_storage"), None)
    backends = _names(storage, "backends")
    metric_backends = _names(storage, "metric_backends")
    users = [c for c in comps if c.canonical in _JAEGER_STORAGE_REFS or c.canonical in _JAEGER_METRIC_REFS]
    if users and (storage is None or storage.id not in enabled):
        first = users[0]
        ck.emit(
            kinds.JAEGER_STORAGE_NOT_ENABLED,
            f"{first.label}: cannot find extension 'jaeger_storage' (make sure it's defined earlier in the config "
            "and listed in service.extensions)",
            first.key,
            target=first.id,
        )
    for comp in users:
        for refs, declared, where in (
            (_JAEGER_STORAGE_REFS, backends, "backends"),
            (_JAEGER_METRIC_REFS, metric_backends, "metric_backends"),
        ):
            for path in refs.get(comp.canonical, []):
                node = comp.get(*path)
                if node is None or node.kind != "scalar" or not node.value:
                    continue
                name = str(node.value)
                if storage is not None and name not in declared:
                    near = suggest.nearest(name, sorted(declared))
                    ck.emit(
                        kinds.JAEGER_STORAGE_UNDECLARED,
                        f"{comp.label}: storage '{name}' is not declared in jaeger_storage.{where}"
                        + (f" (declared: {', '.join(sorted(declared))})" if declared else ""),
                        node,
                        target=name,
                        hint=f'Did you mean "{near}"?' if near else None,
                    )
    if storage is not None and storage.id in enabled:
        _storage_init(ck, storage)


def _storage_init(ck: Checker, storage: Comp) -> None:
    """What jaeger_storage's Start refuses while creating each backend's factory.

    cmd/jaeger/internal/extension/jaegerstorage/extension.go (Start) creates the first backend
    set of each entry; internal/storage/v2/memory NewStore refuses max_traces <= 0, and the
    extension's Unmarshal sets 1,000,000 only when the key is absent.
    """
    backends = storage.get("backends")
    if backends is None or backends.kind != "map":
        return
    for key, backend in backends.items:
        memory = backend.get("memory") if backend.kind == "map" else None
        if memory is None or memory.kind != "map":
            continue
        limit = memory.get("max_traces")
        if limit is None or limit.kind != "scalar" or isinstance(limit.value, bool):
            continue
        if isinstance(limit.value, int | float) and limit.value <= 0:
            ck.emit(
                kinds.JAEGER_STORAGE_INIT,
                f"{storage.label}: failed to initialize storage '{key.value}': max traces must be greater than zero",
                limit,
                hint="Set max_traces to a positive number (the default, when it is left out, is 1000000).",
                target=str(key.value),
            )


def _names(comp: Comp | None, key: str) -> set[str]:
    node = comp.get(key) if comp else None
    return {str(k.value) for k, _ in node.items} if node is not None and node.kind == "map" else set()


def listeners(comp: Comp) -> Iterator[tuple[str, str, Node | None]]:
    """(setting path, host:port, node or None when it is the default) for what `comp` binds."""
    if comp.kind not in ("receiver", "extension") and comp.canonical != "prometheus":
        return
    found: dict[tuple[str, ...], tuple[str, Node | None]] = {}
    if comp.node.kind == "map" or comp.node.is_null:
        for path, endpoint in _default_endpoints(comp).items():
            found[path] = (endpoint, None)
    present: set[tuple[str, ...]] = {()}
    for path, _, value in _walk(comp.node):
        present.add(path)
        if path[-1] == "endpoint" and value.kind == "scalar" and isinstance(value.value, str):
            found[path[:-1]] = (value.value, value)
    for path, (endpoint, node) in found.items():
        # A default counts only where its section is enabled: the section is written, or it has no parent.
        if node is None and path and path not in present and not _always_on(comp, path):
            continue
        yield ".".join((*path, "endpoint")), endpoint, node


_DEFAULTS_CACHE: dict[int, dict[tuple[str, ...], str]] = {}


def _default_endpoints(comp: Comp) -> dict[tuple[str, ...], str]:
    """Every `endpoint` in the component type's defaults, by path: computed once per type, not per instance."""
    # Keyed by the (cached, per-distribution) component info object itself.
    key = id(comp.info)
    cached = _DEFAULTS_CACHE.get(key)
    if cached is not None and comp.info is not None:
        return cached
    out: dict[tuple[str, ...], str] = {}
    stack: list[tuple[Any, tuple[str, ...]]] = [(comp.info.defaults if comp.info else None, ())]
    while stack:
        d, path = stack.pop()
        if isinstance(d, dict):
            for k, v in d.items():
                if k == "endpoint" and isinstance(v, str) and v:
                    out[path] = v
                elif isinstance(v, dict):
                    stack.append((v, (*path, k)))
    if comp.info is not None:
        _DEFAULTS_CACHE[key] = out
    return out


def _always_on(comp: Comp, path: tuple[str, ...]) -> bool:
    tree: Any = comp.info.config if comp.info else None
    for p in path:
        tree = ((tree or {}).get("keys") or {}).get(p)
        if tree is None or tree.get("optional"):
            return False
    return True


def _port(endpoint: str) -> str | None:
    text = endpoint.split("://", 1)[-1]
    _host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) == 0:
        return None
    return port


def _ports(ck: Checker, comps: list[Comp]) -> None:
    seen: dict[str, tuple[Comp, str, str]] = {}
    for comp in comps:
        for path, endpoint, node in listeners(comp):
            port = _port(endpoint)
            if port is None:
                continue
            if port in seen and seen[port][0] is not comp:
                other, opath, oend = seen[port]
                host = endpoint.rpartition(":")[0]
                ohost = oend.rpartition(":")[0]
                if (
                    host
                    and ohost
                    and host != ohost
                    and "0.0.0.0" not in (host, ohost)  # noqa: S104 - compared, not bound
                    and "" not in (host, ohost)
                ):
                    continue
                ck.emit(
                    kinds.PORT_CONFLICT,
                    f"{comp.label}: {path} {endpoint} binds port {port}, already bound by {other.label} "
                    f"({opath} {oend}): listen tcp {endpoint}: bind: address already in use",
                    node or comp.key,
                    target=endpoint,
                )
            else:
                seen[port] = (comp, path, endpoint)
    tel = ck.cfg.telemetry
    if tel is not None and tel.kind == "map":
        for tpath, _, value in _walk(tel):
            if tpath[-1] == "port" and value.kind == "scalar" and isinstance(value.value, int):
                port = str(value.value)
                if port in seen:
                    other, opath, oend = seen[port]
                    ck.emit(
                        kinds.PORT_CONFLICT,
                        f"service::telemetry: port {port} is also bound by {other.label} ({opath} {oend})",
                        value,
                    )
